#!/usr/bin/env bash
# Quick start, step 2: install what is missing, build, and run the whole test suite: unit tests
# (ctest label unit), the integration tests against real processes (pytest), then the end-to-end
# tests (real PostgreSQL on a live cluster, about a minute). Needs root for namespaces, cgroups,
# loop devices and mounts. PRESET=asan runs it under AddressSanitizer+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${PRESET:-release}"
scripts/install-deps.sh
scripts/build.sh "$preset"

echo "== unit and component tests (ctest) =="
ctest --test-dir "build/$preset" --output-on-failure -j 2

echo "== integration tests (pytest, real processes) =="
# Includes the web UI's browser tests (tests/integration/test_ui.py runs ui/tests/*.mjs), which
# must not be skipped here: install-deps.sh has installed chromium and playwright-core.
BERTH_BIN="$PWD/build/$preset/bin/berth" BERTH_REQUIRE_UI_TESTS=1 \
  /usr/bin/python3 -m pytest -q tests/integration

# A pytest run of its own: both directories have a conftest.py, and tests/e2e imports
# tests/integration's harness by path.
echo "== end-to-end tests (pytest, PostgreSQL on a live cluster) =="
BERTH_BIN="$PWD/build/$preset/bin/berth" /usr/bin/python3 -m pytest -q tests/e2e

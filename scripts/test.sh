#!/usr/bin/env bash
# Quick start, step 2: install what is missing, build, and run the whole test suite: unit tests
# (ctest label unit) then the integration tests against real processes (pytest). Needs root for
# namespaces, cgroups and mounts. PRESET=asan runs it under AddressSanitizer+UBSan.
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

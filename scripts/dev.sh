#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, and run a local cluster (berth dev):
# a master and 3 agents on loopback. Extra arguments go to `berth dev` (e.g. --agents=2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/release/bin/berth dev "$@"

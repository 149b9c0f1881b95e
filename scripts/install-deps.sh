#!/usr/bin/env bash
# Installs every Debian package Berth needs to build, test and run, skipping what is present.
# Idempotent; safe to run on every build. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config clang-format clang-tidy
  libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # run: mounts, loop devices, filesystems, namespaces
  util-linux mount e2fsprogs xfsprogs btrfs-progs iproute2 procps
  # tests and benchmarks
  curl python3 python3-pytest python3-marathon sqlite3
  wrk  # HTTP GET throughput benchmarks
  postgresql python3-psycopg2  # tests/e2e and bench/failover.py: a real database fails over
  chromium  # the web UI's browser tests (driven headless by playwright-core, ui/package.json)
)
# Node.js (>= 20 for playwright-core) runs the UI's browser tests; the machine image has it.
# Debian's own is only a fallback where it is missing.
if ! command -v node >/dev/null; then packages+=(nodejs npm); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The UI's test packages (playwright-core), exactly as ui/package-lock.json pins them; again only
# when the lockfile changed since the last install. playwright-core downloads no browser: the
# tests use Debian's chromium.
ui_dir="$(dirname "$0")/../ui"
if ! cmp -s "$ui_dir/package-lock.json" "$ui_dir/node_modules/.berth-installed-lock"; then
  echo "install-deps: npm ci in ui/"
  (cd "$ui_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp "$ui_dir/package-lock.json" "$ui_dir/node_modules/.berth-installed-lock"
fi

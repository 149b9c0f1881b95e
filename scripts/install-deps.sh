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
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

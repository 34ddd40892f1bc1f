#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (what .ci/run runs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"

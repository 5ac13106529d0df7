#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test (`swift test`).
# Extra arguments go to `swift test`, e.g. `scripts/test.sh --filter ZeroMQTests`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
shoal_setup
swift build --build-tests
swift test "$@"

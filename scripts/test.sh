#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test (`swift test`).
# Extra arguments go to `swift test`, e.g. `scripts/test.sh --filter ZeroMQTests`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
shoal_setup
# The multi-host tests make network namespaces with iproute2's `ip` (they skip, saying so, without root).
if ! command -v ip >/dev/null 2>&1 && [ ! -x /usr/sbin/ip ] && [ ! -x /sbin/ip ]; then
    echo "==> installing iproute2 (apt-get), for the multi-host tests"
    { shoal_as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive shoal_as_root apt-get install -y -qq iproute2 >/dev/null; } \
        || echo "warning: iproute2 not installed; the multi-host tests will be skipped" >&2
fi
swift build --build-tests
swift test "$@"

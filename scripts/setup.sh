#!/usr/bin/env bash
# Installs what Shoal needs to build and run, when it is missing: libzmq (Debian's libzmq3-dev), SQLite's headers
# (libsqlite3-dev, for GRDB), zlib's (zlib1g-dev, for gzip inputs) and pkg-config.
# Sourced by scripts/example.sh, scripts/test.sh and .ci/run; safe to run again (it installs nothing twice).
set -euo pipefail

shoal_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else
        echo "error: '$*' needs root; run it as root or install sudo" >&2
        return 1
    fi
}

shoal_setup() {
    local missing=()
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    if ! pkg-config --exists libzmq 2>/dev/null; then missing+=(libzmq3-dev); fi
    if ! pkg-config --exists sqlite3 2>/dev/null; then missing+=(libsqlite3-dev); fi
    if ! pkg-config --exists zlib 2>/dev/null; then missing+=(zlib1g-dev); fi
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> installing ${missing[*]} (apt-get)"
        shoal_as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive shoal_as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="/opt/swift/usr/bin:$PATH"
        else
            echo "error: no Swift toolchain on PATH. Shoal needs Swift 6.1 or newer: https://www.swift.org/install/linux/" >&2
            return 1
        fi
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then shoal_setup; fi

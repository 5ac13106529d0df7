#!/usr/bin/env bash
# The main example: installs what is missing, builds Shoal (release), checks this machine with `shoal doctor`,
# then starts a Shoal endpoint in a second process and checks it end to end: `shoal ping` and
# `shoal doctor --coordinator`. Stops only the process it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
shoal_setup

echo "==> building shoal (release)"
swift build -c release --product shoal
shoal="$(swift build -c release --show-bin-path)/shoal"

echo "==> shoal doctor"
"$shoal" doctor

work="$(mktemp -d "${TMPDIR:-/tmp}/shoal-example.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; wait "$server_pid" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting a Shoal endpoint (shoal ping --listen) in another process"
"$shoal" ping --listen tcp://127.0.0.1:0 --endpoint-file "$work/endpoint" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do   # up to 20 s for the endpoint file, the server's readiness signal
    [ -s "$work/endpoint" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$work/endpoint" ] || { echo "error: the endpoint did not come up; its log:" >&2; cat "$work/server.log" >&2; exit 1; }
endpoint="$(head -n 1 "$work/endpoint")"

echo "==> shoal ping $endpoint"
"$shoal" ping "$endpoint" --count 5
echo "==> shoal doctor --coordinator $endpoint"
"$shoal" doctor --coordinator "$endpoint"

kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""
echo "==> done: two shoal processes ($("$shoal" --version)) talked the Shoal protocol over ZeroMQ"

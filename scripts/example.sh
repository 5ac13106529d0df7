#!/usr/bin/env bash
# The main example: installs what is missing, builds Shoal (release), checks this machine with `shoal doctor`,
# then runs the example job cluster/jobs/line-counts.yaml on an embedded local cluster — a coordinator and two
# worker processes on this machine — and shows what it committed. `shoal run` tears the cluster down itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
shoal_setup

echo "==> building shoal (release)"
swift build -c release --product shoal
shoal="$(swift build -c release --show-bin-path)/shoal"

echo "==> shoal doctor"
"$shoal" doctor

echo "==> shoal run cluster/jobs/line-counts.yaml --workers 2 --restart"
# --restart replaces the outputs of an earlier run of this example instead of refusing to mix with them.
"$shoal" run cluster/jobs/line-counts.yaml --workers 2 --restart

shards=$(find out/line-counts -maxdepth 1 -name 'shard-*' | wc -l)
total=$(cat out/line-counts/shard-*/stdout | awk '{ sum += $1 } END { print sum }')
echo "==> done: $shards shards committed under out/line-counts (each shard-NNNNN/stdout is one file's line count;"
echo "    $total lines of Swift in all); out/line-counts/_SUCCESS marks the finished job"

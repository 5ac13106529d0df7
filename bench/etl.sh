#!/usr/bin/env bash
# The ETL benchmark (issue 4): the clicks example job (cluster/jobs/clicks-etl.yaml) on 2,000,000 rows made by
# ../shared/bench/gen_clicks.py --rows 2000000 --seed 7 (340 MB, byte-identical with the peers' input), on a running
# local cluster with 1 and with 2 workers, beside polars, duckdb, pandas and dask re-measured in the same run by
# ../shared/bench/peers/run_peers.sh WORKDIR b2.
#   Shoal: `shoal up --workers N` (fresh state, free loopback ports), then `shoal submit --wait --overwrite` of the
#     job; the time is finished_at − submitted_at of the job record (`shoal status JOB --json`): from the moment
#     the coordinator received the job (planning — schema sample, nominal shard cuts — included) to both outputs
#     committed and the manifest written. Client start-up is left out, as the peers leave out their imports.
#   Peers: each one's median of 3 runs as run_peers.sh prints it (timed from the start of parsing to both outputs
#     written; imports and Dask's cluster start-up excluded).
#   The aggregates are checked against polars' (b2_out/polars_agg.csv) to 1e-9 relative.
# Usage: bench/etl.sh [--rounds N] [--no-peers] [--no-docs] [--no-wait]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_name=etl.sh

rounds=3 run_peers=1 write_docs=1 wait_quiet=1
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --no-peers) run_peers=0; shift ;;
    --no-docs) write_docs=0; shift ;;
    --no-wait) wait_quiet=0; shift ;;
    *) echo "usage: bench/etl.sh [--rounds N] [--no-peers] [--no-docs] [--no-wait]" >&2; exit 2 ;;
  esac
done
peers=${SHOAL_PEERS_DIR:-$root/../shared/bench/peers}
peers_work=${SHOAL_PEERS_WORK:-$root/../peers}
scratch=${SHOAL_BENCH_SCRATCH:-$root/.build-bench}
work=${TMPDIR:-/tmp}/shoal-bench-etl
job_timeout=600

for tool in swift timeout awk sort jq ss python3 date; do
  command -v "$tool" >/dev/null || { echo "etl.sh: '$tool' is required" >&2; exit 1; }
done
[ -x "$peers/run_peers.sh" ] || { echo "etl.sh: $peers/run_peers.sh is missing (set SHOAL_PEERS_DIR)" >&2; exit 1; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() { echo "etl.sh: $*" >&2; exit 1; }
used_ports=" "

mkdir -p "$work" "$peers_work"
peers_work=$(cd "$peers_work" && pwd)
echo "== building shoal (release, scratch $scratch)" >&2
(cd "$root" && swift build -c release --scratch-path "$scratch" --product shoal) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; fail "build failed (log: $work/build.log)"; }
shoal=$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/shoal

data=$peers_work/clicks_2m.csv
if [ ! -f "$data" ]; then
  echo "== generating $data with gen_clicks.py (needs numpy; run_peers.sh makes a venv with it)" >&2
  py=$peers_work/venv/bin/python
  [ -x "$py" ] || py=python3
  "$py" "$peers/../gen_clicks.py" --rows 2000000 --seed 7 --out "$data"
fi
bytes=$(stat -c %s "$data")

quiet() {
  local busy waited=0
  [ "$wait_quiet" = 1 ] || return 0
  while busy=$(busy_percent) && [ "$busy" -ge 10 ] && [ "$waited" -lt 300 ]; do
    [ $((waited % 30)) = 0 ] && echo "== waiting for the machine to go quiet before $1 (${busy}% busy)" >&2
    waited=$((waited + 1))
  done
}

# The job as shipped, reading the 2M-row file.
bench_dir=$work/run
rm -rf "$bench_dir"; mkdir -p "$bench_dir/data"
ln -s "$data" "$bench_dir/data/clicks-0.csv"
cp "$root/cluster/jobs/clicks-etl.yaml" "$bench_dir/clicks-etl.yaml"

rm -f "$work"/shoal-*.txt  # also shoal-client-N.txt
for workers in 1 2; do
  for round in $(seq "$rounds"); do
    quiet "shoal, $workers worker(s), round $round"
    dir=$work/cluster-$workers
    start_cluster "$dir" 1 "$workers"
    find_children "$dir"
    wait_workers
    client_start=$(date +%s.%N)
    (cd "$bench_dir" && timeout -k 5 "$job_timeout" "$shoal" submit clicks-etl.yaml --wait --overwrite \
      --coordinator "$client") >"$dir/submit.log" 2>&1 \
      || fail "shoal submit --wait failed: $(tail -5 "$dir/submit.log") (logs: $dir/state/logs)"
    awk -v a="$client_start" -v b="$(date +%s.%N)" 'BEGIN{print b - a}' >>"$work/shoal-client-$workers.txt"
    job=$(grep -o 'job [0-9]*' "$dir/submit.log" | head -1 | awk '{print $2}')
    job_record "$dir" "$job"
    state=$(jq -r '.jobs[0].record.state' "$dir/status.json")
    [ "$state" = succeeded ] || fail "the job ended $state (logs: $dir/state/logs)"
    seconds=$(jq -r '.jobs[0].record | .finishedAt - .submittedAt' "$dir/status.json")
    echo "$seconds" >>"$work/shoal-$workers.txt"
    echo "shoal, $workers worker(s), round $round: $seconds s" >&2
    stop_cluster "$dir"
  done
done
cp "$bench_dir/out/by-country.csv" "$work/shoal_agg.csv"
jq -r '.jobs[0].record.summary' "$work/cluster-2/status.json" >"$work/summary.txt"

if [ "$run_peers" = 1 ]; then
  quiet "the peers"
  echo "== peers: run_peers.sh $peers_work b2 (polars, duckdb, pandas, dask; 3 runs each)" >&2
  timeout -k 10 3600 "$peers/run_peers.sh" "$peers_work" b2 >"$work/peers.log" 2>&1 \
    || fail "run_peers.sh failed: $(tail -5 "$work/peers.log")"
fi

# The aggregates against polars' (country, n, sum_price, mean_dwell_ms, mean_clicked).
check=skipped
if [ -f "$peers_work/b2_out/polars_agg.csv" ]; then
  check=$(python3 - "$work/shoal_agg.csv" "$peers_work/b2_out/polars_agg.csv" <<'EOF'
import csv, sys
ours = {r["country"]: r for r in csv.DictReader(open(sys.argv[1]))}
theirs = {r["country"]: r for r in csv.DictReader(open(sys.argv[2]))}
worst = 0.0
assert set(ours) == set(theirs), f"groups differ: {sorted(ours)} vs {sorted(theirs)}"
for c, t in theirs.items():
    o = ours[c]
    assert int(o["n"]) == int(float(t["n"])), f"{c}: n {o['n']} vs {t['n']}"
    for a, b in (("revenue", "sum_price"), ("dwell", "mean_dwell_ms"), ("ctr", "mean_clicked")):
        x, y = float(o[a]), float(t[b])
        worst = max(worst, abs(x - y) / max(1e-300, abs(y)))
assert worst < 1e-9, f"aggregates differ by {worst:.3g} relative"
print(f"equal to polars' (largest relative difference {worst:.1e})")
EOF
) || fail "aggregates differ from polars': $check"
fi

t1=$(median "$work/shoal-1.txt"); t2=$(median "$work/shoal-2.txt")
seconds() { awk -v s="$1" 'BEGIN{printf "%.3f", s}'; }
peer_row() {   # peer_row NAME: "| name version | median s | MB/s |" from run_peers.sh's summary line
  local line
  line=$(grep "\"peer\": \"$1\"" "$work/peers.log" 2>/dev/null | grep '"summary"' | tail -1) || true
  [ -n "$line" ] || return 0
  echo "$line" | jq -r '"| \(.peer) \(.version) | \(.median_s) | \(.median_MBps) | \(.min_s)–\(.max_s) |"'
}
polars_s=$(grep '"peer": "polars"' "$work/peers.log" 2>/dev/null | grep '"summary"' | jq -r .median_s | tail -1 || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
section=$(cat <<EOF
## ETL: the clicks example on 2,000,000 rows (issue 4)

\`bench/etl.sh\` on $(date -u +%Y-%m-%d), commit $(cd "$root" && git rev-parse --short HEAD), $(nproc) vCPU ($cpu), release build.
Input: \`gen_clicks.py --rows 2000000 --seed 7\` ($bytes bytes), the job of \`cluster/jobs/clicks-etl.yaml\` (filter,
derive, select; CSV output; group-by country with count, sum, two means), default 64 MiB shards. Shoal: submit to
both outputs committed on a running \`shoal up --workers N --slots 1\`, median of $rounds; peers: median of 3 in the
same run (\`run_peers.sh WORKDIR b2\`, timed from the start of parsing to both outputs written).

| system | wall s | input MB/s | range s |
|---|---|---|---|
| Shoal, 1 worker | $(seconds "$t1") | $(awk -v b="$bytes" -v t="$t1" 'BEGIN{printf "%.0f", b/1e6/t}') | $(seconds "$(sort -g "$work/shoal-1.txt" | head -1)")–$(seconds "$(sort -g "$work/shoal-1.txt" | tail -1)") |
| Shoal, 2 workers | $(seconds "$t2") | $(awk -v b="$bytes" -v t="$t2" 'BEGIN{printf "%.0f", b/1e6/t}') | $(seconds "$(sort -g "$work/shoal-2.txt" | head -1)")–$(seconds "$(sort -g "$work/shoal-2.txt" | tail -1)") |
$(for p in polars duckdb pandas dask; do peer_row $p; done)

- MB/s per worker: $(awk -v b="$bytes" -v t="$t1" 'BEGIN{printf "%.0f", b/1e6/t}') with 1 worker, $(awk -v b="$bytes" -v t="$t2" 'BEGIN{printf "%.0f", b/1e6/t/2}') each with 2; scaling efficiency 1 → 2 workers: $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.0f%%", 100*a/b/2}') (t1 / (2 · t2)).
- Shoal with 2 workers against polars in the same run: $( [ -n "$polars_s" ] && awk -v s="$t2" -v p="$polars_s" 'BEGIN{printf "%.2f× polars'"'"' time (target: ≤ 1.00)", s/p}' || echo "peers not run")
- As a user sees it, \`shoal submit --wait\` timed from outside (CLI start-up, the round trips and the wait for the
  end included):
  $(seconds "$(median "$work/shoal-client-1.txt")") s with 1 worker, $(seconds "$(median "$work/shoal-client-2.txt")") s with 2$( [ -n "$polars_s" ] && awk -v s="$(median "$work/shoal-client-2.txt")" -v p="$polars_s" 'BEGIN{printf ", %.2f× polars'"'"' time", s/p}').
- Aggregates: $check.

The job's summary (2 workers, last round):

\`\`\`
$(cat "$work/summary.txt")
\`\`\`
EOF
)
echo "$section"
[ "$write_docs" = 1 ] && write_docs_section etl "$section" "$work"
exit 0

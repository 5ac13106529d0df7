#!/usr/bin/env bash
# The cost of security (issue 6): the same cluster with CURVE off and on, in one run, rounds alternating.
#   Scheduling: 20,000 no-op tasks through `shoal up --workers 2 --slots S` (S = 256 pipelined, S = 1), tasks/s from
#     the job record (finished_at − submitted_at), as bench/scheduling.sh measures it.
#   Aggregation: a `kind: train` job whose model has 16 MiB (mlp [1024, 4096]) or 64 MiB (mlp [2048, 8192]) of
#     Float32 parameters, on 2 workers with one slot each, 4 one-row training files, batch 4, `deterministic: false`
#     (Float32 gradients on the wire). Each step sends the parameters to both workers and brings both gradients
#     back through the coordinator; per step, communication = wall − compute − load (the job's metrics.csv), and
#     throughput = bytes moved (parameters out + gradients in, both workers) / communication. Median over the steps
#     after the first, then over the rounds.
#   Raw libzmq: `curve_thr` from the peers' probes (one-way PUSH→PULL over tcp loopback) with CURVE off and on, at
#     64 bytes, 16 MiB and 64 MiB: the ceiling the targets are measured against.
# Targets: scheduling with CURVE ≥ 70% of without; aggregation with CURVE ≥ 80% of raw libzmq CURVE throughput.
# Prints markdown and rewrites the section "security" of docs/benchmarks.md.
#
# Usage: bench/security.sh [--rounds N] [--tasks N] [--steps N] [--no-docs] [--no-wait]
#   --rounds N   rounds of every row (default 3)
#   --tasks N    tasks per scheduling job (default 20000)
#   --steps N    steps per aggregation job (default 12)
#   --no-docs    print only; leave docs/benchmarks.md alone
#   --no-wait    do not wait for the machine to go quiet before each round
# Environment: SHOAL_PEERS_DIR (default ../shared/bench/peers, for curve_thr.c), SHOAL_BENCH_SCRATCH (.build-bench).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
command_line="bench/security.sh${*:+ $*}"
rounds=3 tasks=20000 steps=12 write_docs=1 wait_quiet=1
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --tasks) tasks=${2:?--tasks needs a number}; shift 2 ;;
    --steps) steps=${2:?--steps needs a number}; shift 2 ;;
    --no-docs) write_docs=0; shift ;;
    --no-wait) wait_quiet=0; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "security.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$rounds" "$tasks" "$steps"; do
  case $value in ''|*[!0-9]*|0) echo "security.sh: --rounds, --tasks and --steps take positive integers" >&2; exit 2 ;; esac
done

peers=${SHOAL_PEERS_DIR:-$root/../shared/bench/peers}
scratch=${SHOAL_BENCH_SCRATCH:-$root/.build-bench}
work=$here/work/security   # gitignored
job_timeout=600
quiet_limit=600
bench_name=security.sh
used_ports=" "
fail() { echo "security.sh: $*" >&2; exit 1; }
for tool in swift timeout awk sort jq ss cc python3; do
  command -v "$tool" >/dev/null || fail "'$tool' is required"
done
[ -f "$peers/curve_thr.c" ] || fail "$peers/curve_thr.c is missing (set SHOAL_PEERS_DIR)"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$work"; mkdir -p "$work"
echo "== building shoal (release, scratch $scratch)" >&2
(cd "$root" && swift build -c release --scratch-path "$scratch" --product shoal) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; fail "build failed (log: $work/build.log)"; }
shoal=$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/shoal
[ -x "$shoal" ] || fail "no shoal binary at $shoal"
cc -O2 -o "$work/curve_thr" "$peers/curve_thr.c" -lzmq


# Keys: the coordinator's, one worker key (every local worker presents KEYS/worker.key_secret) and one client key.
keys=$work/keys
for name in coordinator worker client; do "$shoal" keygen "$name" --dir "$keys" >/dev/null; done
mkdir -p "$keys/workers" "$keys/clients"
cp "$keys/worker.key" "$keys/workers/"; cp "$keys/client.key" "$keys/clients/"
# set_mode off|on: the arguments of this round's cluster and clients.
set_mode() {
  # Shared memory off: every byte of a step crosses the (encrypted) socket, as for workers on other hosts.
  cluster_args=(--keys-dir "$keys" --curve "$1" --no-shared-memory)
  client_args=(--keys-dir "$keys" --curve "$1")
}

printf 'kind: noop\nname: scheduling\ntasks: %s\nspeculation: false\n' "$tasks" >"$work/noop.yaml"
one_row_data "$work/data"
aggregation_job agg16 "[1024, 4096]" "$steps" "$work/data" >"$work/agg16.yaml"
aggregation_job agg64 "[2048, 8192]" "$steps" "$work/data" >"$work/agg64.yaml"

# scheduling ROUND MODE SLOTS
scheduling() {
  local dir=$work/sched-$1-$2-$3 rate
  quiet_before "scheduling round $1 (CURVE $2, slots $3)"
  set_mode "$2"
  start_cluster "$dir" "$3"
  find_children "$dir"
  wait_workers
  (cd "$dir" && timeout -k 5 "$job_timeout" "$shoal" submit "$work/noop.yaml" --wait --coordinator "$client" \
     "${client_args[@]}") >"$dir/submit.log" 2>&1 || fail "submit failed: $(tail -5 "$dir/submit.log")"
  job_record "$dir" 1
  [ "$(jq -r '.jobs[0].record.state' "$dir/status.json")" = succeeded ] || fail "scheduling job failed ($dir)"
  rate=$(jq -r --argjson n "$tasks" '.jobs[0].record | $n / (.finishedAt - .submittedAt)' "$dir/status.json")
  echo "$rate" >>"$work/sched-$2-$3.txt"
  printf '   scheduling, CURVE %s, slots %s: %.0f tasks/s\n' "$2" "$3" "$rate" >&2
  stop_cluster "$dir"
}

# aggregation ROUND MODE SIZE: appends "comm_ms MB/s" of the job's median step.
aggregation() {
  local dir=$work/agg-$1-$2-$3 line
  quiet_before "aggregation round $1 (CURVE $2, $3 MiB)"
  set_mode "$2"
  start_cluster "$dir" 1
  find_children "$dir"
  wait_workers
  (cd "$dir" && timeout -k 5 "$job_timeout" "$shoal" submit "$work/agg$3.yaml" --wait --coordinator "$client" \
     "${client_args[@]}") >"$dir/submit.log" 2>&1 || fail "train job failed: $(tail -5 "$dir/submit.log")"
  line=$(python3 - "$dir/out/agg$3/metrics.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))[1:]   # the first step warms caches and allocators
if any(r["workers"] != "2" for r in rows): sys.exit("a step ran on fewer than 2 workers")
comm = [float(r["wall_ms"]) - float(r["compute_ms"]) - float(r["load_ms"]) for r in rows]
m = statistics.median(comm)
print(f"{m:.2f} {int(rows[0]['bytes']) / m / 1e3:.1f}")
PY
) || fail "cannot read $dir/out/agg$3/metrics.csv"
  echo "$line" >>"$work/agg-$2-$3.txt"
  printf '   aggregation, CURVE %s, %s MiB: communication %s ms per step, %s MB/s\n' "$2" "$3" $line >&2
  stop_cluster "$dir"
}

raw() {  # raw MODE SIZE COUNT LABEL
  local out
  if ss -Htln "sport = :47313" | grep -q .; then fail "tcp port 47313 (curve_thr's) is in use"; fi
  out=$(timeout 120 "$work/curve_thr" "$1" "$2" "$3") || fail "curve_thr $1 $2 $3 failed"
  echo "$out" >>"$work/raw.log"
  sed -n 's|.* MB/s=\([0-9.]*\) msgs/s=\([0-9.]*\)|\1 \2|p' <<<"$out" >>"$work/raw-$1-$4.txt"
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
start_seconds=$SECONDS
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then modes="off on"; else modes="on off"; fi
  for mode in $modes; do
    for slots in 256 1; do scheduling "$round" "$mode" "$slots"; done
    for size in 16 64; do aggregation "$round" "$mode" "$size"; done
    quiet_before "raw libzmq round $round"
    raw "$([ "$mode" = on ] && echo 1 || echo 0)" 64 2000000 64b
    raw "$([ "$mode" = on ] && echo 1 || echo 0)" 16777216 40 16m
    raw "$([ "$mode" = on ] && echo 1 || echo 0)" 67108864 10 64m
  done
done
elapsed=$((SECONDS - start_seconds))

col() { awk -v c="$2" '{print $c}' "$1" >"$1.col$2"; median "$1.col$2"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f%%", 100 * a / b}'; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN {printf "%." d "f", x}'; }

s256_off=$(median "$work/sched-off-256.txt") s256_on=$(median "$work/sched-on-256.txt")
s1_off=$(median "$work/sched-off-1.txt") s1_on=$(median "$work/sched-on-1.txt")
raw64b_off=$(col "$work/raw-0-64b.txt" 2) raw64b_on=$(col "$work/raw-1-64b.txt" 2)
raw16_off=$(col "$work/raw-0-16m.txt" 1) raw16_on=$(col "$work/raw-1-16m.txt" 1)
raw64_off=$(col "$work/raw-0-64m.txt" 1) raw64_on=$(col "$work/raw-1-64m.txt" 1)
a16_off_ms=$(col "$work/agg-off-16.txt" 1) a16_off=$(col "$work/agg-off-16.txt" 2)
a16_on_ms=$(col "$work/agg-on-16.txt" 1) a16_on=$(col "$work/agg-on-16.txt" 2)
a64_off_ms=$(col "$work/agg-off-64.txt" 1) a64_off=$(col "$work/agg-off-64.txt" 2)
a64_on_ms=$(col "$work/agg-on-64.txt" 1) a64_on=$(col "$work/agg-on-64.txt" 2)

machine="$(nproc) vCPU $(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), libzmq $(pkg-config --modversion libzmq 2>/dev/null || echo '?')"
section=$(cat <<EOF
## Cost of security: CURVE off and on

\`$command_line\`, $started, $machine; release build; $rounds rounds of every row, CURVE off and on alternating
within each round; medians. Took $((elapsed / 60)) min $((elapsed % 60)) s. Everything over tcp loopback.

| what | CURVE off | CURVE on | on / off | target |
|---|---|---|---|---|
| scheduling, 20,000 no-op tasks, 2 workers × 256 slots | $(fmt "$s256_off") tasks/s | $(fmt "$s256_on") tasks/s | $(pct "$s256_on" "$s256_off") | ≥ 70% |
| scheduling, 2 workers × 1 slot | $(fmt "$s1_off") tasks/s | $(fmt "$s1_on") tasks/s | $(pct "$s1_on" "$s1_off") | |
| aggregation, 16 MiB model, 2 workers: communication per step | $(fmt "$a16_off_ms" 1) ms | $(fmt "$a16_on_ms" 1) ms | | |
| aggregation, 16 MiB: bytes moved / communication | $(fmt "$a16_off") MB/s | $(fmt "$a16_on") MB/s | $(pct "$a16_on" "$a16_off") | |
| aggregation, 64 MiB model, 2 workers: communication per step | $(fmt "$a64_off_ms" 1) ms | $(fmt "$a64_on_ms" 1) ms | | |
| aggregation, 64 MiB: bytes moved / communication | $(fmt "$a64_off") MB/s | $(fmt "$a64_on") MB/s | $(pct "$a64_on" "$a64_off") | |
| raw libzmq one-way PUSH→PULL, 64 B messages | $(fmt "$raw64b_off") msgs/s | $(fmt "$raw64b_on") msgs/s | $(pct "$raw64b_on" "$raw64b_off") | |
| raw libzmq one-way, 16 MiB messages | $(fmt "$raw16_off") MB/s | $(fmt "$raw16_on") MB/s | $(pct "$raw16_on" "$raw16_off") | |
| raw libzmq one-way, 64 MiB messages | $(fmt "$raw64_off") MB/s | $(fmt "$raw64_on") MB/s | $(pct "$raw64_on" "$raw64_off") | |

Aggregation with CURVE against raw libzmq with CURVE (target ≥ 80%): 16 MiB $(pct "$a16_on" "$raw16_on"), 64 MiB
$(pct "$a64_on" "$raw64_on"). The aggregation rows move, per step, the parameters to each worker and each worker's
gradient back (4 × the model's bytes with 2 workers) through the coordinator, whose connections are encrypted and
decrypted in parallel by its ZeroMQ I/O threads; the raw rows are one stream. Scheduling batches tasks per message,
so CURVE's per-message cost is paid once per batch.
EOF
)
printf '%s\n' "$section"
if [ "$write_docs" = 1 ]; then write_docs_section security "$section" "$work"; fi

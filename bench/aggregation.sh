#!/usr/bin/env bash
# The aggregation benchmark of issue 5: Float32 gradient vectors of 1, 16 and 64 MiB from 2 and 4 workers through
# the coordinator and back, as a real training job does it, beside OpenMPI's Allreduce re-measured in the same run.
#   Shoal: `shoal up --workers N --slots 1` and a `kind: train` job whose model has 1, 16 or 64 MiB of Float32
#     parameters (mlp [256, 1024], [1024, 4096], [2048, 8192] on the clicks features), on 4 one-row training files
#     (one shard per worker), batch 4, `deterministic: false` (Float32 gradients on the wire). A step sends the
#     parameters to each worker and brings each worker's gradient back; the coordinator sums and applies SGD.
#     t = step wall − compute − load (metrics.csv), the median over the steps after 2 warm-ups (as OpenMPI's: the
#     first steps fill the shared-memory pools and mappings), leaving out the last step (it also writes the model and
#     a checkpoint); 13 steps: 10 measured, as OpenMPI's 10. algbw = S / t with S
#     the vector's bytes, busbw = algbw × 2(n − 1)/n (nccl-tests). Workers reach the coordinator over tcp loopback
#     with shared memory off (as from another host: every byte through the socket), or over ipc:// with shared
#     memory on (workers on the coordinator's host: parameters and gradients in /dev/shm segments, only their
#     names through the Unix socket).
#   OpenMPI: `../shared/bench/peers/run_peers.sh WORKDIR b3` (Allreduce SUM of float32, median of 10 after 2
#     warm-ups), both its shared-memory default and forced over TCP.
# Targets: over tcp, no slower than OpenMPI forced over TCP; co-located (ipc), within 1.5× of OpenMPI's
#   shared-memory default — at 16 and 64 MiB with 2 and 4 workers.
# Prints markdown and rewrites the section "aggregation" of docs/benchmarks.md.
#
# Usage: bench/aggregation.sh [--rounds N] [--steps N] [--no-peers] [--no-docs] [--no-wait]
# Environment: SHOAL_PEERS_DIR (default ../shared/bench/peers), SHOAL_PEERS_WORK (default ../peers),
#   SHOAL_BENCH_SCRATCH (default .build-bench).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
command_line="bench/aggregation.sh${*:+ $*}"
rounds=3 steps=13 run_peers=1 write_docs=1 wait_quiet=1
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --steps) steps=${2:?--steps needs a number}; shift 2 ;;
    --no-peers) run_peers=0; shift ;;
    --no-docs) write_docs=0; shift ;;
    --no-wait) wait_quiet=0; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "aggregation.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$rounds" "$steps"; do
  case $value in ''|*[!0-9]*|0) echo "aggregation.sh: --rounds and --steps take positive integers" >&2; exit 2 ;; esac
done

peers=${SHOAL_PEERS_DIR:-$root/../shared/bench/peers}
peers_work=${SHOAL_PEERS_WORK:-$root/../peers}
scratch=${SHOAL_BENCH_SCRATCH:-$root/.build-bench}
work=$here/work/aggregation   # gitignored
job_timeout=900 quiet_limit=600
bench_name=aggregation.sh
used_ports=" "
fail() { echo "aggregation.sh: $*" >&2; exit 1; }
for tool in swift timeout awk sort jq ss python3; do command -v "$tool" >/dev/null || fail "'$tool' is required"; done
if [ "$run_peers" = 1 ] && [ ! -x "$peers/run_peers.sh" ]; then fail "$peers/run_peers.sh is missing (or --no-peers)"; fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$work"; mkdir -p "$work"
echo "== building shoal (release, scratch $scratch)" >&2
(cd "$root" && swift build -c release --scratch-path "$scratch" --product shoal) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; fail "build failed (log: $work/build.log)"; }
shoal=$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/shoal


one_row_data "$work/data"
aggregation_job agg1 "[256, 1024]" "$steps" "$work/data" >"$work/agg1.yaml"
aggregation_job agg16 "[1024, 4096]" "$steps" "$work/data" >"$work/agg16.yaml"
aggregation_job agg64 "[2048, 8192]" "$steps" "$work/data" >"$work/agg64.yaml"

# measure ROUND TRANSPORT WORKERS SIZE: appends "t_ms vector_bytes" to shoal-TRANSPORT-WORKERS-SIZE.txt.
measure() {
  local dir=$work/run-$1-$2-$3-$4 line
  quiet_before "round $1 ($2, $3 workers, $4 MiB)"
  worker_endpoint_override=
  # tcp stands for workers on other hosts: no shared memory. ipc is workers on the coordinator's host, which
  # pass parameters and gradients through shared memory (/dev/shm) and use the socket for the small messages.
  cluster_args=(--no-shared-memory)
  [ "$2" = ipc ] && worker_endpoint_override=ipc://$dir/workers.ipc && cluster_args=()
  start_cluster "$dir" 1 "$3"
  find_children "$dir"
  wait_workers
  (cd "$dir" && timeout -k 5 "$job_timeout" "$shoal" submit "$work/agg$4.yaml" --wait --coordinator "$client") \
    >"$dir/submit.log" 2>&1 || fail "train job failed: $(tail -5 "$dir/submit.log")"
  line=$(python3 - "$dir/out/agg$4/metrics.csv" "$3" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))[2:-1]   # 2 warm-ups; the last step also writes the model
if not rows: sys.exit("too few steps: --steps must be at least 4")
n = int(sys.argv[2])
if any(int(r["workers"]) != n for r in rows): sys.exit(f"a step ran on other than {n} workers")
t = statistics.median(float(r["wall_ms"]) - float(r["compute_ms"]) - float(r["load_ms"]) for r in rows)
vector = int(rows[0]["bytes"]) // (2 * int(rows[0]["tasks"]))   # parameters out + float gradient back, per task
print(f"{t:.3f} {vector}")
PY
) || fail "cannot read $dir/out/agg$4/metrics.csv"
  echo "$line" >>"$work/shoal-$2-$3-$4.txt"
  printf '   %s, %s workers, %s MiB: %s ms per step outside compute\n' "$2" "$3" "$4" "${line%% *}" >&2
  stop_cluster "$dir"
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
start_seconds=$SECONDS
for round in $(seq "$rounds"); do
  for transport in tcp ipc; do
    for workers in 2 4; do
      for size in 1 16 64; do measure "$round" "$transport" "$workers" "$size"; done
    done
  done
done
worker_endpoint_override=

peer_note="OpenMPI not run (--no-peers)"
if [ "$run_peers" = 1 ]; then
  quiet_before "OpenMPI"
  echo "== peers: $peers/run_peers.sh $peers_work b3" >&2
  timeout -k 10 1800 "$peers/run_peers.sh" "$peers_work" b3 >"$work/peers.log" 2>&1 &
  groups=("$!")
  status=0
  wait "${groups[0]}" || status=$?
  groups=()
  [ "$status" = 0 ] || fail "run_peers.sh b3 exited with status $status (log: $work/peers.log)"
  # The log alternates a "# OpenMPI default…" or "# OpenMPI forced over TCP…" line with that run's B3 lines.
  awk '/^# OpenMPI default/ {mode = "shm"} /^# OpenMPI forced over TCP/ {mode = "tcp"}
       /^B3 mpi/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
                  print v["median_s"] * 1000 > ("'"$work"'/mpi-" mode "-" v["n"] "-" v["MiB"] ".txt")}' "$work/peers.log"
  peer_note="OpenMPI $(mpirun --version 2>/dev/null | head -1 | awk '{print $NF}') via run_peers.sh b3 in the same run"
fi
elapsed=$((SECONDS - start_seconds))

ms() { awk '{print $1}' "$1" >"$1.ms"; median "$1.ms"; }
fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN {printf "%." d "f", x}'; }
gbps() { awk -v b="$1" -v t="$2" 'BEGIN {printf "%.2f", b / (t / 1000) / 1e9}'; }
bus() { awk -v b="$1" -v t="$2" -v n="$3" 'BEGIN {printf "%.2f", b / (t / 1000) / 1e9 * 2 * (n - 1) / n}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }

table="| transport | workers | vector | Shoal t (ms) | Shoal algbw / busbw (GB/s) | OpenMPI t (ms) | OpenMPI algbw / busbw | Shoal ÷ OpenMPI time | target |
|---|---|---|---|---|---|---|---|---|"
for transport in tcp ipc; do
  if [ "$transport" = tcp ]; then mpi=tcp mpi_label="forced TCP"; target="≤ 1×"; else mpi=shm mpi_label="shared memory"; target="≤ 1.5×"; fi
  for workers in 2 4; do
    for size in 1 16 64; do
      f=$work/shoal-$transport-$workers-$size.txt
      t=$(ms "$f"); bytes=$(awk 'NR == 1 {print $2}' "$f")
      m=$work/mpi-$mpi-$workers-$size.txt
      if [ -s "$m" ]; then
        mt=$(median "$m"); mbytes=$((size * 1048576))
        mcell="$(fmt "$mt" 2) ($mpi_label) | $(gbps "$mbytes" "$mt") / $(bus "$mbytes" "$mt" "$workers") | $(ratio "$t" "$mt")"
      else
        mcell="— | — | —"
      fi
      [ "$size" = 1 ] && tcell="" || tcell=$target
      table+="
| $transport | $workers | $(awk -v b="$bytes" 'BEGIN {printf "%.2f MiB", b / 1048576}') | $(fmt "$t" 1) | $(gbps "$bytes" "$t") / $(bus "$bytes" "$t" "$workers") | $mcell | $tcell |"
    done
  done
done

machine="$(nproc) vCPU $(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
section=$(cat <<EOF
## Gradient aggregation through the coordinator (issue 5)

\`$command_line\`, $started, $machine; release build; $rounds round(s) of every Shoal row (median of the rounds'
medians over $((steps - 3)) steps each, after 2 warm-ups and without the last step, which writes the model); $peer_note. Took $((elapsed / 60)) min $((elapsed % 60)) s.

$table

Shoal's t is a training step's time outside computation: the coordinator sends the parameters to each worker
(one task each), each worker sends its Float32 gradient back, and the coordinator sums them and applies the
optimizer — a parameter server, through one process. tcp rows: loopback with shared memory off, as workers on
other hosts see it. ipc rows: workers on the coordinator's host, the parameters and gradients in shared-memory
segments (the socket carries their names). OpenMPI's Allreduce is a ring or a tree between the ranks themselves.
4 workers (or ranks) on 2 cores are oversubscribed.
EOF
)
printf '%s\n' "$section"
if [ "$write_docs" = 1 ]; then write_docs_section aggregation "$section" "$work"; fi

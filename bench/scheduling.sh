#!/usr/bin/env bash
# The scheduling benchmark of issue 3: 20,000 no-op tasks through the coordinator to 2 worker processes, in tasks/s,
# beside the peer systems re-measured in the same run, and the time from `shoal up` to the first task running.
#   Throughput: a local cluster (`shoal up --workers 2 --slots S` on free loopback ports, a fresh state directory),
#     `shoal submit` of a `kind: noop` job of 20,000 tasks with `--wait`; tasks/s = tasks / (finished_at −
#     submitted_at) of the job record (`shoal status JOB --json`), so client start-up is left out. S = 1 (one task
#     in flight per worker, like the peers' one thread each), S = 256 and S = 1024 (pipelined: more tasks in flight
#     hide the round trip through the coordinator's store). The cluster is stopped (SIGTERM
#     to the `shoal up` it started) after every round, and the script checks that none of its processes is left.
#   Start-up: t0 just before `shoal up --workers 2`, then at once `shoal submit --wait` of a 1-task noop job (ZeroMQ
#     holds the request until the coordinator binds); reports started_at − t0 (first attempt leased) and
#     finished_at − t0.
#   Peers: `../shared/bench/peers/run_peers.sh WORKDIR b1` once (multiprocessing.Pool, Dask, Ray: 20,000 no-op tasks,
#     2 processes × 1 thread), and the raw ZeroMQ limit `zmq_rt 2 100 100000` (pipelined 16-byte round trips).
#     multiprocessing.Pool, whose figure moves ±30% from one run to the next here, is also run once per throughput
#     round (`b1_tasks.py mp`, between the round's Shoal rows), so its row is a median over the same machine phases
#     as Shoal's, like theirs.
# Prints markdown tables and rewrites the section "Scheduling throughput" of docs/benchmarks.md.
#
# Usage: bench/scheduling.sh [--rounds N] [--startup-rounds N] [--tasks N] [--no-peers] [--no-docs] [--no-wait]
#   --rounds N          rounds of each throughput row (default 5)
#   --startup-rounds N  rounds of the start-up measurement (default 3)
#   --tasks N           tasks per throughput job (default 20000, as the peers)
#   --no-peers          skip run_peers.sh (it takes minutes); the table then has Shoal and raw ZeroMQ only
#   --no-docs           print the tables only; leave docs/benchmarks.md alone
#   --no-wait           do not wait (up to 10 minutes before each round) for the machine to go quiet
# Environment: SHOAL_PEERS_DIR (default ../shared/bench/peers), SHOAL_PEERS_WORK (run_peers.sh's WORKDIR, default
# ../peers), SHOAL_BENCH_SCRATCH (default .build-bench).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
command_line="bench/scheduling.sh${*:+ $*}"
rounds=5
startup_rounds=3
tasks=20000
run_peers=1
write_docs=1
wait_quiet=1
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --startup-rounds) startup_rounds=${2:?--startup-rounds needs a number}; shift 2 ;;
    --tasks) tasks=${2:?--tasks needs a number}; shift 2 ;;
    --no-peers) run_peers=0; shift ;;
    --no-docs) write_docs=0; shift ;;
    --no-wait) wait_quiet=0; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scheduling.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$rounds" "$startup_rounds" "$tasks"; do
  case $value in ''|*[!0-9]*|0) echo "scheduling.sh: --rounds, --startup-rounds and --tasks take positive integers" >&2
                                exit 2 ;; esac
done

peers=${SHOAL_PEERS_DIR:-$root/../shared/bench/peers}
peers_work=${SHOAL_PEERS_WORK:-$root/../peers}
[ -d "$peers_work" ] && peers_work=$(cd "$peers_work" && pwd)
scratch=${SHOAL_BENCH_SCRATCH:-$root/.build-bench}
work=$here/work/scheduling   # gitignored: job files, state directories, logs and raw figures of this run
slot_counts="1 256 1024"
job_timeout=300              # seconds a throughput or start-up job may take before the round fails
peers_timeout=3600           # seconds run_peers.sh may take (its first run generates a 340 MB CSV)
quiet_limit=600              # seconds to wait for a quiet machine before each round
zmq_rt_port=47311            # hard-coded in zmq_rt.c

for tool in swift timeout awk sort jq ss cc pkg-config date; do
  command -v "$tool" >/dev/null || { echo "scheduling.sh: '$tool' is required" >&2; exit 1; }
done
[ -f "$peers/zmq_rt.c" ] || { echo "scheduling.sh: $peers/zmq_rt.c is missing (set SHOAL_PEERS_DIR)" >&2; exit 1; }
if [ "$run_peers" = 1 ] && [ ! -x "$peers/run_peers.sh" ]; then
  echo "scheduling.sh: $peers/run_peers.sh is missing (set SHOAL_PEERS_DIR, or --no-peers)" >&2; exit 1
fi
if [ "$run_peers" = 1 ] && [ ! -f "$peers/b1_tasks.py" ]; then
  echo "scheduling.sh: $peers/b1_tasks.py is missing (set SHOAL_PEERS_DIR, or --no-peers)" >&2; exit 1
fi

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "scheduling.sh: $*" >&2; exit 1; }
bench_name=scheduling.sh

mkdir -p "$work"
echo "== building shoal (release, scratch $scratch)" >&2
(cd "$root" && swift build -c release --scratch-path "$scratch" --product shoal) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; fail "build failed (log: $work/build.log)"; }
shoal=$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/shoal
[ -x "$shoal" ] || fail "no shoal binary at $shoal"
echo "== compiling zmq_rt from $peers into $work" >&2
cc -O2 -o "$work/zmq_rt" "$peers/zmq_rt.c" -lzmq

# Busy share of all CPUs over one second, in percent, from /proc/stat.
# quiet LABEL: waits (up to $quiet_limit s) for the machine to be under 10% busy; notes how busy it was.
not_quiet=0
quiet() {
  local busy waited=0
  if [ "$wait_quiet" = 0 ]; then echo "$(busy_percent)" >>"$work/busy.txt"; return; fi
  while busy=$(busy_percent) && [ "$busy" -ge 10 ]; do
    if [ "$waited" -ge "$quiet_limit" ]; then
      echo "scheduling.sh: warning: still ${busy}% busy after ${quiet_limit} s; measuring $1 anyway" >&2
      not_quiet=$((not_quiet + 1)); break
    fi
    [ $((waited % 30)) = 0 ] && echo "== waiting for the machine to go quiet before $1 (${busy}% busy)" >&2
    waited=$((waited + 1))
  done
  echo "$busy" >>"$work/busy.txt"
}

# free_port: a loopback TCP port nothing uses (not even in TIME_WAIT), below the kernel's ephemeral range.
used_ports=" "

# check_job DIR TASKS: the job succeeded with every task.
check_job() {
  local state succeeded
  state=$(jq -r '.jobs[0].record.state' "$1/status.json")
  succeeded=$(jq -r '.jobs[0].counts.succeeded' "$1/status.json")
  [ "$state" = succeeded ] && [ "$succeeded" = "$2" ] \
    || fail "job ended $state with $succeeded/$2 tasks succeeded (logs: $1/state/logs, $1/submit.log)"
}

printf 'kind: noop\nname: scheduling\ntasks: %s\nspeculation: false\n' "$tasks" >"$work/throughput.yaml"
printf 'kind: noop\nname: startup\ntasks: 1\nspeculation: false\n' >"$work/startup.yaml"
rm -f "$work"/*.txt "$work/peers.log" "$work/zmq_rt.log"   # raw figures of an earlier run

# cpu_mark: "busy_jiffies total_jiffies our_jiffies" now: all CPUs from /proc/stat, and the CPU time of the cluster
# this script started and of its finished children (the `shoal submit --wait` client). others_share MARK1 MARK2: the
# share of all CPUs that other processes used in between, in percent.
cpu_mark() {
  local ours=0 pid
  for pid in "$up_pid" "$coordinator_pid" "${worker_pids[@]}"; do
    [ -n "$pid" ] || continue
    ours=$((ours + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  # Plus what this script's finished children used (cutime + cstime): the `shoal` clients, the probes.
  ours=$((ours + $(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$$/stat")))
  echo "$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat) $ours"
}

# pool_round ROUND: multiprocessing.Pool's run of the peers' own script (`b1_tasks.py mp`), once per throughput round;
# appends tasks/s to peer_mp.txt, where run_peers.sh's figure joins them. The Python of run_peers.sh's virtualenv
# when it exists (the same interpreter as the peers' run), else python3: the Pool needs only the standard library.
pool_round() {
  local python=python3 out
  [ -x "$peers_work/venv/bin/python" ] && python=$peers_work/venv/bin/python
  quiet "multiprocessing.Pool round $1"
  echo "== round $1/$rounds: multiprocessing.Pool(2), ${tasks} no-op tasks" >&2
  out=$(timeout -k 5 300 "$python" "$peers/b1_tasks.py" mp "$tasks" 2>&1) || fail "b1_tasks.py mp failed: $out"
  sed -n "s|^B1 mp tasks=[0-9]* seconds=[0-9.]* tasks_per_s=\([0-9.]*\).*|\1|p" <<<"$out" >>"$work/peer_mp.txt"
}

# throughput ROUND SLOTS: one 20,000-task job on a fresh cluster; appends tasks/s to s$SLOTS.txt. A round during
# which other processes took 10% or more of the CPUs (a build started meanwhile) is discarded and run again, up to
# 3 times; the third is kept and counted as disturbed.
disturbed=0 repeated=0
throughput() {
  local dir=$work/round-$1-slots-$2 rate retries before others try
  for try in 1 2 3; do
    quiet "throughput round $1 (slots $2)"
    echo "== round $1/$rounds: ${tasks} no-op tasks, 2 workers × $2 slot(s)" >&2
    start_cluster "$dir" "$2"
    find_children "$dir"
    wait_workers
    before=$(cpu_mark)
    (cd "$dir" && timeout -k 5 "$job_timeout" "$shoal" submit "$work/throughput.yaml" --wait --coordinator "$client") \
      >"$dir/submit.log" 2>&1 || fail "shoal submit --wait failed: $(tail -5 "$dir/submit.log") (logs: $dir/state/logs)"
    others=$(others_share "$before" "$(cpu_mark)")
    job_record "$dir" 1
    check_job "$dir" "$tasks"
    rate=$(jq -r --argjson n "$tasks" '.jobs[0].record | $n / (.finishedAt - .submittedAt)' "$dir/status.json")
    retries=$(jq -r '.jobs[0].retries' "$dir/status.json")
    stop_cluster "$dir"
    if [ "$others" -lt 10 ]; then break; fi
    if [ "$try" = 3 ]; then disturbed=$((disturbed + 1)); break; fi
    printf '   %.0f tasks/s, but other processes used %s%% of the CPUs meanwhile: discarded, running it again\n' \
      "$rate" "$others" >&2
    repeated=$((repeated + 1))
  done
  echo "$rate" >>"$work/s$2.txt"
  echo "$retries" >>"$work/retries.txt"
  echo "$others" >>"$work/others.txt"
  printf '   %.0f tasks/s, %s retries; other processes used %s%% of the CPUs\n' "$rate" "$retries" "$others" >&2
}

# startup ROUND: t0, then `shoal up --workers 2` and at once `shoal submit --wait` of a 1-task job.
startup() {
  local dir=$work/startup-$1 accepted first finished
  quiet "start-up round $1"
  echo "== start-up round $1/$startup_rounds" >&2
  start_cluster "$dir" default   # sets launched_at, t0: just before `shoal up` is started
  (cd "$dir" && timeout -k 5 60 "$shoal" submit "$work/startup.yaml" --wait --coordinator "$client") \
    >"$dir/submit.log" 2>&1 || fail "start-up: shoal submit --wait failed: $(tail -5 "$dir/submit.log")"
  find_children "$dir"
  job_record "$dir" 1
  check_job "$dir" 1
  jq -r --argjson t0 "$launched_at" '.jobs[0].record | "\(.submittedAt - $t0) \(.startedAt - $t0) \(.finishedAt - $t0)"' \
    "$dir/status.json" >"$dir/times.txt"
  read -r accepted first finished <"$dir/times.txt"
  echo "$accepted" >>"$work/startup_accepted.txt"
  echo "$first" >>"$work/startup_first.txt"
  echo "$finished" >>"$work/startup_done.txt"
  printf '   accepted %.3f s, first task running %.3f s, finished %.3f s after t0\n' "$accepted" "$first" "$finished" >&2
  stop_cluster "$dir"
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
start_seconds=$SECONDS
for round in $(seq "$rounds"); do
  # Alternate which row goes first, so neither always runs on a machine just warmed by the other.
  if [ $((round % 2)) = 1 ]; then order=$slot_counts; else order=$(echo "$slot_counts" | tr ' ' '\n' | sort -rn | tr '\n' ' '); fi
  for slots in $order; do throughput "$round" "$slots"; done
  if [ "$run_peers" = 1 ]; then pool_round "$round"; fi
done
for round in $(seq "$startup_rounds"); do startup "$round"; done

# The raw ZeroMQ limit: pipelined 16-byte round trips, ROUTER echo <-> 2 DEALER processes (as run_peers.sh probes).
if ss -Htln "sport = :$zmq_rt_port" | grep -q .; then fail "tcp port $zmq_rt_port (zmq_rt's) is in use"; fi
for round in $(seq 3); do
  quiet "zmq_rt round $round"
  echo "== raw ZeroMQ round trips, round $round/3" >&2
  timeout -k 5 120 "$work/zmq_rt" 2 100 100000 >"$work/zmq_rt.out" 2>&1 &
  groups=("$!")
  wait "${groups[0]}" || fail "zmq_rt failed: $(cat "$work/zmq_rt.out")"
  groups=()
  cat "$work/zmq_rt.out" >>"$work/zmq_rt.log"
  sed -n 's|.* rate=\([0-9.]*\)/s.*|\1|p' "$work/zmq_rt.out" >>"$work/zmq_rt.txt"
done

peer_note="peers not run (--no-peers)"
if [ "$run_peers" = 1 ]; then
  quiet "the peers"
  echo "== peers: $peers/run_peers.sh $peers_work b1 (minutes)" >&2
  timeout -k 10 "$peers_timeout" "$peers/run_peers.sh" "$peers_work" b1 >"$work/peers.log" 2>&1 &
  groups=("$!")
  peers_status=0
  wait "${groups[0]}" || peers_status=$?
  groups=()
  for system in mp dask ray; do
    sed -n "s|^B1 $system tasks=[0-9]* seconds=[0-9.]* tasks_per_s=\([0-9.]*\).*|\1|p" "$work/peers.log" \
      >>"$work/peer_$system.txt"
  done
  versions=$("$peers_work/venv/bin/python" -c '
import sys, dask, distributed, ray
print(f"Python {sys.version.split()[0]}, Dask distributed {distributed.__version__}, Ray {ray.__version__}")' 2>/dev/null \
    || echo "versions unknown")
  peer_note="run_peers.sh exited with status $peers_status; $versions"
  [ "$peers_status" = 0 ] || echo "scheduling.sh: warning: run_peers.sh exited with status $peers_status (log: $work/peers.log)" >&2
fi
elapsed=$((SECONDS - start_seconds))

# median FILE; stats FILE DIGITS: "median (min–max)", or the value alone for one figure; whole numbers are
# written with thousands separators.
awk_format='function fmt(x, d,   s) {s = sprintf("%." d "f", x)
  if (d == 0) while (match(s, /[0-9][0-9][0-9][0-9]($|,)/)) s = substr(s, 1, RSTART) "," substr(s, RSTART + 1)
  return s}'
stats() {
  local m
  m=$(median "$1")
  sort -g "$1" | awk -v m="$m" -v d="$2" "$awk_format"'
    {v[NR]=$1} END {if (NR == 1) printf("%s (one run)", fmt(m, d)); else printf("%s (%s–%s)", fmt(m, d), fmt(v[1], d), fmt(v[NR], d))}'
}
grouped() { awk -v x="$1" "$awk_format"' BEGIN {print fmt(x, 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {r = a / b; printf (r >= 10) ? "%.0f×" : (r >= 1) ? "%.2f×" : "%.3f×", r}'; }
s1=$(median "$work/s1.txt") s256=$(median "$work/s256.txt") s1024=$(median "$work/s1024.txt")
best=$(printf '%s\n%s\n%s\n' "$s1" "$s256" "$s1024" | sort -g | tail -1)
row() {  # row LABEL FILE: one system's line, with Shoal's 1-slot row and its best row divided by its median
  local m
  [ -s "$2" ] || { printf '| %s | failed (see the log) | – | – |\n' "$1"; return; }
  m=$(median "$2")
  printf '| %s | %s | %s | %s |\n' "$1" "$(stats "$2" 0)" "$(ratio "$s1" "$m")" "$(ratio "$best" "$m")"
}
{
  echo "| system (2 worker processes, loopback) | tasks/s, median (min–max) | Shoal 1 slot ÷ system | Shoal's best ÷ system |"
  echo "|---|---|---|---|"
  row "**Shoal**, 2 workers × 1 slot (\`shoal up --slots 1\`)" "$work/s1.txt"
  row "**Shoal**, 2 workers × 256 slots (\`shoal up --slots 256\`)" "$work/s256.txt"
  row "**Shoal**, 2 workers × 1,024 slots (\`shoal up --slots 1024\`)" "$work/s1024.txt"
  if [ "$run_peers" = 1 ]; then
    row "multiprocessing.Pool(2), chunksize=1 (one run per round and run_peers.sh's)" "$work/peer_mp.txt"
    row "Dask distributed LocalCluster, 2 workers × 1 thread" "$work/peer_dask.txt"
    row "Ray, num_cpus=2" "$work/peer_ray.txt"
  fi
  row "raw ZeroMQ: pipelined 16 B round trips (\`zmq_rt 2 100 100000\`), not tasks" "$work/zmq_rt.txt"
} >"$work/table.md"
{
  echo "| from t0, just before \`shoal up --workers 2\` | seconds, median (min–max) |"
  echo "|---|---|"
  echo "| 1-task job accepted (\`submitted_at\`) | $(stats "$work/startup_accepted.txt" 3) |"
  echo "| first task running (\`started_at\`, its attempt leased) | $(stats "$work/startup_first.txt" 3) |"
  echo "| 1-task job finished (\`finished_at\`) | $(stats "$work/startup_done.txt" 3) |"
} >"$work/startup.md"

# The target of issue 3: at least 100,000 tasks/s; over 150× Ray, 6× multiprocessing.Pool, within 5× of raw ZeroMQ.
verdict() { if awk "BEGIN {exit !($1)}"; then echo "met"; else echo "**not met**"; fi; }
target_lines="- At least 100,000 tasks/s: $(verdict "$best >= 100000") (best median $(grouped "$best") tasks/s, $(awk -v b="$best" 'BEGIN {printf "%.1f", 100*b/100000}')% of the target)."
if [ "$run_peers" = 1 ] && [ -s "$work/peer_ray.txt" ]; then
  target_lines="$target_lines
- Over 150× Ray: $(verdict "$best / $(median "$work/peer_ray.txt") > 150") ($(ratio "$best" "$(median "$work/peer_ray.txt")"))."
fi
if [ "$run_peers" = 1 ] && [ -s "$work/peer_mp.txt" ]; then
  target_lines="$target_lines
- Over 6× multiprocessing.Pool: $(verdict "$best / $(median "$work/peer_mp.txt") > 6") ($(ratio "$best" "$(median "$work/peer_mp.txt")"))."
fi
raw=$(median "$work/zmq_rt.txt")
target_lines="$target_lines
- Within 5× of raw ZeroMQ round trips: $(verdict "$raw / $best <= 5") (raw ZeroMQ is $(ratio "$raw" "$best") Shoal's best)."
retries_total=$(awk '{s+=$1} END {print s+0}' "$work/retries.txt")
busy_range=$(sort -n "$work/busy.txt" | awk 'NR==1{lo=$1} {hi=$1} END {print lo "–" hi}')
if [ "$wait_quiet" = 0 ]; then
  quiet_note="started without waiting for quiet (--no-wait); ${busy_range}% busy before the rounds"
elif [ "$not_quiet" = 0 ]; then
  quiet_note="every round started on a quiet machine (<10% busy; ${busy_range}% measured just before)"
else
  quiet_note="$not_quiet round(s) started on a busy machine after waiting ${quiet_limit} s (${busy_range}% busy); figures are less reliable"
fi
others_max=$(sort -n "$work/others.txt" | tail -1)
others_note="other processes used at most ${others_max}% of the CPUs during a kept round"
[ "$repeated" = 0 ] || others_note="$others_note; $repeated round(s) disturbed by other work were discarded and run again"
[ "$disturbed" = 0 ] || others_note="$others_note; **$disturbed round(s) kept although disturbed three times**"
leftover_note="no process outlived its round"
[ "$leftovers" = 0 ] || leftover_note="**$leftovers process(es) outlived \`shoal up\`'s SIGTERM and were killed** (see the run's output)"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then commit="$commit + uncommitted changes"; fi

. /etc/os-release 2>/dev/null || PRETTY_NAME=$(uname -sr)
machine="$(nproc) CPUs ($(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)), \
$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, ${PRETTY_NAME}, kernel $(uname -r), \
libzmq $(pkg-config --modversion libzmq), $(swift --version 2>&1 | head -1)"

table=$(cat "$work/table.md")
startup_table=$(cat "$work/startup.md")
section=$(cat <<EOF
## Scheduling throughput: $(grouped "$tasks") no-op tasks, 2 worker processes

Issue 3's target: at least 100,000 tasks/s through the coordinator to 2 worker processes — over 150× Ray,
6× multiprocessing.Pool, within 5× of raw ZeroMQ round trips.

${target_lines}

${table}

Start-up, the time a user waits from \`shoal up\` to a task running (PEERS.md: Ray ~7 s, Dask ~2 s before the first
task; \`b1_tasks.py\` does not time it, so the peers are not re-measured here):

${startup_table}

- Machine: ${machine}.
- Build: commit ${commit}, \`swift build -c release --product shoal\`.
- Run: ${started}, ${rounds} rounds per Shoal row (order alternated), ${startup_rounds} start-up rounds, 3 \`zmq_rt\`
  runs, multiprocessing.Pool once per round and the peers once; ${elapsed} s in all; ${quiet_note}; ${others_note}. ${retries_total} retries over all Shoal jobs;
  ${leftover_note}.
- Command: \`${command_line}\` (from the repository root; needs \`../shared/bench/peers\` and, for the peers,
  the virtualenv \`run_peers.sh\` keeps in its WORKDIR, here \`${peers_work}\`).
- Shoal rows: every round is a fresh cluster, \`shoal up --workers 2 --slots S --state-dir DIR\` on free
  \`tcp://127.0.0.1\` ports, then \`shoal submit\` (\`--wait\`) of \`{kind: noop, tasks: ${tasks}, speculation: false}\`
  once both workers have registered; tasks/s = ${tasks} / (\`finishedAt\` − \`submittedAt\`) of the job record in
  \`shoal status 1 --json\`: from the coordinator accepting the job (planned, before its tasks are stored) to the
  last task committed, so the clients' start-up is left out. Every job succeeded with all its tasks. 1 slot: one
  task in flight per worker, like the peers' one thread per process; 256 and 1,024 slots: up to 512 and 2,048 tasks
  in flight (the peers' queues are unbounded: multiprocessing.Pool, Dask and Ray take every task submitted at
  once). A task's lease is stored before its TASK leaves and its result after it comes back, so the slots a
  worker holds are what hides that round trip (about 6 ms under load here).
- Peers: \`run_peers.sh WORKDIR b1\` runs \`b1_tasks.py\` for multiprocessing, Dask and Ray (${peer_note}):
  ${tasks} tasks of \`def noop(x): return x\` on 2 processes × 1 thread, timed from the first submit to the last
  result after a 100-task warm-up, one run each; multiprocessing.Pool also once per throughput round, between
  its Shoal rows (the same script; its figure moved ±30% between back-to-back runs here). Raw ZeroMQ: \`zmq_rt 2 100 100000\` from \`../shared/bench/peers\`
  (compiled with \`cc -O2\` at run time), 16-byte messages echoed by a ROUTER to 2 DEALER processes, 100 in flight
  each: the transport's limit, not a scheduler.
- Start-up: t0 is taken just before \`shoal up --workers 2\` starts (default slots, a fresh state directory), then
  \`shoal submit --wait\` of a 1-task noop job is started at once; ZeroMQ holds the request until the coordinator
  binds. The seconds are the job record's Unix timestamps minus t0.
EOF
)

echo
echo "$table"
echo
echo "$startup_table"
echo
echo "$target_lines"
echo "Logs and raw figures: $work"

if [ "$write_docs" = 1 ]; then write_docs_section scheduling "$section" "$work"; fi

#!/usr/bin/env bash
# The coordinator-scale benchmark of issue 3: one job of 1,000,000 no-op tasks on 32 worker processes: dispatch
# rate, the coordinator's peak RSS, and the time to recover after kill -9. Two runs, each on a fresh state directory
# and free loopback ports, with a coordinator (`shoal coordinator --ready-file F`) and 32 workers (`shoal worker
# --slots 16`) started by this script:
#   Run 1 (throughput): `shoal submit` of `{kind: noop, tasks: 1000000, speculation: false}`, timed to its answer
#     (planning and storing the tasks); then `shoal status JOB --json` once a second until the job ends: succeeded
#     count against time, and the coordinator's VmRSS/VmHWM from /proc.
#   Run 2 (recovery): the same job; once 40% of its tasks have succeeded, kill -9 the coordinator and start it again
#     on the same state directory and endpoints. Times from the restart: to its ready file, to the first status
#     answer (the engine answers clients only once it has reloaded the state), to the first task committed after
#     the restart. The job must then finish succeeded with every task and no failed task.
# Prints a markdown table and rewrites the section "Coordinator scale" of docs/benchmarks.md. Exits 1 when a job
# does not succeed with all its tasks.
#
# Usage: bench/scale.sh [--tasks N] [--workers N] [--slots N] [--kill-at PERCENT] [--heartbeat-timeout S]
#                       [--job-timeout S] [--no-docs] [--no-wait]
#   --tasks N              tasks of the job (default 1000000)
#   --workers N            worker processes (default 32)
#   --slots N              slots per worker (default 16)
#   --kill-at PERCENT      kill -9 the coordinator once this share of the tasks has succeeded (default 40)
#   --heartbeat-timeout S  passed to the coordinator, which hands it to its workers (default: the cluster default)
#   --job-timeout S        give up on a run after this many seconds (default 1800)
#   --no-docs              print the table only; leave docs/benchmarks.md alone
#   --no-wait              do not wait (up to 10 minutes before each run) for the machine to go quiet
# Environment: SHOAL_BENCH_SCRATCH (default .build-bench).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
command_line="bench/scale.sh${*:+ $*}"
tasks=1000000
workers=32
slots=16
kill_at=40
heartbeat_timeout=
job_timeout=1800
write_docs=1
wait_quiet=1
while [ $# -gt 0 ]; do
  case $1 in
    --tasks) tasks=${2:?--tasks needs a number}; shift 2 ;;
    --workers) workers=${2:?--workers needs a number}; shift 2 ;;
    --slots) slots=${2:?--slots needs a number}; shift 2 ;;
    --kill-at) kill_at=${2:?--kill-at needs a percentage}; shift 2 ;;
    --heartbeat-timeout) heartbeat_timeout=${2:?--heartbeat-timeout needs seconds}; shift 2 ;;
    --job-timeout) job_timeout=${2:?--job-timeout needs seconds}; shift 2 ;;
    --no-docs) write_docs=0; shift ;;
    --no-wait) wait_quiet=0; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$tasks" "$workers" "$slots" "$job_timeout"; do
  case $value in ''|*[!0-9]*|0) echo "scale.sh: --tasks, --workers, --slots and --job-timeout take positive integers" >&2
                                exit 2 ;; esac
done
case $kill_at in ''|*[!0-9]*) echo "scale.sh: --kill-at takes a whole percentage, 1…99" >&2; exit 2 ;; esac
[ "$kill_at" -ge 1 ] && [ "$kill_at" -le 99 ] || { echo "scale.sh: --kill-at takes a whole percentage, 1…99" >&2; exit 2; }
if [ -n "$heartbeat_timeout" ] && ! awk -v h="$heartbeat_timeout" 'BEGIN {exit !(h + 0 > 0)}'; then
  echo "scale.sh: --heartbeat-timeout takes a positive number of seconds" >&2; exit 2
fi

scratch=${SHOAL_BENCH_SCRATCH:-$root/.build-bench}
work=$here/work/scale   # gitignored: job file, logs, samples; the state directories are removed after each run
quiet_limit=600         # seconds to wait for a quiet machine before each run
recovery_limit=120      # seconds the restarted coordinator may take to answer, and to commit a new task

for tool in swift timeout awk sort jq ss date du; do
  command -v "$tool" >/dev/null || { echo "scale.sh: '$tool' is required" >&2; exit 1; }
done

# Every process this script starts is remembered by its PID (the coordinator and each worker; none of them forks
# anything for noop tasks). On any exit whatever is still alive gets SIGTERM, then SIGKILL, and the state directory
# of the run in progress is removed.
pids=()
state_dir=
cleanup() {
  local pid deadline
  for pid in "${pids[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  [ -z "$state_dir" ] || rm -rf "$state_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "scale.sh: $*" >&2; exit 1; }

mkdir -p "$work"
echo "== building shoal (release, scratch $scratch)" >&2
(cd "$root" && swift build -c release --scratch-path "$scratch" --product shoal) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; fail "build failed (log: $work/build.log)"; }
shoal=$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/shoal
[ -x "$shoal" ] || fail "no shoal binary at $shoal"

busy_notes=()
quiet() {          # quiet LABEL: waits (up to $quiet_limit s) for the machine to be under 10% busy
  local busy waited=0
  if [ "$wait_quiet" = 0 ]; then busy_notes+=("$1: $(busy_percent)% busy, not waited for"); return; fi
  while busy=$(busy_percent) && [ "$busy" -ge 10 ]; do
    if [ "$waited" -ge "$quiet_limit" ]; then
      echo "scale.sh: warning: still ${busy}% busy after ${quiet_limit} s; starting $1 anyway" >&2
      busy_notes+=("$1: **${busy}% busy after waiting ${quiet_limit} s**"); return
    fi
    [ $((waited % 30)) = 0 ] && echo "== waiting for the machine to go quiet before $1 (${busy}% busy)" >&2
    waited=$((waited + 1))
  done
  busy_notes+=("$1: quiet (${busy}% busy)")
}

used_ports=" "
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
proc_kib() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status" 2>/dev/null || true; }   # proc_kib FIELD PID

# cpu_mark: "busy_jiffies total_jiffies our_jiffies" now: all CPUs from /proc/stat, and the CPU time of the
# coordinator and workers this script started and of its finished children (the `shoal` clients). others_share
# MARK1 MARK2: the share of all CPUs that other processes (someone's build) used in between, in percent.
cpu_mark() {
  local ours=0 pid
  for pid in "${pids[@]}"; do
    ours=$((ours + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  # Plus what this script's finished children used (cutime + cstime): the `shoal` clients, the probes.
  ours=$((ours + $(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$$/stat")))
  echo "$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat) $ours"
}

# The run in progress.
dir= client= coordinator_args=() coordinator_pid= worker_pids=() job=
start_coordinator() {   # start_coordinator LOG READY_FILE
  rm -f "$2"
  (cd "$dir" && exec "$shoal" coordinator "${coordinator_args[@]}" --ready-file "$2") >"$dir/$1" 2>&1 &
  coordinator_pid=$!
  pids+=("$coordinator_pid")
}
wait_ready() {          # wait_ready READY_FILE LOG: polls every 10 ms, up to 60 s
  local deadline=$((SECONDS + 60))
  until [ -f "$1" ]; do
    alive "$coordinator_pid" || fail "the coordinator exited: $(tail -20 "$dir/$2")"
    [ $SECONDS -lt $deadline ] || fail "no ready file after 60 s ($dir/$2)"
    sleep 0.01
  done
}
start_cluster() {       # start_cluster NAME: a fresh state directory, ports, a coordinator and the workers
  local wport cport eport i
  dir=$work/$1
  rm -rf "$dir"; mkdir -p "$dir"
  state_dir=$dir/state
  wport=$(free_port) cport=$(free_port) eport=$(free_port)
  client=tcp://127.0.0.1:$cport
  coordinator_args=(--state-dir "$state_dir" --worker-endpoint "tcp://127.0.0.1:$wport" --client-endpoint "$client"
                    --events-endpoint "tcp://127.0.0.1:$eport")
  [ -z "$heartbeat_timeout" ] || coordinator_args+=(--heartbeat-timeout "$heartbeat_timeout")
  start_coordinator coordinator.log "$dir/ready.json"
  wait_ready "$dir/ready.json" coordinator.log
  worker_pids=()
  for i in $(seq "$workers"); do
    (cd "$dir" && exec "$shoal" worker --coordinator "tcp://127.0.0.1:$wport" --slots "$slots" --id "scale-$i" \
       --drain-timeout 2) >"$dir/worker-$i.log" 2>&1 &
    worker_pids+=("$!")
    pids+=("$!")
  done
  local deadline=$((SECONDS + 60)) count
  until count=$(timeout 20 "$shoal" workers --json --coordinator "$client" 2>/dev/null | jq length) \
        && [ "${count:-0}" -ge "$workers" ]; do
    [ $SECONDS -lt $deadline ] || fail "only ${count:-0} of $workers workers registered after 60 s"
    sleep 0.2
  done
}
leftovers=0
stop_cluster() {        # workers first (they drain and leave), then the coordinator; leftovers are reported
  local pid deadline
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 20))
  for pid in "${worker_pids[@]}"; do while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done; done
  kill -TERM "$coordinator_pid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while alive "$coordinator_pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  for pid in "${worker_pids[@]}" "$coordinator_pid"; do
    if alive "$pid"; then
      echo "scale.sh: process $pid did not stop within 20 s of SIGTERM; killing it" >&2
      leftovers=$((leftovers + 1)); kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  du -sk "$state_dir" 2>/dev/null | awk '{print $1}' >"$dir/state_kib.txt" || true
  rm -rf "$state_dir"; state_dir=
}
submit() {              # submit: the job, timed from before `shoal submit` to its answer; sets $job
  local t0 t1
  t0=$(now)
  (cd "$dir" && timeout -k 5 600 "$shoal" submit "$work/scale.yaml" --coordinator "$client" --timeout 590) \
    >"$dir/submit.log" 2>&1 || fail "shoal submit failed: $(cat "$dir/submit.log")"
  t1=$(now)
  job=$(sed -n 's/^job \([0-9]*\).*/\1/p' "$dir/submit.log" | head -1)
  [ -n "$job" ] || fail "no job id in: $(cat "$dir/submit.log")"
  elapsed "$t0" "$t1" >"$dir/accept_seconds.txt"
}
# sample: one `shoal status JOB --json`; sets s_state, s_succeeded, s_failed; appends
# "time state succeeded running queued failed retries rss_kib hwm_kib" to $dir/samples.txt.
s_state= s_succeeded=0 s_failed=0
sample() {
  local json t running queued retries
  if ! json=$(timeout 60 "$shoal" status "$job" --json --coordinator "$client" --timeout 50 2>>"$dir/status.err"); then
    s_state=unanswered; echo "$(now) unanswered" >>"$dir/samples.txt"; return
  fi
  t=$(now)
  printf '%s\n' "$json" >"$dir/last-status.json"
  read -r s_state s_succeeded running queued s_failed retries < <(jq -r '.jobs[0] |
    "\(.record.state) \(.counts.succeeded) \(.counts.running) \(.counts.queued) \(.counts.failed) \(.retries)"' \
    <<<"$json")
  echo "$t $s_state $s_succeeded $running $queued $s_failed $retries $(proc_kib VmRSS "$coordinator_pid") $(proc_kib VmHWM "$coordinator_pid")" \
    >>"$dir/samples.txt"
}
terminal() { case $s_state in succeeded|failed|cancelled) return 0 ;; *) return 1 ;; esac; }
follow() {              # follow: a status sample once a second until the job ends (or $job_timeout)
  local deadline=$((SECONDS + job_timeout))
  while :; do
    sample
    terminal && return 0
    [ $SECONDS -lt $deadline ] || { echo "scale.sh: job still $s_state after $job_timeout s" >&2; return 1; }
    sleep 1
  done
}
# verdict_job: writes the final job facts to $dir/final.txt, the first failed attempt's reason to
# $dir/trouble.txt; returns 1 unless the job succeeded with every task, no failed task and no attempt listed that
# counts against its task (failed, lost, hung, timed-out; `unreported` re-runs after a restart are not failures).
problems=0
verdict_job() {
  local f=$dir/last-status.json
  timeout 60 "$shoal" status "$job" --json --coordinator "$client" --timeout 50 >"$f" 2>>"$dir/status.err" || true
  timeout 60 "$shoal" logs "$job" --coordinator "$client" --timeout 50 >"$dir/logs.txt" 2>&1 || true
  jq -r '.jobs[0] | "\(.record.state) \(.counts.succeeded) \(.counts.failed) \(.counts.cancelled) \(.retries) \(.troubles | map(select(.ending == "failed" or .ending == "lost" or .ending == "hung" or .ending == "timed-out")) | length) \(.record.submittedAt) \(.record.startedAt) \(.record.finishedAt)"' \
    "$f" >"$dir/final.txt" 2>/dev/null || echo "unknown 0 0 0 0 0 0 0 0" >"$dir/final.txt"
  jq -r '.jobs[0].record.error // ""' "$f" >"$dir/error.txt" 2>/dev/null || true
  jq -r '.jobs[0].troubles[0] // empty | "\(.ending): \(.error)"' "$f" >"$dir/trouble.txt" 2>/dev/null || true
  jq -r '[.jobs[0].troubles[].ending] | group_by(.) | map("\(.[0]) × \(length)") | join(", ")' "$f" \
    >"$dir/endings.txt" 2>/dev/null || true
  read -r f_state f_succeeded f_failed f_cancelled f_retries f_troubles f_submitted f_started f_finished <"$dir/final.txt"
  if [ "$f_state" = succeeded ] && [ "$f_succeeded" = "$tasks" ] && [ "$f_failed" = 0 ] && [ "$f_troubles" = 0 ]; then
    return 0
  fi
  problems=$((problems + 1))
  echo "scale.sh: job $job of $(basename "$dir") ended $f_state: $f_succeeded/$tasks succeeded, $f_failed failed tasks, $f_retries retries, failed attempts listed: $f_troubles${f_troubles:+ (first: $(cat "$dir/trouble.txt"))}; job error: $(cat "$dir/error.txt") (logs: $dir)" >&2
  return 1
}
# rate_between LO HI: tasks/s between the first samples at or above LO and HI succeeded tasks (linear, from polls).
rate_between() {
  awk -v lo="$1" -v hi="$2" '$2 != "unanswered" && $3 >= lo && !a {ta = $1; sa = $3; a = 1}
    $2 != "unanswered" && $3 >= hi && !b {tb = $1; sb = $3; b = 1}
    END {if (a && b && tb > ta) printf "%.0f", (sb - sa) / (tb - ta); else print ""}' "$dir/samples.txt"
}
mib() { awk -v k="$1" 'BEGIN {if (k == "") print "?"; else printf "%.0f", k / 1024}'; }
grouped() {             # grouped N: a whole number with thousands separators ("?" when empty)
  awk -v x="$1" 'BEGIN {if (x == "") {print "?"; exit} s = sprintf("%.0f", x)
    while (match(s, /[0-9][0-9][0-9][0-9]($|,)/)) s = substr(s, 1, RSTART) "," substr(s, RSTART + 1); print s}'
}

printf 'kind: noop\nname: scale\ntasks: %s\nspeculation: false\n' "$tasks" >"$work/scale.yaml"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
start_seconds=$SECONDS

# Run 1: throughput and memory.
quiet "run 1"
echo "== run 1: $tasks no-op tasks, $workers workers × $slots slots" >&2
start_cluster run1
cpu_before=$(cpu_mark)
submit
printf '   accepted in %s s (job %s)\n' "$(cat "$dir/accept_seconds.txt")" "$job" >&2
follow || true
others=$(others_share "$cpu_before" "$(cpu_mark)")
run1_hwm=$(proc_kib VmHWM "$coordinator_pid")
run1_ok=1; verdict_job || run1_ok=0
run1_dir=$dir run1_job=$job
run1_final=$(cat "$dir/final.txt") run1_error=$(cat "$dir/error.txt") run1_trouble=$(cat "$dir/trouble.txt")
run1_endings=$(cat "$dir/endings.txt")
run1_accept=$(cat "$dir/accept_seconds.txt")
run1_steady=$(rate_between $((tasks / 10)) $((tasks * 9 / 10)))
stop_cluster
read -r r1_state r1_succeeded _ _ r1_retries r1_troubles r1_submitted r1_started r1_finished <<<"$run1_final"
if [ "$r1_state" = succeeded ]; then
  run1_rate=$(awk -v n="$tasks" -v a="$r1_started" -v b="$r1_finished" 'BEGIN {printf "%.0f", n / (b - a)}')
  run1_rate_all=$(awk -v n="$tasks" -v a="$r1_submitted" -v b="$r1_finished" 'BEGIN {printf "%.0f", n / (b - a)}')
  run1_wall=$(elapsed "$r1_submitted" "$r1_finished")
fi
printf '   run 1: %s, %s/%s succeeded, %s retries; coordinator peak RSS %s MiB\n' \
  "$r1_state" "$r1_succeeded" "$tasks" "$r1_retries" "$(mib "$run1_hwm")" >&2

# Run 2: kill -9 at $kill_at% and recovery.
quiet "run 2"
echo "== run 2: the same job; kill -9 the coordinator at ${kill_at}% and restart it" >&2
start_cluster run2
submit
threshold=$((tasks * kill_at / 100))
deadline=$((SECONDS + job_timeout))
reached=0
while :; do
  sample
  if terminal; then break; fi
  if [ "$s_state" != unanswered ] && [ "$s_succeeded" -ge "$threshold" ]; then reached=1; break; fi
  [ $SECONDS -lt $deadline ] || break
  sleep 1
done
run2_recovered=0 t_restart= t_ready= t_answer= t_first_new= first_new_note= baseline= first_state= killed_at_succeeded=
run2_hwm_before= run2_hwm=
if [ "$reached" = 1 ]; then
  killed_at_succeeded=$s_succeeded
  run2_hwm_before=$(proc_kib VmHWM "$coordinator_pid")
  old_pid=$coordinator_pid
  kill -KILL "$old_pid"
  wait "$old_pid" 2>/dev/null || true
  t_restart=$(now)
  start_coordinator coordinator-restarted.log "$dir/ready-restarted.json"
  # A status request sent at once is answered when the engine serves clients, i.e. once it has reloaded the state.
  ( timeout 200 "$shoal" status "$job" --json --coordinator "$client" --timeout "$recovery_limit" \
      >"$dir/first-status.json" 2>"$dir/first-status.err"; now >"$dir/first-status.time" ) &
  probe=$!
  pids+=("$probe")
  wait_ready "$dir/ready-restarted.json" coordinator-restarted.log
  t_ready=$(now)
  wait "$probe" || true
  if [ -s "$dir/first-status.json" ]; then
    t_answer=$(cat "$dir/first-status.time")
    baseline=$(jq -r '.jobs[0].counts.succeeded' "$dir/first-status.json")
    first_state=$(jq -r '.jobs[0].record.state' "$dir/first-status.json")
    # The first task committed after the restart: poll until the succeeded count moves past the reloaded one.
    limit=$((SECONDS + recovery_limit))
    while [ $SECONDS -lt $limit ]; do
      sample
      if [ "$s_state" != unanswered ] && [ "$s_succeeded" -gt "$baseline" ]; then
        t_first_new=$(tail -1 "$dir/samples.txt" | awk '{print $1}'); break
      fi
      if terminal; then first_new_note="none: the job ended $s_state first"; break; fi
      sleep 0.1
    done
    run2_recovered=1
    follow || true
  else
    echo "scale.sh: the restarted coordinator did not answer within $recovery_limit s: $(cat "$dir/first-status.err")" >&2
  fi
  run2_hwm=$(proc_kib VmHWM "$coordinator_pid")
else
  echo "scale.sh: run 2's job never reached ${kill_at}% (state $s_state, $s_succeeded succeeded); no kill -9" >&2
  run2_hwm=$(proc_kib VmHWM "$coordinator_pid")
fi
run2_ok=1; verdict_job || run2_ok=0
run2_dir=$dir run2_job=$job
run2_final=$(cat "$dir/final.txt") run2_error=$(cat "$dir/error.txt") run2_trouble=$(cat "$dir/trouble.txt")
run2_endings=$(cat "$dir/endings.txt")
stop_cluster
read -r r2_state r2_succeeded r2_failed _ r2_retries r2_troubles _ _ _ <<<"$run2_final"
elapsed_all=$((SECONDS - start_seconds))

# The table.
last_seen() {           # last_seen DIR STATE: for a job that did not succeed, the succeeded count its last running sample showed
  local n
  [ "$2" != succeeded ] || return 0
  n=$(awk '$2 == "running" {n = $3} END {print n + 0}' "$1/samples.txt" 2>/dev/null || echo 0)
  [ "$n" = 0 ] || echo " (status of the ended job; its last sample while running showed $(grouped "$n") succeeded)"
}
less_than() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a != "" && a + 0 < b + 0)}'; }
yes_no() { if less_than "$1" "$2"; then echo "met"; else echo "**not met**"; fi; }
peak_kib=$(printf '%s\n' "${run1_hwm:-}" "${run2_hwm_before:-}" "${run2_hwm:-}" | awk 'NF && $1 > m {m = $1} END {print m + 0}')
gib=1048576
{
  echo "| measure | result | target | verdict |"
  echo "|---|---|---|---|"
  echo "| submit → accepted: plan and store $(grouped "$tasks") tasks (\`shoal submit\`, client-side) | ${run1_accept} s | – | – |"
  if [ "$r1_state" = succeeded ]; then
    echo "| dispatch rate: tasks ÷ (finished − started) of the job record | $(grouped "$run1_rate") tasks/s | – | – |"
    echo "| steady rate, 10% → 90% of the tasks (status polls) | $(grouped "$run1_steady") tasks/s | – | – |"
    echo "| whole job: submitted → finished | ${run1_wall} s ($(grouped "$run1_rate_all") tasks/s) | – | – |"
  fi
  if [ "$run1_ok" = 1 ]; then
    echo "| run 1: the job | succeeded, $(grouped "$r1_succeeded")/$(grouped "$tasks") tasks, 0 failed, no failed attempt | succeeds, every task | met |"
  else
    echo "| run 1: the job | **${r1_state}**, $(grouped "$r1_succeeded")/$(grouped "$tasks") succeeded$(last_seen "$run1_dir" "$r1_state"), $(grouped "$r1_retries") retries${run1_error:+; job error: ${run1_error}}${run1_trouble:+; failed attempts listed by ending (latest 20 at most): ${run1_endings}; the first reads \"${run1_trouble}\"} | succeeds, every task | **not met** |"
  fi
  echo "| coordinator peak RSS (VmHWM), run 1 | $(mib "${run1_hwm:-}") MiB | < 1024 MiB | $(yes_no "${run1_hwm:-}" "$gib") |"
  if [ "$run2_recovered" = 1 ]; then
    echo "| coordinator peak RSS (VmHWM), run 2: before kill -9 / after restart | $(mib "${run2_hwm_before:-}") / $(mib "${run2_hwm:-}") MiB | < 1024 MiB | $(yes_no "$(printf '%s\n' "${run2_hwm_before:-0}" "${run2_hwm:-0}" | sort -n | tail -1)" "$gib") |"
    echo "| kill -9 at $(grouped "$killed_at_succeeded")/$(grouped "$tasks") succeeded; restart → ready file (store opened, sockets bound) | $(elapsed "$t_restart" "$t_ready") s | – | – |"
    echo "| restart → state reloaded: first status answered (job ${first_state}, $(grouped "$baseline") succeeded) | $(elapsed "$t_restart" "$t_answer") s | < 10 s | $(yes_no "$(elapsed "$t_restart" "$t_answer")" 10) |"
    if [ -n "$t_first_new" ]; then
      echo "| restart → first task committed after the restart | $(elapsed "$t_restart" "$t_first_new") s | < 10 s | $(yes_no "$(elapsed "$t_restart" "$t_first_new")" 10) |"
    else
      echo "| restart → first task committed after the restart | ${first_new_note:-none within ${recovery_limit} s} | < 10 s | **not met** |"
    fi
  else
    echo "| coordinator peak RSS (VmHWM), run 2 | $(mib "${run2_hwm:-}") MiB | < 1024 MiB | $(yes_no "${run2_hwm:-}" "$gib") |"
    echo "| recovery after kill -9 | not measured: the job ended before ${kill_at}% of its tasks had succeeded | < 10 s | **not met** |"
  fi
  run2_label="run 2: the job (no kill -9)"
  [ "$run2_recovered" = 0 ] || run2_label="run 2 after recovery: the job"
  if [ "$r2_state" = succeeded ] && [ "$r2_succeeded" = "$tasks" ] && [ "$r2_failed" = 0 ]; then
    echo "| ${run2_label} | succeeded, $(grouped "$r2_succeeded")/$(grouped "$tasks") tasks, 0 failed | succeeds, every task | met |"
  else
    echo "| ${run2_label} | **${r2_state}**, $(grouped "$r2_succeeded")/$(grouped "$tasks") succeeded$(last_seen "$run2_dir" "$r2_state"), ${r2_failed} failed${run2_error:+: ${run2_error}} | succeeds, every task | **not met** |"
  fi
  if [ "$r2_troubles" = 0 ]; then
    echo "| run 2: failed attempts (\`shoal logs JOB\`) | none counted against a task (${r2_retries} retries)${run2_endings:+; re-run after the restart, by ending (latest 20 at most): ${run2_endings} — results the killed coordinator never read} | none | met |"
  else
    echo "| run 2: failed attempts (\`shoal logs JOB\`) | **not empty**, by ending (latest 20 at most): ${run2_endings}; the first reads \"${run2_trouble}\"; $(grouped "$r2_retries") retries counted against tasks | none | **not met** |"
  fi
} >"$work/table.md"
table=$(cat "$work/table.md")

summary_rss=$(yes_no "$peak_kib" "$gib")
if [ "$run2_recovered" = 1 ] && [ -n "$t_first_new" ]; then
  summary_recovery="$(yes_no "$(elapsed "$t_restart" "$t_answer")" 10) for the state reloaded ($(elapsed "$t_restart" "$t_answer") s), $(yes_no "$(elapsed "$t_restart" "$t_first_new")" 10) for work resumed ($(elapsed "$t_restart" "$t_first_new") s)"
elif [ "$run2_recovered" = 1 ]; then
  summary_recovery="$(yes_no "$(elapsed "$t_restart" "$t_answer")" 10) for the state reloaded ($(elapsed "$t_restart" "$t_answer") s), **not met** for work resumed (${first_new_note:-no task committed within ${recovery_limit} s})"
else
  summary_recovery="**not met** (not measured: the run did not get that far)"
fi
jobs_note="both jobs succeeded with all $(grouped "$tasks") tasks and no failed attempt"
[ "$run1_ok" = 1 ] && [ "$run2_ok" = 1 ] || jobs_note="**not every job succeeded with all its tasks and no failed attempt** (rows below)"
hb_note="the cluster default heartbeat timeout (5 s unless cluster.yaml says otherwise)"
[ -z "$heartbeat_timeout" ] || hb_note="\`--heartbeat-timeout ${heartbeat_timeout}\` on the coordinator, which hands it to the workers (the default is 5 s)"
leftover_note="every process stopped on SIGTERM"
[ "$leftovers" = 0 ] || leftover_note="**$leftovers process(es) did not stop on SIGTERM and were killed**"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then commit="$commit + uncommitted changes"; fi
state_kib=$(cat "$run1_dir/state_kib.txt" 2>/dev/null || echo "")
busy_text=$(printf '%s; ' "${busy_notes[@]}"); busy_text=${busy_text%; }
busy_text="$busy_text; during run 1, processes other than this script's (its cluster and clients) used ${others}% of the CPUs"
[ "$others" -lt 10 ] || busy_text="$busy_text (**someone else was busy: run 1's rates are less reliable**)"

. /etc/os-release 2>/dev/null || PRETTY_NAME=$(uname -sr)
machine="$(nproc) CPUs ($(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)), \
$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, ${PRETTY_NAME}, kernel $(uname -r), \
$(swift --version 2>&1 | head -1)"

section=$(cat <<EOF
## Coordinator scale: $(grouped "$tasks") tasks, ${workers} worker processes

Issue 3's targets for one job of 1,000,000 tiny tasks on 32 worker processes: the coordinator under 1 GiB RSS —
${summary_rss} (peak $(mib "$peak_kib") MiB); recovery after kill -9 under 10 s — ${summary_recovery}.
Jobs: ${jobs_note}.

${table}

- Machine: ${machine}.
- Build: commit ${commit}, \`swift build -c release --product shoal\`.
- Run: ${started}, ${elapsed_all} s in all; ${busy_text}; ${leftover_note}.
- Command: \`${command_line}\` (from the repository root).
- Setup, each run on a fresh state directory and free \`tcp://127.0.0.1\` ports: \`shoal coordinator --state-dir DIR
  --worker-endpoint … --client-endpoint … --events-endpoint … --ready-file F\` and ${workers} × \`shoal worker --slots
  ${slots}\` ($((workers * slots)) slots on $(nproc) CPUs), started by the script; heartbeats: ${hb_note}. The job is
  \`{kind: noop, tasks: ${tasks}, speculation: false}\`, submitted once every worker has registered.
- Run 1: submit → accepted is the \`shoal submit\` command's own time (client start-up included, a few ms), during
  which the coordinator plans and stores every task in SQLite. Rates: the job record's timestamps
  (\`startedAt\`: first attempt leased, \`finishedAt\`: last task committed), and a linear rate between the
  \`shoal status --json\` samples (one a second) that first show 10% and 90% of the tasks succeeded. RSS:
  \`VmHWM\` of the coordinator's \`/proc/PID/status\`, read once the job has ended (the samples also hold \`VmRSS\`).
  The state directory held $(awk -v k="$state_kib" 'BEGIN {if (k == "") print "?"; else printf "%.0f", k / 1024}') MiB at the end.
- Run 2: the same job; once a sample shows ${kill_at}% of the tasks succeeded, \`kill -9\` the coordinator, then
  start it again with the same arguments and a new ready file, and at once send \`shoal status JOB\`. The ready
  file is written once the store is open and the sockets are bound, *before* the engine reloads the jobs; the
  first status answer comes once it has (the engine serves clients only after reloading); the first task
  committed after the restart is the first sample (every 0.1 s) whose succeeded count exceeds that answer's. Then
  the job must end succeeded with every task, no failed task, and no attempt in \`shoal logs JOB\` that counts
  against its task (\`unreported\` attempts, re-run because the killed coordinator never read their results, do not).
EOF
)

echo
echo "$table"
echo
echo "Logs and samples: $work/run1, $work/run2"

if [ "$write_docs" = 1 ]; then write_docs_section scale "$section" "$work"; fi
[ "$problems" = 0 ] || exit 1

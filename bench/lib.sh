# Helpers shared by the bench/*.sh scripts; sourced, not run. Each script keeps its own option parsing, cleanup
# and tables; what is the same in all of them lives here.

alive() {    # alive PID: the process exists and is not a zombie
  local state
  state=$(awk '{sub(/^.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

busy_percent() {   # busy share of all CPUs over one second, in percent, from /proc/stat
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  echo "$a $b" | awk '{busy=$3-$1; idle=$4-$2; print (busy+idle>0) ? int(100*busy/(busy+idle)) : 0}'
}

free_port() {      # a loopback TCP port nothing uses (not even in TIME_WAIT), below the ephemeral range
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    case $used_ports in *" $port "*) continue ;; esac
    ss -Htan "( sport = :$port or dport = :$port )" | grep -q . && continue
    used_ports="$used_ports$port "
    echo "$port"; return
  done
}

others_share() {   # others_share MARK_BEFORE MARK_AFTER: percent of CPU time other processes took in between
  echo "$1 $2" | awk '{total = $5 - $2; print (total > 0) ? int(100 * (($4 - $1) - ($6 - $3)) / total + 0.5) : 0}'
}

median() { sort -g "$1" | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# write_docs_section NAME SECTION_TEXT WORK_DIR: replaces (or appends) the part of docs/benchmarks.md between
# "<!-- NAME:begin (written by bench/NAME.sh) -->" and "<!-- NAME:end -->". Needs $root.
write_docs_section() {
  local name=$1 section=$2 work=$3
  local docs=$root/docs/benchmarks.md
  local begin="<!-- $name:begin (written by bench/$name.sh) -->" end="<!-- $name:end -->"
  local new=$work/benchmarks.md.new
  [ -f "$docs" ] || printf '# Benchmarks\n\nMeasured with the scripts in `bench/` (see `bench/README.md`).\n' >"$docs"
  printf '%s\n' "$section" >"$work/section.md"
  if grep -qF "$begin" "$docs"; then
    awk -v b="$begin" -v e="$end" -v f="$work/section.md" '
      $0 == b {print; while ((getline line < f) > 0) print line; skip = 1; next}
      $0 == e {skip = 0}
      !skip {print}' "$docs" >"$new"
  else
    { cat "$docs"; printf '\n%s\n' "$begin"; cat "$work/section.md"; printf '%s\n' "$end"; } >"$new"
  fi
  mv "$new" "$docs"
  echo "Updated docs/benchmarks.md" >&2
}

# Every process a script starts is remembered by PID: `shoal up` and, once it has started them, its coordinator
# and workers (they run in process groups of their own, so a group kill would miss them); peer scripts run under
# `timeout`, which leads a process group. `trap cleanup EXIT`: whatever is still alive gets SIGTERM, then SIGKILL.
pids=()      # single processes
groups=()    # process groups (led by `timeout`)
cleanup() {
  local pid group deadline
  for group in "${groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 10))
  for pid in "${pids[@]}" "${groups[@]}"; do
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
  for pid in "${pids[@]}" "${groups[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=() groups=()
}

# Cluster state of the current round.
up_pid= coordinator_pid= worker_pids=() client= launched_at=
# More arguments for `shoal up` (keys, CURVE) and for the client commands run against the cluster.
cluster_args=() client_args=()
# start_cluster DIR SLOTS [WORKERS]: `shoal up --workers WORKERS (default 2) [--slots SLOTS]` in the background on
# fresh ports and state. Needs $shoal.
start_cluster() {
  local dir=$1 slots=$2 wport cport eport
  cluster_workers=${3:-2}
  rm -rf "$dir"; mkdir -p "$dir"
  # free_port runs in a subshell, where it cannot remember what it handed out: make the three distinct here.
  wport=$(free_port)
  until cport=$(free_port) && [ "$cport" != "$wport" ]; do :; done
  until eport=$(free_port) && [ "$eport" != "$wport" ] && [ "$eport" != "$cport" ]; do :; done
  client=tcp://127.0.0.1:$cport
  # worker_endpoint_override: another endpoint for the workers (ipc://PATH for workers on this host).
  local args=(up --workers "$cluster_workers" --state-dir "$dir/state" --worker-endpoint "${worker_endpoint_override:-tcp://127.0.0.1:$wport}"
              --client-endpoint "$client" --events-endpoint "tcp://127.0.0.1:$eport")
  [ "$slots" != default ] && args+=(--slots "$slots")
  args+=("${cluster_args[@]}")
  launched_at=$(date +%s.%N)
  (cd "$dir" && exec "$shoal" "${args[@]}") >"$dir/up.log" 2>&1 &
  up_pid=$!
  pids+=("$up_pid")
  coordinator_pid= worker_pids=()
}
# find_children DIR: waits for the coordinator's ready file and the workers; remembers their PIDs.
find_children() {
  local dir=$1 ready=$1/state/logs/coordinator.ready deadline=$((SECONDS + 30)) children pid
  until [ -f "$ready" ]; do
    alive "$up_pid" || fail "shoal up exited early: $(cat "$dir/up.log")"
    [ $SECONDS -lt $deadline ] || fail "no coordinator ready file after 30 s ($dir)"
    sleep 0.02
  done
  coordinator_pid=$(jq -r .pid "$ready")
  pids+=("$coordinator_pid")
  until children=$(ps -o pid= --ppid "$up_pid" | wc -l) && [ "$children" -ge $((cluster_workers + 1)) ]; do
    [ $SECONDS -lt $deadline ] || fail "shoal up did not start $cluster_workers workers within 30 s"
    sleep 0.02
  done
  for pid in $(ps -o pid= --ppid "$up_pid"); do
    [ "$pid" = "$coordinator_pid" ] || { worker_pids+=("$pid"); pids+=("$pid"); }
  done
}
# wait_workers: until the coordinator lists every worker as registered.
wait_workers() {
  local deadline=$((SECONDS + 30)) count
  until count=$(timeout 10 "$shoal" workers --json --coordinator "$client" "${client_args[@]}" 2>/dev/null | jq length) \
        && [ "${count:-0}" -ge "$cluster_workers" ]; do
    [ $SECONDS -lt $deadline ] || fail "fewer than $cluster_workers workers registered after 30 s"
    sleep 0.05
  done
}
# stop_cluster DIR: SIGTERM to `shoal up` (it stops its workers, then the coordinator); then checks that neither it
# nor any child is left. A leftover is reported and killed.
leftovers=0
stop_cluster() {
  local dir=$1 deadline pid
  kill -TERM "$up_pid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while alive "$up_pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  if alive "$up_pid"; then
    echo "$bench_name: shoal up (pid $up_pid) still running 20 s after SIGTERM; killing it" >&2
    leftovers=$((leftovers + 1)); kill -KILL "$up_pid" 2>/dev/null || true
  fi
  wait "$up_pid" 2>/dev/null || true
  sleep 0.2
  for pid in "$coordinator_pid" "${worker_pids[@]}"; do
    [ -n "$pid" ] || continue
    if alive "$pid"; then
      echo "$bench_name: process $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline | cut -c1-120)) outlived shoal up; killing it" >&2
      leftovers=$((leftovers + 1)); kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  pids=()
  rm -rf "$dir/state/state.sqlite"*   # keep the logs, drop the store
}
# job_record DIR JOB: the job's record and counts (`shoal status JOB --json`) into DIR/status.json.
job_record() {
  timeout 30 "$shoal" status "$2" --json --coordinator "$client" "${client_args[@]}" >"$1/status.json" 2>>"$1/submit.log" \
    || fail "shoal status $2 failed: $(tail -5 "$1/submit.log")"
}

# quiet_before LABEL: unless wait_quiet=0, waits (up to $quiet_limit s) for the machine to be under 10% busy.
quiet_before() {
  local busy waited=0
  [ "${wait_quiet:-1}" = 0 ] && return
  while busy=$(busy_percent) && [ "$busy" -ge 10 ]; do
    if [ "$waited" -ge "${quiet_limit:-600}" ]; then
      echo "$bench_name: warning: still ${busy}% busy; measuring $1 anyway" >&2; break
    fi
    [ $((waited % 30)) = 0 ] && echo "== waiting for the machine to go quiet before $1 (${busy}% busy)" >&2
    waited=$((waited + 1))
  done
}

# Aggregation jobs (aggregation.sh, security.sh): a `kind: train` job whose model has the given hidden layers, on
# four one-row training files, batch 4 (one row from each file every step), Float32 gradients, STEPS steps.
# one_row_data DIR: the four files; aggregation_job NAME HIDDEN STEPS DIR: the job file on stdout.
one_row_data() {
  mkdir -p "$1"
  for i in 0 1 2 3; do "$shoal" datagen clicks --rows 1 --seed $((20 + i)) --out "$1/part-$i.csv" >/dev/null; done
}
aggregation_job() {
  cat <<JOB
kind: train
name: $1
data:
  train: { format: csv, paths: ["$4/part-*.csv"] }
  features: [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, { one_hot: device }]
  label: clicked
model: { type: mlp, hidden: $2, activation: relu }
optimizer: { type: sgd, lr: 0.001 }
batch_size: 4
micro_batch_size: 1
epochs: $3
seed: 1
deterministic: false
checkpoint: { every_steps: 1000000 }
output: out/$1
JOB
}

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

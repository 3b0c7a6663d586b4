# daemons.sh - shell functions shared by the scripts that start and stop
# test daemons (slurm-local.sh, cluster-local.sh). Sourced, not run.

# alive PID NAME: the process PID runs (a zombie does not count) and its
# command name is NAME, so a stale pid file whose number was reused by
# another program is never taken for ours.
alive() {
  local pid=$1 name=$2 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# pid_in FILE NAME: the PID recorded in FILE, if that process still runs as NAME.
pid_in() {
  local pid
  [ -r "$1" ] || return 1
  pid=$(tr -dc '0-9' <"$1")
  alive "$pid" "$2" || return 1
  echo "$pid"
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds;
# fail after SECONDS.
wait_for() {
  local n=$(($1 * 5))
  shift
  while [ "$n" -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
    n=$((n - 1))
  done
  return 1
}

#!/usr/bin/env bash
# cluster-local.sh - a multi-host test bed on this one machine: N "nodes",
# each a Linux network namespace with its own address and hostname, joined
# by a bridge in a namespace of its own with no route to anything else;
# a real Slurm cluster over them (one slurmctld, one slurmd per node, munge
# shared); and an rsh agent so that mpirun can start ranks on the nodes.
# Ranks on different nodes talk over real TCP through the bridge.
#
#   scripts/cluster-local.sh start N     # N = 2..4 nodes: node1 .. nodeN
#   scripts/cluster-local.sh stop        # stop what it started (by PID), remove
#                                        # the namespaces; after failures too
#   scripts/cluster-local.sh status      # exit 0 when every daemon runs and
#                                        # every node takes jobs
#   scripts/cluster-local.sh env         # "export SLURM_CONF=...", for eval
#   scripts/cluster-local.sh exec NODE CMD...   # run CMD on NODE (node1 .. nodeN,
#                                        # or ctl, the controller's host)
#   scripts/cluster-local.sh link NODE up|down  # NODE's cable, at the switch (up:
#                                        # also back into Slurm, waits for it)
#   scripts/cluster-local.sh shape NODE QDISC.. # tc qdisc on NODE's switch port,
#                                        # e.g. "netem delay 20ms", "tbf rate
#                                        # 1gbit burst 256kb latency 50ms";
#                                        # "none" removes it
#   scripts/cluster-local.sh agent       # print the path of the rsh agent:
#                                        # mpirun --mca plm_rsh_agent AGENT
#
# Addresses 10.230.17.0/24 live only inside these namespaces: the switch
# (bridge, 10.230.17.1, hostname "ctl", where slurmctld runs) and nodeI at
# 10.230.17.(10+I). No namespace has a default route; nothing leaves them.
# A hosts file in the state directory names every host; it is mounted over
# /etc/hosts for the processes of the bed only. Every file is in the state
# directory.
#
# Environment (optional): TM_CLUSTER_DIR state directory
# [/var/tmp/tripminer-cluster]; TM_CLUSTER_TIMEOUT seconds to wait for a
# daemon or the nodes [60]. Needs root, iproute2, Slurm and munge
# (scripts/install-deps.sh --slurm).
set -euo pipefail

dir=${TM_CLUSTER_DIR:-/var/tmp/tripminer-cluster}
timeout=${TM_CLUSTER_TIMEOUT:-60}
conf=$dir/slurm.conf
export SLURM_CONF=$conf
net=10.230.17
sw=tmc-sw
port=16917

say() { echo "[cluster-local] $*"; }
die() { echo "[cluster-local] error: $*" >&2; exit 1; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "TM_CLUSTER_TIMEOUT must be a positive integer"

ns_of() { # ns_of NODE: the namespace of node1..nodeN, or ctl
  case "$1" in
    ctl) echo "$sw" ;;
    node[1-9]) echo "tmc-n${1#node}" ;;
    *) die "no host '$1' (node1 .. node$(nodes), or ctl)" ;;
  esac
}
addr_of() {
  case "$1" in
    ctl) echo "$net.1" ;;
    node[1-9]) echo "$net.$((10 + ${1#node}))" ;;
  esac
}
nodes() { cat "$dir/nodes" 2>/dev/null || echo 0; }

# shellcheck source=scripts/daemons.sh
. "$(dirname "$0")/daemons.sh"
# pid_of KEY NAME: the recorded PID of daemon KEY, if it still runs as NAME.
pid_of() { pid_in "$dir/run/$1.pid" "$2"; }

# in_host HOST CMD...: CMD in HOST's network namespace, with HOST's hostname
# (a UTS namespace of its own), so that Open MPI and Slurm see separate
# hosts, and the bed's hosts file over /etc/hosts (a mount namespace of its
# own; the file system is shared, as a cluster's is, and /sys and the
# cgroups stay the machine's, which slurmd needs).
in_host() {
  local host=$1 ns
  shift
  ns=$(ns_of "$host")
  exec nsenter --net="/run/netns/$ns" unshare --mount --uts /bin/sh -c \
    'mount --bind "$1" /etc/hosts && hostname "$0" && shift && exec "$@"' \
    "$host" "$dir/hosts" "$@"
}

# start_daemon KEY NAME HOST CMD...: CMD (in the foreground) on HOST in its own
# session, output in $dir/KEY.out, PID in $dir/run/KEY.pid.
start_daemon() {
  local key=$1 name=$2 host=$3 i
  shift 3
  (in_host "$host" setsid "$@" </dev/null >>"$dir/$key.out" 2>&1) &
  local pid=$!
  echo "$pid" >"$dir/run/$key.pid"
  for i in $(seq 50); do alive "$pid" "$name" && break; sleep 0.1; done
  alive "$pid" "$name" || {
    tail -n 20 "$dir/$key.out" >&2 || true
    die "$name on $host exited at once (output: $dir/$key.out)"
  }
  say "started $name on $host (pid $pid)"
}

stop_pid() { # stop_pid KEY NAME: SIGTERM, up to 10 s, then SIGKILL
  local pid n
  pid=$(pid_of "$1" "$2") || { rm -f "$dir/run/$1.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for n in $(seq 50); do alive "$pid" "$2" || break; sleep 0.2; done
  alive "$pid" "$2" && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/run/$1.pid"
  say "stopped $2 ($1, pid $pid)"
}

need() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, slurmd)"
  local b
  for b in ip unshare tc munged mungekey slurmctld slurmd scontrol sinfo squeue; do
    command -v "$b" >/dev/null || die "$b not found (scripts/install-deps.sh --slurm)"
  done
}

# ---- the network ------------------------------------------------------------

net_down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^tmc-' || true); do
    # Processes still in it (a crashed earlier bed) would keep it busy.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

net_up() {
  local n=$1 i hosts
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" addr add "$net.1/24" dev br0
  ip -n "$sw" link set br0 up
  hosts="127.0.0.1 localhost"$'\n'"$net.1 ctl"
  for i in $(seq "$n"); do hosts+=$'\n'"$net.$((10 + i)) node$i"; done
  for i in $(seq "$n"); do
    local ns=tmc-n$i
    ip netns add "$ns"
    # IPv4 only: Open MPI would also try the veth's IPv6 link-local address.
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
    ip -n "$ns" link set lo up
    # One cable: eth0 in the node, tmc-pI (its switch port) on the bridge.
    ip link add "tmc-e$i" netns "$ns" type veth peer name "tmc-p$i" netns "$sw"
    ip -n "$ns" link set "tmc-e$i" name eth0
    ip -n "$ns" addr add "$net.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$sw" link set "tmc-p$i" master br0
    ip -n "$sw" link set "tmc-p$i" up
  done
  printf '%s\n' "$hosts" >"$dir/hosts"
}

# ---- Slurm --------------------------------------------------------------------

write_conf() {
  local n=$1 hw cpus mem topo
  hw=$(slurmd -C 2>/dev/null | head -n 1) || true
  cpus=$(sed -n 's/.*\bCPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.*\bRealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  [ -n "$cpus" ] || die "slurmd -C did not report the CPUs: '$hw'"
  mem=$((${mem:-1000} * 90 / 100 / n))
  topo=$(tr ' ' '\n' <<<"$hw" |
    grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
  {
    cat <<EOF
# Generated by scripts/cluster-local.sh on every start: edit that script.
# A test cluster of $n nodes in network namespaces; every path is under $dir.
ClusterName=tripminer-multi
SlurmctldHost=ctl($net.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=20
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd/%n
# Each node's temporary files apart (PMIx puts its directories there, named
# by job and step only).
TmpFS=$dir/tmp/%n
SlurmctldPidFile=$dir/run/slurmctld-self.pid
SlurmdPidFile=$dir/run/slurmd-%n-self.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((mem / cpus))
MpiDefault=pmix
JobRequeue=1
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
# A node that stops answering is declared down after 30 s (the default is
# 300 s); a job on it is then killed, or requeued with --requeue.
SlurmdTimeout=30
SchedulerParameters=batch_sched_delay=0,sched_interval=5
KillWait=10
MailProg=/bin/true
EOF
    for i in $(seq "$n"); do
      echo "NodeName=node$i NodeAddr=$net.$((10 + i)) ${topo}RealMemory=$mem State=UNKNOWN"
    done
    echo "PartitionName=tm Nodes=node[1-$n] Default=YES MaxTime=INFINITE State=UP"
  } >"$conf.new"
  mv "$conf.new" "$conf"
}

write_agent() {
  cat >"$dir/agent" <<EOF
#!/bin/sh
# rsh agent for mpirun over the test bed: AGENT HOST COMMAND... runs COMMAND
# on HOST (its namespace and hostname). Written by scripts/cluster-local.sh.
host=\$1
shift
case "\$host" in node[1-9]) ns=tmc-n\${host#node} ;; *) echo "agent: no host \$host" >&2; exit 255 ;; esac
exec nsenter --net="/run/netns/\$ns" unshare --mount --uts /bin/sh -c \\
  "mount --bind $dir/hosts /etc/hosts && hostname \$host && \$*"
EOF
  chmod 0755 "$dir/agent"
}

nodes_ready() {
  local n=$1 idle
  idle=$(in_host_out ctl sinfo -h -N -o '%N %t' | awk '$2 ~ /^(idle|mix|alloc)$/' | wc -l)
  [ "$idle" -eq "$n" ]
}
in_host_out() { (in_host "$@"); }

cmd_start() {
  local n=${1:-}
  [[ $n =~ ^[2-4]$ ]] || die "start needs the number of nodes, 2 to 4"
  need
  command -v nsenter >/dev/null || die "nsenter not found (util-linux)"
  cmd_stop >/dev/null 2>&1 || true
  mkdir -p "$dir/run" "$dir/ctld" "$dir/munge" "$dir/slurmd"
  chmod 0755 "$dir" "$dir/run" "$dir/munge"
  rm -rf "$dir/ctld"/* "$dir/slurmd"/*
  rm -rf "$dir/tmp"
  for i in $(seq "$n"); do mkdir -p "$dir/slurmd/node$i" "$dir/tmp/node$i"; done
  mkdir -p "$dir/tmp/ctl"
  chmod 1777 "$dir/tmp"/*
  echo "$n" >"$dir/nodes"
  net_up "$n"
  say "network: switch $sw ($net.1), nodes node1..node$n ($net.11..)"
  [ -s "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null
  chmod 0400 "$dir/munge/munge.key"
  # munged in the machine's own namespaces: its socket is a file, which
  # every namespace sees.
  setsid munged --foreground --force --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    </dev/null >>"$dir/munged.out" 2>&1 &
  echo $! >"$dir/run/munged.pid"
  wait_for "$timeout" sh -c "munge -S '$dir/munge/munge.socket' -n </dev/null | unmunge -S '$dir/munge/munge.socket'" ||
    die "munged does not answer (log: $dir/munge/munged.log)"
  write_conf "$n"
  write_agent
  start_daemon slurmctld slurmctld ctl slurmctld -D -c -f "$conf"
  wait_for "$timeout" in_host_out ctl scontrol ping || die "slurmctld does not answer ($dir/slurmctld.log)"
  for i in $(seq "$n"); do
    start_daemon "slurmd-node$i" slurmd "node$i" slurmd -D -f "$conf" -N "node$i"
  done
  if ! wait_for "$timeout" nodes_ready "$n"; then
    in_host_out ctl sinfo -N >&2 || true
    die "not every node takes jobs (logs in $dir)"
  fi
  say "up: $n nodes; run Slurm commands with: scripts/cluster-local.sh exec node1 sbatch ..."
}

cmd_stop() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  local i
  if pid_of slurmctld slurmctld >/dev/null; then
    in_host_out ctl scancel --full --quiet --user=root 2>/dev/null || true
  fi
  for i in 1 2 3 4; do stop_pid "slurmd-node$i" slurmd; done
  stop_pid slurmctld slurmctld
  stop_pid munged munged
  net_down
  rm -f "$dir/nodes"
  say "stopped (logs kept in $dir)"
}

cmd_status() {
  local n rc=0 i
  n=$(nodes)
  [ "$n" -ge 2 ] || { say "not started"; return 1; }
  pid_of munged munged >/dev/null || { say "munged not running"; rc=1; }
  pid_of slurmctld slurmctld >/dev/null || { say "slurmctld not running"; rc=1; }
  for i in $(seq "$n"); do
    pid_of "slurmd-node$i" slurmd >/dev/null || { say "slurmd of node$i not running"; rc=1; }
  done
  [ "$rc" -eq 0 ] && in_host_out ctl sinfo -N -h -o '%N %t' | sed 's/^/[cluster-local] /'
  [ "$rc" -eq 0 ] && nodes_ready "$n"
}

case "${1:-}" in
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$(printf '%q' "$conf")" ;;
  agent) echo "$dir/agent" ;;
  exec)
    [ $# -ge 3 ] || die "usage: exec HOST COMMAND..."
    shift
    in_host "$@"
    ;;
  link)
    [ $# -eq 3 ] && [[ $3 =~ ^(up|down)$ ]] || die "usage: link NODE up|down"
    ns_of "$2" >/dev/null
    ip -n "$sw" link set "tmc-p${2#node}" "$3"
    if [ "$3" = up ]; then
      # Slurm set a node that stopped answering DOWN; it takes jobs again
      # once it is told to resume and answers.
      in_host_out ctl scontrol update NodeName="$2" State=RESUME >/dev/null 2>&1 || true
      wait_for "$timeout" nodes_ready "$(nodes)" || die "$2 does not take jobs again"
    fi
    ;;
  shape)
    [ $# -ge 3 ] || die "usage: shape NODE QDISC...|none"
    node=$2
    shift 2
    ns_of "$node" >/dev/null
    tc -n "$sw" qdisc del dev "tmc-p${node#node}" root 2>/dev/null || true
    if [ "$1" != none ]; then
      # shellcheck disable=SC2068 # the qdisc's words as given
      tc -n "$sw" qdisc add dev "tmc-p${node#node}" root $@
    fi
    ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  *)
    echo "usage: scripts/cluster-local.sh start N|stop|status|env|exec|link|shape|agent (--help)" >&2
    exit 2
    ;;
esac

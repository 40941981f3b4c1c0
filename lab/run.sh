#!/usr/bin/env bash
# The lab: runs the ovslb controller against Mininet topologies, one per load-balancer mode, checks
# that load balancing works and prints what happened. Run as root on Debian 12 / Ubuntu.
#
# Usage: lab/run.sh [MODE|all] [--connections N] [--cli] [--config FILE]
#   MODE           direct | translate | portgroup | distributed | nat | fullnat; all (the default)
#                  runs the six
#   --connections  TCP connections per client in each traffic check (default 100)
#   --cli          after the checks, open the Mininet CLI on the topology (one MODE only);
#                  `exit` in the CLI cleans up
#   --config FILE  give the controller FILE instead of lab/MODE/config.json (one MODE only); the
#                  checks still expect the addresses and MACs of lab/MODE/config.json
#
# For each mode: starts the controller (`ovslb run --config COPY`, COPY being a copy of
# lab/MODE/config.json in a temporary directory, which a check may rewrite: the nat mode adds a
# backend that way; listening on a free port of 127.0.0.1, log in a temporary directory), builds lab/MODE/topo.py's network (OVS
# bridges on the userspace datapath, fail_mode=secure, OpenFlow 1.3) and runs its checks: the
# bridges get programmed, the VIP's ARP is answered by the switch (no packet-in), N connections
# spread over the backends, a backend's link going down takes it out of service, its return brings
# it back (nat and fullnat add their own checks; fullnat has no failover). The last line is "lab: N/N modes passed"; the exit code is 1 when a check failed.
#
# Before that it makes sure of what it needs: missing tools are installed by
# `lab/provision.sh --deps-only` (tests/install-deps.sh plus the mininet package where there is no
# provision.sh); Open vSwitch is started if it is not running (and stopped again at the end); the
# controller is built when its build is missing or older than a source file. Everything the lab
# starts is stopped on exit, also on failure, Ctrl-C (twice too) or SIGTERM: bridges it created,
# host namespaces, the controller; a topology that does not stop within 15 s is killed and what it
# left (the lab's bridges, their veths, its processes) removed. It touches no other bridge. Runs of
# the lab on one machine wait for each other; a run finds what a killed earlier run left and
# removes it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
readonly repo
readonly MODES=(direct translate portgroup distributed nat fullnat)
readonly PYTHON=/usr/bin/python3          # Debian's mininet package installs for the system Python
readonly OVS_CTL=/usr/share/openvswitch/scripts/ovs-ctl
# The only bridges the lab creates (lab/*/topo.py); Mininet names their ports BRIDGE-ethN.
readonly LAB_BRIDGES=(lbdirect lbtrans lbback lbpg lbhv1 lbhv2 lbnat lbfnat)
# Every process a topology starts (itself, Mininet's node shells, what runs in them, its snoops)
# inherits this variable, set to the run's work directory: after a crash it finds them wherever
# they were reparented, and only them.
readonly RUN_MARKER=OVSLB_LAB_RUN
unset "$RUN_MARKER"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { echo "lab: $*" >&2; exit 2; }

modes=() connections=100 cli=false config=""
while (($#)); do
  case $1 in
    all) modes=("${MODES[@]}") ;;
    direct | translate | portgroup | distributed | nat | fullnat) modes+=("$1") ;;
    --connections)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--connections needs a positive number"
      connections=$2
      shift ;;
    --cli) cli=true ;;
    --config)
      [[ -f ${2:-} ]] || die "--config needs an existing file"
      config=$(realpath "$2")
      shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (modes: ${MODES[*]} all; try --help)" ;;
  esac
  shift
done
((${#modes[@]})) || modes=("${MODES[@]}")
if $cli && ((${#modes[@]} != 1)); then die "--cli needs one MODE"; fi
if [[ -n $config ]] && ((${#modes[@]} != 1)); then die "--config needs one MODE"; fi
[[ $(id -u) -eq 0 ]] || die "run me as root (sudo $0): Mininet and Open vSwitch need it"

# --- one lab at a time: bridge and interface names are fixed ---------------------------------
# The lock is fd 9 of this shell only: every command that may outlive it (OVS daemons, the
# controller, the topology) runs with `9>&-`, or a daemon would hold the lock forever.
lockdir=/run/lock
[[ -d $lockdir ]] || lockdir=/tmp
exec 9>"$lockdir/ovslb-lab.lock"
if ! flock -n 9; then
  echo "lab: another lab run is in progress; waiting for it"
  flock -w 900 9 || die "still locked after 15 minutes"
fi

# --- the userspace datapath's device, as the lab found it -----------------------------------
# ovs-vswitchd creates "ovs-netdev" (a persistent tap, the netdev datapath's internal port) with
# the first bridge of the userspace datapath and deletes it with the last one, even when the tap
# was there before: another userspace OVS that was killed leaves it, and ovs-vswitchd takes it
# over. Deleting the lab's bridges would then delete a device the lab did not make. So the first
# run records whether it was there ("ovs-netdev: tap persist" as `ip tuntap show` prints it, or
# "absent") and the clean-up puts it back as found. The record stays until a run's clean-up has
# used it: a run that was killed leaves it, and the next run trusts it, not what it finds then
# (the killed run may have created the device). /run/lock is emptied by a reboot, as taps are.
netdev_record=$lockdir/ovslb-lab.ovs-netdev
if [[ ! -s $netdev_record ]]; then
  { ip tuntap show 2>/dev/null | grep -m1 '^ovs-netdev:' || echo absent; } >"$netdev_record"
fi

# Puts ovs-netdev back as the record says: re-created (same tap flags) when it was there before and
# OVS deleted it with the lab's last bridge; deleted when the lab's run made it and no running OVS
# holds it (OVS was stopped while the device existed: it stays, being persistent; any ovs-vswitchd
# still running, a test's private one too, may hold it, so then it is left).
restore_datapath_device() {
  local before flags=() opts=()
  before=$(cat "$netdev_record" 2>/dev/null) || return 0
  if [[ $before == ovs-netdev:* ]]; then
    ip link show ovs-netdev >/dev/null 2>&1 && return 0
    read -ra flags <<<"${before#ovs-netdev:}"
    [[ " ${flags[*]} " == *" multi_queue "* ]] && opts+=(multi_queue)
    [[ " ${flags[*]} " == *" vnet_hdr "* ]] && opts+=(vnet_hdr)
    [[ " ${flags[*]} " == *" pi "* ]] && opts+=(pi)
    if ip tuntap add dev ovs-netdev mode tap "${opts[@]}"; then
      echo "lab: put back ovs-netdev (it was there before the lab; OVS deletes it with its last userspace bridge)"
    fi
  elif [[ $before == absent ]] && ip link show ovs-netdev >/dev/null 2>&1 && [[ -z $(pgrep -x ovs-vswitchd) ]]; then
    ip link del ovs-netdev 2>/dev/null && echo "lab: removed ovs-netdev (the lab's Open vSwitch made it; it was not there before)"
  fi
}

# --- cleanup, whatever happens --------------------------------------------------------------
workdir=$(mktemp -d /tmp/ovslb-lab.XXXXXX)
controller_pid="" topo_pid="" started_ovs="" keep_logs=false
cleanup() {
  local rc=$?
  # A second Ctrl-C or TERM must not cut the cleanup short (the controller and an OVS we started
  # would stay up): ignore them from here on, like the topology does in its own cleanup.
  trap '' INT TERM HUP
  trap - EXIT
  set +e              # every step below is attempted, whatever the previous one did
  trap '' PIPE        # the reader of our output may be gone: cleaning up matters more than saying so
  stop_topology
  remove_leftovers
  rm -rf "$workdir"/*.tmp   # topologies' scratch (a kept log directory holds logs and reports only)
  stop_controller
  if [[ -n $started_ovs ]]; then
    echo "lab: stopping Open vSwitch (it was not running before)"
    stop_ovs
  fi
  restore_datapath_device
  rm -f "$netdev_record"
  if $keep_logs || ((rc != 0)); then
    echo "lab: logs kept in $workdir"
  else
    rm -rf "$workdir"
  fi
  exit "$rc"
}
trap cleanup EXIT
# (each ignores further signals at once: a second Ctrl-C right after the first reaches no default handler)
trap "trap '' INT TERM HUP; exit 130" INT
trap "trap '' INT TERM HUP; exit 143" TERM HUP
trap 'exit 141' PIPE

alive() { kill -0 "$1" 2>/dev/null; }    # (bash reaps its exited children at once: no zombies)

# Stops the running topology: SIGTERM (it stops its Mininet network itself), SIGKILL when it has
# not stopped within 15 s (Mininet hanging); remove_leftovers then deletes what it left.
stop_topology() {
  [[ -n $topo_pid ]] || return 0
  if alive "$topo_pid"; then
    kill -TERM "$topo_pid" 2>/dev/null
    local i
    for ((i = 0; i < 150; i++)); do alive "$topo_pid" || break; sleep 0.1; done
    if alive "$topo_pid"; then
      echo "lab: the topology did not stop within 15 s of SIGTERM; killing it"
      kill -KILL "$topo_pid" 2>/dev/null
    fi
  fi
  wait "$topo_pid" 2>/dev/null
  topo_pid=""
}

# PIDs of processes whose environment holds RUN_MARKER=VALUE, or RUN_MARKER with any value.
marked_pids() {
  local found
  if (($#)); then
    found=$(grep -lzxF "$RUN_MARKER=$1" /proc/[0-9]*/environ 2>/dev/null || true)
  else
    found=$(grep -lzE "^$RUN_MARKER=." /proc/[0-9]*/environ 2>/dev/null || true)
  fi
  [[ -z $found ]] || cut -d/ -f3 <<<"$found"
}

# Network interfaces of the root namespace that are ports of a lab bridge (BRIDGE-ethN). (Mininet
# creates the host end of each veth inside the host's namespace; it goes away with the host.)
lab_interfaces() {
  local bridges
  bridges=$(IFS='|'; echo "${LAB_BRIDGES[*]}")
  ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -xE "($bridges)-eth[0-9]+" || true
}

# Removes what a topology left behind when it was killed or crashed: the processes carrying this
# run's marker (with "any": every run's, which only a run holding the lock may do), the lab's
# bridges and their ports. Normally there is nothing and it says nothing; otherwise it names what
# it removed. WHOSE names the culprit in that message.
remove_leftovers() {
  local scope=${1:-this} whose=${2:-the topology} marker=() pids=() removed=() br i
  [[ $scope == any ]] || marker=("$workdir")
  mapfile -t pids < <(marked_pids "${marker[@]}")
  if ((${#pids[@]})); then
    for i in "${pids[@]}"; do removed+=("process $i ($(tr '\0' ' ' <"/proc/$i/cmdline" 2>/dev/null | cut -c1-60))"); done
    kill -KILL "${pids[@]}" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
      [[ -z $(marked_pids "${marker[@]}") ]] && break
      sleep 0.1
    done
  fi
  for br in $(ovs-vsctl --timeout=5 list-br 2>/dev/null); do
    [[ " ${LAB_BRIDGES[*]} " == *" $br "* ]] || continue
    ovs-vsctl --timeout=5 --if-exists del-br "$br" && removed+=("bridge $br")
  done
  for i in $(lab_interfaces); do
    ip link del "$i" 2>/dev/null && removed+=("interface $i")
  done
  if ((${#removed[@]})); then
    echo "lab: removed what $whose left behind:"
    printf '  %s\n' "${removed[@]}"
  fi
}

# --- tools ----------------------------------------------------------------------------------
missing_tools() {
  local t
  for t in ovs-vsctl ovs-vswitchd ovs-ofctl ovs-appctl ovsdb-server mn ip dotnet; do
    command -v "$t" >/dev/null || echo "$t"
  done
  # (the package only: lab/lablib/compat.py lets mininet.node import on Python 3.12+)
  if ! { [[ -x $PYTHON ]] && "$PYTHON" -c 'import mininet' 2>/dev/null; }; then
    echo "mininet (module of $PYTHON)"
  fi
}
if [[ -n $(missing_tools) ]]; then
  echo "lab: missing: $(missing_tools | paste -sd ' ')"
  if [[ -x $repo/lab/provision.sh ]]; then
    "$repo/lab/provision.sh" --deps-only 9>&-          # (installing OVS starts its daemons)
  else
    "$repo/tests/install-deps.sh" 9>&-
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mininet >/dev/null 9>&-
  fi
  [[ -z $(missing_tools) ]] || die "still missing after installing: $(missing_tools | paste -sd ' ')"
fi

# --- Open vSwitch (the system instance Mininet uses) ----------------------------------------
ovs_running() {
  ovs-vsctl --timeout=5 show >/dev/null 2>&1 && ovs-appctl --timeout=5 -t ovs-vswitchd version >/dev/null 2>&1
}
start_ovs() {
  # Under systemd the service unit; elsewhere (containers, no init) Debian's ovs-ctl, which skips
  # the kernel module when the kernel has no module support: the lab uses the userspace datapath.
  local out
  if [[ -d /run/systemd/system ]]; then
    systemctl start openvswitch-switch 9>&-
  elif ! out=$("$OVS_CTL" start --system-id=random 2>&1 9>&-); then
    echo "$out" >&2
    return 1
  fi
}
stop_ovs() {
  local out
  if [[ -d /run/systemd/system ]]; then
    systemctl stop openvswitch-switch 9>&- || true
  elif ! out=$("$OVS_CTL" stop 2>&1 9>&-); then
    echo "$out" >&2
  fi
}
if ! ovs_running; then
  echo "lab: starting Open vSwitch"
  started_ovs=yes
  start_ovs || die "could not start Open vSwitch"
  for _ in $(seq 50); do ovs_running && break; sleep 0.2; done
  ovs_running || die "Open vSwitch started but ovs-vsctl cannot reach it"
fi
# We hold the lock, so no other lab run is in progress: whatever carries a run marker or has a lab
# bridge's name is left from a run that was killed (SIGKILL, a crash, a reboot: OVS keeps its
# bridges in its database). Without this, those bridges stayed on the machine.
remove_leftovers any "an earlier lab run (killed before it could clean up)"

# --- the controller -------------------------------------------------------------------------
# OVSLB_ARTIFACTS moves the build output out of the tree (see Directory.Build.props).
if [[ -n ${OVSLB_ARTIFACTS:-} ]]; then
  dll=$OVSLB_ARTIFACTS/bin/OvsLb.Controller/release/ovslb.dll
else
  dll=$repo/src/OvsLb.Controller/bin/Release/net10.0/ovslb.dll
fi
stale() {
  [[ ! -f $dll ]] && return 0
  [[ -n $(find "$repo/src" "$repo"/Directory.*.props \( -name bin -o -name obj \) -prune -o -type f -newer "$dll" -print -quit) ]]
}
if stale; then
  echo "lab: building the controller (dotnet build -c Release src/OvsLb.Controller)"
  if ! dotnet build -c Release "$repo/src/OvsLb.Controller" -nologo -v q >"$workdir/build.log" 2>&1 9>&-; then
    grep -E "error" "$workdir/build.log" >&2 || cat "$workdir/build.log" >&2
    die "the controller does not build"
  fi
fi

start_controller() {    # FILE LOG -> sets controller_pid, controller_endpoint
  local file=$1 line
  # Port 0: the kernel picks a free port at bind and the controller logs it. (Picking a free port
  # first and passing it on races with every other program binding port 0 meanwhile, such as the
  # tests running beside the lab in CI: "Address already in use".) The status port likewise.
  dotnet "$dll" run --config "$file" "--Controller:Listen:0=127.0.0.1:0" --Status:Listen=127.0.0.1:0 >"$2" 2>&1 9>&- &
  controller_pid=$!
  for _ in $(seq 300); do
    line=$(grep -aoEs "Listening for OpenFlow 1\.3 switches on 127\.0\.0\.1:[0-9]+" "$2" | head -n1)
    if [[ -n $line ]]; then
      controller_endpoint=${line##* on }
      return 0
    fi
    kill -0 "$controller_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "lab: the controller did not start; its log:" >&2
  cat "$2" >&2
  return 1
}

stop_controller() {
  if [[ -n $controller_pid ]]; then
    kill -TERM "$controller_pid" 2>/dev/null || true
    wait "$controller_pid" 2>/dev/null || true
    controller_pid=""
  fi
}

# --- the modes ------------------------------------------------------------------------------
results=() failed=0 start=$SECONDS
for mode in "${modes[@]}"; do
  log=$workdir/controller-$mode.log
  # The topology's temporary files (servers' output, snoops) go here, removed after it, whatever
  # happened to it; and the controller's configuration: a copy that the topology's checks may
  # rewrite (the controller watches its file and applies a change), leaving lab/MODE alone.
  scratch=$workdir/$mode.tmp
  mkdir -p "$scratch"
  live_config=$scratch/config.json
  cp "${config:-$repo/lab/$mode/config.json}" "$live_config"
  if ! start_controller "$live_config" "$log"; then
    results+=("RESULT $mode FAIL (the controller did not start)")
    failed=$((failed + 1))
    keep_logs=true
    rm -rf "$scratch"
    continue
  fi
  args=(--controller "$controller_endpoint" --connections "$connections" --controller-log "$log"
    --config "${config:-$repo/lab/$mode/config.json}" --live-config "$live_config")
  if $cli; then args+=(--cli); fi
  rc=0
  if $cli; then
    env "$RUN_MARKER=$workdir" TMPDIR="$scratch" "$PYTHON" "$repo/lab/$mode/topo.py" "${args[@]}" 9>&- | tee "$workdir/$mode.out" || rc=$?
  else
    # In the background so that a signal reaches the trap at once (it stops the topology).
    # tee ignores Ctrl-C so that the topology's last lines (its cleanup, the RESULT) still show.
    env "$RUN_MARKER=$workdir" TMPDIR="$scratch" "$PYTHON" "$repo/lab/$mode/topo.py" "${args[@]}" > >(trap "" INT TERM HUP PIPE; exec tee "$workdir/$mode.out" 9>&-) 2>&1 9>&- &
    topo_pid=$!
    wait "$topo_pid" || rc=$?
    topo_pid=""
  fi
  remove_leftovers            # (nothing, unless the topology crashed or was killed)
  stop_controller
  rm -rf "$scratch"
  line=$(grep -aoE "RESULT $mode (PASS|FAIL).*" "$workdir/$mode.out" || echo "RESULT $mode FAIL (the topology stopped with exit code $rc, no result)")
  results+=("$line")
  if ((rc != 0)); then
    failed=$((failed + 1))
    keep_logs=true
    echo "lab: controller log of $mode: $log"
  fi
  echo
done

echo "=== summary ($((SECONDS - start)) s) ==="
printf '%s\n' "${results[@]}"
echo "lab: $((${#modes[@]} - failed))/${#modes[@]} modes passed"
((failed == 0))

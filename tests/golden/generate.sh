#!/bin/bash
# Regenerates the OpenFlow 1.3 golden vectors in tests/golden/data/ from
# Open vSwitch (ovs-ofctl + ovs-vswitchd 3.1, dummy datapath).
#
# Starts a private OVS sandbox (ovsdb-server + ovs-vswitchd --enable-dummy
# --disable-system) in a fresh `mktemp -d` directory, runs
# generate_corpus.py against it and tears everything down on exit.
# Nothing is left running and nothing outside the temp dir and
# tests/golden/data/ is touched.
#
# Usage: tests/golden/generate.sh [OUTDIR [--only TOPIC ...]]
#        (OUTDIR defaults to tests/golden/data)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
outdir=${1:-$here/data}

for tool in ovs-ofctl ovs-vsctl ovs-appctl ovsdb-tool ovsdb-server ovs-vswitchd python3; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
schema=/usr/share/openvswitch/vswitch.ovsschema
[ -r "$schema" ] || { echo "$0: $schema not found" >&2; exit 1; }

sandbox=$(mktemp -d /tmp/ovs-golden.XXXXXX)

stop_daemon() {
    # $1 = daemon name; stop it via its pidfile and wait until it is gone.
    local pidfile=$sandbox/$1.pid pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    ovs-appctl -t "$sandbox/$1.$pid.ctl" exit >/dev/null 2>&1 || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_daemon ovs-vswitchd
    stop_daemon ovsdb-server
    if [ $rc -ne 0 ] && [ -f "$sandbox/ovs-vswitchd.log" ]; then
        echo "--- last lines of ovs-vswitchd.log ---" >&2
        tail -n 30 "$sandbox/ovs-vswitchd.log" >&2 || true
    fi
    rm -rf "$sandbox"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export OVS_RUNDIR=$sandbox OVS_LOGDIR=$sandbox OVS_DBDIR=$sandbox \
       OVS_SYSCONFDIR=$sandbox OVS_PKGDATADIR=/usr/share/openvswitch
# Keep ovs-ofctl & co. from picking up anything from the environment.
unset OVS_CTL_TIMEOUT || true

ovsdb-tool create "$sandbox/conf.db" "$schema"
ovsdb-server --detach --no-chdir -vconsole:off \
    --pidfile="$sandbox/ovsdb-server.pid" \
    --log-file="$sandbox/ovsdb-server.log" \
    --remote="punix:$sandbox/db.sock" "$sandbox/conf.db" 2>/dev/null
ovs-vsctl --db="unix:$sandbox/db.sock" --no-wait init
ovs-vswitchd --detach --no-chdir -vconsole:off \
    --pidfile="$sandbox/ovs-vswitchd.pid" \
    --log-file="$sandbox/ovs-vswitchd.log" \
    --enable-dummy --disable-system "unix:$sandbox/db.sock" 2>/dev/null

# Freeze ovs-vswitchd's clock: flow/port/group/meter durations, timeouts and
# echo requests then only move with explicit `ovs-appctl time/warp`, which
# makes the captured bytes reproducible.
ovs-appctl -t ovs-vswitchd time/stop >/dev/null

mkdir -p "$outdir"
python3 "$here/generate_corpus.py" --sandbox "$sandbox" --out "$outdir" "${@:2}"

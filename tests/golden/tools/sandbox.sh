#!/bin/bash
# start|stop a private OVS sandbox (dummy datapath, br0 with ports 1-3) in $GOLDEN_SANDBOX (default /tmp/gb/sb)
set -e
sb=${GOLDEN_SANDBOX:-/tmp/gb/sb}
export OVS_RUNDIR=$sb OVS_LOGDIR=$sb OVS_DBDIR=$sb OVS_SYSCONFDIR=$sb OVS_PKGDATADIR=/usr/share/openvswitch
case "$1" in
start)
  rm -rf "$sb"; mkdir -p "$sb"
  ovsdb-tool create "$sb/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server --detach --no-chdir -vconsole:off --pidfile="$sb/ovsdb-server.pid" --log-file="$sb/ovsdb-server.log" --remote=punix:"$sb/db.sock" "$sb/conf.db"
  ovs-vsctl --db=unix:"$sb/db.sock" --no-wait init
  ovs-vswitchd --detach --no-chdir -vconsole:off --pidfile="$sb/ovs-vswitchd.pid" --log-file="$sb/ovs-vswitchd.log" --enable-dummy --disable-system unix:"$sb/db.sock"
  ovs-appctl -t "$sb/ovs-vswitchd.$(cat "$sb/ovs-vswitchd.pid").ctl" time/stop
  ovs-vsctl --db=unix:"$sb/db.sock" --timeout=30 add-br br0 -- set bridge br0 datapath_type=dummy protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15 other-config:datapath-id=0000000000000100 \
     -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
     -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 \
     -- add-port br0 p3 -- set interface p3 type=dummy ofport_request=3
  ;;
stop)
  for d in ovs-vswitchd ovsdb-server; do
    if [ -f "$sb/$d.pid" ]; then ovs-appctl -t "$sb/$d.$(cat "$sb/$d.pid").ctl" exit || true; fi
  done
  ;;
esac

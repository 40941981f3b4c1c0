#!/usr/bin/env python3
"""Captures OFPT_ERRORs (and raw bundle replies) from ovs-vswitchd. Writes errors.golden and bundles-raw.golden."""
import re, struct, subprocess, sys
from cap import *
from raw import Raw
import capture

def parse_flow(flow):
    out = subprocess.run(OFCTL + ["-mmmmm", "parse-flow", flow], capture_output=True, text=True, env=ENV).stdout
    b = bytearray()
    for l in out.splitlines():
        if re.match(r"^[0-9a-f]{8}  ", l):
            b += bytes.fromhex(l[10:57].replace("-", " "))
    return bytes(b)

def with_xid(m, xid): return m[:4] + struct.pack("!I", xid) + m[8:]
def fix_len(m): return m[:2] + struct.pack("!H", len(m)) + m[4:]
def msg(t, xid, body=b"", v=4): return struct.pack("!BBHI", v, t, 8 + len(body), xid) + body
ONF = 0x4F4E4600
def bctl(xid, bid, typ, flags, props=b""): return msg(4, xid, struct.pack("!IIIHH", ONF, 2300, bid, typ, flags) + props)
def badd(xid, bid, flags, inner, tail=b""): return msg(4, xid, struct.pack("!IIIHH", ONF, 2301, bid, 0, flags) + inner + tail)
def group_mod(xid, cmd, typ, gid, buckets=b""): return msg(15, xid, struct.pack("!HBxI", cmd, typ, gid) + buckets)
def bucket(weight=0, wport=0xffffffff, wgroup=0xffffffff, actions=b"", length=None):
    return struct.pack("!HHII4x", length if length is not None else 16 + len(actions), weight, wport, wgroup) + actions
def output(port): return struct.pack("!HHIH6x", 0, 16, port, 0xffff)

c = Cap()
braw = Cap.__new__(Cap); braw.entries = []
c.ofctl(["del-groups", "{SW}"]); c.ofctl(["del-flows", "{SW}"])

# ---- errors for requests ovs-ofctl encodes
c.ofctl(["add-group", "{SW}", "group_id=1,type=all,bucket=output:1"])
big = "group_id=2,type=all,bucket=actions=dec_ttl,output:1," + ",".join(["bucket=actions=output:1"] * 2046)
c.ofctl(["add-groups", "{SW}", "FILE1"], {"FILE1": big + "\n"})
O = [
 ("flow-table-254", ["add-flow", "{SW}", "table=254,actions=drop"]),
 ("flow-missing-group", ["add-flow", "{SW}", "actions=group:77"]),
 ("flow-missing-meter", ["add-flow", "{SW}", "actions=meter:5,output:1"]),
 ("group-exists", ["add-group", "{SW}", "group_id=1,type=all,bucket=output:1"]),
 ("group-unknown", ["mod-group", "{SW}", "group_id=9,type=all,bucket=output:1"]),
 ("group-id-all", ["add-group", "{SW}", "group_id=4294967292,type=all,bucket=output:1"]),
 ("group-watch-unsupported", ["add-group", "{SW}", "group_id=6,type=all,bucket=watch_port:1,actions=output:1"]),
 ("group-exists-65528-bytes-truncated", ["add-groups", "{SW}", "FILE1"], {"FILE1": big + "\n"}),
]
for o in O:
    files = o[2] if len(o) > 2 else None
    extra = {"file": "group_id=2,type=all,bucket=actions=dec_ttl,output:1 followed by 2046 x bucket=actions=output:1 (a 65528-byte GROUP_MOD)"} if files else None
    msgs, cmd, p = c.ofctl(o[1], files, check=False)
    n = 0
    for conn, d, m in msgs:
        if is_error(d, m):
            n += 1
            c.add("%s-%d" % (o[0], n), cmd, d, m, extra)
    if not n: print("WARNING nothing for", o[0], p.stderr, file=sys.stderr)

# ---- errors for requests sent by a raw OF1.3 client (request bytes described in cmd)
def raw_case(name, desc, reqs, keep=lambda m: m[1] == 1, sink=None, fresh=False, wait=True):
    r = Raw()
    out = r.exchange(reqs, wait_barrier=wait)
    n = 0
    for m in out:
        if keep(m):
            n += 1
            (sink or c).add("%s-%d" % (name, n), "raw OF1.3 client on br0.mgmt sends " + desc + ": " + " ".join(x.hex() for x in reqs), "from-switch", m)
    if not n: print("WARNING nothing for", name, [m.hex() for m in out], file=sys.stderr)
    r.s.close()

fm_goto = parse_flow("table=3,actions=goto_table:4")
fm_goto_low = with_xid(fm_goto[:24] + bytes([5]) + fm_goto[25:], 0x31)
raw_case("flow-goto-table-lower", "parse-flow 'table=3,actions=goto_table:4' with table_id patched to 5", [fm_goto_low])
fm_out = parse_flow("actions=output:1")
i = fm_out.index(bytes.fromhex("0000001000000001"))
fm_out_bad = with_xid(fm_out[:i + 4] + struct.pack("!I", 0xffffff00) + fm_out[i + 8:], 0x32)
raw_case("flow-output-port-max", "parse-flow 'actions=output:1' with the port patched to 0xffffff00", [fm_out_bad])
fm_short = with_xid(fix_len(fm_out[:40]), 0x33)
raw_case("flow-mod-short", "the first 40 bytes of parse-flow 'actions=output:1' (length 40)", [fm_short])
raw_case("unknown-type", "type 0x63", [msg(0x63, 0x34, b"\0" * 8)])
raw_case("bad-version-of14-barrier", "OF1.4 BARRIER_REQUEST", [msg(20, 0x35, v=5)], wait=False)
raw_case("bad-version-0x07-features", "version 0x07 FEATURES_REQUEST", [msg(5, 0x36, v=7)], wait=False)
raw_case("unknown-vendor", "experimenter 0x12345678", [msg(4, 0x37, struct.pack("!II", 0x12345678, 1))])
raw_case("unknown-nx-subtype", "Nicira experimenter subtype 0x777", [msg(4, 0x38, struct.pack("!II", 0x2320, 0x777))])
raw_case("unknown-onf-subtype", "ONF experimenter subtype 2999", [msg(4, 0x39, struct.pack("!II", ONF, 2999))])
raw_case("unknown-multipart", "MULTIPART_REQUEST type 0x77", [msg(18, 0x3a, struct.pack("!HH4x", 0x77, 0))])
raw_case("group-bucket-len-overrun", "GROUP_MOD whose bucket claims 200 bytes", [group_mod(0x3b, 0, 1, 40, bucket(1, actions=output(1), length=200))])
raw_case("group-bucket-len-short", "GROUP_MOD whose bucket claims 8 bytes", [group_mod(0x3c, 0, 1, 41, bucket(1, actions=output(1), length=8))])
raw_case("group-bad-watch", "select GROUP_MOD with watch_port 0xff00", [group_mod(0x3d, 0, 1, 42, bucket(1, wport=0xff00, actions=output(1)))])
raw_case("group-bad-type", "GROUP_MOD type 7", [group_mod(0x3e, 0, 7, 43, bucket(0, actions=output(1)))])
raw_case("group-bad-command", "GROUP_MOD command 9", [group_mod(0x3f, 9, 0, 44, bucket(0, actions=output(1)))])
raw_case("group-delete-with-bucket", "GROUP_MOD DELETE carrying a bucket", [group_mod(0x40, 2, 0, 1, bucket(0, actions=output(1)))])
raw_case("group-indirect-two-buckets", "indirect GROUP_MOD with two buckets", [group_mod(0x41, 0, 2, 45, bucket(0, actions=output(1)) + bucket(0, actions=output(2)))])
raw_case("group-ff-no-watch", "fast failover GROUP_MOD bucket without watch", [group_mod(0x42, 0, 3, 46, bucket(0, actions=output(1)))])
raw_case("group-weight-in-all", "all GROUP_MOD bucket with weight 3", [group_mod(0x43, 0, 0, 47, bucket(3, actions=output(1)))])

# ---- bundles driven by a raw client
fm = parse_flow("table=0,priority=7,ip,nw_dst=10.1.0.1,actions=output:2")
def bundle_reply(m): return m[1] == 4 or m[1] == 1
r = Raw()
seq = [
 ("open-5", "BUNDLE_CONTROL OPEN_REQUEST bundle 5 atomic", bctl(0x50, 5, 0, 1)),
 ("open-5-again", "BUNDLE_CONTROL OPEN_REQUEST bundle 5 again", bctl(0x51, 5, 0, 1)),
 ("add-5", "BUNDLE_ADD bundle 5 of parse-flow 'table=0,priority=7,ip,nw_dst=10.1.0.1,actions=output:2'", badd(0x52, 5, 1, with_xid(fm, 0x52))),
 ("close-5", "BUNDLE_CONTROL CLOSE_REQUEST bundle 5 atomic", bctl(0x53, 5, 2, 1)),
 ("add-5-closed", "BUNDLE_ADD to closed bundle 5", badd(0x54, 5, 1, with_xid(fm, 0x54))),
 ("commit-5-bad-flags", "BUNDLE_CONTROL COMMIT_REQUEST bundle 5 ordered (opened atomic)", bctl(0x55, 5, 4, 2)),
 ("discard-5", "BUNDLE_CONTROL DISCARD_REQUEST bundle 5 atomic", bctl(0x56, 5, 6, 1)),
 ("commit-unknown", "BUNDLE_CONTROL COMMIT_REQUEST bundle 0x77", bctl(0x57, 0x77, 4, 3)),
 ("ctl-bad-type", "BUNDLE_CONTROL type 9 bundle 6", bctl(0x58, 6, 9, 0)),
 ("ctl-reply-type", "BUNDLE_CONTROL OPEN_REPLY bundle 6", bctl(0x61, 6, 1, 0)),
 ("open-props", "BUNDLE_CONTROL OPEN_REQUEST bundle 0xabcdef01 flags 0 with an experimenter property", bctl(0x59, 0xabcdef01, 0, 0, struct.pack("!HHII", 0xffff, 12, 0x2320, 1) + b"\0" * 4)),
 ("add-xid-mismatch", "BUNDLE_ADD whose FLOW_MOD has xid 0x99", badd(0x5a, 0xabcdef01, 0, with_xid(fm, 0x99))),
 ("add-nested", "BUNDLE_ADD containing a BUNDLE_CONTROL", badd(0x5b, 0xabcdef01, 0, bctl(0x5b, 1, 0, 0))),
 ("add-barrier", "BUNDLE_ADD containing a BARRIER_REQUEST", badd(0x5c, 0xabcdef01, 0, msg(20, 0x5c))),
 ("add-inner-too-long", "BUNDLE_ADD whose FLOW_MOD claims 8 more bytes than present", badd(0x5d, 0xabcdef01, 0, with_xid(fm[:2] + struct.pack("!H", len(fm) + 8) + fm[4:], 0x5d))),
 ("add-inner-of14", "BUNDLE_ADD containing an OF1.4 BARRIER_REQUEST", badd(0x5e, 0xabcdef01, 0, msg(20, 0x5e, v=5))),
 ("add-group", "BUNDLE_ADD of a select GROUP_MOD", badd(0x5f, 0xabcdef01, 0, group_mod(0x5f, 0, 1, 60, bucket(2, actions=output(1)) + bucket(3, actions=output(2))))),
 ("commit-props", "BUNDLE_CONTROL COMMIT_REQUEST bundle 0xabcdef01 flags 0", bctl(0x60, 0xabcdef01, 4, 0)),
]
for name, desc, m in seq:
    out = r.exchange([m], barrier_xid=0xbeef00 + m[7])
    n = 0
    for o in out:
        n += 1
        sink = c if o[1] == 1 else braw
        sink.add("bundle-%s-%d" % (name, n), "raw OF1.3 client on br0.mgmt (one connection, in order) sends " + desc + ": " + m.hex(), "from-switch", o)
    if not n: print("no reply for", name, file=sys.stderr)
c.write(sys.argv[1])
braw.write(sys.argv[2])

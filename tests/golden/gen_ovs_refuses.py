#!/usr/bin/env python3
"""Writes tests/golden/data/ovs-refuses.golden: hand-made OpenFlow 1.3 messages
and what Open vSwitch 3.1's `ovs-ofctl -O OpenFlow13 ofp-print HEX` prints for
them.

Unlike the other generators, the `hex:` bytes here are written by hand (with
struct, below): they are inputs OVS's decoder refuses (bad set_field OXMs,
actions whose prerequisites the flow's match lacks, output ports outside OVS's
range, unknown meter bands, experimenter ids and instructions, ...), plus a few
it accepts that an encoder could get wrong (a UTF-8 table name,
NXAST_OUTPUT_TRUNC).  Every `text:` line is OVS's output for exactly that hex,
so the expected text never comes from this project.

Needs only `ovs-ofctl` (no daemons).  Standard library only.

Usage: tests/golden/gen_ovs_refuses.py [OUTDIR]   (default: tests/golden/data)
"""

import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOPIC = "ovs-refuses"


# --- encoders (OpenFlow 1.3.5 wire format) ----------------------------------

def msg(typ, body, xid=1):
    return struct.pack("!BBHI", 4, typ, 8 + len(body), xid) + body


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def oxm(field, value, cls=0x8000, mask=None):
    payload = value + (mask or b"")
    return struct.pack("!HBB", cls, (field << 1) | (mask is not None), len(payload)) + payload


def match(*entries):
    body = b"".join(entries)
    return pad8(struct.pack("!HH", 1, 4 + len(body)) + body)


def eth_type(t):
    return oxm(5, struct.pack("!H", t))


def ip_proto(p):
    return oxm(10, bytes([p]))


IPV4_TCP = match(eth_type(0x0800), ip_proto(6))


def action(typ, body=b""):
    b = pad8(struct.pack("!HH", typ, 0) + body)
    return b[:2] + struct.pack("!H", len(b)) + b[4:]


def output(port, max_len=0xffff):
    return struct.pack("!HHIH6x", 0, 16, port, max_len)


def set_field(entry, tail=b""):
    """OFPAT_SET_FIELD with ENTRY, then TAIL, zero-padded to 8."""
    return action(25, entry + tail)


def experimenter_action(subtype, body, vendor=0x00002320):
    b = pad8(struct.pack("!HHIH", 0xffff, 0, vendor, subtype) + body)
    return b[:2] + struct.pack("!H", len(b)) + b[4:]


def apply_actions(*acts):
    body = b"".join(acts)
    return struct.pack("!HH4x", 4, 8 + len(body)) + body


def write_actions(*acts):
    body = b"".join(acts)
    return struct.pack("!HH4x", 3, 8 + len(body)) + body


def goto_table(t):
    return struct.pack("!HHB3x", 1, 8, t)


def flow_mod(m=None, insts=b"", table=0, xid=1):
    body = struct.pack("!QQBBHHHIIIH2x", 0, 0, table, 0, 0, 0, 0x8000,
                       0xffffffff, 0xffffffff, 0xffffffff, 0)
    return msg(14, body + (m if m is not None else match()) + insts, xid)


def multipart_reply(mp_type, body, flags=0, xid=1):
    return msg(19, struct.pack("!HH4x", mp_type, flags) + body, xid)


def flow_stats(insts, m=None):
    body = struct.pack("!BxIIHHHH4xQQQ", 0, 1, 0, 0x8000, 0, 0, 0, 0, 0, 0)
    body += (m if m is not None else match()) + insts
    return struct.pack("!H", 2 + len(body)) + body


def group_mod(buckets, gid=1, gtype=0):
    return msg(15, struct.pack("!HBxI", 0, gtype, gid) + buckets)


def bucket(*acts, watch_port=0xffffffff):
    body = b"".join(acts)
    return struct.pack("!HHII4x", 16 + len(body), 0, watch_port, 0xffffffff) + body


def packet_out(acts, in_port=0xfffffffd):
    return msg(13, struct.pack("!IIH6x", 0xffffffff, in_port, len(acts)) + acts)


def band(btype, rate=1000, tail=struct.pack("!I", 0)):
    return struct.pack("!HHII", btype, 12 + len(tail), rate, 0) + tail


DROP = band(1)


def meter_mod(bands, command=0, flags=1, mid=1):
    return msg(29, struct.pack("!HHI", command, flags, mid) + bands)


def meter_config(mid, bands, flags=1):
    return struct.pack("!HHI", 8 + len(bands), flags, mid) + bands


def table_features(table, name):
    raw = name.encode("utf-8")
    body = struct.pack("!B5x", table) + raw + b"\0" * (32 - len(raw))
    body += struct.pack("!QQII", 0, 0, 0, 1000)
    # The properties OVS requires (OFPTFPT13_REQUIRED), empty: instructions, next_tables,
    # write/apply_actions, match, wildcards, write/apply_setfield.
    for prop in (0, 2, 4, 6, 8, 10, 12, 14):
        body += struct.pack("!HH4x", prop, 4)
    return struct.pack("!H", 2 + len(body)) + body


NX_OUTPUT_TRUNC = 39


def output_trunc(port, max_len):
    return experimenter_action(NX_OUTPUT_TRUNC, struct.pack("!HI", port, max_len))


# --- the corpus ---------------------------------------------------------------

def corpus():
    e = []

    def add(name, note, m):
        e.append((name, note, m))

    # set_field: OXM length, unknown field, mask, field/value OVS refuses.
    add("set-field-oxm-length-3-for-tcp-dst", "tcp_dst OXM with a 3-byte value (OFPBAC_BAD_SET_LEN)",
        flow_mod(IPV4_TCP, apply_actions(set_field(oxm(14, b"\x00\x50\x00")))))
    add("set-field-oxm-length-1-for-ipv4-dst", "ipv4_dst OXM with a 1-byte value",
        flow_mod(match(eth_type(0x0800)), apply_actions(set_field(oxm(12, b"\x0a")))))
    add("set-field-unknown-oxm-field", "OXM field 100 of class 0x8000 (OFPBAC_BAD_SET_TYPE)",
        flow_mod(insts=apply_actions(set_field(oxm(100, b"\x00\x00")))))
    add("set-field-masked", "masked tcp_dst in an OF1.3 set_field (OFPBAC_BAD_SET_MASK)",
        flow_mod(IPV4_TCP, apply_actions(set_field(oxm(14, b"\x00\x50", mask=b"\xff\xff")))))
    add("set-field-in-port-oxm", "OXM in_port may not be set (OFPBAC_BAD_SET_ARGUMENT)",
        flow_mod(insts=apply_actions(set_field(oxm(0, b"\x00\x00\x00\x01")))))
    add("set-field-not-writable-ip-proto", "ip_proto is not writable",
        flow_mod(match(eth_type(0x0800)), apply_actions(set_field(oxm(10, b"\x06")))))
    add("set-field-ip-dscp-64", "ip_dscp value 64 does not fit 6 bits",
        flow_mod(match(eth_type(0x0800)), apply_actions(set_field(oxm(8, b"\x40")))))
    add("set-field-vlan-vid-without-present-bit", "vlan_vid 5 without OFPVID_PRESENT (0x1000)",
        flow_mod(match(oxm(6, b"\x10\x05")), apply_actions(set_field(oxm(6, b"\x00\x05")))))
    add("set-field-nonzero-padding", "tcp_dst set_field whose padding is not zero",
        flow_mod(IPV4_TCP, apply_actions(set_field(oxm(14, b"\x00\x50"), b"\x00\x01"))))
    add("set-field-ok-tcp-dst", "accepted: tcp_dst with eth_type=0x800 and ip_proto=6 in the match",
        flow_mod(IPV4_TCP, apply_actions(set_field(oxm(14, b"\x00\x50")))))

    # Action prerequisites checked against the flow's match (ofpacts_check).
    add("prereq-set-field-tcp-dst-without-ip-proto", "set_field tcp_dst, match without ip_proto=6 (OFPBAC_MATCH_INCONSISTENT)",
        flow_mod(match(eth_type(0x0800)), apply_actions(set_field(oxm(14, b"\x00\x50")))))
    add("prereq-set-field-tcp-dst-udp-flow", "set_field tcp_dst in a UDP flow",
        flow_mod(match(eth_type(0x0800), ip_proto(17)), apply_actions(set_field(oxm(14, b"\x00\x50")))))
    add("prereq-set-field-ipv4-src-empty-match", "set_field ipv4_src with an empty match",
        flow_mod(insts=apply_actions(set_field(oxm(11, b"\x0a\x00\x00\x01")))))
    add("prereq-set-field-vlan-vid-without-vlan", "set_field vlan_vid in a flow that has no VLAN header",
        flow_mod(insts=apply_actions(set_field(oxm(6, b"\x10\x05")))))
    add("prereq-set-field-vlan-vid-after-push-vlan", "accepted: push_vlan adds the header set_field vlan_vid needs",
        flow_mod(insts=apply_actions(action(17, struct.pack("!H", 0x8100)), set_field(oxm(6, b"\x10\x05")))))
    add("prereq-set-field-tcp-dst-after-push-mpls", "push_mpls hides the TCP header from the set_field after it",
        flow_mod(IPV4_TCP, apply_actions(action(19, struct.pack("!H", 0x8847)), set_field(oxm(14, b"\x00\x50")))))
    add("prereq-set-field-in-write-actions", "set_field tcp_dst inside write_actions with an empty match",
        flow_mod(insts=write_actions(set_field(oxm(14, b"\x00\x50")))))
    add("prereq-dec-ttl-without-ip", "dec_ttl in a flow that does not match IP",
        flow_mod(insts=apply_actions(action(24))))
    add("prereq-dec-ttl-in-write-actions-accepted", "accepted: OVS does not check the consistency of an action set",
        flow_mod(insts=write_actions(action(24))))
    add("prereq-pop-vlan-without-vlan", "pop_vlan in a flow without a VLAN",
        flow_mod(insts=apply_actions(action(18))))
    add("prereq-ct-without-ip", "ct(commit) in a flow that does not match IP",
        flow_mod(insts=apply_actions(experimenter_action(35, struct.pack("!HIHBxxxH", 1, 0, 0, 0xff, 0)))))
    add("goto-table-backwards", "goto_table 2 from table 3 (OFPBIC_BAD_TABLE_ID)",
        flow_mod(table=3, insts=goto_table(2)))

    # Port numbers outside OVS's range.
    add("output-port-0xff00", "output to 0xff00: neither below OFPP_MAX nor reserved (OFPBAC_BAD_OUT_PORT)",
        flow_mod(insts=apply_actions(output(0xff00))))
    add("output-port-0xffffff00", "output to 0xffffff00 (maps to 16-bit OFPP_MAX)",
        flow_mod(insts=apply_actions(output(0xffffff00))))
    add("output-port-any", "output to ANY",
        flow_mod(insts=apply_actions(output(0xffffffff))))
    add("output-port-any-in-write-actions", "output to ANY inside write_actions",
        flow_mod(insts=write_actions(output(0xffffffff))))
    add("group-bucket-output-port-any", "GROUP_MOD bucket with output to ANY",
        group_mod(bucket(output(0xffffffff))))
    add("packet-out-output-port-any", "PACKET_OUT with output to ANY",
        packet_out(output(0xffffffff)))
    add("packet-out-in-port-normal", "PACKET_OUT with in_port NORMAL (OFPBRC_BAD_PORT)",
        packet_out(output(1), in_port=0xfffffffa))
    add("packet-out-in-port-0xff00", "PACKET_OUT with in_port 0xff00",
        packet_out(output(1), in_port=0xff00))

    # Meter bands of unknown type.
    add("meter-mod-band-type-9", "METER_MOD band type 9 (OFPMMFC_BAD_BAND)",
        meter_mod(band(9)))
    add("meter-mod-band-experimenter", "METER_MOD experimenter band",
        meter_mod(band(0xffff, tail=struct.pack("!I", 0x00002320))))
    add("meter-mod-bad-command", "METER_MOD command 5 (OFPMMFC_BAD_COMMAND)",
        meter_mod(DROP, command=5))
    add("meter-mod-kbps-and-pktps", "METER_MOD with both kbps and pktps (OFPMMFC_BAD_FLAGS)",
        meter_mod(DROP, flags=3))
    add("meter-config-reply-second-band-unknown", "METER_CONFIG reply: meter 1 fine, meter 2 with band type 9",
        multipart_reply(10, meter_config(1, DROP) + meter_config(2, band(9))))

    # Experimenter ids and subtypes OVS does not know.
    add("action-unknown-vendor", "experimenter action with vendor 0x12345678 (OFPBAC_BAD_VENDOR)",
        flow_mod(insts=apply_actions(experimenter_action(1, b"\0" * 6, vendor=0x12345678))))
    add("action-nicira-unknown-subtype", "Nicira action subtype 200 (OFPBAC_BAD_VENDOR_TYPE)",
        flow_mod(insts=apply_actions(experimenter_action(200, b"\0" * 6))))
    add("action-nicira-of10-only-subtype", "Nicira subtype 18 (NXAST_DEC_TTL) exists only for OpenFlow 1.0",
        flow_mod(insts=apply_actions(experimenter_action(18, b"\0" * 6))))
    add("action-onf-unknown-subtype", "ONF action subtype 3201",
        flow_mod(insts=apply_actions(experimenter_action(3201, b"\0" * 6, vendor=0x4f4e4600))))
    add("action-copy-ttl-out", "OFPAT_COPY_TTL_OUT, which OVS does not implement (OFPBAC_BAD_TYPE)",
        flow_mod(insts=apply_actions(action(11))))
    add("action-push-pbb", "OFPAT_PUSH_PBB, which OVS does not implement",
        flow_mod(insts=apply_actions(action(26, struct.pack("!H", 0x88e7)))))
    add("experimenter-message-unknown-vendor", "OFPT_EXPERIMENTER with experimenter 0x12345678 (OFPBRC_BAD_VENDOR)",
        msg(4, struct.pack("!II", 0x12345678, 1)))
    add("experimenter-message-nicira-unknown-subtype", "Nicira message subtype 999 (OFPBRC_BAD_SUBTYPE)",
        msg(4, struct.pack("!II", 0x00002320, 999)))
    add("experimenter-message-onf-unknown-subtype", "ONF message subtype 999",
        msg(4, struct.pack("!II", 0x4f4e4600, 999)))
    add("experimenter-multipart-unknown-vendor", "OFPMP_EXPERIMENTER request with experimenter 0x12345678",
        msg(18, struct.pack("!HH4xII", 0xffff, 0, 0x12345678, 1)))

    # Instruction lists OVS refuses, in flow mods and inside a flow stats reply.
    add("instruction-duplicate-apply-actions", "two apply_actions (OFPBIC_DUP_INST)",
        flow_mod(insts=apply_actions(output(1)) + apply_actions(output(2))))
    add("instruction-unknown-type-7", "instruction type 7 (OFPBIC_UNKNOWN_INST)",
        flow_mod(insts=struct.pack("!HH4x", 7, 8)))
    add("instruction-experimenter", "experimenter instruction (OFPBIC_BAD_EXPERIMENTER)",
        flow_mod(insts=struct.pack("!HHI", 0xffff, 8, 0x00002320)))
    good = flow_stats(apply_actions(output(1)))
    add("flow-stats-reply-second-unknown-vendor", "FLOW reply: flow 1 fine, flow 2 with an action of vendor 0xabcdef",
        multipart_reply(1, good + flow_stats(apply_actions(experimenter_action(1, b"\0" * 6, vendor=0xabcdef)))))
    add("flow-stats-reply-duplicate-instruction", "FLOW reply whose only flow has two apply_actions",
        multipart_reply(1, flow_stats(apply_actions(output(1)) + apply_actions(output(2)))))
    add("flow-stats-reply-more-experimenter-instruction", "FLOW reply with flags=[more], flow with an experimenter instruction",
        multipart_reply(1, flow_stats(struct.pack("!HHI", 0xffff, 8, 0x00002320)), flags=1))
    add("flow-stats-reply-set-field-without-prereq-accepted", "accepted: a stats reply's actions are not checked against its match",
        multipart_reply(1, flow_stats(apply_actions(set_field(oxm(14, b"\x00\x50"))))))

    # Accepted by OVS.
    add("table-features-utf8-name", "TABLE_FEATURES reply, table 0 named 'tábla-ü' in UTF-8",
        multipart_reply(12, table_features(0, "tábla-ü")))
    add("output-trunc-port-1", "NXAST_OUTPUT_TRUNC port 1 max_len 100",
        flow_mod(insts=apply_actions(output_trunc(1, 100))))
    add("output-trunc-port-local", "NXAST_OUTPUT_TRUNC to LOCAL (16-bit 0xfffe)",
        flow_mod(insts=apply_actions(output_trunc(0xfffe, 64))))
    add("output-trunc-max-len-13", "NXAST_OUTPUT_TRUNC max_len below an Ethernet header (OFPBAC_BAD_ARGUMENT)",
        flow_mod(insts=apply_actions(output_trunc(1, 13))))
    add("output-trunc-port-any", "NXAST_OUTPUT_TRUNC to ANY (16-bit 0xffff)",
        flow_mod(insts=apply_actions(output_trunc(0xffff, 100))))
    add("output-trunc-in-group-bucket", "GROUP_MOD bucket with NXAST_OUTPUT_TRUNC",
        group_mod(bucket(output_trunc(2, 200))))

    # Other Nicira actions OVS 3.1 decodes in OpenFlow 1.3 that ovs-ofctl encodes differently.
    add("nx-set-tunnel", "NXAST_SET_TUNNEL tun_id 0x1234",
        flow_mod(insts=apply_actions(experimenter_action(2, struct.pack("!2xI", 0x1234)))))
    add("nx-set-tunnel64", "NXAST_SET_TUNNEL64 tun_id 0x123456789",
        flow_mod(insts=apply_actions(experimenter_action(9, struct.pack("!6xQ", 0x123456789)))))
    add("nx-write-metadata-masked", "NXAST_WRITE_METADATA 0x12/0xff",
        flow_mod(insts=apply_actions(experimenter_action(22, struct.pack("!6xQQ", 0x12, 0xff)))))
    add("nx-write-metadata-full-mask", "NXAST_WRITE_METADATA 0x12 with an all-ones mask",
        flow_mod(insts=apply_actions(experimenter_action(22, struct.pack("!6xQQ", 0x12, (1 << 64) - 1)))))
    add("nx-dec-nsh-ttl-nsh-flow", "NXAST_DEC_NSH_TTL in a flow matching eth_type=0x894f",
        flow_mod(match(eth_type(0x894f)), apply_actions(experimenter_action(48, b"\0" * 6))))
    add("nx-dec-nsh-ttl-without-nsh", "NXAST_DEC_NSH_TTL in a flow that does not match NSH",
        flow_mod(insts=apply_actions(experimenter_action(48, b"\0" * 6))))
    add("nx-debug-slow", "NXAST_DEBUG_SLOW: only ovs-vswitchd --enable-dummy knows it",
        flow_mod(insts=apply_actions(experimenter_action(254, b"\0" * 6))))

    # ONF copy_field (OpenFlow 1.3 extension of OF1.5 copy_field) and reg_move prerequisites.
    def copy_field(n_bits, src_ofs, dst_ofs, src, dst):
        return experimenter_action(3200, struct.pack("!2xHHH2xII", n_bits, src_ofs, dst_ofs, src, dst),
                                   vendor=0x4f4e4600)
    eth_src, eth_dst, tcp_dst, reg0, reg1 = 0x80000806, 0x80000606, 0x80001c02, 0x00010004, 0x00010204
    add("onf-copy-field-eth-src-to-eth-dst", "ONFACT_COPY_FIELD eth_src[0..47] -> eth_dst[0..47]",
        flow_mod(insts=apply_actions(copy_field(48, 0, 0, eth_src, eth_dst))))
    add("onf-copy-field-reg-bits", "ONFACT_COPY_FIELD reg0[4..11] -> reg1[8..15]",
        flow_mod(insts=apply_actions(copy_field(8, 4, 8, reg0, reg1))))
    add("onf-copy-field-tcp-dst-without-tcp", "ONFACT_COPY_FIELD tcp_dst -> reg0 in a flow without ip_proto=6",
        flow_mod(insts=apply_actions(copy_field(16, 0, 0, tcp_dst, reg0))))
    add("nx-reg-move-tcp-dst-without-tcp", "NXAST_REG_MOVE NXM_OF_TCP_DST -> reg0 in a flow without ip_proto=6",
        flow_mod(insts=apply_actions(experimenter_action(6, struct.pack("!HHHII", 16, 0, 0, 0x00001402, reg0)))))
    add("nx-reg-move-tcp-dst-tcp-flow", "accepted: the same move in a TCP flow",
        flow_mod(IPV4_TCP, apply_actions(experimenter_action(6, struct.pack("!HHHII", 16, 0, 0, 0x00001402, reg0)))))

    # NXAST_REG_LOAD2: a set_field that may carry a mask.
    add("nx-reg-load2-reg0", "NXAST_REG_LOAD2 reg0=5",
        flow_mod(insts=apply_actions(experimenter_action(33, oxm(0, struct.pack("!I", 5), cls=0x0001)))))
    add("nx-reg-load2-reg0-masked", "NXAST_REG_LOAD2 reg0=5/0xff",
        flow_mod(insts=apply_actions(experimenter_action(33, oxm(0, struct.pack("!I", 5), cls=0x0001,
                                                                mask=struct.pack("!I", 0xff))))))
    add("nx-reg-load2-tcp-dst-without-tcp", "NXAST_REG_LOAD2 tcp_dst in a flow without ip_proto=6",
        flow_mod(insts=apply_actions(experimenter_action(33, oxm(14, b"\x00\x50")))))
    add("nx-reg-load2-ip-proto-not-writable", "NXAST_REG_LOAD2 ip_proto (not writable)",
        flow_mod(match(eth_type(0x0800)), apply_actions(experimenter_action(33, oxm(10, b"\x06")))))

    # OpenFlow 1.1 field actions, deprecated in 1.2+ but decoded by OVS.
    vlan5 = match(oxm(6, b"\x10\x05"))
    ipv4 = match(eth_type(0x0800))
    mpls = match(eth_type(0x8847))
    legacy = [
        ("set-vlan-vid", vlan5, action(1, struct.pack("!H", 7))),
        ("set-vlan-pcp", vlan5, action(2, bytes([3]))),
        ("set-dl-src", None, action(3, bytes.fromhex("0a0b0c0d0e0f"))),
        ("set-dl-dst", None, action(4, bytes.fromhex("0a0b0c0d0e0f"))),
        ("set-nw-src", ipv4, action(5, struct.pack("!I", 0x0a000001))),
        ("set-nw-dst", ipv4, action(6, struct.pack("!I", 0x0a000002))),
        ("set-nw-tos", ipv4, action(7, bytes([0x20]))),
        ("set-nw-ecn", ipv4, action(8, bytes([2]))),
        ("set-tp-src", IPV4_TCP, action(9, struct.pack("!H", 80))),
        ("set-tp-dst", IPV4_TCP, action(10, struct.pack("!H", 8080))),
        ("set-mpls-label", mpls, action(13, struct.pack("!I", 5))),
        ("set-mpls-tc", mpls, action(14, bytes([3]))),
    ]
    for name, m, act in legacy:
        add("of11-" + name, "OpenFlow 1.1 action type %d" % struct.unpack("!H", act[:2])[0],
            flow_mod(m, apply_actions(act)))
    add("of11-set-vlan-vid-without-vlan", "set_vlan_vid (type 1) in a flow without a VLAN",
        flow_mod(insts=apply_actions(action(1, struct.pack("!H", 7)))))
    add("of11-set-vlan-vid-4096", "set_vlan_vid 4096 (OFPBAC_BAD_ARGUMENT)",
        flow_mod(vlan5, apply_actions(action(1, struct.pack("!H", 4096)))))
    add("of11-set-nw-tos-with-ecn-bits", "set_nw_tos 0x21: ECN bits set",
        flow_mod(ipv4, apply_actions(action(7, bytes([0x21])))))
    add("of11-set-nw-src-in-ipv6-flow", "set_nw_src in a flow matching IPv6",
        flow_mod(match(eth_type(0x86dd)), apply_actions(action(5, struct.pack("!I", 0x0a000001)))))
    add("of11-set-tp-dst-without-l4", "set_tp_dst in a flow matching only IPv4",
        flow_mod(ipv4, apply_actions(action(10, struct.pack("!H", 80)))))
    return e


def ofp_print(m):
    p = subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "ofp-print", m.hex()],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or not p.stdout.strip():
        sys.exit("ofp-print failed for %s: %s%s" % (m.hex(), p.stdout, p.stderr))
    return p.stdout[:-1].split("\n") if p.stdout.endswith("\n") else p.stdout.split("\n")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    blocks, names = [], set()
    for name, note, m in corpus():
        assert name not in names, name
        names.add(name)
        assert struct.unpack("!H", m[2:4])[0] == len(m), name
        lines = ["name: " + name,
                 "cmd: hand-made bytes (gen_ovs_refuses.py), text from ovs-ofctl -O OpenFlow13 ofp-print",
                 "note: " + note,
                 "hex: " + m.hex()]
        lines += ["text: " + t for t in ofp_print(m)]
        blocks.append("\n".join(lines) + "\n")
    path = os.path.join(outdir, TOPIC + ".golden")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(blocks))
    print("%-22s %4d entries" % (os.path.basename(path), len(blocks)))


if __name__ == "__main__":
    main()

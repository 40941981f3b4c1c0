#!/usr/bin/env python3
"""Builds tests/golden/data/*.golden from a running OVS sandbox.

Run it through generate.sh, which starts the sandbox (ovsdb-server +
ovs-vswitchd with the dummy datapath and a stopped clock) and passes
--sandbox DIR.  See README.md.  Standard library only.
"""

import argparse
import os
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ next to the golden files
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import capture  # noqa: E402
from capture import TO_SWITCH, FROM_SWITCH  # noqa: E402
from golden_lib import (Golden, GenError, Sandbox, display_cmd,  # noqa: E402
                        kinds_of)
import shlex  # noqa: E402

# Fixed datapath ids (also used to derive the bridges' MAC addresses).
DPID = {
    "gflowchk": 0x11, "gflow": 0x12, "ggroup": 0x21, "gbundle": 0x31,
    "gmp": 0x41, "gmore": 0x42, "gasync": 0x51, "gmisc": 0x61,
}

BARRIER = ["OFPT_BARRIER_REQUEST", "OFPT_BARRIER_REPLY"]

# ===========================================================================
# flowmods.golden

SCENARIO_FLOWS = [
    ("arp-responder",
     "priority=100,arp,arp_tpa=10.0.0.100,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:02:00:00:00:00:fe->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:02:00:00:00:00:fe->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:10.0.0.100->arp_spa,IN_PORT"),
    ("fake-mac-translation",
     "table=1,priority=10,ip,dl_dst=aa:bb:00:00:00:00/ff:ff:00:00:00:00 actions=move:NXM_OF_ETH_DST[0..31]->NXM_OF_IP_DST[],goto_table:2"),
    ("learn-arp-reply",
     "table=0,priority=50,arp,arp_op=2 actions=learn(table=5,idle_timeout=0,hard_timeout=300,priority=10,cookie=0x5,eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_ARP_SPA[],load:NXM_NX_ARP_SHA[]->NXM_OF_ETH_DST[],output:NXM_OF_IN_PORT[]),NORMAL"),
    ("learn-immediate-values",
     "table=0,priority=40,ip actions=learn(table=6,priority=20,eth_type=0x800,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],load:0x1->NXM_NX_REG1[0..7],output:NXM_OF_IN_PORT[])"),
    ("learn-fin-timeouts",
     "table=0,priority=41,tcp actions=learn(table=7,idle_timeout=60,hard_timeout=120,fin_idle_timeout=5,fin_hard_timeout=10,eth_type=0x800,nw_proto=6,NXM_OF_IP_SRC[],NXM_OF_IP_DST[],NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[])"),
    ("learn-send-flow-rem-delete-learned",
     "table=0,priority=42,udp actions=learn(table=8,send_flow_rem,delete_learned,cookie=0x99,eth_type=0x800,nw_proto=17,NXM_OF_UDP_DST[]=NXM_OF_UDP_SRC[],load:NXM_OF_IP_SRC[]->NXM_NX_REG2[])"),
    ("learn-limit-result-dst",
     "table=0,priority=43,ip,nw_proto=1 actions=learn(table=9,limit=10,result_dst=NXM_NX_REG0[0],eth_type=0x800,NXM_OF_IP_SRC[]),resubmit(,10)"),
    ("learn-field-names-syntax",
     "table=0,priority=44,ip,nw_proto=47 actions=learn(table=11,eth_type=0x800,nw_dst=nw_src,nw_src=10.0.0.1,load:0x8->reg3,load:eth_src->eth_dst,output:in_port)"),
]

MATCH_FLOWS = [
    # OF1.3 OXM basic fields.
    ("match-in-port", "in_port=1 actions=drop"),
    ("match-metadata", "table=1,metadata=0x1234567890abcdef actions=drop"),
    ("match-metadata-masked", "table=1,metadata=0x10/0xf0 actions=drop"),
    ("match-eth-dst", "dl_dst=02:00:00:00:00:01 actions=drop"),
    ("match-eth-dst-masked",
     "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=drop"),
    ("match-eth-src", "dl_src=02:00:00:00:00:02 actions=drop"),
    ("match-eth-src-masked",
     "dl_src=02:00:00:00:00:00/ff:ff:ff:00:00:00 actions=drop"),
    ("match-eth-type", "dl_type=0x88cc actions=drop"),
    ("match-vlan-vid", "dl_vlan=10 actions=drop"),
    ("match-vlan-present", "vlan_vid=0x1000/0x1000 actions=drop"),
    ("match-vlan-none", "vlan_tci=0 actions=drop"),
    ("match-vlan-tci-masked", "vlan_tci=0x1005/0x1fff actions=drop"),
    ("match-vlan-pcp", "dl_vlan=10,dl_vlan_pcp=3 actions=drop"),
    ("match-vlan-pcp-only", "vlan_pcp=5 actions=drop"),
    ("match-ip-dscp", "ip,ip_dscp=46 actions=drop"),
    ("match-ip-ecn", "ip,ip_ecn=3 actions=drop"),
    ("match-ip-proto", "ip,nw_proto=47 actions=drop"),
    ("match-ipv4-cidr", "ip,nw_src=10.0.0.0/8,nw_dst=192.168.1.0/24 actions=drop"),
    ("match-ipv4-exact", "ip,nw_src=10.1.2.3,nw_dst=10.0.0.100 actions=drop"),
    ("match-ipv4-arbitrary-mask",
     "ip,nw_src=10.0.0.1/255.0.0.255,nw_dst=0.0.1.0/0.0.255.0 actions=drop"),
    ("match-tcp-ports", "tcp,tp_src=1234,tp_dst=80 actions=drop"),
    ("match-tcp-ports-masked",
     "tcp,tcp_src=0x0/0xfc00,tcp_dst=0x1000/0xf000 actions=drop"),
    ("match-udp-ports", "udp,udp_src=53,udp_dst=0x100/0xff00 actions=drop"),
    ("match-sctp-ports", "sctp,sctp_src=100,sctp_dst=0x200/0xff00 actions=drop"),
    ("match-icmp", "icmp,icmp_type=8,icmp_code=0 actions=drop"),
    ("match-arp-op-spa-tpa",
     "arp,arp_op=1,arp_spa=10.0.0.0/24,arp_tpa=10.0.0.100 actions=drop"),
    ("match-arp-sha-tha",
     "arp,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00/ff:ff:ff:00:00:00 actions=drop"),
    ("match-ipv6-addrs",
     "ipv6,ipv6_src=2001:db8::/32,ipv6_dst=2001:db8::1 actions=drop"),
    ("match-ipv6-arbitrary-mask",
     "ipv6,ipv6_dst=2001:db8::1/ffff:ffff::ffff actions=drop"),
    ("match-ipv6-label", "ipv6,ipv6_label=0x12345 actions=drop"),
    ("match-ipv6-label-masked", "ipv6,ipv6_label=0x10000/0xf0000 actions=drop"),
    ("match-ipv6-tclass", "ipv6,ip_dscp=10,ip_ecn=1 actions=drop"),
    ("match-icmpv6", "icmp6,icmpv6_type=128,icmpv6_code=0 actions=drop"),
    ("match-nd-target-sll",
     "icmp6,icmpv6_type=135,nd_target=2001:db8::1,nd_sll=02:00:00:00:00:01 actions=drop"),
    ("match-nd-target-masked-tll",
     "icmp6,icmpv6_type=136,nd_target=2001:db8::/64,nd_tll=02:00:00:00:00:02 actions=drop"),
    ("match-mpls", "mpls,mpls_label=100,mpls_tc=3,mpls_bos=1 actions=drop"),
    ("match-mpls-mcast", "dl_type=0x8848,mpls_label=5 actions=drop"),
    ("match-tunnel-id", "tun_id=0x1234 actions=drop"),
    ("match-tunnel-id-masked", "tun_id=0x1000/0xf000 actions=drop"),
    ("match-many-fields",
     "priority=300,in_port=2,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:fe,dl_vlan=20,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.100,ip_dscp=8,tp_src=40000,tp_dst=443 actions=drop"),
    # Nicira extension fields.
    ("match-reg0-3", "reg0=0x1,reg1=0x10/0xf0,reg2=0xffffffff,reg3=0x5/0x7 actions=drop"),
    ("match-reg4-7", "reg4=0x4,reg5=0x500/0xff00,reg6=0x6,reg7=0x7/0xf actions=drop"),
    ("match-reg8-11", "reg8=0x8,reg9=0x9/0xff,reg10=0xa,reg11=0x0/0x1 actions=drop"),
    ("match-reg12-15", "reg12=0xc,reg13=0xd/0xfd,reg14=0xe,reg15=0xffff0000/0xffff0000 actions=drop"),
    ("match-xreg0", "xreg0=0x100000002/0xffffffff0000ffff actions=drop"),
    ("match-xxreg1", "xxreg1=0x1 actions=drop"),
    ("match-pkt-mark", "pkt_mark=0x5/0xff actions=drop"),
    ("match-ct-state", "ct_state=+trk+est-new,ip actions=drop"),
    ("match-ct-state-untracked", "ct_state=-trk,ip actions=ct(table=1)"),
    ("match-ct-mark-zone-label",
     "ct_state=+trk,ct_mark=0x1/0xff,ct_zone=5,ct_label=0x1/0x1,ip actions=drop"),
    ("match-ct-tuple",
     "ct_state=+trk-inv,ip,ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.100,ct_nw_proto=6,ct_tp_dst=80 actions=drop"),
    # ovs-ofctl encodes this, but ct_nw_src needs ct_state=+trk-inv, so
    # both ovs-vswitchd and ofp-print fail to decode it (OFPBMC_BAD_PREREQ).
    ("match-ct-tuple-bad-prereq",
     "ct_state=+trk,ip,ct_nw_src=10.0.0.1 actions=drop"),
    ("match-tcp-flags", "tcp,tcp_flags=+syn-ack actions=drop"),
    ("match-tcp-flags-masked", "tcp,tcp_flags=0x002/0x012 actions=drop"),
    ("match-dp-hash", "dp_hash=0x5/0xf actions=drop"),
    ("match-recirc-id", "recirc_id=1 actions=drop"),
    ("match-conj-id", "conj_id=7,ip actions=drop"),
    ("match-nw-ttl", "ip,nw_ttl=1 actions=drop"),
    ("match-ip-frag", "ip,ip_frag=later actions=drop"),
    ("match-tun-src-dst-flags",
     "tun_src=192.168.0.1,tun_dst=192.168.0.0/24,tun_flags=+oam actions=drop"),
    ("match-tun-ipv6", "tun_ipv6_src=2001:db8::1 actions=drop"),
    ("match-in-port-local", "in_port=LOCAL actions=drop"),
    ("match-in-port-controller", "in_port=CONTROLLER actions=drop"),
    ("match-actset-output", "actset_output=1 actions=drop"),
    ("match-packet-type", "packet_type=(0,0x800) actions=drop"),
]

ACTION_FLOWS = [
    # Standard OF1.3 outputs.
    ("action-output-port", "ip actions=output:1"),
    ("action-output-in-port", "in_port=1 actions=IN_PORT"),
    ("action-output-local", "actions=LOCAL"),
    ("action-output-controller-maxlen", "actions=CONTROLLER:128"),
    ("action-output-controller-nobuffer", "actions=output:CONTROLLER"),
    ("action-output-all", "actions=ALL"),
    ("action-output-flood", "actions=FLOOD"),
    ("action-output-normal", "actions=NORMAL"),
    ("action-output-multiple", "actions=output:1,output:2,output:3"),
    ("action-drop", "priority=1 actions=drop"),
    ("action-group", "actions=group:1"),
    # set_field (OFPAT_SET_FIELD) on many fields.
    ("action-set-field-eth",
     "actions=set_field:02:00:00:00:00:01->eth_dst,set_field:02:00:00:00:00:02->eth_src"),
    ("action-set-field-vlan",
     "actions=push_vlan:0x8100,set_field:4196->vlan_vid,set_field:3->vlan_pcp,output:1"),
    ("action-set-field-ipv4",
     "ip actions=set_field:10.0.0.1->ip_src,set_field:10.0.0.2->ip_dst,set_field:46->ip_dscp,set_field:2->ip_ecn"),
    ("action-set-field-tcp",
     "tcp actions=set_field:1000->tcp_src,set_field:80->tcp_dst"),
    ("action-set-field-udp",
     "udp actions=set_field:1000->udp_src,set_field:53->udp_dst"),
    ("action-set-field-sctp",
     "sctp actions=set_field:1000->sctp_src,set_field:2000->sctp_dst"),
    ("action-set-field-icmp",
     "icmp actions=set_field:0->icmp_type,set_field:0->icmp_code"),
    ("action-set-field-arp",
     "arp actions=set_field:2->arp_op,set_field:10.0.0.1->arp_spa,set_field:10.0.0.2->arp_tpa,set_field:02:00:00:00:00:01->arp_sha,set_field:02:00:00:00:00:02->arp_tha"),
    ("action-set-field-ipv6",
     "ipv6 actions=set_field:2001:db8::1->ipv6_src,set_field:2001:db8::2->ipv6_dst,set_field:0x12345->ipv6_label"),
    ("action-set-field-nd",
     "icmp6,icmpv6_type=135 actions=set_field:2001:db8::5->nd_target,set_field:02:00:00:00:00:05->nd_sll"),
    ("action-set-field-mpls",
     "mpls actions=set_field:100->mpls_label,set_field:3->mpls_tc"),
    ("action-set-field-tunnel-id", "actions=set_field:0x1234->tun_id"),
    ("action-set-field-metadata", "actions=set_field:0x5->metadata"),
    ("action-set-field-reg", "actions=set_field:0x5->reg0"),
    ("action-set-field-masked-reg", "actions=set_field:0x5/0xff->reg0"),
    ("action-set-field-masked-eth",
     "actions=set_field:02:00:00:00:00:00/ff:ff:ff:00:00:00->eth_dst"),
    ("action-set-field-pkt-mark", "actions=set_field:0x7->pkt_mark"),
    ("action-set-field-tun-dst", "actions=set_field:192.168.0.2->tun_dst"),
    ("action-set-field-nw-ttl", "ip actions=set_field:5->nw_ttl"),
    ("action-set-field-in-port", "actions=set_field:2->in_port,output:1"),
    # OpenFlow 1.0 style aliases (encoded as set_field in OF1.3).
    ("action-mod-aliases",
     "tcp actions=mod_dl_src:02:00:00:00:00:01,mod_dl_dst:02:00:00:00:00:02,mod_nw_src:10.0.0.1,mod_nw_dst:10.0.0.2,mod_nw_tos:32,mod_tp_src:1,mod_tp_dst:2"),
    ("action-mod-vlan-aliases", "actions=mod_vlan_vid:100,mod_vlan_pcp:2"),
    ("action-strip-vlan", "dl_vlan=5 actions=strip_vlan,output:1"),
    # Other OF1.3 actions / instructions.
    ("action-push-pop-vlan",
     "actions=push_vlan:0x8100,set_field:4097->vlan_vid,pop_vlan"),
    ("action-push-vlan-88a8", "actions=push_vlan:0x88a8"),
    ("action-push-mpls", "ip actions=push_mpls:0x8847,set_field:10->mpls_label,output:1"),
    ("action-pop-mpls", "mpls actions=pop_mpls:0x0800,output:1"),
    ("action-dec-ttl", "ip actions=dec_ttl"),
    ("action-dec-ttl-ids", "ip actions=dec_ttl(1,2,3)"),
    ("action-set-mpls-ttl", "mpls actions=set_mpls_ttl:10"),
    ("action-dec-mpls-ttl", "mpls actions=dec_mpls_ttl"),
    ("action-set-mpls-label-tc", "mpls actions=set_mpls_label:5,set_mpls_tc:1"),
    ("action-mod-nw-ttl", "ip actions=mod_nw_ttl:64"),
    ("action-set-queue", "actions=set_queue:5,output:1"),
    ("action-enqueue", "actions=enqueue:1:2"),
    ("action-pop-queue", "actions=set_queue:1,pop_queue"),
    ("instruction-meter", "actions=meter:1,output:1"),
    ("instruction-goto-table", "actions=goto_table:2"),
    ("instruction-write-actions", "actions=write_actions(set_field:02:00:00:00:00:01->eth_dst,output:1)"),
    ("instruction-clear-actions", "actions=clear_actions"),
    ("instruction-write-metadata", "actions=write_metadata:0x1/0xff"),
    ("instruction-write-metadata-nomask", "actions=write_metadata:0x1234"),
    ("instruction-all-combined",
     "table=3,priority=7,ip actions=meter:1,set_field:10.0.0.9->ip_dst,clear_actions,write_actions(group:1),write_metadata:0xa/0xf,goto_table:4"),
    # Nicira extension actions.
    ("nx-move-48", "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]"),
    ("nx-move-32", "ip actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[]"),
    ("nx-move-16", "tcp actions=move:NXM_OF_TCP_SRC[]->NXM_OF_TCP_DST[]"),
    ("nx-move-8", "actions=move:NXM_NX_REG0[0..7]->NXM_NX_REG1[8..15]"),
    ("nx-move-1", "actions=move:NXM_NX_REG2[5]->NXM_NX_REG3[31]"),
    ("nx-move-64", "actions=move:xreg0[]->xreg1[]"),
    ("nx-move-128", "ipv6 actions=move:NXM_NX_IPV6_SRC[]->NXM_NX_XXREG0[]"),
    ("nx-move-oxm-names", "actions=move:OXM_OF_METADATA[0..31]->NXM_NX_REG4[]"),
    ("nx-load-full", "actions=load:0x5->NXM_NX_REG0[]"),
    ("nx-load-partial", "actions=load:0x5->NXM_NX_REG0[0..7]"),
    ("nx-load-bit", "actions=load:1->NXM_NX_REG7[31]"),
    ("nx-load-eth", "actions=load:0x020000000001->NXM_OF_ETH_DST[]"),
    ("nx-load-64-partial", "actions=load:0xffff->OXM_OF_METADATA[16..31]"),
    ("nx-resubmit-table", "actions=resubmit(,3)"),
    ("nx-resubmit-port-table", "actions=resubmit(1,3)"),
    ("nx-resubmit-port", "actions=resubmit:2"),
    ("nx-resubmit-ct", "ct_state=+trk-inv,ip actions=resubmit(,3,ct)"),
    ("nx-multipath",
     "actions=multipath(symmetric_l4,1024,hrw,2,0,NXM_NX_REG0[0..1])"),
    ("nx-controller-full",
     "actions=controller(reason=no_match,max_len=128,id=3,userdata=01.02,pause)"),
    ("nx-controller-plain", "actions=controller"),
    ("nx-controller-userdata", "actions=controller(userdata=01.02.03.04.05)"),
    ("nx-controller-reason-id",
     "actions=controller(reason=invalid_ttl,max_len=64,id=5)"),
    ("nx-controller-meter", "actions=controller(meter_id=1)"),
    ("nx-note-3", "actions=note:01.02.03"),
    ("nx-note-8", "actions=note:01.02.03.04.05.06.07.08"),
    ("nx-ct-commit-nat-src",
     "ip actions=ct(commit,zone=5,nat(src=10.0.0.1-10.0.0.5:1000-2000,random))"),
    ("nx-ct-table-zone-reg", "ip actions=ct(table=3,zone=NXM_NX_REG0[0..15])"),
    ("nx-ct-nat", "ip actions=ct(nat)"),
    ("nx-ct-nat-dst-ipv6",
     "ipv6 actions=ct(commit,nat(dst=[2001:db8::1]:80,persistent,hash))"),
    ("nx-ct-commit-exec",
     "ip actions=ct(commit,exec(set_field:0x1->ct_mark,set_field:0x2/0xff->ct_label))"),
    ("nx-ct-alg-force", "tcp actions=ct(commit,force,alg=ftp)"),
    ("nx-ct-clear", "actions=ct_clear"),
    ("nx-exit", "actions=output:1,exit"),
    ("nx-conjunction", "ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)"),
    ("nx-bundle",
     "actions=bundle(eth_src,0,hrw,ofport,members:1,2)"),
    ("nx-bundle-load",
     "actions=bundle_load(eth_src,0,hrw,ofport,NXM_NX_REG0[],members:1,2)"),
    ("nx-output-reg", "actions=output:NXM_NX_REG0[0..15]"),
    ("nx-set-tunnel", "actions=set_tunnel:0x5"),
    ("nx-set-tunnel64", "actions=set_tunnel64:0x123456789"),
    ("nx-fin-timeout",
     "tcp actions=fin_timeout(idle_timeout=10,hard_timeout=20)"),
    ("nx-sample",
     "actions=sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3)"),
    ("nx-clone", "actions=clone(set_field:02:00:00:00:00:09->eth_dst,output:2),output:1"),
    ("nx-check-pkt-larger",
     "actions=check_pkt_larger(1500)->NXM_NX_REG0[0],resubmit(,1)"),
    ("nx-stack-push-pop", "actions=push:NXM_NX_REG0[],pop:NXM_NX_REG1[]"),
    ("nx-mixed-actions",
     "ip actions=dec_ttl,output:1,set_field:3->reg5,resubmit(,7),CONTROLLER:64"),
]

VARIANT_FLOWS = [
    ("variant-cookie", "cookie=0x1234,priority=5,ip actions=drop"),
    ("variant-timeouts", "idle_timeout=30,hard_timeout=300,priority=6,ip actions=output:1"),
    ("variant-flags-all",
     "send_flow_rem,check_overlap,reset_counts,no_packet_counts,no_byte_counts,priority=7,ip actions=drop"),
    ("variant-send-flow-rem", "send_flow_rem,hard_timeout=10,ip actions=drop"),
    ("variant-table", "table=10,priority=1000 actions=goto_table:20"),
    ("variant-table-253", "table=253,priority=1 actions=drop"),
    ("variant-priority-0-table-miss", "priority=0 actions=CONTROLLER:65535"),
    ("variant-priority-max", "priority=65535,ip actions=drop"),
    ("variant-empty-match-no-actions", "actions=drop"),
]

# mod/del flow commands captured through the proxy: (name, args, note)
FLOWMOD_COMMANDS = [
    ("add-flow", ["add-flow", "{SW}", "priority=100,ip,nw_dst=10.0.0.1 actions=output:1"]),
    ("mod-flows", ["mod-flows", "{SW}", "ip,nw_dst=10.0.0.1 actions=output:2"]),
    ("mod-flows-strict",
     ["--strict", "mod-flows", "{SW}", "priority=100,ip,nw_dst=10.0.0.1 actions=output:3"]),
    ("mod-flows-cookie-mask",
     ["mod-flows", "{SW}", "cookie=0x5/0xff,ip actions=drop"]),
    ("mod-flows-table", ["mod-flows", "{SW}", "table=2,ip actions=goto_table:3"]),
    ("del-flows-match", ["del-flows", "{SW}", "ip,nw_dst=10.0.0.1"]),
    ("del-flows-strict", ["--strict", "del-flows", "{SW}", "priority=100,ip,nw_dst=10.0.0.1"]),
    ("del-flows-out-port", ["del-flows", "{SW}", "out_port=1"]),
    ("del-flows-out-group", ["del-flows", "{SW}", "out_group=1"]),
    ("del-flows-table", ["del-flows", "{SW}", "table=2"]),
    ("del-flows-cookie-mask", ["del-flows", "{SW}", "cookie=0x5/-1"]),
    ("del-flows-all", ["del-flows", "{SW}"]),
]


def installed_flow_lines(sb, flow):
    """Adds FLOW to the scratch bridge and returns the `--no-stats
    dump-flows` lines (or None if ovs-vswitchd rejects it)."""
    br = "gflowchk"
    p = sb.ofctl("--no-names", "add-flow", br, flow, check=False)
    if p.returncode != 0:
        errs = [ln for ln in p.stderr.splitlines()
                if ln.startswith("OFPT_ERROR")]
        return None, (errs or p.stderr.strip().splitlines())[0]
    d = sb.ofctl("--no-names", "--no-stats", "dump-flows", br)
    # With --no-stats there is no "OFPST_FLOW reply" header line.
    lines = [ln.strip() for ln in d.stdout.splitlines() if ln.strip()]
    sb.ofctl("del-flows", br)
    return lines, None


def topic_flowmods(sb, g, shared):
    sb.add_bridge("gflowchk", DPID["gflowchk"], ports=3)
    # Things the scratch flows refer to.
    sb.ofctl("add-group", "gflowchk", "group_id=1,type=all,bucket=output:1")
    sb.ofctl("add-meter", "gflowchk", "meter=1,kbps,band=type=drop,rate=1000")

    for section in (SCENARIO_FLOWS, MATCH_FLOWS, ACTION_FLOWS, VARIANT_FLOWS):
        for name, flow in section:
            msg = sb.parse_flow(flow)
            lines, err = installed_flow_lines(sb, flow)
            note = None
            if err:
                note = "ovs-vswitchd 3.1 rejects this flow: " + err
            g.add(name, shlex.join(["ovs-ofctl", "-O", "OpenFlow13",
                                    "-mmmmm", "parse-flow", flow]),
                  msg, flow=lines, note=note)

    # MODIFY / MODIFY_STRICT / DELETE / DELETE_STRICT via the proxy.
    br = "gflow"
    sb.add_bridge(br, DPID["gflow"], ports=3)
    sb.ofctl("add-group", br, "group_id=1,type=all,bucket=output:1")
    for flow in ("priority=100,ip,nw_dst=10.0.0.9,cookie=0x5 actions=output:1",
                 "table=2,priority=5,ip actions=group:1"):
        sb.ofctl("add-flow", br, flow)
    for name, args in FLOWMOD_COMMANDS:
        full = ["--no-names"] + args
        _, msgs = sb.proxied(br, full)
        g.add_selected("cmd-" + name, display_cmd(full, br), msgs,
                       ["OFPT_FLOW_MOD"])


# ===========================================================================
# groups.golden

SELECT_64 = ("group_id=64,type=select," + ",".join(
    "bucket=weight:%d,actions=set_field:aa:bb:0a:00:00:%02x->eth_dst,output:%d"
    % (i + 1, i + 1, (i % 3) + 1) for i in range(64)))

GROUP_COMMANDS = [
    ("add-select-weights-watch-port",
     ["add-group", "{SW}", "group_id=1,type=select,bucket=weight:10,watch_port:1,actions=set_field:aa:bb:0a:00:00:01->eth_dst,output:1,bucket=weight:20,watch_port:2,actions=output:2"]),
    ("add-all", ["add-group", "{SW}",
                 "group_id=2,type=all,bucket=output:1,bucket=output:2,bucket=actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:3"]),
    ("add-indirect", ["add-group", "{SW}",
                      "group_id=3,type=indirect,bucket=actions=set_field:02:00:00:00:00:03->eth_dst,dec_ttl,output:3"]),
    ("add-fast-failover", ["add-group", "{SW}",
                           "group_id=4,type=fast_failover,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,actions=output:2,bucket=watch_group:3,actions=group:3"]),
    ("add-select-empty", ["add-group", "{SW}", "group_id=5,type=select"]),
    ("add-select-nicira-actions", ["add-group", "{SW}",
                                   "group_id=6,type=select,bucket=weight:1,actions=ct(commit,nat(dst=10.0.0.10:80)),output:1,bucket=weight:1,actions=ct(commit,nat(dst=10.0.0.11:80)),output:2"]),
    ("add-select-64-buckets", ["add-group", "{SW}", SELECT_64]),
    ("add-group-id-max", ["add-group", "{SW}", "group_id=4294967040,type=all,bucket=output:1"]),
    ("mod-select", ["mod-group", "{SW}",
                    "group_id=1,type=select,bucket=weight:5,watch_port:3,actions=output:3"]),
    ("mod-to-indirect", ["mod-group", "{SW}",
                         "group_id=2,type=indirect,bucket=actions=output:2"]),
    ("mod-may-create", ["--may-create", "mod-group", "{SW}",
                        "group_id=7,type=all,bucket=output:1"]),
    ("add-select-selection-method-ignored", ["add-group", "{SW}",
                                             "group_id=8,type=select,selection_method=hash,fields(ip_src,tcp_dst),bucket=output:1,bucket=output:2"]),
    ("add-bucket-id-ignored", ["add-group", "{SW}",
                               "group_id=9,type=all,bucket=bucket_id:7,actions=output:1,bucket=bucket_id:9,actions=output:2"]),
    ("error-group-exists", ["add-group", "{SW}", "group_id=1,type=all,bucket=output:1"]),
    ("error-unknown-group", ["mod-group", "{SW}", "group_id=99,type=all,bucket=output:1"]),
    ("del-one", ["del-groups", "{SW}", "group_id=5"]),
    ("del-all", ["del-groups", "{SW}"]),
]

GROUP_NOTES = {
    "add-select-selection-method-ignored":
        "selection_method/fields are OpenFlow 1.5 group properties: in OF1.3 "
        "ovs-ofctl accepts them but does not encode them",
    "add-bucket-id-ignored":
        "bucket ids exist only in OpenFlow 1.5: the OF1.3 encoding has none "
        "and OF1.3 text never shows them",
    "mod-may-create":
        "--may-create uses OVS's OFPGC_ADD_OR_MOD extension command (0x8000)",
}


def topic_groups(sb, g, shared):
    br = "ggroup"
    sb.add_bridge(br, DPID["ggroup"], ports=3)
    for name, args in GROUP_COMMANDS:
        full = ["--no-names"] + args
        _, msgs = sb.proxied(br, full, check=not name.startswith("error-"))
        kept = g.add_selected(name, display_cmd(full, br), msgs,
                              ["OFPT_GROUP_MOD", "OFPT_ERROR"],
                              note=GROUP_NOTES.get(name))
        if name == "add-select-weights-watch-port":
            shared["group_mod"] = kept[0][1]
    # OF1.5-only group commands are refused by ovs-ofctl in OF1.3; see
    # README ("not covered").



# ===========================================================================
# misc.golden


def pkt(sb, name):
    """Packets used for PACKET_OUT and injection, composed by ovs-ofctl."""
    flows = {
        "arp-request": ("eth_src=02:00:00:00:00:01,eth_dst=ff:ff:ff:ff:ff:ff,"
                        "arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,"
                        "arp_sha=02:00:00:00:00:01", None),
        "tcp-syn": ("eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:fe,"
                    "tcp,nw_src=10.0.0.1,nw_dst=10.0.0.100,nw_ttl=64,"
                    "tp_src=40000,tp_dst=80,tcp_flags=syn", ""),
        "udp": ("eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:fe,"
                "udp,nw_src=10.0.0.1,nw_dst=10.0.0.100,nw_ttl=64,"
                "udp_src=5000,udp_dst=5001", "0102030405060708"),
        "udp-discard": ("eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:fe,"
                        "udp,nw_src=10.0.0.1,nw_dst=10.0.0.100,nw_ttl=64,"
                        "udp_src=5000,udp_dst=9", None),
        "icmp-ttl1": ("eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:fe,"
                      "icmp,nw_src=10.0.0.1,nw_dst=10.0.0.100,nw_ttl=1,"
                      "icmp_type=8,icmp_code=0", ""),
    }
    flow, payload = flows[name]
    return sb.compose_packet(flow, payload)


def topic_misc(sb, g, shared):
    br = "gmisc"
    sb.add_bridge(br, DPID["gmisc"], ports=2,
                  protocols="OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,"
                            "OpenFlow14,OpenFlow15")
    arp = pkt(sb, "arp-request").hex()
    tcp = pkt(sb, "tcp-syn").hex()

    def cap(name, args, kinds, direction=None, prefix=None, note=None,
            **kw):
        full = (["--no-names"] if prefix is None else []) + args
        _, msgs = sb.proxied(br, full, prefix=prefix, **kw)
        cmd = display_cmd(full, br, prefix)
        kept = g.add_selected(name, cmd, msgs, kinds,
                              direction_filter=direction, note=note)
        return kept

    # --- HELLO
    for bitmap in ("0x10", "0x1e", "0x7e"):
        msg = sb.encode_hello(bitmap)
        g.add("hello-encode-" + bitmap, "ovs-ofctl encode-hello " + bitmap,
              msg)
    cap("hello-ofctl-of13", ["probe", "{SW}"], ["OFPT_HELLO"], TO_SWITCH)
    allv = ["ovs-ofctl", "-O",
            "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,"
            "OpenFlow15"]
    cap("hello-ofctl-of10-to-of15", ["probe", "{SW}"], ["OFPT_HELLO"],
        TO_SWITCH, prefix=allv)
    cap("hello-switch-of10-to-of15", ["probe", "{SW}"], ["OFPT_HELLO"],
        FROM_SWITCH, prefix=allv,
        note="ovs-vswitchd's HELLO on a bridge with protocols=OpenFlow10..OpenFlow15; "
             "xid comes from ovs-vswitchd's global counter")
    # --- ECHO, FEATURES, CONFIG
    cap("echo", ["probe", "{SW}"],
        ["OFPT_ECHO_REQUEST", "OFPT_ECHO_REPLY"])
    kept = cap("show", ["show", "{SW}"],
               ["OFPT_FEATURES_REQUEST", "OFPT_FEATURES_REPLY",
                "OFPST_PORT_DESC request", "OFPST_PORT_DESC reply",
                "OFPT_GET_CONFIG_REQUEST", "OFPT_GET_CONFIG_REPLY"])
    shared["features_request"] = kept[0][1]
    kept = cap("get-frags", ["get-frags", "{SW}"],
               ["OFPT_GET_CONFIG_REQUEST", "OFPT_GET_CONFIG_REPLY"])
    shared["get_config_request"] = kept[0][1]
    kept = cap("set-frags-drop", ["set-frags", "{SW}", "drop"],
               ["OFPT_GET_CONFIG_REQUEST", "OFPT_GET_CONFIG_REPLY",
                "OFPT_SET_CONFIG"])
    shared["set_config_drop"] = [m for d, m in kept if m[1] == 9][0]
    cap("set-frags-normal", ["set-frags", "{SW}", "normal"],
        ["OFPT_SET_CONFIG"])
    # --- BARRIER (the tail of every ovs-ofctl modification command)
    kept = cap("barrier", ["add-flow", "{SW}", "priority=1 actions=drop"],
               BARRIER)
    shared["barrier_request"] = kept[0][1]
    sb.ofctl("del-flows", br)

    # --- monitor: SET_CONFIG(miss_send_len), NXT_SET_PACKET_IN_FORMAT and
    # an ONF flow monitor (OF1.3 extension) with one update.
    def has_barrier_reply(msgs):
        return any(m[1] == 21 for d, m in msgs if d == FROM_SWITCH)

    def n_flow_monitor_replies(n):
        def pred(msgs):
            return sum(1 for d, m in msgs
                       if d == FROM_SWITCH and m[1] == 19) >= n
        return pred

    kept = cap("monitor-packet-in2-watch",
               ["-P", "nxt_packet_in2", "monitor", "{SW}", "65534",
                "watch:"],
               ["OFPT_SET_CONFIG", "ONFST_FLOW_MONITOR request",
                "ONFST_FLOW_MONITOR reply", "NXT_SET_PACKET_IN_FORMAT"],
               popen_until=has_barrier_reply,
               during=lambda: sb.ofctl("add-flow", br,
                                       "cookie=0x42,priority=9,udp actions=output:2"),
               then_until=n_flow_monitor_replies(2),
               note="ovs-ofctl monitor runs until killed; a flow was added "
                    "meanwhile with ovs-ofctl add-flow gmisc "
                    "'cookie=0x42,priority=9,udp actions=output:2'")
    shared["set_packet_in_format_nxt2"] = [
        m for d, m in kept if sb.msg_kind(m) == "NXT_SET_PACKET_IN_FORMAT"][0]
    kept = cap("monitor-packet-in-standard",
               ["-P", "standard", "monitor", "{SW}"],
               ["NXT_SET_PACKET_IN_FORMAT"],
               popen_until=has_barrier_reply)
    shared["set_packet_in_format_std"] = kept[0][1]
    sb.ofctl("del-flows", br)

    # --- PACKET_OUT
    cap("packet-out-local-output", ["packet-out", "{SW}", "LOCAL", "output:1",
                                    arp], ["OFPT_PACKET_OUT"])
    kept = cap("packet-out-controller-multi",
               ["packet-out", "{SW}",
                "in_port=controller packet=%s actions=output:1,output:2" % arp],
               ["OFPT_PACKET_OUT"])
    cap("packet-out-in-port-set-field",
        ["packet-out", "{SW}",
         "in_port=1 packet=%s actions=set_field:02:00:00:00:00:99->eth_dst,"
         "dec_ttl,output:2" % tcp], ["OFPT_PACKET_OUT"])
    cap("packet-out-table", ["packet-out", "{SW}",
                             "in_port=1 packet=%s actions=resubmit(,0)" % tcp],
        ["OFPT_PACKET_OUT"])
    cap("packet-out-normal-flood", ["packet-out", "{SW}", "none",
                                    "NORMAL,FLOOD", arp], ["OFPT_PACKET_OUT"])
    kept = cap("packet-out-to-controller",
               ["packet-out", "{SW}",
                "in_port=controller packet=%s actions=controller(max_len=64)" % arp],
               ["OFPT_PACKET_OUT"])
    shared["packet_out_to_controller"] = kept[0][1]

    # --- PORT_MOD (ovs-ofctl first reads the port's MAC via PORT_DESC)
    for act in ("down", "up", "no-receive", "receive", "no-forward",
                "forward", "no-packet-in", "packet-in", "no-flood"):
        cap("port-mod-" + act, ["mod-port", "{SW}", "1", act],
            ["OFPT_PORT_MOD"],
            note=("OpenFlow 1.3 has no OFPPC_NO_FLOOD bit, so ovs-ofctl "
                  "sends config=0 mask=0" if act == "no-flood" else None))

    # --- METER_MOD
    meters = [
        ("meter-add-kbps-drop", ["add-meter", "{SW}",
                                 "meter=1,kbps,band=type=drop,rate=1000"]),
        ("meter-add-pktps-burst-stats", ["add-meter", "{SW}",
                                         "meter=2,pktps,burst,stats,band=type=drop,rate=100,burst_size=10"]),
        ("meter-add-two-bands", ["add-meter", "{SW}",
                                 "meter=3,kbps,stats,band=type=drop,rate=1000,type=drop,rate=5000"]),
        ("meter-add-dscp-remark-unsupported", ["add-meter", "{SW}",
                                               "meter=4,kbps,band=type=dscp_remark,rate=100,prec_level=1"]),
        ("meter-mod", ["mod-meter", "{SW}", "meter=1,kbps,band=type=drop,rate=2000"]),
        ("meter-del-one", ["del-meter", "{SW}", "meter=2"]),
        ("meter-del-all", ["del-meters", "{SW}"]),
    ]
    for name, args in meters:
        kept = cap(name, args, ["OFPT_METER_MOD", "OFPT_ERROR"],
                   check=("unsupported" not in name))
        if "unsupported" in name:
            shared["meter_mod_bad_band"] = kept[0][1]

    # --- TABLE_FEATURES request (the reply is ~20 x 64 kB; not recorded)
    cap("table-features-request", ["dump-table-features", "{SW}"],
        ["OFPST_TABLE_FEATURES request"])

    # --- QUEUE_GET_CONFIG, Nicira connection-tracker flush (NXT_CT_FLUSH), TLV table
    cap("queue-get-config", ["queue-get-config", "{SW}", "1"],
        ["OFPT_QUEUE_GET_CONFIG_REQUEST", "OFPT_QUEUE_GET_CONFIG_REPLY"])
    cap("ct-flush-zone", ["ct-flush-zone", "{SW}", "5"],
        ["NXT_CT_FLUSH_ZONE"])
    cap("ct-flush-tuple", ["ct-flush", "{SW}", "zone=5",
                           "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.100,ct_nw_proto=6,ct_tp_src=40000,ct_tp_dst=80"],
        ["NXT_CT_FLUSH"])
    cap("tlv-map-add", ["add-tlv-map", "{SW}",
                        "{class=0xffff,type=0,len=4}->tun_metadata0"],
        ["NXT_TLV_TABLE_MOD"])
    cap("tlv-map-dump", ["dump-tlv-map", "{SW}"],
        ["NXT_TLV_TABLE_REQUEST", "NXT_TLV_TABLE_REPLY"])
    kept = cap("tlv-map-conflict-error",
               ["add-tlv-map", "{SW}",
                "{class=0xffff,type=1,len=4}->tun_metadata0"],
               ["NXT_TLV_TABLE_MOD", "OFPT_ERROR"], check=False,
               note="Nicira experimenter error (NXTTMFC_ALREADY_MAPPED)")
    shared["tlv_conflict"] = kept[0][1]
    cap("tlv-map-del", ["del-tlv-map", "{SW}"], ["NXT_TLV_TABLE_MOD"])



# ===========================================================================
# bundles.golden

BUNDLE_FILES = {
    "flows.txt": [
        "priority=10,ip,nw_dst=10.0.0.1 actions=output:1",
        "priority=11,arp actions=NORMAL",
    ],
    "replace.txt": [
        "priority=10,ip,nw_dst=10.0.0.1 actions=output:2",
        "priority=12,ipv6 actions=drop",
    ],
    "groups.txt": [
        "group_id=1,type=select,bucket=weight:10,watch_port:1,actions=output:1,bucket=weight:20,watch_port:2,actions=output:2",
        "group_id=2,type=all,bucket=output:1,bucket=output:2",
    ],
    "mixed.txt": [
        "group add group_id=3,type=indirect,bucket=actions=output:1",
        "flow add priority=20,ip,nw_dst=10.0.0.3 actions=group:3",
        "flow modify priority=11,arp actions=output:2",
        "flow delete_strict priority=10,ip,nw_dst=10.0.0.1",
        "group modify group_id=2,type=all,bucket=output:2",
        "group delete group_id=1",
    ],
    "bad-commit.txt": [
        "priority=30,ip,nw_dst=10.0.0.30 actions=output:1",
        "priority=31,ip,nw_dst=10.0.0.31 actions=group:99",
    ],
    "bad-add.txt": [
        "priority=40,ip,nw_dst=10.0.0.40 actions=output:1",
        "ct_state=+trk,ip,ct_nw_src=10.0.0.1 actions=drop",
    ],
}

BUNDLE_KINDS = ["ONFT_BUNDLE_CONTROL", "ONFT_BUNDLE_ADD_MESSAGE",
                "OFPT_BARRIER_REQUEST", "OFPT_BARRIER_REPLY", "OFPT_ERROR"]


def topic_bundles(sb, g, shared):
    br = "gbundle"
    sb.add_bridge(br, DPID["gbundle"], ports=2)
    for fname, lines in BUNDLE_FILES.items():
        with open(os.path.join(sb.dir, fname), "w") as f:
            f.write("\n".join(lines) + "\n")

    def cap(name, args, kinds=BUNDLE_KINDS, check=True):
        path_args = [os.path.join(sb.dir, a) if a in BUNDLE_FILES else a
                     for a in args]
        full = ["--no-names"] + path_args
        _, msgs = sb.proxied(br, full, check=check)
        shown = display_cmd(["--no-names"] + args, br)
        files = [a for a in args if a in BUNDLE_FILES]
        note = "; ".join("%s = %s" % (f, " | ".join(BUNDLE_FILES[f]))
                         for f in files) or None
        return g.add_selected(name, shown, msgs, kinds, note=note)

    cap("add-flows", ["--bundle", "add-flows", "{SW}", "flows.txt"])
    cap("add-flow-single", ["--bundle", "add-flow", "{SW}",
                            "priority=13,udp actions=output:1"])
    cap("replace-flows", ["--bundle", "replace-flows", "{SW}", "replace.txt"],
        kinds=BUNDLE_KINDS + ["OFPST_FLOW request", "OFPST_FLOW reply"])
    cap("add-groups", ["--bundle", "add-groups", "{SW}", "groups.txt"])
    cap("mixed-flows-groups", ["bundle", "{SW}", "mixed.txt"])
    cap("commit-failure", ["--bundle", "add-flows", "{SW}", "bad-commit.txt"],
        check=False)
    kept = cap("discard-after-add-error",
               ["--bundle", "add-flows", "{SW}", "bad-add.txt"], check=False)
    # A stand-alone COMMIT_REQUEST (bundle_id 0) for the async topic, which
    # sends it on a connection without an open bundle.
    for d, m in kept:
        if (d == TO_SWITCH and "type=OPEN_REQUEST" in
                "".join(sb.ofp_print(m))):
            shared["bundle_open_request"] = m
        if (d == TO_SWITCH and "type=DISCARD_REQUEST" in
                "".join(sb.ofp_print(m))):
            shared["bundle_discard_request"] = m


# ===========================================================================
# multipart-stats.golden


def topic_multipart(sb, g, shared):
    br = "gmp"
    sb.add_bridge(br, DPID["gmp"], ports=2)
    sb.ofctl("add-group", br, "group_id=1,type=select,bucket=weight:10,watch_port:1,actions=output:1,bucket=weight:20,watch_port:2,actions=output:2")
    sb.ofctl("add-group", br, "group_id=2,type=all,bucket=output:1,bucket=output:2")
    sb.ofctl("add-meter", br, "meter=1,kbps,band=type=drop,rate=1000")
    sb.ofctl("add-meter", br, "meter=2,pktps,burst,stats,band=type=drop,rate=100,burst_size=10")
    for flow in (
            "table=0,priority=100,cookie=0x11,arp actions=NORMAL",
            "table=0,priority=90,cookie=0x12,ip,nw_dst=10.0.0.0/8 actions=meter:1,group:1",
            "table=0,priority=80,cookie=0x13,in_port=1,tcp,tp_dst=80 actions=output:2",
            "table=0,priority=0,cookie=0x14 actions=goto_table:1",
            "table=1,priority=5,cookie=0x21,idle_timeout=60,hard_timeout=600,send_flow_rem,ipv6 actions=group:2",
            "table=1,priority=0,cookie=0x22 actions=drop"):
        sb.ofctl("add-flow", br, flow)
    # One packet through the ARP flow so that some counters are non-zero.
    sb.appctl("netdev-dummy/receive", br + "-p1", pkt(sb, "arp-request").hex())
    sb.warp(1500)

    def cap(name, args, kinds, note=None):
        full = ["--no-names"] + args
        _, msgs = sb.proxied(br, full)
        return g.add_selected(name, display_cmd(full, br), msgs, kinds,
                              note=note)

    def rr(kind):
        return [kind + " request", kind + " reply"]

    cap("desc", ["dump-desc", "{SW}"], rr("OFPST_DESC"))
    cap("flow-all", ["dump-flows", "{SW}"], rr("OFPST_FLOW"),
        note="durations are deterministic only because ovs-vswitchd runs with a stopped clock (time/stop + time/warp)")
    cap("flow-filtered", ["dump-flows", "{SW}", "table=0,ip,nw_dst=10.0.0.0/8"],
        rr("OFPST_FLOW"))
    cap("flow-cookie-outport", ["dump-flows", "{SW}", "cookie=0x10/0xf0,out_port=2"],
        rr("OFPST_FLOW"))
    cap("flow-out-group", ["dump-flows", "{SW}", "out_group=1"], rr("OFPST_FLOW"))
    cap("aggregate-all", ["dump-aggregate", "{SW}"], rr("OFPST_AGGREGATE"))
    cap("aggregate-filtered", ["dump-aggregate", "{SW}", "table=1"],
        rr("OFPST_AGGREGATE"))
    cap("table", ["dump-tables", "{SW}"], rr("OFPST_TABLE"))
    cap("port-stats-all", ["dump-ports", "{SW}"], rr("OFPST_PORT"))
    cap("port-stats-one", ["dump-ports", "{SW}", "1"], rr("OFPST_PORT"))
    cap("port-desc", ["dump-ports-desc", "{SW}"], rr("OFPST_PORT_DESC"))
    cap("group-stats-all", ["dump-group-stats", "{SW}"], rr("OFPST_GROUP"))
    cap("group-stats-one", ["dump-group-stats", "{SW}", "group_id=1"],
        rr("OFPST_GROUP"))
    cap("group-desc", ["dump-groups", "{SW}"], rr("OFPST_GROUP_DESC"))
    cap("group-features", ["dump-group-features", "{SW}"],
        rr("OFPST_GROUP_FEATURES"))
    cap("meter-config-all", ["dump-meters", "{SW}"], rr("OFPST_METER_CONFIG"))
    cap("meter-config-one", ["dump-meter", "{SW}", "meter=2"],
        rr("OFPST_METER_CONFIG"))
    cap("meter-stats", ["meter-stats", "{SW}"], rr("OFPST_METER"))
    cap("meter-features", ["meter-features", "{SW}"],
        rr("OFPST_METER_FEATURES"))
    cap("queue-stats", ["queue-stats", "{SW}"], rr("OFPST_QUEUE"))

    # A flow stats reply that does not fit in one message: OVS splits it
    # and sets OFPMPF_REPLY_MORE on all but the last part.
    br2 = "gmore"
    sb.add_bridge(br2, DPID["gmore"], ports=0)
    path = os.path.join(sb.dir, "more.txt")
    note_payload = ".".join("%02x" % (i % 256) for i in range(200))
    with open(path, "w") as f:
        for i in range(400):
            f.write("priority=%d,ip,nw_dst=10.1.%d.%d actions=note:%s,output:1\n"
                    % (1000 + i, i // 256, i % 256, note_payload))
    sb.ofctl("add-flows", br2, path)
    full = ["--no-names", "dump-flows", "{SW}"]
    _, msgs = sb.proxied(br2, full)
    replies = [m for d, m in msgs
               if d == FROM_SWITCH and sb.msg_kind(m) == "OFPST_FLOW reply"]
    if len(replies) < 2:
        raise GenError("flow stats reply was not split")
    cmd = display_cmd(full, br2)
    g.add("flow-more.reply-first", "capture: %s (reply from ovs-vswitchd 3.1)"
          % cmd, replies[0], direction=FROM_SWITCH,
          note="first of %d OFPST_FLOW replies for 400 flows (each with a 200-byte note); flags=[more]"
          % len(replies))
    g.add("flow-more.reply-last", "capture: %s (reply from ovs-vswitchd 3.1)"
          % cmd, replies[-1], direction=FROM_SWITCH,
          note="last of %d OFPST_FLOW replies; no more flag" % len(replies))



# ===========================================================================
# async.golden: ovs-vswitchd talking to capture.py's controller


OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_EXPERIMENTER = 1, 2, 4
OFPT_FEATURES_REPLY, OFPT_GET_CONFIG_REPLY = 6, 8
OFPT_PACKET_IN, OFPT_FLOW_REMOVED, OFPT_PORT_STATUS = 10, 11, 12
OFPT_BARRIER_REPLY, OFPT_ROLE_REPLY, OFPT_GET_ASYNC_REPLY = 21, 25, 27

VOLATILE_BRIDGE_UUID = (
    "VOLATILE: the continuation carries ovs-vswitchd's random per-run "
    "bridge UUID (NXCPT_BRIDGE), so these 16 bytes change on every "
    "regeneration")

OFPCR_ROLE = {"nochange": 0, "equal": 1, "master": 2, "slave": 3}


# The only messages in this file's inputs that no OVS tool can encode are
# the ROLE_REQUEST / GET_ASYNC_REQUEST / SET_ASYNC *requests*; they are
# built here (they are fixed-size structs) and shown in the `cmd:` of the
# replies.  They are never written as `hex:` entries.
def role_request(role, generation_id, xid):
    return struct.pack("!BBHII4xQ", 4, 24, 24, xid, OFPCR_ROLE[role],
                       generation_id)


def get_async_request(xid):
    return struct.pack("!BBHI", 4, 26, 8, xid)


def set_async(xid, pin, port_status, flow_removed):
    """Masks are (master/equal, slave) pairs, as in ofp_async_config."""
    return struct.pack("!BBHI6I", 4, 28, 32, xid, pin[0], pin[1],
                       port_status[0], port_status[1],
                       flow_removed[0], flow_removed[1])


def is_type(*types):
    return lambda m: m[1] in types


def is_packet_in2(m):
    return (m[1] == OFPT_EXPERIMENTER and len(m) >= 16
            and struct.unpack("!II", m[8:16]) == (0x2320, 30))


class AsyncSession:
    def __init__(self, sb, g, ctl, br, shared):
        self.sb, self.g, self.ctl, self.br = sb, g, ctl, br
        self.shared = shared
        self.xid = 0x1000

    def next_xid(self):
        self.xid += 1
        return self.xid

    def snapshot(self):
        return self.ctl.recorder.snapshot()

    def sync(self):
        """BARRIER round trip: flushes earlier async messages and counts as
        controller activity for ovs-vswitchd's inactivity probe."""
        req = self.shared["barrier_request"]
        mark = len(self.snapshot())
        self.ctl.send(req)
        self.ctl.wait_for_type(OFPT_BARRIER_REPLY, start=mark, timeout=10)

    def step(self, base, trigger, action, expect, min_count=1, timeout=10.0,
             settle=0.3, note=None, optional=False):
        self.sync()
        mark = len(self.snapshot())
        action()
        deadline = time.monotonic() + timeout
        while True:
            got = [m for _, d, m in self.snapshot()[mark:]
                   if d == FROM_SWITCH and expect(m)]
            if len(got) >= min_count:
                break
            if time.monotonic() > deadline:
                if optional:
                    print("async: %s: nothing arrived (%s)" % (base, trigger),
                          file=sys.stderr)
                    return []
                raise GenError("async step %s: expected message did not "
                               "arrive" % base)
            time.sleep(0.02)
        time.sleep(settle)
        got = []
        for _, d, m in self.snapshot()[mark:]:
            if d != FROM_SWITCH:
                continue
            if expect(m):
                got.append(m)
            elif m[1] != OFPT_BARRIER_REPLY:
                print("async: %s: also got %s" % (base,
                                                  self.sb.ofp_print(m)[0]),
                      file=sys.stderr)
        names = [base] if len(got) == 1 else [
            "%s.%d" % (base, i + 1) for i in range(len(got))]
        cmd = ("capture: ovs-vswitchd 3.1 -> capture.py controller (bridge "
               "%s, OpenFlow13); trigger: %s" % (self.br, trigger))
        for name, m in zip(names, got):
            self.g.add(name, cmd, m, direction=FROM_SWITCH, note=note)
        return got

    def inject(self, port, packet):
        self.sb.appctl("netdev-dummy/receive", "%s-p%d" % (self.br, port),
                       packet.hex())


def topic_async(sb, g, shared):
    br = "gasync"
    sb.add_bridge(br, DPID["gasync"], ports=2)
    ctl = capture.Controller()
    try:
        sb.vsctl("set-controller", br, ctl.url, "--", "set", "controller", br,
                 "connection-mode=out-of-band", "inactivity_probe=5000")
        ctl.accept(timeout=30)
        s = AsyncSession(sb, g, ctl, br, shared)
        hello = sb.encode_hello("0x10")
        ctl.send(hello)
        _, sw_hello = ctl.wait_for_type(0)
        g.add("hello", "capture: ovs-vswitchd 3.1 -> capture.py controller "
              "(bridge %s, protocols=OpenFlow13); first message on the "
              "connection" % br, sw_hello, direction=FROM_SWITCH)
        mark = len(s.snapshot())
        ctl.send(shared["features_request"])
        _, features = ctl.wait_for_type(OFPT_FEATURES_REPLY, start=mark)
        g.add("features-reply", "capture: ovs-vswitchd 3.1 -> capture.py "
              "controller (bridge %s); trigger: FEATURES_REQUEST (bytes from "
              "ovs-ofctl show)" % br, features, direction=FROM_SWITCH)
        run_async_steps(sb, s, br, shared)
    finally:
        ctl.close()
        sb.vsctl("del-controller", br, check=False)


def run_async_steps(sb, s, br, shared):
    ps = is_type(OFPT_PORT_STATUS)
    vs = "ovs-vsctl"

    # --- PORT_STATUS
    s.step("port-status-add",
           "%s add-port %s %s-p3 -- set interface %s-p3 type=dummy "
           "ofport_request=3" % (vs, br, br, br),
           lambda: sb.add_port(br, 3), ps)
    s.step("port-status-modify-config-down",
           "ovs-ofctl -O OpenFlow13 mod-port %s 3 down" % br,
           lambda: sb.ofctl("mod-port", br, "3", "down"), ps)
    s.step("port-status-modify-config-up",
           "ovs-ofctl -O OpenFlow13 mod-port %s 3 up" % br,
           lambda: sb.ofctl("mod-port", br, "3", "up"), ps)
    s.step("port-status-modify-link-down",
           "ovs-appctl netdev-dummy/set-admin-state %s-p3 down" % br,
           lambda: sb.appctl("netdev-dummy/set-admin-state", br + "-p3",
                             "down"), ps)
    s.step("port-status-delete",
           "%s del-port %s %s-p3" % (vs, br, br),
           lambda: sb.vsctl("del-port", br, br + "-p3"), ps)

    # --- PACKET_IN (standard OFPT_PACKET_IN format)
    flows = [
        "table=0,priority=0,cookie=0xa0 actions=CONTROLLER:65535",
        "table=0,priority=10,cookie=0xa1,tcp,tp_dst=80 actions=controller(max_len=128,userdata=01.02.03.04)",
        "table=0,priority=20,cookie=0xa2,udp,tp_dst=5001 actions=controller(pause,userdata=aa.bb.cc),output:2",
        "table=0,priority=30,cookie=0xa3,icmp actions=dec_ttl,output:2",
        "table=0,priority=40,cookie=0xa4,udp,tp_dst=9 actions=CONTROLLER:32",
        "table=0,priority=50,cookie=0xa5,arp,arp_tpa=10.0.0.200 actions=load:0x7->NXM_NX_REG0[],write_metadata:0x55,goto_table:1",
        "table=1,priority=1,cookie=0xb1 actions=controller(reason=no_match,id=0)",
    ]
    for f in flows:
        sb.ofctl("add-flow", br, f)
    flows_note = "flows: " + " | ".join(flows)
    arp = pkt(sb, "arp-request")
    arp200 = sb.compose_packet(
        "eth_src=02:00:00:00:00:01,eth_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,"
        "arp_spa=10.0.0.1,arp_tpa=10.0.0.200,arp_sha=02:00:00:00:00:01")
    tcp = pkt(sb, "tcp-syn")
    udp = pkt(sb, "udp")
    udp9 = pkt(sb, "udp-discard")
    icmp1 = pkt(sb, "icmp-ttl1")
    pin = is_type(OFPT_PACKET_IN)
    recv = "ovs-appctl netdev-dummy/receive %s-p1 " % br

    def inject(p):
        return lambda: s.inject(1, p)

    def pin_steps(prefix, expect, fmt):
        s.step(prefix + "-table-miss", recv + "<ARP request> (" + fmt + ")",
               inject(arp), expect, note=flows_note)
        s.step(prefix + "-action-userdata", recv + "<TCP SYN to port 80> (" + fmt + ")",
               inject(tcp), expect, note=flows_note)
        s.step(prefix + "-pause", recv + "<UDP to port 5001> (" + fmt + ")",
               inject(udp), expect,
               note=((VOLATILE_BRIDGE_UUID + "; ") if prefix == "packet-in2"
                     else "") + flows_note)
        s.step(prefix + "-max-len-32", recv + "<UDP to port 9> (" + fmt + ")",
               inject(udp9), expect,
               note="ovs-vswitchd 3.1 never buffers and sends the whole "
                    "packet even for CONTROLLER:32; " + flows_note)
        s.step(prefix + "-table1-metadata-reg", recv +
               "<ARP request for 10.0.0.200> (" + fmt + ")",
               inject(arp200), expect, note=flows_note)
        s.step(prefix + "-from-packet-out",
               "controller sends PACKET_OUT in_port=CONTROLLER "
               "actions=CONTROLLER:64 (bytes from ovs-ofctl packet-out) (" + fmt + ")",
               lambda: s.ctl.send(shared["packet_out_to_controller"]),
               expect)

    pin_steps("packet-in", pin, "standard packet-in format")

    s.ctl.send(shared["set_packet_in_format_nxt2"])
    pin_steps("packet-in2", is_packet_in2,
              "after NXT_SET_PACKET_IN_FORMAT nxt_packet_in2")
    s.ctl.send(shared["set_packet_in_format_std"])

    # --- FLOW_REMOVED
    fr = is_type(OFPT_FLOW_REMOVED)

    def warp_steps(n=3, ms=1000):
        def f():
            for _ in range(n):
                sb.warp(ms)
                time.sleep(0.05)
        return f

    def add_then(flow, then):
        def f():
            sb.ofctl("add-flow", br, flow)
            then()
        return f

    f_hard = "table=2,priority=5,cookie=0xc1,hard_timeout=1,send_flow_rem,ip,nw_dst=10.9.9.1 actions=drop"
    s.step("flow-removed-hard-timeout",
           "ovs-ofctl add-flow %s '%s'; ovs-appctl time/warp 1000 (x3)" % (br, f_hard),
           add_then(f_hard, warp_steps()), fr)
    f_idle = "table=2,priority=6,cookie=0xc2,idle_timeout=1,send_flow_rem,ip,nw_dst=10.9.9.2 actions=drop"
    s.step("flow-removed-idle-timeout",
           "ovs-ofctl add-flow %s '%s'; ovs-appctl time/warp 1000 (x3)" % (br, f_idle),
           add_then(f_idle, warp_steps()), fr)
    f_del = "table=2,priority=7,cookie=0xc3,send_flow_rem,ip,nw_dst=10.9.9.3 actions=drop"
    s.step("flow-removed-delete",
           "ovs-ofctl add-flow %s '%s'; ovs-ofctl del-flows %s cookie=0xc3/-1" % (br, f_del, br),
           add_then(f_del, lambda: sb.ofctl("del-flows", br, "cookie=0xc3/-1")), fr)
    sb.ofctl("add-group", br, "group_id=7,type=all,bucket=output:2")
    f_grp = "table=2,priority=8,cookie=0xc4,send_flow_rem,ip,nw_dst=10.9.9.4 actions=group:7"
    s.step("flow-removed-group-delete",
           "ovs-ofctl add-group %s group_id=7,type=all,bucket=output:2; ovs-ofctl add-flow %s '%s'; "
           "ovs-ofctl del-groups %s group_id=7" % (br, br, f_grp, br),
           add_then(f_grp, lambda: sb.ofctl("del-groups", br, "group_id=7")), fr)
    f_stats = "table=0,priority=60,cookie=0xc5,idle_timeout=60,hard_timeout=120,send_flow_rem,ip,nw_dst=10.0.0.150 actions=drop"
    pkt150 = sb.compose_packet(
        "eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:fe,udp,"
        "nw_src=10.0.0.1,nw_dst=10.0.0.150,nw_ttl=64,udp_src=1,udp_dst=2", "")

    def stats_then_delete():
        sb.ofctl("add-flow", br, f_stats)
        s.inject(1, pkt150)
        time.sleep(0.2)
        sb.warp(500)
        sb.ofctl("--strict", "del-flows", br,
                 "table=0,priority=60,ip,nw_dst=10.0.0.150")
    s.step("flow-removed-delete-with-stats",
           "ovs-ofctl add-flow %s '%s'; one UDP packet to 10.0.0.150 via "
           "netdev-dummy/receive; ovs-appctl time/warp 500; "
           "ovs-ofctl --strict del-flows" % (br, f_stats),
           stats_then_delete, fr)

    # --- ECHO_REQUEST from the switch (inactivity probe, 5 s)
    s.step("echo-request", "ovs-appctl time/warp 6000 (no controller "
           "traffic for more than inactivity_probe=5000 ms)",
           lambda: sb.warp(6000), is_type(OFPT_ECHO_REQUEST),
           note="capture.py answered with ECHO_REPLY")

    # --- ERROR replies to bad requests (all requests encoded by OVS)
    err = is_type(OFPT_ERROR)
    bad_flows = [
        ("error-bad-out-group", "priority=5,ip actions=group:99"),
        ("error-unknown-meter", "priority=5,ip actions=meter:99,output:1"),
        ("error-bad-prereq", "ct_state=+trk,ip,ct_nw_src=10.0.0.1 actions=drop"),
        ("error-eperm-dp-hash", "dp_hash=0x5/0xf actions=drop"),
        ("error-eperm-table-254", "table=254,priority=1 actions=drop"),
    ]
    for name, flow in bad_flows:
        try:
            msg = sb.parse_flow(flow)
        except GenError:
            print("async: %s: ovs-ofctl refuses to encode %r" % (name, flow),
                  file=sys.stderr)
            continue
        s.step(name, "controller sends FLOW_MOD from ovs-ofctl -O OpenFlow13 "
               "parse-flow '%s'" % flow, lambda m=msg: s.ctl.send(m), err)
    s.step("error-meter-bad-band",
           "controller sends METER_MOD meter=4,kbps,band=type=dscp_remark,"
           "rate=100,prec_level=1 (bytes from ovs-ofctl add-meter)",
           lambda: s.ctl.send(shared["meter_mod_bad_band"]), err)

    def tlv_conflict():
        sb.ofctl("add-tlv-map", br, "{class=0xffff,type=0,len=4}->tun_metadata0")
        s.ctl.send(shared["tlv_conflict"])
    s.step("error-experimenter-nicira",
           "ovs-ofctl add-tlv-map %s '{class=0xffff,type=0,len=4}->tun_metadata0'; "
           "controller sends NXT_TLV_TABLE_MOD ADD "
           "{class=0xffff,type=1,len=4}->tun_metadata0 (bytes from ovs-ofctl "
           "add-tlv-map)" % br, tlv_conflict, err,
           note="NXTTMFC_ALREADY_MAPPED is a Nicira experimenter error "
                "(type 0xffff, exp_code 21, experimenter 0x00002320)")
    sb.ofctl("del-tlv-map", br)
    s.step("error-experimenter-onf-bundle",
           "controller sends ONFT_BUNDLE_CONTROL DISCARD_REQUEST for bundle 0, "
           "which is not open (bytes from ovs-ofctl --bundle add-flows)",
           lambda: s.ctl.send(shared["bundle_discard_request"]), err,
           note="OFPBFC_BAD_ID in OpenFlow 1.3 is an ONF experimenter error "
                "(type 0xffff, exp_code 2302, experimenter 0x4f4e4600)")

    # --- ROLE_REPLY (ROLE_REQUEST built by capture.py/generate_corpus.py)
    role = is_type(OFPT_ROLE_REPLY, OFPT_ERROR)
    for name, r, gen in (("role-reply-master", "master", 1),
                         ("role-reply-slave", "slave", 2),
                         ("role-reply-nochange", "nochange", 0)):
        rq = role_request(r, gen, s.next_xid())
        s.step(name, "controller sends ROLE_REQUEST role=%s generation_id=%d "
               "(hand-built request: %s)" % (r, gen, rq.hex()),
               lambda rq=rq: s.ctl.send(rq), role)
    slave_fm = sb.parse_flow("priority=1 actions=drop")
    s.step("error-is-slave",
           "controller (role slave) sends FLOW_MOD from ovs-ofctl parse-flow "
           "'priority=1 actions=drop'", lambda: s.ctl.send(slave_fm), err)
    rq = role_request("master", 1, s.next_xid())
    s.step("error-role-stale",
           "controller sends ROLE_REQUEST role=master generation_id=1 after "
           "generation_id=2 (hand-built request: %s)" % rq.hex(),
           lambda: s.ctl.send(rq), role)
    rq = role_request("equal", 0, s.next_xid())
    s.step("role-reply-equal",
           "controller sends ROLE_REQUEST role=equal (hand-built request: %s)"
           % rq.hex(), lambda: s.ctl.send(rq), role)

    # --- GET_ASYNC_REPLY before/after SET_ASYNC (both requests hand-built)
    ga = is_type(OFPT_GET_ASYNC_REPLY)
    rq = get_async_request(s.next_xid())
    s.step("get-async-reply-default",
           "controller sends GET_ASYNC_REQUEST (hand-built request: %s)"
           % rq.hex(), lambda: s.ctl.send(rq), ga)
    sa = set_async(s.next_xid(), pin=(0x7, 0x0), port_status=(0x7, 0x7),
                   flow_removed=(0xf, 0x0))
    rq = get_async_request(s.next_xid())

    def set_then_get():
        s.ctl.send(sa)
        s.ctl.send(rq)
    s.step("get-async-reply-after-set-async",
           "controller sends SET_ASYNC packet_in=0x7/0x0 port_status=0x7/0x7 "
           "flow_removed=0xf/0x0 (hand-built: %s) then GET_ASYNC_REQUEST "
           "(hand-built: %s)" % (sa.hex(), rq.hex()), set_then_get, ga)
    s.step("packet-in-invalid-ttl",
           recv + "<ICMP echo with TTL 1> after SET_ASYNC enabled "
           "OFPR_INVALID_TTL", inject(icmp1), pin, note=flows_note)

    # --- GET_CONFIG_REPLY, SET_CONFIG, BARRIER_REPLY (requests from ovs-ofctl)
    gc = is_type(OFPT_GET_CONFIG_REPLY)
    s.step("get-config-reply",
           "controller sends GET_CONFIG_REQUEST (bytes from ovs-ofctl get-frags)",
           lambda: s.ctl.send(shared["get_config_request"]), gc)

    def set_then_get_config():
        s.ctl.send(shared["set_config_drop"])
        s.ctl.send(shared["get_config_request"])
    s.step("get-config-reply-after-set-config",
           "controller sends SET_CONFIG frags=drop miss_send_len=0 then "
           "GET_CONFIG_REQUEST (bytes from ovs-ofctl set-frags/get-frags)",
           set_then_get_config, gc)
    s.step("barrier-reply",
           "controller sends BARRIER_REQUEST (bytes from ovs-ofctl add-flow)",
           lambda: s.ctl.send(shared["barrier_request"]),
           is_type(OFPT_BARRIER_REPLY))


TOPICS = [
    ("misc", topic_misc),
    ("flowmods", topic_flowmods),
    ("groups", topic_groups),
    ("bundles", topic_bundles),
    # Not "multipart.golden": that name belongs to gen_mp_golden.py's
    # vectors, which MultipartTests.cs reads by entry name.
    ("multipart-stats", topic_multipart),
    ("async", topic_async),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", action="append", default=[],
                    help="generate only these topics (debugging)")
    args = ap.parse_args()

    sb = Sandbox(args.sandbox)
    shared = {}
    for topic, fn in TOPICS:
        if args.only and topic not in args.only:
            continue
        g = Golden(sb, topic)
        fn(sb, g, shared)
        g.write(args.out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GenError as e:
        print("generate_corpus.py: %s" % e, file=sys.stderr)
        sys.exit(1)

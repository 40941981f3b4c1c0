#!/usr/bin/env python3
import sys
from cap import *
c = Cap()
c.ofctl(["del-groups", "{SW}"]); c.ofctl(["del-flows", "{SW}"])
sel64 = "group_id=64,type=select," + ",".join(
    "bucket=weight:%d,actions=set_field:10.0.%d.%d->ip_dst,output:%d" % (i + 1, i // 250, i % 250 + 1, i % 3 + 1) for i in range(64))
sel256 = "group_id=256,type=select," + ",".join(
    "bucket=weight:%d,watch_port:%d,actions=set_field:02:00:00:00:%02x:%02x->eth_dst,output:%d" % (i % 7 + 1, i % 3 + 1, i // 256, i % 256, i % 3 + 1) for i in range(256))
G = [
 ("add-select-weights-watch", ["add-group", "{SW}", "group_id=1,type=select,bucket=weight:10,watch_port:1,actions=set_field:aa:bb:0a:00:00:01->eth_dst,output:1,bucket=weight:20,watch_port:2,actions=output:2"]),
 ("add-select-default-weight", ["add-group", "{SW}", "group_id=2,type=select,bucket=actions=output:1,bucket=weight:0,actions=output:2,bucket=weight:65535,actions=output:3"]),
 ("add-select-64-buckets", ["add-group", "{SW}", sel64]),
 ("add-select-256-buckets", ["add-group", "{SW}", sel256]),
 ("add-all", ["add-group", "{SW}", "group_id=10,type=all,bucket=output:1,bucket=output:2,bucket=actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:3"]),
 ("add-indirect", ["add-group", "{SW}", "group_id=11,type=indirect,bucket=actions=dec_ttl,output:3"]),
 ("add-fast-failover", ["add-group", "{SW}", "group_id=12,type=fast_failover,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,watch_group:11,actions=output:2,bucket=watch_group:11,actions=group:11"]),
 ("add-select-empty", ["add-group", "{SW}", "group_id=13,type=select"]),
 ("add-select-bucket-drop", ["add-group", "{SW}", "group_id=14,type=select,bucket=weight:5,actions=drop"]),
 ("add-select-nicira", ["add-group", "{SW}", "group_id=15,type=select,bucket=weight:3,actions=load:0x1->NXM_NX_REG0[],move:NXM_NX_REG1[0..15]->NXM_NX_REG2[16..31],output:1,bucket=weight:4,actions=load:0x2->NXM_NX_REG0[],output:2"]),
 ("add-group-id-max", ["add-group", "{SW}", "group_id=4294967040,type=all,bucket=output:1"]),
 ("add-all-controller", ["add-group", "{SW}", "group_id=16,type=all,bucket=actions=output:CONTROLLER,bucket=actions=output:IN_PORT,bucket=actions=set_queue:3,output:1"]),
 ("add-groups-file", ["add-groups", "{SW}", "FILE1"], {"FILE1": "group_id=20,type=select,bucket=weight:2,actions=output:1,bucket=weight:3,actions=output:2\ngroup_id=21,type=indirect,bucket=actions=group:20\n"}),
 ("mod-select", ["mod-group", "{SW}", "group_id=1,type=select,bucket=weight:5,watch_port:3,actions=output:3"]),
 ("mod-to-all", ["mod-group", "{SW}", "group_id=2,type=all,bucket=actions=output:2"]),
 ("mod-may-create", ["--may-create", "mod-group", "{SW}", "group_id=30,type=select,bucket=weight:7,actions=output:1"]),
 ("del-one", ["del-groups", "{SW}", "group_id=13"]),
 ("del-all", ["del-groups", "{SW}"]),
]
for g in G:
    name, args = g[0], g[1]
    files = g[2] if len(g) > 2 else None
    c.keep(name, args, is_group_mod, files)
c.write(sys.argv[1])

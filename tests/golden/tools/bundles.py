#!/usr/bin/env python3
import sys
from cap import *
c = Cap()
c.ofctl(["del-groups", "{SW}"]); c.ofctl(["del-flows", "{SW}"])
B = [
 ("add-flows", ["--bundle", "add-flows", "{SW}", "FILE1"], {"FILE1": "table=0,priority=100,ip,nw_dst=10.0.0.1 actions=output:1\ntable=0,priority=90,arp actions=NORMAL\ntable=1,priority=10,tcp,tp_dst=80 actions=load:0x5->NXM_NX_REG0[],output:2\n"}),
 ("add-groups", ["--bundle", "add-groups", "{SW}", "FILE1"], {"FILE1": "group_id=1,type=select,bucket=weight:10,actions=output:1,bucket=weight:20,actions=output:2\ngroup_id=2,type=all,bucket=actions=output:3\n"}),
 ("mixed", ["bundle", "{SW}", "FILE1"], {"FILE1": "group add group_id=3,type=select,bucket=weight:1,actions=output:1,bucket=weight:1,actions=output:2\nflow add table=0,priority=200,tcp,nw_dst=10.0.0.100,tp_dst=80 actions=group:3\nflow delete table=0,arp\n"}),
 ("replace-flows", ["--bundle", "replace-flows", "{SW}", "FILE1"], {"FILE1": "table=0,priority=100,ip,nw_dst=10.0.0.1 actions=output:2\ntable=0,priority=50 actions=drop\n"}),
 ("mod-group", ["--bundle", "mod-group", "{SW}", "group_id=3,type=select,bucket=weight:2,actions=output:3"]),
 ("del-groups", ["--bundle", "del-groups", "{SW}", "group_id=2"]),
 ("err-missing-group", ["--bundle", "add-flows", "{SW}", "FILE1"], {"FILE1": "table=0,priority=300,ip actions=output:1\ntable=0,priority=301,udp actions=group:99\n"}),
 ("err-group-exists", ["--bundle", "add-groups", "{SW}", "FILE1"], {"FILE1": "group_id=50,type=all,bucket=actions=output:1\ngroup_id=3,type=all,bucket=actions=output:1\n"}),
]
for g in B:
    name, args = g[0], g[1]
    files = g[2] if len(g) > 2 else None
    c.keep(name, args, bundle_or_error, files)
c.write(sys.argv[1])

#!/bin/bash
# Captures frames that the Linux kernel (and ping/arping) put on a veth pair between two
# private network namespaces, into tests/OvsLb.OpenFlow.Tests/Packets/data/linux.pcap.
# Packet tests parse these as frames our code did not build. Needs root, iproute2, tcpdump,
# ping, arping (Debian: iputils-ping iputils-arping) and python3. Only documentation
# addresses (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) are used, inside namespaces this
# script creates and removes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../OvsLb.OpenFlow.Tests/Packets/data/linux.pcap}
tag=pk$$
a=${tag}a b=${tag}b va=${tag}va vb=${tag}vb
tmp=$(mktemp -d)
dump_pid=
srv_pid=

cleanup() {
    if [ -n "$dump_pid" ]; then kill "$dump_pid" 2>/dev/null || true; wait "$dump_pid" 2>/dev/null || true; fi
    if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add "$va" type veth peer name "$vb"
ip link set "$va" netns "$a"
ip link set "$vb" netns "$b"
A="ip netns exec $a"
B="ip netns exec $b"
$A ip link set "$va" address 02:00:00:00:0a:01
$B ip link set "$vb" address 02:00:00:00:0b:01
$A ip addr add 192.0.2.1/24 dev "$va"
$B ip addr add 192.0.2.2/24 dev "$vb"
$A ip -6 addr add 2001:db8::1/64 dev "$va" nodad
$B ip -6 addr add 2001:db8::2/64 dev "$vb" nodad
$A ip link set lo up
$B ip link set lo up
# 802.1Q needs the 8021q module, which a container may not have: then no tagged frames.
vlan=no
if $A ip link add link "$va" name "$va.10" type vlan id 10 2>/dev/null \
    && $B ip link add link "$vb" name "$vb.10" type vlan id 10; then
    vlan=yes
    $A ip addr add 198.51.100.1/24 dev "$va.10"
    $B ip addr add 198.51.100.2/24 dev "$vb.10"
fi

# Capture from before the link comes up (on the peer's side it is still down, so nothing is
# sent yet) to catch the router solicitations and MLD reports IPv6 sends at link-up.
$A ip link set "$va" up
$A tcpdump -i "$va" -U -w "$tmp/cap.pcap" -s 2048 2>/dev/null &
dump_pid=$!
sleep 1
$B ip link set "$vb" up
if [ $vlan = yes ]; then $A ip link set "$va.10" up; $B ip link set "$vb.10" up; fi
sleep 2

$A ping -c 1 -W 2 192.0.2.2 >/dev/null                 # ARP request/reply, ICMP echo request/reply
$A ping -6 -c 1 -W 2 2001:db8::2 >/dev/null            # neighbor solicitation/advertisement, ICMPv6 echo
if [ $vlan = yes ]; then $A ping -c 1 -W 2 198.51.100.2 >/dev/null; fi   # the same through VLAN 10
$A arping -U -c 1 -I "$va" 192.0.2.1 >/dev/null || true    # gratuitous ARP
# TCP: a handshake with options (SYN, SYN-ACK, ACK, data, FIN) and a refused connection (RST).
$B python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 8080)); s.listen(1); s.settimeout(5)
c, _ = s.accept(); c.recv(100); c.close()' &
srv_pid=$!
sleep 0.5
$A python3 -c '
import socket
c = socket.create_connection(("192.0.2.2", 8080), timeout=3); c.sendall(b"hello"); c.close()'
$A python3 -c '
import socket
try: socket.create_connection(("192.0.2.2", 81), timeout=2)
except OSError: pass'
# UDP to a closed port (the datagram, and the ICMP port unreachable quoting it), then over IPv6.
$A python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"ping", ("192.0.2.2", 5353))
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"ping6", ("2001:db8::2", 5353))'
sleep 1
wait "$srv_pid" 2>/dev/null || true
srv_pid=
kill "$dump_pid"
wait "$dump_pid" 2>/dev/null || true
dump_pid=
mkdir -p "$(dirname "$out")"
cp "$tmp/cap.pcap" "$out"
tcpdump -r "$out" -nn -e 2>/dev/null | cut -c1-160

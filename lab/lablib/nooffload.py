"""Turns transmit checksum offload off on the given interfaces (what `ethtool -K IF tx off` does,
without needing ethtool).

Why: with the userspace datapath (no kernel module), ovs-vswitchd reads frames from veth ports
with an AF_PACKET socket. A TCP segment sent by a host whose veth offloads checksums still carries a
partial checksum at that point, and OVS 3.1 forwards it as is: the receiver drops it. Pings work,
TCP does not. Computing checksums in the sending host's kernel fixes that. Runs inside a host.

usage: nooffload.py IFNAME...
"""
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17


def tx_checksum_off(sock, ifname):
    value = (ctypes.c_uint32 * 2)(ETHTOOL_STXCSUM, 0)      # struct ethtool_value {cmd, data}
    ifreq = struct.pack("16sP", ifname.encode(), ctypes.addressof(value)).ljust(40, b"\0")
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq)


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for ifname in sys.argv[1:]:
            tx_checksum_off(s, ifname)


if __name__ == "__main__":
    main()

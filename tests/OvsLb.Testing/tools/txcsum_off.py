#!/usr/bin/env python3
"""Turns transmit checksum offload off on the named interfaces of the current network namespace.

Why: a veth sends TCP/UDP packets with only a partial checksum (the receiving kernel would finish it);
OVS's userspace datapath reads them through AF_PACKET and forwards them as they are, so the next
kernel sees a wrong checksum and drops the segment (TcpInCsumErrors). ICMP is unaffected, which is
why ping works without this. Same as "ethtool -K IFACE tx off", without needing ethtool:
the legacy ETHTOOL_STXCSUM ioctl.

    txcsum_off.py eth0 [eth1 ...]
"""
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_GTXCSUM = 0x16
ETHTOOL_STXCSUM = 0x17


def ethtool_value(sock, name, cmd, data=0):
    buf = ctypes.create_string_buffer(struct.pack("II", cmd, data), 8)
    fcntl.ioctl(sock, SIOCETHTOOL, struct.pack("16sP", name.encode(), ctypes.addressof(buf)))
    return struct.unpack("II", buf.raw[:8])[1]


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for name in sys.argv[1:]:
        ethtool_value(s, name, ETHTOOL_STXCSUM, 0)
        if ethtool_value(s, name, ETHTOOL_GTXCSUM) != 0:
            sys.exit(f"{name}: tx checksum offload is still on")


if __name__ == "__main__":
    main()

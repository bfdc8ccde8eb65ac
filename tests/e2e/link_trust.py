#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Frames of test_link_trust.sh: client frames that pose as link control,
and forgeries of a real control frame (docs/security.md).

  link_trust.py stage-a DIR          client.pcap, pvm.pcap, svm.pcap
  link_trust.py stage-b DIR KEYFILE  link_in.pcap from DIR/link.pcap + forgeries
  link_trust.py peer-mac DIR         source MAC of the primary's control frames
  link_trust.py seqs PCAP            "sport dport seq" of each TCP frame
"""

import hashlib
import hmac
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import pcap_read, pcap_write  # noqa: E402

LINK_TYPE = 0x88B5
HDR_LEN = 62
CLI_MAC = bytes.fromhex("020000000001")
VM_MAC = bytes.fromhex("020000000002")
CLI_IP = bytes([10, 0, 0, 1])
VM_IP = bytes([10, 0, 0, 2])
PVM_ISN = 1000
SVM_ISN = 900000
PLANTED_ISN = 5000000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp(src_ip, dst_ip, sport, dport, seq, ack, flags, src_mac, dst_mac):
    th = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ph = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(th))
    th = th[:16] + struct.pack("!H", csum(ph + th)) + th[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(th), 1, 0, 64, 6, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + th


def syn(cport):
    return tcp(CLI_IP, VM_IP, cport, 80, 77, 0, 0x02, CLI_MAC, VM_MAC)


def syn_ack(cport, isn):
    return tcp(VM_IP, CLI_IP, 80, cport, isn, 78, 0x12, VM_MAC, CLI_MAC)


def link_v2(inner, counter, flags=0, tag=b"\0" * 32, src=CLI_MAC):
    """A control frame as lib/colo_link.c lays it out."""
    hdr = inner[:6] + src + struct.pack("!H", LINK_TYPE) + b"CL" + bytes([2, 1, flags, 0, 0, 0])
    return hdr + struct.pack("!Q", counter) + tag + inner


def sealed(key, inner, counter, src):
    f = link_v2(inner, counter, flags=1, src=src)
    t = hmac.new(key, f[12:], hashlib.sha256).digest()
    return f[:30] + t + f[62:]


def stage_a(d):
    planted = syn_ack(40002, PLANTED_ISN)
    v1 = planted[:12] + struct.pack("!H", LINK_TYPE) + b"CL" + bytes([1, 1]) + planted
    vlan = (planted[:12] + b"\x81\x00\x00\x05" + link_v2(planted, 1 << 62)[12:])
    qinq = (planted[:12] + b"\x88\xa8\x00\x06\x81\x00\x00\x05" + link_v2(planted, 1 << 62)[12:])
    pcap_write(d + "/client.pcap", [syn(40001), v1, link_v2(planted, 1 << 62), vlan, qinq,
                                    syn(40002)])
    pcap_write(d + "/pvm.pcap", [syn_ack(40001, PVM_ISN)])
    pcap_write(d + "/svm.pcap", [syn_ack(40001, SVM_ISN), syn_ack(40002, SVM_ISN)])


def stage_b(d, keyfile):
    key = bytes.fromhex(open(keyfile).read().strip())
    frames = pcap_read(d + "/link.pcap")
    ctl = [f for f in frames if struct.unpack("!H", f[12:14])[0] == LINK_TYPE]
    if len(ctl) != 1:
        raise SystemExit("link.pcap: %d control frames, expected 1" % len(ctl))
    real = ctl[0]
    counter = struct.unpack("!Q", real[22:30])[0]
    planted = syn_ack(40002, PLANTED_ISN)
    other_mac = bytes.fromhex("02000000ee01")
    flipped = bytearray(real)
    flipped[-1] ^= 0x01
    forged = [
        # A copy from another source MAC, even with a valid tag (--link-peer-mac).
        real[:6] + other_mac + real[12:],
        # The real frame with one bit of the PVM frame changed.
        bytes(flipped),
        # An offset planted with no tag, with a tag of another key, with a stolen tag.
        link_v2(planted, counter + 10, src=real[6:12]),
        sealed(b"k" * 32, planted, counter + 11, real[6:12]),
        link_v2(planted, counter + 12, flags=1, tag=real[30:62], src=real[6:12]),
    ]
    # The old v1 header, from the peer's MAC: a header we do not know.
    v1 = planted[:6] + real[6:12] + struct.pack("!H", LINK_TYPE) + b"CL" + bytes([1, 1]) + planted
    assert sealed(key, real[62:], counter, real[6:12]) == real, "the primary's tag is HMAC-SHA-256"
    pcap_write(d + "/link_in.pcap", frames + [real] + forged + [v1])


def seqs(path):
    for f in pcap_read(path):
        if f[12:14] == b"\x08\x00" and f[23] == 6:
            sport, dport, seq = struct.unpack("!HHI", f[34:42])
            print(sport, dport, seq)


def main(argv):
    if argv[1] == "stage-a":
        stage_a(argv[2])
    elif argv[1] == "stage-b":
        stage_b(argv[2], argv[3])
    elif argv[1] == "peer-mac":
        f = [f for f in pcap_read(argv[2] + "/link.pcap") if f[12:14] == b"\x88\xb5"][0]
        print(":".join("%02x" % b for b in f[6:12]))
    elif argv[1] == "seqs":
        seqs(argv[2])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

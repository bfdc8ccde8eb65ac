# SPDX-License-Identifier: BSD-3-Clause
"""Frame generators of the robustness end-to-end tests (python3 stdlib only).

  hostile.py frames PRIMARY SECONDARY   malformed frames, one per parse error,
                                        plus good and jumbo frames; prints
                                        "reason count" lines of what to expect
  hostile.py flood PRIMARY SECONDARY N  N new UDP flows (one frame each, primary
                                        only) with an established flow whose
                                        frames are on both sides, interleaved
  hostile.py same-set EXPECTED ACTUAL    the same frames, in any order
"""
import struct
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from e2e import pcap_read, pcap_write  # noqa: E402

ETH_DST = b"\x02\x00\x00\x00\x00\x02"
ETH_SRC = b"\x02\x00\x00\x00\x00\x01"


def csum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(etype, payload):
    return ETH_DST + ETH_SRC + struct.pack("!H", etype) + payload


def ip4(proto, l4, src=(10, 0, 0, 1), dst=(10, 0, 0, 2), ihl=5, tot=None, ident=1):
    opts = b"\0" * (max(ihl, 5) * 4 - 20)
    hlen = 20 + len(opts)
    tot = hlen + len(l4) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, ident, 0, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum16(h + opts)) + h[12:]
    return h + opts + l4


def ip6(nh, payload, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nh, 64,
                       b"\xfd" + b"\0" * 14 + b"\x01", b"\xfd" + b"\0" * 14 + b"\x02") + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, doff, data=b"", seq=1):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, doff << 4, 0x18, 65535, 0, 0) + data


def hostile():
    """(frame, expected parse_err name or None) pairs."""
    good = eth(0x0800, ip4(17, udp(7000, 7001, b"good-before")))
    out = [(good, None)]
    out.append((b"", "runt"))                                   # zero-length
    out.append((ETH_DST + ETH_SRC[:4], "runt"))                 # 10 bytes
    out.append((eth(0x0800, b""), "ip4_trunc"))                 # 14 bytes, IPv4 type
    out.append((eth(0x86DD, b""), "ip6_trunc"))                 # 14 bytes, IPv6 type
    out.append((eth(0x0800, b"\x45\x00\x00"), "ip4_trunc"))     # truncated IPv4 header
    out.append((eth(0x0800, ip4(17, udp(1, 2, b"x"))[:0] +
                    b"\x65" + ip4(17, udp(1, 2, b"x"))[1:]), "ip4_version"))
    out.append((eth(0x0800, b"\x4f" + ip4(17, udp(1, 2, b"x"))[1:]), "ip4_ihl"))  # IHL 15
    out.append((eth(0x0800, b"\x44" + ip4(17, udp(1, 2, b"x"))[1:]), "ip4_ihl"))  # IHL 4
    out.append((eth(0x0800, ip4(17, udp(1, 2, b"xy"), tot=1500)), "ip4_len"))
    out.append((eth(0x86DD, ip6(17, udp(1, 2, b"x"))[:30]), "ip6_trunc"))
    out.append((eth(0x86DD, ip6(17, udp(1, 2, b"x"), plen=4000)), "ip6_len"))
    out.append((eth(0x0800, ip4(6, tcp(1, 2, 4, b"data"))), "tcp_doff"))    # doff < 5
    out.append((eth(0x0800, ip4(6, tcp(1, 2, 15, b"data"))), "tcp_doff"))   # doff beyond
    out.append((eth(0x0800, ip4(6, tcp(1, 2, 5)[:12])), "tcp_trunc"))
    out.append((eth(0x0800, ip4(17, b"\0\1\0\2")), "udp_trunc"))
    # IPv6 extension headers: a long chain of destination options (60 -> 60
    # -> ...), a "loop" of routing headers each naming another routing
    # header, and one whose length runs past the datagram.
    chain = b""
    for _ in range(40):
        chain += struct.pack("!BB6s", 60, 0, b"\0" * 6)
    out.append((eth(0x86DD, ip6(60, chain)), "ip6_ext_chain"))
    loop = b""
    for _ in range(40):
        loop += struct.pack("!BBBB4s", 43, 0, 0, 0, b"\0" * 4)
    out.append((eth(0x86DD, ip6(43, loop)), "ip6_ext_chain"))
    out.append((eth(0x86DD, ip6(60, struct.pack("!BB6s", 17, 200, b"\0" * 6))),
                "ip6_ext_trunc"))
    # Five VLAN tags (one more than COLO_VLAN_MAX) and a tag cut by the end
    # of the frame; three tags of the other TPIDs are parsed and compared.
    vlan = b"".join(struct.pack("!HH", 1, t) for t in (0x9100, 0x9200, 0x8100, 0x8100, 0x0800))
    out.append((eth(0x88A8, vlan + ip4(17, udp(1, 2, b"x"))), "vlan_depth"))
    out.append((eth(0x8100, b"\0"), "vlan_trunc"))
    vlan = b"".join(struct.pack("!HH", v, t) for v, t in ((5, 0x9100), (6, 0x9200), (7, 0x0800)))
    out.append((eth(0x88A8, vlan + ip4(17, udp(7000, 7001, b"three-tags"))), None))
    # Jumbo: 9000-byte UDP frame, well formed, the same on both sides; the
    # pcap PMD delivers it as a chain of mbufs.
    jumbo = (bytes(range(256)) * 36)[:9000 - 14 - 20 - 8]
    out.append((eth(0x0800, ip4(17, udp(7000, 7001, jumbo))), None))
    out.append((eth(0x0800, ip4(17, udp(7000, 7001, b"good-after"), ident=2)), None))
    return out


def cmd_frames(primary, secondary):
    fr = hostile()
    pcap_write(primary, [f for f, _ in fr])
    pcap_write(secondary, [f for f, _ in fr])
    exp = {}
    for f, why in fr:
        if why is not None:
            exp[why] = exp.get(why, 0) + 1
    for why in sorted(exp):
        print(why, exp[why])
    print("malformed", sum(exp.values()))
    print("good", sum(1 for _, w in fr if w is None))
    print("jumbo_len", max(len(f) for f, _ in fr))


def cmd_flood(primary, secondary, n):
    prim, sec = [], []
    est = 0
    for i in range(n):
        a, b = 1 + (i >> 16) % 200, (i >> 8) & 0xFF
        prim.append(eth(0x0800, ip4(17, udp(1024 + (i & 0xFF), 53, b"flood"),
                                    src=(10, a, b, 1), ident=i & 0xFFFF)))
        if i % 1000 == 0:
            f = eth(0x0800, ip4(17, udp(4242, 4243, b"est-%06d" % est), ident=est))
            prim.append(f)
            sec.append(f)
            est += 1
    pcap_write(primary, prim)
    pcap_write(secondary, sec)
    print(len(prim), len(sec), est)


def cmd_same_set(expected, actual):
    exp, act = sorted(pcap_read(expected)), sorted(pcap_read(actual))
    if exp != act:
        print("%d frames expected, %d found; the sets differ" % (len(exp), len(act)))
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "same-set":
        sys.exit(cmd_same_set(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "frames":
        cmd_frames(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "flood":
        cmd_flood(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print(__doc__)
        sys.exit(2)

# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of test_shards.sh (python3 stdlib only): spread a capture over RX
queues the way RSS does (every frame of a connection on one queue), make
multi-connection UDP captures, and check that what several shards sent is,
connection by connection, what one shard sends.

  shards.py split IN OUT0 OUT1...       frames of each connection to one OUT, by hash
  shards.py udp OUT N CONNS TAG [I...]  N UDP frames over CONNS connections; frames I tagged TAG
  shards.py same-per-conn EXPECTED OUT...   the OUTs together hold EXPECTED's frames,
                                        each connection's in one OUT and in EXPECTED's order
"""
import struct
import sys
import zlib

import e2e


def conn_of(frame):
    """The connection key colo-proxy would give the frame, as bytes (struct colo_key)."""
    off, vlans = 12, b""
    et = struct.unpack("!H", frame[off:off + 2])[0]
    while et in (0x8100, 0x88A8) and len(frame) >= off + 6:
        vlans += frame[off + 2:off + 4]
        off += 4
        et = struct.unpack("!H", frame[off:off + 2])[0]
    l3 = off + 2
    if et == 0x0800 and len(frame) >= l3 + 20:
        ihl = (frame[l3] & 0x0F) * 4
        proto = frame[l3 + 9]
        ports = frame[l3 + ihl:l3 + ihl + 4] if proto in (6, 17, 132, 33, 136) else b""
        frag = struct.unpack("!H", frame[l3 + 6:l3 + 8])[0] & 0x3FFF
        return b"4" + vlans + frame[l3 + 12:l3 + 20] + bytes([proto]) + (b"" if frag else ports)
    if et == 0x86DD and len(frame) >= l3 + 40:
        nh = frame[l3 + 6]
        ports = frame[l3 + 40:l3 + 44] if nh in (6, 17) else b""
        return b"6" + vlans + frame[l3 + 8:l3 + 40] + bytes([nh]) + ports
    return b"L2" + vlans + struct.pack("!H", et)


def per_conn(frames):
    out = {}
    for f in frames:
        out.setdefault(conn_of(f), []).append(f)
    return out


def cmd_split(src, outs):
    queues = [[] for _ in outs]
    for f in e2e.pcap_read(src):
        queues[zlib.crc32(conn_of(f)) % len(outs)].append(f)
    for path, frames in zip(outs, queues):
        e2e.pcap_write(path, frames)
    return 0


def cmd_udp(out, n, conns, tag, tagged):
    tagged = {int(i) for i in tagged}
    frames = [e2e.udp_frame(i, tag if i in tagged else "colo", int(conns)) for i in range(int(n))]
    e2e.pcap_write(out, frames)
    return 0


def cmd_same_per_conn(expected, outs):
    want = per_conn(e2e.pcap_read(expected))
    got, where = {}, {}
    for k, path in enumerate(outs):
        for conn, frames in per_conn(e2e.pcap_read(path)).items():
            if conn in got:
                print("connection %r left on queues %d and %d" % (conn, where[conn], k))
                return 1
            got[conn], where[conn] = frames, k
    if set(got) != set(want):
        print("connections: %d expected, %d sent" % (len(want), len(got)))
        return 1
    for conn, frames in want.items():
        if got[conn] != frames:
            print("connection %r: %d frames expected, %d sent, or not in order"
                  % (conn, len(frames), len(got[conn])))
            return 1
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "split":
        return cmd_split(args[0], args[1:])
    if cmd == "udp":
        return cmd_udp(args[0], args[1], args[2], args[3], args[4:])
    if cmd == "same-per-conn":
        return cmd_same_per_conn(args[0], args[1:])
    print("unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the end-to-end tests (python3 stdlib only): read and write
pcap files, compare them frame by frame, and check JSON (stats.json or a
dpdk-telemetry.py reply) against expressions. Used from tests/e2e/lib.sh.

  e2e.py pcap-eq EXPECTED ACTUAL      frames equal, in order (timestamps ignored; a
                                      record net_pcap cut is compared as far as written)
  e2e.py pcap-count FILE              number of frames
  e2e.py pcap-udp OUT N [OPTS]        N distinct UDP frames; OPTS: tag=T (payload
                                      tag, default colo), only=I (tag only frame
                                      I), conns=K (connections, round robin; 16)
  e2e.py cases MANIFEST               one line per case: name checkpoints nb_primary nb_secondary
  e2e.py get FILE EXPR                print EXPR evaluated over the JSON in FILE as d
  e2e.py check FILE EXPR...           exit 1 naming the first EXPR that is false
"""
import json
import struct
import sys

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",   # microseconds
    b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">",   # nanoseconds
}


def pcap_records(path):
    """(captured bytes, original length) of each record."""
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        return []  # net_pcap writes the file header with the first burst
    if len(data) < 24 or data[:4] not in PCAP_MAGICS:
        raise SystemExit("%s: not a pcap file" % path)
    endian = PCAP_MAGICS[data[:4]]
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            raise SystemExit("%s: truncated frame %d" % (path, len(frames)))
        frames.append((data[off:off + caplen], orig))
        off += caplen
    return frames


def pcap_read(path):
    return [d for d, _ in pcap_records(path)]


def snapped_eq(expected, record):
    """Whether a written record is the expected frame. net_pcap's TX writes
    a multi-segment frame of more than 16128 bytes cut to 16128 (DPDK 22.11
    RTE_ETH_PCAP_SNAPLEN), with its full length as the original length."""
    data, orig = record
    return orig == len(expected) and expected[:len(data)] == data


def pcap_write(path, frames):
    # Snapshot length 262144, libpcap's largest: it cuts longer records to it.
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def udp_frame(i, tag, conns):
    payload = b"%s-%06d" % (tag.encode(), i)
    ip_len = 20 + 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, i & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    csum = 0
    for k in range(0, 20, 2):
        csum += (ip[k] << 8) | ip[k + 1]
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
    ip = ip[:10] + struct.pack("!H", csum) + ip[12:]
    udp = struct.pack("!HHHH", 10000 + i % conns, 5000, 8 + len(payload), 0)
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + udp + payload


def cmd_pcap_eq(expected, actual):
    exp, recs = pcap_read(expected), pcap_records(actual)
    act = [d for d, _ in recs]
    for i, (e, r) in enumerate(zip(exp, recs)):
        a = r[0]
        if not snapped_eq(e, r):
            at = next(k for k in range(min(len(e), len(a)) + 1)
                      if k == min(len(e), len(a)) or e[k] != a[k])
            print("frame %d differs at byte %d (lengths %d, %d)" % (i, at, len(e), len(a)))
            return 1
    if len(exp) != len(act):
        print("%d frames expected, %d found" % (len(exp), len(act)))
        return 1
    return 0


def load_json(path):
    with open(path) as f:
        return json.load(f)


def cmd_check(path, exprs):
    d = load_json(path)
    for expr in exprs:
        if not eval(expr, {"d": d}):
            print("check failed: %s  (in %s)" % (expr, path))
            print(json.dumps(d, indent=1, sort_keys=True)[:6000])
            return 1
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "pcap-eq":
        return cmd_pcap_eq(args[0], args[1])
    if cmd == "pcap-count":
        print(len(pcap_read(args[0])))
        return 0
    if cmd == "pcap-udp":
        opts = dict(a.split("=", 1) for a in args[2:])
        tag, conns = opts.get("tag", "colo"), int(opts.get("conns", 16))
        only = int(opts["only"]) if "only" in opts else None
        pcap_write(args[0], [udp_frame(i, tag if only in (None, i) else "colo", conns)
                             for i in range(int(args[1]))])
        return 0
    if cmd == "cases":
        for c in load_json(args[0])["cases"]:
            print(c["name"], c["expected_checkpoint_requests"], c["primary_frames"],
                  c["secondary_frames"])
        return 0
    if cmd == "get":
        print(eval(args[1], {"d": load_json(args[0])}))
        return 0
    if cmd == "check":
        return cmd_check(args[0], args[1:])
    print("unknown command %s" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

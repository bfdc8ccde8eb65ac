#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the libFuzzer harnesses (python3 stdlib only).

Frames come from pcaps/<case>/{primary,secondary}.pcap; each harness gets
them in its own input format (see the comment at the top of its .c file):

  pkt      every distinct frame, whole, cut into segments at its header
           boundaries, and truncated at those boundaries
  compare  per case, the two captures as a program of raw-frame operations
           (interleaved, primary first, secondary first, in one burst,
           segmented), plus template programs per protocol
  notify   the notify_dev records whole, byte at a time, oversized, empty
  chardev  QEMU filter records with and without vnet_hdr_len, split, malformed,
           oversized
  qmp      QMP transcripts of the COLO event sequences in
           tests/qmp/sequences.json, as programs of fuzz_qmp.c

Seeds are generated at run time (tests/fuzz/fuzz_one.sh) into the build
directory, so the repository carries no corpus files.

usage: make_seeds.py [--pcaps DIR] [--harness NAME ...] OUTDIR
  With one --harness, its seeds go straight into OUTDIR; otherwise into
  OUTDIR/<harness>/ for each harness.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

HARNESSES = ("chardev", "compare", "notify", "pkt", "qmp")

# fuzz_compare.c operation codes (enum op) and its header layout.
OP_FRAME, OP_STREAM, OP_PAIR, OP_RAW, OP_SCAN, OP_FLUSH = 0, 1, 2, 3, 6, 7
OP_MAX = 11
ADVANCE_3000MS = 5  # index into advance_ms[]


def read_pcap(path):
    """Frames of a classic pcap file (either byte order, us or ns stamps)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def load_cases(pcap_dir):
    """[(case, primary frames, secondary frames)], sorted by case name."""
    cases = []
    if not os.path.isdir(pcap_dir):
        return cases
    for case in sorted(os.listdir(pcap_dir)):
        d = os.path.join(pcap_dir, case)
        side = []
        for name in ("primary.pcap", "secondary.pcap"):
            p = os.path.join(d, name)
            side.append(read_pcap(p) if os.path.isfile(p) else [])
        if side[0] or side[1]:
            cases.append((case, side[0], side[1]))
    return cases


def header_bounds(frame):
    """Offsets where the Ethernet, VLAN, IP and L4 headers of @frame end."""
    bounds, off = [14], 12
    if len(frame) < 14:
        return []
    et = struct.unpack(">H", frame[12:14])[0]
    off = 14
    while et in (0x8100, 0x88A8) and off + 4 <= len(frame):
        et = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
        bounds.append(off)
    if et == 0x0800 and off + 20 <= len(frame):
        ihl = (frame[off] & 0xF) * 4
        bounds += [off + 20, off + ihl, off + ihl + 8, off + ihl + 20]
    elif et == 0x86DD and off + 40 <= len(frame):
        bounds += [off + 40, off + 48, off + 60]
    return sorted(set(b for b in bounds if 0 < b < len(frame)))


def pkt_seeds(cases):
    frames = []
    for _, prim, sec in cases:
        frames += prim + sec
    seeds = []
    for f in frames:
        seeds.append(b"\x00" + f)                      # whole, one segment
        cuts = header_bounds(f)[:7]
        if cuts:                                       # a segment per header
            seeds.append(bytes([len(cuts)]) + b"".join(struct.pack(">H", c) for c in cuts) + f)
        for b in header_bounds(f):                     # truncated at a boundary
            seeds.append(b"\x00" + f[:b])
        seeds.append(b"\x08\x02" + f)                  # stretched past 64 KiB
    seeds += [b"\x00", b"\x00" + bytes(14), b"\x10" + bytes(13)]
    # Key texts (flag bit 5): what colo_key_format() writes, for colo_key_parse().
    for text in (b"tcp 10.0.0.1:80 > 10.0.0.2:40000",
                 b"udp [fd00::1]:53 > [fd00::2]:5353 vlan 10.20",
                 b"icmp 10.0.0.1 > 10.0.0.2 vlan 7",
                 b"esp 10.0.0.1 > 10.0.0.2 spi 0x00001234",
                 b"proto 99 fd00::1 > fd00::2",
                 b"ether 0x0806 vlan 5"):
        seeds.append(b"\x20" + text)
    return seeds


def raw_op(frame, side, seg=b"\x00"):
    return bytes([OP_RAW, side]) + seg + struct.pack(">H", len(frame)) + frame


def compare_header(burst=1, drain=True):
    # max_queue 16, max_conns 16, compare_timeout 3000 ms, idle 120 s,
    # closing 5 s, non-IP passed; drain before free unless told otherwise.
    b2 = (3 << 1) | (3 << 3) | (2 << 5) | (0 if drain else 0x80)
    return bytes([15, 8, b2, (burst - 1) % 80])


def compare_tail():
    return bytes([OP_SCAN + OP_MAX * ADVANCE_3000MS, OP_FLUSH])


# Minimised inputs of past findings (tests/unit/test_regress.c replays each
# through the API); kept as seeds so the harnesses re-check them every run.
COMPARE_REGRESSIONS = (
    bytes.fromhex("18 06 40 78 20 00 01 00 00 69 69"),  # RX clock ahead of the scan
    bytes.fromhex("08 00 3d 3d ff ff 00 00 00 00 00 00 ff 00 ff ff 02 00"
                  "00 00 00 01 08 06 ff ff ff 07 08 07"),  # divergence primary
)


def compare_seeds(cases):
    seeds = list(COMPARE_REGRESSIONS)
    for _, prim, sec in cases:
        inter = b""
        for i in range(max(len(prim), len(sec))):
            if i < len(prim):
                inter += raw_op(prim[i], 0)
            if i < len(sec):
                inter += raw_op(sec[i], 1)
        p_first = b"".join(raw_op(f, 0) for f in prim) + b"".join(raw_op(f, 1) for f in sec)
        s_first = b"".join(raw_op(f, 1) for f in sec) + b"".join(raw_op(f, 0) for f in prim)
        cut = b"".join(raw_op(f, 0, b"\x02\x0e\x28") for f in prim) + \
            b"".join(raw_op(f, 1, b"\x01\x22") for f in sec)
        seeds.append(compare_header() + inter + compare_tail())
        seeds.append(compare_header() + p_first + compare_tail())
        seeds.append(compare_header() + s_first)
        seeds.append(compare_header(burst=64) + inter + compare_tail())
        seeds.append(compare_header(drain=False) + cut)
    # Template programs (fuzz_compare.c tmpl_read): a pair of each type.
    for t in range(8):
        tcp = t in (0, 5, 7)
        fields = bytes([10]) + (struct.pack(">HBB", 1, 0, 0) if tcp else b"\x05")
        seeds.append(compare_header() + bytes([OP_PAIR, t, 0, 0, 0]) + fields + compare_tail())
    # A TCP conversation: SYN-ACK, three data segments, FIN, as pairs.
    conv = b""
    seq = 0
    for flags, plen in ((0x12, 0), (0x18, 40), (0x18, 40), (0x18, 40), (0x11, 0)):
        conv += bytes([OP_PAIR, 0, 0, 0, 0, plen]) + struct.pack(">HBB", seq, 0, flags)
        seq += plen + (1 if flags & 0x03 else 0)
    seeds.append(compare_header() + conv + compare_tail())
    # 64 TCP segments on both sides, then 64 UDP flows (a flood that
    # evicts), then 64 primaries held until a checkpoint releases them.
    stream = bytes([OP_STREAM, 0, 0x40 | 63, 0, 40]) + struct.pack(">HBB", 0, 0, 0)
    flood = bytes([OP_STREAM, 1, 0x80 | 63, 0, 10, 0])
    held = bytes([OP_STREAM, 1, 63, 0, 20, 1])
    seeds.append(compare_header() + stream + flood + compare_tail())
    seeds.append(compare_header(burst=80) + held + compare_tail())
    # Identical pairs only (volatile fields, resegmentation, secondary
    # first): the harness then requires that no mismatch is reported.
    clean = b""
    for i in range(6):
        mut = 0x10 | 0x02 | (0x08 if i % 2 else 0)
        clean += bytes([OP_PAIR, 0, mut, 0, 0, 40]) + struct.pack(">HBB", i * 40, 0, 0)
        clean += bytes([OP_PAIR, 1, 0x02, 0, 0, 10, i])
    seeds.append(compare_header() + clean + compare_tail())
    return seeds


NOTIFY_MSGS = (b"COLO_USERSPACE_PROXY_INIT", b"COLO_COMPARE_GET_XEN_INIT",
               b"DO_CHECKPOINT", b"COLO_CHECKPOINT", b"COLO_FAILOVER")


def record(body):
    return struct.pack(">I", len(body)) + body


def chunks(stream, size):
    out = b""
    for i in range(0, len(stream), size):
        piece = stream[i:i + size]
        out += bytes([len(piece)]) + piece
    return out


def notify_seeds():
    allmsgs = b"".join(record(m) for m in NOTIFY_MSGS)
    return [
        chunks(record(NOTIFY_MSGS[0]), 199),
        chunks(allmsgs, 199),
        chunks(allmsgs, 1),
        chunks(allmsgs, 7),
        chunks(record(b"") + record(b"HELLO") + record(NOTIFY_MSGS[3]), 199),
        chunks(struct.pack(">I", 69633) + bytes(64) + record(NOTIFY_MSGS[2]), 50),
        chunks(struct.pack(">I", 0xFFFFFFFF) + b"x" * 10, 3),
        chunks(record(b"A" * 100) + record(NOTIFY_MSGS[1][:-1]), 199),
        chunks(record(NOTIFY_MSGS[3])[:9], 2),
    ]


def chardev_record(frame, vnet, vnet_len=0):
    hdr = struct.pack(">I", len(frame) + vnet_len)
    if vnet:
        hdr += struct.pack(">I", vnet_len)
    return hdr + bytes(vnet_len) + frame


def chardev_seeds(cases):
    frames = [f for _, p, _ in cases[:4] for f in p[:3]] or [bytes(60)]
    seeds = []
    for flags in range(8):
        vnet = flags & 1
        stream = b"".join(chardev_record(f, vnet, 12 if vnet else 0) for f in frames)
        seeds.append(bytes([flags]) + chunks(stream, 199))
        seeds.append(bytes([flags]) + chunks(stream[:300], 1))
    seeds.append(b"\x01" + chunks(chardev_record(b"", True) + chardev_record(b"x" * 4, True, 12)
                                  + chardev_record(bytes(60), True), 13))
    seeds.append(b"\x00" + chunks(struct.pack(">I", 69633) + bytes(64), 50))
    seeds.append(b"\x02" + chunks(chardev_record(bytes(65), False), 199))
    return seeds


# fuzz_qmp.c operations.
QMP_REQUEST, QMP_TICK, QMP_RECONNECT, QMP_EXECUTE, QMP_REFRESH = 200, 220, 240, 245, 250


def qmp_feed(text, size):
    data = text.encode()
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += bytes([len(piece)]) + piece
    return out


QMP_GREETING = ('{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, '
                '"package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}')
QMP_T0 = 1796403190000000  # fuzz_qmp.c's clock at start, in microseconds


def qmp_reply(cid, ret):
    return '{"return": %s, "id": %d}' % (json.dumps(ret, separators=(", ", ": ")), cid)


def qmp_program(seq, size):
    """One sequence of sequences.json as a fuzz_qmp.c program: QEMU's lines with
    the ids the engine will use, the client's requests and commands, and time
    advanced (ticks) so that event timestamps stay in the engine's past."""
    role = 1 if seq.get("role") == "secondary" else 0
    prog = bytes([role])
    state = {"id": 1, "us": 0}
    colo = {"mode": seq["mode"], "last-mode": "none", "reason": "none"}

    def feed(line):
        nonlocal prog
        prog += qmp_feed(line + "\r\n", size)
        state["us"] += 100  # the harness's clock per fed chunk, roughly

    def reply(ret):
        feed(qmp_reply(state["id"], ret))
        state["id"] += 1

    def handshake():
        feed(QMP_GREETING)
        reply({})
        reply(dict(colo))
        reply({"x-checkpoint-delay": seq["delay"]})

    handshake()
    for step in seq["steps"]:
        if "event" in step:
            ms = int(step.get("after_ms", 0)) + 1
            prog += bytes([QMP_TICK, min(ms, 255)])
            state["us"] += min(ms, 255) * 1000
            ev = {"timestamp": {"seconds": (QMP_T0 + state["us"]) // 1000000,
                                "microseconds": (QMP_T0 + state["us"]) % 1000000},
                  "event": step["event"]}
            if "data" in step:
                ev["data"] = step["data"]
            feed(json.dumps(ev, separators=(", ", ": ")))
        elif "state" in step:
            colo.update(step["state"])
        elif step.get("expect") == "migrate-set-parameters":
            prog += bytes([QMP_REQUEST])
            reply({"x-checkpoint-delay": seq["delay"]})
            reply({})
        elif step.get("expect") in ("x-colo-lost-heartbeat", "stop", "cont"):
            prog += bytes([QMP_EXECUTE + 1])
            reply({})
        elif step.get("close"):
            prog += bytes([QMP_RECONNECT])
            handshake()
    return prog


def qmp_seeds():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qmp", "sequences.json")
    with open(path) as f:
        seqs = json.load(f)["sequences"]
    return [qmp_program(seq, size) for _, seq in sorted(seqs.items()) for size in (199, 7)]


def write(outdir, seeds):
    os.makedirs(outdir, exist_ok=True)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(s)
    return len(set(seeds))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcaps", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "pcaps"))
    ap.add_argument("--harness", action="append", choices=HARNESSES)
    ap.add_argument("outdir")
    args = ap.parse_args()

    cases = load_cases(args.pcaps)
    makers = {
        "compare": lambda: compare_seeds(cases),
        "chardev": lambda: chardev_seeds(cases),
        "notify": notify_seeds,
        "pkt": lambda: pkt_seeds(cases),
        "qmp": qmp_seeds,
    }
    names = args.harness or list(HARNESSES)
    for name in names:
        d = args.outdir if len(names) == 1 and args.harness else os.path.join(args.outdir, name)
        n = write(d, makers[name]())
        print("%s: %d seeds from %d pcap cases -> %s" % (name, n, len(cases), d),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

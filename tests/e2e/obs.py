# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the observability end-to-end tests (python3 stdlib only):
UDP flows into a pcap, a pcapng reader for the divergence capture, and a
raw telemetry query that keeps the reply's exact size.

  obs.py flows OUT N [per=P|P0,P1,..] [deep=K:D] [v6=K] [differ=FLOW:FRAME] [skip=F,F..]
        N UDP flows, frames round robin: flow f sends P frames (or P<f>),
        the first K flows D frames with deep;
        the first K flows use long IPv6 addresses with two VLAN tags;
        differ changes frame FRAME of flow FLOW ('*': every frame, every flow);
        skip leaves flows out.
  obs.py key F [v6=K]           the key text of flow F, as colo-proxy shows it
  obs.py pcapng FILE [P S]      the packets of a pcapng file as JSON; with the
                                primary and secondary pcaps, "src" is the index of
                                the same frame in the pcap of its interface (or -1)
  obs.py tel PREFIX CMD OUT     send CMD to the telemetry socket, write the raw reply
  obs.py scrape URL OUT         GET an OpenMetrics URL; OUT gets {"content_type",
                                "types": {family: type}, "samples": {"name{labels}": value}}
"""
import json
import os
import socket
import struct
import sys
import urllib.request

DST4 = bytes([192, 168, 0, 1])
DST6 = bytes.fromhex("fd00ffffffffffffffffffffffff0053")
SPORT, DPORT = 40000, 53


def opts(args):
    out = {}
    for a in args:
        k, _, v = a.partition("=")
        out[k] = v
    return out


def src4(f):
    n = f + 1
    return bytes([10, (n >> 16) & 255, (n >> 8) & 255, n & 255])


def src6(f):
    return bytes.fromhex("fd00abcdef0123456789abcd%08x" % (f + 1))


def csum(data):
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | (data[i + 1] if i + 1 < len(data) else 0)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def payload(f, k, tag):
    return b"flow %06d frame %04d %s" % (f, k, tag)


def frame(f, k, v6, tag=b"colo"):
    pay = payload(f, k, tag)
    udp = struct.pack("!HHHH", SPORT, DPORT, 8 + len(pay), 0) + pay
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
    if f < v6:
        # Two VLAN tags (802.1ad outer, 802.1Q inner): the longest keys.
        vlan = struct.pack("!HHHH", 0x88A8, 4000 + f % 90, 0x8100, 4001)
        ip6 = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + src6(f) + DST6
        return eth + vlan + b"\x86\xdd" + ip6 + udp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), k & 0xFFFF, 0, 64, 17, 0,
                     src4(f), DST4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return eth + b"\x08\x00" + ip + udp


def key(f, v6):
    if f < v6:
        a = socket.inet_ntop(socket.AF_INET6, src6(f))
        b = socket.inet_ntop(socket.AF_INET6, DST6)
        return "udp [%s]:%d > [%s]:%d vlan %d.%d" % (a, SPORT, b, DPORT, 4000 + f % 90, 4001)
    return "udp %s:%d > %s:%d" % (socket.inet_ntoa(src4(f)), SPORT, socket.inet_ntoa(DST4),
                                  DPORT)


def per_flow(o, n):
    per = o.get("per", "1")
    if "," in per:
        counts = [int(x) for x in per.split(",")]
        counts = [counts[f] if f < len(counts) else 1 for f in range(n)]
    else:
        counts = [int(per)] * n
    if o.get("deep"):
        k, d = (int(x) for x in o["deep"].split(":"))
        counts[:k] = [d] * min(k, n)
    return counts


def flows(out, n, o):
    n = int(n)
    v6 = int(o.get("v6", "0"))
    per = per_flow(o, n)
    skip = {int(x) for x in o.get("skip", "").split(",") if x}
    differ = None
    if o.get("differ"):
        a, b = o["differ"].split(":")
        differ = (None if a == "*" else int(a), None if b == "*" else int(b))
    with open(out, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        i = 0
        for k in range(max(per, default=0)):
            for f in range(n):
                if k >= per[f] or f in skip:
                    continue
                changed = differ is not None and differ[0] in (None, f) and differ[1] in (None, k)
                fr = frame(f, k, v6, b"COLO" if changed else b"colo")
                fh.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000,
                                     len(fr), len(fr)))
                fh.write(fr)
                i += 1


def pcapng(path):
    """Interfaces and packets (if, ts_ns, len, caplen, comment, data hex)."""
    with open(path, "rb") as fh:
        data = fh.read()
    off, ifs, pkts, endian = 0, [], [], "<"
    while off + 12 <= len(data):
        btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if btype == 0x0A0D0D0A:
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            raise SystemExit("%s: truncated block at %d" % (path, off))
        body = data[off + 8:off + blen - 4]
        if struct.unpack(endian + "I", data[off + blen - 4:off + blen])[0] != blen:
            raise SystemExit("%s: block length mismatch at %d" % (path, off))
        if btype == 1:
            name = options(body[8:], endian).get(2, b"").decode()
            ifs.append(name)
        elif btype == 6:
            if_id, hi, lo, caplen, length = struct.unpack(endian + "IIIII", body[:20])
            pkt = body[20:20 + caplen]
            opt = options(body[20 + ((caplen + 3) & ~3):], endian)
            pkts.append({"if": if_id, "ts_ns": hi << 32 | lo, "len": length,
                         "caplen": caplen, "comment": opt.get(1, b"").decode(),
                         "data": pkt.hex()})
        off += blen
    if off != len(data):
        raise SystemExit("%s: %d trailing bytes" % (path, len(data) - off))
    return {"size": len(data), "interfaces": ifs, "packets": pkts}


def pcap_frames(path):
    with open(path, "rb") as fh:
        data = fh.read()
    frames, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def options(buf, endian):
    out, off = {}, 0
    while off + 4 <= len(buf):
        code, length = struct.unpack(endian + "HH", buf[off:off + 4])
        if code == 0:
            break
        out[code] = buf[off + 4:off + 4 + length]
        off += 4 + ((length + 3) & ~3)
    return out


def tel(prefix, cmd, out):
    run = "/var/run" if os.getuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    path = os.path.join(run, "dpdk", prefix, "dpdk_telemetry.v2")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    s.recv(1024)
    s.send(cmd.encode())
    reply = s.recv(1 << 20)
    s.close()
    with open(out, "wb") as fh:
        fh.write(reply)


def scrape(url, out):
    with urllib.request.urlopen(url, timeout=10) as r:
        ctype, body = r.headers["Content-Type"], r.read().decode()
    types, samples = {}, {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, mtype = line.split(" ")
            types[name] = mtype
        elif line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    with open(out, "w") as fh:
        json.dump({"content_type": ctype, "types": types, "samples": samples,
                   "eof": body.endswith("# EOF\n")}, fh)


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "flows":
        flows(args[0], args[1], opts(args[2:]))
    elif cmd == "key":
        print(key(int(args[0]), int(opts(args[1:]).get("v6", "0"))))
    elif cmd == "pcapng":
        d = pcapng(args[0])
        if len(args) == 3:
            sources = [pcap_frames(args[1]), pcap_frames(args[2])]
            for p in d["packets"]:
                data = bytes.fromhex(p["data"])
                src = sources[p["if"]] if p["if"] < 2 else []
                p["src"] = src.index(data) if data in src else -1
        json.dump(d, sys.stdout)
    elif cmd == "tel":
        tel(args[0], args[1], args[2])
    elif cmd == "scrape":
        scrape(args[0], args[1])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

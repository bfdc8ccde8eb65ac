#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""QMP replay server: plays a COLO event sequence of tests/qmp/sequences.json
as QEMU 7.2 would, and records what the client sent (python3 stdlib only).

It speaks QMP like QEMU 7.2.22 does on these machines: the same greeting,
"\\r\\n" line ends, ", " and ": " separators, events with a timestamp taken
from the real clock when sent (like QEMU's), commands refused before
qmp_capabilities, the query replies with QEMU's fields, and errors with
QEMU's classes. The script's steps start once the client has negotiated
capabilities (QEMU sends events only then) and run once across
connections: after a {"close": true} step the next connection gets the
remaining steps.

usage: qmp_replay.py --socket PATH --sequence NAME [--file sequences.json]
                     [--record OUT.json] [--timeout SECONDS]
Exits 0 when every step ran and the last client left, 1 on timeout or if an
expected command never came. The record is written in every case.
"""
import argparse
import json
import os
import select
import socket
import sys
import time

GREETING = {"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7},
                                "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"},
                    "capabilities": ["oob"]}}

# query-migrate-parameters as QEMU 7.2.22 answers it (x-checkpoint-delay filled in).
MIGRATE_PARAMETERS = {
    "cpu-throttle-tailslow": False, "xbzrle-cache-size": 67108864, "cpu-throttle-initial": 20,
    "announce-max": 550, "decompress-threads": 2, "compress-threads": 8, "compress-level": 1,
    "multifd-channels": 2, "multifd-zstd-level": 1, "announce-initial": 50,
    "block-incremental": False, "compress-wait-thread": True, "downtime-limit": 300,
    "tls-authz": "", "multifd-compression": "none", "announce-rounds": 5, "announce-step": 100,
    "tls-creds": "", "multifd-zlib-level": 1, "max-cpu-throttle": 99,
    "max-postcopy-bandwidth": 0, "tls-hostname": "", "throttle-trigger-threshold": 50,
    "max-bandwidth": 134217728, "x-checkpoint-delay": 20000, "cpu-throttle-increment": 10,
}


def qmp_line(obj):
    return (json.dumps(obj, separators=(", ", ": ")) + "\r\n").encode()


def event_line(name, data):
    now = time.time()
    obj = {"timestamp": {"seconds": int(now), "microseconds": int((now % 1) * 1000000)},
           "event": name}
    if data is not None:
        obj["data"] = data
    return qmp_line(obj)


class Replay:
    def __init__(self, seq, record):
        self.steps = seq["steps"]
        self.step = 0
        self.base = None  # when the previous step ended
        self.colo = {"mode": seq["mode"], "last-mode": "none", "reason": "none"}
        self.delay = seq["delay"]
        self.record = record
        self.conn_index = 0

    def done(self):
        return self.step >= len(self.steps)

    def answer(self, conn, negotiated, msg):
        """QEMU's reply to one command (a dict), or None for none."""
        name = msg.get("execute") if isinstance(msg, dict) else None
        args = msg.get("arguments", {}) if isinstance(msg, dict) else {}
        self.record.append({"conn": conn, "t": time.time(), "cmd": name, "arguments": args})
        rid = {"id": msg["id"]} if isinstance(msg, dict) and "id" in msg else {}
        if not isinstance(name, str):
            return {"error": {"class": "GenericError",
                              "desc": "QMP input must be a JSON object"}, **rid}
        if not negotiated and name != "qmp_capabilities":
            return {"error": {"class": "CommandNotFound",
                              "desc": "Expecting capabilities negotiation with "
                                      "'qmp_capabilities'"}, **rid}
        if name == "qmp_capabilities":
            if negotiated:
                return {"error": {"class": "CommandNotFound",
                                  "desc": "Capabilities negotiation is already complete, "
                                          "command ignored"}, **rid}
            return {"return": {}, **rid}
        if name == "query-colo-status":
            return {"return": dict(self.colo), **rid}
        if name == "query-migrate-parameters":
            ret = dict(MIGRATE_PARAMETERS)
            ret["x-checkpoint-delay"] = self.delay
            return {"return": ret, **rid}
        if name == "migrate-set-parameters":
            d = args.get("x-checkpoint-delay", self.delay)
            if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 0xFFFFFFFF:
                return {"error": {"class": "GenericError",
                                  "desc": "Parameter 'x-checkpoint-delay' expects uint32_t"},
                        **rid}
            self.delay = d
            return {"return": {}, **rid}
        if name == "x-colo-lost-heartbeat":
            if self.colo["mode"] == "none":
                return {"error": {"class": "GenericError",
                                  "desc": "The feature 'colo' is not enabled"}, **rid}
            return {"return": {}, **rid}
        if name in ("stop", "cont", "migrate-set-capabilities"):
            return {"return": {}, **rid}
        return {"error": {"class": "CommandNotFound",
                          "desc": "The command %s has not been found" % name}, **rid}

    def due(self, now):
        """Seconds until the current step may run (0: now), None if it waits for input."""
        st = self.steps[self.step]
        if "expect" in st:
            return None
        wait_ms = st.get("after_ms", st.get("sleep_ms", 0))
        return max(0.0, self.base + wait_ms / 1000.0 - now)


def serve(args, replay, record):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(1)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([srv], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        conn, _ = srv.accept()
        replay.conn_index += 1
        try:
            how = run_connection(conn, replay, deadline)
        except OSError:
            how = "left"
        conn.close()
        if how == "timeout":
            break
        if how == "left":
            # Trailing pauses only keep a connection open for the client to observe.
            rest = replay.steps[replay.step:]
            if all(set(st) == {"sleep_ms"} for st in rest):
                replay.step = len(replay.steps)
                return 0
    print("qmp_replay: timeout at step %d of %d" % (replay.step, len(replay.steps)),
          file=sys.stderr)
    return 1


def run_connection(conn, replay, deadline):
    """Serve one client: "left" (it closed), "closed" (by a step) or "timeout"."""
    conn.sendall(qmp_line(GREETING))
    buf = b""
    negotiated = False
    while time.monotonic() < deadline:
        now = time.monotonic()
        wait = None
        if negotiated and not replay.done():
            if replay.base is None:
                replay.base = now
            wait = replay.due(now)
        if wait == 0:
            st = replay.steps[replay.step]
            replay.step += 1
            if "event" in st:
                conn.sendall(event_line(st["event"], st.get("data")))
            elif "line" in st:
                conn.sendall(st["line"].encode() + b"\r\n")
            elif "state" in st:
                replay.colo.update(st["state"])
            elif st.get("close"):
                replay.base = None
                return "closed"
            replay.base = time.monotonic()
            continue
        timeout = min(wait if wait is not None else 0.2, max(0.0, deadline - now))
        r, _, _ = select.select([conn], [], [], timeout)
        if not r:
            continue
        data = conn.recv(65536)
        if not data:
            return "left"
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                conn.sendall(qmp_line({"error": {"class": "GenericError",
                                                 "desc": "JSON parse error"}}))
                continue
            reply = replay.answer(replay.conn_index, negotiated, msg)
            if isinstance(msg, dict) and msg.get("execute") == "qmp_capabilities" \
                    and "return" in reply:
                negotiated = True
            conn.sendall(qmp_line(reply))
            if negotiated and not replay.done():
                st = replay.steps[replay.step]
                if st.get("expect") == msg.get("execute"):
                    replay.step += 1
                    replay.base = time.monotonic()
    return "timeout"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--sequence", required=True)
    ap.add_argument("--file", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "sequences.json"))
    ap.add_argument("--record")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()
    with open(args.file) as f:
        seq = json.load(f)["sequences"][args.sequence]
    record = []
    replay = Replay(seq, record)
    rc = 1
    try:
        rc = serve(args, replay, record)
    finally:
        if args.record:
            with open(args.record, "w") as f:
                json.dump({"rc": rc, "steps_done": replay.step, "steps": len(replay.steps),
                           "commands": record}, f, indent=1)
        try:
            os.unlink(args.socket)
        except OSError:
            pass
    return rc


if __name__ == "__main__":
    sys.exit(main())

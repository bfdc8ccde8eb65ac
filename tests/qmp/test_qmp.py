#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of QMP checkpoint control and the chardev framing (python3 stdlib).

  test_qmp.py replay NAME --probe EXE   tests/qmp/qmp_probe against
      tests/qmp/qmp_replay.py playing sequence NAME of sequences.json; checks
      the events the engine reported and the commands the server received.
  test_qmp.py qemu --probe EXE          tests/qmp/qmp_probe against a real QEMU
      (qemu-system-x86_64, TCG, -machine none): handshake, parameters read,
      set and re-read, an invalid value refused, stop/cont giving STOP/RESUME
      with QEMU's timestamps, a migration giving MIGRATION/MIGRATION_PASS, and
      reconnection after QEMU is killed and started again.
  test_qmp.py chardev on|off --relay EXE   frames through a real QEMU's
      filter-redirector (vnet_hdr_support on or off) into
      tests/qmp/chardev_relay's decoder, and from its encoder through a second
      filter-redirector back out of QEMU; both compared byte for byte.

Every process is bounded by a timeout, uses sockets in its own temporary
directory, and is stopped by PID on the way out, also on failure.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QEMU = "qemu-system-x86_64"
ENODEV, ENOTSUP = 19, 95


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok: " + what)


class Procs:
    """Processes started by this test, stopped by PID at exit."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)

    def stop_all(self):
        for p in self.procs:
            self.stop(p)


def wait_path(path, timeout=10.0, proc=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if proc is not None and proc.poll() is not None:
            raise Fail("process exited (rc %s) before creating %s" % (proc.returncode, path))
        time.sleep(0.02)
    raise Fail("%s did not appear within %.0f s" % (path, timeout))


def parse_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def evs(lines, kind):
    return [e for e in lines if e["ev"] == kind]


def stats_of(lines):
    s = evs(lines, "stats")
    if not s:
        raise Fail("the probe printed no stats")
    return s[-1]


# ---------------------------------------------------------------- replay

def run_replay(name, probe, tmp, procs):
    with open(os.path.join(HERE, "sequences.json")) as f:
        seq = json.load(f)["sequences"][name]
    sock, rec = os.path.join(tmp, "qmp.sock"), os.path.join(tmp, "record.json")
    server = procs.start(["timeout", "60", sys.executable, os.path.join(HERE, "qmp_replay.py"),
                          "--socket", sock, "--sequence", name, "--record", rec,
                          "--timeout", "30"])
    wait_path(sock, proc=server)
    p = procs.start(["timeout", "40", probe, "--connect", sock, "--role", seq["role"],
                     "--timeout", "25"] + seq["client"],
                    stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=60)
    sys.stdout.write(out)
    check(p.returncode == 0, "probe ran every step (rc %d)" % p.returncode)
    server.wait(timeout=30)
    with open(rec) as f:
        record = json.load(f)
    check(server.returncode == 0 and record["steps_done"] == record["steps"],
          "replay server ran all %d steps (rc %s)" % (record["steps"], server.returncode))
    lines = parse_lines(out)
    st = stats_of(lines)
    done = evs(lines, "ckpt_done")
    c = seq["check"]
    sets = [r for r in record["commands"] if r["cmd"] == "migrate-set-parameters"]

    for k in ("malformed", "replies_unexpected", "ts_untrusted", "errors", "oversized"):
        check(st[k] == 0, "no %s" % k)
    check(all(r["arguments"] == {"x-checkpoint-delay": seq["delay"]} for r in sets),
          "every trigger re-sets x-checkpoint-delay to the current %d" % seq["delay"])
    for d in done:
        check(d["end_us"] > d["begin_us"] > 0, "checkpoint %d has QEMU's timestamps" % d["seq"])
        if seq["role"] == "primary":
            check(d["release_before_us"] >= d["begin_us"] or not d["requested"],
                  "checkpoint %d releases at least up to its STOP" % d["seq"])
    reqs = [r for r in evs(lines, "request") if r["rc"] >= 0]
    if "set_commands" in c:
        check(len(sets) == c["set_commands"],
              "%d migrate-set-parameters sent (want %d)" % (len(sets), c["set_commands"]))
    if "ckpt_done" in c:
        check(len(done) == c["ckpt_done"] == st["ckpt_done"],
              "%d checkpoints done (want %d)" % (len(done), c["ckpt_done"]))
    if "requested" in c:
        n = sum(1 for d in done if d["requested"])
        check(n == c["requested"], "%d checkpoints answered a trigger (want %d)"
              % (n, c["requested"]))
    if "passes" in c:
        check([d["pass"] for d in done] == c["passes"], "MIGRATION_PASS numbers %s"
              % c["passes"])
    if "coalesced" in c:
        # A request made after STOP and RESUME arrived in one read is a new one.
        check(c["coalesced"] - 1 <= st["requests_coalesced"] <= c["coalesced"],
              "%d requests coalesced (want %d)" % (st["requests_coalesced"], c["coalesced"]))
    if "exit" in c:
        ex = evs(lines, "colo_exit")
        reason = {"request": 1, "error": 2}[c["exit"][1]]
        check(len(ex) == 1 and ex[0]["mode"] == c["exit"][0] and ex[0]["reason"] == reason,
              "COLO_EXIT %s %s reported once" % tuple(c["exit"]))
    if "last_request_rc" in c:
        rcs = [r["rc"] for r in evs(lines, "request")]
        check(rcs and rcs[-1] == -c["last_request_rc"] * -1,
              "last request refused with %d" % c["last_request_rc"])
    if "final_mode" in c:
        check(evs(lines, "status")[-1]["mode"] == c["final_mode"],
              "query-colo-status mode is %s at the end" % c["final_mode"])
    if "aborted" in c:
        check(st["ckpt_aborted"] == c["aborted"], "%d checkpoint aborted" % c["aborted"])
    if "outside" in c:
        n = st["stop_outside_colo"] + st["resume_outside_colo"]
        check(n == c["outside"], "%d STOP/RESUME outside COLO ignored" % c["outside"])
    if "connects" in c:
        check(st["connects"] == c["connects"] and st["disconnects"] == c["disconnects"],
              "%d connections, %d lost" % (c["connects"], c["disconnects"]))
    if "timeouts" in c:
        check(st["ckpt_timeouts"] == c["timeouts"], "%d trigger timeouts" % c["timeouts"])
    if "released" in c:
        n = sum(1 for d in done if reqs and d["release_before_us"] > reqs[0]["seen_us"])
        check(n == c["released"], "%d checkpoint releases the first mismatch" % c["released"])
    # A requested checkpoint releases every mismatch registered before its trigger.
    for d in done:
        if d["requested"]:
            before = [r for r in reqs if r["t_us"] < d["begin_us"]]
            check(all(d["release_before_us"] > r["seen_us"] for r in before),
                  "checkpoint %d releases the mismatches before it" % d["seq"])


# ---------------------------------------------------------------- real QEMU

def qemu_version():
    out = subprocess.run([QEMU, "--version"], capture_output=True, text=True,
                         timeout=30).stdout
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
    return int(m.group(1)) * 10000 + int(m.group(2)) * 100 + int(m.group(3))


def start_qemu(procs, sock):
    q = procs.start(["timeout", "90", QEMU, "-accel", "tcg", "-nodefaults", "-display", "none",
                     "-machine", "none", "-qmp", "unix:%s,server=on,wait=off" % sock],
                    stdout=subprocess.DEVNULL)
    wait_path(sock, proc=q)
    return q


def run_qemu(probe, tmp, procs):
    sock = os.path.join(tmp, "qmp.sock")
    qemu = start_qemu(procs, sock)
    steps = ["ready", "state", "request",
             'exec:migrate-set-parameters:{"x-checkpoint-delay": 12345}', "wait:reply",
             "refresh", "wait:status", "state",
             'exec:migrate-set-parameters:{"x-checkpoint-delay": -1}', "wait:reply",
             "exec:stop", "wait:reply", "sleep:20", "exec:cont", "wait:reply", "sleep:20",
             "state",
             'exec:migrate-set-capabilities:{"capabilities": '
             '[{"capability": "events", "state": true}]}', "wait:reply",
             'exec:migrate:{"uri": "exec:cat > /dev/null"}', "wait:reply", "sleep:1000",
             "state",
             "wait:down", "wait:ready", "state"]
    p = procs.start(["timeout", "90", probe, "--connect", sock, "--timeout", "60"] + steps,
                    stdout=subprocess.PIPE, text=True)
    out = []
    nb_state = 0
    deadline = time.monotonic() + 80
    for line in p.stdout:
        out.append(line)
        sys.stdout.write(line)
        if '"ev": "state"' in line:
            nb_state += 1
            if nb_state == 4:
                # Kill QEMU, start a new one on the same socket: the probe must
                # notice, reconnect and negotiate again.
                procs.stop(qemu)
                os.unlink(sock) if os.path.exists(sock) else None
                time.sleep(0.3)
                qemu = start_qemu(procs, sock)
        if time.monotonic() > deadline:
            break
    p.wait(timeout=30)
    lines = parse_lines("".join(out))
    check(p.returncode == 0, "probe ran every step against QEMU (rc %d)" % p.returncode)
    st = stats_of(lines)
    ready = evs(lines, "ready")
    states = evs(lines, "state")
    replies = evs(lines, "reply")
    execs = evs(lines, "exec")
    want_ver = qemu_version()

    check(len(ready) == 2, "handshake completed twice (before and after the restart)")
    check(ready[0]["mode"] == "none" and not ready[0]["active"],
          "query-colo-status: mode none, COLO not active")
    check(ready[0]["delay"] == 20000, "query-migrate-parameters: x-checkpoint-delay 20000")
    check(states[0]["version"] == want_ver, "greeting version %d" % want_ver)
    check(evs(lines, "request")[0]["rc"] == -ENODEV, "checkpoint request refused: COLO inactive")
    check(replies[0]["ok"], "migrate-set-parameters x-checkpoint-delay 12345 accepted")
    check(evs(lines, "status")[0]["delay"] == 12345 and states[1]["delay"] == 12345,
          "x-checkpoint-delay re-read as 12345")
    check(not replies[1]["ok"] and "GenericError" in replies[1]["text"],
          "x-checkpoint-delay -1 refused: %s" % replies[1]["text"])
    stop_x = [e for e in execs if e["name"] == "stop"][0]
    cont_x = [e for e in execs if e["name"] == "cont"][0]
    stop_r, cont_r = replies[2], replies[3]
    check(stop_r["ok"] and cont_r["ok"], "stop and cont accepted")
    s = states[2]
    check(stop_x["t_us"] - 1000 <= s["last_stop_us"] <= stop_r["t_us"],
          "STOP parsed with QEMU's timestamp, between the command and its reply")
    check(cont_x["t_us"] - 1000 <= s["last_resume_us"] <= cont_r["t_us"],
          "RESUME parsed with QEMU's timestamp, between the command and its reply")
    check(s["stop_outside_colo"] == 1 and s["resume_outside_colo"] == 1,
          "STOP/RESUME outside COLO counted, not taken for a checkpoint")
    check(st["ckpt_begun"] == 0 and st["ckpt_done"] == 0, "no checkpoint seen")
    check(replies[4]["ok"] and replies[5]["ok"], "events capability set, migrate started")
    check(states[3]["last_pass"] >= 1, "MIGRATION_PASS parsed (pass %d)" % states[3]["last_pass"])
    check(len(evs(lines, "down")) == 1, "QEMU's death noticed")
    check(ready[1]["delay"] == 20000 and states[4]["state"] == 4,
          "reconnected to the new QEMU and read its parameters")
    check(st["connects"] == 2 and st["disconnects"] == 1, "2 connections, 1 lost")
    for k in ("malformed", "replies_unexpected", "errors", "oversized"):
        check(st[k] == 0, "no %s" % k)


# ---------------------------------------------------------------- chardev

def frames_for_test():
    rnd = random.Random(13)
    sizes = [60, 61, 64, 128, 1514, 9014, 65535] + [rnd.randint(60, 1514) for _ in range(200)]
    out = []
    for i, n in enumerate(sizes):
        hdr = bytes.fromhex("525400000002" "525400000001" "0800")
        body = bytes(rnd.getrandbits(8) for _ in range(n - len(hdr)))
        out.append(hdr + struct.pack(">I", i)[: max(0, n - len(hdr))] + body[4:])
    return [f[:n] for f, n in zip(out, sizes)]


def read_stream_frames(s, count, timeout):
    """Frames of a -netdev stream socket (4-byte big-endian length each)."""
    s.settimeout(timeout)
    buf, frames = b"", []
    end = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < end:
        try:
            data = s.recv(1 << 20)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
            n = struct.unpack(">I", buf[:4])[0]
            frames.append(buf[4:4 + n])
            buf = buf[4 + n:]
    return frames


def run_chardev(vnet, relay, tmp, procs):
    frames = frames_for_test()
    p = {k: os.path.join(tmp, k + ".sock") for k in ("from_qemu", "to_qemu", "n0", "n1")}
    r = procs.start(["timeout", "90", relay, "--in", p["from_qemu"], "--out", p["to_qemu"],
                     "--vnet", vnet, "--count", str(len(frames)), "--timeout", "60"],
                    stdout=subprocess.PIPE, text=True)
    check(json.loads(r.stdout.readline())["ev"] == "listening", "relay listening")
    # Read the relay's output as it comes: a full pipe would stall it, and QEMU behind it.
    relay_out = []
    reader = threading.Thread(target=lambda: relay_out.extend(r.stdout), daemon=True)
    reader.start()
    args = ["timeout", "90", QEMU, "-accel", "tcg", "-nodefaults", "-display", "none",
            "-machine", "pc", "-m", "64",
            "-netdev", "stream,id=n0,server=on,addr.type=unix,addr.path=" + p["n0"],
            "-device", "e1000,netdev=n0,romfile=",
            "-netdev", "stream,id=n1,server=on,addr.type=unix,addr.path=" + p["n1"],
            "-device", "e1000,netdev=n1,romfile=",
            "-chardev", "socket,id=c0,path=" + p["from_qemu"],
            "-chardev", "socket,id=c1,path=" + p["to_qemu"],
            "-object", "filter-redirector,id=r0,netdev=n0,queue=tx,outdev=c0,"
                       "vnet_hdr_support=" + vnet,
            "-object", "filter-redirector,id=r1,netdev=n1,queue=rx,indev=c1,"
                       "vnet_hdr_support=" + vnet]
    qemu = procs.start(args, stdout=subprocess.DEVNULL)
    wait_path(p["n0"], proc=qemu)
    wait_path(p["n1"], proc=qemu)
    n0 = socket.socket(socket.AF_UNIX)
    n0.connect(p["n0"])
    n1 = socket.socket(socket.AF_UNIX)
    n1.connect(p["n1"])
    time.sleep(0.3)
    # QEMU writes to n1 while we write to n0: read n1 meanwhile.
    back = []
    n1_reader = threading.Thread(
        target=lambda: back.extend(read_stream_frames(n1, len(frames), 40)), daemon=True)
    n1_reader.start()
    for f in frames:
        n0.sendall(struct.pack(">I", len(f)) + f)
    n1_reader.join(timeout=60)
    r.wait(timeout=60)
    reader.join(timeout=30)
    lines = parse_lines("".join(relay_out))
    recs = evs(lines, "record")
    st = stats_of(lines)
    n0.close()
    n1.close()
    check(r.returncode == 0, "relay decoded %d records (rc %d)" % (len(frames), r.returncode))
    check(len(recs) == len(frames), "%d records from QEMU's filter-redirector" % len(recs))
    check(all(bytes.fromhex(rc["hex"]) == f for rc, f in zip(recs, frames)),
          "every frame decoded byte for byte, in order (sizes 60 to 65535)")
    check(all(rc["vnet_hdr_len"] == 0 for rc in recs),
          "vnet_hdr_len 0 (a stream netdev has no vnet header)")
    check(st["malformed"] == 0 and st["oversized"] == 0 and not st["partial"],
          "no malformed records, no partial record left")
    check(len(back) == len(frames), "%d frames out of QEMU after our encoder" % len(back))
    check(back == frames, "QEMU's reader accepted our records: frames equal, in order")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("replay", "qemu", "chardev"))
    ap.add_argument("arg", nargs="?")
    ap.add_argument("--probe")
    ap.add_argument("--relay")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="colo-qmp-")
    procs = Procs()
    try:
        if a.mode == "replay":
            run_replay(a.arg, a.probe, tmp, procs)
        elif a.mode == "qemu":
            run_qemu(a.probe, tmp, procs)
        else:
            run_chardev(a.arg, a.relay, tmp, procs)
    except (Fail, subprocess.TimeoutExpired) as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test peer for colo-proxy's checkpoint notify socket (QEMU notify_dev, docs/semantics.md N1-N5).

Plays the COLO frame: a 4-byte big-endian length, then the message. Usable as a
library (NotifyClient) and from the command line, where each argument is one
step run in order; the first failing step ends the run with exit code 1:

    notify_client.py [--timeout S] [--listen] unix:PATH|PATH STEP...

Steps:
    init              send COLO_USERSPACE_PROXY_INIT, expect COLO_COMPARE_GET_XEN_INIT
    init-bytewise     the same, written one byte at a time
    wait-ckpt[=S]     expect DO_CHECKPOINT within S seconds (default --timeout)
    no-ckpt=S         expect no record at all for S seconds
    done              send COLO_CHECKPOINT
    failover          send COLO_FAILOVER (colo-proxy's own message, docs/deployment.md)
    garbage           send a well-framed unknown message
    oversized         send a record of length 69633, body included
    partial           send a prefix and half a body (complete it or disconnect)
    huge              send a length prefix of 0xffffffff and a few body bytes
    init-flood=N      send N COLO_USERSPACE_PROXY_INIT without reading the replies
    exec=CMD          run CMD with sh; fail if it exits non-zero
    sleep=S           sleep S seconds
    expect-eof[=S]    expect the proxy to close the connection within S seconds
    close             close the connection

With --listen the client listens on PATH and waits for the proxy to connect
(--notify-connect), instead of connecting to it.
"""

import os
import socket
import struct
import subprocess
import sys
import time

PROXY_INIT = b"COLO_USERSPACE_PROXY_INIT"
GET_XEN_INIT = b"COLO_COMPARE_GET_XEN_INIT"
DO_CHECKPOINT = b"DO_CHECKPOINT"
CHECKPOINT_DONE = b"COLO_CHECKPOINT"
FAILOVER = b"COLO_FAILOVER"
MAX_LEN = 69632


class ProtocolError(Exception):
    """The proxy sent something other than what the step expected."""


def encode(msg):
    """Frame @msg (bytes) as one record."""
    return struct.pack(">I", len(msg)) + msg


class NotifyClient:
    """One notify_dev connection, from the frame's side."""

    def __init__(self, sock, timeout=5.0):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""

    @classmethod
    def connect(cls, path, timeout=5.0):
        """Connect to the unix socket @path, retrying until it accepts or @timeout passes."""
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return cls(sock, timeout)
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    @classmethod
    def serve(cls, path, timeout=5.0):
        """Listen on @path and return the first connection (the proxy dialling in)."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(1)
        lsock.settimeout(timeout)
        try:
            sock, _ = lsock.accept()
        finally:
            lsock.close()
            os.unlink(path)
        sock.settimeout(None)
        return cls(sock, timeout)

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, msg):
        self.send_raw(encode(msg))

    def send_bytewise(self, msg, delay=0.002):
        """Write the record one byte per send(), so the proxy sees it split everywhere."""
        for b in encode(msg):
            self.sock.sendall(bytes([b]))
            time.sleep(delay)

    def _fill(self, deadline):
        """Read more bytes; False on timeout, EOFError when the proxy closed."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return False
        if not data:
            raise EOFError("proxy closed the notify connection")
        self.buf += data
        return True

    def recv(self, timeout=None):
        """Next message (bytes), or None if none completes within @timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if n > MAX_LEN:
                    raise ProtocolError("proxy sent a record of length %d" % n)
                if len(self.buf) >= 4 + n:
                    msg, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return msg
            if not self._fill(deadline):
                return None

    def expect(self, want, timeout=None):
        got = self.recv(timeout)
        if got is None:
            raise ProtocolError("timed out waiting for %s" % want.decode())
        if got != want:
            raise ProtocolError("expected %s, got %r" % (want.decode(), got))

    def expect_nothing(self, timeout):
        got = self.recv(timeout)
        if got is not None:
            raise ProtocolError("expected no record, got %r" % got)

    def expect_eof(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while self._fill(deadline):
                pass
        except (EOFError, ConnectionResetError):
            return
        raise ProtocolError("the proxy kept the connection open")

    def handshake(self, bytewise=False):
        if bytewise:
            self.send_bytewise(PROXY_INIT)
        else:
            self.send(PROXY_INIT)
        self.expect(GET_XEN_INIT)

    def wait_checkpoint(self, timeout=None):
        self.expect(DO_CHECKPOINT, timeout)

    def checkpoint_done(self):
        self.send(CHECKPOINT_DONE)

    def failover(self):
        self.send(FAILOVER)

    def send_garbage(self):
        self.send(b"NOT_A_COLO_MESSAGE")

    def send_oversized(self):
        """A record one byte over QEMU's cap, body included, so the stream stays in sync."""
        self.send_raw(struct.pack(">I", MAX_LEN + 1) + b"\xa5" * (MAX_LEN + 1))

    def send_huge(self):
        """A length no proxy may buffer; the stream cannot resync after it."""
        self.send_raw(b"\xff\xff\xff\xff" + b"\x00" * 16)

    def flood_init(self, count):
        """Ask for @count replies and read none, like a peer that stopped reading."""
        self.send_raw(encode(PROXY_INIT) * count)

    def send_partial(self):
        rec = encode(CHECKPOINT_DONE)
        self.send_raw(rec[:4 + len(CHECKPOINT_DONE) // 2])


def _seconds(arg, default):
    return float(arg) if arg else default


def run_step(client, step, timeout):
    name, _, arg = step.partition("=")
    if name == "init":
        client.handshake()
    elif name == "init-bytewise":
        client.handshake(bytewise=True)
    elif name == "wait-ckpt":
        client.wait_checkpoint(_seconds(arg, timeout))
    elif name == "no-ckpt":
        client.expect_nothing(_seconds(arg, timeout))
    elif name == "done":
        client.checkpoint_done()
    elif name == "failover":
        client.failover()
    elif name == "garbage":
        client.send_garbage()
    elif name == "oversized":
        client.send_oversized()
    elif name == "partial":
        client.send_partial()
    elif name == "huge":
        client.send_huge()
    elif name == "init-flood":
        client.flood_init(int(arg))
    elif name == "exec":
        if subprocess.call(arg, shell=True) != 0:
            raise ProtocolError("command failed: %s" % arg)
    elif name == "sleep":
        time.sleep(float(arg))
    elif name == "expect-eof":
        client.expect_eof(_seconds(arg, timeout))
    elif name == "close":
        client.close()
    else:
        raise ValueError("unknown step %r" % step)


def main(argv):
    timeout = 5.0
    listen = False
    args = list(argv[1:])
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--timeout" and args:
            timeout = float(args.pop(0))
        elif opt == "--listen":
            listen = True
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    path = args.pop(0)
    if path.startswith("unix:"):
        path = path[5:]
    try:
        if listen:
            client = NotifyClient.serve(path, timeout)
        else:
            client = NotifyClient.connect(path, timeout)
        for step in args:
            run_step(client, step, timeout)
            print("notify_client: %s ok" % step, file=sys.stderr)
    except ValueError as e:
        print("notify_client: %s" % e, file=sys.stderr)
        return 2
    except (OSError, EOFError, ProtocolError) as e:
        print("notify_client: step failed: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

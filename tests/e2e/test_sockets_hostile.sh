#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Socket hostility not covered by test_notify:
#   - permissions: the notify socket is 0600 and owned by us, the DPDK
#     runtime directory (telemetry socket) is 0700, and the telemetry socket
#     is 0600 whatever the umask, and so is the stats JSON;
#   - failover and bypass commands with bad parameters: refused, counted
#     (telemetry_refused), nothing changed;
#   - many notify clients at once (300), each sending INIT and never
#     reading: the proxy keeps one peer, refuses the rest, leaks no file
#     descriptor, and a well-behaved client still completes its handshake;
#   - telemetry parameters that are too long or nonsense, for every /colo/
#     command that takes one: answered (null or an error), the proxy alive.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
export PYTHONDONTWRITEBYTECODE=1
e2e_init sockets_hostile
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
sock=$t/notify.sock
s='d["/colo/stats"]'
# Whatever the umask, what the proxy creates is owner-only (docs/security.md).
umask 000
# shellcheck disable=SC2046
e2e_start proxy 240 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_pcap0,tx_pcap=$t/p.pcap" --vdev "net_pcap1,tx_pcap=$t/s.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/o.pcap" -- \
    --notify "unix:$sock" --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

# Permissions.
uid=$(id -u)
mode=$(stat -c '%a %u' "$sock")
[ "$mode" = "600 $uid" ] || e2e_fail "notify socket is '$mode', want '600 $uid'"
rundir=/var/run/dpdk/$E2E_PREFIX
mode=$(stat -c '%a %u' "$rundir")
[ "$mode" = "700 $uid" ] || e2e_fail "$rundir is '$mode', want '700 $uid'"
tel=$rundir/dpdk_telemetry.v2
perm=$(stat -c '%a' "$tel")
[ "$perm" = 600 ] || e2e_fail "telemetry socket $tel is $perm, want 600"

fds_before=$(ls /proc/"$pid"/fd | wc -l)

# Many clients at once, none of them reading. A full listen backlog
# answers EAGAIN: retry, the proxy drains it.
python3 - "$COLO_SRCDIR/tests/e2e" "$sock" <<'EOF'
import socket
import sys
import time

sys.path.insert(0, sys.argv[1])
import notify_client

path = sys.argv[2]
socks = []
deadline = time.monotonic() + 20
for i in range(300):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(path)
            break
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                sys.exit("connect %d: backlog never drained" % i)
            time.sleep(0.01)
    try:
        s.sendall(notify_client.encode(b"COLO_USERSPACE_PROXY_INIT"))
    except OSError:
        pass  # already refused and closed
    socks.append(s)
time.sleep(1.0)
for s in socks:
    s.close()
time.sleep(0.5)
c = notify_client.NotifyClient.connect(path, timeout=10)
c.handshake()
c.close()
EOF

e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/many.json" \
    "$s['notify_connects'] >= 2 and $s['notify_disconnects'] == $s['notify_connects']" 20
sleep 0.5
fds_after=$(ls /proc/"$pid"/fd | wc -l)
[ "$fds_after" -le "$fds_before" ] ||
    e2e_fail "file descriptors: $fds_before before the clients, $fds_after after"
grep -q "refused a client" "$t/proxy.log" || e2e_fail "refused clients not logged"

# Telemetry parameters too long, or nonsense, on one telemetry connection
# (dpdk-telemetry.py per command would take a second each).
python3 - "$tel" >"$t/tel.out" 2>&1 <<'EOF'
import json
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.recv(16384)  # the greeting
for cmd in ("/colo/checkpoints", "/colo/conns", "/colo/conn", "/colo/latency",
            "/colo/bypass", "/colo/stats", "/colo/config", "/colo/ports"):
    for param in ("9" * 300, "A" * 900, "-1", "18446744073709551616", "1,2,3",
                  "%s%n", "99999999999,99999999999", "0:99999999999"):
        q = "%s,%s" % (cmd, param)
        s.send(q.encode())
        reply = json.loads(s.recv(65536))
        print(cmd, len(param), json.dumps(reply)[:120])
EOF
kill -0 "$pid" 2>/dev/null || e2e_fail "colo-proxy died on hostile telemetry parameters"
# Still answering, with the right data.
e2e_tel "$E2E_PREFIX" /colo/stats "$t/alive.json"
e2e_py check "$t/alive.json" "$s['conservation_ok'] == 1" || e2e_fail "telemetry after hostile"
long=$(python3 -c 'print("9" * 300)')
e2e_tel "$E2E_PREFIX" "/colo/checkpoints,$long" "$t/long.json"
e2e_py check "$t/long.json" 'list(d.values())[0] is None or "error" in str(d).lower()' ||
    e2e_fail "/colo/checkpoints,<300 chars> was not refused"

# State-changing commands with forged parameters: refused, counted, nothing changed.
e2e_tel "$E2E_PREFIX" /colo/stats "$t/before_refused.json"
refused=$(e2e_py get "$t/before_refused.json" "$s['telemetry_refused']")
e2e_tel "$E2E_PREFIX" "/colo/failover,yes" "$t/fo_bad.json"
e2e_tel "$E2E_PREFIX" "/colo/failover,now%00" "$t/fo_bad2.json"
e2e_tel "$E2E_PREFIX" "/colo/bypass,proto=tcp,dport=99999" "$t/bp_bad.json"
e2e_py check "$t/bp_bad.json" '"error" in d["/colo/bypass"]' 'd["/colo/bypass"]["nb_rules"] == 0'
e2e_tel "$E2E_PREFIX" /colo/failover "$t/fo.json"
e2e_py check "$t/fo.json" 'd["/colo/failover"]["failed_over"] == 0' \
    'd["/colo/failover"]["requested"] == 0'
e2e_tel "$E2E_PREFIX" /colo/stats "$t/refused.json"
e2e_py check "$t/refused.json" "$s['telemetry_refused'] == $refused + 3" "$s['failovers'] == 0"

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
[ ! -e "$sock" ] || e2e_fail "notify socket left behind"
e2e_py check "$t/stats.json" 'd["conservation_ok"] is True'
[ "$(stat -c '%a' "$t/stats.json")" = 600 ] || e2e_fail "stats.json is not 0600 under umask 000"

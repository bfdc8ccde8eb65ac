#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Checkpoint notify socket (docs/semantics.md N1-N5), hostile input included. A client
# playing the COLO frame does the INIT handshake and receives DO_CHECKPOINT
# for the mismatch of pcaps/tcp_payload_differs; the mismatched primary stays
# out of the outbound pcap until the client answers COLO_CHECKPOINT. Then the
# client turns hostile: unknown, oversized, byte-at-a-time, partial and huge
# records, a second client, and a flood of INITs it never reads. Each is
# counted, and the proxy keeps answering. The socket is 0600.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
# The inline python imports modules from the source tree: keep it clean.
export PYTHONDONTWRITEBYTECODE=1
e2e_init notify
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"
case_dir="$COLO_SRCDIR/pcaps/tcp_payload_differs"
[ -f "$case_dir/primary.pcap" ] || e2e_skip "no $case_dir (generate it with tests/gen)"

t=$E2E_TMP
sock=$t/notify.sock
client_cmd="python3 $COLO_SRCDIR/tests/e2e/notify_client.py --timeout 10 unix:$sock"
client() {
    # shellcheck disable=SC2086
    timeout 60 $client_cmd "$@"
}

# Hold: with no peer yet, the request waits for one instead of flushing.
# shellcheck disable=SC2046
e2e_start proxy 120 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --log-level='colo.*:info' \
    --vdev "net_pcap0,rx_pcap=$case_dir/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$case_dir/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- \
    --primary 0 --secondary 1 --outbound 2 \
    --notify "unix:$sock" --no-peer-policy hold --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

mode=$(stat -c '%a %u' "$sock")
[ "$mode" = "600 $(id -u)" ] || e2e_fail "notify socket mode/owner is '$mode', want 600"

s='d["/colo/stats"]'
nb_p=$(e2e_py pcap-count "$case_dir/primary.pcap")
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/before.json" \
    "$s['primary_rx'] == $nb_p and $s['checkpoint_requests'] == 1 and $s['primary_queued'] >= 1"

# The frame's side, as a library: the held frame leaves only after COLO_CHECKPOINT.
python3 - "$COLO_SRCDIR/tests/e2e" "$sock" "$case_dir" "$t/outbound.pcap" <<'EOF'
import sys
import time

sys.path.insert(0, sys.argv[1])
import e2e
import notify_client

sock, case_dir, out = sys.argv[2:5]
primary = e2e.pcap_read(case_dir + "/primary.pcap")
expected = e2e.pcap_read(case_dir + "/expected.pcap")

c = notify_client.NotifyClient.connect(sock, timeout=10)
c.handshake()
c.wait_checkpoint()
# Long enough for a wrongly released frame to reach the pcap (written per burst).
time.sleep(0.5)
got = e2e.pcap_read(out)
if primary[-1] in got or len(got) >= len(expected) or got != expected[:len(got)]:
    sys.exit("before COLO_CHECKPOINT: %d of %d frames out, held frame out: %s"
             % (len(got), len(expected), primary[-1] in got))
c.expect_nothing(0.3)
c.checkpoint_done()
deadline = time.monotonic() + 10
while e2e.pcap_read(out) != expected:
    if time.monotonic() > deadline:
        sys.exit("after COLO_CHECKPOINT the outbound pcap is not expected.pcap")
    time.sleep(0.05)

# Hostile records on the same connection; it must survive them all.
c.send_garbage()
c.send_oversized()
c.send(b"")
c.send(notify_client.DO_CHECKPOINT)
c.handshake(bytewise=True)
c.close()
EOF

e2e_tel "$E2E_PREFIX" /colo/stats "$t/after.json"
e2e_py check "$t/after.json" "$s['released'] == $nb_p" "$s['primary_queued'] == 0" \
    "$s['notify_init_received'] == 2" "$s['notify_requests_sent'] == 1" \
    "$s['notify_done_received'] == 1" "$s['notify_bad_records'] == 4" \
    "$s['conservation_ok'] == 1"

# One peer at a time: a second client is closed at once, the first keeps working.
# shellcheck disable=SC2086
e2e_start first 60 $client_cmd init sleep=30
first=$E2E_PID
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/first.json" "$s['notify_init_received'] == 3"
for i in 1 2 3 4 5; do
    client expect-eof=5 || e2e_fail "client $i was not refused while a peer is active"
done
grep -q "refused a client" "$E2E_TMP/proxy.log" || e2e_fail "refused client not logged"
e2e_stop "$first"

# Truncated records at disconnect: half a record, then a huge length prefix.
client init partial close
client init huge close
# A peer that never reads: its replies are dropped, the reads go on.
client init init-flood=20000 sleep=0.5 close
grep -q "peer is not reading" "$E2E_TMP/proxy.log" || e2e_fail "dropped replies not logged"
client init-bytewise init

# Counted: partial (1), huge (oversized and partial, 2); 20001 INITs of the flood.
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/hostile.json" "$s['notify_disconnects'] == 6"
e2e_py check "$t/hostile.json" "$s['notify_bad_records'] == 4 + 1 + 2" \
    "$s['notify_init_received'] == 3 + 2 + 20001 + 2" \
    "$s['notify_connects'] == 6" "$s['conservation_ok'] == 1"
kill -0 "$pid" || e2e_fail "colo-proxy died"

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
[ ! -e "$sock" ] || e2e_fail "notify socket left behind"
e2e_py check "$t/stats.json" "d['released'] == $nb_p" "d['checkpoint_requests'] == 1" \
    'd["conservation_ok"] is True'

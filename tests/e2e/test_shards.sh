#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Scale-out: --compare-lcores 2 and two RX queues per VM port, on
# two run-to-completion lcores. (1) Every pcap case, its captures spread over
# the two queues by connection as RSS would: each connection's released
# frames are expected.pcap's, in its order, all from one shard's TX queue;
# checkpoint counts, drops and conservation as with one shard. (2) 16 UDP
# connections over both shards, a mismatch in each, hold policy: both
# shards ask, the one notify channel sends a single DO_CHECKPOINT, and its
# COLO_CHECKPOINT flushes both shards.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
# The inline python imports modules from the source tree: keep it clean.
export PYTHONDONTWRITEBYTECODE=1
e2e_init shards
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"
manifest="$COLO_SRCDIR/pcaps/manifest.json"
[ -f "$manifest" ] || e2e_skip "no $manifest (generate it with tests/gen)"

t=$E2E_TMP
shards_py() {
    python3 "$COLO_SRCDIR/tests/e2e/shards.py" "$@"
}
# Two busy lcores, one per CPU; the main lcore mostly sleeps.
lcores="--lcores 0@0,1@0,2@1"

# vdevs of one run: two RX queues per VM port, a TX queue per shard.
vdevs() {
    echo "--vdev net_pcap0,rx_pcap=$1/p0.pcap,rx_pcap=$1/p1.pcap" \
        "--vdev net_pcap1,rx_pcap=$1/s0.pcap,rx_pcap=$1/s1.pcap" \
        "--vdev net_pcap2,tx_pcap=$1/o0.pcap,tx_pcap=$1/o1.pcap"
}

# (1) The pcap cases.
timeout_ms=$(e2e_py get "$manifest" 'd["compare_timeout_ms"]')
e2e_py cases "$manifest" >"$t/cases"
failed=""
while read -r name ckpts nb_p nb_s; do
    dir=$t/$name
    mkdir -p "$dir"
    shards_py split "$COLO_SRCDIR/pcaps/$name/primary.pcap" "$dir/p0.pcap" "$dir/p1.pcap"
    shards_py split "$COLO_SRCDIR/pcaps/$name/secondary.pcap" "$dir/s0.pcap" "$dir/s1.pcap"
    prefix=$(e2e_prefix "$name")
    # shellcheck disable=SC2046
    e2e_start "$name" 60 "$COLO_PROXY" $(e2e_eal "$prefix") $lcores $(vdevs "$dir") -- \
        --primary 0 --secondary 1 --outbound 2 --compare-lcores 2 \
        --compare-timeout "$timeout_ms" --exit-on-idle 1000 --stats-json "$dir/stats.json" \
        </dev/null
    e2e_wait "$E2E_PID"
    rm -rf "/var/run/dpdk/$prefix"
    why=""
    if [ "$E2E_RC" -ne 0 ]; then
        why="exit status $E2E_RC"
    elif ! grep -q "primary port 0 (net_pcap): 2 RX" "$t/$name.log" ||
            ! grep -q "outbound port 2 (net_pcap): 1 RX / 2 TX" "$t/$name.log"; then
        why="not two RX queues and two TX queues"
    elif ! shards_py same-per-conn "$COLO_SRCDIR/pcaps/$name/expected.pcap" \
            "$dir/o0.pcap" "$dir/o1.pcap" >"$dir/diff" 2>&1; then
        why="output: $(cat "$dir/diff")"
    elif ! e2e_py check "$dir/stats.json" \
            "d['checkpoint_requests'] == $ckpts" \
            "d['primary_rx'] == $nb_p" "d['secondary_rx'] == $nb_s" \
            "d['conservation_ok'] is True" \
            "d['primary_queued'] == 0 and d['secondary_queued'] == 0" \
            "d['primary_rx'] == d['released'] + sum(d['dropped'].values())" \
            >"$dir/check" 2>&1; then
        why="stats: $(head -n 1 "$dir/check")"
    fi
    if [ -n "$why" ]; then
        echo "FAIL $name: $why" >&2
        failed="$failed $name"
    else
        echo "ok   $name" >&2
        rm -f "$t/$name.log"
    fi
done <"$t/cases"
[ -z "$failed" ] || e2e_fail "pcap cases with 2 shards and 2 RX queues failed:$failed"

# (2) One notify channel for both shards. The last datagram of each of the
# 16 connections differs; with 16 connections both shards hold some.
dir=$t/notify
mkdir -p "$dir"
nb=256
shards_py udp "$dir/p.pcap" $nb 16 colo
# shellcheck disable=SC2046
shards_py udp "$dir/s.pcap" $nb 16 cola $(seq $((nb - 16)) $((nb - 1)))
shards_py split "$dir/p.pcap" "$dir/p0.pcap" "$dir/p1.pcap"
shards_py split "$dir/s.pcap" "$dir/s0.pcap" "$dir/s1.pcap"
sock=$dir/notify.sock
# shellcheck disable=SC2046
e2e_start proxy 120 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") $lcores $(vdevs "$dir") -- \
    --primary 0 --secondary 1 --outbound 2 --compare-lcores 2 \
    --notify "unix:$sock" --no-peer-policy hold --compare-timeout 60000 \
    --stats-json "$dir/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"
s='d["/colo/stats"]'
# Both shards asked (each counts its own request); nothing is sent without a peer.
e2e_tel_until "$E2E_PREFIX" /colo/stats "$dir/held.json" \
    "$s['primary_rx'] == $nb and $s['secondary_rx'] == $nb and \
$s['checkpoint_requests'] == 2 and $s['released'] == $nb - 16 and $s['primary_queued'] == 16"
e2e_tel "$E2E_PREFIX" /colo/checkpoints "$dir/ckpts.json"
e2e_py check "$dir/ckpts.json" 'd["/colo/checkpoints"]["total"] == 2' \
    'd["/colo/checkpoints"]["outstanding"] == 1' \
    '"request_0_1" in d["/colo/checkpoints"] and "request_1_1" in d["/colo/checkpoints"]'

python3 - "$COLO_SRCDIR/tests/e2e" "$sock" <<'EOF'
import sys

sys.path.insert(0, sys.argv[1])
import notify_client

c = notify_client.NotifyClient.connect(sys.argv[2], timeout=10)
c.handshake()
c.wait_checkpoint()
# One request for both shards.
c.expect_nothing(0.5)
c.checkpoint_done()
c.expect_nothing(0.5)
c.close()
EOF
e2e_tel_until "$E2E_PREFIX" /colo/stats "$dir/flushed.json" \
    "$s['released'] == $nb and $s['primary_queued'] == 0 and $s['secondary_queued'] == 0"
e2e_py check "$dir/flushed.json" "$s['notify_requests_sent'] == 1" \
    "$s['notify_done_received'] == 1" "$s['flushes'] == 2" "$s['checkpoint_requests'] == 2" \
    "$s['conservation_ok'] == 1"
e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
shards_py same-per-conn "$dir/p.pcap" "$dir/o0.pcap" "$dir/o1.pcap" ||
    e2e_fail "notify: released frames differ per connection from the primary's"
e2e_py check "$dir/stats.json" "d['released'] == $nb" 'd["conservation_ok"] is True'

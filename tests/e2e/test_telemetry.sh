#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# dpdk-telemetry.py against a running proxy: /colo/stats counts and the
# conservation check, /colo/checkpoints with the one mismatch and its
# connection, /colo/config; every name in [a-z0-9_/].
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init telemetry
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
# Ten datagrams, one connection each; the secondary's frame 9 differs.
e2e_py pcap-udp "$t/primary.pcap" 10
e2e_py pcap-udp "$t/secondary.pcap" 10 tag=cola only=9

# shellcheck disable=SC2046
e2e_start proxy 60 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- \
    --compare-timeout 200 --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

# Monitor mode: the mismatch is flushed at once, so everything drains.
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/stats_tel.json" \
    'd["/colo/stats"]["released"] == 10 and d["/colo/stats"]["secondary_queued"] == 0'
s='d["/colo/stats"]'
e2e_py check "$t/stats_tel.json" \
    "$s['primary_rx'] == 10" "$s['secondary_rx'] == 10" \
    "$s['checkpoint_requests'] == 1" "$s['trigger_mismatch_udp'] >= 1" \
    "$s['flushes'] >= 1" "$s['primary_queued'] == 0" \
    "$s['conservation_ok'] == 1" "$s['dropped']['ring_full'] == 0" \
    "sum($s['discarded'].values()) == 10" \
    "all(__import__('re').fullmatch('[a-z0-9_]+', k) for k in $s)"

e2e_tel "$E2E_PREFIX" /colo/checkpoints "$t/ckpt.json"
c='d["/colo/checkpoints"]'
e2e_py check "$t/ckpt.json" \
    "$c['total'] == 1" "$c['outstanding'] == 0" "$c['epoch'] >= 1" \
    "[k for k in $c if k.startswith('request_')] == ['request_1']" \
    "$c['request_1']['id'] == 1" "$c['request_1']['reason'] == 'mismatch_udp'" \
    "$c['request_1']['conn'] == 'udp 10.0.0.1:10009 > 10.0.0.2:5000'" \
    "$c['request_1']['offset'] >= 0" "$c['request_1']['epoch'] == 0" \
    "$c['no_peer_policy'] == 'flush'" "$c['peer'] == 0"

e2e_tel "$E2E_PREFIX" /colo/checkpoints,1 "$t/ckpt1.json"
e2e_py check "$t/ckpt1.json" \
    'len([k for k in d["/colo/checkpoints"] if k.startswith("request_")]) == 1'

e2e_tel "$E2E_PREFIX" /colo/config "$t/config.json"
e2e_py check "$t/config.json" \
    'd["/colo/config"]["compare_timeout"] == "200"' \
    'd["/colo/config"]["max_queue"] == "1024"' \
    'd["/colo/config"]["layout"] == "run_to_completion"'

e2e_tel "$E2E_PREFIX" / "$t/cmds.json"
e2e_py check "$t/cmds.json" \
    'all(c in d["/"] for c in ("/colo/stats", "/colo/checkpoints", "/colo/config"))' \
    'all(__import__("re").fullmatch("[a-z0-9_/]+", c) for c in d["/"] if c.startswith("/colo"))'

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
e2e_py check "$t/stats.json" 'd["released"] == 10' 'd["checkpoint_requests"] == 1' \
    'd["conservation_ok"] is True' 'd["active_seconds"] >= 0'
grep -q "final stats" "$E2E_TMP/proxy.log" || e2e_fail "no final stats printed"

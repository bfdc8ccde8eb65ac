#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# tools/colo-exporter against a running colo-proxy: scraped over loopback
# HTTP, it serves OpenMetrics with the proxy's counters, the hold-time
# histogram of /colo/latency and the ports' ethdev counters, with the values
# the proxy counted; and colo_up 0 once the proxy is gone.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init exporter
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
obs() {
    python3 "$COLO_SRCDIR/tests/e2e/obs.py" "$@"
}

# Ten datagrams, one connection each; the secondary's frame 9 differs.
e2e_py pcap-udp "$t/primary.pcap" 10
e2e_py pcap-udp "$t/secondary.pcap" 10 tag=cola only=9

# shellcheck disable=SC2046
e2e_start proxy 60 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- --compare-timeout 200
proxy=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/stats_tel.json" \
    'd["/colo/stats"]["released"] == 10'

e2e_start exporter 60 python3 "$COLO_SRCDIR/tools/colo-exporter" \
    --listen 127.0.0.1:0 --file-prefix "$E2E_PREFIX"
n=0
until port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$E2E_TMP/exporter.log") &&
        [ -n "$port" ]; do
    n=$((n + 1))
    [ $n -lt 100 ] || e2e_fail "the exporter did not start"
    sleep 0.1
done

obs scrape "http://127.0.0.1:$port/metrics" "$t/metrics.json"
m='d["samples"]'
e2e_py check "$t/metrics.json" \
    "d['content_type'].startswith('application/openmetrics-text; version=1.0.0')" \
    "d['eof'] is True" "all(k.startswith('colo_') for k in $m)" \
    "$m['colo_up'] == 1" \
    "$m['colo_primary_rx_total'] == 10 and $m['colo_secondary_rx_total'] == 10" \
    "$m['colo_released_total'] == 10 and $m['colo_checkpoint_requests_total'] == 1" \
    "$m['colo_trigger_total{reason=\"mismatch_udp\"}'] >= 1" \
    "$m['colo_discard_total{reason=\"match\"}'] == 9" \
    "$m['colo_conservation_ok'] == 1 and $m['colo_primary_queued'] == 0" \
    "$m['colo_checkpoint_epoch'] >= 1 and $m['colo_notify_peer_connected'] == 0" \
    "d['types']['colo_hold_time_seconds'] == 'histogram'" \
    "$m['colo_hold_time_seconds_count{proto=\"udp\"}'] == 10" \
    "$m['colo_hold_time_seconds_bucket{proto=\"udp\",le=\"+Inf\"}'] == 10" \
    "$m['colo_hold_time_seconds_count{proto=\"tcp\"}'] == 0" \
    "0 < $m['colo_hold_time_seconds_sum{proto=\"udp\"}'] < 10" \
    "$m['colo_hold_time_quantile_seconds{proto=\"udp\",quantile=\"0.99\"}'] > 0" \
    "$m['colo_ethdev_port_info{port=\"0\",name=\"net_pcap0\",role=\"primary\"}'] == 1" \
    "$m['colo_ethdev_port_info{port=\"2\",name=\"net_pcap2\",role=\"outbound\"}'] == 1" \
    "$m['colo_ethdev_ipackets_total{port=\"0\"}'] == 10" \
    "$m['colo_ethdev_ipackets_total{port=\"1\"}'] == 10" \
    "$m['colo_ethdev_opackets_total{port=\"2\"}'] == 10"
# The buckets are cumulative and end at the count.
e2e_py check "$t/metrics.json" \
    "[v for k, v in $m.items() if k.startswith('colo_hold_time_seconds_bucket{proto=\"udp\"')] == sorted(v for k, v in $m.items() if k.startswith('colo_hold_time_seconds_bucket{proto=\"udp\"'))"

# The proxy goes away: the exporter still answers, with colo_up 0.
e2e_stop "$proxy"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
obs scrape "http://127.0.0.1:$port/metrics" "$t/down.json"
e2e_py check "$t/down.json" \
    "{k: v for k, v in d['samples'].items() if not k.startswith('colo_exporter_')} == {'colo_up': 0}"

#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# TX backpressure: the outbound port is a net_ring nobody reads, so it
# refuses once its ring is full. Released primaries must stay queued and
# counted (tx_retry), none lost; at shutdown the rest is counted as
# drop_tx_failed and conservation holds throughout.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init tx_backpressure
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
n=3000
e2e_py pcap-udp "$t/frames.pcap" $n

# No ingress mirror: it would read the ring back from the outbound port.
# shellcheck disable=SC2046
e2e_start proxy 60 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/frames.pcap" --vdev "net_pcap1,rx_pcap=$t/frames.pcap" \
    --vdev net_ring0 -- \
    --outbound net_ring0 --ingress-mirror off --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

s='d["/colo/stats"]'
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/held.json" \
    "$s['primary_rx'] == $n and $s['secondary_queued'] == 0 and $s['tx_retry'] > 0"
e2e_py check "$t/held.json" \
    "0 < $s['released'] < $n" "$s['released'] + $s['primary_queued'] == $n" \
    "$s['primary_dropped'] == 0" "$s['conservation_ok'] == 1"

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
e2e_py check "$t/stats.json" \
    "d['primary_rx'] == $n" "d['released'] + d['dropped']['tx_failed'] == $n" \
    "d['dropped']['tx_failed'] > 0" "d['primary_queued'] == 0" \
    "d['conservation_ok'] is True"

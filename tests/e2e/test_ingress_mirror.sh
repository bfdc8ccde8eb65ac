#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Ingress mirror: frames received on the outbound port reach the primary
# port and, cloned, the secondary port, in order; in both lcore layouts.
# Each VM port is one pcap vdev whose tx_pcap records what it was sent.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init ingress_mirror

t=$E2E_TMP
e2e_py pcap-udp "$t/client.pcap" 40 tag=client

for layout in "0@0,1@1" "0@0,1@0,2@1"; do
    out="$t/$(echo "$layout" | tr ',@' '__')"
    mkdir -p "$out"
    prefix=$(e2e_prefix "$(basename "$out")")
    # shellcheck disable=SC2046
    e2e_start "$(basename "$out")" 60 "$COLO_PROXY" $(e2e_eal "$prefix") --lcores "$layout" \
        --vdev "net_pcap0,tx_pcap=$out/to_primary.pcap" \
        --vdev "net_pcap1,tx_pcap=$out/to_secondary.pcap" \
        --vdev "net_pcap2,rx_pcap=$t/client.pcap,tx_pcap=$out/outbound.pcap" -- \
        --primary net_pcap0 --secondary net_pcap1 --outbound net_pcap2 \
        --exit-on-idle 500 --stats-json "$out/stats.json"
    e2e_wait "$E2E_PID"
    [ "$E2E_RC" -eq 0 ] || e2e_fail "layout $layout: colo-proxy exited with $E2E_RC"
    e2e_py pcap-eq "$t/client.pcap" "$out/to_primary.pcap" ||
        e2e_fail "layout $layout: primary did not get the client frames"
    e2e_py pcap-eq "$t/client.pcap" "$out/to_secondary.pcap" ||
        e2e_fail "layout $layout: secondary did not get the client frames"
    [ "$(e2e_py pcap-count "$out/outbound.pcap")" -eq 0 ] ||
        e2e_fail "layout $layout: client frames leaked to the outbound port"
    e2e_py check "$out/stats.json" 'd["ingress_rx"] == 40' \
        'd["ingress_to_primary"] == 40' 'd["ingress_to_secondary"] == 40' \
        'd["ingress_drop"] == 0' 'd["primary_rx"] == 0' 'd["released"] == 0'
    rm -rf "/var/run/dpdk/$prefix"
done

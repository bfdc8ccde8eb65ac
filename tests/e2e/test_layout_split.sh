#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# The pcap cases again with two worker lcores: an RX lcore and a compare
# lcore joined by the SP/SC rings. Same expectations as test_pcap_cases.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init layout_split

# Two CPUs: the busy RX and compare lcores each get one; the main lcore
# only sleeps between housekeeping ticks, so it may share CPU 0.
e2e_pcap_cases "--lcores 0@0,1@0,2@1"
prefix=$(e2e_prefix check)
# The layout must really be split: /colo/config says so.
out="$E2E_TMP/layout"
mkdir -p "$out"
# shellcheck disable=SC2046
e2e_start layout 30 "$COLO_PROXY" $(e2e_eal "$prefix") --lcores 0@0,1@0,2@1 \
    --vdev "net_pcap0,tx_pcap=$out/p.pcap" --vdev "net_pcap1,tx_pcap=$out/s.pcap" \
    --vdev "net_pcap2,tx_pcap=$out/o.pcap"
pid=$E2E_PID
e2e_wait_telemetry "$prefix"
e2e_tel "$prefix" /colo/config "$out/config.json"
e2e_py check "$out/config.json" 'd["/colo/config"]["layout"] == "split"' \
    'd["/colo/config"]["rx_lcore"] == 1' 'd["/colo/config"]["compare_lcore"] == 2'
e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"

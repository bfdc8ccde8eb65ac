#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# dpdk-dumpcap attaches to a running proxy (rte_pdump) and captures the
# outbound port. dumpcap needs a primary with hugepages and a shared
# config, so this test is skipped on machines without free hugepages.
# Traffic comes from net_null vdevs: their RX never ends, and every frame
# (all zero, not IP) is passed through uncompared.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init dumpcap
command -v dpdk-dumpcap >/dev/null 2>&1 || e2e_skip "dpdk-dumpcap not installed"
free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
[ "${free:-0}" -ge 128 ] || e2e_skip "needs 128 free hugepages (has ${free:-0})"
grep -q hugetlbfs /proc/mounts || e2e_skip "no hugetlbfs mounted"

t=$E2E_TMP
e2e_start proxy 60 "$COLO_PROXY" --no-pci --file-prefix "$E2E_PREFIX" --lcores 0@0,1@1 \
    --vdev net_null0 --vdev net_null1 --vdev net_null2 -- --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

# dumpcap shares CPU 0 with the main lcore, which only sleeps.
e2e_start dumpcap 30 taskset -c 0 dpdk-dumpcap --file-prefix="$E2E_PREFIX" -i net_null2 \
    -c 20 -P -w "$t/capture.pcap"
e2e_wait "$E2E_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "dpdk-dumpcap exited with $E2E_RC"
[ "$(e2e_py pcap-count "$t/capture.pcap")" -ge 20 ] || e2e_fail "dumpcap captured nothing"

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
e2e_py check "$t/stats.json" 'd["released"] > 0' 'd["conservation_ok"] is True'

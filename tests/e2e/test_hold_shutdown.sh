#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Hold policy and shutdown: with no notify peer and --no-peer-policy hold,
# mismatched primaries stay queued behind the outstanding checkpoint
# request. SIGTERM then releases them (release_shutdown), in order, and the
# proxy exits 0 with conservation intact.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init hold_shutdown
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
# One connection: release order is guaranteed per connection only.
e2e_py pcap-udp "$t/primary.pcap" 5 conns=1
e2e_py pcap-udp "$t/secondary.pcap" 5 conns=1 tag=cola

# shellcheck disable=SC2046
e2e_start proxy 60 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- \
    --no-peer-policy hold --compare-timeout 100 --expired-scan-cycle 50 \
    --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

s='d["/colo/stats"]'
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/held.json" \
    "$s['primary_rx'] == 5 and $s['secondary_rx'] == 5 and $s['checkpoint_requests'] == 1"
# Longer than compare_timeout: the timeouts must not release anything either.
sleep 0.5
e2e_tel "$E2E_PREFIX" /colo/stats "$t/held.json"
e2e_py check "$t/held.json" "$s['released'] == 0" "$s['primary_queued'] == 5" \
    "$s['checkpoint_requests'] == 1" "$s['conservation_ok'] == 1"
e2e_tel "$E2E_PREFIX" /colo/checkpoints "$t/ckpt.json"
e2e_py check "$t/ckpt.json" 'd["/colo/checkpoints"]["outstanding"] == 1' \
    'd["/colo/checkpoints"]["no_peer_policy"] == "hold"'
[ "$(e2e_py pcap-count "$t/outbound.pcap")" -eq 0 ] || e2e_fail "a held frame left"

e2e_stop "$pid" INT
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGINT"
e2e_py pcap-eq "$t/primary.pcap" "$t/outbound.pcap" ||
    e2e_fail "shutdown did not release the held primaries in order"
e2e_py check "$t/stats.json" 'd["released"] == 5' 'd["release_shutdown"] == 5' \
    'd["discarded"]["shutdown"] == 5' 'd["conservation_ok"] is True'

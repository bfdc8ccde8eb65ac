#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# The known-divergence preset through the real binary: pcaps/known_divergence
# (a DNS query whose ID differs between the VMs) costs one checkpoint as
# shipped (test_pcap_cases.sh), none with --config
# config/bypass-known-divergence.ini: the primary leaves uncompared
# (release_bypass), the secondary is freed (discard_bypass), the outbound
# frames are the primary's. docs/semantics.md K1-K4.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init known_divergence

case_dir=$COLO_SRCDIR/pcaps/known_divergence
preset=$COLO_SRCDIR/config/bypass-known-divergence.ini
[ -f "$case_dir/primary.pcap" ] || e2e_skip "no $case_dir (generate it with tests/gen_pcaps.sh)"

e2e_run_case "$case_dir" "$E2E_TMP/plain" "--lcores 0@0,1@1" ""
[ "$E2E_RC" -eq 0 ] || e2e_fail "without the preset: colo-proxy exited with $E2E_RC"
e2e_py check "$E2E_TMP/plain/stats.json" "d['checkpoint_requests'] == 1" \
    "d['trigger_mismatch_udp'] == 1" "d['release_bypass'] == 0" ||
    e2e_fail "without the preset: the DNS query IDs must differ"

e2e_run_case "$case_dir" "$E2E_TMP/preset" "--lcores 0@0,1@1" "--config $preset"
[ "$E2E_RC" -eq 0 ] || e2e_fail "with the preset: colo-proxy exited with $E2E_RC"
e2e_py check "$E2E_TMP/preset/stats.json" "d['checkpoint_requests'] == 0" \
    "d['release_bypass'] == 1" "d['discard_bypass'] == 1" "d['released'] == 1" \
    "d['conservation_ok'] is True" ||
    e2e_fail "with the preset: counters"
e2e_py pcap-eq "$case_dir/expected.pcap" "$E2E_TMP/preset/outbound.pcap" ||
    e2e_fail "with the preset: outbound frames differ from the primary's"
echo "ok   known_divergence: 1 checkpoint as shipped, 0 with $preset" >&2

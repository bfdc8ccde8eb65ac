#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Hostile frames through the proxy: zero-length, runts,
# 14-byte, truncated headers, IHL / IPv4 total length / IPv6 payload length
# lying beyond the frame, TCP data offset < 5 or beyond the datagram, VLAN
# depth, IPv6 extension-header chains and loops, and a 9000-byte jumbo that
# the pcap PMD delivers as a chain of mbufs (data room 2048). The same frames
# go to both sides: each malformed frame is counted by its parse_err reason
# (once per side), the primary copy is released uncompared
# (release_malformed), the secondary copy discarded (discard_malformed), the
# good and jumbo frames compare equal, the outbound pcap holds exactly the
# primary's frames, and conservation holds. Run in both layouts.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init hostile_frames

t=$E2E_TMP
python3 "$COLO_SRCDIR/tests/e2e/hostile.py" frames "$t/primary.pcap" "$t/secondary.pcap" >"$t/expect"
nmal=$(awk '$1 == "malformed" { print $2 }' "$t/expect")
ngood=$(awk '$1 == "good" { print $2 }' "$t/expect")
total=$((nmal + ngood))
checks=""
while read -r why n; do
    case $why in
    malformed | good | jumbo_len) ;;
    *) checks="$checks d['parse_err_$why']==$((2 * n))" ;;
    esac
done <"$t/expect"

for layout in rtc split; do
    case $layout in
    rtc) lcores="--lcores 0@0,1@1" ;;
    split) lcores="--lcores 0@0,1@0,2@1" ;;
    esac
    e2e_run_case "$t" "$t/$layout" "$lcores" ""
    [ "$E2E_RC" -eq 0 ] || e2e_fail "$layout: colo-proxy exited with $E2E_RC"
    # shellcheck disable=SC2086
    e2e_py check "$t/$layout/stats.json" $checks \
        "d['primary_rx'] == $total" "d['secondary_rx'] == $total" \
        "d['release_malformed'] == $nmal" "d['discard_malformed'] == $nmal" \
        "d['release_match'] == $ngood" "d['discard_match'] == $ngood" \
        "d['released'] == $total" "d['checkpoint_requests'] == 0" \
        "d['conservation_ok'] is True" \
        "d['primary_queued'] == 0 and d['secondary_queued'] == 0" ||
        e2e_fail "$layout: counters"
    # Malformed primaries leave at once; good ones after their compare.
    python3 "$COLO_SRCDIR/tests/e2e/hostile.py" same-set "$t/primary.pcap" \
        "$t/$layout/outbound.pcap" ||
        e2e_fail "$layout: outbound frames differ from the primary's"
    echo "ok   $layout: $nmal malformed frames counted and passed, $ngood compared" >&2
done

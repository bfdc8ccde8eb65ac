#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# --divergence-pcap: the mismatching pair is in the pcapng file with its
# comments (reason, connection, checkpoint, offset), preceded by the
# connection's earlier frames of both sides with "context" comments; and
# with a small --divergence-max-bytes the file stays within its bound, whole
# divergences are left out and counted, and nothing is written half.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init divergence_pcap

t=$E2E_TMP
obs() {
    python3 "$COLO_SRCDIR/tests/e2e/obs.py" "$@"
}

# Three flows of eight datagrams; the secondary's frame 6 of flow 1 differs.
# Hold policy without a notify peer: no flush, so no epoch change, comes
# between the frames and the compare.
obs flows "$t/primary.pcap" 3 per=8
obs flows "$t/secondary.pcap" 3 per=8 differ=1:6
key=$(obs key 1)

# shellcheck disable=SC2046
e2e_start proxy 60 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- \
    --compare-timeout 200 --exit-on-idle 500 --no-peer-policy hold \
    --stats-json "$t/stats.json" --divergence-pcap "$t/div.pcapng" --divergence-context 4
e2e_wait "$E2E_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC"

obs pcapng "$t/div.pcapng" "$t/primary.pcap" "$t/secondary.pcap" >"$t/div.json"
p='d["packets"]'
# Frames go round robin, flow 1's frame k is pcap frame 3k + 1.
e2e_py check "$t/div.json" \
    "d['interfaces'] == ['primary', 'secondary']" \
    "len($p) == 10" \
    "[x['src'] for x in $p[:8] if x['if'] == 0] == [7, 10, 13, 16]" \
    "[x['src'] for x in $p[:8] if x['if'] == 1] == [7, 10, 13, 16]" \
    "all(x['comment'] == 'context %s $key before checkpoint 1' % ('primary', 'secondary')[x['if']] for x in $p[:8])" \
    "[x['ts_ns'] for x in $p[:8]] == sorted(x['ts_ns'] for x in $p[:8])" \
    "($p[8]['if'], $p[8]['src'], $p[9]['if'], $p[9]['src']) == (0, 19, 1, 19)" \
    "$p[8]['comment'] == 'mismatch_udp $key checkpoint 1 primary offset 65'" \
    "$p[9]['comment'] == 'mismatch_udp $key checkpoint 1 secondary offset 65'" \
    "all(x['len'] == x['caplen'] for x in $p)"
e2e_py check "$t/stats.json" \
    "d['checkpoint_requests'] == 1" "d['conservation_ok'] is True" \
    "d['divergence_capture']['events'] == 1" \
    "d['divergence_capture']['frames_written'] == 10" \
    "d['divergence_capture']['frames_capped'] == 0" \
    "d['divergence_capture']['frames_lost'] == 0" \
    "d['divergence_capture']['bytes'] == $(stat -c %s "$t/div.pcapng")" \
    "d['released'] == 24"
# Client payloads: owner-only (docs/security.md), whatever the umask (the test's is 022).
[ "$(stat -c %a "$t/div.pcapng")" = 600 ] || e2e_fail "div.pcapng is not 0600"
[ "$(stat -c %a "$t/stats.json")" = 600 ] || e2e_fail "stats.json is not 0600"

# tools/colo-divergence reads it back: exit status 1 (divergences), the pair
# with its offsets and context, a dump marking the byte; 2 for what is not
# a pcapng file.
div() {
    python3 "$COLO_SRCDIR/tools/colo-divergence" "$@"
}
rc=0
div --json "$t/div.pcapng" >"$t/explained.json" || rc=$?
[ $rc -eq 1 ] || e2e_fail "colo-divergence --json: exit $rc, not 1"
v='d["divergences"]'
e2e_py check "$t/explained.json" \
    "len($v) == 1" "$v[0]['reason'] == 'mismatch_udp'" "$v[0]['conn'] == '$key'" \
    "$v[0]['checkpoint'] == 1" "len($v[0]['context']) == 8" \
    "$v[0]['primary']['offset'] == 65 and $v[0]['secondary']['offset'] == 65" \
    "bytes.fromhex($v[0]['primary']['data'])[65:69] == b'colo'" \
    "bytes.fromhex($v[0]['secondary']['data'])[65:69] == b'COLO'"
rc=0
div "$t/div.pcapng" >"$t/explained.txt" || rc=$?
[ $rc -eq 1 ] || e2e_fail "colo-divergence: exit $rc, not 1"
grep -q "^  primary      +[0-9.]* s, 69 bytes, offset 65 (0x41)$" "$t/explained.txt" ||
    e2e_fail "no primary offset line"
grep -q "^    0x0040  20 63 6f 6c 6f .* 0x0040  20 43 4f 4c 4f " "$t/explained.txt" ||
    e2e_fail "no dump of the differing row"
grep -q "^               ^^ ~~ ~~ ~~" "$t/explained.txt" || e2e_fail "no ^^ under byte 65"
rc=0
div "$t/primary.pcap" 2>"$t/bad.txt" || rc=$?
[ $rc -eq 2 ] && grep -q "not a pcapng file" "$t/bad.txt" || e2e_fail "bad input: exit $rc"

# Twenty flows, each with a differing frame 3: twenty divergences of eight
# frames each (three earlier frames per side), about 1.5 KiB apiece, into a
# file capped at 4096 bytes.
obs flows "$t/primary2.pcap" 20 per=4
obs flows "$t/secondary2.pcap" 20 per=4 'differ=*:3'
cap=4096
# shellcheck disable=SC2046
e2e_start proxy2 60 "$COLO_PROXY" $(e2e_eal "$(e2e_prefix cap)") --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary2.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary2.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound2.pcap" -- \
    --compare-timeout 200 --exit-on-idle 500 --no-peer-policy hold \
    --stats-json "$t/stats2.json" --divergence-pcap "$t/div2.pcapng" --divergence-context 3 \
    --divergence-max-bytes $cap
e2e_wait "$E2E_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC (capped run)"
size=$(stat -c %s "$t/div2.pcapng")
[ "$size" -le $cap ] || e2e_fail "capped file has $size bytes, more than $cap"
obs pcapng "$t/div2.pcapng" "$t/primary2.pcap" "$t/secondary2.pcap" >"$t/div2.json"
c='d["divergence_capture"]'
e2e_py check "$t/stats2.json" \
    "$c['events'] == 20" "$c['frames_capped'] > 0" "$c['frames_lost'] == 0" \
    "$c['frames_written'] + $c['frames_capped'] == 20 * 8" \
    "$c['frames_written'] % 8 == 0" "$c['bytes'] == $size"
# Whole divergences only: each written one is six context frames and its pair.
e2e_py check "$t/div2.json" \
    "len($p) % 8 == 0 and len($p) > 0" \
    "all($p[i + 6]['comment'].startswith('mismatch_udp') and $p[i + 7]['comment'].startswith('mismatch_udp') and all(x['comment'].startswith('context') for x in $p[i:i + 6]) for i in range(0, len($p), 8))" \
    "all(x['src'] >= 0 for x in $p)"
grep -q "reached its cap" "$E2E_TMP/proxy2.log" || e2e_fail "the cap was not logged"

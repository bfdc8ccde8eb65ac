#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Trust boundaries of the link (docs/security.md), with both roles linked
# through a pcap file. Stage A, primary role: client frames posing as link
# control (the link ethertype, v1 and v2 headers, behind 802.1Q and
# 802.1ad tags) arrive on the outbound port next to real client SYNs; they
# are dropped and counted and never reach the link, while the PVM's
# SYN-ACK leaves as one authenticated control frame. Stage B, secondary
# role: what the primary sent, plus control frames injected on the link
# (replayed, another source MAC, a bit changed, no tag, another key, a
# stolen tag, the v1 header); only the real one reaches the rewriter: one
# offset learned, the SVM's SYN-ACK of the planted connection unmapped.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init link_trust

t=$E2E_TMP
lt() { python3 "$COLO_SRCDIR/tests/e2e/link_trust.py" "$@"; }

python3 -c 'import os; print(os.urandom(32).hex())' >"$t/key.hex"
chmod 600 "$t/key.hex"
lt stage-a "$t"

# A key file others can read is refused, in one line, before any frame moves.
cp "$t/key.hex" "$t/open.hex"
chmod 644 "$t/open.hex"
prefix=$(e2e_prefix open)
# shellcheck disable=SC2046
e2e_start open 60 "$COLO_PROXY" $(e2e_eal "$prefix") \
    --vdev "net_pcap0,rx_pcap=$t/pvm.pcap" --vdev "net_pcap1,tx_pcap=$t/unused.pcap" \
    --vdev "net_pcap2,rx_pcap=$t/client.pcap,tx_pcap=$t/unused_out.pcap" -- \
    --link-syn-mirror on --link-key "$t/open.hex" --exit-on-idle 500
e2e_wait "$E2E_PID"
[ "$E2E_RC" -ne 0 ] || e2e_fail "a world-readable --link-key was accepted"
[ "$(grep -c 'link-key:.*mode 644.*chmod 600' "$t/open.log")" -eq 1 ] ||
    e2e_fail "no one-line refusal of the world-readable key: $(cat "$t/open.log")"
rm -rf "/var/run/dpdk/$prefix"

# ---- stage A: the primary ----
prefix=$(e2e_prefix primary)
# shellcheck disable=SC2046
e2e_start primary 60 "$COLO_PROXY" $(e2e_eal "$prefix") \
    --vdev "net_pcap0,rx_pcap=$t/pvm.pcap,tx_pcap=$t/to_pvm.pcap" \
    --vdev "net_pcap1,tx_pcap=$t/link.pcap" \
    --vdev "net_pcap2,rx_pcap=$t/client.pcap,tx_pcap=$t/outbound.pcap" -- \
    --link-syn-mirror on --link-key "$t/key.hex" --compare-timeout 100 \
    --exit-on-idle 800 --stats-json "$t/primary.json"
e2e_wait "$E2E_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "primary exited with $E2E_RC: $(tail -5 "$t/primary.log")"
rm -rf "/var/run/dpdk/$prefix"
e2e_py check "$t/primary.json" 'd["ingress_rx"] == 6' 'd["ingress_drop_link_control"] == 4' \
    'd["ingress_to_primary"] == 2' 'd["ingress_to_secondary"] == 2' \
    'd["syn_mirror_tx"] == 1' 'd["syn_mirror_drop"] == 0'
grep -q "with the link ethertype dropped" "$t/primary.log" ||
    e2e_fail "no log line for the dropped client frames"
# The link and the PVM got the two real client SYNs, and the link one control frame.
[ "$(e2e_py pcap-count "$t/to_pvm.pcap")" -eq 2 ] || e2e_fail "the PVM got other than 2 frames"
[ "$(e2e_py pcap-count "$t/link.pcap")" -eq 3 ] || e2e_fail "the link got other than 3 frames"
[ "$(lt seqs "$t/link.pcap" | grep -c '^40001 80 77$')" -eq 1 ] || e2e_fail "client SYN 1 missing"
[ "$(lt seqs "$t/link.pcap" | grep -c '^40002 80 77$')" -eq 1 ] || e2e_fail "client SYN 2 missing"
[ "$(lt seqs "$t/link.pcap" | grep -c ' 5000000$')" -eq 0 ] ||
    e2e_fail "the planted SYN-ACK reached the link"

# ---- stage B: the secondary, on what the primary sent plus injected forgeries ----
lt stage-b "$t" "$t/key.hex"
peer=$(lt peer-mac "$t")
prefix=$(e2e_prefix secondary)
# shellcheck disable=SC2046
e2e_start secondary 60 "$COLO_PROXY" $(e2e_eal "$prefix") \
    --vdev "net_pcap0,rx_pcap=$t/svm.pcap,tx_pcap=$t/to_svm.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/link_in.pcap,tx_pcap=$t/link_out.pcap" -- \
    --role secondary --svm 0 --link 1 --outbound none --link-key "$t/key.hex" \
    --link-peer-mac "$peer" --rewrite-hold 100 --exit-on-idle 800 \
    --stats-json "$t/secondary.json"
e2e_wait "$E2E_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "secondary exited with $E2E_RC: $(tail -5 "$t/secondary.log")"
rm -rf "/var/run/dpdk/$prefix"
e2e_py check "$t/secondary.json" 'd["link_rx"] == 10' 'd["syn_mirror_rx"] == 1' \
    'd["link_control_replayed"] == 1' 'd["link_control_forged"] == 5' \
    'd["link_ignored"] == 1' 'd["client_to_svm"] == 2' \
    'd["rewriter_learned"] == 1' 'd["rewriter_created"] == 2'
grep -q "link control frame from .* refused" "$t/secondary.log" ||
    e2e_fail "no log line for the refused control frames"
# The SVM's SYN-ACKs: connection 1 mapped to the PVM's numbers, the planted one not.
lt seqs "$t/link_out.pcap" >"$t/svm_seqs.txt"
grep -q '^80 40001 1000$' "$t/svm_seqs.txt" || e2e_fail "SVM SYN-ACK 1 not mapped: $(cat "$t/svm_seqs.txt")"
grep -q '^80 40002 900000$' "$t/svm_seqs.txt" ||
    e2e_fail "SVM SYN-ACK 2 mapped by a forged offset: $(cat "$t/svm_seqs.txt")"

#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Every pcap case of pcaps/manifest.json through colo-proxy in the
# run-to-completion layout (one worker lcore): output frames equal
# expected.pcap, checkpoint count equals the manifest, conservation holds.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init pcap_cases

# Main lcore (housekeeping, sleeps) on CPU 0, the busy worker on CPU 1.
e2e_pcap_cases "--lcores 0@0,1@1"

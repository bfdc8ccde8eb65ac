#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up, build, then replay every shipped pcap pair
# (pcaps/<case>/primary.pcap + secondary.pcap) through colo-proxy on pcap
# vdevs and print what came out, beside what pcaps/manifest.json expects.
# Outputs go to ${OUT:-/tmp/colo-run}/<case>/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

out=${OUT:-/tmp/colo-run}
mkdir -p "$out"
exec python3 tests/e2e/replay.py --proxy build/app/colo-proxy --pcaps pcaps --out "$out" --summary

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate the replay cases: tests/gen_pcaps.sh [OUTDIR] (default: pcaps/ at
# the top of the tree). Builds gen_pcaps in $COLO_BUILDDIR (default build/)
# first, setting the build directory up if it does not exist yet.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${COLO_BUILDDIR:-$top/build}
out=${1:-$top/pcaps}

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" >/dev/null
fi
meson compile -C "$build" tests/gen/gen_pcaps >/dev/null
"$build/tests/gen/gen_pcaps" "$out"

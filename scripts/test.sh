#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up, build and run every test: the normal build, then the ASan+UBSan
# build, then each libFuzzer harness for COLO_FUZZ_SECONDS (default 60).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

if [ ! -f build/build.ninja ]; then
    meson setup build
fi
meson compile -C build
meson test -C build --print-errorlogs

# The sanitizer build links the shared DPDK libraries like the normal one.
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug
fi
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs

./tests/fuzz/run.sh "${COLO_FUZZ_SECONDS:-60}"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up, build and run every test: the normal build (with the package
# suite: build, install, run and remove the .deb), then the ASan+UBSan build,
# then each libFuzzer harness for COLO_FUZZ_SECONDS (default 60). Ends with
# one line of totals, "colo-proxy tests: N passed, N failed, N skipped".
# Under CI=true or COLO_REQUIRE_ALL=1 a skipped test fails the run.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

logs=()
rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
    "${COLO_FUZZ_BUILD:-build-fuzz}/meson-logs/testlog.json"
trap './scripts/test_summary.py "${logs[@]}" || true' EXIT

if [ ! -f build/build.ninja ]; then
    meson setup build
fi
meson compile -C build
logs+=(normal=build/meson-logs/testlog.json)
meson test -C build --print-errorlogs

# The sanitizer build links the shared DPDK libraries like the normal one.
# The package suite builds its own .deb, and the vm suite boots two TCG guests:
# once, in the normal build, is enough for each (CI stays within its budget).
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug
fi
meson compile -C build-asan
logs+=(asan=build-asan/meson-logs/testlog.json)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --no-suite pkg --no-suite vm

logs+=(fuzz="${COLO_FUZZ_BUILD:-build-fuzz}/meson-logs/testlog.json")
./tests/fuzz/run.sh "${COLO_FUZZ_SECONDS:-60}"

trap - EXIT
./scripts/test_summary.py "${logs[@]}"

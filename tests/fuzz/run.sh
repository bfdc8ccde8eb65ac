#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the fuzz build if needed and run every libFuzzer harness for SECONDS
# (default 60) each, one after the other, niced, with a fixed -seed. Exits
# non-zero on any crash, leak, timeout or broken invariant; the input that
# did it is left in build-fuzz/tests/fuzz/work/artifacts/. Prints one line
# per harness: executions, exec/s, coverage, corpus size.
#   tests/fuzz/run.sh [SECONDS [HARNESS...]]     HARNESS: chardev, compare, config, notify, pkt, qmp
# COLO_FUZZ_BUILD (default build-fuzz) is the build directory;
# COLO_FUZZ_SEED (default 1) the libFuzzer seed.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
names=()
for h in "$@"; do
    names+=("fuzz_$h")
done
build=${COLO_FUZZ_BUILD:-build-fuzz}

# Debian 12: clang is clang-14; libclang-rt-14-dev has the libFuzzer and
# sanitizer runtimes (libfuzzer-14-dev is only needed for C++ -lFuzzer).
need=()
command -v clang >/dev/null || need+=(clang)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null ||
    need+=(libclang-rt-14-dev)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "fuzz: missing packages: ${need[*]} (run as root to install them)" >&2
        exit 1
    fi
    echo "fuzz: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
# Only the harnesses: the rest of the project is not needed here.
meson compile -C "$build" fuzz_chardev fuzz_compare fuzz_config fuzz_notify fuzz_pkt fuzz_qmp \
    >/dev/null

# The meson tests carry each harness's options; their timeout is 300 s for
# 60 s of fuzzing, so scale it with the time asked for.
mult=$(( (secs + 240 + 299) / 300 ))
log="$build/meson-logs/fuzz-run.txt"
rc=0
COLO_FUZZ_SECONDS=$secs meson test -C "$build" --suite fuzz --no-rebuild --num-processes 1 \
    --timeout-multiplier "$mult" -v "${names[@]}" >"$log" 2>&1 || rc=$?
grep -E '^fuzz_|invariant failed|ERROR|^ *[0-9]+/[0-9]+ .* (OK|FAIL|TIMEOUT)|^(Ok|Fail|Timeout):' \
    "$log" || true
if [ "$rc" -ne 0 ]; then
    echo "fuzz: FAILED (exit $rc); full output in $log," \
        "inputs in $build/tests/fuzz/work/artifacts/" >&2
fi
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one libFuzzer harness for a bounded time, niced, from seeds made out
# of pcaps/ at run time; the corpus it grows stays in WORKDIR. Fails on any
# crash, leak, timeout or broken invariant, leaving the input in
# WORKDIR/artifacts/. Prints one summary line.
#   fuzz_one.sh EXE NAME SECONDS WORKDIR SRCROOT [libFuzzer options...]
# COLO_FUZZ_SECONDS overrides SECONDS; COLO_FUZZ_SEED (default 1) is -seed.
set -eu
exe=$1 name=$2 secs=${COLO_FUZZ_SECONDS:-$3} work=$4 src=$5
shift 5
seeds=$work/seeds/$name
corpus=$work/corpus/$name
artifacts=$work/artifacts
log=$work/$name.log

rm -rf "$seeds"
mkdir -p "$corpus" "$artifacts"
python3 "$src/tests/fuzz/make_seeds.py" --pcaps "$src/pcaps" --harness "$name" "$seeds"

# UBSan only prints by default: make its reports fatal, like ASan's.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
rc=0
nice -n 19 "$exe" -seed="${COLO_FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 \
    -artifact_prefix="$artifacts/$name-" "$@" "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
# The harness's EAL (--no-shconf) still made its runtime directory.
rmdir "/var/run/dpdk/fuzz_$name" 2>/dev/null || true

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
echo "fuzz_$name: ${execs:-0} execs in ${secs}s (${rate:-0}/s)," \
    "cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, exit $rc"
if [ "$rc" -ne 0 ]; then
    echo "fuzz_$name FAILED; last lines of $log:" >&2
    tail -n 60 "$log" >&2
    exit 1
fi

# Keep the corpus minimal between runs: only inputs that add coverage.
merged=$work/corpus/.merge_$name
rm -rf "$merged"
mkdir -p "$merged"
if nice -n 19 "$exe" -merge=1 "$@" "$merged" "$corpus" >"$work/$name.merge.log" 2>&1; then
    rm -rf "$corpus"
    mv "$merged" "$corpus"
else
    rm -rf "$merged"
fi

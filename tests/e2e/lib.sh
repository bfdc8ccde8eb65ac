# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers of the end-to-end tests, sourced by `sh -eu` scripts.
# Each test gets a temporary directory, a file-prefix family
# colo_e2e_<case>_<pid>[_<name>], and a trap that stops only the processes
# it started and removes their /var/run/dpdk/<prefix> directories.
# meson provides COLO_PROXY, COLO_SRCDIR and COLO_BUILDDIR. Exit 77 = skip;
# under CI=true or COLO_REQUIRE_ALL=1 a skip is a failure (exit 1).
#
#   e2e_init CASE                 checks, temp dir ($E2E_TMP), prefix ($E2E_PREFIX), trap
#   e2e_prefix NAME               another file-prefix of this test (cleaned up too)
#   e2e_eal PREFIX                EAL options every proxy run takes (no PCI, no hugepages)
#   e2e_start NAME SECS CMD...    run CMD bounded by timeout, log in $E2E_TMP/NAME.log;
#                                 its pid in $E2E_PID
#   e2e_wait PID                  wait; status in $E2E_RC (never trips -e)
#   e2e_stop PID [SIG]            signal one of our processes, then e2e_wait
#   e2e_wait_telemetry PREFIX     until the telemetry socket accepts a command
#   e2e_tel PREFIX CMD OUT        write the dpdk-telemetry.py reply of CMD to OUT
#   e2e_tel_until PREFIX CMD OUT EXPR [SECS]   poll CMD until EXPR (over d) holds
#   e2e_py ARGS...                tests/e2e/e2e.py (pcap-eq, check, get...)
#   e2e_run_case DIR OUT EXTRA    replay one pcap case; stats in OUT/stats.json
#   e2e_pcap_cases EAL_LCORES     every case of pcaps/manifest.json, asserted
#   e2e_skip MSG / e2e_fail MSG

E2E_PIDS=""

e2e_skip() {
    if [ "${CI:-}" = true ] || [ "${COLO_REQUIRE_ALL:-0}" = 1 ]; then
        echo "SKIP not allowed (CI=true or COLO_REQUIRE_ALL=1): ${E2E_CASE:-$0}: $*" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}

e2e_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

e2e_log() {
    echo "== $*" >&2
}

e2e_cleanup() {
    _e2e_rc=$?
    trap - EXIT INT TERM
    for _e2e_pid in $E2E_PIDS; do
        kill -TERM "$_e2e_pid" 2>/dev/null || true
    done
    for _e2e_pid in $E2E_PIDS; do
        _e2e_n=0
        while kill -0 "$_e2e_pid" 2>/dev/null && [ $_e2e_n -lt 50 ]; do
            sleep 0.1
            _e2e_n=$((_e2e_n + 1))
        done
        kill -KILL "$_e2e_pid" 2>/dev/null || true
        wait "$_e2e_pid" 2>/dev/null || true
    done
    rm -rf "/var/run/dpdk/$E2E_PREFIX" /var/run/dpdk/"$E2E_PREFIX"_*
    if [ "$_e2e_rc" -ne 0 ] && [ "$_e2e_rc" -ne 77 ]; then
            for _e2e_f in "$E2E_TMP"/*.log; do
            [ -f "$_e2e_f" ] || continue
            echo "---- $_e2e_f (last 40 lines)" >&2
            tail -n 40 "$_e2e_f" >&2
        done
    fi
    rm -rf "$E2E_TMP"
    exit "$_e2e_rc"
}

e2e_init() {
    E2E_CASE=$1
    : "${COLO_PROXY:?COLO_PROXY not set (run through meson test)}"
    : "${COLO_SRCDIR:?COLO_SRCDIR not set}"
    : "${COLO_BUILDDIR:=}"
    [ -x "$COLO_PROXY" ] || e2e_skip "colo-proxy not built: $COLO_PROXY"
    command -v python3 >/dev/null 2>&1 || e2e_skip "python3 not installed"
    command -v timeout >/dev/null 2>&1 || e2e_skip "timeout not installed"
    [ "$(id -u)" -eq 0 ] || [ -w /var/run/dpdk ] || e2e_skip "needs root (/var/run/dpdk)"
    E2E_PREFIX="colo_e2e_${E2E_CASE}_$$"
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/colo_e2e_${E2E_CASE}.XXXXXX")
    trap e2e_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

e2e_prefix() {
    echo "${E2E_PREFIX}_$1"
}

# --no-huge works on every machine; telemetry works in every memory mode.
e2e_eal() {
    echo "--no-pci --no-huge -m 256 --file-prefix $1 --log-level=lib.eal:warning"
}

e2e_start() {
    _e2e_name=$1
    _e2e_secs=$2
    shift 2
    timeout -k 5 "$_e2e_secs" "$@" >"$E2E_TMP/$_e2e_name.log" 2>&1 &
    E2E_PID=$!
    E2E_PIDS="$E2E_PIDS $E2E_PID"
}

e2e_wait() {
    E2E_RC=0
    wait "$1" || E2E_RC=$?
    _e2e_rest=""
    for _e2e_pid in $E2E_PIDS; do
        [ "$_e2e_pid" = "$1" ] || _e2e_rest="$_e2e_rest $_e2e_pid"
    done
    E2E_PIDS=$_e2e_rest
}

e2e_stop() {
    kill "-${2:-TERM}" "$1" 2>/dev/null || true
    e2e_wait "$1"
}

e2e_tel() {
    echo "$2" | timeout 10 dpdk-telemetry.py -f "$1" >"$3" 2>&1 || true
}

e2e_wait_telemetry() {
    command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"
    _e2e_n=0
    while [ $_e2e_n -lt 200 ]; do
        if [ -S "/var/run/dpdk/$1/dpdk_telemetry.v2" ]; then
            e2e_tel "$1" /colo/config "$E2E_TMP/tel_probe.json"
            if e2e_py get "$E2E_TMP/tel_probe.json" 'd["/colo/config"] is not None' \
                    >/dev/null 2>&1; then
                return 0
            fi
        fi
        sleep 0.1
        _e2e_n=$((_e2e_n + 1))
    done
    e2e_fail "telemetry of $1 did not come up"
}

e2e_tel_until() {
    _e2e_n=0
    _e2e_limit=$((${5:-20} * 10))
    while [ $_e2e_n -lt "$_e2e_limit" ]; do
        e2e_tel "$1" "$2" "$3"
        if [ "$(e2e_py get "$3" "$4" 2>/dev/null)" = "True" ]; then
            return 0
        fi
        sleep 0.1
        _e2e_n=$((_e2e_n + 1))
    done
    cat "$3" >&2
    e2e_fail "$2 never satisfied: $4"
}

e2e_py() {
    python3 "$COLO_SRCDIR/tests/e2e/e2e.py" "$@"
}

# e2e_run_case CASE_DIR OUT_DIR "EAL extra" "app extra": one replay, as in the
# issue's command (three pcap vdevs, --exit-on-idle, --stats-json). The
# process log is $E2E_TMP/<basename OUT_DIR>.log; its status is $E2E_RC.
e2e_run_case() {
    _e2e_out=$2
    _e2e_prefix=$(e2e_prefix "$(basename "$_e2e_out")")
    mkdir -p "$_e2e_out"
    # shellcheck disable=SC2046,SC2086
    e2e_start "$(basename "$_e2e_out")" 60 "$COLO_PROXY" $(e2e_eal "$_e2e_prefix") $3 \
        --vdev "net_pcap0,rx_pcap=$1/primary.pcap" \
        --vdev "net_pcap1,rx_pcap=$1/secondary.pcap" \
        --vdev "net_pcap2,tx_pcap=$_e2e_out/outbound.pcap" -- \
        --primary 0 --secondary 1 --outbound 2 \
        --compare-timeout "${E2E_COMPARE_TIMEOUT:-200}" --exit-on-idle 1000 \
        --stats-json "$_e2e_out/stats.json" $4
    e2e_wait "$E2E_PID"
    rm -rf "/var/run/dpdk/$_e2e_prefix"
}

# e2e_pcap_cases "EAL lcore options": every case of the manifest through the
# proxy; asserts output frames, checkpoint count and conservation.
e2e_pcap_cases() {
    _e2e_manifest="$COLO_SRCDIR/pcaps/manifest.json"
    [ -f "$_e2e_manifest" ] || e2e_skip "no $_e2e_manifest (generate it with tests/gen)"
    E2E_COMPARE_TIMEOUT=$(e2e_py get "$_e2e_manifest" 'd["compare_timeout_ms"]')
    e2e_py cases "$_e2e_manifest" >"$E2E_TMP/cases"
    _e2e_failed=""
    _e2e_total=0
    while read -r _e2e_case _e2e_ckpts _e2e_nb_p _e2e_nb_s; do
        _e2e_total=$((_e2e_total + 1))
        _e2e_dir="$E2E_TMP/$_e2e_case"
        e2e_run_case "$COLO_SRCDIR/pcaps/$_e2e_case" "$_e2e_dir" "$1" "" </dev/null
        _e2e_why=""
        if [ "$E2E_RC" -ne 0 ]; then
            _e2e_why="exit status $E2E_RC"
        elif ! e2e_py pcap-eq "$COLO_SRCDIR/pcaps/$_e2e_case/expected.pcap" \
                "$_e2e_dir/outbound.pcap" >"$_e2e_dir/diff" 2>&1; then
            _e2e_why="output: $(cat "$_e2e_dir/diff")"
        elif ! e2e_py check "$_e2e_dir/stats.json" \
                "d['checkpoint_requests'] == $_e2e_ckpts" \
                "d['primary_rx'] == $_e2e_nb_p" "d['secondary_rx'] == $_e2e_nb_s" \
                "d['conservation_ok'] is True" \
                "d['primary_queued'] == 0 and d['secondary_queued'] == 0" \
                "d['primary_rx'] == d['released'] + sum(d['dropped'].values())" \
                >"$_e2e_dir/check" 2>&1; then
            _e2e_why="stats: $(head -n 1 "$_e2e_dir/check")"
        fi
        if [ -n "$_e2e_why" ]; then
            echo "FAIL $_e2e_case: $_e2e_why" >&2
            _e2e_failed="$_e2e_failed $_e2e_case"
        else
            echo "ok   $_e2e_case" >&2
            rm -f "$E2E_TMP/$_e2e_case.log"
        fi
    done <"$E2E_TMP/cases"
    [ "$_e2e_total" -gt 0 ] || e2e_fail "no case in $_e2e_manifest"
    [ -z "$_e2e_failed" ] || e2e_fail "pcap cases failed:$_e2e_failed"
}

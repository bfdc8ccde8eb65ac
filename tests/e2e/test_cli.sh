#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Command line and INI file: --help, one-line errors naming the option with
# exit code 2, the shipped config/colo-proxy.ini, and the command line
# overriding the INI file (read back through /colo/config).
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init cli

t=$E2E_TMP
# Every run is safe even if parsing wrongly succeeds: no PCI, no hugepages,
# our prefix, bounded, and it exits on its own.
safe="$(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1"
vdevs="--vdev net_pcap0,tx_pcap=$t/p.pcap --vdev net_pcap1,tx_pcap=$t/s.pcap"
vdevs="$vdevs --vdev net_pcap2,tx_pcap=$t/o.pcap"

for help in "--help" "-- --help" "-- --max-queue 5 -h"; do
    # shellcheck disable=SC2086
    timeout 20 "$COLO_PROXY" $help >"$t/help.out" 2>&1 || e2e_fail "$help: non-zero exit"
    for word in --compare-timeout --expired-scan-cycle --max-queue --max-conns --notify \
            --notify-connect --config --exit-on-idle --stats-json --no-peer-policy \
            Example "--primary 0 --secondary 1 --outbound 2"; do
        grep -q -e "$word" "$t/help.out" || e2e_fail "$help does not mention $word"
    done
done

# expect_usage "NEEDLE" ARGS...: exit 2 and a one-line error naming NEEDLE.
expect_usage() {
    needle=$1
    shift
    rc=0
    # shellcheck disable=SC2086
    timeout 20 "$COLO_PROXY" $safe $vdevs -- --exit-on-idle 200 "$@" >"$t/out" 2>"$t/err" ||
        rc=$?
    [ "$rc" -eq 2 ] || e2e_fail "$*: exit $rc, expected 2"
    grep -q -e "$needle" "$t/err" || e2e_fail "$*: error does not name $needle: $(cat "$t/err")"
    if [ "${ONE_LINE:-1}" -eq 1 ] && [ "$(wc -l <"$t/err")" -ne 1 ]; then
        e2e_fail "$*: error is not one line: $(cat "$t/err")"
    fi
    rm -rf "/var/run/dpdk/$E2E_PREFIX"
}

expect_usage --bogus --bogus 1
expect_usage --compare-timeout --compare-timeout abc
expect_usage --compare-timeout --compare-timeout 0
expect_usage --compare-timeout --compare-timeout -5
expect_usage --max-queue --max-queue 0
expect_usage --max-conns --max-conns 99999999999
expect_usage --max-queue --max-queue
expect_usage --ingress-mirror --ingress-mirror maybe
expect_usage --no-peer-policy --no-peer-policy drop
expect_usage notify --notify /tmp/not-a-unix-url
expect_usage notify_connect --notify-connect udp:1.2.3.4:5
expect_usage extra-arg --exit-on-idle 100 extra-arg
expect_usage --config --config "$t/does-not-exist.ini"
expect_usage --role --role tertiary
expect_usage "rule 2" --bypass "proto=udp;proto=tcp,dport=70000"
expect_usage compare_lcores --role secondary --compare-lcores 2

printf '[compare]\nmax_queue = many\n' >"$t/bad_value.ini"
expect_usage "max_queue" --config "$t/bad_value.ini"
printf '[compare]\nbypass = src=10.0.0.1/8\n' >"$t/bad_bypass.ini"
expect_usage "bits set beyond" --config "$t/bad_bypass.ini"
printf '[compare]\nno_such_key = 1\n' >"$t/bad_key.ini"
expect_usage "no_such_key" --config "$t/bad_key.ini"
printf '[compare]\nnotify = unix:/tmp/x\n' >"$t/bad_section.ini"
expect_usage "checkpoint" --config "$t/bad_section.ini"

# Ports are resolved after EAL init: EAL logs too, so only the exit code
# and the message are checked.
ONE_LINE=0 expect_usage "--primary" --primary net_nope
ONE_LINE=0 expect_usage "--outbound" --outbound 9
ONE_LINE=0 expect_usage "--secondary" --primary 1 --secondary 1
ONE_LINE=0 expect_usage "--svm" --role secondary --svm net_nope
ONE_LINE=0 expect_usage "'none' runs without failover" --role secondary --outbound 9

# Only the main lcore: no worker to forward on.
rc=0
# shellcheck disable=SC2046,SC2086
timeout 20 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0 $vdevs -- --exit-on-idle 200 \
    >"$t/out" 2>"$t/err" || rc=$?
[ "$rc" -eq 2 ] || e2e_fail "no worker lcore: exit $rc, expected 2"
grep -q "worker lcore" "$t/err" || e2e_fail "no worker lcore: $(cat "$t/err")"
rm -rf "/var/run/dpdk/$E2E_PREFIX"

# The shipped example loads and runs.
# shellcheck disable=SC2086
timeout 30 "$COLO_PROXY" $safe $vdevs -- --config "$COLO_SRCDIR/config/colo-proxy.ini" \
    --exit-on-idle 200 >"$t/example.log" 2>&1 || e2e_fail "config/colo-proxy.ini: exit $?"
rm -rf "/var/run/dpdk/$E2E_PREFIX"

# The command line overrides the INI file.
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"
cat >"$t/test.ini" <<'INI'
; colo-proxy test configuration
[compare]
compare_timeout = 1234
max_queue = 77
[checkpoint]
no_peer_policy = hold
INI
# shellcheck disable=SC2086
e2e_start proxy 30 "$COLO_PROXY" $safe $vdevs -- --config "$t/test.ini" \
    --compare-timeout 250
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"
e2e_tel "$E2E_PREFIX" /colo/config "$t/config.json"
c='d["/colo/config"]'
e2e_py check "$t/config.json" "$c['compare_timeout'] == '250'" "$c['max_queue'] == '77'" \
    "$c['no_peer_policy'] == 'hold'" "$c['max_conns'] == '16384'" \
    "$c['config_file'] == '$t/test.ini'" "$c['ingress_mirror'] == 'on'"
e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"

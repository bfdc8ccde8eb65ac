#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# COLO end to end with real Linux TCP stacks. Three network
# namespaces: a client, a "PVM" and an "SVM" with the same IP and MAC, each
# VM serving the same 1 MB file (8080) and random bytes (8081, 8082). Two
# colo-proxy processes, primary and secondary role, reach the VMs and the
# client through net_tap ports and each other through net_memif; the
# client's bridge floods to both proxies, like a shared segment. curl moves
# the data; the test asserts it intact, no checkpoint for the file, some
# for random bytes, per-flow bypass from the INI file and at run time, and
# a failover of either side in the middle of a transfer.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
export PYTHONDONTWRITEBYTECODE=1
e2e_init netns_colo
for tool in ip socat curl dpdk-telemetry.py; do
    command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool not installed"
done
[ "$(nproc)" -ge 2 ] || e2e_skip "needs two CPUs: one busy-polling lcore per proxy"

t=$E2E_TMP
id=$(($$ % 100000))
NS_CLI=colo_cli_$id
NS_PVM=colo_pvm_$id
NS_SVM=colo_svm_$id
VM_IP=10.77.0.2
VM_MAC=52:54:00:c0:10:02
CLI_IP=10.77.0.1
CLI_MAC=52:54:00:c0:10:01
SIZE=1048576

# Namespaces, and whatever runs in them, go even when the test fails. No -e
# here: "(exit $_rc)" hands the status to e2e_cleanup, and must not stop us.
netns_cleanup() {
    _rc=$?
    set +e
    for ns in $NS_CLI $NS_PVM $NS_SVM; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
    (exit $_rc)
    e2e_cleanup
}
trap netns_cleanup EXIT
for ns in $NS_CLI $NS_PVM $NS_SVM; do
    ip netns add "$ns" 2>/dev/null || e2e_skip "cannot create network namespaces"
    # Two kernels' IPv6 autoconfiguration would differ for reasons no checkpoint fixes here.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n $NS_CLI link add br0 type bridge ageing_time 0
ip -n $NS_CLI link set br0 address $CLI_MAC
ip -n $NS_CLI addr add $CLI_IP/24 dev br0
ip -n $NS_CLI link set br0 up

# The deterministic file behind an HTTP/1.0 header, and a header for random bytes.
python3 - "$t" "$SIZE" <<'EOF'
import random
import sys

d, size = sys.argv[1], int(sys.argv[2])
body = random.Random(7).randbytes(size)
open(d + "/body.bin", "wb").write(body)
hdr = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size
open(d + "/resp.http", "wb").write(hdr + body)
open(d + "/rand.hdr", "wb").write(hdr)
EOF
# -t 30: socat's default 0.5 s drops what its child left in the pipe when the client stalls.
for vm in $NS_PVM $NS_SVM; do
    e2e_start "srv_$vm" 280 ip netns exec "$vm" socat -t 30 \
        TCP-LISTEN:8080,reuseaddr,fork SYSTEM:"cat $t/resp.http"
    for port in 8081 8082; do
        e2e_start "srv_${vm}_$port" 280 ip netns exec "$vm" socat -t 30 \
            TCP-LISTEN:$port,reuseaddr,fork \
            SYSTEM:"cat $t/rand.hdr; head -c $SIZE /dev/urandom"
    done
done

# The bypass rule comes from the INI file; the rest from the command line.
printf '[compare]\nbypass = proto=tcp,dport=8082\n' >"$t/primary.ini"

# pair N: start a primary and a secondary proxy and plumb their ports.
# Sets P_PID/S_PID (the timeout wrappers), P_REAL/S_REAL (colo-proxy) and
# P_PFX/S_PFX (file prefixes). net_tap creates its interfaces in our
# namespace; they move into the VMs' and the client's once the ports run.
pair() {
    P_PFX=$(e2e_prefix "p$1")
    S_PFX=$(e2e_prefix "s$1")
    tp=c${id}p$1
    ts=c${id}s$1
    rm -f "$t/memif$1.sock"
    # shellcheck disable=SC2046
    e2e_start "primary$1" 250 "$COLO_PROXY" $(e2e_eal "$P_PFX") --lcores 0@0,1@0 \
        --vdev "net_tap0,iface=${tp}v" --vdev "net_memif0,role=server,socket=$t/memif$1.sock" \
        --vdev "net_tap1,iface=${tp}o" -- \
        --config "$t/primary.ini" --primary 0 --secondary 1 --outbound 2 \
        --link-syn-mirror on --compare-timeout 500 --expired-scan-cycle 100 \
        --nb-mbufs 8191 --notify "unix:$t/p$1.sock"
    P_PID=$E2E_PID
    e2e_wait_telemetry "$P_PFX"
    # shellcheck disable=SC2046
    e2e_start "secondary$1" 250 "$COLO_PROXY" $(e2e_eal "$S_PFX") --lcores 0@1,1@1 \
        --vdev "net_tap0,iface=${ts}v" --vdev "net_memif0,role=client,socket=$t/memif$1.sock" \
        --vdev "net_tap1,iface=${ts}o" -- \
        --role secondary --svm 0 --link 1 --outbound 2 --expired-scan-cycle 100 \
        --nb-mbufs 8191 --notify "unix:$t/s$1.sock"
    S_PID=$E2E_PID
    e2e_wait_telemetry "$S_PFX"
    e2e_tel_until "$S_PFX" /ethdev/link_status,1 "$t/link.json" \
        'd["/ethdev/link_status"]["status"] == "UP"'
    P_REAL=$(ps -o pid= --ppid "$P_PID" | tr -d ' ')
    S_REAL=$(ps -o pid= --ppid "$S_PID" | tr -d ' ')
    ip link set "${tp}v" netns $NS_PVM
    ip link set "${ts}v" netns $NS_SVM
    ip link set "${tp}o" netns $NS_CLI
    ip link set "${ts}o" netns $NS_CLI
    for dev in "${tp}o" "${ts}o"; do
        ip -n $NS_CLI link set "$dev" master br0
        ip -n $NS_CLI link set "$dev" up
    done
    vm_up $NS_PVM "${tp}v"
    vm_up $NS_SVM "${ts}v"
    ip -n $NS_CLI neigh replace $VM_IP lladdr $VM_MAC dev br0 nud permanent
}

# vm_up NS DEV: the VM's address, on the same MAC in both VMs.
vm_up() {
    ip -n "$1" link set "$2" address $VM_MAC
    ip -n "$1" addr add $VM_IP/24 dev "$2"
    ip -n "$1" link set "$2" up
    # A real SVM's ARP cache is the PVM's after each checkpoint; here none happens.
    ip -n "$1" neigh replace $CLI_IP lladdr $CLI_MAC dev "$2" nud permanent
}

# The checkpoint requests of the primary $1 once they stop moving for a
# second: frames the taps sent before they moved, or the late frames of a
# connection whose VMs diverged, time out within compare_timeout (500 ms).
settle() {
    _last=-1
    _same=0
    for _i in $(seq 60); do
        _now=$(ckpts "$1")
        if [ "$_now" = "$_last" ]; then
            _same=$((_same + 1))
            [ $_same -lt 2 ] || { echo "$_now"; return 0; }
        else
            _same=0
        fi
        _last=$_now
        sleep 0.5
    done
    e2e_fail "checkpoint requests never settled on $1"
}

# no_new_ckpt PREFIX BASE WHAT [PORT]: no request since BASE (for a
# connection of PORT only: a flow bypassed earlier drifted on the SVM, and
# its late frames are compared once the rule is gone); else show them.
no_new_ckpt() {
    _port=True
    [ -z "${4:-}" ] || _port="':$4 ' in r['conn'] + ' '"
    e2e_tel "$1" /colo/checkpoints,64 "$t/why.json"
    if e2e_py check "$t/why.json" "not [r for k, r in d['/colo/checkpoints'].items() \
            if k.startswith('request_') and r['id'] > $2 and $_port]" >/dev/null; then
        return 0
    fi
    cat "$t/why.json" >&2
    e2e_fail "$3: checkpoint requests since $2 (port ${4:-any})"
}

# counter PREFIX NAME: one /colo/stats counter.
counter() {
    e2e_tel "$1" /colo/stats "$t/stat.json"
    e2e_py get "$t/stat.json" "d['/colo/stats']['$2']"
}

ckpts() {
    counter "$1" checkpoint_requests
}

# fetch PORT OUT [curl options]: one transfer from the VM; curl's status in FETCH_RC.
fetch() {
    _port=$1
    _out=$2
    shift 2
    FETCH_RC=0
    ip netns exec $NS_CLI timeout 120 curl -sS --max-time 110 -o "$_out" "$@" \
        "http://$VM_IP:$_port/" 2>>"$t/curl.log" || FETCH_RC=$?
}

# The same transfer in the background: its pid in FETCH_PID, status in $2.rc.
fetch_bg() {
    (
        fetch "$@"
        echo "$FETCH_RC" >"$2.rc"
    ) &
    FETCH_PID=$!
}

intact() {
    [ "$FETCH_RC" -eq 0 ] || e2e_fail "$2: curl exited with $FETCH_RC: $(tail -n 1 "$t/curl.log")"
    cmp -s "$1" "$t/body.bin" || e2e_fail "$2: the data differs from the file"
}

size_ok() {
    [ "$FETCH_RC" -eq 0 ] || e2e_fail "$2: curl exited with $FETCH_RC: $(tail -n 1 "$t/curl.log")"
    [ "$(stat -c %s "$1")" -eq $SIZE ] || e2e_fail "$2: $(stat -c %s "$1") bytes, not $SIZE"
}

# Let a background transfer reach its middle: at least @2 bytes written.
wait_bytes() {
    for _i in $(seq 100); do
        [ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    e2e_fail "the transfer did not reach $2 bytes"
}

finish_bg() {
    wait "$FETCH_PID" || true
    FETCH_RC=$(cat "$1.rc")
}

# ---- pair 1: comparison, bypass, and the primary role's failover ----
pair 1
s='d["/colo/stats"]'

# Deterministic content: the SVM's stream, mapped, equals the PVM's.
base=$(settle "$P_PFX")
for i in 1 2 3; do
    fetch 8080 "$t/file$i.bin"
    intact "$t/file$i.bin" "deterministic transfer $i"
done
no_new_ckpt "$P_PFX" "$base" "deterministic content"
e2e_tel "$P_PFX" /colo/stats "$t/p_det.json"
e2e_tel "$S_PFX" /colo/stats "$t/s_det.json"
e2e_py check "$t/p_det.json" \
    "${s}['release_match'] >= 3 * $SIZE // 1448" "${s}['syn_mirror_tx'] >= 3"
e2e_py check "$t/s_det.json" "${s}['rewriter_learned'] >= 3" "${s}['rewriter_timestamps'] > 0" \
    "${s}['syn_mirror_rx'] >= 3" "${s}['rewrite_hold_expired'] == 0"
echo "deterministic: 3 x $SIZE bytes intact, 0 checkpoint requests" >&2

# Random bytes on a compared port: the VMs differ, checkpoints are asked for.
base=$(settle "$P_PFX")
fetch 8081 "$t/rand1.bin"
size_ok "$t/rand1.bin" "random transfer"
rand_ckpts=$(($(ckpts "$P_PFX") - base))
[ "$rand_ckpts" -gt 0 ] || e2e_fail "random content asked for no checkpoint"
echo "random: $SIZE bytes, $rand_ckpts checkpoint requests" >&2

# Bypass from the INI file: random bytes on 8082 leave uncompared.
e2e_tel "$P_PFX" /colo/bypass "$t/bypass0.json"
e2e_py check "$t/bypass0.json" 'd["/colo/bypass"]["rules"] == ["proto=tcp,dport=8082"]'
base=$(settle "$P_PFX")
fetch 8082 "$t/rand2.bin"
size_ok "$t/rand2.bin" "bypassed transfer"
no_new_ckpt "$P_PFX" "$base" "flow bypassed by the INI file" 8082
e2e_tel "$P_PFX" /colo/stats "$t/p_byp.json"
e2e_py check "$t/p_byp.json" \
    "${s}['release_bypass'] >= $SIZE // 1448" "${s}['discard_bypass'] > 0"

# At run time: the rule moves to 8081, and 8082 is compared again.
e2e_tel "$P_PFX" "/colo/bypass,proto=tcp,dport=8081" "$t/bypass1.json"
e2e_py check "$t/bypass1.json" 'd["/colo/bypass"]["rules"] == ["proto=tcp,dport=8081"]' \
    '"error" not in d["/colo/bypass"]'
e2e_tel "$P_PFX" "/colo/bypass,proto=tcp,dport=99999" "$t/bypass_bad.json"
e2e_py check "$t/bypass_bad.json" '"99999" in d["/colo/bypass"]["error"]' \
    'd["/colo/bypass"]["rules"] == ["proto=tcp,dport=8081"]'
base=$(settle "$P_PFX")
fetch 8081 "$t/rand3.bin"
size_ok "$t/rand3.bin" "transfer bypassed at run time"
no_new_ckpt "$P_PFX" "$base" "flow bypassed at run time" 8081
fetch 8082 "$t/rand4.bin"
size_ok "$t/rand4.bin" "transfer no longer bypassed"
[ "$(ckpts "$P_PFX")" -gt "$base" ] || e2e_fail "a flow no longer bypassed was not compared"
e2e_tel "$P_PFX" /colo/bypass,clear "$t/bypass2.json"
e2e_py check "$t/bypass2.json" 'd["/colo/bypass"]["nb_rules"] == 0'
echo "bypass: from the INI file and at run time, 0 checkpoint requests when bypassed" >&2

# The secondary host dies mid-transfer: the primary fails over on COLO_FAILOVER.
fetch_bg 8080 "$t/fo1.bin" --limit-rate 400k
wait_bytes "$t/fo1.bin" 300000
kill -KILL "$S_REAL"
e2e_wait "$S_PID"
timeout 20 python3 "$COLO_SRCDIR/tests/e2e/notify_client.py" --timeout 10 "unix:$t/p1.sock" \
    init failover sleep=0.2 close || e2e_fail "COLO_FAILOVER was not taken"
finish_bg "$t/fo1.bin"
intact "$t/fo1.bin" "transfer across the primary's failover"
e2e_tel "$P_PFX" /colo/failover "$t/p_fo.json"
e2e_py check "$t/p_fo.json" 'd["/colo/failover"]["failed_over"] == 1'
e2e_tel "$P_PFX" /colo/stats "$t/p_fo_stats.json"
e2e_py check "$t/p_fo_stats.json" "${s}['failovers'] == 1" "${s}['release_failover'] > 0" \
    "${s}['notify_failover_received'] == 1"
fetch 8080 "$t/after_fo1.bin"
intact "$t/after_fo1.bin" "new connection after the primary's failover"
echo "primary failover: the transfer went on, $SIZE bytes intact" >&2
e2e_stop "$P_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "the primary exited with $E2E_RC after SIGTERM"

# ---- pair 2: the secondary takes over ----
pair 2
fetch_bg 8080 "$t/fo2.bin" --limit-rate 400k
wait_bytes "$t/fo2.bin" 300000
kill -KILL "$P_REAL"
e2e_wait "$P_PID"
e2e_tel "$S_PFX" /colo/failover,now "$t/s_fo_req.json"
e2e_py check "$t/s_fo_req.json" 'd["/colo/failover"]["requested"] == 1'
finish_bg "$t/fo2.bin"
intact "$t/fo2.bin" "transfer across the secondary's takeover"
e2e_tel "$S_PFX" /colo/stats "$t/s_fo.json"
e2e_py check "$t/s_fo.json" "${s}['failovers'] == 1" "${s}['svm_to_outbound'] > 0" \
    "${s}['rewriter_rewritten'] > 0"
# New connections after the takeover pass untouched, and work.
fetch 8080 "$t/after_fo2.bin"
intact "$t/after_fo2.bin" "new connection after the takeover"
e2e_tel "$S_PFX" /colo/stats "$t/s_new.json"
e2e_py check "$t/s_new.json" "${s}['rewriter_not_learning'] > 0"
echo "secondary takeover: the transfer went on, $SIZE bytes intact" >&2
e2e_stop "$S_PID"
[ "$E2E_RC" -eq 0 ] || e2e_fail "the secondary exited with $E2E_RC after SIGTERM"

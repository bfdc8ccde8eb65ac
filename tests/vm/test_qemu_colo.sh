#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# COLO with real VMs: two QEMU guests (tests/vm/mkguest.sh), a PVM and an SVM
# with the same MAC and IP, each on a net_vhost port (vhost-user) of its own
# colo-proxy: a primary-role proxy beside the PVM and a secondary-role proxy
# beside the SVM, linked by net_memif. A client network namespace reaches
# both proxies' outbound net_tap ports through a bridge, like a shared
# segment (the layout of test_netns_colo.sh, with QEMU instead of the VM
# namespaces). curl downloads the guests' fixed 1 MB file and uploads 1 MB;
# the test asserts the data intact (SHA-256 on the client, and in both
# guests' upload reports), no checkpoint request for identical content, and
# conservation in both proxies' final counters.
#
#   test_qemu_colo.sh [VARIANT]
#     default    the proxies' default settings: one queue pair, no TSO
#     tso        net_vhost tso=1 and guest offloads on
#     mq         net_vhost queues=2, guests with mq=on, 2 queue pairs, 2 vCPUs
#     svm_kill   the SVM's QEMU killed mid-transfer and booted again; the
#                transfer finishes and new transfers are intact
#
# Placement (2 CPUs): each proxy's busy-polling worker has a CPU of its own
# (primary CPU 0, secondary CPU 1); the QEMU processes are not pinned and
# take the time the pollers leave (TCG guests mostly idle). COLO_VM_QEMU_CPUS
# pins them (a taskset list) to measure other placements; COLO_VM_XFER_SECS
# bounds each transfer (140 s), COLO_VM_SECS every process (280 s);
# COLO_VM_KEEP=DIR keeps the logs.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
. "$COLO_SRCDIR/tests/vm/lib.sh"
export PYTHONDONTWRITEBYTECODE=1
variant=${1:-default}
case $variant in
default | tso | mq | svm_kill) ;;
*) echo "unknown variant $variant" >&2; exit 2 ;;
esac
e2e_init "qemu_colo_$variant"
for tool in ip curl taskset dpdk-telemetry.py; do
    command -v "$tool" >/dev/null 2>&1 || e2e_fail "$tool not installed"
done
[ "$(nproc)" -ge 2 ] || e2e_fail "needs two CPUs: one busy-polling lcore per proxy"
t0=$(date +%s)
vm_init
echo "guest: $VM_GUEST (ready in $(($(date +%s) - t0)) s)" >&2

t=$E2E_TMP
id=$(($$ % 100000))
NS_CLI=colo_qcli_$id
VM_IP=10.77.0.2
VM_MAC=52:54:00:c0:10:02
CLI_IP=10.77.0.1
CLI_MAC=52:54:00:c0:10:01
QEMU_CPUS=${COLO_VM_QEMU_CPUS:-}
# The bound of one curl transfer (a stalled flow fails the test after it).
XFER_SECS=${COLO_VM_XFER_SECS:-140}
# The bound of every process (meson stops the test at 300 s anyway).
PROC_SECS=${COLO_VM_SECS:-280}
s='d["/colo/stats"]'

# Variant knobs: the net_vhost devargs and the guests' options.
VHOST_ARGS=""
GUEST_OPTS="arp=$CLI_IP@$CLI_MAC"
case $variant in
tso)
    VHOST_ARGS=",tso=1"
    GUEST_OPTS="$GUEST_OPTS offload=on"
    ;;
mq)
    VHOST_ARGS=",queues=2"
    GUEST_OPTS="$GUEST_OPTS queues=2"
    ;;
esac
[ -z "$QEMU_CPUS" ] || GUEST_OPTS="$GUEST_OPTS cpus=$QEMU_CPUS"
GUEST_OPTS="$GUEST_OPTS secs=$PROC_SECS"

ns_cleanup() {
    _rc=$?
    set +e
    for pid in $(ip netns pids "$NS_CLI" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$NS_CLI" 2>/dev/null || true
    # COLO_VM_KEEP=DIR keeps a copy of every log and console of the run,
    # the proxies' final counters included.
    if [ -n "${COLO_VM_KEEP:-}" ]; then
        for pid in $E2E_PIDS; do
            kill -TERM "$pid" 2>/dev/null || true
        done
        sleep 3
        cp -a "$t" "$COLO_VM_KEEP" 2>/dev/null || true
    fi
    if [ "$_rc" -ne 0 ]; then
        # The live counters of both proxies at the failure, before they stop.
        for pfx in "${P_PFX:-}" "${S_PFX:-}"; do
            [ -n "$pfx" ] || continue
            for cmd in /colo/stats /ethdev/stats,0 /ethdev/stats,1 /ethdev/stats,2; do
                e2e_tel "$pfx" "$cmd" "$t/dump.json"
                echo "---- $pfx $cmd: $(e2e_py get "$t/dump.json" \
                    "{k: v for k, v in list(d.values())[0].items() if v}" 2>/dev/null)" >&2
            done
        done
        for f in "$t"/*.console; do
            [ -f "$f" ] || continue
            echo "---- $f (last 20 lines)" >&2
            tail -n 20 "$f" >&2
        done
    fi
    (exit $_rc)
    e2e_cleanup
}
trap ns_cleanup EXIT
ip netns add "$NS_CLI" 2>/dev/null || e2e_fail "cannot create network namespaces"
ip netns exec "$NS_CLI" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
ip -n $NS_CLI link set lo up
ip -n $NS_CLI link add br0 type bridge ageing_time 0
ip -n $NS_CLI link set br0 address $CLI_MAC
ip -n $NS_CLI addr add $CLI_IP/24 dev br0
ip -n $NS_CLI link set br0 up

# What the client uploads: 1 MB from another seed than the guests' file.
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(1717).randbytes(1 << 20))' \
    >"$t/up.bin"
UP_SUM=$(sha256sum <"$t/up.bin" | cut -d' ' -f1)
UP_SIZE=$(stat -c %s "$t/up.bin")

# proxies: the primary (PVM's vhost-user socket) on CPU 0, the secondary
# (SVM's) on CPU 1; their outbound taps join the client's bridge.
proxies() {
    P_PFX=$(e2e_prefix p)
    S_PFX=$(e2e_prefix s)
    tp=q${id}p
    ts=q${id}s
    rm -f "$t/memif.sock"
    # shellcheck disable=SC2046
    e2e_start primary "$PROC_SECS" "$COLO_PROXY" $(e2e_eal "$P_PFX") --lcores 0@0,1@0 \
        --vdev "net_vhost0,iface=$t/pvm.sock$VHOST_ARGS" \
        --vdev "net_memif0,role=server,socket=$t/memif.sock" \
        --vdev "net_tap1,iface=${tp}o" -- \
        --primary 0 --secondary 1 --outbound 2 --link-syn-mirror on \
        --notify "unix:$t/p.sock" --stats-json "$t/p_final.json"
    P_PID=$E2E_PID
    e2e_wait_telemetry "$P_PFX"
    # shellcheck disable=SC2046
    e2e_start secondary "$PROC_SECS" "$COLO_PROXY" $(e2e_eal "$S_PFX") --lcores 0@1,1@1 \
        --vdev "net_vhost0,iface=$t/svm.sock$VHOST_ARGS" \
        --vdev "net_memif0,role=client,socket=$t/memif.sock" \
        --vdev "net_tap1,iface=${ts}o" -- \
        --role secondary --svm 0 --link 1 --outbound 2 \
        --notify "unix:$t/s.sock" --stats-json "$t/s_final.json"
    S_PID=$E2E_PID
}

# plumb: once the link is up, the outbound taps join the client's bridge.
plumb() {
    e2e_wait_telemetry "$S_PFX"
    # By the clock, not by tries: a telemetry round trip can take seconds.
    _end=$(($(date +%s) + 60))
    until e2e_tel "$S_PFX" /ethdev/link_status,1 "$t/link.json" &&
        [ "$(e2e_py get "$t/link.json" 'd["/ethdev/link_status"]["status"]' 2>/dev/null)" = UP ]; do
        [ "$(date +%s)" -lt $_end ] || { cat "$t/link.json" >&2; e2e_fail "the link never came up"; }
        sleep 0.2
    done
    for dev in "${tp}o" "${ts}o"; do
        ip link set "$dev" netns $NS_CLI
        ip -n $NS_CLI link set "$dev" master br0
        ip -n $NS_CLI link set "$dev" up
    done
    ip -n $NS_CLI neigh replace $VM_IP lladdr $VM_MAC dev br0 nud permanent
}

# guests: boot the PVM and the SVM (same MAC and IP) on the proxies' sockets.
guests() {
    tb=$(date +%s)
    # shellcheck disable=SC2086
    vm_start pvm "$t/pvm.sock" $VM_MAC $VM_IP/24 $GUEST_OPTS
    # shellcheck disable=SC2086
    vm_start svm "$t/svm.sock" $VM_MAC $VM_IP/24 $GUEST_OPTS
}


guests_ready() {
    vm_wait_ready pvm 150
    vm_wait_ready svm 150
    echo "guests ready in $(($(date +%s) - tb)) s: $(grep -h '^colo-guest:' "$t/pvm.console")" >&2
}

# since START [END]: seconds from START (date +%s.%N) to END or now.
since() {
    awk "BEGIN { printf \"%.1f\", ${2:-$(date +%s.%N)} - $1 }"
}

# counter PREFIX NAME: one /colo/stats counter. Telemetry is retried: on a
# loaded machine dpdk-telemetry.py may time out once.
counter() {
    for _c in 1 2 3 4 5; do
        e2e_tel "$1" /colo/stats "$t/stat.json"
        e2e_py get "$t/stat.json" "d['/colo/stats']['$2']" 2>/dev/null && return 0
        sleep 1
    done
    cat "$t/stat.json" >&2
    e2e_fail "no /colo/stats from $1"
}

# losses: the client frames a VM port refused so far, on both proxies.
losses() {
    echo "ingress_drop $(counter "$P_PFX" ingress_drop)" \
        "client_tx_drop $(counter "$S_PFX" client_tx_drop)"
}

ckpts() {
    counter "$P_PFX" checkpoint_requests
}

# download OUT [curl options]: GET the guest's file; curl's status in RC.
download() {
    _out=$1
    shift
    RC=0
    ip netns exec $NS_CLI timeout $((XFER_SECS + 10)) curl -sS --max-time $XFER_SECS -o "$_out" "$@" \
        "http://$VM_IP/cgi-bin/file" 2>>"$t/curl.log" || RC=$?
}

# download_bg OUT [curl options]: the same in the background; pid in BG_PID.
download_bg() {
    (
        download "$@"
        echo "$RC" >"$1.rc"
    ) &
    BG_PID=$!
}

download_wait() {
    wait "$BG_PID" || true
    RC=$(cat "$1.rc")
}

# intact FILE WHAT: curl succeeded and FILE is the guests' file.
intact() {
    [ "$RC" -eq 0 ] || e2e_fail "$2: curl exited with $RC: $(tail -n 1 "$t/curl.log")"
    _sum=$(sha256sum <"$1" | cut -d' ' -f1)
    [ "$_sum" = "$VM_FILE_SHA256" ] ||
        e2e_fail "$2: $(stat -c %s "$1") bytes, SHA-256 $_sum, want $VM_FILE_SIZE bytes $VM_FILE_SHA256"
}

# upload N: POST up.bin; the PVM's answer (the one the client gets) must
# carry its size and hash, and the PVM must have recorded upload N so. The
# SVM must have recorded it too (its SVM_N-th), unless it missed client data:
# a frame its port refused (client_tx_drop) or its own TCP dropped (a slower
# guest's full receive window). The client resends only what the PVM did not
# acknowledge, so the SVM then lacks data until a checkpoint, which the
# primary must have asked for (checked by transfers).
upload() {
    _drop0=$(counter "$S_PFX" client_tx_drop)
    RC=0
    ip netns exec $NS_CLI timeout $((XFER_SECS + 10)) curl -sS --max-time $XFER_SECS -H 'Expect:' \
        -H 'Content-Type: application/octet-stream' --data-binary "@$t/up.bin" \
        -o "$t/up$1.reply" "http://$VM_IP/cgi-bin/up" 2>>"$t/curl.log" || RC=$?
    [ "$RC" -eq 0 ] || e2e_fail "upload $1: curl exited with $RC: $(tail -n 1 "$t/curl.log")"
    [ "$(cat "$t/up$1.reply")" = "$UP_SIZE $UP_SUM" ] ||
        e2e_fail "upload $1: the PVM received '$(cat "$t/up$1.reply")', want '$UP_SIZE $UP_SUM'"
    vm_uploads pvm | grep -q "^colo-upload $1 $UP_SIZE $UP_SUM" ||
        e2e_fail "upload $1: pvm reports '$(vm_uploads pvm | tail -n 1)'"
    _n=0
    until vm_uploads svm | grep -q "^colo-upload $((SVM_N + 1)) $UP_SIZE $UP_SUM"; do
        if [ $_n -ge 100 ]; then
            _drop1=$(counter "$S_PFX" client_tx_drop)
            echo "upload $1: the SVM lacks the data until a checkpoint (its port refused" \
                "$((_drop1 - _drop0)) client frames meanwhile, client_tx_drop)" >&2
            SVM_LOST=1
            return 0
        fi
        sleep 0.1
        _n=$((_n + 1))
    done
    SVM_N=$((SVM_N + 1))
}

# The checkpoint requests of the primary once they stop moving for a second.
settle() {
    _last=-1
    _same=0
    for _i in $(seq 60); do
        _now=$(ckpts)
        if [ "$_now" = "$_last" ]; then
            _same=$((_same + 1))
            [ $_same -lt 2 ] || { echo "$_now"; return 0; }
        else
            _same=0
        fi
        _last=$_now
        sleep 0.5
    done
    e2e_fail "checkpoint requests never settled"
}

no_new_ckpt() {
    _now=$(ckpts)
    [ "$_now" -eq "$1" ] && return 0
    e2e_tel "$P_PFX" /colo/checkpoints,16 "$t/why.json"
    cat "$t/why.json" >&2
    e2e_fail "$2: $((_now - $1)) checkpoint requests for identical content"
}

# transfers WHAT N: N downloads and N uploads, all intact, no checkpoint
# request (at least one if the SVM missed client data, see upload).
transfers() {
    SVM_LOST=0
    _base=$(settle)
    _tt=$(date +%s)
    for _i in $(seq "$2"); do
        _ts=$(date +%s.%N)
        download "$t/dl_$1_$_i.bin"
        intact "$t/dl_$1_$_i.bin" "$1: download $_i"
        _tu=$(date +%s.%N)
        UPLOADS=$((UPLOADS + 1))
        upload $UPLOADS
        echo "$1: download $_i $(since "$_ts" "$_tu") s, upload $_i $(since "$_tu") s;" \
            "$(losses)" >&2
    done
    echo "$1: $2 x $VM_FILE_SIZE bytes down and $2 x $UP_SIZE up intact in" \
        "$(($(date +%s) - _tt)) s" >&2
    if [ "$SVM_LOST" -eq 0 ]; then
        no_new_ckpt "$_base" "$1"
    else
        [ "$(settle)" -gt "$_base" ] ||
            e2e_fail "$1: the SVM missed client data and no checkpoint was requested"
    fi
}

# finish: both proxies stop on SIGTERM with every frame accounted for.
finish() {
    e2e_stop "$P_PID"
    [ "$E2E_RC" -eq 0 ] || e2e_fail "the primary exited with $E2E_RC after SIGTERM"
    e2e_stop "$S_PID"
    [ "$E2E_RC" -eq 0 ] || e2e_fail "the secondary exited with $E2E_RC after SIGTERM"
    for side in p s; do
        e2e_py check "$t/${side}_final.json" "d['conservation_ok'] is True" \
            "d['primary_queued'] == 0 and d['secondary_queued'] == 0" \
            "d['primary_rx'] == d['released'] + sum(d['dropped'].values())" ||
            { cat "$t/${side}_final.json" >&2; e2e_fail "$side: counters do not add up"; }
        echo "$side: $(e2e_py get "$t/${side}_final.json" \
            "'primary_rx %d released %d dropped %s discarded %s tx_retry %d' % (d['primary_rx'], \
            d['released'], {k: v for k, v in d['dropped'].items() if v}, \
            {k: v for k, v in d['discarded'].items() if v}, d.get('tx_retry', 0))")" >&2
    done
}

# ---- the variants ----
UPLOADS=0
SVM_N=0

variant_default() {
    transfers default 3
}

variant_tso() {
    transfers tso 3
}

variant_mq() {
    transfers mq 3
}

# The SVM dies in the middle of a download and boots again: the download
# finishes intact (the primary holds or releases, by its policy), new
# transfers are intact once the new SVM serves.
variant_svm_kill() {
    transfers before_kill 1
    _tk=$(date +%s)
    download_bg "$t/kill.bin" --limit-rate 200k
    _n=0
    until [ -f "$t/kill.bin" ] && [ "$(stat -c %s "$t/kill.bin")" -ge 300000 ]; do
        [ $_n -lt 600 ] || e2e_fail "the transfer did not reach 300000 bytes"
        sleep 0.1
        _n=$((_n + 1))
    done
    vm_kill svm
    echo "svm killed at $(stat -c %s "$t/kill.bin") bytes" >&2
    sleep 2
    # shellcheck disable=SC2086
    vm_start svm "$t/svm.sock" $VM_MAC $VM_IP/24 $GUEST_OPTS
    vm_wait_ready svm 150
    echo "svm back after $(($(date +%s) - _tk)) s" >&2
    download_wait "$t/kill.bin"
    intact "$t/kill.bin" "download across the SVM's death"
    echo "download across the SVM's death: intact in $(($(date +%s) - _tk)) s" >&2
    # The new SVM has no record of the earlier uploads: count afresh there.
    UPLOADS=0
    SVM_N=0
    PVM_BASE=$(vm_uploads pvm | wc -l)
    download "$t/after_kill.bin"
    intact "$t/after_kill.bin" "download after the SVM's restart"
    upload_after_restart
}

# The PVM numbers uploads on, the new SVM from 1: check each against its own count.
upload_after_restart() {
    RC=0
    ip netns exec $NS_CLI timeout $((XFER_SECS + 10)) curl -sS --max-time $XFER_SECS -H 'Expect:' \
        -H 'Content-Type: application/octet-stream' --data-binary "@$t/up.bin" \
        -o "$t/up_after.reply" "http://$VM_IP/cgi-bin/up" 2>>"$t/curl.log" || RC=$?
    [ "$RC" -eq 0 ] || e2e_fail "upload after restart: curl exited with $RC"
    [ "$(cat "$t/up_after.reply")" = "$UP_SIZE $UP_SUM" ] ||
        e2e_fail "upload after restart: the PVM received '$(cat "$t/up_after.reply")'"
    vm_uploads pvm | grep -q "^colo-upload $((PVM_BASE + 1)) $UP_SIZE $UP_SUM" ||
        e2e_fail "upload after restart: pvm reports '$(vm_uploads pvm | tail -n 1)'"
    _n=0
    until vm_uploads svm | grep -q "^colo-upload 1 $UP_SIZE $UP_SUM"; do
        [ $_n -lt 100 ] || e2e_fail "upload after restart: svm reports '$(vm_uploads svm)'"
        sleep 0.1
        _n=$((_n + 1))
    done
}

# The guests boot while the proxies come up and link.
proxies
guests
plumb
echo "proxies up: $(losses)" >&2
guests_ready
echo "guests up: $(losses)" >&2
"variant_$variant"
finish
echo "qemu_colo $variant: passed in $(($(date +%s) - t0)) s" >&2

# SPDX-License-Identifier: BSD-3-Clause
# Real QEMU guests for the end-to-end tests, sourced after tests/e2e/lib.sh
# by `sh -eu` scripts: processes start through e2e_start (bounded by
# timeout, stopped by PID in the e2e trap, also when a test fails) and
# every file lives in $E2E_TMP.
#
#   vm_init                    QEMU and the guest (tests/vm/mkguest.sh, cached)
#                              or fail: a real-VM test never skips for them
#   vm_start NAME SOCK MAC IP/LEN [key=value...]
#                              boot a guest on the vhost-user socket SOCK (the
#                              DPDK side is the server); keys:
#                                cpus=LIST   taskset CPU list of QEMU (default all)
#                                queues=N    queue pairs (N > 1: mq=on, -smp N)
#                                offload=on|off  guest tx csum/sg/tso/gso/gro
#                                arp=IP@MAC[,...] neighbours pinned in the guest
#                                mtu=N, secs=N (timeout, default 280)
#   vm_wait_ready NAME [SECS]  until the guest serves (ready marker on its console)
#   vm_pid NAME                the QEMU process (not its timeout wrapper)
#   vm_kill NAME               SIGKILL QEMU, like a host losing the VM
#   vm_uploads NAME            the "colo-upload N SIZE SHA256" lines of its console
#   vm_qemu_cmd ...            print the QEMU command line vm_start runs
#
# QEMU 7.2 under TCG (KVM does not work on these machines) segfaults in
# msix_set_vector_notifiers as soon as a vhost-user virtio-net-pci device
# starts with MSI-X; vectors=0 gives the device INTx and avoids it, with one
# queue pair or several (mq=on). vhost-user needs the guest's memory in a
# shared memfd and a NUMA node over it, so the backend can map it.

VM_NAMES=""

vm_init() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 ||
        e2e_fail "qemu-system-x86_64 not installed (scripts/setup.sh installs qemu-system-x86)"
    VM_GUEST=$("$COLO_SRCDIR/tests/vm/mkguest.sh" 2>"$E2E_TMP/mkguest.log") || {
        cat "$E2E_TMP/mkguest.log" >&2
        e2e_fail "the test guest could not be built (tests/vm/mkguest.sh)"
    }
    VM_FILE_SHA256=$(cat "$VM_GUEST/file.sha256")
    VM_FILE_SIZE=$(stat -c %s "$VM_GUEST/file.bin")
}

# vm_qemu_cmd NAME SOCK MAC IP/LEN QUEUES APPEND_EXTRA CONSOLE
vm_qemu_cmd() {
    _vm_mq=""
    [ "$5" -le 1 ] || _vm_mq=",mq=on"
    echo qemu-system-x86_64 -name "$1" -accel tcg -cpu max -smp "$5" -m 256M \
        -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
        -nodefaults -no-user-config -display none -no-reboot \
        -kernel "$VM_GUEST/vmlinuz" -initrd "$VM_GUEST/initrd.gz" \
        -append "'console=ttyS0 quiet panic=-1 no_timer_check tsc=reliable ipv6.disable=1 net.ifnames=0 mitigations=off colo.ip=$4 $6'" \
        -chardev "socket,id=vu0,path=$2,reconnect=1" \
        -netdev "vhost-user,id=net0,chardev=vu0,queues=$5" \
        -device "virtio-net-pci,netdev=net0,mac=$3,vectors=0,rx_queue_size=1024,tx_queue_size=1024,romfile=$_vm_mq" \
        -chardev "file,id=ser0,path=$7" -serial chardev:ser0
}

vm_start() {
    _vm_name=$1
    _vm_sock=$2
    _vm_mac=$3
    _vm_ip=$4
    shift 4
    _vm_cpus=""
    _vm_queues=1
    _vm_secs=280
    _vm_extra=""
    for _vm_kv in "$@"; do
        case $_vm_kv in
        cpus=*) _vm_cpus=${_vm_kv#cpus=} ;;
        queues=*) _vm_queues=${_vm_kv#queues=} ;;
        secs=*) _vm_secs=${_vm_kv#secs=} ;;
        offload=* | arp=* | mtu=*) _vm_extra="$_vm_extra colo.$_vm_kv" ;;
        *) e2e_fail "vm_start: unknown option $_vm_kv" ;;
        esac
    done
    [ "$_vm_queues" -le 1 ] || _vm_extra="$_vm_extra colo.queues=$_vm_queues"
    # QEMU exits when the backend's socket is missing at start.
    _vm_n=0
    until [ -S "$_vm_sock" ]; do
        [ $_vm_n -lt 300 ] || e2e_fail "guest $_vm_name: no vhost-user socket $_vm_sock"
        sleep 0.1
        _vm_n=$((_vm_n + 1))
    done
    _vm_con="$E2E_TMP/$_vm_name.console"
    rm -f "$_vm_con"
    _vm_cmd=$(vm_qemu_cmd "$_vm_name" "$_vm_sock" "$_vm_mac" "$_vm_ip" "$_vm_queues" \
        "${_vm_extra# }" "$_vm_con")
    echo "$_vm_cmd" >"$E2E_TMP/$_vm_name.cmd"
    if [ -n "$_vm_cpus" ]; then
        eval "e2e_start vm_$_vm_name $_vm_secs taskset -c $_vm_cpus $_vm_cmd"
    else
        eval "e2e_start vm_$_vm_name $_vm_secs $_vm_cmd"
    fi
    eval "VM_WRAP_$_vm_name=$E2E_PID"
    VM_NAMES="$VM_NAMES $_vm_name"
}

vm_wrapper() {
    eval "echo \${VM_WRAP_$1:?no guest $1}"
}

vm_pid() {
    ps -o pid= --ppid "$(vm_wrapper "$1")" | tr -d ' '
}

vm_wait_ready() {
    _vm_con="$E2E_TMP/$1.console"
    _vm_n=0
    _vm_limit=$((${2:-120} * 10))
    while [ $_vm_n -lt $_vm_limit ]; do
        if grep -q '^COLO-GUEST-READY' "$_vm_con" 2>/dev/null; then
            return 0
        fi
        if grep -q '^COLO-GUEST-FAIL' "$_vm_con" 2>/dev/null; then
            cat "$_vm_con" >&2
            e2e_fail "guest $1: $(grep '^COLO-GUEST-FAIL' "$_vm_con")"
        fi
        if ! kill -0 "$(vm_wrapper "$1")" 2>/dev/null; then
            cat "$E2E_TMP/vm_$1.log" "$_vm_con" >&2 2>/dev/null || true
            e2e_fail "QEMU of guest $1 exited before the guest was ready"
        fi
        sleep 0.1
        _vm_n=$((_vm_n + 1))
    done
    cat "$_vm_con" >&2 2>/dev/null || true
    e2e_fail "guest $1 not ready after ${2:-120} s"
}

vm_kill() {
    _vm_pid=$(vm_pid "$1")
    [ -z "$_vm_pid" ] || kill -KILL "$_vm_pid" 2>/dev/null || true
    e2e_wait "$(vm_wrapper "$1")"
}

vm_uploads() {
    grep '^colo-upload ' "$E2E_TMP/$1.console" 2>/dev/null || true
}

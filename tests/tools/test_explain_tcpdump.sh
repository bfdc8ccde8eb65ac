#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# colo-explain on real tcpdump captures: the frames of two shipped cases are
# sent through veth pairs in a private network namespace and captured by
# tcpdump (the primary in nanosecond pcap, the secondary in microsecond
# pcap), then explained. Needs root, ip, tcpdump; exit 77 skips otherwise.
# meson passes COLO_EXPLAIN and COLO_SRCDIR. Under CI=true or
# COLO_REQUIRE_ALL=1 a skip is a failure.
skip() {
    if [ "${CI:-}" = true ] || [ "${COLO_REQUIRE_ALL:-0}" = 1 ]; then
        echo "SKIP not allowed (CI=true or COLO_REQUIRE_ALL=1): colo_explain_tcpdump: $*" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null && command -v tcpdump >/dev/null || skip "needs ip and tcpdump"

ns=colo_explain_$$
tmp=$(mktemp -d)
pids=""
cleanup() {
    for pid in $pids; do
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ip netns add "$ns" || skip "cannot create a network namespace"
in_ns() {
    ip netns exec "$ns" "$@"
}
for side in p s; do
    in_ns ip link add "${side}a" type veth peer name "${side}b"
    for end in a b; do
        # No IPv6 on the veths: its router and MLD chatter is not ours.
        in_ns sysctl -qw "net.ipv6.conf.${side}${end}.disable_ipv6=1"
        in_ns ip link set "${side}${end}" up
    done
done
# A veth drops what is sent before its carrier is up.
n=0
until [ "$(in_ns cat /sys/class/net/pa/operstate /sys/class/net/sa/operstate)" = "up
up" ]; do
    n=$((n + 1))
    [ $n -lt 100 ] || { echo "FAIL: veths did not come up" >&2; exit 1; }
    sleep 0.1
done

# explain_case CASE EXPECTED_EXIT: capture CASE as it crosses the veths.
explain_case() {
    out="$tmp/$1"
    mkdir -p "$out"
    chmod 777 "$out" # tcpdump drops to its own user before writing
    pids=""
    # Not through in_ns: $! must be tcpdump itself, not a subshell.
    ip netns exec "$ns" tcpdump -i pb -U -q --immediate-mode --time-stamp-precision=nano \
        -w "$out/primary.pcap" 2>"$out/tcpdump_p.log" &
    pids="$pids $!"
    ip netns exec "$ns" tcpdump -i sb -U -q --immediate-mode -w "$out/secondary.pcap" \
        2>"$out/tcpdump_s.log" &
    pids="$pids $!"
    n=0
    until grep -qs listening "$out/tcpdump_p.log" && grep -qs listening "$out/tcpdump_s.log"; do
        n=$((n + 1))
        [ $n -lt 100 ] || { echo "FAIL: tcpdump did not start" >&2; exit 1; }
        sleep 0.1
    done
    in_ns python3 - "$COLO_SRCDIR/pcaps/$1" <<'PY'
import socket, struct, sys, time
def frames(path):
    d = open(path, 'rb').read()
    off, out = 24, []
    while off < len(d):
        caplen = struct.unpack_from('<I', d, off + 8)[0]
        out.append(d[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out
socks = []
for side, ifname in (('primary', 'pa'), ('secondary', 'sa')):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    socks.append((s, frames('%s/%s.pcap' % (sys.argv[1], side))))
(sp, fp), (ss, fs) = socks
for i in range(max(len(fp), len(fs))):
    if i < len(fp):
        sp.send(fp[i])
    time.sleep(0.001)
    if i < len(fs):
        ss.send(fs[i])
    time.sleep(0.001)
PY
    # tcpdump stops at SIGINT; let it read what the kernel holds first.
    sleep 1
    for pid in $pids; do
        kill -INT "$pid"
        wait "$pid" || true
    done
    pids=""
    rc=0
    "$COLO_EXPLAIN" --json "$out/primary.pcap" "$out/secondary.pcap" >"$out/report.json" || rc=$?
    [ "$rc" -eq "$2" ] || { echo "FAIL: $1: exit $rc, expected $2" >&2; cat "$out/report.json" >&2; exit 1; }
}

explain_case udp_identical 0
python3 - "$tmp/udp_identical/report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d['inputs']['primary']['frames'] == 3, d['inputs']
assert d['inputs']['secondary']['frames'] == 3, d['inputs']
assert d['checkpoints'] == [], d['checkpoints']
PY

explain_case tcp_payload_differs 1
python3 - "$tmp/tcp_payload_differs/report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c, = d['checkpoints']
# As in test_colo_explain.py: payload byte 150 of the third data segment.
assert (c['reason'], c['offset'], c['tcp_seq']) == ('mismatch_tcp', 204, 1000751), c
assert c['conn'] == 'tcp 10.0.0.1:80 > 10.0.0.2:40000', c
assert c['primary']['frame'] == 4 and c['secondary']['frame'] == 4, c
assert c['secondary']['offset'] == 204, c
PY
echo "ok: colo-explain on tcpdump captures"

#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# The vhost-user figure of docs/performance.md. A generator process
# (dpdk-testpmd txonly on two virtio_user ports) feeds the primary and the
# secondary vhost-user ports of colo-proxy; the outbound port is a net_null
# sink. Then the same generator feeds dpdk-testpmd io-forward over the same
# two vhost-user ports into net_null sinks. Both rates come from counters
# read twice over SECONDS through telemetry.
#
#   tools/bench_vhost.sh [BUILD_DIR [SECONDS [FRAME_SIZE]]]
#
# Two CPUs: the forwarding lcore of the server (colo-proxy or testpmd) on
# CPU 1, the generator's on CPU 0, each main lcore on the other CPU, where
# it sleeps. Prints one JSON object. Needs root (vhost sockets, /var/run/dpdk).
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
secs=${2:-5}
size=${3:-64}
proxy=$build/app/colo-proxy
[ -x "$proxy" ] || { echo "no $proxy: build first" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed" >&2; exit 1; }
command -v dpdk-telemetry.py >/dev/null || { echo "dpdk-telemetry.py not installed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/colo_bench_vhost.XXXXXX)
pfx=colo_bench_vhost_$$
pids=""
cleanup() {
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 1
    for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$tmp" /var/run/dpdk/"$pfx"_*
}
trap cleanup EXIT INT TERM
# virtio_user may write to a socket whose server has gone.
trap '' PIPE
eal="--no-pci --no-huge -m 512 --log-level=lib.eal:warning"

tel() {
    echo "$2" | timeout 10 dpdk-telemetry.py -f "$1" 2>/dev/null
}

# Sum of the values of KEY in telemetry command CMD... of prefix P.
counter() {
    p=$1
    key=$2
    shift 2
    for cmd in "$@"; do
        tel "$p" "$cmd"
    done | /usr/bin/python3 -c '
import json, sys
key, total = sys.argv[1], 0
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        for v in json.loads(line).values():
            total += v.get(key, 0)
print(total)' "$key"
}

wait_socks() {
    n=0
    while [ ! -S "$tmp/p.sock" ] || [ ! -S "$tmp/s.sock" ]; do
        n=$((n + 1))
        [ $n -lt 100 ] || { echo "vhost sockets did not appear" >&2; exit 1; }
        sleep 0.1
    done
}

gen_start() {
    # shellcheck disable=SC2086
    dpdk-testpmd $eal --file-prefix "${pfx}_gen" --lcores 0@1,1@0 \
        --vdev "net_virtio_user0,path=$tmp/p.sock" \
        --vdev "net_virtio_user1,path=$tmp/s.sock" -- \
        --forward-mode=txonly --txpkts="$size" --nb-cores=1 --stats-period 100 \
        --total-num-mbufs=16384 >"$tmp/gen.log" 2>&1 &
    gen=$!
    pids="$pids $gen"
}

# rate PREFIX KEY CMD...: per second over $secs, after a second of warm-up.
rate() {
    sleep 2
    a=$(counter "$@")
    t0=$(date +%s.%N)
    sleep "$secs"
    b=$(counter "$@")
    t1=$(date +%s.%N)
    /usr/bin/python3 -c "import sys; print(($b - $a) / ($t1 - $t0))"
}

stop() {
    kill -INT "$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# colo-proxy: primary and secondary on vhost-user, outbound into a sink.
rm -f "$tmp"/*.sock
# shellcheck disable=SC2086
"$proxy" $eal --file-prefix "${pfx}_proxy" --lcores 0@0,1@1 \
    --vdev "net_vhost0,iface=$tmp/p.sock" --vdev "net_vhost1,iface=$tmp/s.sock" \
    --vdev "net_null0,no-rx=1" -- \
    --primary net_vhost0 --secondary net_vhost1 --outbound net_null0 \
    --ingress-mirror off >"$tmp/proxy.log" 2>&1 &
srv=$!
pids="$pids $srv"
wait_socks
gen_start
proxy_pairs=$(rate "${pfx}_proxy" released /colo/stats)
tel "${pfx}_proxy" /colo/stats >"$tmp/proxy_stats.json"
stop "$gen"
stop "$srv"

# testpmd io-forward over the same vhost-user ports: vhost0 -> null0, vhost1 -> null1.
rm -f "$tmp"/*.sock
# shellcheck disable=SC2086
dpdk-testpmd $eal --file-prefix "${pfx}_io" --lcores 0@0,1@1 \
    --vdev "net_vhost0,iface=$tmp/p.sock" --vdev "net_null0,no-rx=1" \
    --vdev "net_vhost1,iface=$tmp/s.sock" --vdev "net_null1,no-rx=1" -- \
    --forward-mode=io --port-topology=paired --nb-cores=1 --stats-period 100 \
    --total-num-mbufs=16384 >"$tmp/io.log" 2>&1 &
srv=$!
pids="$pids $srv"
wait_socks
gen_start
io_frames=$(rate "${pfx}_io" opackets /ethdev/stats,1 /ethdev/stats,3)
stop "$gen"
stop "$srv"

/usr/bin/python3 - "$proxy_pairs" "$io_frames" "$size" "$tmp/proxy_stats.json" <<'EOF'
import json, sys
pairs, frames, size = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
st = list(json.load(open(sys.argv[4])).values())[0]
load = open("/proc/loadavg").read().split()[0]
print(json.dumps({
    "frame_size": size,
    "pairs_per_sec": round(pairs),
    "baseline_pps": round(frames),
    "ratio": round(pairs / (frames / 2), 3) if frames else 0,
    "checkpoint_requests": st["checkpoint_requests"],
    "primary_rx": st["primary_rx"], "secondary_rx": st["secondary_rx"],
    "released": st["released"], "primary_dropped": st["primary_dropped"],
    "conservation_ok": st["conservation_ok"], "loadavg": load,
}))
EOF

#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Makes the example outputs of docs/observability.md from real runs of
# colo-proxy, and its pictures: docs/img/hold_time.png (tools/colo-latency-plot)
# and docs/img/observability.png (graphviz, from docs/observability.dot).
#
#   docs/examples/make.sh BUILD_DIR OUT_DIR      as root, from the source tree
#
# The traffic: 200 UDP flows of 20 datagrams. The secondary VM answers flow 7
# differently from its 11th datagram on, and never answers flows 190 to 199. Run "monitor"
# flushes at every request (no notify peer); run "hold" keeps the queues as
# they are while a checkpoint is outstanding.
build=$(cd "$1" && pwd)
out=$2
src=$(pwd)
proxy="$build/app/colo-proxy"
mkdir -p "$out"
obs() {
    python3 "$src/tests/e2e/obs.py" "$@"
}
tel() {
    echo "$2" | dpdk-telemetry.py -f "$1" >"$3"
}
wait_tel() {
    n=0
    until [ -S "/var/run/dpdk/$1/dpdk_telemetry.v2" ] && tel "$1" /colo/config /dev/null; do
        n=$((n + 1))
        [ $n -lt 100 ] || { echo "no telemetry from $1" >&2; exit 1; }
        sleep 0.1
    done
}
run() {
    name=$1
    shift
    "$proxy" --no-pci --no-huge -m 256 --file-prefix "doc_$name" --log-level=lib.eal:warning \
        --lcores 0@0,1@1 --vdev "net_pcap0,rx_pcap=$out/primary.pcap" \
        --vdev "net_pcap1,rx_pcap=$out/secondary.pcap" \
        --vdev "net_pcap2,tx_pcap=$out/outbound_$name.pcap" -- \
        --compare-timeout 200 --expired-scan-cycle 100 \
        --divergence-pcap "$out/divergence_$name.pcapng" \
        --stats-json "$out/stats_$name.json" "$@" >"$out/proxy_$name.log" 2>&1 &
    pid=$!
    wait_tel "doc_$name"
    sleep 2
}

obs flows "$out/primary.pcap" 200 per=20
obs flows "$out/secondary.pcap" 200 per=20 differ=7:10 skip=190,191,192,193,194,195,196,197,198,199

run monitor
tel doc_monitor /colo/checkpoints,3 "$out/checkpoints.json"
tel doc_monitor /colo/stats "$out/stats.json"
tel doc_monitor /colo/latency "$out/latency.json"
tel doc_monitor /colo/ports "$out/ports.json"
tel doc_monitor /help,/colo/conns "$out/help_conns.json"
python3 "$src/tools/colo-exporter" --listen 127.0.0.1:9478 --file-prefix doc_monitor \
    >"$out/exporter.log" 2>&1 &
exporter=$!
sleep 1
curl -s http://127.0.0.1:9478/metrics >"$out/metrics.txt"
kill "$exporter"
kill -INT "$pid"
wait "$pid" || true
python3 "$src/tools/colo-divergence" "$out/divergence_monitor.pcapng" \
    >"$out/divergence_monitor.txt" || true

run hold --no-peer-policy hold
tel doc_hold /colo/stats "$out/stats_hold_tel.json"
tel doc_hold /colo/checkpoints,3 "$out/checkpoints_hold.json"
tel doc_hold /colo/conns,5 "$out/conns.json"
tel doc_hold /colo/conns,3,age "$out/conns_age.json"
tel doc_hold "/colo/conn,$(obs key 7)" "$out/conn.json"
tel doc_hold "/colo/conn,$(obs key 195)" "$out/conn_timeout.json"
kill -INT "$pid"
wait "$pid" || true
python3 "$src/tools/colo-divergence" "$out/divergence_hold.pcapng" \
    >"$out/divergence_hold.txt" || true

mkdir -p "$src/docs/img"
plot_python=python3
[ -x /usr/bin/python3 ] && plot_python=/usr/bin/python3
$plot_python "$src/tools/colo-latency-plot" "$out/latency.json" "$src/docs/img/hold_time.png" \
    --title "colo-proxy hold time: 4000 UDP frames, one flow diverging, ten never answered"
if command -v dot >/dev/null 2>&1; then
    dot -Tpng -Gdpi=96 "$src/docs/observability.dot" -o "$src/docs/img/observability.png"
fi
echo "examples in $out"

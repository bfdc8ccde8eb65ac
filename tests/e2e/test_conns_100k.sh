#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# /colo/conns with 100,000 connections held in the table: the top 40 and
# the next page come back complete, ranked, and within telemetry's 16 KiB
# reply, even with the longest keys (IPv6, two VLAN tags); /colo/conn finds
# one of them by key. The compare lcore builds every answer; telemetry
# never walks the table.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init conns_100k

t=$E2E_TMP
obs() {
    python3 "$COLO_SRCDIR/tests/e2e/obs.py" "$@"
}

# 100,000 flows from the primary alone; the first 45 (IPv6, VLAN-tagged)
# send 3 datagrams, the others 1. Hold policy and a long compare_timeout:
# everything stays queued.
nb=100000
obs flows "$t/primary.pcap" $nb deep=45:3 v6=45
obs flows "$t/secondary.pcap" 0
top=$(obs key 0 v6=45)

# Enough mbufs for every frame and a table for every flow; rte_malloc needs
# the memory too (about 330 MB of mbufs): -m 1024.
e2e_start proxy 120 "$COLO_PROXY" --no-pci --no-huge -m 1024 --file-prefix "$E2E_PREFIX" \
    --log-level=lib.eal:warning --lcores 0@0,1@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- \
    --compare-timeout 600000 --no-peer-policy hold \
    --max-conns 131072 --nb-mbufs 131071 --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/stats_tel.json" \
    "d['/colo/stats']['conns_active'] == $nb and d['/colo/stats']['primary_queued'] == $nb + 90" 60

# The raw reply, as the socket delivers it: its size is what the limit is about.
c='d["/colo/conns"]'
obs tel "$E2E_PREFIX" /colo/conns,40 "$t/top.json"
size=$(stat -c %s "$t/top.json")
[ "$size" -lt 16384 ] || e2e_fail "/colo/conns,40 is $size bytes"
e2e_py check "$t/top.json" \
    "$c['conns'] == $nb and $c['capacity'] == 131072 and $c['shown'] == 40" \
    "sorted(int(k[5:]) for k in $c if k.startswith('conn_')) == list(range(1, 41))" \
    "all($c['conn_%d' % i]['primary_queued'] == 3 for i in range(1, 41))" \
    "all($c['conn_%d' % i]['key'].startswith('udp [fd00:') for i in range(1, 41))" \
    "all(' vlan 40' in $c['conn_%d' % i]['key'] for i in range(1, 41))" \
    "len({$c['conn_%d' % i]['key'] for i in range(1, 41)}) == 40"

# The next page: the last 5 deep flows, then single frames.
obs tel "$E2E_PREFIX" /colo/conns,40,queue,1 "$t/page1.json"
size=$(stat -c %s "$t/page1.json")
[ "$size" -lt 16384 ] || e2e_fail "/colo/conns,40,queue,1 is $size bytes"
e2e_py check "$t/page1.json" \
    "sorted(int(k[5:]) for k in $c if k.startswith('conn_')) == list(range(41, 81))" \
    "[$c['conn_%d' % i]['primary_queued'] for i in range(41, 81)] == [3] * 5 + [1] * 35"
top1=$(e2e_py get "$t/top.json" "$c['conn_1']['key']")

# The deep flows have the oldest frames too, and /colo/conn finds one by key.
obs tel "$E2E_PREFIX" /colo/conns,40,age "$t/age.json"
e2e_py check "$t/age.json" \
    "all($c['conn_%d' % i]['held_ms'] > 0 for i in range(1, 41))"
# A command is at most 56 characters: IPv6 keys are asked for by id.
id=$(e2e_py get "$t/top.json" "[v['id'] for v in $c.values() if isinstance(v, dict) and v['key'] == '$top'][0]")
e2e_tel "$E2E_PREFIX" "/colo/conn,$id" "$t/conn.json"
e2e_py check "$t/conn.json" \
    "d['/colo/conn']['key'] == '$top'" "d['/colo/conn']['primary_queued'] == 3" \
    "len(d['/colo/conn']['primary_frames']) == 3"
last=$(obs key $((nb - 1)))
e2e_tel "$E2E_PREFIX" "/colo/conn,$last" "$t/conn_last.json"
e2e_py check "$t/conn_last.json" "d['/colo/conn']['key'] == '$last'" \
    "d['/colo/conn']['primary_queued'] == 1"
e2e_log "top connection $top1; replies of $(stat -c %s "$t/top.json") and $size bytes"

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
e2e_py check "$t/stats.json" "d['conservation_ok'] is True" "d['released'] == $nb + 90" \
    "d['dropped']['ring_full'] == 0"

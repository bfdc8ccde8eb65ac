#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# dpdk-telemetry.py against a running proxy: /colo/conns (ranking, pages,
# sorts, bad parameters), /colo/conn by key and by id, /colo/ports,
# /colo/latency and the /help of every /colo/ command; then the hold times
# in --stats-json, and --log-level=colo:debug reaching the colo.* log types;
# then the same views merged over two compare shards.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init observability
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
obs() {
    python3 "$COLO_SRCDIR/tests/e2e/obs.py" "$@"
}

# Flows 0..3 send 1, 2, 3 and 4 datagrams; the secondary sends flows 0 and
# 1 only, so flows 2 and 3 keep 3 and 4 primaries queued (hold policy, a
# compare_timeout longer than the test).
obs flows "$t/primary.pcap" 4 per=1,2,3,4
obs flows "$t/secondary.pcap" 4 per=1,2,3,4 skip=2,3
k3=$(obs key 3)
k2=$(obs key 2)

# shellcheck disable=SC2046
e2e_start proxy 60 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --log-level=colo:debug \
    --vdev "net_pcap0,rx_pcap=$t/primary.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound.pcap" -- \
    --compare-timeout 60000 --no-peer-policy hold --stats-json "$t/stats.json"
pid=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/stats_tel.json" \
    'd["/colo/stats"]["primary_queued"] == 7 and d["/colo/stats"]["released"] == 3'

# Ranked by frames queued: flow 3, then flow 2, then the matched flows.
e2e_tel "$E2E_PREFIX" /colo/conns "$t/conns.json"
c='d["/colo/conns"]'
e2e_py check "$t/conns.json" \
    "$c['conns'] == 4" "$c['capacity'] == 16384" "$c['shards'] == 1" \
    "$c['sort'] == 'queue'" "$c['n'] == 20" "$c['page'] == 0" "$c['shown'] == 4" \
    "$c['conn_1']['key'] == '$k3'" "$c['conn_1']['primary_queued'] == 4" \
    "$c['conn_1']['secondary_queued'] == 0" "$c['conn_1']['state'] == 'holding'" \
    "$c['conn_1']['proto'] == 'udp'" "$c['conn_1']['verified_bytes'] == 0" \
    "$c['conn_1']['held_ms'] >= $c['conn_1']['idle_ms']" \
    "$c['conn_2']['key'] == '$k2'" "$c['conn_2']['primary_queued'] == 3" \
    "$c['conn_3']['primary_queued'] == 0 and $c['conn_3']['state'] == 'idle'" \
    "$c['conn_3']['verified_bytes'] > 0 and $c['conn_3']['held_ms'] == 0" \
    "sorted(v['key'] for k, v in $c.items() if k.startswith('conn_')) == sorted(['$(obs key 0)', '$(obs key 1)', '$k2', '$k3'])" \
    "all(__import__('re').fullmatch('[a-z0-9_]+', k) for k in $c)"

# Pages of two, the second one; the other sorts.
e2e_tel "$E2E_PREFIX" /colo/conns,2,queue,1 "$t/page.json"
e2e_py check "$t/page.json" \
    "sorted(k for k in $c if k.startswith('conn_')) == ['conn_3', 'conn_4']" \
    "$c['shown'] == 2 and $c['page'] == 1 and $c['n'] == 2"
e2e_tel "$E2E_PREFIX" /colo/conns,age "$t/age.json"
e2e_py check "$t/age.json" "$c['sort'] == 'age'" \
    "{$c['conn_1']['key'], $c['conn_2']['key']} == {'$k2', '$k3'}" \
    "$c['conn_3']['held_ms'] == 0"
e2e_tel "$E2E_PREFIX" /colo/conns,1,idle "$t/idle.json"
e2e_py check "$t/idle.json" "$c['sort'] == 'idle'" "$c['shown'] == 1"
for bad in /colo/conns,0 /colo/conns,41 /colo/conns,bogus /colo/conns,20,queue,60 \
        /colo/conns,1,2,3; do
    e2e_tel "$E2E_PREFIX" "$bad" "$t/bad.json"
    e2e_py check "$t/bad.json" "d['/colo/conns'] is None" || e2e_fail "$bad accepted"
done

# One connection by key, then by the id /colo/conns gave it.
e2e_tel "$E2E_PREFIX" "/colo/conn,$k3" "$t/conn.json"
o='d["/colo/conn"]'
e2e_py check "$t/conn.json" \
    "$o['key'] == '$k3'" "$o['shard'] == 0" "$o['state'] == 'holding'" \
    "$o['flags'] == 'busy'" "$o['primary_queued'] == 4" "$o['secondary_queued'] == 0" \
    "$o['primary_bytes'] == 4 * 69" "$o['secondary_bytes'] == 0" \
    "$o['primary_held_ms'] > 0 and $o['secondary_held_ms'] == 0" \
    "len($o['primary_frames']) == 4 and $o['secondary_frames'] == []" \
    "all(f.startswith('len 69 payload 27 held_ms ') for f in $o['primary_frames'])"
id=$(e2e_py get "$t/conns.json" "$c['conn_1']['id']")
e2e_tel "$E2E_PREFIX" "/colo/conn,$id" "$t/conn_id.json"
e2e_py check "$t/conn_id.json" "$o['key'] == '$k3'" "$o['id'] == '$id'"
e2e_tel "$E2E_PREFIX" "/colo/conn,${id#0:}" "$t/conn_index.json"
e2e_py check "$t/conn_index.json" "$o['key'] == '$k3'"
e2e_tel "$E2E_PREFIX" "/colo/conn,udp 10.9.9.9:1 > 10.9.9.9:2" "$t/none.json"
e2e_py check "$t/none.json" "$o == {'error': 'no such connection'}"
for bad in /colo/conn "/colo/conn,udp 10.9.9.9:1" /colo/conn,1:2:3 /colo/conn,9:0; do
    e2e_tel "$E2E_PREFIX" "$bad" "$t/bad.json"
    e2e_py check "$t/bad.json" "d['/colo/conn'] is None or d['/colo/conn'] == {'error': 'no such connection'}" ||
        e2e_fail "$bad accepted"
done

# Ports by role, with ethdev and colo-proxy counters.
e2e_tel "$E2E_PREFIX" /colo/ports "$t/ports.json"
r='d["/colo/ports"]'
e2e_py check "$t/ports.json" \
    "sorted($r) == ['outbound', 'primary', 'secondary']" \
    "$r['primary']['port_id'] == 0 and $r['primary']['name'] == 'net_pcap0'" \
    "$r['primary']['driver'] == 'net_pcap' and $r['primary']['link_up'] == 1" \
    "$r['primary']['ipackets'] == 10 and $r['primary']['colo_rx'] == 10" \
    "$r['primary']['ibytes'] == 10 * 69" \
    "$r['secondary']['ipackets'] == 3 and $r['secondary']['colo_rx'] == 3" \
    "$r['outbound']['opackets'] == 3 and $r['outbound']['colo_tx'] == 3" \
    "$r['outbound']['obytes'] == 3 * 69 and $r['outbound']['colo_tx_retry'] == 0"

# Hold times of the three released frames.
e2e_tel "$E2E_PREFIX" /colo/latency "$t/latency.json"
l='d["/colo/latency"]'
e2e_py check "$t/latency.json" \
    "$l['unit'] == 'us'" \
    "sorted(k for k in $l if k != 'unit') == sorted(['tcp', 'udp', 'icmp', 'other', 'nonip', 'all'])" \
    "$l['udp']['count'] == 3 and $l['all']['count'] == 3 and $l['tcp']['count'] == 0" \
    "sum(v for k, v in $l['udp'].items() if k[:3] in ('lt_', 'ge_')) == 3" \
    "len([k for k in $l['udp'] if k[:3] in ('lt_', 'ge_')]) == 32" \
    "0 < $l['udp']['p50_us'] <= $l['udp']['p99_us'] <= $l['udp']['p999_us']" \
    "$l['udp']['sum_us'] <= 3 * $l['udp']['p999_us']"

# Every /colo/ command has help.
e2e_tel "$E2E_PREFIX" / "$t/cmds.json"
for cmd in $(e2e_py get "$t/cmds.json" "' '.join(c for c in d['/'] if c.startswith('/colo/'))"); do
    e2e_tel "$E2E_PREFIX" "/help,$cmd" "$t/help.json"
    e2e_py check "$t/help.json" "len(d['/help']['$cmd']) > 20" || e2e_fail "no help for $cmd"
done
e2e_py check "$t/cmds.json" \
    "all(c in d['/'] for c in ('/colo/conns', '/colo/conn', '/colo/ports', '/colo/latency'))"

e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
# At shutdown the held frames are released too: ten hold times in all.
e2e_py check "$t/stats.json" \
    "d['conservation_ok'] is True" "d['released'] == 10" \
    "d['latency_udp']['count'] == 10 and d['latency_all']['count'] == 10" \
    "d['latency_tcp'] == {'count': 0, 'sum_us': 0, 'p50_us': 0, 'p99_us': 0, 'p999_us': 0}" \
    "d['latency_all']['p999_us'] >= d['latency_all']['p50_us'] > 0"
# colo:debug reached the colo log type and, through it, the modules.
grep -q "level 8 applied to the colo.\* log types" "$E2E_TMP/proxy.log" ||
    e2e_fail "--log-level=colo:debug did not reach the colo.* log types"

# Two compare shards (an outbound TX queue each): the listing merges them,
# a key is found on whichever shard has it, the histograms add up. Flows
# 0..7 send 1..8 datagrams; the secondary skips flows 5..7, and its frame 2
# of flow 4 differs.
obs flows "$t/primary2.pcap" 8 per=1,2,3,4,5,6,7,8
obs flows "$t/secondary2.pcap" 8 per=1,2,3,4,5,6,7,8 skip=5,6,7 differ=4:2
p2=$(e2e_prefix shards)
# shellcheck disable=SC2046
e2e_start proxy2 60 "$COLO_PROXY" $(e2e_eal "$p2") --lcores 0@0,1@1,2@1 \
    --vdev "net_pcap0,rx_pcap=$t/primary2.pcap" \
    --vdev "net_pcap1,rx_pcap=$t/secondary2.pcap" \
    --vdev "net_pcap2,tx_pcap=$t/outbound2a.pcap,tx_pcap=$t/outbound2b.pcap" -- \
    --compare-timeout 60000 --no-peer-policy hold --compare-lcores 2
pid=$E2E_PID
e2e_wait_telemetry "$p2"
e2e_tel_until "$p2" /colo/stats "$t/stats2.json" \
    'd["/colo/stats"]["released"] == 12 and d["/colo/stats"]["primary_queued"] == 24'
e2e_tel "$p2" /colo/conns "$t/conns2.json"
e2e_py check "$t/conns2.json" \
    "$c['shards'] == 2 and $c['conns'] == 8 and $c['shown'] == 8" \
    "{v['id'].split(':')[0] for k, v in $c.items() if k.startswith('conn_')} == {'0', '1'}" \
    "[sum($c['conn_%d' % i][s + '_queued'] for s in ('primary', 'secondary')) for i in range(1, 6)] == [8, 7, 6, 6, 0]" \
    "$c['conn_1']['key'] == '$(obs key 7)'" \
    "sorted($c['conn_%d' % i]['state'] for i in (3, 4)) == ['diverged', 'holding']"
e2e_tel "$p2" "/colo/conn,$(obs key 4)" "$t/conn2.json"
e2e_py check "$t/conn2.json" "$o['state'] == 'diverged'" "$o['primary_queued'] == 3" \
    "$o['secondary_queued'] == 3" "$o['verified_bytes'] == 2 * 27"
e2e_tel "$p2" /colo/latency "$t/latency2.json"
e2e_py check "$t/latency2.json" "$l['udp']['count'] == 12"
e2e_stop "$pid"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy (two shards) exited with $E2E_RC"

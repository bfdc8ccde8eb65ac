#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/colo-exporter against a fake DPDK telemetry socket.

The fake server speaks DPDK 22.11's telemetry v2 as measured against
dpdk-testpmd: SOCK_SEQPACKET, a greeting JSON on connect, one JSON reply
{"<command>": data} per command, null for unknown commands or bad
parameters. The test scrapes the exporter over loopback HTTP and checks
OpenMetrics names, labels, types and values, then the socket going away.
meson passes COLO_EXPORTER (the script).
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

EXPORTER = os.environ.get('COLO_EXPORTER',
                          os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                                       'colo-exporter'))

# What colo-proxy's /colo/stats answers (app/obs/report.c), abridged but with
# each kind of entry: plain counters, every reason family, gauges, the
# string-typed active_seconds and the nested groups the exporter skips.
STATS = {
    'primary_rx': 1200, 'secondary_rx': 1190, 'released': 1195,
    'checkpoint_requests': 3, 'checkpoint_coalesced': 7, 'flushes': 3,
    'parse_err_ip4_ihl': 2, 'parse_err_runt': 0,
    'drop_ring_full': 0, 'drop_queue_full': 5,
    'discard_match': 1180, 'discard_flush': 10,
    'release_match': 1180, 'release_flush': 15,
    'trigger_mismatch_tcp': 9, 'trigger_timeout_primary': 1,
    'notify_requests_sent': 3,
    'conns_active': 42, 'primary_queued': 0, 'secondary_queued': 0,
    'primary_dropped': 5, 'secondary_discarded': 1190,
    'conservation_ok': 1, 'uptime_ms': 61500, 'active_seconds': '59.250000',
    'dropped': {'ring_full': 0, 'queue_full': 5},
    'discarded': {'match': 1180, 'flush': 10},
}
CHECKPOINTS = {
    'total': 3, 'outstanding': 1, 'epoch': 2, 'coalesced': 7, 'flushes': 2,
    'no_peer_policy': 'flush', 'peer': 0,
    'last': [{'id': 3, 'reason': 'mismatch_tcp', 'conn': 'tcp 10.0.0.1:80 > 10.0.0.2:40000',
              'offset': 204, 'tcp_seq': 1000751, 'epoch': 2, 'time_ms': 61000,
              'age_ms': 500}],
}
# /colo/latency (app/obs/latency.c), two rows and four of the 32 buckets:
# udp has 3 frames below 2 us, 1 in [2, 4) us and 1 in the open last bucket.
LATENCY = {
    'unit': 'us',
    'udp': {'count': 5, 'sum_us': 1073741830, 'p50_us': 2, 'p99_us': 1073741824,
            'p999_us': 1073741824, 'lt_1': 0, 'lt_2': 3, 'lt_4': 1, 'lt_1073741824': 0,
            'ge_1073741824': 1},
    'all': {'count': 5, 'sum_us': 1073741830, 'p50_us': 2, 'p99_us': 1073741824,
            'p999_us': 1073741824, 'lt_1': 0, 'lt_2': 3, 'lt_4': 1, 'lt_1073741824': 0,
            'ge_1073741824': 1},
}
CONFIG = {'compare_timeout': '3000', 'layout': 'split', 'primary_port_id': 0,
          'secondary_port_id': 1, 'outbound_port_id': 2}
PORTS = {0: 'net_pcap0', 1: 'net_pcap1', 2: 'net_pcap2'}


def ethdev_stats(port):
    return {'ipackets': 1000 + port, 'opackets': 10 * port, 'ibytes': 64000 + port,
            'obytes': 640 * port, 'imissed': 0, 'ierrors': port, 'oerrors': 0,
            'rx_nombuf': 0, 'q_ipackets': [1000 + port] + [0] * 15,
            'q_opackets': [0] * 16, 'q_ibytes': [0] * 16, 'q_obytes': [0] * 16,
            'q_errors': [0] * 16}


def answer(cmd):
    """The data DPDK would put under the command's name."""
    name, _, param = cmd.partition(',')
    if name == '/':
        return ['/', '/colo/checkpoints', '/colo/config', '/colo/latency', '/colo/stats',
                '/eal/params',
                '/ethdev/info', '/ethdev/list', '/ethdev/stats', '/help', '/info']
    if name == '/colo/stats':
        return STATS
    if name == '/colo/checkpoints':
        return CHECKPOINTS
    if name == '/colo/config':
        return CONFIG
    if name == '/colo/latency':
        return LATENCY
    if name == '/ethdev/list':
        return sorted(PORTS)
    if name in ('/ethdev/stats', '/ethdev/info') and param.isdigit() \
            and int(param) in PORTS:
        port = int(param)
        if name == '/ethdev/stats':
            return ethdev_stats(port)
        return {'name': PORTS[port], 'state': 1, 'port_id': port, 'mtu': 1500}
    return None


class FakeTelemetry:
    """A DPDK telemetry v2 socket with canned answers; counts commands."""

    def __init__(self, path):
        self.path = path
        self.commands = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.client, args=(conn,), daemon=True).start()

    def client(self, conn):
        with conn:
            conn.send(json.dumps({'version': 'DPDK 22.11.11', 'pid': 4242,
                                  'max_output_len': 16384},
                                 separators=(',', ':')).encode())
            while True:
                try:
                    data = conn.recv(1024)
                except OSError:
                    return
                if not data:
                    return
                cmd = data.decode()
                self.commands.append(cmd)
                reply = {cmd.partition(',')[0]: answer(cmd)}
                conn.send(json.dumps(reply, separators=(',', ':')).encode())

    def close(self):
        self.sock.close()
        os.unlink(self.path)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """OpenMetrics text -> ({(name, labels): value}, {family: type}); checks the syntax."""
    samples, types = {}, {}
    lines = text.split('\n')
    assert lines[-1] == '' and lines[-2] == '# EOF', 'must end with "# EOF\\n"'
    family = None
    for line in lines[:-2]:
        if line.startswith('# TYPE '):
            _, _, name, mtype = line.split(' ')
            assert name not in types, 'family %s twice' % name
            types[name] = mtype
            family = name
            continue
        if line.startswith('# HELP '):
            assert line.split(' ')[2] == family
            continue
        m = SAMPLE.match(line)
        assert m, 'bad sample line: %r' % line
        name, labels, value = m.groups()
        suffixes = {'counter': ('_total',), 'info': ('_info',),
                    'histogram': ('_bucket', '_count', '_sum')}.get(types[family], ('',))
        assert name in [family + x for x in suffixes], \
            '%s outside its family %s' % (name, family)
        key = (name, labels or '')
        assert key not in samples, 'sample %s twice' % (key,)
        samples[key] = float(value)
    return samples, types


class Exporter(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.sock_path = os.path.join(self.tmp.name, 'dpdk_telemetry.v2')
        self.fake = FakeTelemetry(self.sock_path)
        self.proc = subprocess.Popen(
            [sys.executable, EXPORTER, '--listen', '127.0.0.1:0', '--socket',
             self.sock_path], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r'http://127\.0\.0\.1:(\d+)/metrics', line)
        self.assertIsNotNone(m, line)
        self.url = 'http://127.0.0.1:%s' % m.group(1)

    def tearDown(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        if os.path.exists(self.sock_path):
            self.fake.close()
        self.tmp.cleanup()

    def scrape(self, path='/metrics'):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return r.status, r.headers['Content-Type'], r.read().decode()

    def test_scrape(self):
        status, ctype, body = self.scrape()
        self.assertEqual(status, 200)
        self.assertEqual(ctype, 'application/openmetrics-text; version=1.0.0; charset=utf-8')
        s, types = parse(body)
        expect = {
            ('colo_up', ''): 1,
            ('colo_telemetry_info', '{version="DPDK 22.11.11",pid="4242"}'): 1,
            # plain counters
            ('colo_primary_rx_total', ''): 1200,
            ('colo_secondary_rx_total', ''): 1190,
            ('colo_released_total', ''): 1195,
            ('colo_checkpoint_requests_total', ''): 3,
            ('colo_checkpoint_coalesced_total', ''): 7,
            ('colo_notify_requests_sent_total', ''): 3,
            ('colo_primary_dropped_total', ''): 5,
            # reason families
            ('colo_parse_err_total', '{reason="ip4_ihl"}'): 2,
            ('colo_parse_err_total', '{reason="runt"}'): 0,
            ('colo_drop_total', '{reason="ring_full"}'): 0,
            ('colo_drop_total', '{reason="queue_full"}'): 5,
            ('colo_discard_total', '{reason="match"}'): 1180,
            ('colo_discard_total', '{reason="flush"}'): 10,
            ('colo_release_total', '{reason="match"}'): 1180,
            ('colo_release_total', '{reason="flush"}'): 15,
            ('colo_trigger_total', '{reason="mismatch_tcp"}'): 9,
            ('colo_trigger_total', '{reason="timeout_primary"}'): 1,
            # gauges
            ('colo_conns_active', ''): 42,
            ('colo_primary_queued', ''): 0,
            ('colo_secondary_queued', ''): 0,
            ('colo_conservation_ok', ''): 1,
            ('colo_uptime_seconds', ''): 61.5,
            ('colo_active_seconds', ''): 59.25,
            ('colo_checkpoint_outstanding', ''): 1,
            ('colo_checkpoint_epoch', ''): 2,
            ('colo_notify_peer_connected', ''): 0,
            # ports, with their role from /colo/config
            ('colo_ethdev_port_info', '{port="0",name="net_pcap0",role="primary"}'): 1,
            ('colo_ethdev_port_info', '{port="1",name="net_pcap1",role="secondary"}'): 1,
            ('colo_ethdev_port_info', '{port="2",name="net_pcap2",role="outbound"}'): 1,
            ('colo_ethdev_ipackets_total', '{port="0"}'): 1000,
            ('colo_ethdev_ipackets_total', '{port="2"}'): 1002,
            ('colo_ethdev_opackets_total', '{port="2"}'): 20,
            ('colo_ethdev_ibytes_total', '{port="1"}'): 64001,
            ('colo_ethdev_obytes_total', '{port="2"}'): 1280,
            ('colo_ethdev_ierrors_total', '{port="1"}'): 1,
            ('colo_ethdev_rx_nombuf_total', '{port="0"}'): 0,
            # hold times: cumulative buckets in seconds, +Inf, count and sum
            ('colo_hold_time_seconds_bucket', '{proto="udp",le="1e-06"}'): 0,
            ('colo_hold_time_seconds_bucket', '{proto="udp",le="2e-06"}'): 3,
            ('colo_hold_time_seconds_bucket', '{proto="udp",le="4e-06"}'): 4,
            ('colo_hold_time_seconds_bucket', '{proto="udp",le="1073.741824"}'): 4,
            ('colo_hold_time_seconds_bucket', '{proto="udp",le="+Inf"}'): 5,
            ('colo_hold_time_seconds_count', '{proto="udp"}'): 5,
            ('colo_hold_time_seconds_sum', '{proto="udp"}'): 1073.74183,
            ('colo_hold_time_quantile_seconds', '{proto="udp",quantile="0.5"}'): 2e-06,
            ('colo_hold_time_quantile_seconds', '{proto="udp",quantile="0.999"}'):
                1073.741824,
        }
        for key, value in expect.items():
            self.assertIn(key, s)
            self.assertEqual(s[key], value, key)
        for fam in ('colo_drop', 'colo_discard', 'colo_release', 'colo_trigger',
                    'colo_parse_err', 'colo_primary_rx', 'colo_ethdev_ipackets'):
            self.assertEqual(types[fam], 'counter', fam)
        for fam in ('colo_up', 'colo_conns_active', 'colo_primary_queued',
                    'colo_uptime_seconds', 'colo_checkpoint_outstanding'):
            self.assertEqual(types[fam], 'gauge', fam)
        self.assertEqual(types['colo_ethdev_port'], 'info')
        self.assertEqual(types['colo_hold_time_seconds'], 'histogram')
        self.assertEqual(types['colo_hold_time_quantile_seconds'], 'gauge')
        # "all" is the sum of the rows: left to PromQL.
        self.assertFalse(any('proto="all"' in labels for _, labels in s))
        # Every metric is colo_*; the nested groups and the per-queue
        # arrays are not exported; the reason counters are not duplicated.
        self.assertTrue(all(name.startswith('colo_') for name, _ in s))
        names = {name for name, _ in s}
        self.assertFalse(any('dropped_total' in n and n != 'colo_primary_dropped_total'
                             for n in names))
        self.assertFalse(any('q_' in n for n in names))
        self.assertNotIn('colo_drop_ring_full_total', names)
        self.assertNotIn('colo_uptime_ms', names)
        # One scrape, one connection: the commands it needed.
        self.assertIn('/colo/stats', self.fake.commands)
        self.assertIn('/ethdev/stats,2', self.fake.commands)

    def test_values_follow_the_proxy(self):
        STATS['primary_rx'] += 5
        try:
            s, _ = parse(self.scrape()[2])
            self.assertEqual(s[('colo_primary_rx_total', '')], 1205)
        finally:
            STATS['primary_rx'] -= 5

    def test_socket_gone(self):
        self.fake.close()
        status, _, body = self.scrape()
        self.assertEqual(status, 200)
        s, _ = parse(body)
        # The exporter's own counter of refused requests stays.
        self.assertEqual(s, {('colo_up', ''): 0, ('colo_exporter_http_refused_total', ''): 0})

    def test_other_paths(self):
        status, _, body = self.scrape('/')
        self.assertEqual(status, 200)
        self.assertIn('/metrics', body)
        with self.assertRaises(urllib.error.HTTPError) as e:
            self.scrape('/nope')
        self.assertEqual(e.exception.code, 404)


    def test_hostile_http(self):
        """Anything but a GET/HEAD of a short path with headers only is refused
        with its status, counted, and changes nothing (docs/security.md)."""
        port = int(self.url.rsplit(':', 1)[1])
        requests = [
            (b'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 501),
            (b'PUT /metrics HTTP/1.0\r\n\r\n', 501),
            (b'DELETE / HTTP/1.0\r\n\r\n', 501),
            (b'GET /' + b'a' * 2000 + b' HTTP/1.0\r\n\r\n', 414),
            (b'\x16\x03\x01\x02\x00garbage\r\n\r\n', 400),
            (b'GET /../../etc/passwd HTTP/1.0\r\n\r\n', 404),
            (b'GET /metrics HTTP/1.0\r\n' +
             b''.join(b'X-%d: y\r\n' % i for i in range(40)) + b'\r\n', 431),
            (b'GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello', 400),
        ]
        before = len(self.fake.commands)
        for req, want in requests:
            with socket.create_connection(('127.0.0.1', port), timeout=10) as c:
                c.sendall(req)
                reply = b''
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            self.assertEqual(int(reply.split(b' ', 2)[1]), want, req[:40])
        # No refused request reached the proxy's telemetry socket.
        self.assertEqual(len(self.fake.commands), before)
        s, _ = parse(self.scrape()[2])
        self.assertEqual(s[('colo_exporter_http_refused_total', '')], len(requests))
        self.assertEqual(s[('colo_released_total', '')], 1195)
        status, body = self.scrape_head()
        self.assertEqual((status, body), (200, ''))

    def scrape_head(self):
        req = urllib.request.Request(self.url + '/metrics', method='HEAD')
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()


class Options(unittest.TestCase):
    def test_bad_listen(self):
        p = subprocess.run([sys.executable, EXPORTER, '--listen', 'nowhere'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn('--listen', p.stderr)

    def test_help(self):
        p = subprocess.run([sys.executable, EXPORTER, '--help'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn('--file-prefix', p.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""colo-explain on the shipped pcap cases (pcaps/, tests/gen/gen_pcaps.c).

Every case of pcaps/manifest.json: the exit status, the number of checkpoint
requests and their reason. The mismatch cases also get their exact offsets,
sequence numbers and frames, derived below from how the generator builds
them. Then pcapng input, broken input and bad options (exit status 2).
meson passes COLO_EXPLAIN (the binary) and COLO_SRCDIR.
"""

import json
import os
import struct
import subprocess
import tempfile
import unittest

EXPLAIN = os.environ.get('COLO_EXPLAIN', 'build/tools/colo-explain')
SRCDIR = os.environ.get('COLO_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
PCAPS = os.path.join(SRCDIR, 'pcaps')

# Frame layout of the generated cases (tests/unit/frames.c): Ethernet 14,
# IPv4 20 without options, TCP 20 (the data segments carry no options),
# UDP 8, ICMP echo 8.
ETH, IP4, TCP, UDP, ICMP = 14, 20, 20, 8, 8
SERVER_ISN = 1000000
SERVER_CONN_TCP = 'tcp 10.0.0.1:80 > 10.0.0.2:40000'
SERVER_CONN_UDP = 'udp 10.0.0.1:12000 > 10.0.0.2:40001'

# The differing pair of each mismatch case: reason, first differing byte of
# the primary (and secondary) frame, TCP sequence number, frame numbers.
MISMATCHES = {
    # Third data segment (response bytes 600..899), its byte 150 changes
    # case: frame 4 on both sides (SYN-ACK, 3 segments, no FIN).
    'tcp_payload_differs': dict(
        reason='mismatch_tcp', conn=SERVER_CONN_TCP,
        offset=ETH + IP4 + TCP + 150, tcp_seq=SERVER_ISN + 1 + 600 + 150,
        frame=4, len=ETH + IP4 + TCP + 300),
    # "answer 2: ..." against "answer 3: ...": UDP payload byte 7, frame 2.
    'udp_differs': dict(
        reason='mismatch_udp', conn=SERVER_CONN_UDP,
        offset=ETH + IP4 + UDP + 7, tcp_seq=0, frame=2, len=ETH + IP4 + UDP + 26),
    # Echo reply 2, payload byte 40 set to 0xee: frame 2.
    'icmp_differs': dict(
        reason='mismatch_icmp', conn='icmp 10.0.0.1 > 10.0.0.2',
        offset=ETH + IP4 + ICMP + 40, tcp_seq=0, frame=2, len=ETH + IP4 + ICMP + 56),
}

# Cases whose long records DPDK 22.11's net_pcap cuts, so that colo-proxy
# drops them (docs/semantics.md A8); colo-explain reads the pcaps with
# libpcap, gets them whole, compares them and releases them.
NET_PCAP_CUTS = ('oversize_record',)

# Frames that wait for a counterpart that never comes.
TIMEOUTS = {
    'primary_only': ('timeout_primary', 'primary'),
    'secondary_only': ('timeout_secondary', 'secondary'),
}


def run(*args):
    """Run colo-explain; return (exit status, stdout, stderr)."""
    p = subprocess.run([EXPLAIN] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def case_files(name):
    return (os.path.join(PCAPS, name, 'primary.pcap'),
            os.path.join(PCAPS, name, 'secondary.pcap'))


def explain_json(name, *extra):
    rc, out, err = run('--json', *extra, *case_files(name))
    return rc, json.loads(out), err


def pcap_to_pcapng(src, dst):
    """Rewrite a classic pcap as pcapng with nanosecond timestamps, as
    dumpcap writes it: SHB, one Ethernet IDB (if_tsresol 9), EPBs."""
    with open(src, 'rb') as f:
        data = f.read()
    magic, = struct.unpack_from('<I', data, 0)
    assert magic == 0xa1b2c3d4, 'little-endian microsecond pcap expected'
    out = bytearray()
    shb_body = struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1)
    out += struct.pack('<II', 0x0A0D0D0A, 12 + len(shb_body)) + shb_body
    out += struct.pack('<I', 12 + len(shb_body))
    idb_body = struct.pack('<HHI', 1, 0, 0) + struct.pack('<HHB3x', 9, 1, 9) + b'\0' * 4
    out += struct.pack('<II', 1, 12 + len(idb_body)) + idb_body
    out += struct.pack('<I', 12 + len(idb_body))
    off = 24
    while off < len(data):
        sec, usec, caplen, origlen = struct.unpack_from('<IIII', data, off)
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ts = sec * 1000000000 + usec * 1000
        body = struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, caplen, origlen)
        body += frame + b'\0' * (-caplen % 4)
        out += struct.pack('<II', 6, 12 + len(body)) + body + struct.pack('<I', 12 + len(body))
    with open(dst, 'wb') as f:
        f.write(out)


class ShippedCases(unittest.TestCase):
    """Every case of the manifest, in monitor mode as the manifest assumes."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(PCAPS, 'manifest.json')) as f:
            cls.manifest = json.load(f)
        cls.timeout = str(cls.manifest['compare_timeout_ms'])

    def test_every_case_reason_and_exit_status(self):
        self.assertGreaterEqual(len(self.manifest['cases']), 18)
        for case in self.manifest['cases']:
            with self.subTest(case=case['name']):
                rc, doc, err = explain_json(case['name'], '--compare-timeout', self.timeout)
                self.assertEqual(err, '')
                n = case['expected_checkpoint_requests']
                self.assertEqual(rc, 1 if n else 0)
                self.assertEqual(len(doc['checkpoints']), n)
                self.assertEqual(doc['summary']['requests'], n)
                self.assertEqual([c['reason'] for c in doc['checkpoints']],
                                 [case['expected_trigger']] * n)
                self.assertEqual(doc['inputs']['primary']['frames'], case['primary_frames'])
                self.assertEqual(doc['inputs']['secondary']['frames'],
                                 case['secondary_frames'])
                # Monitor mode: every primary leaves, none is lost.
                ctr = doc['counters']
                released = sum(v for k, v in ctr.items() if k.startswith('release_'))
                expected = len(case['expected_released'])
                if case['name'] in NET_PCAP_CUTS:
                    expected = case['primary_frames']
                self.assertEqual(released, expected)
                self.assertEqual(ctr['released'], expected)
                self.assertEqual(sum(v for k, v in ctr.items() if k.startswith('drop_')), 0)
                self.assertEqual(sum(v for k, v in ctr.items() if k.startswith('discard_')),
                                 case['secondary_frames'])

    def test_mismatch_offsets(self):
        for name, exp in MISMATCHES.items():
            with self.subTest(case=name):
                rc, doc, _ = explain_json(name, '--compare-timeout', self.timeout)
                self.assertEqual(rc, 1)
                c, = doc['checkpoints']
                self.assertEqual(c['id'], 1)
                self.assertEqual(c['reason'], exp['reason'])
                self.assertEqual(c['conn'], exp['conn'])
                self.assertEqual(c['offset'], exp['offset'])
                self.assertEqual(c['tcp_seq'], exp['tcp_seq'])
                self.assertFalse(c['after_end'])
                # The pair is the last frame of each side: one at a time,
                # TS_STEP_USEC (1 ms) apart, so found when it arrives.
                self.assertAlmostEqual(c['time'], (exp['frame'] - 1) * 0.001, places=9)
                for side in ('primary', 'secondary'):
                    v = c[side]
                    self.assertEqual(v['frame'], exp['frame'])
                    self.assertEqual(v['len'], exp['len'])
                    self.assertEqual(v['offset'], exp['offset'])
                    # The dump starts one 16-byte row before the difference.
                    self.assertEqual(v['region_offset'], exp['offset'] // 16 * 16 - 16)
                p = bytes.fromhex(c['primary']['region'].replace('--', ''))
                s = bytes.fromhex(c['secondary']['region'].replace('--', ''))
                at = exp['offset'] - c['primary']['region_offset']
                self.assertNotEqual(p[at], s[at])
                self.assertEqual(doc['summary']['by_reason'], {exp['reason']: 1})
                self.assertEqual(doc['summary']['by_conn'],
                                 [{'conn': exp['conn'], 'requests': 1,
                                   'by_reason': {exp['reason']: 1}}])

    def test_tcp_text_report(self):
        rc, out, err = run('--compare-timeout', self.timeout,
                           *case_files('tcp_payload_differs'))
        self.assertEqual((rc, err), (1, ''))
        self.assertIn('Checkpoint request 1 at +0.003000 s: mismatch_tcp', out)
        self.assertIn('  connection   ' + SERVER_CONN_TCP + '\n', out)
        self.assertIn('offset 204 (0xcc) of the primary frame, TCP payload byte 150, '
                      'seq 1000751', out)
        self.assertIn('  primary      frame 4, 354 bytes', out)
        self.assertIn('  secondary    frame 4, 354 bytes', out)
        # The differing row: "colo" against "coLo", with a marker under it.
        self.assertIn('0x00c0  31 38 20 6f 66 20 74 68  65 20 63 6f 6c 6f 2d 70 '
                      '|18 of the colo-p|', out)
        self.assertIn('0x00c0  31 38 20 6f 66 20 74 68  65 20 63 6f 4c 6f 2d 70 '
                      '|18 of the coLo-p|', out)
        self.assertIn('^^', out)
        self.assertIn('    mismatch_tcp              1\n', out)

    def test_timeouts(self):
        for name, (reason, side) in TIMEOUTS.items():
            with self.subTest(case=name):
                # The first timeout scan runs one expired_scan_cycle after
                # the first frame; the frame is then older than the timeout.
                rc, doc, _ = explain_json(name, '--compare-timeout', '200',
                                          '--expired-scan-cycle', '50')
                self.assertEqual(rc, 1)
                c, = doc['checkpoints']
                self.assertEqual(c['reason'], reason)
                self.assertEqual(c['conn'], SERVER_CONN_UDP)
                self.assertEqual(c['offset'], -1)
                self.assertTrue(c['after_end'])
                self.assertAlmostEqual(c['time'], 0.2, places=9)
                self.assertEqual(c['waiting'], {'side': side, 'frame': 1, 'waited_ms': 200.0})
                self.assertEqual(c['queued'][side], 1)
                # With the default scan cycle the scan comes later.
                rc, doc, _ = explain_json(name, '--compare-timeout', '200')
                self.assertAlmostEqual(doc['checkpoints'][0]['time'], 1.0, places=9)
                self.assertEqual(doc['checkpoints'][0]['waiting']['waited_ms'], 1000.0)

    def test_no_tail_no_timeout(self):
        # Without running the clock past the end, nothing times out.
        rc, doc, _ = explain_json('primary_only', '--tail', '0')
        self.assertEqual(rc, 0)
        self.assertEqual(doc['checkpoints'], [])
        self.assertEqual(doc['counters']['release_shutdown'], 1)


class Formats(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_pcapng_input_gives_the_same_report(self):
        p, s = case_files('tcp_payload_differs')
        pcap_to_pcapng(p, self.path('p.pcapng'))
        pcap_to_pcapng(s, self.path('s.pcapng'))
        _, ref, _ = explain_json('tcp_payload_differs')
        for args in ((self.path('p.pcapng'), self.path('s.pcapng')),
                     (self.path('p.pcapng'), s)):
            with self.subTest(args=args):
                rc, out, _ = run('--json', *args)
                doc = json.loads(out)
                self.assertEqual(rc, 1)
                self.assertEqual(doc['checkpoints'], ref['checkpoints'])

    def test_file_cut_inside_a_record(self):
        p, s = case_files('udp_differs')
        with open(p, 'rb') as f:
            data = f.read()
        # Header, the whole first record, half of the second.
        first = 24 + 16 + struct.unpack_from('<I', data, 24 + 8)[0]
        with open(self.path('cut.pcap'), 'wb') as f:
            f.write(data[:first + 30])
        rc, out, _ = run('--json', self.path('cut.pcap'), s)
        doc = json.loads(out)
        self.assertTrue(doc['inputs']['primary']['cut_short'])
        self.assertEqual(doc['inputs']['primary']['frames'], 1)
        # The secondary's second datagram now waits in vain.
        self.assertEqual(rc, 1)
        self.assertEqual([c['reason'] for c in doc['checkpoints']], ['timeout_secondary'])
        rc, out, _ = run(self.path('cut.pcap'), s)
        self.assertIn('ends inside a record', out)


class BadInput(unittest.TestCase):
    def check_bad(self, args, message):
        rc, out, err = run(*args)
        self.assertEqual(rc, 2, args)
        self.assertEqual(out, '')
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn(message, err)

    def test_exit_status_2(self):
        p, s = case_files('udp_identical')
        with tempfile.TemporaryDirectory() as tmp:
            sll = os.path.join(tmp, 'sll.pcap')
            with open(sll, 'wb') as f:
                # A "tcpdump -i any" capture: Linux cooked, not Ethernet.
                f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 113))
            empty = os.path.join(tmp, 'empty.pcap')
            open(empty, 'wb').close()
            self.check_bad(['/nonexistent/primary.pcap', s], 'No such file or directory')
            self.check_bad([p, '/nonexistent/secondary.pcap'], 'secondary capture')
            self.check_bad([os.path.join(PCAPS, 'manifest.json'), s], 'unknown file format')
            self.check_bad([empty, s], 'primary capture')
            self.check_bad([sll, s], 'not Ethernet')
            self.check_bad([p], 'two captures needed')
            self.check_bad([p, s, s], 'more than two')
            self.check_bad(['--frobnicate', p, s], '--frobnicate: unknown option')
            self.check_bad(['--compare-timeout', 'soon', p, s], '--compare-timeout')
            self.check_bad(['--compare-timeout', '0', p, s], '--compare-timeout')
            self.check_bad(['--compare-nonip', 'maybe', p, s], '--compare-nonip')
            self.check_bad([p, s, '--max-queue'], 'missing value')

    def test_help(self):
        rc, out, _ = run('--help')
        self.assertEqual(rc, 0)
        self.assertIn('Usage: colo-explain', out)
        self.assertIn('Exit status: 0', out)


if __name__ == '__main__':
    unittest.main(verbosity=2)

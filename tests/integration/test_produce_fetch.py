#!/usr/bin/python3
"""test_produce_fetch.py - Produce, Fetch and ListOffsets semantics over raw requests
(kwire.py), where clients would hide them (issue 2, "What must work" 3):

 - Produce v3/v5/v7/v8 with acks=1 and acks=-1 answer base offsets in order; acks=0 gets
   no response and the next request on the connection is answered in order; a missing
   partition gets UNKNOWN_TOPIC_OR_PARTITION; two batches for one partition and a batch
   over max.message.bytes are rejected and not stored;
 - Fetch v4 returns whole batches starting with the one that contains the fetch offset;
   empty results are empty (not null) records; long poll: waits max_wait_ms when there is
   nothing, wakes up as soon as a record arrives, and min_bytes makes it wait; at least
   the first batch even if it is over partition_max_bytes (KIP-74); max_bytes bounds the
   response; offsets past the end get OFFSET_OUT_OF_RANGE; unknown topic/partition get
   UNKNOWN_TOPIC_OR_PARTITION; read_committed sees the same data (LSO = HWM);
 - ListOffsets v1 earliest / latest.
"""
import threading
import time

import harness
import kwire

TOPIC = 'pf'


def batch(n, size=20, tag=b'x'):
    return kwire.record_batch([(b'k%d' % i, tag * size, []) for i in range(n)])


def end_offset(c, p=0):
    err, off, _ = kwire.list_offsets(c, TOPIC, p, -1)
    if err:
        raise AssertionError('ListOffsets latest: %s' % kwire.errname(err))
    return off


def setup(b):
    with kwire.Conn(b.kafka) as c:
        res = kwire.create_topics(c, [(TOPIC, 2, 1, {}),
                                      ('pf-small', 1, 1, {'max.message.bytes': '1000'})])
        for name, (err, msg) in res.items():
            if err:
                raise AssertionError('CreateTopics %s: %s %s' % (name, kwire.errname(err), msg))
        harness.wait_until(lambda: all(
            t['error'] == 0 and all(p['leader'] >= 0 for p in t['partitions'].values())
            for t in kwire.metadata(c, [TOPIC, 'pf-small'])['topics'].values()), 10,
            'topics in Metadata')


def produce_versions(b):
    with kwire.Conn(b.kafka) as c:
        want = 0
        for version, acks in ((3, 1), (5, -1), (7, 1), (8, -1), (7, -1)):
            r = kwire.produce(c, TOPIC, 0, batch(2), acks=acks, version=version)
            if r['error'] != 0 or r['base_offset'] != want:
                raise AssertionError('Produce v%d acks=%d: %s base %d, expected base %d' % (
                    version, acks, kwire.errname(r['error']), r['base_offset'], want))
            if version >= 5 and r['log_start_offset'] != 0:
                raise AssertionError('Produce v%d: log_start_offset %d' % (
                    version, r['log_start_offset']))
            if r['log_append_time'] != -1:
                raise AssertionError('log_append_time %d on a CreateTime topic' %
                                     r['log_append_time'])
            want += 2
        if end_offset(c) != want:
            raise AssertionError('end offset %d, expected %d' % (end_offset(c), want))


def produce_acks0(b):
    with kwire.Conn(b.kafka) as c:
        before = end_offset(c)
        kwire.produce(c, TOPIC, 0, batch(3), acks=0)
        kwire.produce(c, TOPIC, 0, batch(3), acks=0)
        # the next request is answered, and in order (correlation ids are checked)
        md = kwire.metadata(c, [TOPIC])
        if md['topics'][TOPIC]['error'] != 0:
            raise AssertionError('Metadata after acks=0: %r' % md['topics'][TOPIC])
        harness.wait_until(lambda: end_offset(c) == before + 6, 10,
                           'the acks=0 records to be appended')


def produce_errors(b):
    with kwire.Conn(b.kafka) as c:
        r = kwire.produce(c, TOPIC, 7, batch(1))
        if r['error'] != 3:
            raise AssertionError('Produce to partition 7 of 2: %s, expected '
                                 'UNKNOWN_TOPIC_OR_PARTITION(3)' % kwire.errname(r['error']))
    with kwire.Conn(b.kafka) as c:
        before = end_offset(c)
        try:
            r = kwire.produce(c, TOPIC, 0, batch(1) + batch(1))
            if r['error'] == 0:
                raise AssertionError('two batches for one partition accepted')
            harness.log('two batches: %s' % kwire.errname(r['error']))
        except kwire.Closed:
            harness.log('two batches: connection closed')
    with kwire.Conn(b.kafka) as c:
        if end_offset(c) != before:
            raise AssertionError('two batches: end offset moved %d -> %d' % (before,
                                                                            end_offset(c)))
        r = kwire.produce(c, 'pf-small', 0, batch(1, size=5000))
        if r['error'] != 10:
            raise AssertionError('5 KB batch to max.message.bytes=1000: %s, expected '
                                 'MESSAGE_TOO_LARGE(10)' % kwire.errname(r['error']))
        err, off, _ = kwire.list_offsets(c, 'pf-small', 0, -1)
        if off != 0:
            raise AssertionError('pf-small end offset %d after the rejected batch' % off)


def fetch_containing_batch(b):
    with kwire.Conn(b.kafka) as c:
        hw = end_offset(c)
        f = kwire.fetch(c, TOPIC, 0, 1)
        batches, _ = kwire.parse_batches(f['records'])
        if f['error'] or not batches or batches[0]['base_offset'] != 0:
            raise AssertionError('Fetch at offset 1: %s, batches %s' % (
                kwire.errname(f['error']), [x['base_offset'] for x in batches]))
        if f['high_watermark'] != hw or f['last_stable_offset'] != hw:
            raise AssertionError('HWM %d / LSO %d, expected %d' % (
                f['high_watermark'], f['last_stable_offset'], hw))
        if not all(x['crc_ok'] for x in batches):
            raise AssertionError('a fetched batch fails its CRC')
        offs = [x['base_offset'] for x in batches]
        if offs != sorted(offs) or batches[-1]['last_offset'] + 1 != hw:
            raise AssertionError('fetched batches %s do not run to the HWM %d' % (offs, hw))
        rc = kwire.fetch(c, TOPIC, 0, 1, isolation_level=1)
        if rc['records'] != f['records']:
            raise AssertionError('read_committed returned different data')


def fetch_empty_long_poll(b):
    with kwire.Conn(b.kafka) as c:
        hw = end_offset(c)
        t0 = time.monotonic()
        f = kwire.fetch(c, TOPIC, 0, hw, max_wait_ms=600)
        took = time.monotonic() - t0
        if f['error'] != 0 or f['records']:
            raise AssertionError('Fetch at the HWM: %s, %d bytes' % (kwire.errname(f['error']),
                                                                     len(f['records'])))
        if f['records_null']:
            raise AssertionError('empty Fetch answered null records (must be empty, not null)')
        if took < 0.45:
            raise AssertionError('Fetch with nothing to return answered after %.2f s, '
                                 'expected to wait max_wait_ms=600' % took)
        if took > 5:
            raise AssertionError('Fetch with max_wait_ms=600 took %.1f s' % took)


def fetch_wakes_on_produce(b):
    with kwire.Conn(b.kafka) as c:
        hw = end_offset(c, 1)
    out = {}

    def waiter():
        with kwire.Conn(b.kafka, timeout=20) as c2:
            t0 = time.monotonic()
            out['f'] = kwire.fetch(c2, TOPIC, 1, hw, max_wait_ms=10000)
            out['took'] = time.monotonic() - t0
    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.5)
    with kwire.Conn(b.kafka) as c:
        r = kwire.produce(c, TOPIC, 1, batch(2, tag=b'w'))
    th.join(20)
    if 'f' not in out:
        raise AssertionError('the long-polling Fetch never returned')
    batches, _ = kwire.parse_batches(out['f']['records'])
    if not batches or batches[0]['base_offset'] != r['base_offset']:
        raise AssertionError('long poll returned %s, expected the batch at %d' % (
            [x['base_offset'] for x in batches], r['base_offset']))
    if out['took'] > 5:
        raise AssertionError('long poll returned %.1f s after starting (the produce came '
                             'at 0.5 s; max_wait_ms was 10000)' % out['took'])


def fetch_min_bytes(b):
    with kwire.Conn(b.kafka) as c:
        t0 = time.monotonic()
        f = kwire.fetch(c, TOPIC, 0, 0, max_wait_ms=500, min_bytes=50_000_000)
        took = time.monotonic() - t0
        if f['error'] != 0 or not f['records']:
            raise AssertionError('Fetch with min_bytes: %s, %d bytes' % (
                kwire.errname(f['error']), len(f['records'])))
        if took < 0.4:
            raise AssertionError('min_bytes 50 MB not reached but answered after %.2f s' %
                                 took)


def fetch_size_limits(b):
    with kwire.Conn(b.kafka) as c:
        start = end_offset(c, 1)
        for _ in range(5):
            r = kwire.produce(c, TOPIC, 1, batch(1, size=5000, tag=b'L'))
            if r['error']:
                raise AssertionError('produce: %s' % kwire.errname(r['error']))
        # partition_max_bytes below the first batch: that batch still comes, whole
        f = kwire.fetch(c, TOPIC, 1, start, partition_max_bytes=100)
        batches, _ = kwire.parse_batches(f['records'])
        if f['error'] or not batches or batches[0]['base_offset'] != start:
            raise AssertionError('partition_max_bytes=100: %s, batches %s (KIP-74: the '
                                 'first batch must come whole)' % (
                                     kwire.errname(f['error']),
                                     [x['base_offset'] for x in batches]))
        # max_bytes bounds the response
        f = kwire.fetch(c, TOPIC, 1, start, max_bytes=12000)
        batches, _ = kwire.parse_batches(f['records'])
        if len(f['records']) > 12000 or len(batches) < 2:
            raise AssertionError('max_bytes=12000: %d bytes, %d whole batches of ~5 KB' % (
                len(f['records']), len(batches)))
        # and across partitions
        res = kwire.fetch_multi(c, TOPIC, [(0, 0, 1 << 20), (1, start, 1 << 20)],
                                max_bytes=6000)
        total = sum(len(p['records']) for p in res.values())
        if total > 6000 or not res[0]['records']:
            raise AssertionError('max_bytes=6000 over two partitions: %d bytes (p0 %d, p1 %d)'
                                 % (total, len(res[0]['records']), len(res[1]['records'])))


def fetch_errors(b):
    with kwire.Conn(b.kafka) as c:
        hw = end_offset(c)
        f = kwire.fetch(c, TOPIC, 0, hw + 5, max_wait_ms=10)
        if f['error'] != 1:
            raise AssertionError('Fetch past the HWM: %s, expected OFFSET_OUT_OF_RANGE(1)' %
                                 kwire.errname(f['error']))
        f = kwire.fetch(c, TOPIC, 7, 0, max_wait_ms=10)
        if f['error'] != 3:
            raise AssertionError('Fetch of partition 7: %s, expected 3' %
                                 kwire.errname(f['error']))
        f = kwire.fetch(c, 'pf-nosuch', 0, 0, max_wait_ms=10)
        if f['error'] != 3:
            raise AssertionError('Fetch of an unknown topic: %s, expected 3' %
                                 kwire.errname(f['error']))
        listed = kwire.metadata(c, None)['topics']
        if 'pf-nosuch' in listed:
            raise AssertionError('Fetch auto-created a topic')


def list_offsets(b):
    with kwire.Conn(b.kafka) as c:
        err, off, _ = kwire.list_offsets(c, TOPIC, 0, -2)
        if (err, off) != (0, 0):
            raise AssertionError('earliest: %s %d' % (kwire.errname(err), off))
        f = kwire.fetch(c, TOPIC, 0, 0, max_wait_ms=10)
        err, off, _ = kwire.list_offsets(c, TOPIC, 0, -1)
        if (err, off) != (0, f['high_watermark']):
            raise AssertionError('latest: %s %d, HWM %d' % (kwire.errname(err), off,
                                                            f['high_watermark']))
        err, off, _ = kwire.list_offsets(c, TOPIC, 9, -1)
        if err != 3:
            raise AssertionError('ListOffsets of partition 9: %s, expected 3' %
                                 kwire.errname(err))


def body(t):
    b = t.broker('broker')
    if not t.case('set up topics (CreateTopics v2 with a config)', setup, b):
        return
    t.case('Produce v3/v5/v7/v8, acks=1 and -1: base offsets in order', produce_versions, b)
    t.case('Produce acks=0: no response, next request answered in order', produce_acks0, b)
    t.case('Produce errors: unknown partition, two batches, MESSAGE_TOO_LARGE',
           produce_errors, b)
    t.case('Fetch returns whole batches from the one containing the offset',
           fetch_containing_batch, b)
    t.case('Fetch with nothing new waits max_wait_ms and returns empty (not null) records',
           fetch_empty_long_poll, b)
    t.case('Fetch long poll wakes up when a record arrives', fetch_wakes_on_produce, b)
    t.case('Fetch waits for min_bytes up to max_wait_ms', fetch_min_bytes, b)
    t.case('Fetch size limits: first batch whole (KIP-74), max_bytes', fetch_size_limits, b)
    t.case('Fetch errors: past the end, unknown partition, unknown topic', fetch_errors, b)
    t.case('ListOffsets earliest/latest and an unknown partition', list_offsets, b)


if __name__ == '__main__':
    harness.main(body)

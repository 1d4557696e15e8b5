#!/usr/bin/python3
"""test_bad_input.py - bad input never hurts the broker or other clients (issue 2,
"What must work" 4). Raw requests come from kwire.py; a healthy confluent_kafka producer
and consumer plus a long-lived raw connection are checked after every case.

 - a frame over socket.request.max.bytes (a 4-byte size of 200 MiB), a negative size, a
   frame too short for a header, garbage bytes, a truncated body: connection closed, and
   the broker logs a line naming the peer (127.0.0.1:PORT);
 - an unknown API key, an unsupported version of a known API (Metadata v99, Produce v2):
   connection closed (as Kafka does, kafka-protocol.md sections 1 and 4);
 - ApiVersions v99: an ApiVersions response in the v0 layout with UNSUPPORTED_VERSION (35)
   listing ApiVersions, and the connection stays usable;
 - Produce v7 of a RecordBatch with a wrong CRC: CORRUPT_MESSAGE (2), nothing stored
   (ListOffsets latest and Fetch unchanged); inconsistent record count / length / magic:
   an error and nothing stored; acks=2: INVALID_REQUIRED_ACKS (21);
 - invalid topic names ("bad/name", 300 chars, ".", "..", "a b"): INVALID_TOPIC_EXCEPTION
   (17) from CreateTopics v2 and from Metadata v1/v4 auto-creation, and nothing created;
 - with auto.create.topics.enable=false (broker config file): Produce to a missing topic
   gets UNKNOWN_TOPIC_OR_PARTITION (3), Metadata too, and the topic is not created.
"""
import struct
import time

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

import harness
import ck
import kwire


class Healthy:
    """A producer, an assigned consumer and a raw connection that must keep working."""

    def __init__(self, b):
        self.b = b
        md = ck.admin(b.kafka).list_topics(timeout=10)  # all topics: never auto-creates
        t = md.topics.get('healthy')
        exists = t is not None and t.error is None and len(t.partitions) == 1
        if not exists:
            ck.create_topic(b.kafka, 'healthy', 1)
        self.n = ck.watermarks(b.kafka, 'healthy', 0)[1] if exists else 0
        self.p = ck.producer(b.kafka, **{'linger.ms': 0})
        self.c = ck.consumer(b.kafka)
        self.c.assign([TopicPartition('healthy', 0, OFFSET_BEGINNING)])
        self.conn = kwire.Conn(b.kafka)

    def check(self):
        v = b'healthy-%d' % self.n
        res = []
        self.p.produce('healthy', value=v, on_delivery=lambda e, m: res.append((e, m.offset())))
        if self.p.flush(15) or not res or res[0][0] is not None:
            raise AssertionError('healthy producer: %r' % res)
        if res[0][1] != self.n:
            raise AssertionError('healthy producer: offset %d, expected %d' % (res[0][1],
                                                                            self.n))
        deadline = time.monotonic() + 15
        while True:
            if time.monotonic() > deadline:
                raise AssertionError('healthy consumer did not receive offset %d' % self.n)
            m = self.c.poll(0.5)
            if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                continue
            if m.error():
                raise AssertionError('healthy consumer: %s' % m.error())
            if m.offset() == self.n:
                if m.value() != v:
                    raise AssertionError('healthy consumer: wrong value at %d' % self.n)
                break
        av = kwire.api_versions(self.conn, 0)
        if av['error'] != 0 or 18 not in av['apis']:
            raise AssertionError('healthy raw connection: ApiVersions %r' % av)
        self.n += 1

    def close(self):
        self.c.close()
        self.conn.close()


def peer_logged(b, port):
    if not b.wait_stderr(r'127\.0\.0\.1:%d(?!\d)' % port, timeout=5):
        raise AssertionError('no broker log line names the peer 127.0.0.1:%d' % port)


def expect_closed(b, h, payload, log_peer=True):
    c = kwire.Conn(b.kafka)
    port = c.local_port
    try:
        c.send_raw(payload)
        if not c.wait_closed(10):
            raise AssertionError('connection still open 10 s after the bad frame')
    finally:
        c.close()
    if log_peer:
        peer_logged(b, port)
    h.check()


def frame(body):
    return struct.pack('>i', len(body)) + body


def header(api_key, version, corr=1, client='bad'):
    return kwire.W().i16(api_key).i16(version).i32(corr).string(client).build()


# ----------------------------------------------------------------------------- cases

def unsupported_api_versions(b, h):
    with kwire.Conn(b.kafka) as c:
        body = kwire.W().compact_string('kwire').compact_string('1').tags().build()
        r = c.call(18, 99, body, flexible=True, flexible_response=False)
        err = r.i16()
        if err != 35:
            raise AssertionError('ApiVersions v99: error %s, expected UNSUPPORTED_VERSION(35)'
                                 % kwire.errname(err))
        apis = r.array(lambda r: (r.i16(), r.i16(), r.i16()))
        if not apis or 18 not in [a[0] for a in apis]:
            raise AssertionError('ApiVersions v99 error response lists %r, expected the '
                                 'ApiVersions entry (key 18)' % apis)
        av = kwire.api_versions(c, 3)
        if av['error'] != 0 or 0 not in av['apis'] or 1 not in av['apis']:
            raise AssertionError('ApiVersions v3 after the v99 error: %r' % av)
    h.check()


def setup_crc_topic(c):
    res = kwire.create_topics(c, [('crc', 1, 1, {})])
    if res['crc'][0] != 0:
        raise AssertionError('CreateTopics crc: %s' % kwire.errname(res['crc'][0]))
    harness.wait_until(lambda: kwire.metadata(c, ['crc'])['topics']['crc']['error'] == 0, 10,
                       'topic crc in Metadata')


def good_batch(tag):
    return kwire.record_batch([(b'k-' + tag, b'v-' + tag, [('h', b'x')]),
                               (None, b'w-' + tag, [])])


def bad_crc(b, h, state):
    with kwire.Conn(b.kafka) as c:
        setup_crc_topic(c)
        r = kwire.produce(c, 'crc', 0, good_batch(b'0'))
        if r['error'] != 0 or r['base_offset'] != 0:
            raise AssertionError('good batch: %s base %d' % (kwire.errname(r['error']),
                                                            r['base_offset']))
        r = kwire.produce(c, 'crc', 0, kwire.record_batch(
            [(b'k', b'corrupt', [])], corrupt_crc=True))
        if r['error'] != 2:
            raise AssertionError('bad CRC: %s, expected CORRUPT_MESSAGE(2)' %
                                 kwire.errname(r['error']))
        check_end(c, 2)
    # the hand-built good batch reads back with a real client
    recs = ck.consume_all(b.kafka, 'crc', 1)
    got = [(r['offset'], r['key'], r['value'], r['headers']) for r in recs]
    want = [(0, b'k-0', b'v-0', [('h', b'x')]), (1, None, b'w-0', [])]
    if got != want:
        raise AssertionError('consumed %r, expected %r' % (got, want))
    state['crc_end'] = 2
    h.check()


def check_end(c, want):
    err, off, _ = kwire.list_offsets(c, 'crc', 0, -1)
    if err != 0 or off != want:
        raise AssertionError('ListOffsets latest: %s offset %d, expected %d' % (
            kwire.errname(err), off, want))
    f = kwire.fetch(c, 'crc', 0, 0, max_wait_ms=10)
    batches, left = kwire.parse_batches(f['records'])
    n = sum(x['count'] for x in batches)
    if f['error'] != 0 or f['high_watermark'] != want or n != want or left:
        raise AssertionError('Fetch: %s hw %d, %d records, %d trailing bytes; expected %d' % (
            kwire.errname(f['error']), f['high_watermark'], n, left, want))


def malformed_batches(b, h, state):
    end = state.get('crc_end')
    if end is None:
        raise AssertionError('needs the bad-CRC case to have set up topic crc')
    recs = [(b'k', b'v1', []), (b'k', b'v2', [])]
    cases = {
        'record count 5 for 2 records': kwire.record_batch(recs, count=5),
        'lastOffsetDelta 7 for 2 records': kwire.record_batch(recs, last_offset_delta=7),
        'magic 1 header': kwire.record_batch(recs, magic=1),
        'zero records': kwire.record_batch([]),
    }
    good = kwire.record_batch(recs)
    # batchLength larger than the bytes that follow (the records field is short)
    cases['batchLength past the end'] = good[:8] + struct.pack('>i', len(good)) + good[12:]
    problems = []
    for name, batch in cases.items():
        with kwire.Conn(b.kafka) as c:
            try:
                r = kwire.produce(c, 'crc', 0, batch)
                if r['error'] == 0:
                    problems.append('%s: accepted at offset %d' % (name, r['base_offset']))
                else:
                    harness.log('%s: %s' % (name, kwire.errname(r['error'])))
            except kwire.Closed:
                harness.log('%s: connection closed' % name)
        with kwire.Conn(b.kafka) as c:
            try:
                check_end(c, end)
            except AssertionError as e:
                problems.append('%s: %s' % (name, e))
    if problems:
        raise AssertionError('; '.join(problems))
    h.check()


def invalid_acks(b, h):
    with kwire.Conn(b.kafka) as c:
        r = kwire.produce(c, 'crc', 0, good_batch(b'acks'), acks=2)
        if r['error'] != 21:
            raise AssertionError('acks=2: %s, expected INVALID_REQUIRED_ACKS(21)' %
                                 kwire.errname(r['error']))
    h.check()


BAD_NAMES = ['bad/name', 'x' * 300, '.', '..', 'a b', '']


def invalid_names_create(b, h):
    problems = []
    with kwire.Conn(b.kafka) as c:
        res = kwire.create_topics(c, [(n, 1, 1, {}) for n in BAD_NAMES] +
                                  [('good.name-1_x', 1, 1, {})])
        for n in BAD_NAMES:
            got = res.get(n, (None, None))[0]
            if got != 17:
                problems.append('%r: %s' % (n[:20], 'missing' if got is None
                                            else kwire.errname(got)))
        if res.get('good.name-1_x', (None,))[0] != 0:
            problems.append('valid name good.name-1_x: %r' % (res.get('good.name-1_x'),))
        listed = kwire.metadata(c, None)['topics']
        created = [n for n in BAD_NAMES if n in listed]
        if created:
            problems.append('created anyway: %r' % created)
    if problems:
        raise AssertionError('CreateTopics v2, expected INVALID_TOPIC_EXCEPTION(17): ' +
                             '; '.join(problems))
    h.check()


def invalid_names_metadata(b, h):
    problems = []
    names = [n for n in BAD_NAMES if n]
    with kwire.Conn(b.kafka) as c:
        for version in (1, 4):
            md = kwire.metadata(c, names, version=version)
            for n in names:
                t = md['topics'].get(n)
                if t is None or t['error'] != 17:
                    problems.append('v%d %r: %s' % (version, n[:20], 'missing' if t is None
                                                    else kwire.errname(t['error'])))
        listed = kwire.metadata(c, None)['topics']
        created = [n for n in names if n in listed]
        if created:
            problems.append('auto-created anyway: %r' % created)
    if problems:
        raise AssertionError('Metadata auto-create, expected INVALID_TOPIC_EXCEPTION(17): ' +
                             '; '.join(problems))
    h.check()


def missing_topic_no_autocreate(b, h):
    with kwire.Conn(b.kafka) as c:
        r = kwire.produce(c, 'nosuch', 0, good_batch(b'nosuch'))
        if r['error'] != 3:
            raise AssertionError('Produce to a missing topic: %s, expected '
                                 'UNKNOWN_TOPIC_OR_PARTITION(3)' % kwire.errname(r['error']))
        md = kwire.metadata(c, ['nosuch'], version=1)
        t = md['topics'].get('nosuch')
        if t is None or t['error'] != 3:
            raise AssertionError('Metadata v1 of a missing topic with auto-create off: %r' %
                                 (t,))
        md = kwire.metadata(c, ['nosuch2'], version=4, allow_auto_create=True)
        t = md['topics'].get('nosuch2')
        if t is None or t['error'] != 3:
            raise AssertionError('Metadata v4 (allow auto-create) with auto-create off: %r' %
                                 (t,))
        time.sleep(0.5)
        listed = kwire.metadata(c, None)['topics']
        if 'nosuch' in listed or 'nosuch2' in listed:
            raise AssertionError('topic created although auto.create.topics.enable=false')
    h.check()


def body(t):
    b = t.broker('broker')
    h = t.case('healthy clients set up', Healthy, b)
    if h is None:
        return
    state = {}
    t.case('frame size 200 MiB (> socket.request.max.bytes): closed, peer logged',
           expect_closed, b, h, struct.pack('>i', 200 << 20))
    t.case('negative frame size: closed, peer logged', expect_closed, b, h,
           struct.pack('>i', -1))
    t.case('frame too short for a request header: closed, peer logged', expect_closed, b, h,
           frame(b'\x00\x03\x00'))
    t.case('garbage frame: closed, peer logged', expect_closed, b, h,
           frame(b'\xde\xad\xbe\xef' * 16))
    t.case('Metadata v1 with a truncated body: closed, peer logged', expect_closed, b, h,
           frame(header(3, 1) + struct.pack('>i', 1000000) + b'\x00\x05ab'))
    t.case('Produce v7 whose records overrun the frame: closed or rejected', expect_closed_or_error,
           b, h)
    t.case('unknown API key 9999: closed', expect_closed, b, h,
           frame(header(9999, 0)), False)
    t.case('Metadata v99: closed', expect_closed, b, h, frame(header(3, 99) + b'\xff\xff\xff\xff'),
           False)
    t.case('Produce v2 (advertised, not implemented): closed', expect_closed, b, h,
           frame(header(0, 2) + kwire.W().i16(-1).i32(1000).i32(0).build()), False)
    t.case('ApiVersions v99: UNSUPPORTED_VERSION in the v0 layout, connection usable',
           unsupported_api_versions, b, h)
    t.case('Produce with a bad CRC: CORRUPT_MESSAGE, nothing stored', bad_crc, b, h, state)
    t.case('Produce of inconsistent batches: rejected, nothing stored', malformed_batches,
           b, h, state)
    t.case('Produce with acks=2: INVALID_REQUIRED_ACKS', invalid_acks, b, h)
    t.case('CreateTopics with invalid names: INVALID_TOPIC_EXCEPTION', invalid_names_create,
           b, h)
    t.case('Metadata auto-create of invalid names: INVALID_TOPIC_EXCEPTION',
           invalid_names_metadata, b, h)
    h.close()
    # phase 2: auto-create off
    if t.case('restart with auto.create.topics.enable=false', b.restart,
              config={'auto.create.topics.enable': 'false'}) is None:
        return
    h2 = t.case('healthy clients set up again', Healthy, b)
    if h2 is None:
        return
    t.case('Produce/Metadata of a missing topic with auto-create off: '
           'UNKNOWN_TOPIC_OR_PARTITION, not created', missing_topic_no_autocreate, b, h2)
    t.case('healthy clients still fine at the end', h2.check)
    h2.close()


def expect_closed_or_error(b, h):
    body = (kwire.W().string(None).i16(-1).i32(1000).i32(1).string('crc').i32(1).i32(0)
            .i32(1 << 20).build())  # records length 1 MiB, but nothing follows
    c = kwire.Conn(b.kafka)
    port = c.local_port
    try:
        c.send_raw(frame(header(0, 7) + body))
        try:
            data = c.recv_frame(10)
            harness.log('answered with %d bytes' % len(data))
        except kwire.Closed:
            peer_logged(b, port)
        except TimeoutError:
            raise AssertionError('neither an answer nor a close within 10 s')
    finally:
        c.close()
    h.check()


if __name__ == '__main__':
    harness.main(body)

#!/usr/bin/python3
"""test_retention.py - retention (issue 2, "Done when" 3), driven by topic configs
(segment.bytes=10000 and retention.ms or retention.bytes) and a broker config file with
log.retention.check.interval.ms=500 (passed with --config):

 - time retention: many small segments are made, then the old ones are deleted, the low
   watermark (ListOffsets earliest) advances to the first remaining segment, and the
   removed segment files (.log/.index/.timeindex) are gone;
 - a fetch at a removed offset gets OFFSET_OUT_OF_RANGE (raw Fetch v4), and
   confluent_kafka consumers reset per their policy: earliest -> the new low watermark,
   latest -> the end, error -> an _AUTO_OFFSET_RESET / OFFSET_OUT_OF_RANGE error event;
 - byte retention keeps the partition near retention.bytes, the rest stays readable;
 - the advanced low watermark survives a restart.
"""
import os
import time

from confluent_kafka import KafkaError, TopicPartition

import harness
import ck
import kwire

CONFIG = {'log.retention.check.interval.ms': 500}
PAD = b'r' * 300


def produce_small_batches(b, topic, n, per_flush=5):
    p = ck.producer(b.kafka, **{'linger.ms': 0})
    offs = {}
    for i in range(0, n, per_flush):
        res = []
        for j in range(i, min(n, i + per_flush)):
            p.produce(topic, value=b'm%d|' % j + PAD,
                      on_delivery=lambda err, m: res.append((err, m.offset(), m.value())))
        if p.flush(15):
            raise AssertionError('messages %d.. not delivered' % i)
        for err, off, v in res:
            if err is not None:
                raise AssertionError('delivery failed: %s' % err)
            offs[off] = v
    return offs


def segments(b, topic):
    return kwire.segment_files(b.data_dir, topic, 0)


def base_of(path):
    return int(os.path.basename(path).split('.')[0])


def time_retention(b, state):
    topic = 'ret-time'
    ck.create_topic(b.kafka, topic, 1, config={'segment.bytes': '10000',
                                                'retention.ms': '5000'})
    t0 = time.monotonic()
    sent = produce_small_batches(b, topic, 200)
    segs = segments(b, topic)
    harness.log('produced %d messages in %.1f s into %d segments' % (
        len(sent), time.monotonic() - t0, len(segs)))
    if len(segs) < 4:
        raise AssertionError('only %d segment files after 60 KB with segment.bytes=10000' %
                             len(segs))
    low0, high = ck.watermarks(b.kafka, topic, 0)
    if high != len(sent):
        raise AssertionError('high watermark %d, expected %d' % (high, len(sent)))

    def advanced():
        low, _ = ck.watermarks(b.kafka, topic, 0)
        return low if low > 0 and len(segments(b, topic)) == 1 else None
    low = harness.wait_until(advanced, 30, 'retention to delete the old segments '
                             '(low watermark > 0, one segment left)', interval=0.5)
    left = segments(b, topic)
    if base_of(left[0]) != low:
        raise AssertionError('low watermark %d, but the first segment starts at %d' % (
            low, base_of(left[0])))
    d = kwire.partition_dir(b.data_dir, topic, 0)
    stale = [n for n in os.listdir(d) if n.split('.')[0].isdigit() and
             int(n.split('.')[0]) < low]
    if stale:
        raise AssertionError('files of removed segments still there: %s' % stale)
    harness.log('low watermark %d -> %d, high %d' % (low0, low, high))
    state.update(topic=topic, low=low, high=high, sent=sent)


def fetch_removed_offset(b, state):
    with kwire.Conn(b.kafka) as c:
        r = kwire.fetch(c, state['topic'], 0, 0, max_wait_ms=10)
        if r['error'] != 1:
            raise AssertionError('Fetch at removed offset 0: %s, expected '
                                 'OFFSET_OUT_OF_RANGE(1)' % kwire.errname(r['error']))
        r = kwire.fetch(c, state['topic'], 0, state['low'], max_wait_ms=10)
        if r['error'] != 0 or not r['records']:
            raise AssertionError('Fetch at the low watermark %d: %s, %d bytes' % (
                state['low'], kwire.errname(r['error']), len(r['records'])))


def reset_earliest(b, state):
    recs = ck.consume_all(b.kafka, state['topic'], 1, start={0: 0},
                          **{'auto.offset.reset': 'earliest'})
    if not recs or recs[0]['offset'] != state['low']:
        raise AssertionError('first record at offset %s, expected the new low watermark %d'
                             % (recs[0]['offset'] if recs else None, state['low']))
    if [r['offset'] for r in recs] != list(range(state['low'], state['high'])):
        raise AssertionError('offsets %d..%d not contiguous' % (recs[0]['offset'],
                                                                 recs[-1]['offset']))
    for r in recs:
        if r['value'] != state['sent'][r['offset']]:
            raise AssertionError('offset %d: wrong value' % r['offset'])


def reset_latest(b, state):
    c = ck.consumer(b.kafka, **{'auto.offset.reset': 'latest'})
    try:
        c.assign([TopicPartition(state['topic'], 0, 0)])
        # let the reset happen (EOF at the end), then produce one more
        deadline = time.monotonic() + 20
        eof = False
        while not eof and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error() and m.error().code() == KafkaError._PARTITION_EOF:
                eof = True
            elif m.error():
                raise AssertionError('consumer error: %s' % m.error())
            else:
                raise AssertionError('got offset %d before producing: expected a reset to '
                                     'the end' % m.offset())
        if not eof:
            raise AssertionError('no EOF after the reset to latest within 20 s')
        new = produce_small_batches(b, state['topic'], 1)
        off = list(new)[0]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                continue
            if m.error():
                raise AssertionError('consumer error: %s' % m.error())
            if m.offset() != off:
                raise AssertionError('got offset %d, expected %d' % (m.offset(), off))
            state['high'] = off + 1
            state['sent'].update(new)
            return
        raise AssertionError('the new record at %d never arrived' % off)
    finally:
        c.close()


def reset_error(b, state):
    c = ck.consumer(b.kafka, **{'auto.offset.reset': 'error'})
    try:
        c.assign([TopicPartition(state['topic'], 0, 0)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if not m.error():
                raise AssertionError('got a record at offset %d, expected an error' %
                                     m.offset())
            code = m.error().code()
            if code == KafkaError._PARTITION_EOF:
                raise AssertionError('reached EOF: the offset was reset instead of failing')
            if code in (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE):
                harness.log('error event: %s' % m.error())
                return
            raise AssertionError('unexpected error %s' % m.error())
        raise AssertionError('no error event within 20 s')
    finally:
        c.close()


def bytes_retention(b):
    topic = 'ret-bytes'
    ck.create_topic(b.kafka, topic, 1, config={'segment.bytes': '10000',
                                                'retention.bytes': '30000'})
    sent = produce_small_batches(b, topic, 400)

    def trimmed():
        low, _ = ck.watermarks(b.kafka, topic, 0)
        total = sum(os.path.getsize(s) for s in segments(b, topic))
        return (low, total) if low > 0 and total <= 30000 + 10000 else None
    low, total = harness.wait_until(trimmed, 30, 'byte retention to trim the partition to '
                                    'retention.bytes (+ the active segment)', interval=0.5)
    harness.log('byte retention: low %d, %d bytes in %d segments' % (
        low, total, len(segments(b, topic))))
    recs = ck.consume_all(b.kafka, topic, 1)
    if [r['offset'] for r in recs] != list(range(low, len(sent))):
        raise AssertionError('records %s..%s, expected %d..%d' % (
            recs[0]['offset'] if recs else None, recs[-1]['offset'] if recs else None, low,
            len(sent) - 1))
    if any(r['value'] != sent[r['offset']] for r in recs):
        raise AssertionError('a remaining record changed')


def survives_restart(b, state):
    # Retention may still legitimately advance the low watermark (the active segment can
    # roll and age past retention.ms), so stop it first: then whatever the watermarks are
    # now is what a restart must keep.
    harness.runnel(['topics', 'alter', state['topic'], '--config', 'retention.ms=-1',
                    '--brokers', b.kafka], check=True)
    time.sleep(1.5)  # > log.retention.check.interval.ms: a pass already running is done
    before = ck.watermarks(b.kafka, state['topic'], 0)
    if before[0] < state['low'] or before[1] != state['high']:
        raise AssertionError('watermarks %r before the restart, expected low >= %d, high %d' % (
            before, state['low'], state['high']))
    b.restart()
    after = ck.watermarks(b.kafka, state['topic'], 0)
    if after != before:
        raise AssertionError('after restart watermarks %r, expected %r' % (after, before))


def body(t):
    b = t.broker('broker', config=CONFIG)
    state = {}
    t.case('retention.ms deletes old segments and advances the low watermark',
           time_retention, b, state)
    if 'low' not in state:
        t.case('retention.bytes trims the partition', bytes_retention, b)
        return
    t.case('Fetch at a removed offset gets OFFSET_OUT_OF_RANGE', fetch_removed_offset, b,
           state)
    t.case('consumer with auto.offset.reset=earliest resets to the new low watermark',
           reset_earliest, b, state)
    t.case('consumer with auto.offset.reset=latest resets to the end', reset_latest, b,
           state)
    t.case('consumer with auto.offset.reset=error gets OFFSET_OUT_OF_RANGE',
           reset_error, b, state)
    t.case('retention.bytes trims the partition', bytes_retention, b)
    t.case('the low watermark survives a restart', survives_restart, b, state)


if __name__ == '__main__':
    harness.main(body)

#!/usr/bin/python3
"""test_durability.py - acks=all durability (issue 2, "Done when" 2), with
python3-confluent-kafka as the producer and consumer:

 (a) kill -9 during a stream of acks=all produces (twice, restarting in between), and
     kill -9 right after single acked produces: after restart every acknowledged message
     is at its acknowledged offset, offsets have no holes or duplicates, every value
     parses, every stored batch passes its CRC;
 (b) a segment truncated mid-batch while the broker is stopped is repaired on start
     (logged), exactly the whole batches before the cut are readable, the time index
     does not point past the cut, and producing continues at the right offset; then
     deleted index files are rebuilt (fetch from the middle, ListOffsets by time);
 (c) with RUNNEL_FAULT_FSYNC=eio-after:N (fdatasync fails with EIO from the (N+1)th call
     on) produces succeed until the fault, then every acks=all produce fails (none is
     reported durable), the broker logs the failure, and after a restart without the
     fault every acknowledged message is there and producing works again.
"""
import os
import re
import time

from confluent_kafka import Producer, TopicPartition

import harness
import ck
import kwire

PAD = b'#' * 200
VALUE_RE = re.compile(rb'^(r\d+-\d+|b\d+-\d+|s\d+|f\d+-\d+)\|#{200}$')


def value(tag):
    return tag.encode() + b'|' + PAD


def check_store_crcs(b, topic, partitions):
    """Every batch in every segment of the topic passes its CRC-32C and no segment has
    trailing garbage (read straight from the data dir while the broker runs)."""
    for p in range(partitions):
        for seg in kwire.segment_files(b.data_dir, topic, p):
            batches, left = kwire.read_batches(seg)
            bad = [h for h in batches if not h['crc_ok']]
            if bad:
                raise AssertionError('%s: %d batches fail their CRC (first at byte %d)' % (
                    seg, len(bad), bad[0]['pos']))
            if left:
                raise AssertionError('%s: %d bytes after the last whole batch' % (seg, left))


def check_log(b, topic, partitions, acked):
    """acked: {(partition, offset): value}. Consumes everything and checks it."""
    recs = ck.consume_all(b.kafka, topic, partitions, timeout=120)
    by = {}
    for r in recs:
        k = (r['partition'], r['offset'])
        if k in by:
            raise AssertionError('offset %d of partition %d consumed twice' % k[::-1])
        by[k] = r['value']
        if not VALUE_RE.match(r['value'] or b''):
            raise AssertionError('p%d@%d: corrupt value %r' % (k[0], k[1],
                                                              (r['value'] or b'')[:60]))
    for p in range(partitions):
        offs = sorted(o for (pp, o) in by if pp == p)
        if offs != list(range(len(offs))):
            raise AssertionError('partition %d: offsets not contiguous from 0 (%d records, '
                                 'first gap near %s)' % (p, len(offs), next(
                                     (i for i, o in enumerate(offs) if o != i), None)))
    lost = [(k, v) for k, v in sorted(acked.items()) if by.get(k) != v]
    if lost:
        (p, o), v = lost[0]
        raise AssertionError('%d acknowledged messages lost or changed; first: p%d@%d '
                             'expected %r, found %r' % (len(lost), p, o, v[:20],
                                                        (by.get((p, o)) or b'')[:20]))
    check_store_crcs(b, topic, partitions)
    return by


# ----------------------------------------------------------------------------- (a)

def kill_mid_stream(b, state):
    topic = 'dur-stream'
    ck.create_topic(b.kafka, topic, 3)
    acked = state.setdefault('acked', {})
    for rnd in range(2):
        got = []

        def cb(err, m):
            if err is None:
                got.append((m.partition(), m.offset(), m.value()))

        p = Producer({'bootstrap.servers': b.kafka, 'acks': 'all', 'linger.ms': 2,
                      'message.timeout.ms': 4000, 'socket.timeout.ms': 3000,
                      'reconnect.backoff.max.ms': 500})
        seq = 0
        deadline = time.monotonic() + 60
        while len(got) < 3000:
            if time.monotonic() > deadline:
                raise AssertionError('round %d: only %d acks in 60 s' % (rnd, len(got)))
            try:
                p.produce(topic, key=b'k%d' % (seq % 17), value=value('r%d-%d' % (rnd, seq)),
                          on_delivery=cb)
                seq += 1
            except BufferError:
                p.poll(0.01)
            p.poll(0)
        n_at_kill = len(got)
        b.kill9()
        # keep producing a moment into the dead broker, then let everything fail
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            try:
                p.produce(topic, key=b'x', value=value('r%d-%d' % (rnd, seq)), on_delivery=cb)
                seq += 1
            except BufferError:
                pass
            p.poll(0.01)
        p.flush(15)
        p.purge()
        p.flush(1)
        harness.log('round %d: %d produced, %d acked (%d at the kill)' % (rnd, seq, len(got),
                                                                      n_at_kill))
        for part, off, v in got:
            if (part, off) in acked:
                raise AssertionError('p%d@%d acknowledged twice' % (part, off))
            acked[(part, off)] = v
        del p
        b.start()
    check_log(b, topic, 3, acked)


def ensure_running(b):
    if not b.running:
        harness.log('restarting %s left stopped by an earlier failure' % b.name)
        b.start()


def kill_after_ack(b):
    ensure_running(b)
    topic = 'dur-single'
    ck.create_topic(b.kafka, topic, 1)
    acked = {}
    for i in range(3):
        p = Producer({'bootstrap.servers': b.kafka, 'acks': 'all', 'linger.ms': 0})
        res = []
        p.produce(topic, value=value('s%d' % i),
                  on_delivery=lambda err, m: res.append((err, m.partition(), m.offset())))
        if p.flush(15) or not res or res[0][0] is not None:
            raise AssertionError('produce %d not acknowledged: %r' % (i, res))
        b.kill9()
        acked[(res[0][1], res[0][2])] = value('s%d' % i)
        del p
        b.start()
    check_log(b, topic, 1, acked)


# ----------------------------------------------------------------------------- (b)

def produce_batches(b, topic, nbatches, per_batch, ts_base):
    """Produces nbatches flushes of per_batch messages (one batch each). Returns
    {offset: (value, ts)}."""
    p = ck.producer(b.kafka, **{'linger.ms': 0})
    out = {}
    for bi in range(nbatches):
        res = []
        for j in range(per_batch):
            ts = ts_base + (bi * per_batch + j) * 10
            v = value('b%d-%d' % (bi, j))
            p.produce('trunc', value=v, timestamp=ts, on_delivery=lambda err, m, v=v, ts=ts:
                      res.append((err, m.offset(), v, ts)))
        if p.flush(15):
            raise AssertionError('batch %d not delivered' % bi)
        for err, off, v, ts in res:
            if err is not None:
                raise AssertionError('batch %d: %s' % (bi, err))
            out[off] = (v, ts)
    return out


def truncate_mid_batch(b, state):
    ensure_running(b)
    ck.create_topic(b.kafka, 'trunc', 1)
    ts_base = int(time.time() * 1000) - 300_000
    sent = produce_batches(b, 'trunc', 30, 10, ts_base)
    b.stop()
    seg = kwire.segment_files(b.data_dir, 'trunc', 0)[-1]
    batches, left = kwire.read_batches(seg)
    if left or len(batches) < 10:
        raise AssertionError('%s: %d batches, %d trailing bytes before the cut; expected '
                             '>= 10 whole batches' % (seg, len(batches), left))
    size = os.path.getsize(seg)
    last = batches[-1]
    cut = min(300, last['size'] - 20)
    new_size = size - cut
    if not (last['pos'] < new_size < last['end']):
        raise AssertionError('cut at %d is not inside the last batch [%d, %d)' % (
            new_size, last['pos'], last['end']))
    whole = [h for h in batches if h['end'] <= new_size]
    expect_end = whole[-1]['last_offset'] + 1
    harness.log('truncating %s from %d to %d bytes: expecting offsets 0..%d' % (
        seg, size, new_size, expect_end - 1))
    os.truncate(seg, new_size)
    b.start()
    if not b.wait_stderr(r'(?i)truncat|repair|torn', timeout=5):
        raise AssertionError('broker stderr does not mention the repair (truncat/repair/torn)')
    recs = ck.consume_all(b.kafka, 'trunc', 1, timeout=60)
    offs = [r['offset'] for r in recs]
    if offs != list(range(expect_end)):
        raise AssertionError('after repair: offsets %s..%s (%d records), expected 0..%d' % (
            offs[:1], offs[-1:], len(offs), expect_end - 1))
    for r in recs:
        if (r['value'], r['ts']) != sent[r['offset']]:
            raise AssertionError('offset %d: %r/%d, expected %r/%d' % (
                r['offset'], r['value'][:20], r['ts'], sent[r['offset']][0][:20],
                sent[r['offset']][1]))
    low, high = ck.watermarks(b.kafka, 'trunc', 0)
    if (low, high) != (0, expect_end):
        raise AssertionError('watermarks (%d, %d), expected (0, %d)' % (low, high, expect_end))
    # the time index must not point past the cut
    gone_ts = sent[expect_end][1]  # first lost message
    kept_ts = sent[expect_end - 1][1]
    got = ck.offsets_for_times(b.kafka, 'trunc', [(0, kept_ts), (0, gone_ts)])
    if got != [expect_end - 1, -1]:
        raise AssertionError('ListOffsets by time after repair: %s, expected %s' % (
            got, [expect_end - 1, -1]))
    # producing continues at the repaired end
    more = produce_batches(b, 'trunc', 1, 1, int(time.time() * 1000))
    if list(more) != [expect_end]:
        raise AssertionError('next produce got offset %s, expected %d' % (list(more),
                                                                         expect_end))
    sent.update(more)
    state['trunc'] = {o: sent[o] for o in range(expect_end + 1)}
    check_store_crcs(b, 'trunc', 1)


def rebuild_indexes(b, state):
    sent = state['trunc']
    b.stop()
    removed = []
    for ext in ('.index', '.timeindex'):
        for f in kwire.segment_files(b.data_dir, 'trunc', 0, ext):
            os.unlink(f)
            removed.append(os.path.basename(f))
    if not removed:
        raise AssertionError('no .index/.timeindex files found in %s' %
                             kwire.partition_dir(b.data_dir, 'trunc', 0))
    harness.log('removed %s' % removed)
    b.start()
    mid = len(sent) // 2
    recs = ck.consume_all(b.kafka, 'trunc', 1, start={0: mid}, timeout=60)
    if not recs or recs[0]['offset'] != mid or len(recs) != len(sent) - mid:
        raise AssertionError('fetch from offset %d returned offsets %s..%s (%d records)' % (
            mid, recs[0]['offset'] if recs else None, recs[-1]['offset'] if recs else None,
            len(recs)))
    probes = [mid, len(sent) // 3, len(sent) - 2]
    got = ck.offsets_for_times(b.kafka, 'trunc', [(0, sent[o][1]) for o in probes])
    if got != probes:
        raise AssertionError('ListOffsets by time with rebuilt indexes: %s, expected %s' % (
            got, probes))


# ----------------------------------------------------------------------------- (c)

def fsync_failure(t):
    """Returns None; raises on failure. Tries a few values of N so that some produces
    succeed before the fault whatever the broker's own start-up fsyncs are."""
    for n in (20, 80, 300):
        b = t.broker('broker-fsync-%d' % n, env={'RUNNEL_FAULT_FSYNC': 'eio-after:%d' % n})
        try:
            ck.create_topic(b.kafka, 'fsync', 1)
        except Exception as e:
            harness.log('eio-after:%d: topic creation failed (%s): trying a larger N' % (n, e))
            b.stop(expect_rc=None)
            continue
        p = Producer({'bootstrap.servers': b.kafka, 'acks': 'all', 'linger.ms': 0,
                      'retries': 0, 'message.timeout.ms': 10000})
        results = []
        for i in range(400):
            res = []
            p.produce('fsync', value=value('f%d-%d' % (n, i)),
                      on_delivery=lambda err, m: res.append((err, m.offset(), m.value())))
            if p.flush(15) or not res:
                raise AssertionError('produce %d: no delivery report within 15 s' % i)
            results.append(res[0])
            if res[0][0] is not None and sum(1 for r in results if r[0] is not None) >= 10:
                break
        ok_before = 0
        while ok_before < len(results) and results[ok_before][0] is None:
            ok_before += 1
        if ok_before == 0:
            harness.log('eio-after:%d: the first produce already failed (%s): trying a '
                        'larger N' % (n, results[0][0]))
            b.stop(expect_rc=None)
            continue
        if ok_before == len(results):
            raise AssertionError('eio-after:%d: all %d produces succeeded: the fault was '
                                 'never reported' % (n, len(results)))
        after = results[ok_before:]
        wrongly_ok = [r for r in after if r[0] is None]
        harness.log('eio-after:%d: %d acked, then %d failed (%s), %d acked after the fault'
                    % (n, ok_before, len(after) - len(wrongly_ok), after[0][0],
                       len(wrongly_ok)))
        if wrongly_ok:
            raise AssertionError('%d produces were acknowledged after the first fsync '
                                 'failure (first at offset %d)' % (len(wrongly_ok),
                                                                    wrongly_ok[0][1]))
        if not b.wait_stderr(r'(?i)Input/output error|EIO', timeout=5):
            raise AssertionError('broker stderr does not report the fsync failure (EIO)')
        del p
        rc = b.stop(expect_rc=None)
        harness.log('broker with the failed fsync exited %s after SIGTERM' % rc)
        acked = {(0, off): v for err, off, v in results[:ok_before]}
        b.start(env={})
        by = check_log(b, 'fsync', 1, acked)
        more = produce_batches_to(b, 'fsync', b'after-restart')
        if more != len(by):
            raise AssertionError('produce after restart got offset %d, expected %d' % (
                more, len(by)))
        return
    raise AssertionError('no N in (20, 80, 300) let a produce succeed before the fault')


def produce_batches_to(b, topic, v):
    p = ck.producer(b.kafka, **{'linger.ms': 0})
    res = []
    p.produce(topic, value=v + b'|' + PAD,
              on_delivery=lambda err, m: res.append((err, m.offset())))
    if p.flush(15) or not res or res[0][0] is not None:
        raise AssertionError('produce failed: %r' % res)
    return res[0][1]


def body(t):
    b = t.broker('broker')
    state = {}
    t.case('(a) kill -9 during a stream of acks=all produces (2 rounds): every acked '
           'message present, nothing corrupt', kill_mid_stream, b, state)
    t.case('(a) kill -9 right after an acked produce (3 times): all there', kill_after_ack, b)
    t.case('(b) segment truncated mid-batch is repaired on start', truncate_mid_batch, b,
           state)
    if 'trunc' in state:
        t.case('(b) missing index files are rebuilt on start', rebuild_indexes, b, state)
    t.case('(c) injected fsync EIO: acks=all fails from then on, nothing reported durable, '
           'acked data intact after restart', fsync_failure, t)


if __name__ == '__main__':
    harness.main(body)

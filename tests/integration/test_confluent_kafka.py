#!/usr/bin/python3
"""test_confluent_kafka.py - python3-confluent-kafka 1.7 (librdkafka 2.0.2) round trip
(issue 2, "Done when" 1): for each compression codec, a 3-partition topic, 10,000 keyed
messages with headers and explicit timestamps produced with acks=all, consumed back by
explicit assignment with keys, values, headers and timestamps intact and per-key order
kept; the batches are stored with the codec the client used; ListOffsets by timestamp
(offsets_for_times) finds the right offset.
"""
import harness
import ck
import kwire
import scenario as sc


def roundtrip(b, codec):
    topic = 'ck-%s' % codec
    ck.create_topic(b.kafka, topic, sc.PARTITIONS)
    msgs = sc.make_messages(codec, ts_base=sc.past_ts_base())
    msgs[7]['headers'] = msgs[7]['headers'] + [('dup', b'1'), ('dup', b'2'), ('nul', None)]
    p = ck.producer(b.kafka, **{'compression.type': codec})
    delivered, failed = ck.produce_all(p, topic, msgs)
    if failed:
        raise AssertionError('%d deliveries failed, first: %s' % (len(failed), failed[0][1]))
    acked = {}
    for m, part, off in delivered:
        if (part, off) in acked:
            raise AssertionError('offset %d of partition %d acknowledged twice' % (off, part))
        acked[(part, off)] = m['i']
    recs = ck.consume_all(b.kafka, topic, sc.PARTITIONS, expect=sc.N)
    sc.assert_verified(recs, msgs)
    for r in recs:
        if r['ts_type'] != 1:  # TIMESTAMP_CREATE_TIME
            raise AssertionError('p%d@%d: timestamp type %d, expected CreateTime' % (
                r['partition'], r['offset'], r['ts_type']))
        i = acked.get((r['partition'], r['offset']))
        if i != sc.index_of(r['value']):
            raise AssertionError('p%d@%d holds message %s but the delivery report said %s' % (
                r['partition'], r['offset'], sc.index_of(r['value']), i))
    return recs


def stored_codec(b, codec):
    got = kwire.stored_codecs(b.data_dir, 'ck-%s' % codec, sc.PARTITIONS)
    if not got or set(got) != {codec}:
        raise AssertionError('stored batches by codec: %r, expected only %s' % (got, codec))


def list_offsets_by_time(b, codec, recs):
    probes = sc.time_probes(recs)
    got = ck.offsets_for_times(b.kafka, 'ck-%s' % codec, [(p, ts) for p, ts, _ in probes])
    bad = ['p%d ts=%d: offset %d, expected %d' % (p, ts, g, e)
           for (p, ts, e), g in zip(probes, got) if g != e]
    if bad:
        raise AssertionError('; '.join(bad[:6]))


def body(t):
    b = t.broker('broker')
    for codec in sc.CODECS:
        recs = t.case('%s: 3 partitions, %d keyed msgs with headers, acks=all, consumed '
                      'back intact in per-key order' % (codec, sc.N), roundtrip, b, codec)
        if recs is None:
            continue
        t.case('%s: batches stored with codec %s' % (codec, codec), stored_codec, b, codec)
        t.case('%s: ListOffsets by timestamp finds the right offset' % codec,
               list_offsets_by_time, b, codec, recs)


if __name__ == '__main__':
    harness.main(body)

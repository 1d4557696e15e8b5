#!/usr/bin/python3
"""test_kafka_python.py - kafka-python 2.0.2 (Debian python3-kafka) round trip (issue 2,
"Done when" 1). kafka-python infers the broker release from ApiVersions and then sends
fixed versions (Produce v7, Fetch v4, ListOffsets v1, Metadata v1), has no idempotent
producer, and compresses only with the codec modules it can import (gzip always; snappy,
lz4 and zstd need python-snappy, lz4 and zstandard, reported as skipped when missing).

For each codec: a 3-partition topic (KafkaAdminClient), 10,000 keyed messages with headers
and explicit timestamps with acks=all, consumed back by explicit assignment (assign(),
no group) with keys, values, headers and timestamps intact and per-key order kept; the
stored batches use the codec; offsets_for_times finds the right offsets.
"""
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka import codec as kcodec
from kafka.admin import NewTopic

import harness
import kwire
import scenario as sc

CODEC_CHECK = {'none': lambda: True, 'gzip': kcodec.has_gzip, 'snappy': kcodec.has_snappy,
               'lz4': kcodec.has_lz4, 'zstd': kcodec.has_zstd}
CODEC_MODULE = {'snappy': 'python-snappy (snappy)', 'lz4': 'lz4', 'zstd': 'zstandard'}


def create_topic(b, topic):
    adm = KafkaAdminClient(bootstrap_servers=b.kafka, client_id='runnel-test-admin',
                           request_timeout_ms=20000)
    try:
        resp = adm.create_topics([NewTopic(name=topic, num_partitions=sc.PARTITIONS,
                                           replication_factor=1)], timeout_ms=10000)
        for name, err, *rest in resp.topic_errors:
            if err != 0:
                raise AssertionError('CreateTopics %s: error %s %s' % (name, kwire.errname(err),
                                                                      rest))
    finally:
        adm.close()


def roundtrip(b, codec, info):
    topic = 'kp-%s' % codec
    create_topic(b, topic)
    msgs = sc.make_messages(codec, ts_base=sc.past_ts_base())
    p = KafkaProducer(bootstrap_servers=b.kafka, acks='all', linger_ms=5,
                      compression_type=None if codec == 'none' else codec,
                      batch_size=64 * 1024, request_timeout_ms=30000,
                      max_block_ms=30000, client_id='runnel-test-kp')
    info['api_version'] = p.config['api_version']
    harness.log('kafka-python inferred broker version %s' % (p.config['api_version'],))
    try:
        futs = []
        for m in msgs:
            futs.append((m, p.send(topic, key=m['key'], value=m['value'],
                                   headers=list(m['headers']), timestamp_ms=m['ts'])))
        p.flush(timeout=120)
        acked = {}
        for m, f in futs:
            md = f.get(timeout=30)
            if (md.partition, md.offset) in acked:
                raise AssertionError('p%d@%d acknowledged twice' % (md.partition, md.offset))
            acked[(md.partition, md.offset)] = m['i']
    finally:
        p.close(timeout=10)
    recs = consume_all(b, topic, sc.N)
    sc.assert_verified(recs, msgs)
    for r in recs:
        if r['ts_type'] != 0:  # kafka-python: 0 = CreateTime
            raise AssertionError('p%d@%d: timestamp type %s, expected CreateTime' % (
                r['partition'], r['offset'], r['ts_type']))
        if acked.get((r['partition'], r['offset'])) != sc.index_of(r['value']):
            raise AssertionError('p%d@%d holds message %s, the ack said %s' % (
                r['partition'], r['offset'], sc.index_of(r['value']),
                acked.get((r['partition'], r['offset']))))
    return recs


def consumer(b):
    return KafkaConsumer(bootstrap_servers=b.kafka, group_id=None, enable_auto_commit=False,
                         auto_offset_reset='earliest', check_crcs=True,
                         client_id='runnel-test-kc', request_timeout_ms=30000)


def consume_all(b, topic, expect, timeout=120):
    c = consumer(b)
    try:
        tps = [TopicPartition(topic, i) for i in range(sc.PARTITIONS)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        recs = []
        deadline = time.monotonic() + timeout
        while len(recs) < expect:
            if time.monotonic() > deadline:
                raise AssertionError('consumed %d of %d records in %d s' % (len(recs), expect,
                                                                            timeout))
            for tp, rs in c.poll(timeout_ms=500, max_records=5000).items():
                recs.extend(rec(r) for r in rs)
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            for tp, rs in c.poll(timeout_ms=200).items():
                recs.extend(rec(r) for r in rs)
        return recs
    finally:
        c.close()


def rec(r):
    return {'partition': r.partition, 'offset': r.offset, 'key': r.key, 'value': r.value,
            'headers': [(k, v) for k, v in (r.headers or [])], 'ts': r.timestamp,
            'ts_type': r.timestamp_type}


def stored_codec(b, codec):
    got = kwire.stored_codecs(b.data_dir, 'kp-%s' % codec, sc.PARTITIONS)
    if not got or set(got) != {codec}:
        raise AssertionError('stored batches by codec: %r, expected only %s' % (got, codec))


def list_offsets_by_time(b, codec, recs):
    c = consumer(b)
    try:
        bad = []
        for p, ts, want in sc.time_probes(recs):
            tp = TopicPartition('kp-%s' % codec, p)
            got = c.offsets_for_times({tp: ts})[tp]
            off = -1 if got is None else got.offset
            if off != want:
                bad.append('p%d ts=%d: offset %d, expected %d' % (p, ts, off, want))
        if bad:
            raise AssertionError('; '.join(bad[:6]))
    finally:
        c.close()


def check_version(info):
    v = info.get('api_version')
    if v is None or tuple(v) < (2, 1):
        raise AssertionError('kafka-python inferred broker version %s from ApiVersions; '
                             'expected >= (2, 1) (Produce v7, RecordBatch v2, zstd)' % (v,))


def body(t):
    b = t.broker('broker')
    info = {}
    for codec in sc.CODECS:
        name = '%s: 3 partitions, %d keyed msgs with headers, acks=all, consumed back ' \
               'intact in per-key order' % (codec, sc.N)
        if not CODEC_CHECK[codec]():
            t.skip(name, 'kafka-python cannot use %s here: the %s module is not installed '
                   '(not a Debian bookworm dependency of python3-kafka)' % (
                       codec, CODEC_MODULE[codec]))
            continue
        recs = t.case(name, roundtrip, b, codec, info)
        if codec == 'none':
            t.case('inferred broker version >= (2, 1)', check_version, info)
        if recs is None:
            continue
        t.case('%s: batches stored with codec %s' % (codec, codec), stored_codec, b, codec)
        t.case('%s: offsets_for_times (ListOffsets v1) finds the right offset' % codec,
               list_offsets_by_time, b, codec, recs)


if __name__ == '__main__':
    harness.main(body)

"""tests/integration/ck.py - confluent_kafka (librdkafka 2.0.2) helpers for the tests:
create topics, produce with delivery reports, consume by explicit assignment (no consumer
group), watermarks. Needs Debian's python3-confluent-kafka (run with /usr/bin/python3).
"""
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, KafkaException,
                             Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

import harness


def admin(bootstrap):
    return AdminClient({'bootstrap.servers': bootstrap, 'socket.timeout.ms': 10000})


def create_topic(bootstrap, name, partitions=3, config=None, timeout=20):
    a = admin(bootstrap)
    fs = a.create_topics([NewTopic(name, partitions, 1, config=config or {})],
                         request_timeout=timeout, operation_timeout=timeout)
    fs[name].result(timeout)
    wait_topic(bootstrap, name, partitions)


def wait_topic(bootstrap, name, partitions, timeout=15):
    """Waits until Metadata shows the topic with its partitions, all with a leader."""
    a = admin(bootstrap)

    def ready():
        md = a.list_topics(name, timeout=5)
        t = md.topics.get(name)
        return (t is not None and t.error is None and len(t.partitions) == partitions and
                all(p.leader >= 0 for p in t.partitions.values()))
    harness.wait_until(ready, timeout, 'topic %s with %d partitions' % (name, partitions))


def producer(bootstrap, **conf):
    c = {'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 5,
         'message.timeout.ms': 30000}
    c.update({k.replace('_', '.'): v for k, v in conf.items()})
    return Producer(c)


def produce_all(p, topic, msgs, timeout=120):
    """Produces msgs (scenario dicts) and waits for every delivery report. Returns
    (delivered list of (msg, partition, offset), failed list of (msg, error))."""
    delivered, failed = [], []

    def cb(m):
        def report(err, km):
            if err:
                failed.append((m, err))
            else:
                delivered.append((m, km.partition(), km.offset()))
        return report

    for m in msgs:
        kw = {'key': m['key'], 'value': m['value'], 'on_delivery': cb(m)}
        if m['headers']:
            kw['headers'] = list(m['headers'])
        if m['ts'] is not None:
            kw['timestamp'] = m['ts']
        while True:
            try:
                p.produce(topic, **kw)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(timeout)
    if left:
        raise AssertionError('%d messages still undelivered after %d s' % (left, timeout))
    return delivered, failed


def consumer(bootstrap, **conf):
    c = {'bootstrap.servers': bootstrap, 'group.id': 'runnel-test-assign',
         'enable.auto.commit': False, 'enable.auto.offset.store': False,
         'auto.offset.reset': 'earliest', 'check.crcs': True,
         'enable.partition.eof': True}
    c.update({k.replace('_', '.'): v for k, v in conf.items()})
    return Consumer(c)


def record_of(m):
    ts_type, ts = m.timestamp()
    return {'partition': m.partition(), 'offset': m.offset(), 'key': m.key(),
            'value': m.value(), 'headers': list(m.headers() or []), 'ts': ts,
            'ts_type': ts_type}


def consume_all(bootstrap, topic, partitions, expect=None, timeout=120, start=None,
                settle=1.0, **conf):
    """Consumes every partition from the beginning (or start: {partition: offset}) by
    explicit assignment until each partition reports EOF (and, if expect is given, at
    least expect records arrived). Returns the records. Raises on consumer errors."""
    c = consumer(bootstrap, **conf)
    try:
        c.assign([TopicPartition(topic, p, (start or {}).get(p, OFFSET_BEGINNING))
                  for p in range(partitions)])
        recs = []
        eof = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = c.consume(num_messages=1000, timeout=0.5)
            for m in msgs:
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        eof.add(m.partition())
                        continue
                    raise KafkaException(m.error())
                eof.discard(m.partition())
                recs.append(record_of(m))
            if len(eof) == partitions and (expect is None or len(recs) >= expect):
                break
        else:
            raise AssertionError('consumed %d records of %s from %s in %d s (EOF on %s)' % (
                len(recs), expect, topic, timeout, sorted(eof)))
        # a little longer: nothing more (no duplicates) should arrive
        end = time.monotonic() + settle
        while time.monotonic() < end:
            for m in c.consume(num_messages=1000, timeout=0.2):
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        raise KafkaException(m.error())
                    continue
                recs.append(record_of(m))
        return recs
    finally:
        c.close()


def watermarks(bootstrap, topic, partition, timeout=10):
    c = consumer(bootstrap)
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout,
                                       cached=False)
    finally:
        c.close()


def offsets_for_times(bootstrap, topic, probes, timeout=10):
    """probes: list of (partition, ts). Returns the offsets in the same order (one
    ListOffsets per probe: a request must not name a partition twice)."""
    c = consumer(bootstrap)
    try:
        out = []
        for p, ts in probes:
            res = c.offsets_for_times([TopicPartition(topic, p, ts)], timeout=timeout)
            if res[0].error:
                raise KafkaException(res[0].error)
            out.append(res[0].offset)
        return out
    finally:
        c.close()

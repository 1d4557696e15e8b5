"""tests/integration/test_governance.py - validation at the produce boundary and eventId
dedup (issue 4), driven by librdkafka (confluent_kafka) against the real broker:

- runnel.validation=schema: valid events land; a present-tense action, a malformed
  eventType, a missing envelope field, non-JSON and data that breaks its registered schema
  are each refused with INVALID_RECORD, never reach a consumer, and are counted (shown by
  `runnel topics describe`);
- runnel.validation.quarantine=true: refused records are written to <topic>.rejected with
  the reason in a header;
- runnel.dedup.window.ms: the same eventId produced three times is stored once, also
  across a broker restart.
"""
import json
import urllib.request
import uuid

import ck
import harness
from confluent_kafka import KafkaError

SCHEMA = {
    'type': 'object',
    'required': ['orderId', 'totalAmount', 'currency'],
    'properties': {
        'orderId': {'type': 'string'},
        'customerId': {'type': 'string'},
        'totalAmount': {'type': 'number', 'minimum': 0},
        'currency': {'type': 'string', 'pattern': '^[A-Z]{3}$'},
    },
}


def envelope(event_type='order.created.v1', data=None, event_id=None, **drop):
    e = {
        'eventId': event_id or str(uuid.uuid4()),
        'eventType': event_type,
        'eventTime': '2026-11-27T10:00:00.000Z',
        'source': 'order-service',
        'subject': 'order-12345',
        'dataVersion': '1.0',
        'data': data if data is not None else {'orderId': '12345', 'customerId': 'c-456',
                                               'totalAmount': 99.99, 'currency': 'SEK'},
        'metadata': {'correlationId': 'corr-789', 'causationId': 'cmd-abc',
                     'userId': 'user-123'},
    }
    for k in drop:
        e.pop(k, None)
    return json.dumps(e).encode()


def http(b, method, path, body=None):
    req = urllib.request.Request('http://%s%s' % (b.http, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={'Content-Type': 'application/vnd.schemaregistry.v1+json'})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'null')


def produce_each(bootstrap, topic, values, headers=None):
    """Produces each value in its own batch (flush after each); returns [(err, offset)]."""
    out = []
    p = ck.producer(bootstrap, **{'linger.ms': 0})
    for v in values:
        res = {}

        def dr(err, msg, res=res):
            res['err'] = err
            res['offset'] = msg.offset()
        p.produce(topic, value=v, partition=0, headers=headers, on_delivery=dr)
        p.flush(20)
        out.append((res.get('err'), res.get('offset')))
    return out


def body(t):
    b = t.broker()
    bs = b.kafka

    def register_schema():
        st, r = http(b, 'POST', '/subjects/order.created.v1/versions',
                     {'schema': json.dumps(SCHEMA), 'schemaType': 'JSON'})
        assert st == 200 and 'id' in r, (st, r)
    t.case('register the order.created.v1 JSON schema', register_schema)

    ck.create_topic(bs, 'orders', 1, config={'runnel.validation': 'schema',
                                             'runnel.validation.quarantine': 'true'})

    def valid_land():
        res = produce_each(bs, 'orders', [envelope(), envelope()])
        assert all(e is None for e, _ in res), res
    t.case('valid events land (librdkafka)', valid_land)

    bad = [
        ('present-tense action', envelope('order.create.v1'), '/eventType'),
        ('malformed eventType', envelope('OrderCreated'), '/eventType'),
        ('missing envelope field', envelope(source=None), '/source'),
        ('non-JSON', b'this is not json', ''),
        ('data breaks its schema', envelope(data={'orderId': '1', 'totalAmount': -5,
                                                  'currency': 'SEK'}), '/data/totalAmount'),
    ]
    for name, value, _path in bad:
        def refused(value=value):
            (err, _), = produce_each(bs, 'orders', [value])
            assert err is not None, 'accepted'
            assert err.code() == KafkaError.INVALID_RECORD, 'got %s' % err
        t.case('%s: refused with INVALID_RECORD' % name, refused)

    def nothing_invalid_stored():
        recs = ck.consume_all(bs, 'orders', 1, expect=2, timeout=30)
        assert len(recs) == 2, 'expected only the 2 valid events, got %d' % len(recs)
        for r in recs:
            assert json.loads(r['value'])['eventType'] == 'order.created.v1'
    t.case('only the valid events reach a consumer', nothing_invalid_stored)

    def quarantined():
        ck.wait_topic(bs, 'orders.rejected', 1)
        recs = ck.consume_all(bs, 'orders.rejected', 1, expect=len(bad), timeout=30)
        assert len(recs) == len(bad), 'expected %d quarantined, got %d' % (len(bad), len(recs))
        for (name, value, path), r in zip(bad, recs):
            hdr = dict(r['headers'])
            assert r['value'] == value, name
            reason = hdr.get('runnel.rejected.reason', b'').decode()
            assert path in reason, '%s: reason %r lacks %r' % (name, reason, path)
    t.case('refused records are quarantined in orders.rejected with the reason',
           quarantined)

    def counters_shown():
        cp = harness.runnel(['topics', 'describe', 'orders', '--all', '--brokers', bs],
                            check=True)
        assert 'runnel.validation.rejected' in cp.stdout, cp.stdout
        line = [ln for ln in cp.stdout.splitlines()
                if 'runnel.validation.rejected' in ln and 'order.create.v1' in ln]
        assert line, 'no per-eventType counter for order.create.v1:\n' + cp.stdout
    t.case('runnel topics describe shows the rejection counters', counters_shown)

    def quarantine_keeps_every_header():
        many = [('h%02d' % i, ('value %d' % i).encode()) for i in range(40)]
        (err, _), = produce_each(bs, 'orders', [envelope('order.create.v1')], headers=many)
        assert err is not None and err.code() == KafkaError.INVALID_RECORD, 'got %s' % err
        recs = ck.consume_all(bs, 'orders.rejected', 1, expect=len(bad) + 1, timeout=30)
        assert len(recs) == len(bad) + 1, 'expected %d quarantined, got %d' % (
            len(bad) + 1, len(recs))
        got = recs[-1]['headers']
        assert got[:40] == many, 'original headers not kept in order: %r' % got[:42]
        assert [k for k, _ in got[40:]] == ['runnel.rejected.reason', 'runnel.rejected.topic',
                                            'runnel.rejected.partition'], got[40:]
    t.case('quarantine keeps all 40 headers of a refused record, then adds its own',
           quarantine_keeps_every_header)

    ck.create_topic(bs, 'dedup', 1, config={'runnel.validation': 'envelope',
                                            'runnel.dedup.window.ms': '600000'})
    eid = str(uuid.uuid4())

    def dedup_three_times():
        res = produce_each(bs, 'dedup', [envelope(event_id=eid)] * 3)
        assert all(e is None for e, _ in res), res
        offs = {o for _, o in res}
        assert len(offs) == 1, 'offsets %r: expected the original offset each time' % offs
        lo, hi = ck.watermarks(bs, 'dedup', 0)
        assert hi - lo == 1, 'stored %d times' % (hi - lo)
    t.case('the same eventId produced three times is stored once', dedup_three_times)

    def dedup_after_restart():
        b.restart()
        res = produce_each(b.kafka, 'dedup', [envelope(event_id=eid), envelope()])
        assert all(e is None for e, _ in res), res
        lo, hi = ck.watermarks(b.kafka, 'dedup', 0)
        assert hi - lo == 2, 'expected 2 records (1 old + 1 new), found %d' % (hi - lo)
        assert res[0][1] == 0, 'duplicate answered with offset %r, original 0' % res[0][1]
    t.case('dedup survives a broker restart', dedup_after_restart)


harness.main(body)

"""tests/integration/test_schema_registry.py - the schema registry over HTTP (issue 4,
item 3): every endpoint and error code of the Confluent-compatible API against the real
broker, with Python's urllib; the "Done when" check (an incompatible schema under BACKWARD
is 409 and the compatibility endpoint says is_compatible: false, an additive optional field
is accepted); and durability across a clean restart and a kill -9 on the same data dir.
"""
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CT = 'application/vnd.schemaregistry.v1+json'


def call(b, method, path, body=None, ctype=CT, accept=None, raw=False):
    """(status, content type, parsed JSON or text) of one request to broker b."""
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    r = urllib.request.Request('http://%s%s' % (b.http, path), data=data, method=method)
    if data is not None and ctype:
        r.add_header('Content-Type', ctype)
    if accept:
        r.add_header('Accept', accept)
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            status, headers, text = resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, e.headers, e.read().decode()
    ctype_out = headers.get('Content-Type')
    if raw:
        return status, ctype_out, text
    try:
        return status, ctype_out, json.loads(text)
    except ValueError:
        return status, ctype_out, text


def ok(b, method, path, body=None, **kw):
    status, _, out = call(b, method, path, body, **kw)
    assert status == 200, '%s %s -> %s %s' % (method, path, status, out)
    return out


def err(b, method, path, body, status, code, **kw):
    st, _, out = call(b, method, path, body, **kw)
    assert st == status, '%s %s -> %s %s (expected %s)' % (method, path, st, out, status)
    assert isinstance(out, dict) and out.get('error_code') == code, \
        '%s %s -> %s (expected error_code %s)' % (method, path, out, code)
    assert isinstance(out.get('message'), str) and out['message'], out
    return out['message']


def schema(props, required=(), closed=False):
    s = {'type': 'object', 'properties': props}
    if required:
        s['required'] = list(required)
    if closed:
        s['additionalProperties'] = False
    return s


def body(s, **extra):
    d = {'schema': s if isinstance(s, str) else json.dumps(s)}
    d.update(extra)
    return d


ORDER_V1 = schema({'id': {'type': 'string'}, 'amount': {'type': 'number'}}, ['id'])
ORDER_V2 = schema({'id': {'type': 'string'}, 'amount': {'type': 'number'},
                   'note': {'type': 'string'}}, ['id'])   # additive optional field
ORDER_BAD = schema({'id': {'type': 'string'}, 'amount': {'type': 'number'},
                    'customer': {'type': 'string'}}, ['id', 'customer'])  # new required field


def body_fn(t):
    b = t.broker('registry')

    def empty():
        assert ok(b, 'GET', '/') == {}
        assert ok(b, 'GET', '/subjects') == []
        assert ok(b, 'GET', '/config') == {'compatibilityLevel': 'BACKWARD'}
        assert ok(b, 'GET', '/mode') == {'mode': 'READWRITE'}
        assert ok(b, 'GET', '/schemas/types') == ['JSON']
    t.case('empty registry: /, /subjects, /config, /mode, /schemas/types', empty)

    ids = {}

    def register():
        st, ctype, out = call(b, 'POST', '/subjects/orders-value/versions',
                              body(ORDER_V1, schemaType='JSON'))
        assert st == 200 and out == {'id': 1}, (st, out)
        assert ctype == CT, ctype
        ids['v1'] = out['id']
        # no schemaType means JSON here (Confluent would assume AVRO)
        out = ok(b, 'POST', '/subjects/other-value/versions', body({'type': 'string'}))
        ids['string'] = out['id']
        assert ids['string'] == 2
    t.case('POST /subjects/{s}/versions registers (schemaType JSON or absent)', register)

    def idempotent():
        spaced = json.dumps(ORDER_V1, indent=4, sort_keys=True)
        assert ok(b, 'POST', '/subjects/orders-value/versions', body(spaced)) == {'id': 1}
        assert ok(b, 'GET', '/subjects/orders-value/versions') == [1]
        # the same schema under another subject shares the global id
        assert ok(b, 'POST', '/subjects/orders-copy/versions', body(ORDER_V1)) == {'id': 1}
        assert ok(b, 'GET', '/schemas/ids/1/versions') == [
            {'subject': 'orders-copy', 'version': 1}, {'subject': 'orders-value', 'version': 1}]
        assert ok(b, 'GET', '/schemas/ids/1/subjects') == ['orders-copy', 'orders-value']
    t.case('registering an identical schema is idempotent; ids are global', idempotent)

    def reads():
        v = ok(b, 'GET', '/subjects/orders-value/versions/1')
        assert v == {'subject': 'orders-value', 'version': 1, 'id': 1, 'schemaType': 'JSON',
                     'schema': json.dumps(ORDER_V1)}, v
        assert ok(b, 'GET', '/subjects/orders-value/versions/latest') == v
        assert ok(b, 'GET', '/subjects/orders-value/versions/-1') == v
        st, _, raw = call(b, 'GET', '/subjects/orders-value/versions/1/schema', raw=True)
        assert st == 200 and json.loads(raw) == ORDER_V1, raw
        assert ok(b, 'GET', '/subjects/orders-value/versions/1/referencedby') == []
        s = ok(b, 'GET', '/schemas/ids/1')
        assert s == {'schema': json.dumps(ORDER_V1), 'schemaType': 'JSON'}, s
        st, _, raw = call(b, 'GET', '/schemas/ids/1/schema', raw=True)
        assert st == 200 and json.loads(raw) == ORDER_V1
        assert ok(b, 'GET', '/subjects') == ['orders-copy', 'orders-value', 'other-value']
    t.case('GET versions, version, latest, /schema, /schemas/ids/{id}', reads)

    def read_errors():
        m = err(b, 'GET', '/subjects/nope/versions', None, 404, 40401)
        assert m == "Subject 'nope' not found.", m
        err(b, 'GET', '/subjects/nope/versions/1', None, 404, 40401)
        err(b, 'GET', '/subjects/orders-value/versions/9', None, 404, 40402)
        for v in ('0', 'abc', '2147483648', '1.5'):
            err(b, 'GET', '/subjects/orders-value/versions/%s' % v, None, 422, 42202)
        err(b, 'GET', '/schemas/ids/999', None, 404, 40403)
        err(b, 'GET', '/schemas/ids/999/versions', None, 404, 40403)
    t.case('read errors: 40401, 40402, 42202, 40403', read_errors)

    def lookup():
        out = ok(b, 'POST', '/subjects/orders-value', body(json.dumps(ORDER_V1, indent=2)))
        assert out['id'] == 1 and out['version'] == 1 and out['subject'] == 'orders-value', out
        assert out['schemaType'] == 'JSON'
        err(b, 'POST', '/subjects/orders-value', body({'type': 'boolean'}), 404, 40403)
        err(b, 'POST', '/subjects/nope', body(ORDER_V1), 404, 40401)
        err(b, 'POST', '/subjects/orders-value', body('{broken'), 422, 42201)
    t.case('POST /subjects/{s} looks a schema up (40403, 40401, 42201)', lookup)

    def done_when():
        # the "Done when": incompatible under BACKWARD is 409 ...
        msg = err(b, 'POST', '/subjects/orders-value/versions', body(ORDER_BAD), 409, 409)
        assert 'incompatible' in msg and 'REQUIRED_PROPERTY_ADDED' in msg, msg
        # ... and the compatibility endpoint says is_compatible: false
        out = ok(b, 'POST', '/compatibility/subjects/orders-value/versions/latest',
                 body(ORDER_BAD))
        assert out == {'is_compatible': False}, out
        out = ok(b, 'POST', '/compatibility/subjects/orders-value/versions/1?verbose=true',
                 body(ORDER_BAD))
        assert out['is_compatible'] is False and out['messages'], out
        assert out['messages'][0].startswith('#/required: REQUIRED_PROPERTY_ADDED'), out
        # an additive optional field is accepted
        out = ok(b, 'POST', '/compatibility/subjects/orders-value/versions/latest',
                 body(ORDER_V2))
        assert out == {'is_compatible': True}, out
        out = ok(b, 'POST', '/subjects/orders-value/versions', body(ORDER_V2))
        ids['v2'] = out['id']
        assert ids['v2'] == 3, out
        assert ok(b, 'GET', '/subjects/orders-value/versions') == [1, 2]
    t.case('BACKWARD: incompatible schema is 409 and is_compatible false; optional field '
           'accepted', done_when)

    def compat_endpoint():
        out = ok(b, 'POST', '/compatibility/subjects/orders-value/versions?verbose=true',
                 body(ORDER_V2))
        assert out == {'is_compatible': True, 'messages': []}, out
        # a type change, verbose: the message names the JSON path and the rule
        changed = schema({'id': {'type': 'integer'}, 'amount': {'type': 'number'}}, ['id'])
        out = ok(b, 'POST', '/compatibility/subjects/orders-value/versions/2?verbose=true',
                 body(changed))
        assert out['is_compatible'] is False
        assert any(m.startswith('#/properties/id/type: TYPE_NARROWED') for m in out['messages']), out
        # latest of an unknown subject: compatible; a missing version: 40402
        assert ok(b, 'POST', '/compatibility/subjects/fresh/versions/latest',
                  body(ORDER_BAD)) == {'is_compatible': True}
        err(b, 'POST', '/compatibility/subjects/orders-value/versions/7', body(ORDER_V2), 404, 40402)
        err(b, 'POST', '/compatibility/subjects/orders-value/versions/zero', body(ORDER_V2), 422,
            42202)
        err(b, 'POST', '/compatibility/subjects/orders-value/versions/latest', body('[1'), 422, 42201)
        out = ok(b, 'POST', '/compatibility/subjects/orders-value/versions/latest?verbose=true',
                 body('[1'))
        assert out['is_compatible'] is False and 'Invalid schema' in out['messages'][0], out
    t.case('POST /compatibility/subjects/{s}/versions[/{v}] (verbose, 40402, 42202, 42201)',
           compat_endpoint)

    def invalid_schemas():
        for bad, why in ((body('{"type": 5}'), 'does not compile'),
                         (body('not json'), 'not JSON'),
                         (body('[]'), 'array'),
                         (body(''), 'empty'),
                         (body(ORDER_V1, schemaType='AVRO'), 'AVRO'),
                         (body(ORDER_V1, schemaType='PROTOBUF'), 'PROTOBUF'),
                         (body(ORDER_V1, references=[{'name': 'x', 'subject': 'y', 'version': 1}]),
                          'references'),
                         ({'schema': {'type': 'object'}}, 'schema not a string')):
            m = err(b, 'POST', '/subjects/invalid/versions', bad, 422, 42201)
            if why in ('AVRO', 'PROTOBUF'):
                assert why in m and 'JSON' in m, m
        err(b, 'GET', '/subjects/invalid/versions', None, 404, 40401)
    t.case('invalid schemas and other schema types are 42201', invalid_schemas)

    def config():
        assert ok(b, 'PUT', '/config/orders-value', {'compatibility': 'FULL'}) == \
            {'compatibility': 'FULL'}
        assert ok(b, 'GET', '/config/orders-value') == {'compatibilityLevel': 'FULL'}
        err(b, 'GET', '/config/other-value', None, 404, 40408)
        assert ok(b, 'GET', '/config/other-value?defaultToGlobal=true') == \
            {'compatibilityLevel': 'BACKWARD'}
        err(b, 'PUT', '/config/orders-value', {'compatibility': 'SIDEWAYS'}, 422, 42203)
        err(b, 'PUT', '/config', {}, 422, 42203)
        for level in ('NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD',
                      'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'):
            assert ok(b, 'PUT', '/config', {'compatibility': level.lower()}) == \
                {'compatibility': level}
            assert ok(b, 'GET', '/config') == {'compatibilityLevel': level}
        assert ok(b, 'PUT', '/config', {'compatibility': 'BACKWARD'})
        assert ok(b, 'DELETE', '/config/orders-value') == {'compatibilityLevel': 'FULL'}
        err(b, 'DELETE', '/config/orders-value', None, 404, 40401)
        err(b, 'GET', '/config/orders-value', None, 404, 40408)
        # FORWARD accepts a new required field that BACKWARD refused
        ok(b, 'PUT', '/config/fwd', {'compatibility': 'FORWARD'})
        ok(b, 'POST', '/subjects/fwd/versions', body(ORDER_V1))
        ok(b, 'POST', '/subjects/fwd/versions', body(ORDER_BAD))
        ok(b, 'PUT', '/config/fwd', {'compatibility': 'FULL'})
        optional = schema({'id': {'type': 'string'}, 'amount': {'type': 'number'},
                           'customer': {'type': 'string'}}, ['id'])
        err(b, 'POST', '/subjects/fwd/versions', body(optional), 409, 409)  # not FORWARD
    t.case('GET/PUT/DELETE /config and /config/{s} (40408, 42203, levels apply)', config)

    def mode():
        assert ok(b, 'PUT', '/mode/other-value', {'mode': 'READONLY'}) == {'mode': 'READONLY'}
        assert ok(b, 'GET', '/mode/other-value') == {'mode': 'READONLY'}
        m = err(b, 'POST', '/subjects/other-value/versions', body({'type': ['string', 'null']}),
                422, 42205)
        assert 'read-only' in m, m
        err(b, 'DELETE', '/subjects/other-value/versions/1', None, 422, 42205)
        err(b, 'GET', '/mode/orders-value', None, 404, 40409)
        assert ok(b, 'GET', '/mode/orders-value?defaultToGlobal=true') == {'mode': 'READWRITE'}
        err(b, 'PUT', '/mode', {'mode': 'WRITEONLY'}, 422, 42204)
        err(b, 'PUT', '/mode', {'mode': 'IMPORT'}, 422, 42205)  # subjects exist: needs force
        assert ok(b, 'DELETE', '/mode/other-value') == {'mode': 'READONLY'}
        err(b, 'DELETE', '/mode/other-value', None, 404, 40401)
        ok(b, 'POST', '/subjects/other-value/versions', body({'type': ['string', 'null']}))
        # IMPORT: explicit ids and versions, no compatibility check
        ok(b, 'PUT', '/mode/imported', {'mode': 'IMPORT'})
        out = ok(b, 'POST', '/subjects/imported/versions',
                 body({'type': 'integer'}, id=100, version=5))
        assert out == {'id': 100}, out
        assert ok(b, 'GET', '/subjects/imported/versions') == [5]
        err(b, 'POST', '/subjects/orders-value/versions', body({'type': 'integer'}, id=100), 422,
            42205)
        ok(b, 'PUT', '/mode', {'mode': 'READONLY'})
        err(b, 'POST', '/subjects/orders-value/versions', body(ORDER_V2), 422, 42205)
        ok(b, 'PUT', '/mode', {'mode': 'READWRITE'})
        ok(b, 'DELETE', '/mode/imported')
    t.case('GET/PUT/DELETE /mode and /mode/{s} (READONLY 42205, IMPORT, 40409, 42204)', mode)

    def deletes():
        ok(b, 'POST', '/subjects/tmp/versions', body({'type': 'string', 'maxLength': 9}))
        ok(b, 'POST', '/subjects/tmp/versions', body({'type': 'string', 'maxLength': 99}))
        tmp_id = ok(b, 'GET', '/subjects/tmp/versions/2')['id']
        err(b, 'DELETE', '/subjects/tmp?permanent=true', None, 404, 40405)
        err(b, 'DELETE', '/subjects/tmp/versions/2?permanent=true', None, 404, 40407)
        assert ok(b, 'DELETE', '/subjects/tmp/versions/2') == 2
        err(b, 'DELETE', '/subjects/tmp/versions/2', None, 404, 40406)
        err(b, 'GET', '/subjects/tmp/versions/2', None, 404, 40402)
        assert ok(b, 'GET', '/subjects/tmp/versions/2?deleted=true')['id'] == tmp_id
        assert ok(b, 'GET', '/subjects/tmp/versions') == [1]
        assert ok(b, 'GET', '/subjects/tmp/versions?deleted=true') == [1, 2]
        assert ok(b, 'GET', '/schemas/ids/%d' % tmp_id)   # soft: the id still resolves
        assert ok(b, 'DELETE', '/subjects/tmp/versions/2?permanent=true') == 2
        err(b, 'GET', '/schemas/ids/%d' % tmp_id, None, 404, 40403)
        assert ok(b, 'DELETE', '/subjects/tmp') == [1]
        assert 'tmp' not in ok(b, 'GET', '/subjects')
        assert 'tmp' in ok(b, 'GET', '/subjects?deleted=true')
        err(b, 'DELETE', '/subjects/tmp', None, 404, 40404)
        err(b, 'GET', '/subjects/tmp/versions', None, 404, 40401)
        assert ok(b, 'DELETE', '/subjects/tmp?permanent=true') == [1]
        err(b, 'DELETE', '/subjects/tmp', None, 404, 40401)
        assert 'tmp' not in ok(b, 'GET', '/subjects?deleted=true')
        err(b, 'DELETE', '/subjects/tmp/versions/1', None, 404, 40401)
    t.case('soft and hard delete of subjects and versions (40404-40407)', deletes)

    def http_level():
        err(b, 'GET', '/nothing-here', None, 404, 404)
        err(b, 'PATCH', '/subjects', None, 405, 405)
        err(b, 'PUT', '/schemas/ids/1', {}, 405, 405)
        err(b, 'POST', '/subjects/x/versions', body(ORDER_V1), 415, 415, ctype='text/plain')
        err(b, 'POST', '/subjects/x/versions', '{"schema": ', 400, 400)
        # application/json is accepted and, when asked for, returned
        st, ctype, out = call(b, 'POST', '/subjects/json-ct/versions', body(ORDER_V1),
                              ctype='application/json', accept='application/json')
        assert st == 200 and out == {'id': 1} and ctype == 'application/json', (st, ctype, out)
        st, ctype, _ = call(b, 'GET', '/subjects', accept='application/vnd.schemaregistry+json')
        assert ctype == 'application/vnd.schemaregistry+json', ctype
        # subjects with '/' travel percent-encoded
        ok(b, 'POST', '/subjects/team%2Forders/versions', body({'type': 'null'}))
        assert 'team/orders' in ok(b, 'GET', '/subjects')
        assert ok(b, 'GET', '/subjects/team%2Forders/versions') == [1]
        st, _, out = call(b, 'GET', '/health')
        assert st == 200 and out == {'status': 'ok'}
    t.case('HTTP level: 404, 405, 415, 400, content types, encoded subjects', http_level)

    def confluent_client():
        try:
            from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
            from confluent_kafka.schema_registry.json_schema import (JSONDeserializer,
                                                                     JSONSerializer)
            from confluent_kafka.serialization import MessageField, SerializationContext
        except ImportError as e:   # its schema registry client needs python3-requests
            t.skip('confluent-kafka SchemaRegistryClient (python3-confluent-kafka)',
                   'cannot import it: %s' % e)
            return
        text = json.dumps(ORDER_V1)

        def run():
            c = SchemaRegistryClient({'url': 'http://%s' % b.http})
            sid = c.register_schema('ck.orders', Schema(text, 'JSON'))
            assert sid == 1, sid
            assert c.lookup_schema('ck.orders', Schema(text, 'JSON')).version == 1
            latest = c.get_latest_version('ck.orders')
            assert (latest.schema_id, latest.version, latest.subject) == (1, 1, 'ck.orders')
            assert latest.schema.schema_type == 'JSON'
            assert c.get_schema(1).schema_str == text
            assert c.test_compatibility('ck.orders', Schema(json.dumps(ORDER_V2), 'JSON'))
            assert not c.test_compatibility('ck.orders', Schema(json.dumps(ORDER_BAD), 'JSON'))
            c.set_compatibility('ck.orders', 'FULL')
            assert c.get_compatibility('ck.orders') == 'FULL'
            ctx = SerializationContext('ck-topic', MessageField.VALUE)
            titled = json.dumps(dict(ORDER_V1, title='Order'))  # the serializer wants a title
            ser = JSONSerializer(titled, c, to_dict=lambda o, ctx: o)
            data = ser({'id': 'o-1', 'amount': 3}, ctx)
            wire_id = int.from_bytes(data[1:5], 'big')
            assert data[0] == 0 and wire_id > 1, data
            assert c.get_latest_version('ck-topic-value').schema_id == wire_id  # auto-registered
            de = JSONDeserializer(titled, from_dict=lambda d, ctx: d)
            assert de(data, ctx) == {'id': 'o-1', 'amount': 3}
        t.case('confluent-kafka SchemaRegistryClient and JSON serializer round trip', run)
    confluent_client()

    state = {}

    def before_restart():
        state['subjects'] = ok(b, 'GET', '/subjects')
        state['deleted'] = ok(b, 'GET', '/subjects?deleted=true')
        state['versions'] = {s: ok(b, 'GET', '/subjects/%s/versions?deleted=true' %
                                   s.replace('/', '%2F'))
                             for s in state['deleted']}
        state['latest'] = {s: ok(b, 'GET', '/subjects/%s/versions/latest' % s.replace('/', '%2F'))
                           for s in state['subjects']}
        ok(b, 'PUT', '/config/orders-value', {'compatibility': 'FORWARD_TRANSITIVE'})
        ok(b, 'PUT', '/mode/other-value', {'mode': 'READONLY'})
        ok(b, 'PUT', '/config', {'compatibility': 'FULL'})
    t.case('state recorded before restart', before_restart)

    def after_restart():
        b.restart()
        assert ok(b, 'GET', '/subjects') == state['subjects']
        assert ok(b, 'GET', '/subjects?deleted=true') == state['deleted']
        for s, vs in state['versions'].items():
            assert ok(b, 'GET', '/subjects/%s/versions?deleted=true' % s.replace('/', '%2F')) == vs
        for s, v in state['latest'].items():
            assert ok(b, 'GET', '/subjects/%s/versions/latest' % s.replace('/', '%2F')) == v, s
        assert ok(b, 'GET', '/config/orders-value') == {'compatibilityLevel': 'FORWARD_TRANSITIVE'}
        assert ok(b, 'GET', '/mode/other-value') == {'mode': 'READONLY'}
        assert ok(b, 'GET', '/config') == {'compatibilityLevel': 'FULL'}
        assert ok(b, 'GET', '/schemas/ids/1')['schema'] == json.dumps(ORDER_V1)
        # identical schemas keep their ids; new ones continue after the largest ever given
        assert ok(b, 'POST', '/subjects/orders-value/versions', body(ORDER_V2)) == {'id': ids['v2']}
        largest = ok(b, 'GET', '/subjects/json-ct/versions/latest')['id']
        for s in state['deleted']:
            for v in state['versions'][s]:
                largest = max(largest, ok(b, 'GET', '/subjects/%s/versions/%d?deleted=true' % (
                    s.replace('/', '%2F'), v))['id'])
        out = ok(b, 'POST', '/subjects/after-restart/versions', body({'type': 'boolean'}))
        assert out['id'] > largest >= 100, (out, largest)
    t.case('restart on the same data dir keeps subjects, versions, ids, config, mode',
           after_restart)

    def kill9():
        out = ok(b, 'POST', '/subjects/crash/versions', body({'type': 'array'}))
        b.kill9()   # right after the 200: the transaction was committed (fsync) before it
        b.start()
        v = ok(b, 'GET', '/subjects/crash/versions/latest')
        assert v['id'] == out['id'] and v['version'] == 1, v
    t.case('kill -9 right after a registration: still there after restart', kill9)


if __name__ == '__main__':
    harness.main(body_fn)

#!/usr/bin/python3
"""test_event_cli.py - `runnel event new|validate` end to end (issue 4, "What must work"
1 and 6): envelopes built by `new` pass `validate`, with v4/v7 ids, correlation and
causation carried over, JSON from flags, files and stdin; invalid envelopes and invalid
`new` requests exit 1 with the exact messages; usage errors exit 2; --help everywhere.
No broker is needed. Every run's stderr is checked for sanitizer reports.
"""
import json
import os
import re
import tempfile

import harness

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-([1-8])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
FIELDS = ['eventId', 'eventType', 'eventTime', 'source', 'subject', 'dataVersion', 'data',
          'metadata']


def run(args, input=None):
    cp = harness.runnel(['event'] + args, input=input)
    rep = harness.sanitizer_report(cp.stderr)
    if rep:
        raise AssertionError('sanitizer report from runnel event %s:\n%s' % (' '.join(args), rep))
    return cp


def expect(cp, rc, what):
    if cp.returncode != rc:
        raise AssertionError('%s: exit %d, expected %d; stdout %r; stderr %r' % (
            what, cp.returncode, rc, cp.stdout[-400:], cp.stderr[-400:]))
    return cp


def new(args, input=None):
    cp = expect(run(['new'] + args, input=input), 0, 'event new ' + ' '.join(args))
    lines = cp.stdout.splitlines()
    if '--pretty' not in args and len(lines) != 1:
        raise AssertionError('event new printed %d lines: %r' % (len(lines), cp.stdout))
    return json.loads(cp.stdout)


def validate(lines, args=(), rc=0):
    text = ''.join(l + '\n' for l in lines)
    cp = expect(run(['validate'] + list(args), input=text), rc, 'event validate')
    return cp.stdout.splitlines(), cp.stderr


def help_texts():
    for args in (['--help'], ['new', '--help'], ['validate', '--help'], ['help']):
        cp = expect(run(args), 0, 'runnel event ' + ' '.join(args))
        if 'usage: runnel event' not in cp.stdout:
            raise AssertionError('runnel event %s: no usage text: %r' % (' '.join(args), cp.stdout))
    cp = expect(harness.runnel(['--help']), 0, 'runnel --help')
    if 'event' not in cp.stdout:
        raise AssertionError('runnel --help does not list event')


def new_defaults():
    env = new(['order.created.v1', '--subject', 'order-12345', '--data',
               '{"orderId": "12345", "totalAmount": 99.99, "currency": "SEK"}'])
    if list(env) != FIELDS:
        raise AssertionError('members %r, expected %r' % (list(env), FIELDS))
    m = UUID_RE.match(env['eventId'])
    if not m or m.group(1) != '4':
        raise AssertionError('eventId %r is not a UUID v4' % env['eventId'])
    if not TIME_RE.match(env['eventTime']):
        raise AssertionError('eventTime %r is not UTC with ms' % env['eventTime'])
    want = {'eventType': 'order.created.v1', 'source': 'runnel-cli', 'subject': 'order-12345',
            'dataVersion': '1.0',
            'data': {'orderId': '12345', 'totalAmount': 99.99, 'currency': 'SEK'},
            'metadata': {'correlationId': env['eventId']}}
    for k, v in want.items():
        if env[k] != v:
            raise AssertionError('%s = %r, expected %r' % (k, env[k], v))


def new_options():
    env = new(['payment.processed.v2', '--subject', 'p-1', '--data', '{}', '--source',
               'payments', '--data-version', '2.5', '--user-id', 'user-123', '--uuid', 'v7',
               '--time', '2025-10-20T12:00:00.5+02:00', '--pretty'])
    if UUID_RE.match(env['eventId']).group(1) != '7':
        raise AssertionError('eventId %r is not a UUID v7' % env['eventId'])
    if (env['eventTime'], env['source'], env['dataVersion'], env['metadata'].get('userId')) != \
            ('2025-10-20T10:00:00.500Z', 'payments', '2.5', 'user-123'):
        raise AssertionError('unexpected envelope %r' % env)
    # dataVersion follows the type's version by default
    env = new(['payment.processed.v3', '--subject', 'p', '--data', '{}'])
    if env['dataVersion'] != '3.0':
        raise AssertionError('dataVersion %r, expected 3.0' % env['dataVersion'])


def new_data_from_file_and_stdin():
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        f.write('{"fromFile": [1, 2, 3]}\n')
        path = f.name
    try:
        env = new(['order.created.v1', '--subject', 'o', '--data', '@' + path])
        if env['data'] != {'fromFile': [1, 2, 3]}:
            raise AssertionError('--data @FILE gave %r' % env['data'])
    finally:
        os.unlink(path)
    env = new(['order.created.v1', '--subject', 'o', '--data', '-'], input='{"fromStdin": true}')
    if env['data'] != {'fromStdin': True}:
        raise AssertionError('--data - gave %r' % env['data'])


def correlation_chain():
    first = new(['order.placed.v1', '--subject', 'order-1', '--data', '{}'])
    second = new(['payment.requested.v1', '--subject', 'order-1', '--data', '{}',
                  '--caused-by', json.dumps(first)])
    third = new(['payment.paid.v1', '--subject', 'order-1', '--data', '{}',
                 '--caused-by', json.dumps(second)])
    for ev, cause in ((second, first), (third, second)):
        md = ev['metadata']
        if md.get('correlationId') != first['eventId'] or md.get('causationId') != cause['eventId']:
            raise AssertionError('metadata %r: expected correlationId %s, causationId %s' % (
                md, first['eventId'], cause['eventId']))
    # a command (not an envelope) as the cause, and a CloudEvent
    ev = new(['order.placed.v1', '--subject', 'o', '--data', '{}', '--caused-by',
              '{"eventId": "command-abc", "metadata": {"correlationId": "corr-9"}}'])
    if ev['metadata'] != {'correlationId': 'corr-9', 'causationId': 'command-abc'}:
        raise AssertionError('metadata %r' % ev['metadata'])
    ev = new(['order.placed.v1', '--subject', 'o', '--data', '{}', '--caused-by',
              '{"specversion": "1.0", "id": "ce-1", "source": "s", "type": "t"}'])
    if ev['metadata'] != {'correlationId': 'ce-1', 'causationId': 'ce-1'}:
        raise AssertionError('metadata %r' % ev['metadata'])


def nul_in_data_is_carried():
    """U+0000 inside data is allowed (the broker accepts it): --data and --caused-by take it."""
    first = new(['order.placed.v1', '--subject', 'o', '--data', '{"note": "a\\u0000b"}'])
    if first['data'] != {'note': 'a\x00b'}:
        raise AssertionError('data %r' % first['data'])
    second = new(['order.shipped.v1', '--subject', 'o', '--data', '{}',
                  '--caused-by', json.dumps(first)])
    if second['metadata'].get('causationId') != first['eventId']:
        raise AssertionError('metadata %r' % second['metadata'])
    out, _ = validate([json.dumps(first), json.dumps(second)])
    if out != ['ok ' + first['eventId'], 'ok ' + second['eventId']]:
        raise AssertionError('validate said %r' % out)


def new_then_validate():
    envs = [new(['order.created.v1', '--subject', 'o-%d' % i, '--data', '{"i": %d}' % i,
                 '--uuid', 'v7' if i % 2 else 'v4']) for i in range(6)]
    envs.append(new(['order.item.added.v1', '--subject', 'o', '--data', '{}']))
    envs.append(new(['payment.paid.v1', '--subject', 'o', '--data', '{}', '--user-id', 'u']))
    lines = [json.dumps(e) for e in envs]
    out, err = validate(lines)
    want = ['ok ' + e['eventId'] for e in envs]
    if out != want:
        raise AssertionError('verdicts %r, expected %r' % (out, want))
    if '%d valid, 0 invalid' % len(envs) not in err:
        raise AssertionError('no count on stderr: %r' % err)
    # v7 ids from one process increase
    v7 = [e['eventId'] for e in envs if UUID_RE.match(e['eventId']).group(1) == '7']
    if v7 != sorted(v7):
        raise AssertionError('v7 ids out of order across runs: %r' % v7)
    # pretty-printed output is the same envelope, re-serialised on one line
    env = new(['order.created.v1', '--subject', 'o', '--data', '{"a": 1}', '--pretty'])
    out, _ = validate([json.dumps(env)])
    if out != ['ok ' + env['eventId']]:
        raise AssertionError('pretty envelope: %r' % out)


def new_invalid_exits_1():
    cases = [
        (['order.create.v1', '--subject', 'o', '--data', '{}'],
         'runnel event new: /eventType: "order.create.v1": action "create" is not past tense'),
        (['order.created.v1', '--subject', 'o', '--data', '{}', '--data-version', '2.0'],
         'runnel event new: /dataVersion: "2.0": major version 2 does not match the '
         'eventType\'s version v1'),
        (['order.created.v1', '--subject', 'o', '--data', '[1]'],
         'runnel event new: /data: must be an object, got array'),
        (['order.created.v1', '--subject', '', '--data', '{}'],
         'runnel event new: /subject: must not be empty'),
        (['OrderCreated', '--subject', 'o', '--data', '{}'],
         'runnel event new: /eventType: "OrderCreated": must have the form '
         '{domain}.{action}.v{N}, e.g. "order.created.v1"'),
        (['order.created.v1', '--subject', 'o', '--data', '{}', '--allow-domain', 'payment'],
         'runnel event new: /eventType: "order.created.v1": domain "order" is not allowed'),
    ]
    for args, msg in cases:
        cp = expect(run(['new'] + args), 1, 'event new ' + ' '.join(args))
        if cp.stdout:
            raise AssertionError('event new %s printed %r on failure' % (args, cp.stdout))
        if msg not in cp.stderr.splitlines():
            raise AssertionError('event new %s: stderr %r lacks %r' % (args, cp.stderr, msg))
    # two errors at once, one per line
    cp = expect(run(['new', 'order.create.v1', '--subject', 'o', '--data', '{}',
                     '--user-id', '']), 1, 'event new with two errors')
    if len(cp.stderr.splitlines()) != 2:
        raise AssertionError('expected two error lines: %r' % cp.stderr)
    # a configured verb makes it valid
    new(['project.kickoff.v1', '--subject', 'p', '--data', '{}', '--past-tense', 'kickoff'])


def usage_errors_exit_2():
    cases = [
        [], ['bogus'], ['new'], ['new', '--subject', 'o', '--data', '{}'],
        ['new', 'order.created.v1', '--data', '{}'],
        ['new', 'order.created.v1', '--subject', 'o'],
        ['new', 'order.created.v1', 'extra', '--subject', 'o', '--data', '{}'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '{not json'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '@/nonexistent/file.json'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '{}', '--uuid', 'v5'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '{}', '--time', 'yesterday'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '{}', '--caused-by', '{}'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '{}', '--no-such-flag'],
        ['new', 'order.created.v1', '--subject'],
        ['new', 'order.created.v1', '--subject', 'o', '--data', '{}', '--allow-domain', 'Bad'],
        ['validate', 'extra-arg'], ['validate', '--past-tense', 'two words'],
        ['validate', '--bogus'],
    ]
    for args in cases:
        cp = expect(run(args), 2, 'runnel event ' + ' '.join(args))
        if not cp.stderr.strip():
            raise AssertionError('runnel event %s: no message' % ' '.join(args))
    cp = run(['new', 'order.created.v1', '--subject', 'o', '--data', '{}', '--caused-by', '{}'])
    if "--caused-by: /eventId: is required" not in cp.stderr:
        raise AssertionError('--caused-by error: %r' % cp.stderr)


VALID = {
    'eventId': '3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b', 'eventType': 'order.created.v1',
    'eventTime': '2025-10-20T10:00:00Z', 'source': 'order-service', 'subject': 'order-12345',
    'dataVersion': '1.0', 'data': {'orderId': '12345'},
    'metadata': {'correlationId': 'correlation-789', 'causationId': 'command-abc',
                 'userId': 'user-123'}}


def with_(**kw):
    e = json.loads(json.dumps(VALID))
    for k, v in kw.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return json.dumps(e)


def validate_verdicts():
    lines = [
        json.dumps(VALID),
        with_(eventType='order.create.v1'),
        '',
        'not json',
        '[1, 2]',
        with_(eventId='uuid-v4', subject=None, data=[1]),
        with_(eventType='order.created.v2'),
        with_(metadata={}),
        with_(eventTime='2025-02-29T10:00:00Z', extra=1),
        json.dumps(VALID) + '\r',
    ]
    out, err = validate(lines, rc=1)
    want = [
        'ok 3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b',
        'invalid line 2: /eventType: "order.create.v1": action "create" is not past tense',
        'invalid line 4: not valid JSON: invalid literal (expected null) (line 1, column 1)',
        'invalid line 5: an envelope must be a JSON object, got array',
        'invalid line 6: /eventId: "uuid-v4": must be a UUID: 8-4-4-4-12 hex digits; '
        '/subject: is required; /data: must be an object, got array',
        'invalid line 7: /dataVersion: "1.0": major version 1 does not match the eventType\'s '
        'version v2',
        'invalid line 8: /metadata/correlationId: is required',
        'invalid line 9: /eventTime: "2025-02-29T10:00:00Z": day does not exist in that month; '
        '/extra: unknown envelope field (the fields are eventId, eventType, eventTime, source, '
        'subject, dataVersion, data, metadata; put other context in metadata)',
        'ok 3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b',
    ]
    if out != want:
        raise AssertionError('verdicts:\n%s\nexpected:\n%s' % ('\n'.join(out), '\n'.join(want)))
    if '2 valid, 7 invalid' not in err:
        raise AssertionError('count on stderr: %r' % err)


def validate_edge_inputs():
    out, err = validate([])
    if out or '0 valid, 0 invalid' not in err:
        raise AssertionError('empty input: %r %r' % (out, err))
    out, _ = validate(['', '   ', json.dumps(VALID)])
    if out != ['ok ' + VALID['eventId']]:
        raise AssertionError('blank lines: %r' % out)
    # a very long line and a last line without a newline
    big = with_(data={'blob': 'x' * 200000})
    cp = expect(run(['validate'], input=big), 0, 'validate of a 200 KB line without newline')
    if cp.stdout.strip() != 'ok ' + VALID['eventId']:
        raise AssertionError('big line: %r' % cp.stdout[:200])


def validate_rules():
    kickoff = with_(eventType='project.kickoff.v1')
    out, _ = validate([kickoff], rc=1)
    if out != ['invalid line 1: /eventType: "project.kickoff.v1": action "kickoff" is not past '
               'tense']:
        raise AssertionError('without --past-tense: %r' % out)
    validate([kickoff], ['--past-tense', 'kickoff'])
    out, _ = validate([json.dumps(VALID), with_(eventType='payment.card.charged.v1')],
                      ['--allow-domain', 'payment', '--allow-domain', 'billing'], rc=1)
    if out != ['invalid line 1: /eventType: "order.created.v1": domain "order" is not allowed',
               'ok ' + VALID['eventId']]:
        raise AssertionError('--allow-domain: %r' % out)


def body(t):
    t.case('event --help texts', help_texts)
    t.case('event new defaults: v4 id, UTC ms time, dataVersion, correlationId', new_defaults)
    t.case('event new options: v7, source, data-version, user-id, time, pretty', new_options)
    t.case('event new --data from @FILE and stdin', new_data_from_file_and_stdin)
    t.case('event new --caused-by carries correlation and causation', correlation_chain)
    t.case('event new output passes event validate', new_then_validate)
    t.case('event new and validate carry U+0000 inside data', nul_in_data_is_carried)
    t.case('event new of an invalid envelope exits 1 with the error', new_invalid_exits_1)
    t.case('event usage errors exit 2', usage_errors_exit_2)
    t.case('event validate verdicts and messages per line', validate_verdicts)
    t.case('event validate empty, blank and long input', validate_edge_inputs)
    t.case('event validate --past-tense and --allow-domain', validate_rules)


if __name__ == '__main__':
    harness.main(body)

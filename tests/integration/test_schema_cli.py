#!/usr/bin/python3
"""tests/integration/test_schema_cli.py - `runnel schema register|get|list|check|delete|config`
and `runnel event validate --schema-registry` (issue 4, "What must work" 6) against a real
broker's schema registry: register (new, already registered, from a flag, a file and
stdin), get (latest, a version, by id, --json), list (subjects, versions, --deleted),
check (compatible, incompatible with the registry's reasons), config (global and subject
level: show, set, delete), delete (soft, then permanent; refused out of order), error exits
naming the registry's error_code, usage errors, --help everywhere; and `runnel event new |
runnel event validate --schema-registry URL`: valid data passes (exit 0), data that breaks
the schema is invalid with /data/... paths (exit 1), unknown subjects, the version picked
by dataVersion, and the same verdicts as the broker's runnel.validation=schema.
Every CLI run's stderr is checked for sanitizer reports.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SUBJECT = 'order.placed.v1'
V1 = {'type': 'object',
      'properties': {'orderId': {'type': 'string'}, 'amount': {'type': 'number', 'minimum': 0}},
      'required': ['orderId']}
V2 = {'type': 'object',   # additive optional field: BACKWARD compatible
      'properties': {'orderId': {'type': 'string'}, 'amount': {'type': 'number', 'minimum': 0},
                     'note': {'type': 'string', 'maxLength': 3}},
      'required': ['orderId']}
BAD = {'type': 'object',  # a new required property and a narrowed type: incompatible
       'properties': {'orderId': {'type': 'integer'}, 'customer': {'type': 'string'}},
       'required': ['orderId', 'customer']}
UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


def check_sanitizers(cp_stderr, what):
    rep = harness.sanitizer_report(cp_stderr)
    if rep:
        raise AssertionError('sanitizer report from runnel %s:\n%s' % (what, rep))


def run(args, input=None, env=None):
    cp = harness.runnel(args, input=input, env=env)
    check_sanitizers(cp.stderr, ' '.join(args))
    return cp


def expect(cp, rc, what):
    if cp.returncode != rc:
        raise AssertionError('%s: exit %d, expected %d; stdout %r; stderr %r' % (
            what, cp.returncode, rc, cp.stdout[-600:], cp.stderr[-600:]))
    return cp


def http_get(b, path):
    with urllib.request.urlopen('http://%s%s' % (b.http, path), timeout=15) as r:
        return json.loads(r.read().decode())


def body(t):
    b = t.broker('schemacli')
    url = 'http://%s' % b.http

    def sc(args, rc=0, input=None, env=None):
        """runnel schema ARGS --registry URL, expecting exit rc."""
        full = ['schema'] + list(args) + ['--registry', url]
        return expect(run(full, input=input, env=env), rc, 'runnel ' + ' '.join(full))

    def help_texts():
        for args in (['--help'], ['help'], ['register', '--help'], ['get', '--help'],
                     ['list', '--help'], ['check', '--help'], ['delete', '--help'],
                     ['config', '--help']):
            cp = expect(run(['schema'] + args), 0, 'runnel schema ' + ' '.join(args))
            if 'usage: runnel schema' not in cp.stdout:
                raise AssertionError('runnel schema %s: no usage text: %r' % (
                    ' '.join(args), cp.stdout))
            if len(args) == 2 and '--registry URL' not in cp.stdout:
                raise AssertionError('runnel schema %s: no --registry line' % args[0])
        cp = expect(run(['--help']), 0, 'runnel --help')
        if not re.search(r'^\s+schema\s', cp.stdout, re.M):
            raise AssertionError('runnel --help does not list schema: %r' % cp.stdout)
        cp = expect(run(['event', 'validate', '--help']), 0, 'event validate --help')
        if '--schema-registry URL' not in cp.stdout or 'not supported' in cp.stdout:
            raise AssertionError('event validate --help: %r' % cp.stdout)
    t.case('schema --help texts, runnel --help lists schema', help_texts)

    def usage_errors():
        cases = [
            (['frobnicate'], 'unknown subcommand'),
            (['register', SUBJECT], 'missing the schema'),
            (['register', '--schema', '{}'], 'missing SUBJECT'),
            (['register', SUBJECT, '--schema', '{}', '-'], 'give the schema once'),
            (['register', SUBJECT, '--file', '/nonexistent/x.json'], '/nonexistent/x.json'),
            (['register', 'a', 'b', '--schema', '{}'], "got 'b' too"),
            (['get', SUBJECT, '--version', '0'], '--version'),
            (['get', SUBJECT, '--version', 'first'], '--version'),
            (['get', SUBJECT, '--id', '1'], 'not both'),
            (['get'], 'missing SUBJECT'),
            (['check', SUBJECT], 'missing the schema'),
            (['config', '--set', 'SIDEWAYS'], "unknown level 'SIDEWAYS'"),
            (['config', '--set', 'FULL', '--delete'], 'cannot be combined'),
            (['list', '--bogus'], '--bogus'),
            (['list', '--timeout-ms', 'soon'], '--timeout-ms'),
        ]
        for args, want in cases:
            cp = sc(args, rc=2)
            if want not in cp.stderr or '--help' not in cp.stderr:
                raise AssertionError('runnel schema %s: stderr %r lacks %r' % (
                    ' '.join(args), cp.stderr, want))
        cp = expect(run(['schema', 'list', '--registry', 'ftp://x']), 2, 'ftp registry')
        assert 'http://' in cp.stderr, cp.stderr
        cp = expect(run(['schema']), 2, 'runnel schema')
        assert 'usage: runnel schema' in cp.stderr, cp.stderr
    t.case('schema usage errors exit 2 with a one-line reason', usage_errors)

    ids = {}

    def register():
        cp = sc(['register', SUBJECT, '--schema', json.dumps(V1)])
        m = re.fullmatch(r'registered %s version 1 id (\d+)\n' % re.escape(SUBJECT), cp.stdout)
        assert m, cp.stdout
        ids['v1'] = int(m.group(1))
        # the same schema again (other whitespace, other key order): nothing new
        spaced = json.dumps(V1, indent=4, sort_keys=True)
        cp = sc(['register', SUBJECT, '--schema', spaced])
        assert cp.stdout == 'already registered %s version 1 id %d\n' % (SUBJECT, ids['v1']), \
            cp.stdout
        # from a file, as the next version
        with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
            f.write(json.dumps(V2, indent=2) + '\n')
            path = f.name
        try:
            cp = sc(['register', SUBJECT, '--file', path])
        finally:
            os.unlink(path)
        m = re.fullmatch(r'registered %s version 2 id (\d+)\n' % re.escape(SUBJECT), cp.stdout)
        assert m, cp.stdout
        ids['v2'] = int(m.group(1))
        assert ids['v2'] != ids['v1']
        # from stdin, the registry address from $RUNNEL_SCHEMA_REGISTRY
        cp = expect(run(['schema', 'register', 'shipment.sent.v1', '-'],
                        input='{"type": "object"}\n', env={'RUNNEL_SCHEMA_REGISTRY': url}),
                    0, 'register from stdin')
        m = re.fullmatch(r'registered shipment\.sent\.v1 version 1 id (\d+)\n', cp.stdout)
        assert m, cp.stdout
        ids['shipment'] = int(m.group(1))
        # the registry agrees
        assert http_get(b, '/subjects/%s/versions' % SUBJECT) == [1, 2]
        v1 = http_get(b, '/subjects/%s/versions/1' % SUBJECT)
        assert v1['id'] == ids['v1'] and json.loads(v1['schema']) == V1, v1
    t.case('schema register: new, already registered, --schema, --file, stdin, env URL',
           register)

    def refused():
        cp = sc(['register', SUBJECT, '--schema', json.dumps(BAD)], rc=1)
        assert 'error_code 409' in cp.stderr and 'incompatible' in cp.stderr, cp.stderr
        assert cp.stdout == '', cp.stdout
        cp = sc(['register', SUBJECT, '--schema', '{"type": '], rc=1)
        assert 'error_code 42201' in cp.stderr and 'Invalid schema' in cp.stderr, cp.stderr
        cp = sc(['register', SUBJECT, '--schema', '{"type": "object"}', '--type', 'AVRO'], rc=1)
        assert 'error_code 42201' in cp.stderr, cp.stderr
        assert http_get(b, '/subjects/%s/versions' % SUBJECT) == [1, 2]
    t.case('schema register: incompatible (409) and invalid (42201) exit 1 with the message',
           refused)

    def get():
        cp = sc(['get', SUBJECT])
        assert json.loads(cp.stdout) == V2, cp.stdout
        assert cp.stdout.startswith('{\n  "type": "object"'), cp.stdout   # indented
        cp = sc(['get', SUBJECT, '--version', '1'])
        assert json.loads(cp.stdout) == V1, cp.stdout
        cp = sc(['get', SUBJECT, '--version', 'latest', '--json'])
        rec = json.loads(cp.stdout)
        assert {k: rec[k] for k in ('subject', 'version', 'id', 'schemaType')} == \
            {'subject': SUBJECT, 'version': 2, 'id': ids['v2'], 'schemaType': 'JSON'}, rec
        assert json.loads(rec['schema']) == V2, rec
        cp = sc(['get', '--id', str(ids['v1'])])
        assert json.loads(cp.stdout) == V1, cp.stdout
        rec = json.loads(sc(['get', '--id', str(ids['v1']), '--json']).stdout)
        assert rec['id'] == ids['v1'] and json.loads(rec['schema']) == V1, rec
    t.case('schema get: latest, --version, --id, --json', get)

    def get_errors():
        for args, code in ((['get', 'no.such.v1'], 40401),
                           (['get', SUBJECT, '--version', '9'], 40402),
                           (['get', '--id', '999'], 40403),
                           (['list', 'no.such.v1'], 40401)):
            cp = sc(args, rc=1)
            assert 'error_code %d' % code in cp.stderr, (args, cp.stderr)
            assert cp.stderr.startswith('runnel schema %s: ' % args[0]), cp.stderr
            assert cp.stdout == '', cp.stdout
        cp = expect(run(['schema', 'list', '--registry', 'http://127.0.0.1:1']), 1, 'no registry')
        assert 'cannot reach the schema registry at http://127.0.0.1:1' in cp.stderr, cp.stderr
    t.case('schema not found (40401/40402/40403) and unreachable registry exit 1', get_errors)

    def list_():
        cp = sc(['list'])
        assert cp.stdout == '%s\nshipment.sent.v1\n' % SUBJECT, cp.stdout
        cp = sc(['list', SUBJECT])
        assert cp.stdout == '1\n2\n', cp.stdout
        assert json.loads(sc(['list', '--json']).stdout) == [SUBJECT, 'shipment.sent.v1']
        assert json.loads(sc(['list', SUBJECT, '--json']).stdout) == [1, 2]
    t.case('schema list: subjects, versions, --json', list_)

    def check():
        cp = sc(['check', SUBJECT, '--schema', json.dumps(V2)])
        assert cp.stdout == 'compatible\n', cp.stdout
        cp = sc(['check', SUBJECT, '--schema', json.dumps(BAD)], rc=1)
        lines = cp.stdout.splitlines()
        assert lines[0] == 'incompatible', cp.stdout
        text = '\n'.join(lines[1:])
        assert 'REQUIRED_PROPERTY_ADDED' in text and 'TYPE_NARROWED' in text, cp.stdout
        assert all(ln.startswith('  ') for ln in lines[1:]) and len(lines) >= 3, cp.stdout
        # against one version, from stdin, --verbose says what it checked against
        cp = sc(['check', SUBJECT, '--version', '1', '--verbose', '-'],
                input=json.dumps(V2), rc=0)
        assert cp.stdout == 'compatible\n', cp.stdout
        assert 'version 1 at level BACKWARD' in cp.stderr, cp.stderr
        cp = sc(['check', SUBJECT, '--verbose', '--schema', json.dumps(BAD)], rc=1)
        assert 'version 2 (the latest) at level BACKWARD' in cp.stderr, cp.stderr
        # a subject without versions accepts anything; a missing version is 40402
        assert sc(['check', 'new.subject.v1', '--schema', '{}']).stdout == 'compatible\n'
        cp = sc(['check', SUBJECT, '--version', '7', '--schema', '{}'], rc=1)
        assert 'error_code 40402' in cp.stderr, cp.stderr
        # checking registers nothing
        assert http_get(b, '/subjects/%s/versions' % SUBJECT) == [1, 2]
    t.case('schema check: compatible exit 0, incompatible exit 1 with the reasons', check)

    def config():
        assert sc(['config']).stdout == 'global: BACKWARD\n'
        cp = sc(['config', SUBJECT])
        assert cp.stdout.startswith('%s: BACKWARD (the global level' % SUBJECT), cp.stdout
        cp = sc(['config', SUBJECT, '--set', 'full_transitive'])
        assert cp.stdout == '%s: compatibility set to FULL_TRANSITIVE\n' % SUBJECT, cp.stdout
        assert sc(['config', SUBJECT]).stdout == '%s: FULL_TRANSITIVE\n' % SUBJECT
        assert http_get(b, '/config/%s' % SUBJECT) == {'compatibilityLevel': 'FULL_TRANSITIVE'}
        # the subject's level now decides: a check against all versions, both directions
        cp = sc(['check', SUBJECT, '--verbose', '--schema', json.dumps(V2)], rc=0)
        assert 'versions 1, 2 at level FULL_TRANSITIVE' in cp.stderr, cp.stderr
        cp = sc(['config', SUBJECT, '--delete'])
        assert cp.stdout == ('%s: compatibility level FULL_TRANSITIVE removed; the global level '
                             'BACKWARD applies\n' % SUBJECT), cp.stdout
        cp = sc(['config', SUBJECT, '--delete'], rc=1)
        assert 'error_code 40401' in cp.stderr, cp.stderr
        cp = sc(['config', '--set', 'NONE'])
        assert cp.stdout == 'global: compatibility set to NONE\n', cp.stdout
        assert http_get(b, '/config') == {'compatibilityLevel': 'NONE'}
        cp = sc(['config', '--delete'])
        assert cp.stdout == 'global: compatibility reset to BACKWARD (was NONE)\n', cp.stdout
        assert http_get(b, '/config') == {'compatibilityLevel': 'BACKWARD'}
    t.case('schema config: show, --set and --delete, global and per subject', config)

    def delete():
        # permanent before soft is refused, with a hint
        cp = sc(['delete', SUBJECT, '--version', '2', '--permanent'], rc=1)
        assert 'error_code 40407' in cp.stderr and 'without --permanent' in cp.stderr, cp.stderr
        cp = sc(['delete', SUBJECT, '--version', '2'])
        assert cp.stdout == 'soft-deleted %s version 2\n' % SUBJECT, cp.stdout
        cp = sc(['delete', SUBJECT, '--version', '2'], rc=1)
        assert 'error_code 40406' in cp.stderr, cp.stderr
        assert sc(['list', SUBJECT]).stdout == '1\n'
        assert sc(['list', SUBJECT, '--deleted']).stdout == '1\n2 (deleted)\n'
        sc(['get', SUBJECT, '--version', '2'], rc=1)
        assert json.loads(sc(['get', SUBJECT, '--version', '2', '--deleted']).stdout) == V2
        cp = sc(['delete', SUBJECT, '--version', '2', '--permanent'])
        assert cp.stdout == 'permanently deleted %s version 2\n' % SUBJECT, cp.stdout
        assert sc(['list', SUBJECT, '--deleted']).stdout == '1\n'
        # the whole subject: soft, then permanent
        cp = sc(['delete', 'shipment.sent.v1'])
        assert cp.stdout == 'soft-deleted shipment.sent.v1 version 1\n', cp.stdout
        assert sc(['list']).stdout == '%s\n' % SUBJECT
        assert sc(['list', '--deleted']).stdout == '%s\nshipment.sent.v1 (deleted)\n' % SUBJECT
        # its id still resolves (old data stays decodable)
        assert json.loads(sc(['get', '--id', str(ids['shipment'])]).stdout) == {'type': 'object'}
        cp = sc(['delete', 'shipment.sent.v1', '--permanent'])
        assert cp.stdout == 'permanently deleted shipment.sent.v1 version 1\n', cp.stdout
        assert sc(['list', '--deleted']).stdout == '%s\n' % SUBJECT
        cp = sc(['delete', 'shipment.sent.v1'], rc=1)
        assert 'error_code 40401' in cp.stderr, cp.stderr
        # V2 back for the validation cases below
        cp = sc(['register', SUBJECT, '--schema', json.dumps(V2)])
        m = re.fullmatch(r'registered %s version (\d+) id \d+\n' % re.escape(SUBJECT), cp.stdout)
        assert m and int(m.group(1)) >= 2, cp.stdout
        ids['v2_version'] = int(m.group(1))
    t.case('schema delete: soft then permanent, versions and subjects, out of order refused',
           delete)

    # ------------------------------------------------------------------ event validate

    def new_event(data, data_version=None, etype=SUBJECT):
        args = ['event', 'new', etype, '--subject', 'order-1', '--data', json.dumps(data)]
        if data_version:
            args += ['--data-version', data_version]
        return expect(run(args), 0, 'event new').stdout

    def validate(text, rc, registry=None):
        cp = run(['event', 'validate', '--schema-registry', registry or url], input=text)
        return expect(cp, rc, 'event validate --schema-registry')

    def pipe_valid():
        # literally: runnel event new ... | runnel event validate --schema-registry URL
        p1 = subprocess.Popen([harness.RUNNEL, 'event', 'new', SUBJECT, '--subject', 'o-1',
                               '--data', '{"orderId": "o-1", "amount": 12.5}'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p2 = subprocess.Popen([harness.RUNNEL, 'event', 'validate', '--schema-registry', url],
                              stdin=p1.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        p1.stdout.close()
        out, err = p2.communicate(timeout=60)
        _, err1 = p1.communicate(timeout=60)
        check_sanitizers(err1.decode(errors='replace'), 'event new')
        check_sanitizers(err, 'event validate')
        assert p1.returncode == 0, err1
        assert p2.returncode == 0, (p2.returncode, out, err)
        assert re.fullmatch(r'ok %s\n' % UUID, out), out
        assert '1 valid, 0 invalid' in err, err
    t.case('event new | event validate --schema-registry: valid data is ok, exit 0',
           pipe_valid)

    def pipe_invalid():
        ev = new_event({'orderId': 7, 'amount': -1})
        cp = validate(ev, 1)
        line = cp.stdout.strip()
        assert line.startswith('invalid line 1: '), line
        assert '/data/orderId: 7 is not of type "string" (type)' in line, line
        assert '/data/amount: -1 is less than the minimum of 0 (minimum)' in line, line
        assert '(schema id %d, %s version 1)' % (ids['v1'], SUBJECT) in line, line
        assert '0 valid, 1 invalid' in cp.stderr, cp.stderr
    t.case('event validate --schema-registry: data breaking the schema is invalid, exit 1, '
           '/data/... paths', pipe_invalid)

    def versions_and_unknown():
        long_note = {'orderId': 'o', 'note': 'too long'}
        v2 = ids.get('v2_version', 2)
        lines = [
            new_event(long_note),                           # 1.0 -> version 1: no maxLength
            new_event(long_note, '1.%d' % (v2 - 1)),        # -> version v2 (V2)
            new_event(long_note, '1.%d' % v2),              # no such version -> latest (V2)
            new_event(long_note, '1.40'),                   # no version 41 -> latest
            new_event({}, etype='refund.issued.v1'),        # no such subject
            'not json\n',
            '\n',                                           # blank: skipped
            new_event({'orderId': 'fine'}),
        ]
        cp = validate(''.join(lines), 1)
        out = cp.stdout.splitlines()
        assert len(out) == 7, out
        assert re.fullmatch('ok ' + UUID, out[0]), out
        for i in (1, 2, 3):
            assert out[i].startswith('invalid line %d: /data/note: "too long" is longer than 3 '
                                     'characters (maxLength)' % (i + 1)), out[i]
            assert out[i].endswith('%s version %d)' % (SUBJECT, v2)), out[i]
        assert out[4] == ('invalid line 5: /eventType: no schema registered under subject '
                          '"refund.issued.v1"'), out[4]
        assert out[5].startswith('invalid line 6: not valid JSON'), out[5]
        assert re.fullmatch('ok ' + UUID, out[6]), out
        assert '2 valid, 5 invalid' in cp.stderr, cp.stderr
    t.case('event validate --schema-registry: dataVersion MINOR+1 else latest, unknown subject, '
           'one verdict per line', versions_and_unknown)

    def unreachable():
        cp = validate(new_event({'orderId': 'x'}), 1, registry='http://127.0.0.1:1')
        assert cp.stdout == '', cp.stdout
        assert 'cannot reach the schema registry at http://127.0.0.1:1' in cp.stderr, cp.stderr
        cp = expect(run(['event', 'validate', '--schema-registry', 'ftp://x'], input=''), 2,
                    'validate ftp registry')
        # envelope errors still come first, without asking the registry
        cp = validate('{"eventType": "order.create.v1"}\n', 1, registry='http://127.0.0.1:1')
        assert cp.stdout.startswith('invalid line 1: '), cp.stdout
    t.case('event validate --schema-registry: unreachable registry exits 1, bad URL 2',
           unreachable)

    def same_as_broker():
        # the broker's runnel.validation=schema gives the same verdicts
        expect(run(['topics', 'create', 'orders', '--partitions', '1', '-b', b.kafka,
                    '--config', 'runnel.validation=schema']), 0, 'topics create')
        events = [new_event({'orderId': 'a', 'amount': 1}),
                  new_event({'orderId': 'a', 'amount': -1}),
                  new_event({'orderId': 'a', 'note': 'long!'}),
                  new_event({'orderId': 'a', 'note': 'long!'}, '1.2'),
                  new_event({'orderId': 'a', 'note': 'long!'}, '1.1'),
                  new_event({}, etype='refund.issued.v1')]
        want = [True, False, True, False, False, False]
        for ev, expected in zip(events, want):
            cli = run(['event', 'validate', '--schema-registry', url], input=ev)
            cli_ok = cli.returncode == 0
            if cli_ok != expected:
                raise AssertionError('CLI verdict %r for %s' % (cli.stdout, ev.strip()))
            cp = run(['produce', 'orders', '-b', b.kafka, '--timeout-ms', '10000'], input=ev)
            broker_ok = cp.returncode == 0
            if cli_ok != broker_ok:
                raise AssertionError('CLI says %s, broker %s for %s (produce stderr %r)' % (
                    'ok' if cli_ok else 'invalid', 'accepted' if broker_ok else 'rejected',
                    ev.strip(), cp.stderr[-300:]))
            if not broker_ok and 'INVALID_RECORD' not in cp.stderr:
                raise AssertionError('produce failed otherwise: %r' % cp.stderr)
    t.case('event validate --schema-registry agrees with the broker (runnel.validation=schema)',
           same_as_broker)


if __name__ == '__main__':
    harness.main(body)

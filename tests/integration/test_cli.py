#!/usr/bin/python3
"""test_cli.py - the runnel CLI against a live broker (issue 2, "What must work" 5):
topics create/list/describe/alter/delete, produce (--key-sep, --key, --header) and
consume (--from-beginning, --offset, --from-time, --max, --exit-at-end, --format
json/kv/template), plus --help, version and usage errors (exit 2).
"""
import json
import time

import harness
import ck

run = harness.runnel


def expect(cp, rc, what):
    if cp.returncode != rc:
        raise AssertionError('%s: exit %d, expected %d; stdout %r; stderr %r' % (
            what, cp.returncode, rc, cp.stdout[-300:], cp.stderr[-300:]))
    return cp


def help_and_version(b):
    cp = expect(run(['version']), 0, 'runnel version')
    if not cp.stdout.strip():
        raise AssertionError('runnel version printed nothing')
    for args in (['--help'], ['serve', '--help'], ['topics', '--help'],
                 ['topics', 'create', '--help'], ['topics', 'list', '--help'],
                 ['topics', 'describe', '--help'], ['topics', 'alter', '--help'],
                 ['topics', 'delete', '--help'], ['produce', '--help'],
                 ['consume', '--help']):
        cp = expect(run(args), 0, 'runnel ' + ' '.join(args))
        if 'usage' not in (cp.stdout + cp.stderr).lower():
            raise AssertionError('runnel %s: no usage text' % ' '.join(args))


def usage_errors(b):
    for args in (['topics', 'create'], ['produce'], ['consume'], ['topics', 'bogus'],
                 ['topics', 'create', 'x', '--partitions', 'many', '-b', b.kafka],
                 ['consume', 'x', '--no-such-flag', '-b', b.kafka], ['no-such-command']):
        expect(run(args), 2, 'runnel ' + ' '.join(args))


def topics_create(b):
    cp = expect(run(['topics', 'create', 'cli-t', '--partitions', '3', '--config',
                     'retention.ms=86400000', '--brokers', b.kafka]), 0, 'topics create')
    if cp.stdout.strip() != 'created topic cli-t (3 partitions)':
        raise AssertionError('topics create printed %r' % cp.stdout)
    cp = expect(run(['topics', 'create', 'cli-t', '--partitions', '3', '-b', b.kafka]), 1,
                'topics create of an existing topic')
    if 'exist' not in cp.stderr.lower():
        raise AssertionError('no "exists" in the error: %r' % cp.stderr)
    cp = expect(run(['topics', 'create', 'cli-t', '--if-not-exists', '-b', b.kafka]), 0,
                'topics create --if-not-exists')
    if 'already exists' not in cp.stdout:
        raise AssertionError('--if-not-exists printed %r' % cp.stdout)
    expect(run(['topics', 'create', 'cli-2', '-b', b.kafka]), 0,
           'topics create with default partitions')
    expect(run(['topics', 'create', 'bad/name', '-b', b.kafka]), 1,
           'topics create of an invalid name')


def topics_list(b):
    cp = expect(run(['topics', 'list', '-b', b.kafka]), 0, 'topics list')
    names = cp.stdout.split()
    if 'cli-t' not in names or 'cli-2' not in names or names != sorted(names):
        raise AssertionError('topics list printed %r' % cp.stdout)
    cp = expect(run(['topics', 'list', '--json', '-b', b.kafka]), 0, 'topics list --json')
    arr = json.loads(cp.stdout)
    got = {t['name']: t['partitions'] for t in arr}
    if got.get('cli-t') != 3:
        raise AssertionError('topics list --json: %r' % arr)


def describe(b, topic):
    cp = expect(run(['topics', 'describe', topic, '--json', '-b', b.kafka]), 0,
                'topics describe --json')
    return json.loads(cp.stdout)


def configs_of(d):
    return {c['name']: c['value'] for c in (d.get('configs') or [])}


def topics_describe(b):
    d = describe(b, 'cli-t')
    if d['name'] != 'cli-t' or d['partition_count'] != 3 or len(d['partitions']) != 3:
        raise AssertionError('describe --json: %r' % d)
    for p in d['partitions']:
        if p['leader'] < 0 or p['low'] != 0 or p['high'] != 0:
            raise AssertionError('describe --json partition: %r' % p)
    if configs_of(d).get('retention.ms') != '86400000':
        raise AssertionError('describe --json configs: %r' % d.get('configs'))
    cp = expect(run(['topics', 'describe', 'cli-t', '-b', b.kafka]), 0, 'topics describe')
    if 'partitions  3' not in cp.stdout or 'retention.ms' not in cp.stdout:
        raise AssertionError('topics describe printed %r' % cp.stdout)
    expect(run(['topics', 'describe', 'no-such-topic', '-b', b.kafka]), 1,
           'describe of a missing topic')
    if 'no-such-topic' in run(['topics', 'list', '-b', b.kafka]).stdout.split():
        raise AssertionError('describe of a missing topic created it')


def topics_alter(b):
    expect(run(['topics', 'alter', 'cli-t', '--config', 'retention.ms=3600000', '--config',
                'segment.bytes=1048576', '--partitions', '4', '-b', b.kafka]), 0,
           'topics alter')
    d = describe(b, 'cli-t')
    c = configs_of(d)
    if d['partition_count'] != 4 or c.get('retention.ms') != '3600000' or \
            c.get('segment.bytes') != '1048576':
        raise AssertionError('after alter: %d partitions, configs %r' % (d['partition_count'], c))
    expect(run(['topics', 'alter', 'cli-t', '--delete-config', 'segment.bytes', '-b',
                b.kafka]), 0, 'topics alter --delete-config')
    c = configs_of(describe(b, 'cli-t'))
    if 'segment.bytes' in c or c.get('retention.ms') != '3600000':
        raise AssertionError('after --delete-config segment.bytes: %r' % c)
    expect(run(['topics', 'alter', 'cli-t', '--partitions', '2', '-b', b.kafka]), 1,
           'topics alter shrinking partitions')
    expect(run(['topics', 'alter', 'cli-t', '--config', 'no.such.config=1', '-b', b.kafka]),
           1, 'topics alter with an unknown config')


def produce_consume(b, state):
    lines = ''.join('k%d:v%d\n' % (i % 5, i) for i in range(40))
    t0 = int(time.time() * 1000) - 1
    cp = expect(run(['produce', 'cli-t', '--key-sep', ':', '--header', 'src=cli', '--header',
                     'h2=x', '-b', b.kafka], input=lines), 0, 'produce')
    if 'produced 40 records to cli-t (0 failed)' not in cp.stderr:
        raise AssertionError('produce summary: %r' % cp.stderr)
    t1 = int(time.time() * 1000) + 1
    time.sleep(0.3)
    state['t_mid'] = int(time.time() * 1000)
    time.sleep(0.3)
    cp = expect(run(['produce', 'cli-t', '--key', 'fixed', '-p', '1', '-b', b.kafka],
                    input='a:1\nb\n\nc\n'), 0, 'produce --key -p')
    cp = expect(run(['consume', 'cli-t', '--from-beginning', '--max', '44', '--format', 'json',
                     '-b', b.kafka], timeout=60), 0, 'consume --format json')
    recs = [json.loads(ln) for ln in cp.stdout.splitlines() if ln.strip()]
    if len(recs) != 44:
        raise AssertionError('consume --max 44 printed %d records' % len(recs))
    first = [r for r in recs if r['key'] != 'fixed']
    if len(first) != 40:
        raise AssertionError('%d records from the first produce, expected 40' % len(first))
    key_part, last = {}, {}
    for r in sorted(first, key=lambda r: (r['partition'], r['offset'])):
        i = int(r['value'][1:])
        if r['key'] != 'k%d' % (i % 5) or r['value'] != 'v%d' % i:
            raise AssertionError('record %r' % r)
        if r['headers'] != {'src': 'cli', 'h2': 'x'}:
            raise AssertionError('headers %r' % r['headers'])
        if not (t0 <= r['timestamp'] <= t1):
            raise AssertionError('timestamp %r outside %d..%d' % (r['timestamp'], t0, t1))
        if key_part.setdefault(r['key'], r['partition']) != r['partition']:
            raise AssertionError('key %s in two partitions' % r['key'])
        if last.get(r['key'], -1) > i:
            raise AssertionError('key %s out of order' % r['key'])
        last[r['key']] = i
        if r['topic'] != 'cli-t':
            raise AssertionError('topic %r' % r['topic'])
    fixed = sorted((r for r in recs if r['key'] == 'fixed'), key=lambda r: r['offset'])
    if [r['value'] for r in fixed] != ['a:1', 'b', '', 'c'] or \
            {r['partition'] for r in fixed} != {1}:
        raise AssertionError('--key fixed -p 1 records: %r' % fixed)
    state['fixed_offsets'] = [r['offset'] for r in fixed]


def consume_positions(b, state):
    cp = expect(run(['consume', 'cli-t', '--from-time', str(state['t_mid']), '--exit-at-end',
                     '--format', 'kv', '-b', b.kafka], timeout=60), 0, 'consume --from-time')
    got = cp.stdout.splitlines()
    if got != ['fixed\ta:1', 'fixed\tb', 'fixed\t', 'fixed\tc']:
        raise AssertionError('consume --from-time printed %r' % got)
    off = state['fixed_offsets'][2]
    cp = expect(run(['consume', 'cli-t', '-p', '1', '--offset', str(off), '--exit-at-end',
                     '--format', '%p:%o %k=%v', '-b', b.kafka], timeout=60), 0,
                'consume -p 1 --offset')
    want = ['1:%d fixed=' % off, '1:%d fixed=c' % (off + 1)]
    if cp.stdout.splitlines() != want:
        raise AssertionError('consume --offset printed %r, expected %r' % (
            cp.stdout.splitlines(), want))
    cp = expect(run(['consume', 'cli-t', '--from-beginning', '--exit-at-end', '-b', b.kafka],
                    timeout=60), 0, 'consume --exit-at-end')
    if len(cp.stdout.splitlines()) != 44 or 'consumed 44 records' not in cp.stderr:
        raise AssertionError('consume --exit-at-end: %d lines, stderr %r' % (
            len(cp.stdout.splitlines()), cp.stderr[-200:]))
    expect(run(['consume', 'no-such-topic', '--from-beginning', '--exit-at-end',
                '--timeout-ms', '5000', '-b', b.kafka], timeout=60), 1,
           'consume of a missing topic')


def cli_data_seen_by_client(b):
    recs = ck.consume_all(b.kafka, 'cli-t', 4)
    if len(recs) != 44:
        raise AssertionError('confluent_kafka read %d records, expected 44' % len(recs))
    r = next(r for r in recs if r['key'] == b'k0')
    if r['headers'] != [('src', b'cli'), ('h2', b'x')]:
        raise AssertionError('headers seen by confluent_kafka: %r' % r['headers'])


def topics_delete(b):
    cp = expect(run(['topics', 'delete', 'cli-t', 'cli-2', '-b', b.kafka]), 0, 'topics delete')
    if 'deleted topic cli-t' not in cp.stdout or 'deleted topic cli-2' not in cp.stdout:
        raise AssertionError('topics delete printed %r' % cp.stdout)
    names = expect(run(['topics', 'list', '-b', b.kafka]), 0, 'topics list').stdout.split()
    if 'cli-t' in names or 'cli-2' in names:
        raise AssertionError('still listed after delete: %r' % names)
    expect(run(['topics', 'delete', 'cli-t', '-b', b.kafka]), 1,
           'topics delete of a missing topic')
    expect(run(['topics', 'delete', 'cli-t', '--if-exists', '-b', b.kafka]), 0,
           'topics delete --if-exists')


def body(t):
    b = t.broker('broker')
    state = {}
    t.case('--help of every command, version', help_and_version, b)
    t.case('usage errors exit 2', usage_errors, b)
    if t.case('topics create', topics_create, b) is None:
        return
    t.case('topics list (text and --json)', topics_list, b)
    t.case('topics describe (text and --json)', topics_describe, b)
    t.case('topics alter (configs, partitions, --delete-config)', topics_alter, b)
    t.case('produce --key-sep --header / --key -p; consume --format json', produce_consume,
           b, state)
    if 'fixed_offsets' in state:
        t.case('consume --from-time, --offset, --exit-at-end, kv and template formats',
               consume_positions, b, state)
    t.case('records written by the CLI read back by confluent_kafka', cli_data_seen_by_client,
           b)
    t.case('topics delete', topics_delete, b)


if __name__ == '__main__':
    harness.main(body)

#!/usr/bin/python3
"""test_cli_groups.py - `runnel groups list|describe|reset-offsets|delete` against a live
broker (issue 3, "What must work" 5 and the "Done when" line on describe and
reset-offsets): a confluent_kafka consumer in group g1 consumes 40 of 100 records and
commits; list shows g1; describe shows its committed offsets and a total lag of 60;
reset-offsets --dry-run changes nothing; reset-offsets --to-earliest moves the stopped
group to 0 and its next consumer reads all 100 records from there; reset-offsets and
delete are refused while a consumer is in the group (and describe shows that member and
its assignment); delete removes the group. Plus --help, usage errors (exit 2) and the
other reset targets (--to-latest, --to-offset, --to-datetime).
"""
import json
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

import harness
import ck

run = harness.runnel
TOPIC = 'grp-t'
GROUP = 'g1'
N = 100
CONSUMED = 40


def expect(cp, rc, what):
    if cp.returncode != rc:
        raise AssertionError('%s: exit %d, expected %d; stdout %r; stderr %r' % (
            what, cp.returncode, rc, cp.stdout[-400:], cp.stderr[-400:]))
    return cp


def group_consumer(b, **conf):
    c = {'bootstrap.servers': b.kafka, 'group.id': GROUP, 'enable.auto.commit': False,
         'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000}
    c.update(conf)
    return Consumer(c)


def consume_n(c, n, timeout=60):
    """Polls c until n records arrived; returns them as (partition, offset) pairs."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        if time.monotonic() > deadline:
            raise AssertionError('consumed %d of %d records in %d s' % (len(got), n, timeout))
        for m in c.consume(num_messages=n - len(got), timeout=0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            got.append((m.partition(), m.offset()))
    return got


def describe(b, group=GROUP):
    cp = expect(run(['groups', 'describe', group, '--json', '-b', b.kafka]), 0,
                'groups describe --json')
    return json.loads(cp.stdout)


def committed_of(d):
    return {p['partition']: p['committed'] for p in d['partitions'] if p['topic'] == TOPIC}


def reset_table(cp):
    """{partition: (current, new)} from reset-offsets' table."""
    rows = {}
    lines = cp.stdout.splitlines()
    if not lines or lines[0].split() != ['TOPIC', 'PARTITION', 'CURRENT', 'NEW']:
        raise AssertionError('reset-offsets printed no table header: %r' % cp.stdout)
    for line in lines[1:]:
        f = line.split()
        if len(f) == 4 and f[0] == TOPIC:
            rows[int(f[1])] = (None if f[2] == '-' else int(f[2]), int(f[3]))
    return rows


# ----------------------------------------------------------------------------- cases

def help_and_usage(b):
    for args in (['groups', '--help'], ['groups', 'list', '--help'],
                 ['groups', 'describe', '--help'], ['groups', 'reset-offsets', '--help'],
                 ['groups', 'delete', '--help']):
        cp = expect(run(args), 0, 'runnel ' + ' '.join(args))
        if not cp.stdout.startswith('usage: runnel groups'):
            raise AssertionError('runnel %s: no usage text: %r' % (' '.join(args),
                                                                    cp.stdout[:200]))
    if 'groups' not in expect(run(['--help']), 0, 'runnel --help').stdout:
        raise AssertionError('runnel --help does not list groups')
    k = ['-b', b.kafka]
    for args in (['groups'], ['groups', 'bogus'], ['groups', 'describe'] + k,
                 ['groups', 'describe', 'a', 'b'] + k, ['groups', 'delete'] + k,
                 ['groups', 'list', 'extra'] + k, ['groups', 'list', '--no-such-flag'] + k,
                 ['groups', 'reset-offsets', GROUP, '--to-earliest'] + k,
                 ['groups', 'reset-offsets', GROUP, '--topic', TOPIC] + k,
                 ['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest',
                  '--to-latest'] + k,
                 ['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-offset', '-1'] + k,
                 ['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-datetime',
                  'yesterday'] + k):
        cp = expect(run(args), 2, 'runnel ' + ' '.join(args))
        if args[1:2] != ['bogus'] and len(args) > 2 and 'see ' not in cp.stderr and \
                'usage' not in cp.stderr:
            raise AssertionError('runnel %s: no usage hint: %r' % (' '.join(args), cp.stderr))


def setup(b, state):
    ck.create_topic(b.kafka, TOPIC, partitions=3)
    p = ck.producer(b.kafka)
    msgs = [{'key': b'k%d' % i, 'value': b'v%d' % i, 'headers': [], 'ts': None}
            for i in range(N)]
    delivered, failed = ck.produce_all(p, TOPIC, msgs)
    if failed or len(delivered) != N:
        raise AssertionError('delivered %d, failed %r' % (len(delivered), failed[:3]))
    state['ends'] = {pt: ck.watermarks(b.kafka, TOPIC, pt)[1] for pt in range(3)}
    if sum(state['ends'].values()) != N:
        raise AssertionError('log ends %r do not add up to %d' % (state['ends'], N))


def consume_40_and_commit(b, state):
    c = group_consumer(b)
    try:
        c.subscribe([TOPIC])
        got = consume_n(c, CONSUMED)
        nxt = {}
        for pt, off in got:
            nxt[pt] = max(nxt.get(pt, 0), off + 1)
        c.commit(offsets=[TopicPartition(TOPIC, pt, off) for pt, off in nxt.items()],
                 asynchronous=False)
        state['committed'] = nxt
    finally:
        c.close()
    harness.log('committed %r' % state['committed'])


def list_shows_group(b):
    cp = expect(run(['groups', 'list', '-b', b.kafka]), 0, 'groups list')
    lines = cp.stdout.splitlines()
    if not lines or lines[0].split() != ['GROUP', 'STATE', 'PROTOCOL-TYPE']:
        raise AssertionError('groups list: no header: %r' % cp.stdout)
    rows = {f[0]: f[1:] for f in (ln.split() for ln in lines[1:])}
    if rows.get(GROUP) != ['Empty', 'consumer']:
        raise AssertionError('groups list: %s is %r, expected Empty consumer: %r' % (
            GROUP, rows.get(GROUP), cp.stdout))
    cp = expect(run(['groups', 'list', '--json', '-b', b.kafka]), 0, 'groups list --json')
    arr = json.loads(cp.stdout)
    if {'group': GROUP, 'state': 'Empty', 'protocol_type': 'consumer'} not in arr:
        raise AssertionError('groups list --json: %r' % arr)


def describe_shows_lag(b, state):
    d = describe(b)
    if d['state'] != 'Empty' or d['members'] or d['protocol_type'] != 'consumer':
        raise AssertionError('describe: state %r, members %r, protocol_type %r' % (
            d['state'], d['members'], d['protocol_type']))
    if sorted(p['partition'] for p in d['partitions']) != [0, 1, 2]:
        raise AssertionError('describe: partitions %r' % d['partitions'])
    for p in d['partitions']:
        want = state['committed'].get(p['partition'])
        end = state['ends'][p['partition']]
        if p['committed'] != want or p['log_end'] != end or p['log_start'] != 0:
            raise AssertionError('describe: partition %r, expected committed %r log end %r' % (
                p, want, end))
        if p['lag'] != end - (want if want is not None else 0):
            raise AssertionError('describe: partition %r has the wrong lag' % p)
    if d['total_lag'] != N - CONSUMED:
        raise AssertionError('describe: total lag %r, expected %d' % (d['total_lag'],
                                                                      N - CONSUMED))
    cp = expect(run(['groups', 'describe', GROUP, '-b', b.kafka]), 0, 'groups describe')
    if 'total lag      %d' % (N - CONSUMED) not in cp.stdout or \
            'state          Empty' not in cp.stdout:
        raise AssertionError('groups describe printed %r' % cp.stdout)
    for pt, off in state['committed'].items():
        if not any(ln.split()[:3] == [TOPIC, str(pt), str(off)] for ln in cp.stdout.splitlines()):
            raise AssertionError('describe text shows no row "%s %d %d": %r' % (
                TOPIC, pt, off, cp.stdout))
    cp = expect(run(['groups', 'describe', 'no-such-group', '-b', b.kafka]), 1,
                'describe of a missing group')
    if 'does not exist' not in cp.stderr:
        raise AssertionError('describe of a missing group: %r' % cp.stderr)


def reset_dry_run(b, state):
    before = committed_of(describe(b))
    cp = expect(run(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest',
                     '--dry-run', '-b', b.kafka]), 0, 'reset-offsets --dry-run')
    rows = reset_table(cp)
    want = {pt: (state['committed'].get(pt), 0) for pt in range(3)}
    if rows != want:
        raise AssertionError('dry-run table %r, expected %r' % (rows, want))
    if 'dry run' not in cp.stdout:
        raise AssertionError('dry run not announced: %r' % cp.stdout)
    after = committed_of(describe(b))
    if after != before:
        raise AssertionError('--dry-run changed the offsets: %r -> %r' % (before, after))


def reset_targets(b, state):
    ends = state['ends']
    base = ['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--dry-run', '-b', b.kafka]
    rows = reset_table(expect(run(base + ['--to-latest']), 0, '--to-latest'))
    if {pt: r[1] for pt, r in rows.items()} != ends:
        raise AssertionError('--to-latest: %r, ends %r' % (rows, ends))
    rows = reset_table(expect(run(base + ['--to-latest', '--partition', '1']), 0,
                              '--to-latest --partition 1'))
    if list(rows) != [1]:
        raise AssertionError('--partition 1: %r' % rows)
    rows = reset_table(expect(run(base + ['--to-offset', '20']), 0, '--to-offset 20'))
    if {pt: r[1] for pt, r in rows.items()} != {pt: min(20, e) for pt, e in ends.items()}:
        raise AssertionError('--to-offset 20: %r, ends %r' % (rows, ends))
    rows = reset_table(expect(run(base + ['--to-datetime', '2001-01-01T00:00:00Z']), 0,
                              '--to-datetime in the past'))
    if any(r[1] != 0 for r in rows.values()):
        raise AssertionError('--to-datetime 2001: %r' % rows)
    rows = reset_table(expect(run(base + ['--to-datetime', '2999-01-01T00:00:00+02:00']), 0,
                              '--to-datetime in the future'))
    if {pt: r[1] for pt, r in rows.items()} != ends:
        raise AssertionError('--to-datetime 2999: %r, ends %r' % (rows, ends))
    expect(run(base + ['--to-earliest', '--partition', '3']), 1, '--partition 3 of 3')
    expect(run(['groups', 'reset-offsets', GROUP, '--topic', 'no-such-topic', '--to-earliest',
                '-b', b.kafka]), 1, 'reset-offsets on a missing topic')


def reset_to_earliest(b, state):
    cp = expect(run(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest',
                     '-b', b.kafka]), 0, 'reset-offsets --to-earliest')
    if any(r[1] != 0 for r in reset_table(cp).values()):
        raise AssertionError('reset table: %r' % cp.stdout)
    d = describe(b)
    if committed_of(d) != {0: 0, 1: 0, 2: 0} or d['total_lag'] != N:
        raise AssertionError('after reset: committed %r, total lag %r' % (committed_of(d),
                                                                          d['total_lag']))
    # The group's next consumer starts at 0 on every partition and reads all N records.
    c = group_consumer(b)
    try:
        c.subscribe([TOPIC])
        got = consume_n(c, N)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            for m in c.consume(num_messages=100, timeout=0.2):
                if not m.error():
                    got.append((m.partition(), m.offset()))
    finally:
        c.close()
    first = {}
    for pt, off in got:
        first.setdefault(pt, off)
    if len(got) != N or len(set(got)) != N:
        raise AssertionError('the next consumer read %d records (%d distinct), expected %d' % (
            len(got), len(set(got)), N))
    if any(off != 0 for off in first.values()):
        raise AssertionError('the next consumer started at %r, expected 0 everywhere' % first)


def refused_while_active(b):
    c = group_consumer(b)
    try:
        c.subscribe([TOPIC])

        def assigned():
            c.poll(0.2)
            return len(c.assignment()) == 3
        harness.wait_until(assigned, 30, 'the consumer to be assigned 3 partitions')
        d = harness.wait_until(lambda: (lambda x: x['state'] == 'Stable' and x)(describe(b)), 15,
                               'the group to be Stable')
        if len(d['members']) != 1:
            raise AssertionError('describe: %d members' % len(d['members']))
        m = d['members'][0]
        got = sorted((a['topic'], a['partition']) for a in m['assignment'])
        if got != [(TOPIC, 0), (TOPIC, 1), (TOPIC, 2)]:
            raise AssertionError('describe: the member is assigned %r' % got)
        if any(p['member_id'] != m['member_id'] for p in d['partitions']):
            raise AssertionError('describe: partitions not attributed to the member: %r' %
                                 d['partitions'])
        before = committed_of(d)
        cp = expect(run(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-latest',
                         '-b', b.kafka]), 1, 'reset-offsets of an active group')
        if 'no members' not in cp.stderr or 'Stable' not in cp.stderr:
            raise AssertionError('reset-offsets refusal says %r' % cp.stderr)
        expect(run(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-latest',
                    '--dry-run', '-b', b.kafka]), 1, 'reset-offsets --dry-run of an active group')
        cp = expect(run(['groups', 'delete', GROUP, '-b', b.kafka]), 1,
                    'delete of an active group')
        if 'NON_EMPTY_GROUP' not in cp.stderr:
            raise AssertionError('delete refusal says %r' % cp.stderr)
        if committed_of(describe(b)) != before:
            raise AssertionError('offsets changed while refused')
    finally:
        c.close()


def delete_group(b):
    harness.wait_until(lambda: describe(b)['state'] == 'Empty', 15, 'the group to be Empty')
    cp = expect(run(['groups', 'delete', GROUP, '-b', b.kafka]), 0, 'groups delete')
    if cp.stdout.strip() != 'deleted group %s' % GROUP:
        raise AssertionError('groups delete printed %r' % cp.stdout)
    listed = expect(run(['groups', 'list', '--json', '-b', b.kafka]), 0, 'groups list')
    if any(g['group'] == GROUP for g in json.loads(listed.stdout)):
        raise AssertionError('still listed after delete: %r' % listed.stdout)
    expect(run(['groups', 'describe', GROUP, '-b', b.kafka]), 1, 'describe after delete')
    cp = expect(run(['groups', 'delete', GROUP, '-b', b.kafka]), 1, 'delete of a missing group')
    if 'GROUP_ID_NOT_FOUND' not in cp.stderr:
        raise AssertionError('delete of a missing group says %r' % cp.stderr)
    cp = expect(run(['groups', 'delete', GROUP, '--if-exists', '-b', b.kafka]), 0,
                'delete --if-exists')
    if 'does not exist' not in cp.stdout:
        raise AssertionError('delete --if-exists printed %r' % cp.stdout)


def body(t):
    b = t.broker('broker')
    state = {}
    t.case('groups --help and usage errors exit 2', help_and_usage, b)
    if t.case('3-partition topic with %d records' % N, setup, b, state) is None:
        return
    if t.case('a consumer in %s consumes %d records and commits' % (GROUP, CONSUMED),
              consume_40_and_commit, b, state) is None:
        return
    t.case('groups list shows %s (text and --json)' % GROUP, list_shows_group, b)
    t.case('groups describe shows committed offsets, log ends and total lag %d' % (
        N - CONSUMED), describe_shows_lag, b, state)
    t.case('reset-offsets --to-earliest --dry-run changes nothing', reset_dry_run, b, state)
    t.case('reset-offsets targets: --to-latest, --partition, --to-offset, --to-datetime',
           reset_targets, b, state)
    t.case('reset-offsets --to-earliest moves %s to 0; its next consumer reads all %d' % (
        GROUP, N), reset_to_earliest, b, state)
    t.case('reset-offsets and delete refused while a consumer is in the group; describe '
           'shows the member', refused_while_active, b)
    t.case('groups delete removes the group (--if-exists)', delete_group, b)


if __name__ == '__main__':
    harness.main(body)

#!/usr/bin/python3
"""test_groups_wire.py - the group and offset APIs byte by byte, with hand-built requests
(kwire), for what real clients do not show directly: the advertised version ranges, the
KIP-394 handshake, JoinGroup/SyncGroup blocking until the barrier / the leader, every error
code of the coordinator on the wire, old versions (JoinGroup v0 without a rebalance
timeout, LeaveGroup v0), OffsetCommit/OffsetFetch field by field (metadata, leader epoch,
-1 for nothing committed, null topics), OffsetDelete, DescribeGroups/ListGroups/
DeleteGroups, a parked JoinGroup whose connection closes, a commit surviving kill -9, and
the group.initial.rebalance.delay.ms config key.
"""
import socket
import struct
import time

import harness
import kwire
from kwire import R, W

API_OFFSET_COMMIT, API_OFFSET_FETCH, API_JOIN, API_HEARTBEAT, API_LEAVE, API_SYNC = \
    8, 9, 11, 12, 13, 14
API_DESCRIBE_GROUPS, API_LIST_GROUPS, API_DELETE_GROUPS, API_OFFSET_DELETE = 15, 16, 42, 47

NONE, UNKNOWN_TOPIC, METADATA_TOO_LARGE, ILLEGAL_GENERATION = 0, 3, 12, 22
INCONSISTENT_PROTOCOL, INVALID_GROUP_ID, UNKNOWN_MEMBER, INVALID_SESSION = 23, 24, 25, 26
REBALANCE_IN_PROGRESS, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND = 27, 68, 69
MEMBER_ID_REQUIRED, FENCED_INSTANCE, GROUP_SUBSCRIBED = 79, 82, 86


def subscription(*topics):
    """ConsumerProtocolSubscription v0."""
    return W().i16(0).array(list(topics), lambda w, t: w.string(t)).bytes_(None).build()


def assignment(topic, parts):
    """ConsumerProtocolAssignment v0."""
    return W().i16(0).array([topic], lambda w, t: w.string(t).array(
        parts, lambda w, p: w.i32(p))).bytes_(None).build()


# ----------------------------------------------------------------------------- codecs

def join_body(v, group, member='', protocols=None, session=10000, rebalance=10000,
              instance=None, ptype='consumer'):
    protocols = protocols if protocols is not None else [('range', subscription('t'))]
    w = W().string(group).i32(session)
    if v >= 1:
        w.i32(rebalance)
    w.string(member)
    if v >= 5:
        w.string(instance)
    w.string(ptype).array(protocols, lambda w, p: w.string(p[0]).bytes_(p[1]))
    return w.build()


def parse_join(r, v):
    if v >= 2:
        r.i32()
    d = {'error': r.i16(), 'generation': r.i32(), 'protocol': r.string(),
         'leader': r.string(), 'member_id': r.string()}

    def mem(r):
        mid = r.string()
        inst = r.string() if v >= 5 else None
        return (mid, inst, r.bytes_())
    d['members'] = r.array(mem)
    return d


def join(conn, v, group, **kw):
    return parse_join(conn.call(API_JOIN, v, join_body(v, group, **kw)), v)


def join_start(conn, v, group, **kw):
    return conn.send_request(API_JOIN, v, join_body(v, group, **kw))


def join_finish(conn, corr, v, timeout=None):
    r = R(conn.recv_frame(timeout))
    got = r.i32()
    if got != corr:
        raise AssertionError('correlation %d, expected %d' % (got, corr))
    return parse_join(r, v)


def sync_body(v, group, gen, member, assignments=(), instance=None):
    w = W().string(group).i32(gen).string(member)
    if v >= 3:
        w.string(instance)
    w.array(list(assignments), lambda w, a: w.string(a[0]).bytes_(a[1]))
    return w.build()


def parse_sync(r, v):
    if v >= 1:
        r.i32()
    return {'error': r.i16(), 'assignment': r.bytes_()}


def sync(conn, v, group, gen, member, assignments=(), instance=None):
    return parse_sync(conn.call(API_SYNC, v, sync_body(v, group, gen, member, assignments,
                                                       instance)), v)


def heartbeat(conn, v, group, gen, member, instance=None):
    w = W().string(group).i32(gen).string(member)
    if v >= 3:
        w.string(instance)
    r = conn.call(API_HEARTBEAT, v, w.build())
    if v >= 1:
        r.i32()
    return r.i16()


def leave(conn, v, group, members):
    """members: [(member_id, instance)]; v0-2 use the first member id. Returns (top error,
    [member errors] (v3+))."""
    w = W().string(group)
    if v >= 3:
        w.array(members, lambda w, m: w.string(m[0]).string(m[1]))
    else:
        w.string(members[0][0])
    r = conn.call(API_LEAVE, v, w.build())
    if v >= 1:
        r.i32()
    top = r.i16()
    per = r.array(lambda r: (r.string(), r.string(), r.i16())) if v >= 3 else None
    return top, per


def offset_commit(conn, v, group, parts, gen=-1, member='', instance=None):
    """parts: [(topic, partition, offset, metadata, epoch)]. Returns {(topic, p): error}."""
    topics = {}
    for t, p, off, md, ep in parts:
        topics.setdefault(t, []).append((p, off, md, ep))
    w = W().string(group).i32(gen).string(member)
    if v >= 7:
        w.string(instance)
    if 2 <= v <= 4:
        w.i64(-1)

    def part(w, x):
        w.i32(x[0]).i64(x[1])
        if v >= 6:
            w.i32(x[3])
        w.string(x[2])
    w.array(list(topics.items()), lambda w, t: w.string(t[0]).array(t[1], part))
    r = conn.call(API_OFFSET_COMMIT, v, w.build())
    if v >= 3:
        r.i32()
    out = {}
    for name, ps in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16())))):
        for p, e in ps:
            out[(name, p)] = e
    return out


def offset_fetch(conn, v, group, topics):
    """topics: {name: [partitions]} or None (v2+: all). Returns (top error or None,
    {(topic, p): (offset, epoch, metadata, error)})."""
    w = W().string(group)
    w.array(None if topics is None else list(topics.items()),
            lambda w, t: w.string(t[0]).array(t[1], lambda w, p: w.i32(p)))
    r = conn.call(API_OFFSET_FETCH, v, w.build())
    if v >= 3:
        r.i32()

    def part(r):
        p, off = r.i32(), r.i64()
        ep = r.i32() if v >= 5 else None
        return p, off, ep, r.string(), r.i16()
    out = {}
    for name, ps in r.array(lambda r: (r.string(), r.array(part))):
        for p, off, ep, md, e in ps:
            out[(name, p)] = (off, ep, md, e)
    top = r.i16() if v >= 2 else None
    return top, out


def offset_delete(conn, group, topics):
    w = W().string(group).array(list(topics.items()), lambda w, t: w.string(t[0]).array(
        t[1], lambda w, p: w.i32(p)))
    r = conn.call(API_OFFSET_DELETE, 0, w.build())
    top = r.i16()
    r.i32()
    out = {}
    for name, ps in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16())))):
        for p, e in ps:
            out[(name, p)] = e
    return top, out


def describe_groups(conn, v, groups, auth=False):
    w = W().array(groups, lambda w, g: w.string(g))
    if v >= 3:
        w.boolean(auth)
    r = conn.call(API_DESCRIBE_GROUPS, v, w.build())
    if v >= 1:
        r.i32()

    def mem(r):
        d = {'member_id': r.string()}
        d['instance'] = r.string() if v >= 4 else None
        d['client_id'], d['client_host'] = r.string(), r.string()
        d['metadata'], d['assignment'] = r.bytes_(), r.bytes_()
        return d

    def grp(r):
        d = {'error': r.i16(), 'group': r.string(), 'state': r.string(),
             'protocol_type': r.string(), 'protocol': r.string(), 'members': r.array(mem)}
        d['auth'] = r.i32() if v >= 3 else None
        return d
    return r.array(grp)


def list_groups(conn, v):
    r = conn.call(API_LIST_GROUPS, v, b'')
    if v >= 1:
        r.i32()
    err = r.i16()
    return err, dict(r.array(lambda r: (r.string(), r.string())))


def delete_groups(conn, v, groups):
    r = conn.call(API_DELETE_GROUPS, v, W().array(groups, lambda w, g: w.string(g)).build())
    r.i32()
    return dict(r.array(lambda r: (r.string(), r.i16())))


def create_topic(b, name, partitions):
    with kwire.Conn(b.kafka) as c:
        res = kwire.create_topics(c, [(name, partitions, 1, None)])
    if res[name][0] != NONE:
        raise AssertionError('CreateTopics %s: %r' % (name, res[name]))


def join_member(conn, v, group, **kw):
    """JoinGroup of a new dynamic member, through the KIP-394 handshake from v4."""
    d = join(conn, v, group, **kw)
    if d['error'] == MEMBER_ID_REQUIRED:
        d = join(conn, v, group, member=d['member_id'], **kw)
    return d


def expect(got, want, what):
    if got != want:
        raise AssertionError('%s: got %r, expected %r' % (what, got, want))


def no_response(conn, within):
    """True if nothing arrives on conn within `within` seconds (a parked request)."""
    conn.sock.settimeout(within)
    try:
        data = conn.sock.recv(1, socket.MSG_PEEK)
    except socket.timeout:
        return True
    finally:
        conn.sock.settimeout(conn.timeout)
    return False


# ----------------------------------------------------------------------------- cases

def advertised_versions(b):
    with kwire.Conn(b.kafka) as c:
        apis = kwire.api_versions(c, 0)['apis']
    want = {8: (2, 7), 9: (1, 5), 10: (0, 2), 11: (0, 5), 12: (0, 3), 13: (0, 3), 14: (0, 3),
            15: (0, 4), 16: (0, 2), 42: (0, 1), 47: (0, 0)}
    for k, rng in want.items():
        expect(apis.get(k), rng, 'ApiVersions range of key %d' % k)


def join_errors(b):
    with kwire.Conn(b.kafka) as c:
        d = join(c, 4, 'hs')
        expect(d['error'], MEMBER_ID_REQUIRED, 'JoinGroup v4 with an empty member id')
        if not d['member_id'].startswith('kwire-') or d['generation'] != -1:
            raise AssertionError('MEMBER_ID_REQUIRED response: %r' % d)
        d2 = join(c, 4, 'hs', member=d['member_id'])
        expect((d2['error'], d2['generation'], d2['leader']), (NONE, 1, d['member_id']),
               'rejoin with the given id')
        expect(join(c, 5, 'st', instance='inst-1')['error'], NONE,
               'JoinGroup v5 static member: no handshake')
        expect(join(c, 3, 'x', session=5999)['error'], INVALID_SESSION, 'session 5999 ms')
        expect(join(c, 3, 'x', session=1800001)['error'], INVALID_SESSION,
               'session 1800001 ms')
        expect(join(c, 3, '')['error'], INVALID_GROUP_ID, 'empty group id')
        expect(join(c, 3, 'nosuch', member='kwire-1')['error'], UNKNOWN_MEMBER,
               'known member id, unknown group')
        expect(join(c, 3, 'hs', ptype='connect')['error'], INCONSISTENT_PROTOCOL,
               'another protocol type')
        expect(join(c, 3, 'hs', protocols=[('roundrobin', b'')])['error'],
               INCONSISTENT_PROTOCOL, 'no common protocol')
        expect(heartbeat(c, 3, 'st', 1, 'st-bogus', instance='inst-1'), FENCED_INSTANCE,
               'Heartbeat with another member id for a static instance')


def old_versions_flow(b):
    """v0 everywhere: JoinGroup v0 blocks in the barrier, SyncGroup v0 blocks for the
    leader, fencing by generation, empty assignments filled in, LeaveGroup v0."""
    g = 'v0flow'
    a_meta = subscription('t')
    with kwire.Conn(b.kafka, client_id='a') as ca, kwire.Conn(b.kafka, client_id='b') as cb:
        ja = join(ca, 0, g, protocols=[('range', a_meta)], session=8000)
        expect((ja['error'], ja['generation']), (NONE, 1), 'first member')
        expect(ja['leader'], ja['member_id'], 'leader')
        expect([m[2] for m in ja['members']], [a_meta], 'member metadata as sent')
        asg = assignment('t', [0, 1])
        s = sync(ca, 0, g, 1, ja['member_id'], [(ja['member_id'], asg)])
        expect(s, {'error': NONE, 'assignment': asg}, 'SyncGroup v0 of the leader')
        expect(heartbeat(ca, 0, g, 1, ja['member_id']), NONE, 'Heartbeat v0')
        expect(heartbeat(ca, 0, g, 0, ja['member_id']), ILLEGAL_GENERATION, 'old generation')
        expect(heartbeat(ca, 0, g, 1, 'a-nobody'), UNKNOWN_MEMBER, 'unknown member')
        expect(heartbeat(ca, 0, 'nogroup', 1, ja['member_id']), UNKNOWN_MEMBER,
               'unknown group')
        corr = join_start(cb, 0, g, protocols=[('range', subscription('t'))], session=8000)
        if not no_response(cb, 0.5):
            raise AssertionError('JoinGroup of a second member answered before the barrier')
        expect(heartbeat(ca, 0, g, 1, ja['member_id']), REBALANCE_IN_PROGRESS,
               'Heartbeat while a member joins')
        expect(sync(ca, 0, g, 1, ja['member_id'])['error'], REBALANCE_IN_PROGRESS,
               'SyncGroup in PreparingRebalance')
        ja2 = join(ca, 0, g, member=ja['member_id'], protocols=[('range', a_meta)],
                   session=8000)
        jb = join_finish(cb, corr, 0, timeout=5)
        expect((ja2['generation'], jb['generation']), (2, 2), 'both in generation 2')
        expect(jb['leader'], ja['member_id'], 'the leader that rejoined stays leader')
        expect((len(ja2['members']), jb['members']), (2, []), 'members for the leader only')
        sb_corr = cb.send_request(API_SYNC, 0, sync_body(0, g, 2, jb['member_id']))
        if not no_response(cb, 0.5):
            raise AssertionError('a follower SyncGroup answered before the leader synced')
        sa = sync(ca, 0, g, 2, ja['member_id'], [(ja['member_id'], asg)])
        expect(sa['assignment'], asg, 'leader assignment')
        r = R(cb.recv_frame(5))
        expect(r.i32(), sb_corr, 'correlation id')
        expect(parse_sync(r, 0), {'error': NONE, 'assignment': b''},
               'follower left out by the leader: an empty (not null) assignment')
        expect(leave(cb, 0, g, [(jb['member_id'], None)]), (NONE, None), 'LeaveGroup v0')
        expect(leave(cb, 0, g, [(jb['member_id'], None)]), (UNKNOWN_MEMBER, None),
               'LeaveGroup v0 again')
        expect(leave(ca, 1, g, [(ja['member_id'], None)]), (NONE, None), 'LeaveGroup v1')
        d = describe_groups(ca, 0, [g])[0]
        expect((d['state'], d['members']), ('Empty', []), 'after everyone left')


def parked_join_connection_closes(b):
    """A parked JoinGroup whose connection closes is detached; the group goes on."""
    g = 'parked'
    with kwire.Conn(b.kafka) as ca:
        ja = join(ca, 1, g, session=6000, rebalance=6000)
        sync(ca, 1, g, 1, ja['member_id'], [(ja['member_id'], b'x')])
        cb = kwire.Conn(b.kafka)
        join_start(cb, 1, g, session=6000, rebalance=6000)
        time.sleep(0.3)
        cb.close()  # the broker must drop the parked request, not answer into freed memory
        ja2 = join(ca, 1, g, member=ja['member_id'], session=6000, rebalance=6000)
        # b's member stays until the barrier gives up on it (the rebalance timeout), or
        # it completes at once if the barrier already counts b as joined; either way a
        # valid generation comes back.
        expect(ja2['error'], NONE, 'rejoin after the other connection closed')
        if ja2['generation'] != 2:
            raise AssertionError('generation %d' % ja2['generation'])
        s = sync(ca, 1, g, 2, ja['member_id'], [(ja['member_id'], b'y')])
        expect(s['error'], NONE, 'sync')


def offsets_on_the_wire(b):
    create_topic(b, 'ot', 3)
    g = 'offs'
    with kwire.Conn(b.kafka) as c:
        res = offset_commit(c, 2, g, [('ot', 0, 10, 'meta-a', -1), ('ot', 7, 1, None, -1),
                                      ('nosuch', 0, 1, None, -1)])
        expect(res, {('ot', 0): NONE, ('ot', 7): UNKNOWN_TOPIC, ('nosuch', 0): UNKNOWN_TOPIC},
               'OffsetCommit v2 per-partition errors')
        res = offset_commit(c, 3, g, [('ot', 1, 20, 'm' * 4096, -1),
                                      ('ot', 2, 30, 'm' * 4097, -1)])
        expect(res, {('ot', 1): NONE, ('ot', 2): METADATA_TOO_LARGE}, 'metadata limit')
        res = offset_commit(c, 6, g, [('ot', 2, 31, None, 7)])
        expect(res, {('ot', 2): NONE}, 'OffsetCommit v6 with a leader epoch')
        top, got = offset_fetch(c, 1, g, {'ot': [0, 1, 2], 'other': [0]})
        expect(top, None, 'no top-level error field in v1')
        expect(got[('ot', 0)], (10, None, 'meta-a', NONE), 'v1 fetch')
        expect(got[('ot', 2)][0], 31, 'v1 fetch of partition 2')
        expect(got[('other', 0)], (-1, None, '', NONE), 'nothing committed: -1, error 0')
        top, got = offset_fetch(c, 5, g, None)
        expect(top, NONE, 'v5 top-level error')
        expect(sorted(got), [('ot', 0), ('ot', 1), ('ot', 2)], 'null topics = all committed')
        expect(got[('ot', 2)], (31, 7, '', NONE), 'v5: leader epoch, null metadata as ""')
        expect(offset_fetch(c, 2, 'nogroup', None), (NONE, {}), 'unknown group, all topics')
        top, got = offset_fetch(c, 3, 'nogroup', {'ot': [0]})
        expect(got[('ot', 0)], (-1, None, '', NONE), 'unknown group, one partition')
        # generation checks
        expect(offset_commit(c, 2, 'nogroup2', [('ot', 0, 1, None, -1)], gen=3),
               {('ot', 0): ILLEGAL_GENERATION}, 'generation of a group that does not exist')
        j = join_member(c, 5, 'active', protocols=[('range', subscription('ot'))])
        expect(j['error'], NONE, 'join')
        expect(offset_commit(c, 7, 'active', [('ot', 0, 1, None, -1)], gen=1,
                             member=j['member_id']),
               {('ot', 0): REBALANCE_IN_PROGRESS}, 'commit before SyncGroup')
        sync(c, 3, 'active', 1, j['member_id'], [(j['member_id'], assignment('ot', [0]))])
        expect(offset_commit(c, 7, 'active', [('ot', 0, 5, None, -1)], gen=1,
                             member=j['member_id']),
               {('ot', 0): NONE}, 'member commit v7')
        expect(offset_commit(c, 7, 'active', [('ot', 0, 5, None, -1)]),
               {('ot', 0): UNKNOWN_MEMBER}, 'generation -1 commit to an active group')
        expect(offset_commit(c, 5, 'active', [('ot', 0, 5, None, -1)], gen=0,
                             member=j['member_id']),
               {('ot', 0): ILLEGAL_GENERATION}, 'stale generation')
        # OffsetDelete
        expect(offset_delete(c, 'nogroup', {'ot': [0]}), (GROUP_ID_NOT_FOUND, {}),
               'OffsetDelete of an unknown group')
        offset_commit(c, 7, 'active', [('ot', 1, 6, None, -1)], gen=1, member=j['member_id'])
        expect(offset_delete(c, 'active', {'ot': [0]}),
               (NONE, {('ot', 0): GROUP_SUBSCRIBED}), 'a subscribed topic of an active group')
        expect(offset_delete(c, g, {'ot': [0, 1], 'nosuch': [0]}),
               (NONE, {('ot', 0): NONE, ('ot', 1): NONE, ('nosuch', 0): UNKNOWN_TOPIC}),
               'OffsetDelete in an empty group')
        top, got = offset_fetch(c, 2, g, None)
        expect(sorted(got), [('ot', 2)], 'after OffsetDelete')


def describe_list_delete(b):
    with kwire.Conn(b.kafka, client_id='desc') as c:
        j = join(c, 5, 'dg', protocols=[('range', subscription('dt'))], instance='i-9')
        asg = assignment('dt', [0])
        sync(c, 3, 'dg', 1, j['member_id'], [(j['member_id'], asg)], instance='i-9')
        d = describe_groups(c, 4, ['dg', 'nosuch'], auth=True)
        g = d[0]
        expect((g['error'], g['state'], g['protocol_type'], g['protocol']),
               (NONE, 'Stable', 'consumer', 'range'), 'DescribeGroups v4')
        expect(g['auth'], (1 << 3) | (1 << 6) | (1 << 8), 'authorized operations')
        m = g['members'][0]
        expect((m['member_id'], m['instance'], m['client_id'], m['client_host']),
               (j['member_id'], 'i-9', 'desc', '/127.0.0.1'), 'member')
        expect((m['metadata'], m['assignment']), (subscription('dt'), asg), 'bytes as sent')
        expect((d[1]['error'], d[1]['state'], d[1]['members']), (NONE, 'Dead', []),
               'unknown group')
        expect(describe_groups(c, 2, ['dg'])[0]['auth'], None, 'v2 has no authorized ops')
        expect(describe_groups(c, 3, ['dg'])[0]['auth'], -2147483648, 'not requested')
        err, groups = list_groups(c, 2)
        expect((err, groups.get('dg')), (NONE, 'consumer'), 'ListGroups v2')
        expect(list_groups(c, 0)[1].get('dg'), 'consumer', 'ListGroups v0')
        offset_commit(c, 2, 'simple', [('dt', 0, 3, None, -1)])
        expect(list_groups(c, 1)[1].get('simple'), '', 'a simple group has no protocol type')
        expect(delete_groups(c, 1, ['dg', 'simple', 'nosuch']),
               {'dg': NON_EMPTY_GROUP, 'simple': NONE, 'nosuch': GROUP_ID_NOT_FOUND},
               'DeleteGroups v1')
        expect(offset_fetch(c, 2, 'simple', None), (NONE, {}), 'offsets deleted')
        top, per = leave(c, 3, 'dg', [('', 'i-9'), ('', 'i-404')])
        expect((top, [e for _, _, e in per]), (NONE, [NONE, UNKNOWN_MEMBER]),
               'LeaveGroup v3 removes a static member by instance id')
        expect(delete_groups(c, 0, ['dg']), {'dg': NONE}, 'DeleteGroups v0 once empty')


def commit_survives_kill9(b):
    create_topic(b, 'dur', 1)
    with kwire.Conn(b.kafka) as c:
        expect(offset_commit(c, 7, 'durable', [('dur', 0, 123, 'x', 4)]),
               {('dur', 0): NONE}, 'commit')
    b.kill9()
    b.start()
    with kwire.Conn(b.kafka) as c:
        top, got = offset_fetch(c, 5, 'durable', {'dur': [0]})
        expect(got[('dur', 0)], (123, 4, 'x', NONE), 'after kill -9 and restart')


def initial_delay_config(b):
    """group.initial.rebalance.delay.ms: the first JoinGroup of an empty group waits it."""
    b.stop()
    b.start(config={'group.initial.rebalance.delay.ms': 1500})
    with kwire.Conn(b.kafka) as c:
        t0 = time.monotonic()
        d = join(c, 3, 'delayed')
        took = time.monotonic() - t0
    expect(d['error'], NONE, 'join')
    if not 1.4 <= took < 4.0:
        raise AssertionError('the first join took %.2f s with a 1500 ms delay' % took)
    b.stop()
    b.start(config={'group.initial.rebalance.delay.ms': 0})


def body(t):
    b = t.broker('broker', config={'group.initial.rebalance.delay.ms': 0}, keep_ports=True)
    t.case('ApiVersions advertises the group and offset APIs', advertised_versions, b)
    t.case('JoinGroup: MEMBER_ID_REQUIRED handshake and error codes', join_errors, b)
    t.case('v0 flow: JoinGroup and SyncGroup block, generations fence, LeaveGroup',
           old_versions_flow, b)
    t.case('a parked JoinGroup whose connection closes', parked_join_connection_closes, b)
    t.case('OffsetCommit / OffsetFetch / OffsetDelete field by field', offsets_on_the_wire, b)
    t.case('DescribeGroups / ListGroups / DeleteGroups / LeaveGroup v3', describe_list_delete,
           b)
    t.case('an acknowledged commit survives kill -9', commit_survives_kill9, b)
    t.case('group.initial.rebalance.delay.ms is honoured', initial_delay_config, b)


harness.main(body)

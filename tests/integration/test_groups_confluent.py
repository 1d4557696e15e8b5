#!/usr/bin/python3
"""test_groups_confluent.py - consumer groups with python3-confluent-kafka 1.7 (librdkafka
2.0.2: JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3, Heartbeat v3, OffsetCommit v7,
OffsetFetch v5, LeaveGroup v1, legacy ListGroups/DescribeGroups v0). Issue 3 "Done when" 1.

Members are child processes (ck_group_worker.py) that process a batch, then commit it
synchronously (commit after processing), with session.timeout.ms=6000:
  - three members of one group share a 6-partition topic 2/2/2;
  - one is killed with SIGKILL (no LeaveGroup): its partitions move to the other two
    within the session timeout plus one rebalance (measured and bounded);
  - DescribeGroups shows each member's assignment bytes as the leader sent them;
  - a 30,000-message stream (10,000 before the members start, 10,000 after the kill,
    10,000 after the broker is killed with SIGKILL and restarted) is processed at least
    once in all, and the committed offsets end at the log end;
  - after a clean broker restart a new member resumes exactly at the committed offsets;
  - static membership (group.instance.id): a member killed and restarted within its
    session gets its partitions back without the other member seeing a rebalance.
"""
import time

import harness
import ck
import grouputil as gu
from confluent_kafka import Consumer, TopicPartition

SESSION_S = 6.0
N_PHASE = 10000


def produce(b, topic, start, n):
    msgs = [{'i': i, 'key': str(i).encode(), 'value': ('m%d' % i).encode(), 'headers': [],
             'ts': None} for i in range(start, start + n)]
    delivered, failed = ck.produce_all(ck.producer(b.kafka), topic, msgs)
    if failed:
        raise AssertionError('%d deliveries failed: %s' % (len(failed), failed[0][1]))
    return {(p, off): m['value'].decode() for m, p, off in delivered}


def committed(b, group, topic, partitions):
    c = Consumer({'bootstrap.servers': b.kafka, 'group.id': group})
    try:
        return {tp.partition: tp.offset for tp in
                c.committed([TopicPartition(topic, p) for p in range(partitions)], 15)}
    finally:
        c.close()


def ends(b, topic, partitions):
    return {p: ck.watermarks(b.kafka, topic, p)[1] for p in range(partitions)}


class Scenario:
    def __init__(self, b):
        self.b = b
        self.topic = 'orders'
        self.group = 'billing'
        self.sent = {}
        self.workers = []

    def start(self):
        ck.create_topic(self.b.kafka, self.topic, 6)
        self.sent.update(produce(self.b, self.topic, 0, N_PHASE))
        self.workers = [gu.ck_worker(n, self.b.kafka, self.group, self.topic, pause='0.02')
                        for n in ('a', 'b', 'c')]
        asg = gu.wait_shares(self.workers, 6, sizes=[2, 2, 2], timeout=60)
        harness.log('group: 2/2/2 assignment: %s' % [sorted(a) for a in asg])

    def kill_one(self):
        victim = self.workers[2]
        survivors = self.workers[:2]
        lost = victim.assignment()
        victim.kill9()
        t0 = time.monotonic()
        gu.wait_shares(survivors, 6, sizes=[3, 3], timeout=60)
        took = time.monotonic() - t0
        harness.log('group: partitions %s of the killed member moved in %.2f s' % (
            sorted(lost), took))
        if took > SESSION_S + 3.0:
            raise AssertionError('partitions moved after %.2f s, more than the %.0f s '
                                 'session timeout plus 3 s for the rebalance' % (took, SESSION_S))

    def describe(self):
        """Legacy ListGroups + DescribeGroups v0: members and their assignment bytes."""
        a = ck.admin(self.b.kafka)
        gs = [g for g in a.list_groups(self.group, timeout=10) if g.id == self.group]
        if len(gs) != 1:
            raise AssertionError('list_groups(%s): %r' % (self.group, gs))
        g = gs[0]
        if g.state != 'Stable' or g.protocol_type != 'consumer' or g.protocol != 'range':
            raise AssertionError('group %s: state %s, type %s, protocol %s' % (
                g.id, g.state, g.protocol_type, g.protocol))
        got = sorted(tuple(gu.decode_assignment(m.assignment).get(self.topic, []))
                     for m in g.members)
        want = sorted(tuple(sorted(w.assignment())) for w in self.workers[:2])
        if got != want:
            raise AssertionError('DescribeGroups assignments %s, the members say %s' % (
                got, want))
        for m in g.members:
            if not m.client_host.startswith('/127.0.0.1') or not m.metadata:
                raise AssertionError('member %s: host %r, %d bytes of metadata' % (
                    m.id, m.client_host, len(m.metadata or b'')))

    def more_and_broker_kill(self):
        self.sent.update(produce(self.b, self.topic, N_PHASE, N_PHASE))
        # Let the survivors get going on the new messages, then kill the broker.
        harness.wait_until(lambda: sum(len(w.records()) for w in self.workers) >
                           N_PHASE + 2000, 60, 'the members to process more', interval=0.1)
        self.b.kill9()
        self.b.start()
        self.sent.update(produce(self.b, self.topic, 2 * N_PHASE, N_PHASE))

    def all_processed(self):
        want = set(self.sent)

        def done():
            seen = set()
            for w in self.workers:
                for p, off, v in w.records():
                    if self.sent.get((p, off)) not in (None, v):
                        raise AssertionError('p%d@%d: processed %r, produced %r' % (
                            p, off, v, self.sent[(p, off)]))
                    seen.add((p, off))
            missing = want - seen
            return not missing
        harness.wait_until(done, 120, 'every one of the %d messages to be processed'
                           % len(want), interval=0.5)
        total = sum(len(w.records()) for w in self.workers)
        harness.log('group: %d records processed for %d messages (%d again, after the '
                    'kills)' % (total, len(want), total - len(want)))
        for w in self.workers[:2]:
            w.stop()
        got = committed(self.b, self.group, self.topic, 6)
        end = ends(self.b, self.topic, 6)
        if got != end:
            raise AssertionError('committed %s, log end %s' % (got, end))

    def resume_after_restart(self):
        self.b.stop()
        self.b.start()
        before = committed(self.b, self.group, self.topic, 6)
        d = gu.ck_worker('d', self.b.kafka, self.group, self.topic)
        self.workers.append(d)
        gu.wait_shares([d], 6, timeout=60)
        new = produce(self.b, self.topic, 3 * N_PHASE, 100)
        harness.wait_until(lambda: len(d.records()) >= 100, 60, 'the new member to process '
                           'the 100 new messages', interval=0.1)
        time.sleep(1.0)
        recs = d.records()
        got = {(p, off) for p, off, _ in recs}
        if got != set(new) or len(recs) != 100:
            early = sorted((p, off) for p, off, _ in recs if off < before[p])[:5]
            raise AssertionError('the new member processed %d records (%d distinct), '
                                 'expected exactly the 100 new ones; below the committed '
                                 'offsets: %s' % (len(recs), len(got), early))
        d.stop()


def static_membership(b):
    topic, group = 'static-t', 'static-g'
    ck.create_topic(b.kafka, topic, 4)
    produce(b, topic, 0, 200)
    props = {'session_timeout_ms': 20000}
    s1 = gu.ck_worker('s1', b.kafka, group, topic, group_instance_id='i-1', **props)
    s2 = gu.ck_worker('s2', b.kafka, group, topic, group_instance_id='i-2', **props)
    try:
        gu.wait_shares([s1, s2], 4, sizes=[2, 2], timeout=60)
        time.sleep(1.0)
        mine = s1.assignment()
        n2 = len(s2.assignments())
        s1.kill9()
        s1b = gu.ck_worker('s1b', b.kafka, group, topic, group_instance_id='i-1', **props)
        try:
            harness.wait_until(lambda: s1b.assignment(), 30, 'the restarted static member '
                               'to get partitions', interval=0.05)
            time.sleep(2.0)
            if s1b.assignment() != mine:
                raise AssertionError('restarted static member got %s, had %s' % (
                    sorted(s1b.assignment()), sorted(mine)))
            if len(s2.assignments()) != n2:
                raise AssertionError('the other member saw a rebalance: %s' %
                                     s2.assignments()[n2 - 1:])
        finally:
            s1b.stop()
    finally:
        s2.stop()
        s1.kill9(quiet=True)


def body(t):
    b = t.broker('broker', keep_ports=True)
    sc = Scenario(b)
    try:
        if t.case('3 members share a 6-partition topic 2/2/2', sc.start) is None:
            return
        t.case('SIGKILLed member: its partitions move within the session timeout',
               sc.kill_one)
        t.case('DescribeGroups returns the assignment bytes the leader sent', sc.describe)
        t.case('30,000 messages each processed at least once across a member kill and '
               'a broker kill -9, commits end at the log end',
               lambda: (sc.more_and_broker_kill(), sc.all_processed()))
        t.case('after a broker restart a new member resumes at the committed offsets',
               sc.resume_after_restart)
    finally:
        for w in sc.workers:
            w.kill9(quiet=True)
    t.case('static membership: a restarted member gets its partitions back without a '
           'rebalance', static_membership, b)


harness.main(body)

#!/usr/bin/python3
"""test_groups_kcat.py - kcat's balanced consumer (`kcat -G`, librdkafka 2.0.2) against
the group coordinator:
  - one member takes all 4 partitions of a topic; a second one joins: the first sees its
    partitions revoked and reassigned, and the two end up disjoint and complete;
  - every message produced before and during the rebalance is printed exactly by one of
    them at least once;
  - when the second member exits (SIGTERM: commit, LeaveGroup) the first takes over all
    partitions, and new messages reach it;
  - kcat auto-commits: after both exit, the group's committed offsets are the log end,
    and a new `kcat -G` in the same group prints only messages produced after that.
"""
import os
import re
import signal
import subprocess
import time

import harness
import ck

KCAT = 'kcat'
TOPIC, GROUP = 'kcat-grp', 'kcat-g'
ASSIGN_RE = re.compile(r'rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$')


class Member:
    def __init__(self, b, name):
        self.name = name
        tmp = harness.mkdtemp('kcat-%s' % name)
        self.out_path = os.path.join(tmp, 'out')
        self.err_path = os.path.join(tmp, 'err')
        cmd = [KCAT, '-b', b.kafka, '-G', GROUP, '-u', '-f', r'%p %o %s\n',
               '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000',
               '-X', 'heartbeat.interval.ms=500', '-X', 'auto.commit.interval.ms=500',
               TOPIC]
        harness.log('kcat: starting %s: %s' % (name, ' '.join(cmd)))
        self.out = open(self.out_path, 'wb')
        self.err = open(self.err_path, 'wb')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.err)

    def assignment(self):
        """Partitions after the last rebalance event kcat reported."""
        cur = None
        with open(self.err_path, 'r', errors='replace') as f:
            for line in f:
                m = ASSIGN_RE.search(line.strip())
                if not m:
                    continue
                parts = {int(p) for p in re.findall(r'\[(\d+)\]', m.group(2))}
                cur = parts if m.group(1) == 'assigned' else set()
        return cur

    def events(self):
        with open(self.err_path, 'r', errors='replace') as f:
            return [m.group(1) for m in (ASSIGN_RE.search(l.strip()) for l in f) if m]

    def values(self):
        with open(self.out_path, 'r', errors='replace') as f:
            return [ln.split(' ', 2)[2] for ln in f.read().splitlines() if ln.count(' ') >= 2]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError('kcat %s did not exit on SIGTERM' % self.name)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def produce(b, start, n):
    data = ''.join('m%d\n' % i for i in range(start, start + n)).encode()
    subprocess.run([KCAT, '-b', b.kafka, '-P', '-t', TOPIC, '-X', 'acks=all'], input=data,
                   check=True, timeout=60)
    return {'m%d' % i for i in range(start, start + n)}


def body(t):
    b = t.broker('broker')
    members = []
    sent = set()
    try:
        def first():
            ck.create_topic(b.kafka, TOPIC, 4)
            sent.update(produce(b, 0, 400))
            members.append(Member(b, 'k1'))
            harness.wait_until(lambda: members[0].assignment() == {0, 1, 2, 3}, 30,
                               'k1 to get all 4 partitions')
        if t.case('kcat -G alone gets every partition', first) is None:
            return

        def second():
            members.append(Member(b, 'k2'))
            sent.update(produce(b, 400, 400))

            def split():
                a1, a2 = members[0].assignment(), members[1].assignment()
                return a1 and a2 and not (a1 & a2) and (a1 | a2) == {0, 1, 2, 3}
            harness.wait_until(split, 30, 'the two members to split the partitions')
            ev = members[0].events()
            if 'revoked' not in ev:
                raise AssertionError('k1 saw no revocation: %s' % ev)
            harness.log('kcat: k1 %s, k2 %s' % (sorted(members[0].assignment()),
                                                sorted(members[1].assignment())))
            harness.wait_until(lambda: sent <= set(members[0].values() + members[1].values()),
                               30, 'every message to be printed')
        t.case('a second kcat -G rebalances the group: disjoint, complete assignments, '
               'every message consumed', second)

        def leave():
            members[1].stop()
            harness.wait_until(lambda: members[0].assignment() == {0, 1, 2, 3}, 15,
                               'k1 to take over every partition after k2 left')
            sent.update(produce(b, 800, 200))
            harness.wait_until(lambda: {'m%d' % i for i in range(800, 1000)} <=
                               set(members[0].values()), 30, 'k1 to print the new messages')
        t.case('the second member leaves: the first takes over and gets new messages', leave)

        def resume():
            members[0].stop()
            time.sleep(0.5)
            from confluent_kafka import Consumer, TopicPartition
            c = Consumer({'bootstrap.servers': b.kafka, 'group.id': GROUP})
            try:
                got = {tp.partition: tp.offset for tp in
                       c.committed([TopicPartition(TOPIC, p) for p in range(4)], 10)}
            finally:
                c.close()
            end = {p: ck.watermarks(b.kafka, TOPIC, p)[1] for p in range(4)}
            if got != end:
                raise AssertionError('committed %s, log end %s' % (got, end))
            members.append(Member(b, 'k3'))
            harness.wait_until(lambda: members[2].assignment() == {0, 1, 2, 3}, 30,
                               'k3 to join')
            new = produce(b, 1000, 50)
            harness.wait_until(lambda: new <= set(members[2].values()), 30, 'k3 to print')
            time.sleep(1.0)
            vals = members[2].values()
            if sorted(vals) != sorted(new):
                raise AssertionError('k3 printed %d values, expected only the 50 new ones '
                                     '(first: %s)' % (len(vals), vals[:5]))
            members[2].stop()
        t.case('kcat auto-commits: offsets at the log end, a new member resumes there',
               resume)
    finally:
        for m in members:
            m.kill()


harness.main(body)

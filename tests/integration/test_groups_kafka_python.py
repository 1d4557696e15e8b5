#!/usr/bin/python3
"""test_groups_kafka_python.py - kafka-python 2.0.2's group consumer, which sends fixed old
versions (JoinGroup v2 without the MEMBER_ID_REQUIRED handshake, SyncGroup v1, Heartbeat
v1, OffsetCommit v2, OffsetFetch v1, LeaveGroup v1), and its admin client (ListGroups v1,
DescribeGroups v3, OffsetFetch v3 with null topics, DeleteGroups v1). Issue 3 "Done when" 2.

  - two members (kp_group_worker.py) share a 4-partition topic 2/2;
  - one leaves with LeaveGroup (consumer.close): the other gets all four partitions at
    once, without waiting for a session timeout;
  - every message is processed and the committed offsets reach the log end
    (list_consumer_group_offsets);
  - describe_consumer_groups decodes each member's assignment as sent by the leader;
  - delete_consumer_groups refuses the active group and deletes it once empty.
"""
import time

import harness
import grouputil as gu
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import GroupIdNotFoundError, NoError, NonEmptyGroupError

TOPIC, GROUP, N = 'kp-events', 'kp-group', 4000


def setup(b):
    adm = KafkaAdminClient(bootstrap_servers=b.kafka)
    try:
        adm.create_topics([NewTopic(TOPIC, 4, 1)])
    finally:
        adm.close()
    p = KafkaProducer(bootstrap_servers=b.kafka, acks='all')
    for i in range(N):
        p.send(TOPIC, key=b'%d' % i, value=b'm%d' % i)
    p.flush(30)
    p.close()


def end_offsets(b):
    c = KafkaConsumer(bootstrap_servers=b.kafka)
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(4)]
        return {tp.partition: off for tp, off in c.end_offsets(tps).items()}
    finally:
        c.close()


def body(t):
    b = t.broker('broker', config={'group.initial.rebalance.delay.ms': 500})
    ws = []
    try:
        def share():
            setup(b)
            ws.extend([gu.kp_worker(n, b.kafka, GROUP, TOPIC, pause='0.05') for n in 'ab'])
            gu.wait_shares(ws, 4, sizes=[2, 2], timeout=60)
        if t.case('2 members share a 4-partition topic 2/2 (JoinGroup v2, SyncGroup v1)',
                  share) is None:
            return

        def describe():
            adm = KafkaAdminClient(bootstrap_servers=b.kafka)
            try:
                if (GROUP, 'consumer') not in adm.list_consumer_groups():
                    raise AssertionError('list_consumer_groups: %s' % adm.list_consumer_groups())
                g = adm.describe_consumer_groups([GROUP])[0]
                if g.state != 'Stable' or g.protocol != 'range' or len(g.members) != 2:
                    raise AssertionError('describe: %s' % (g,))
                got = sorted(tuple(sorted(dict(m.member_assignment.assignment)[TOPIC]))
                             for m in g.members)
                want = sorted(tuple(sorted(w.assignment())) for w in ws)
                if got != want:
                    raise AssertionError('assignments %s, members say %s' % (got, want))
                res = adm.delete_consumer_groups([GROUP])  # [(group, error class)]
                if res != [(GROUP, NonEmptyGroupError)]:
                    raise AssertionError('delete_consumer_groups of an active group: %s' % res)
            finally:
                adm.close()
        t.case('describe_consumer_groups decodes the assignments the leader sent; '
               'delete_consumer_groups refuses an active group', describe)

        def leave():
            ws[1].stop()
            t0 = time.monotonic()
            gu.wait_shares(ws[:1], 4, timeout=30)
            took = time.monotonic() - t0
            harness.log('group: partitions moved %.2f s after LeaveGroup' % took)
            if took > 5.0:
                raise AssertionError('rebalance took %.2f s after LeaveGroup' % took)
        t.case('LeaveGroup v1: the other member gets every partition at once', leave)

        def processed_and_committed():
            want = {'m%d' % i for i in range(N)}
            harness.wait_until(lambda: want <= {v for w in ws for _, _, v in w.records()},
                               60, 'every message to be processed', interval=0.2)
            end = end_offsets(b)
            adm = KafkaAdminClient(bootstrap_servers=b.kafka)
            try:
                def caught_up():
                    got = adm.list_consumer_group_offsets(GROUP)  # OffsetFetch, null topics
                    return {tp.partition: om.offset for tp, om in got.items()} == end
                harness.wait_until(caught_up, 30, 'committed offsets %s' % end)
                ws[0].stop()
                res = adm.delete_consumer_groups([GROUP])
                if res != [(GROUP, NoError)]:
                    raise AssertionError('delete_consumer_groups of the empty group: %s' % res)
                if GROUP in [g for g, _ in adm.list_consumer_groups()]:
                    raise AssertionError('group still listed after delete_consumer_groups')
                res = adm.delete_consumer_groups([GROUP])
                if res != [(GROUP, GroupIdNotFoundError)]:
                    raise AssertionError('delete_consumer_groups again: %s' % res)
                if adm.list_consumer_group_offsets(GROUP):
                    raise AssertionError('offsets left after delete_consumer_groups')
            finally:
                adm.close()
        t.case('every message processed, OffsetCommit v2 reaches the log end, '
               'DeleteGroups once empty', processed_and_committed)
    finally:
        for w in ws:
            w.kill9(quiet=True)


harness.main(body)

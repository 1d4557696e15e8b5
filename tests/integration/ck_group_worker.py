#!/usr/bin/python3
"""tests/integration/ck_group_worker.py - one confluent_kafka group member for the group
tests, run as a child process (so a test can SIGKILL it: no LeaveGroup, no last commit).

    /usr/bin/python3 ck_group_worker.py BOOTSTRAP GROUP TOPIC OUTFILE [key=value ...]

Subscribes to TOPIC in GROUP with enable.auto.commit=false and auto.offset.reset=earliest,
then loops: consume a batch (max.poll.records-like: at most `batch` messages), "process"
it by appending one line per record to OUTFILE and flushing, then commit synchronously
(commit after processing: at-least-once). Extra key=value arguments are librdkafka
properties, except `batch` (default 100) and `pause` (seconds to sleep after each batch,
default 0: a slow consumer).

OUTFILE lines (parsed by tests):
    A <mono-time> <p,p,...>   the partitions after an assignment change ("-" for none)
    R <partition> <offset> <value>
    C <error>                 a failed commit (the test may tolerate some around kills)
SIGTERM closes the consumer (final commit, LeaveGroup) and exits 0.
"""
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def main():
    bootstrap, group, topic, outfile = sys.argv[1:5]
    extra = dict(a.split('=', 1) for a in sys.argv[5:])
    batch = int(extra.pop('batch', '100'))
    pause = float(extra.pop('pause', '0'))
    conf = {'bootstrap.servers': bootstrap, 'group.id': group,
            'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
            'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500,
            'partition.assignment.strategy': 'range', 'socket.timeout.ms': 10000}
    conf.update(extra)
    out = open(outfile, 'a', buffering=1)
    assigned = set()

    def note():
        out.write('A %.3f %s\n' % (time.monotonic(),
                                   ','.join(str(p) for p in sorted(assigned)) or '-'))

    def on_assign(c, parts):
        assigned.update(tp.partition for tp in parts)
        note()

    def on_revoke(c, parts):
        for tp in parts:
            assigned.discard(tp.partition)
        note()

    signal.signal(signal.SIGTERM, on_term)
    c = Consumer(conf)
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
    while not stop:
        msgs = c.consume(num_messages=batch, timeout=0.2)
        got = False
        for m in msgs:
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    out.write('E %s\n' % m.error())
                continue
            out.write('R %d %d %s\n' % (m.partition(), m.offset(), m.value().decode()))
            got = True
        if got:
            out.flush()
            os.fsync(out.fileno())
            try:
                c.commit(asynchronous=False)
            except KafkaException as e:
                out.write('C %s\n' % e.args[0])
            if pause:
                time.sleep(pause)
    try:
        c.commit(asynchronous=False)  # whatever was processed since the last commit
    except KafkaException:
        pass  # nothing to commit
    c.close()
    out.write('X closed\n')
    out.close()


if __name__ == '__main__':
    main()

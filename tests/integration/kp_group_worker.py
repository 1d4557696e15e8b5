#!/usr/bin/python3
"""tests/integration/kp_group_worker.py - one kafka-python 2.0.2 group member (JoinGroup
v2, SyncGroup v1, Heartbeat v1, OffsetCommit v2, OffsetFetch v1, LeaveGroup v1) for
test_groups_kafka_python.py, run as a child process.

    /usr/bin/python3 kp_group_worker.py BOOTSTRAP GROUP TOPIC OUTFILE [batch=N] [pause=S]

Polls at most `batch` records (max_poll_records), appends one line per record to OUTFILE,
then commits synchronously (commit after processing). Output lines as in grouputil.py.
SIGTERM: close (LeaveGroup) and exit 0.
"""
import signal
import sys
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.errors import KafkaError

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def main():
    bootstrap, group, topic, outfile = sys.argv[1:5]
    opts = dict(a.split('=', 1) for a in sys.argv[5:])
    out = open(outfile, 'a', buffering=1)
    assigned = set()

    def note():
        out.write('A %.3f %s\n' % (time.monotonic(),
                                   ','.join(str(p) for p in sorted(assigned)) or '-'))

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            for tp in revoked:
                assigned.discard(tp.partition)
            note()

        def on_partitions_assigned(self, parts):
            assigned.update(tp.partition for tp in parts)
            note()

    signal.signal(signal.SIGTERM, on_term)
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, client_id='kp-worker',
                      enable_auto_commit=False, auto_offset_reset='earliest',
                      session_timeout_ms=6000, heartbeat_interval_ms=500,
                      max_poll_records=int(opts.get('batch', '100')))
    c.subscribe([topic], listener=Listener())
    pause = float(opts.get('pause', '0'))
    while not stop:
        batch = c.poll(timeout_ms=200)
        n = 0
        for tp, msgs in batch.items():
            for m in msgs:
                out.write('R %d %d %s\n' % (m.partition, m.offset, m.value.decode()))
                n += 1
        if n:
            try:
                c.commit()
            except KafkaError as e:
                out.write('C %s\n' % e)
            if pause:
                time.sleep(pause)
    c.close(autocommit=False)
    out.write('X closed\n')
    out.close()


if __name__ == '__main__':
    main()

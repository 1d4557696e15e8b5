"""tests/integration/test_idempotence.py - the idempotent producer through a loopback proxy
that cuts connections at random (issue 3): the broker advertises the proxy's address
(--kafka-advertise), so every client connection goes through it; librdkafka retries the
batches whose responses were lost, and the broker must answer those retries with the
original offsets instead of storing them twice. Checks 20,000 messages land exactly once,
in order, with no gap; and that a restart keeps the duplicate detection (state rebuilt
from the log).
"""
import random
import socket
import threading
import time

import ck
import harness
import kwire

N = 20000


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ChaosProxy:
    """Forwards 127.0.0.1:port to the broker; every cut_ms (random) closes every open
    connection pair at once, mid-request or mid-response."""

    def __init__(self, port, target, cut_ms=(80, 400)):
        self.port = port
        self.target = target
        self.cut_ms = cut_ms
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(('127.0.0.1', port))
        self.lsock.listen(64)
        self.pairs = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.cuts = 0
        self.chaos = False
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._cutter, daemon=True).start()

    def _accept(self):
        self.lsock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                host, port = self.target.rsplit(':', 1)
                u = socket.create_connection((host, int(port)), timeout=5)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.pairs.append((c, u))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                dst.sendall(d)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _cutter(self):
        while not self.stop.is_set():
            time.sleep(random.uniform(*self.cut_ms) / 1000.0)
            if not self.chaos:
                continue
            with self.lock:
                pairs, self.pairs = self.pairs, []
            for c, u in pairs:
                for s in (c, u):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                        s.close()
                    except OSError:
                        pass
            if pairs:
                self.cuts += 1

    def close(self):
        self.stop.set()
        self.lsock.close()


def init_producer_id(conn):
    """InitProducerId v1 (transactional id null): returns (producer id, epoch)."""
    body = kwire.W().string(None).i32(60000).build()
    r = conn.call(22, 1, body)
    r.i32()  # throttle
    err = r.i16()
    assert err == 0, 'InitProducerId error %d' % err
    return r.i64(), r.i16()


def produce_seq(conn, pid, epoch, seq, value):
    batch = kwire.record_batch([(None, value, [])], producer_id=pid, producer_epoch=epoch,
                               base_sequence=seq)
    return kwire.produce(conn, 'idem', 0, batch, acks=-1, version=7)


def check_log(bootstrap, topic, n):
    """Consumes partition 0 directly from the broker: values 0..n-1 exactly once, in order,
    at contiguous offsets."""
    recs = ck.consume_all(bootstrap, topic, 1, expect=n, timeout=120)
    vals = [int(r['value']) for r in recs]
    offs = [r['offset'] for r in recs]
    assert len(vals) == n, 'expected %d records, got %d' % (n, len(vals))
    dups = len(vals) - len(set(vals))
    assert dups == 0, '%d duplicates in the log' % dups
    assert vals == list(range(n)), 'values out of order or missing (first bad at %d)' % next(
        i for i, v in enumerate(vals) if v != i)
    assert offs == list(range(offs[0], offs[0] + n)), 'offsets not contiguous'


def body(t):
    port = free_port()
    b = t.broker('broker', args=['--kafka-advertise', '127.0.0.1:%d' % port])
    proxy = ChaosProxy(port, b.kafka)
    via = '127.0.0.1:%d' % port
    try:
        def metadata_advertises_proxy():
            md = ck.admin(b.kafka).list_topics(timeout=10)
            addrs = ['%s:%d' % (br.host, br.port) for br in md.brokers.values()]
            assert addrs == [via], 'Metadata brokers %r, expected [%s]' % (addrs, via)
        t.case('Metadata returns the --kafka-advertise address', metadata_advertises_proxy)

        ck.create_topic(b.kafka, 'idem', 1)

        def produce_through_chaos():
            p = ck.producer(via, **{'enable.idempotence': True, 'acks': 'all',
                                    'linger.ms': 2, 'batch.num.messages': 200,
                                    'message.timeout.ms': 120000,
                                    'retry.backoff.ms': 20,
                                    'socket.connection.setup.timeout.ms': 5000})
            errors = []

            def dr(err, msg):
                if err is not None:
                    errors.append(str(err))
            proxy.chaos = True
            for i in range(N):
                while True:
                    try:
                        p.produce('idem', value=str(i).encode(), partition=0, on_delivery=dr)
                        break
                    except BufferError:
                        p.poll(0.05)
                if i % 100 == 0:
                    p.poll(0)
                    time.sleep(0.02)  # spread the stream over ~4 s: many cuts
            left = p.flush(120)
            proxy.chaos = False
            assert left == 0, '%d messages not delivered' % left
            assert not errors, 'delivery errors: %s' % errors[:3]
            harness.log('proxy cut all connections %d times' % proxy.cuts)
            assert proxy.cuts >= 5, 'the proxy cut connections only %d times' % proxy.cuts
        t.case('enable.idempotence producer through a connection-cutting proxy: '
               '%d delivered' % N, produce_through_chaos)
        t.case('log holds each of the %d messages exactly once, in order, no gap' % N,
               check_log, b.kafka, 'idem', N)

        def restart_keeps_state():
            # A hand-made retry after restart: same producer id, epoch and sequence as a
            # batch already stored must be answered with its original offset.
            b.restart()
            proxy.target = b.kafka
            hw_before = ck.watermarks(b.kafka, 'idem', 0)[1]
            with kwire.Conn(b.kafka) as c:
                pid, epoch = init_producer_id(c)
                base = produce_seq(c, pid, epoch, 0, b'x')
                assert base['error'] == 0, base
                dup = produce_seq(c, pid, epoch, 0, b'x')
                assert (dup['error'], dup['base_offset']) == (0, base['base_offset']), (
                    'retry got %r, original %r' % (dup, base))
            b.restart()
            proxy.target = b.kafka
            with kwire.Conn(b.kafka) as c:
                again = produce_seq(c, pid, epoch, 0, b'x')
                assert (again['error'], again['base_offset']) == (0, base['base_offset']), (
                    'retry after restart got %r, original %r' % (again, base))
                gap = produce_seq(c, pid, epoch, 5, b'y')
                assert gap['error'] == 45, 'a sequence gap got %r, expected error 45' % gap
                fenced = produce_seq(c, pid, epoch - 1 if epoch > 0 else -2, 1, b'z')
                assert fenced['error'] in (45, 47, 87), 'older epoch got %r' % fenced
            hw_after = ck.watermarks(b.kafka, 'idem', 0)[1]
            assert hw_after == hw_before + 1, 'log grew by %d, expected 1' % (
                hw_after - hw_before)
        t.case('duplicate detection survives a restart; a gap gets OUT_OF_ORDER_SEQUENCE',
               restart_keeps_state)
    finally:
        proxy.close()


harness.main(body)

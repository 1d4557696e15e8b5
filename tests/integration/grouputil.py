"""tests/integration/grouputil.py - helpers for the consumer-group tests: group members as
child processes (so a test can SIGKILL one: no LeaveGroup, no final commit) that log
their assignments and processed records to a file, and a decoder for the
ConsumerProtocolAssignment bytes DescribeGroups returns. Python stdlib only.

Worker output lines (written by ck_group_worker.py / kp_group_worker.py):
    A <mono-time> <p,p,...|->    partitions after an assignment change
    R <partition> <offset> <value>
    C <error> / E <error>        a failed commit / a consume error
    X closed                     clean exit
"""
import atexit
import os
import signal
import struct
import subprocess
import sys
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
PY = '/usr/bin/python3'
_workers = []


@atexit.register
def _kill_all():
    for w in _workers:
        w.kill9(quiet=True)


class Worker:
    """One group member process. cmd: the argv before the common arguments."""

    def __init__(self, name, cmd, bootstrap, group, topic, extra=(), tmp=None):
        self.name = name
        self.tmp = tmp or harness.mkdtemp('worker')
        self.path = os.path.join(self.tmp, 'worker-%s.log' % name)
        self.err_path = os.path.join(self.tmp, 'worker-%s.stderr' % name)
        open(self.path, 'w').close()
        argv = list(cmd) + [bootstrap, group, topic, self.path] + list(extra)
        harness.log('group: starting worker %s: %s' % (name, ' '.join(argv)))
        self.err = open(self.err_path, 'wb')
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.err,
                                     stderr=self.err)
        _workers.append(self)

    def lines(self):
        with open(self.path, 'r', errors='replace') as f:
            return f.read().splitlines()

    def assignments(self):
        """[(mono time, frozenset of partitions)] in order."""
        out = []
        for ln in self.lines():
            if ln.startswith('A '):
                _, ts, parts = ln.split(' ', 2)
                out.append((float(ts), frozenset() if parts == '-' else
                            frozenset(int(p) for p in parts.split(','))))
        return out

    def assignment(self):
        a = self.assignments()
        return a[-1][1] if a else None

    def records(self):
        """[(partition, offset, value)] in processing order."""
        out = []
        for ln in self.lines():
            if ln.startswith('R '):
                parts = ln.split(' ', 3)
                if len(parts) == 4:
                    out.append((int(parts[1]), int(parts[2]), parts[3]))
        return out

    def commit_errors(self):
        return [ln for ln in self.lines() if ln.startswith('C ')]

    @property
    def running(self):
        return self.proc.poll() is None

    def kill9(self, quiet=False):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            if not quiet:
                harness.log('group: worker %s killed with SIGKILL' % self.name)

    def stop(self, timeout=30):
        """SIGTERM: the worker closes its consumer (final commit, LeaveGroup)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise AssertionError('worker %s did not exit within %d s of SIGTERM' % (
                    self.name, timeout))
        if self.proc.returncode != 0:
            raise AssertionError('worker %s exited %s; stderr: %s' % (
                self.name, self.proc.returncode, self.stderr_tail()))

    def stderr_tail(self, n=2000):
        try:
            with open(self.err_path, 'r', errors='replace') as f:
                return f.read()[-n:]
        except OSError:
            return ''


def ck_worker(name, bootstrap, group, topic, **props):
    extra = ['%s=%s' % (k.replace('_', '.'), v) for k, v in props.items()]
    return Worker(name, [PY, '-u', os.path.join(HERE, 'ck_group_worker.py')], bootstrap,
                  group, topic, extra)


def kp_worker(name, bootstrap, group, topic, **opts):
    extra = ['%s=%s' % (k, v) for k, v in opts.items()]
    return Worker(name, [PY, '-u', os.path.join(HERE, 'kp_group_worker.py')], bootstrap,
                  group, topic, extra)


def wait_shares(workers, partitions, sizes=None, timeout=60):
    """Waits until the workers' current assignments are disjoint and cover
    range(partitions) (and, if sizes is given, have these sizes in some order)."""
    def ok():
        asg = [w.assignment() for w in workers]
        if any(a is None for a in asg):
            return False
        union = set()
        for a in asg:
            if union & a:
                return False
            union |= a
        if union != set(range(partitions)):
            return False
        if sizes is not None and sorted(len(a) for a in asg) != sorted(sizes):
            return False
        return asg
    return harness.wait_until(ok, timeout, 'assignments of %s to cover %d partitions%s' % (
        [w.name for w in workers], partitions, ' as %s' % (sizes,) if sizes else ''),
        interval=0.05)


def decode_assignment(data):
    """ConsumerProtocolAssignment (v0+: version, [topic, [partition]], user_data) ->
    {topic: sorted partitions}."""
    if not data:
        return {}
    pos = 0

    def i16():
        nonlocal pos
        v = struct.unpack_from('>h', data, pos)[0]
        pos += 2
        return v

    def i32():
        nonlocal pos
        v = struct.unpack_from('>i', data, pos)[0]
        pos += 4
        return v

    i16()  # version
    out = {}
    for _ in range(i32()):
        n = i16()
        topic = data[pos:pos + n].decode()
        pos += n
        out[topic] = sorted(i32() for _ in range(i32()))
    return out


def log_records(workers):
    n = sum(len(w.records()) for w in workers)
    harness.log('group: %d records processed by %s' % (n, [w.name for w in workers]))

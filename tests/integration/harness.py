"""tests/integration/harness.py - start, stop, kill and restart build/runnel for
integration tests, and report sub-results to tests/run.sh. Python stdlib only.

    import harness
    def body(t):
        b = t.broker()                      # started; b.kafka is "127.0.0.1:PORT"
        t.case('produce works', lambda: ...)
    harness.main(body)

Broker: `$BUILD/runnel serve --data-dir TMP/data --kafka-listen 127.0.0.1:0
--http-listen 127.0.0.1:0` (BUILD defaults to "build"), waits up to 10 s for the line
`runnel ready kafka=H:P http=H:P` (printing stderr on timeout), keeps each run's stderr in
TMP/stderr-N.log, supports restart on the same data dir, kill -9, and stop (SIGTERM,
exit 0 within 10 s). Every run's stderr is checked for sanitizer reports.

Result protocol (read by tests/run.sh), one line per sub-result on stdout:
    ok NAME
    ok NAME # skip REASON
    not ok NAME # REASON
NAME never contains " # " (the reporter rewrites it). The script exits 1 if any
sub-result failed. Diagnostics go to stderr.

Safety: the broker runs under `setpriv --pdeathsig KILL` when available, so it dies with
the test process even on SIGKILL; atexit and a SIGTERM handler kill it by PID too.
Temp dirs are removed at exit unless RUNNEL_TEST_KEEP=1.
"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('BUILD', 'build')
BUILD_DIR = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
RUNNEL = os.path.join(BUILD_DIR, 'runnel')
SANITIZER_MARKERS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:')
READY_RE = re.compile(r'^runnel ready kafka=(\S+) http=(\S+)\s*$')
KEEP = os.environ.get('RUNNEL_TEST_KEEP') == '1'
SETPRIV = shutil.which('setpriv')

_brokers = []
_tmpdirs = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def _cleanup():
    for b in _brokers:
        b._kill_quietly()
    for d in _tmpdirs:
        if KEEP:
            log('harness: keeping %s' % d)
        else:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _on_term(signum, frame):
    # `timeout` sends SIGTERM: turn it into SystemExit so atexit kills the broker.
    log('harness: got signal %d, exiting' % signum)
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)


def mkdtemp(name):
    d = tempfile.mkdtemp(prefix='runnel-%s-' % name)
    _tmpdirs.append(d)
    return d


class BrokerError(Exception):
    pass


def _tail(path, n=60):
    try:
        with open(path, 'r', errors='replace') as f:
            lines = f.readlines()
    except OSError:
        return ''
    return ''.join(lines[-n:])


def sanitizer_report(text):
    """The part of text from the first sanitizer marker on, or None."""
    idx = [text.find(m) for m in SANITIZER_MARKERS if m in text]
    if not idx:
        return None
    start = text.rfind('\n', 0, min(idx)) + 1
    return text[start:start + 6000]


class Broker:
    """One runnel broker on loopback. config: dict written to a `key=value` file and
    passed with --config; env: extra environment; args: extra serve flags."""

    def __init__(self, name='broker', config=None, env=None, args=(), start=True,
                 keep_ports=False):
        self.name = name
        self.tmp = mkdtemp(name)
        self.data_dir = os.path.join(self.tmp, 'data')
        os.makedirs(self.data_dir)
        self.config = dict(config or {})
        self.env = dict(env or {})
        self.args = list(args)
        self.keep_ports = keep_ports
        self.proc = None
        self.pid = None
        self.kafka = self.http = None
        self.runs = 0
        self.stderr_files = []
        self.checked = set()
        self.last_rc = None
        _brokers.append(self)
        if start:
            self.start()

    # --- addresses
    @property
    def kafka_host(self):
        return self.kafka.rsplit(':', 1)[0]

    @property
    def kafka_port(self):
        return int(self.kafka.rsplit(':', 1)[1])

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def stderr_path(self):
        return self.stderr_files[-1] if self.stderr_files else None

    def start(self, config=None, env=None, args=None, timeout=10.0):
        """Starts the broker (on the same data dir as before). config/env/args replace
        the constructor's for this and later runs when given."""
        if self.running:
            raise BrokerError('%s is already running' % self.name)
        if not os.access(RUNNEL, os.X_OK):
            raise BrokerError('%s does not exist or is not executable (run make)' % RUNNEL)
        if config is not None:
            self.config = dict(config)
        if env is not None:
            self.env = dict(env)
        if args is not None:
            self.args = list(args)
        self.runs += 1
        n = self.runs
        kl = hl = '127.0.0.1:0'
        if self.keep_ports and self.kafka:
            kl, hl = self.kafka, self.http
        cmd = [RUNNEL, 'serve', '--data-dir', self.data_dir, '--kafka-listen', kl,
               '--http-listen', hl]
        if self.config:
            cpath = os.path.join(self.tmp, 'broker-%d.conf' % n)
            with open(cpath, 'w') as f:
                f.write('# written by tests/integration/harness.py\n')
                for k, v in self.config.items():
                    f.write('%s=%s\n' % (k, v))
            cmd += ['--config', cpath]
        cmd += self.args
        if SETPRIV:
            cmd = [SETPRIV, '--pdeathsig', 'KILL', '--'] + cmd
        out_path = os.path.join(self.tmp, 'stdout-%d.log' % n)
        err_path = os.path.join(self.tmp, 'stderr-%d.log' % n)
        self.stderr_files.append(err_path)
        env = dict(os.environ)
        env.update(self.env)
        log('harness: starting %s (run %d): %s%s' % (
            self.name, n, ' '.join(cmd),
            ''.join(' %s=%s' % kv for kv in self.env.items())))
        with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=env, cwd=self.tmp)
        self.pid = self.proc.pid
        self.last_rc = None
        deadline = time.monotonic() + timeout
        while True:
            with open(out_path, 'r', errors='replace') as f:
                text = f.read()
            for line in text.splitlines():
                m = READY_RE.match(line)
                if m:
                    self.kafka, self.http = m.group(1), m.group(2)
                    log('harness: %s ready: kafka=%s http=%s (pid %d)' % (
                        self.name, self.kafka, self.http, self.pid))
                    return self
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                raise BrokerError('%s exited with %s before the ready line; stdout:\n%s\n'
                                  'stderr:\n%s' % (self.name, rc, text, _tail(err_path)))
            if time.monotonic() > deadline:
                self._kill_quietly()
                raise BrokerError('%s printed no ready line within %.0f s; stdout:\n%s\n'
                                  'stderr:\n%s' % (self.name, timeout, text, _tail(err_path)))
            time.sleep(0.02)

    def stop(self, timeout=10.0, expect_rc=0):
        """SIGTERM; expects exit expect_rc (None: any) within timeout, then checks every
        run's stderr for sanitizer reports. Raises BrokerError on any problem."""
        if not self.running:
            if self.proc is not None:
                self.last_rc = self.proc.returncode
                self.proc = None
                self.check_sanitizers()
                raise BrokerError('%s had already exited with %s; stderr tail:\n%s' % (
                    self.name, self.last_rc, _tail(self.stderr_path, 30)))
            self.check_sanitizers()
            return None
        self.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill_quietly()
            self.check_sanitizers()
            raise BrokerError('%s did not exit within %.0f s of SIGTERM; stderr tail:\n%s' % (
                self.name, timeout, _tail(self.stderr_path, 30)))
        self.proc = None
        self.last_rc = rc
        log('harness: %s stopped: exit %s after %.2f s' % (self.name, rc,
                                                           time.monotonic() - t0))
        self.check_sanitizers()
        if expect_rc is not None and rc != expect_rc:
            raise BrokerError('%s exited with %s after SIGTERM (expected %s); stderr tail:\n%s'
                              % (self.name, rc, expect_rc, _tail(self.stderr_path, 30)))
        return rc

    def kill9(self):
        """kill -9 by PID and reap."""
        if not self.running:
            raise BrokerError('%s is not running (exit %s); stderr tail:\n%s' % (
                self.name, self.proc and self.proc.returncode, _tail(self.stderr_path, 30)))
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None
        log('harness: %s killed with SIGKILL' % self.name)

    def restart(self, **kw):
        if self.running:
            self.stop()
        return self.start(**kw)

    def _kill_quietly(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.proc = None

    def stderr_text(self, run=None):
        """stderr of one run (1-based; default the latest), or of all runs if run == 0."""
        files = self.stderr_files if run == 0 else \
            [self.stderr_files[(run or len(self.stderr_files)) - 1]]
        out = []
        for p in files:
            try:
                with open(p, 'r', errors='replace') as f:
                    out.append(f.read())
            except OSError:
                pass
        return ''.join(out)

    def check_sanitizers(self):
        """Raises BrokerError with the report if any run's stderr has a sanitizer report."""
        for p in self.stderr_files:
            try:
                with open(p, 'r', errors='replace') as f:
                    rep = sanitizer_report(f.read())
            except OSError:
                continue
            if rep:
                raise BrokerError('sanitizer report in %s: %s\n%s' % (
                    os.path.basename(p), rep.strip().splitlines()[0], rep))

    def wait_stderr(self, pattern, timeout=5.0, run=None):
        """Waits until stderr (latest run) matches the regex; returns the match or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.stderr_text(run))
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)

    def finish(self):
        """End of test: stop if running (exit 0 expected), always check sanitizers."""
        if self.running:
            self.stop()
        else:
            self.proc = None
            self.check_sanitizers()


# ----------------------------------------------------------------------------- reporting

class Reporter:
    def __init__(self, script):
        self.script = script
        self.failed = 0
        self.names = set()

    def _name(self, name):
        name = ' '.join(str(name).split()).replace(' # ', ' - ')
        base, i = name, 2
        while name in self.names:
            name = '%s#%d' % (base, i)
            i += 1
        self.names.add(name)
        return name

    def ok(self, name):
        print('ok %s' % self._name(name), flush=True)

    def skip(self, name, reason):
        print('ok %s # skip %s' % (self._name(name), ' '.join(str(reason).split())),
              flush=True)

    def not_ok(self, name, reason):
        self.failed += 1
        reason = ' '.join(str(reason).split())
        if len(reason) > 400:
            reason = reason[:400] + '...'
        print('not ok %s # %s' % (self._name(name), reason), flush=True)

    def case(self, name, fn, *a, **kw):
        """Runs fn; ok if it returns, not ok with the exception otherwise. Returns fn's
        result (True if that is None), or None if it failed."""
        log('--- %s' % name)
        t0 = time.monotonic()
        try:
            res = fn(*a, **kw)
        except (KeyboardInterrupt, SystemExit):
            self.not_ok(name, 'interrupted')
            raise
        except BaseException as e:  # noqa: B902 - report everything
            log(traceback.format_exc())
            first = str(e).strip().splitlines()[0] if str(e).strip() else ''
            self.not_ok(name, '%s: %s' % (type(e).__name__, first))
            return None
        log('--- %s: ok (%.2f s)' % (name, time.monotonic() - t0))
        self.ok(name)
        return True if res is None else res


class Test:
    """Per-script context: the reporter plus the brokers it started."""

    def __init__(self, script):
        self.r = Reporter(script)
        self.brokers = []

    def broker(self, name='broker', **kw):
        b = Broker(name=name, **kw)
        self.brokers.append(b)
        return b

    def case(self, name, fn, *a, **kw):
        return self.r.case(name, fn, *a, **kw)

    def ok(self, name):
        self.r.ok(name)

    def skip(self, name, reason):
        self.r.skip(name, reason)

    def not_ok(self, name, reason):
        self.r.not_ok(name, reason)


def main(body):
    """Runs body(t), then stops every broker the test started, reporting a sub-result
    'NAME shutdown' (SIGTERM, exit 0, no sanitizer report) for each; exits 1 if any
    sub-result failed."""
    script = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    t = Test(script)
    try:
        body(t)
    except SystemExit:
        raise
    except BaseException as e:
        log(traceback.format_exc())
        first = str(e).strip().splitlines()[0] if str(e).strip() else ''
        t.not_ok('%s (aborted)' % script, '%s: %s' % (type(e).__name__, first))
    finally:
        for b in t.brokers:
            t.case('%s clean shutdown and no sanitizer reports' % b.name, b.finish)
    sys.exit(1 if t.r.failed else 0)


# ----------------------------------------------------------------------------- helpers

def wait_until(pred, timeout, what, interval=0.1):
    """Polls pred() until it returns a truthy value; raises AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
        except Exception as e:  # keep polling; report the last error
            last = e
            if time.monotonic() > deadline:
                raise AssertionError('timed out after %.0f s waiting for %s (last: %r)' % (
                    timeout, what, e))
            time.sleep(interval)
            continue
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


def runnel(args, input=None, timeout=60, check=False, env=None):
    """Runs `$BUILD/runnel ARGS`; returns CompletedProcess (text mode)."""
    e = dict(os.environ)
    e.update(env or {})
    log('harness: $ runnel %s' % ' '.join(args))
    cp = subprocess.run([RUNNEL] + list(args), input=input, capture_output=True, text=True,
                        timeout=timeout, env=e)
    if cp.returncode != 0:
        log('harness: exit %d\nstdout: %s\nstderr: %s' % (cp.returncode, cp.stdout[-2000:],
                                                          cp.stderr[-2000:]))
    if check and cp.returncode != 0:
        raise AssertionError('runnel %s exited %d: %s' % (
            ' '.join(args), cp.returncode, (cp.stderr or cp.stdout).strip()[-300:]))
    return cp

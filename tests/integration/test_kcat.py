#!/usr/bin/python3
"""test_kcat.py - kcat 1.7 (librdkafka 2.0.2) round trip (issue 2, "Done when" 1).

For each compression codec: create a 3-partition topic (`runnel topics create`, or the
confluent_kafka AdminClient if the CLI fails), produce 10,000 keyed messages with headers
(`kcat -P -K: -H ... -X acks=all -X compression.codec=C`) in two runs with a pause between
them, consume everything (`kcat -C -e -o beginning -f ...`) and check keys, values,
headers, timestamps (set by librdkafka at produce time: inside the produce window) and
per-key order; check the stored batches use the codec; `kcat -Q -t T:P:ts` (ListOffsets
by timestamp) finds the first offset of the second run and of sampled messages.
"""
import re
import subprocess
import time

import harness
import ck
import kwire
import scenario as sc

KCAT = 'kcat'
FMT = r'%p\t%o\t%T\t%k\t%h\t%s\n'


def create_topic(b, topic, how):
    cp = harness.runnel(['topics', 'create', topic, '--partitions', str(sc.PARTITIONS),
                         '--brokers', b.kafka])
    if cp.returncode == 0:
        how.append('runnel topics create')
        ck.wait_topic(b.kafka, topic, sc.PARTITIONS)
        return
    harness.log('runnel topics create failed (exit %d): using confluent_kafka AdminClient'
                % cp.returncode)
    how.append('AdminClient (runnel topics create exited %d)' % cp.returncode)
    ck.create_topic(b.kafka, topic, sc.PARTITIONS)


def kcat_produce(b, topic, codec, msgs):
    data = b''.join(m['key'] + b':' + m['value'] + b'\n' for m in msgs)
    cmd = [KCAT, '-b', b.kafka, '-P', '-t', topic, '-K:', '-H', 'kind=runnel-test',
           '-H', 'codec=%s' % codec, '-X', 'acks=all', '-X', 'compression.codec=%s' % codec,
           '-X', 'linger.ms=5', '-X', 'message.timeout.ms=60000']
    harness.log('$ ' + ' '.join(cmd))
    cp = subprocess.run(cmd, input=data, capture_output=True, timeout=180)
    err = cp.stderr.decode(errors='replace')
    if cp.returncode != 0 or 'delivery failed' in err.lower():
        raise AssertionError('kcat -P exited %d: %s' % (cp.returncode, err.strip()[-500:]))


def kcat_consume(b, topic):
    cmd = [KCAT, '-b', b.kafka, '-C', '-t', topic, '-o', 'beginning', '-e', '-q',
           '-X', 'check.crcs=true', '-f', FMT]
    harness.log('$ ' + ' '.join(cmd))
    cp = subprocess.run(cmd, capture_output=True, timeout=180)
    if cp.returncode != 0:
        raise AssertionError('kcat -C exited %d: %s' % (
            cp.returncode, cp.stderr.decode(errors='replace').strip()[-500:]))
    recs = []
    for line in cp.stdout.split(b'\n'):
        if not line:
            continue
        f = line.split(b'\t', 5)
        if len(f) != 6:
            raise AssertionError('unparsable kcat output line %r' % line[:100])
        headers = []
        if f[4]:
            for kv in f[4].split(b','):
                k, _, v = kv.partition(b'=')
                headers.append((k.decode(), v))
        recs.append({'partition': int(f[0]), 'offset': int(f[1]), 'ts': int(f[2]),
                     'key': f[3], 'headers': headers, 'value': f[5]})
    return recs


def kcat_query(b, topic, probes):
    """kcat -Q -t T:P:ts for each probe (one query per run: a partition may appear more
    than once among the probes). Returns offsets in probe order."""
    out = []
    for p, ts in probes:
        cmd = [KCAT, '-b', b.kafka, '-Q', '-t', '%s:%d:%d' % (topic, p, ts)]
        cp = subprocess.run(cmd, capture_output=True, timeout=60)
        text = cp.stdout.decode(errors='replace')
        m = re.search(r'\[(\d+)\]\s+offset\s+(-?\d+)', text)
        if cp.returncode != 0 or not m:
            raise AssertionError('%s -> exit %d: %s %s' % (
                ' '.join(cmd[3:]), cp.returncode, text.strip(),
                cp.stderr.decode(errors='replace').strip()[-300:]))
        out.append(int(m.group(2)))
    return out


def roundtrip(b, codec, state):
    topic = 'kcat-%s' % codec
    how = []
    create_topic(b, topic, how)
    harness.log('topic %s created with %s' % (topic, how[0]))
    msgs = sc.make_messages(codec, headers=False)
    half = len(msgs) // 2
    t0 = int(time.time() * 1000) - 1
    kcat_produce(b, topic, codec, msgs[:half])
    time.sleep(0.6)
    t_mid = int(time.time() * 1000)
    time.sleep(0.6)
    kcat_produce(b, topic, codec, msgs[half:])
    t1 = int(time.time() * 1000) + 1
    recs = kcat_consume(b, topic)
    want_headers = [('kind', b'runnel-test'), ('codec', codec.encode())]

    def hcmp(_sent, got):
        return None if got == want_headers else 'headers %r, expected %r' % (got, want_headers)
    sc.assert_verified(recs, msgs, ts_window=(t0, t1), header_cmp=hcmp)
    # the two produce runs are separated in time
    for r in recs:
        i = sc.index_of(r['value'])
        if (i < half) != (r['ts'] < t_mid):
            raise AssertionError('message %d has timestamp %d on the wrong side of the '
                                 'pause at %d' % (i, r['ts'], t_mid))
    state['t_mid'] = t_mid
    state['first_run_counts'] = {p: sum(1 for r in recs if r['partition'] == p and
                                        sc.index_of(r['value']) < half)
                                 for p in range(sc.PARTITIONS)}
    return recs


def stored_codec(b, codec):
    got = kwire.stored_codecs(b.data_dir, 'kcat-%s' % codec, sc.PARTITIONS)
    if not got or set(got) != {codec}:
        raise AssertionError('stored batches by codec: %r, expected only %s' % (got, codec))


def list_offsets_by_time(b, codec, recs, state):
    topic = 'kcat-%s' % codec
    probes = [(p, state['t_mid'], state['first_run_counts'][p]) for p in range(sc.PARTITIONS)]
    probes += sc.time_probes(recs)
    got = kcat_query(b, topic, [(p, ts) for p, ts, _ in probes])
    bad = ['p%d ts=%d: offset %d, expected %d' % (p, ts, g, e)
           for (p, ts, e), g in zip(probes, got) if g != e]
    if bad:
        raise AssertionError('; '.join(bad[:6]))


def body(t):
    b = t.broker('broker')
    for codec in sc.CODECS:
        state = {}
        recs = t.case('%s: 3 partitions, %d keyed msgs with headers, acks=all, consumed '
                      'back intact in per-key order' % (codec, sc.N), roundtrip, b, codec,
                      state)
        if recs is None:
            continue
        t.case('%s: batches stored with codec %s' % (codec, codec), stored_codec, b, codec)
        t.case('%s: kcat -Q (ListOffsets by timestamp) finds the right offset' % codec,
               list_offsets_by_time, b, codec, recs, state)


if __name__ == '__main__':
    harness.main(body)

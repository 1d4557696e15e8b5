"""tests/integration/scenario.py - the issue-2 client round trip, shared by the client
tests: N keyed messages with headers and timestamps over a 3-partition topic, produced
with acks=all and consumed back, then checked (keys, values, headers, timestamps, per-key
order, contiguous offsets) and probed with ListOffsets by timestamp.

Python stdlib only. A message is a dict: i, key, value, headers [(str, bytes)], ts (ms).
A consumed record is a dict: partition, offset, key, value, headers, ts.
"""
import time

N = 10000
NKEYS = 50
PARTITIONS = 3
CODECS = ('none', 'gzip', 'snappy', 'lz4', 'zstd')
# > 1 KB and very compressible, so librdkafka really compresses (it sends a batch
# uncompressed when compressing does not make it smaller).
PAD = (b'0123456789abcdef' * 70)[:1100]


def key_of(i):
    return b'key-%02d' % (i % NKEYS)


def value_of(i, tag):
    return b'%s|%d|%s|' % (key_of(i), i, tag.encode()) + PAD


def make_messages(tag, n=N, ts_base=None, ts_step=5, headers=True):
    """Messages 0..n-1. ts_base None: no explicit timestamps (ts=None, the client sets
    CreateTime); else ts = ts_base + i*ts_step (strictly increasing, so ListOffsets by
    timestamp has one right answer per message)."""
    out = []
    for i in range(n):
        h = [('seq', b'%d' % i), ('kind', b'runnel-test'), ('codec', tag.encode())] \
            if headers else []
        out.append({'i': i, 'key': key_of(i), 'value': value_of(i, tag), 'headers': h,
                    'ts': None if ts_base is None else ts_base + i * ts_step})
    return out


def past_ts_base(n=N, ts_step=5):
    """A timestamp base so that all n messages lie in the last ~10 minutes (well inside
    the default retention) and none in the future."""
    return int(time.time() * 1000) - 600_000 - n * ts_step


def index_of(value):
    """Message number i from a value made by value_of, or None."""
    try:
        return int(value.split(b'|', 2)[1])
    except (IndexError, ValueError, AttributeError):
        return None


def verify(records, sent, ts_window=None, check_headers=True, header_cmp=None,
           max_problems=10):
    """Checks consumed records against the sent messages. Returns a list of problems
    (empty: all good). ts_window (lo, hi) checks client-assigned timestamps when the
    messages had none; header_cmp(sent_headers, got_headers) may override the header
    comparison."""
    problems = []

    def bad(msg):
        if len(problems) < max_problems:
            problems.append(msg)
        elif len(problems) == max_problems:
            problems.append('...')

    seen = {}
    by_part = {}
    for r in records:
        by_part.setdefault(r['partition'], []).append(r)
        i = index_of(r['value'])
        if i is None or i < 0 or i >= len(sent):
            bad('p%d@%d: unparsable value %r' % (r['partition'], r['offset'],
                                                 (r['value'] or b'')[:40]))
            continue
        if i in seen:
            bad('message %d consumed twice (p%d@%d and p%d@%d)' % (
                i, seen[i]['partition'], seen[i]['offset'], r['partition'], r['offset']))
            continue
        seen[i] = r
        m = sent[i]
        if r['key'] != m['key']:
            bad('message %d: key %r, expected %r' % (i, r['key'], m['key']))
        if r['value'] != m['value']:
            bad('message %d: value differs (%d bytes, expected %d)' % (
                i, len(r['value'] or b''), len(m['value'])))
        if check_headers:
            if header_cmp:
                hp = header_cmp(m['headers'], r['headers'])
                if hp:
                    bad('message %d: %s' % (i, hp))
            elif list(r['headers']) != list(m['headers']):
                bad('message %d: headers %r, expected %r' % (i, r['headers'], m['headers']))
        if m['ts'] is not None:
            if r['ts'] != m['ts']:
                bad('message %d: timestamp %r, expected %r' % (i, r['ts'], m['ts']))
        elif ts_window and not (ts_window[0] <= r['ts'] <= ts_window[1]):
            bad('message %d: timestamp %r outside the produce window %r' % (
                i, r['ts'], ts_window))
    missing = [i for i in range(len(sent)) if i not in seen]
    if missing:
        bad('%d of %d messages missing (first: %s)' % (len(missing), len(sent), missing[:10]))
    # offsets: each partition 0..n-1 exactly once (fresh topic, nothing deleted)
    for p, rs in sorted(by_part.items()):
        offs = sorted(r['offset'] for r in rs)
        if offs != list(range(len(offs))):
            bad('partition %d: offsets are not 0..%d (first: %s)' % (p, len(offs) - 1,
                                                                  offs[:10]))
    # per-key order: within its partition, a key's messages appear in send order
    key_part = {}
    last_i = {}
    for p, rs in sorted(by_part.items()):
        for r in sorted(rs, key=lambda r: r['offset']):
            i = index_of(r['value'])
            if i is None:
                continue
            k = r['key']
            if key_part.setdefault(k, p) != p:
                bad('key %r in partitions %d and %d' % (k, key_part[k], p))
            if k in last_i and last_i[k] > i:
                bad('key %r: message %d after %d (order broken) in partition %d' % (
                    k, i, last_i[k], p))
            last_i[k] = i
    if len(by_part) < 2 and len(records) > 100:
        bad('all records landed in %d partition(s): keys were not spread' % len(by_part))
    return problems


def assert_verified(records, sent, **kw):
    problems = verify(records, sent, **kw)
    if problems:
        raise AssertionError('; '.join(problems))


def expected_offset_for_time(records, partition, ts):
    """Kafka's answer to ListOffsets(ts): the first offset in the partition whose
    timestamp is >= ts, or -1 if none."""
    best = None
    for r in records:
        if r['partition'] == partition and r['ts'] >= ts:
            if best is None or r['offset'] < best:
                best = r['offset']
    return -1 if best is None else best


def time_probes(records):
    """(partition, timestamp, expected offset) probes: per partition, the first record,
    one in the middle, the last, one between two timestamps (ts+1 of a middle record),
    one before everything (first offset) and one after everything (-1)."""
    probes = []
    parts = sorted({r['partition'] for r in records})
    for p in parts:
        rs = sorted((r for r in records if r['partition'] == p), key=lambda r: r['offset'])
        if not rs:
            continue
        picks = [rs[0], rs[len(rs) // 3], rs[len(rs) // 2], rs[-1]]
        for r in picks:
            probes.append((p, r['ts'], expected_offset_for_time(records, p, r['ts'])))
        mid = rs[len(rs) // 2]
        probes.append((p, mid['ts'] + 1, expected_offset_for_time(records, p, mid['ts'] + 1)))
        probes.append((p, 1, rs[0]['offset']))
        probes.append((p, max(r['ts'] for r in rs) + 60_000, -1))
    return probes

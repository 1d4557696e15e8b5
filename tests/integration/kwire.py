"""tests/integration/kwire.py - hand-written Kafka wire encoders and decoders for tests.

Python stdlib only. Enough of the protocol to send requests no real client would send
(bad CRCs, oversized frames, unknown API keys) and to check answers byte by byte:
ApiVersions v0-v3, Metadata v1/v4, Produce v7 with a hand-built RecordBatch v2 (CRC-32C
computed here), Fetch v4, ListOffsets v1, CreateTopics v2, DeleteRecords v1,
DescribeConfigs v1 and IncrementalAlterConfigs v0. Layouts follow
../shared/spec/kafka-messages/*.json and kafka-protocol.md (sections 1 and 5).

Also reads segment files straight from a broker's data dir (read_batches), so tests can
see what was stored: batch boundaries, codecs, record counts.
"""
import os
import socket
import struct
import time

# ----------------------------------------------------------------------------- CRC-32C

def _crc32c_table():
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of data, table-driven, as RecordBatch v2 uses it."""
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b'123456789') == 0xE3069283  # the standard check value

# ----------------------------------------------------------------------------- errors

ERRORS = {
    -1: 'UNKNOWN_SERVER_ERROR', 0: 'NONE', 1: 'OFFSET_OUT_OF_RANGE', 2: 'CORRUPT_MESSAGE',
    3: 'UNKNOWN_TOPIC_OR_PARTITION', 5: 'LEADER_NOT_AVAILABLE', 10: 'MESSAGE_TOO_LARGE',
    17: 'INVALID_TOPIC_EXCEPTION', 21: 'INVALID_REQUIRED_ACKS', 35: 'UNSUPPORTED_VERSION',
    36: 'TOPIC_ALREADY_EXISTS', 37: 'INVALID_PARTITIONS', 38: 'INVALID_REPLICATION_FACTOR',
    40: 'INVALID_CONFIG', 42: 'INVALID_REQUEST', 56: 'KAFKA_STORAGE_ERROR',
    76: 'UNSUPPORTED_COMPRESSION_TYPE', 87: 'INVALID_RECORD',
}


def errname(code):
    return '%s(%d)' % (ERRORS.get(code, '?'), code)


# ----------------------------------------------------------------------------- encoding

class W:
    """Big-endian writer for protocol fields."""

    def __init__(self):
        self.parts = []

    def raw(self, b):
        self.parts.append(bytes(b))
        return self

    def i8(self, v):
        return self.raw(struct.pack('>b', v))

    def i16(self, v):
        return self.raw(struct.pack('>h', v))

    def i32(self, v):
        return self.raw(struct.pack('>i', v))

    def u32(self, v):
        return self.raw(struct.pack('>I', v))

    def i64(self, v):
        return self.raw(struct.pack('>q', v))

    def boolean(self, v):
        return self.raw(b'\x01' if v else b'\x00')

    def string(self, s):
        if s is None:
            return self.i16(-1)
        b = s.encode() if isinstance(s, str) else s
        return self.i16(len(b)).raw(b)

    def bytes_(self, b):
        if b is None:
            return self.i32(-1)
        return self.i32(len(b)).raw(b)

    def array(self, items, fn):
        if items is None:
            return self.i32(-1)
        self.i32(len(items))
        for it in items:
            fn(self, it)
        return self

    def uvarint(self, v):
        return self.raw(uvarint(v))

    def compact_string(self, s):
        if s is None:
            return self.uvarint(0)
        b = s.encode() if isinstance(s, str) else s
        return self.uvarint(len(b) + 1).raw(b)

    def tags(self):
        return self.uvarint(0)

    def build(self):
        return b''.join(self.parts)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(v):
    """Zigzag varint/varlong (record fields, kafka-protocol.md section 1)."""
    return uvarint((v << 1) ^ (v >> 63))


class R:
    """Big-endian reader; raises ValueError on a short buffer."""

    def __init__(self, data, pos=0):
        self.d = bytes(data)
        self.p = pos

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise ValueError('short read: need %d at %d of %d' % (n, self.p, len(self.d)))
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self):
        return struct.unpack('>b', self.take(1))[0]

    def i16(self):
        return struct.unpack('>h', self.take(2))[0]

    def i32(self):
        return struct.unpack('>i', self.take(4))[0]

    def u32(self):
        return struct.unpack('>I', self.take(4))[0]

    def i64(self):
        return struct.unpack('>q', self.take(8))[0]

    def boolean(self):
        return self.take(1) != b'\x00'

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def bytes_(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, fn):
        n = self.i32()
        if n < 0:
            return None
        return [fn(self) for _ in range(n)]

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            if shift > 63:
                raise ValueError('varint too long')

    def varint(self):
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)

    def compact_string(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def compact_array(self, fn):
        n = self.uvarint()
        if n == 0:
            return None
        return [fn(self) for _ in range(n - 1)]

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def remaining(self):
        return len(self.d) - self.p


# ----------------------------------------------------------------------------- RecordBatch v2

CODECS = {'none': 0, 'gzip': 1, 'snappy': 2, 'lz4': 3, 'zstd': 4}
CODEC_NAMES = {v: k for k, v in CODECS.items()}


def encode_record(offset_delta, ts_delta, key, value, headers=()):
    body = bytearray()
    body += b'\x00'  # attributes
    body += varint(ts_delta)
    body += varint(offset_delta)
    for b in (key, value):
        if b is None:
            body += varint(-1)
        else:
            body += varint(len(b)) + b
    body += varint(len(headers))
    for hk, hv in headers:
        hkb = hk.encode()
        body += varint(len(hkb)) + hkb
        body += varint(-1) if hv is None else varint(len(hv)) + hv
    return varint(len(body)) + bytes(body)


def record_batch(records, base_ts=None, attributes=0, producer_id=-1, producer_epoch=-1,
                 base_sequence=-1, base_offset=0, corrupt_crc=False, count=None,
                 last_offset_delta=None, magic=2):
    """Builds an uncompressed RecordBatch v2. records: list of (key, value, headers) or
    (key, value, headers, ts). corrupt_crc flips the stored CRC; count and
    last_offset_delta override the header fields (to build inconsistent batches)."""
    now = int(time.time() * 1000)
    if base_ts is None:
        base_ts = now
    recs = bytearray()
    max_ts = base_ts
    for i, r in enumerate(records):
        key, value, headers = r[0], r[1], r[2]
        ts = r[3] if len(r) > 3 else base_ts
        max_ts = max(max_ts, ts)
        recs += encode_record(i, ts - base_ts, key, value, headers)
    n = len(records)
    after_crc = (W().i16(attributes)
                 .i32(n - 1 if last_offset_delta is None else last_offset_delta)
                 .i64(base_ts).i64(max_ts).i64(producer_id).i16(producer_epoch)
                 .i32(base_sequence).i32(n if count is None else count).build() + bytes(recs))
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    # batchLength = bytes after the length field: epoch(4) + magic(1) + crc(4) + rest
    batch_len = 4 + 1 + 4 + len(after_crc)
    return W().i64(base_offset).i32(batch_len).i32(-1).i8(magic).u32(crc).build() + after_crc


def parse_batch_header(data, pos=0):
    """Parses the 61-byte header of the batch at pos; returns a dict (no records)."""
    r = R(data, pos)
    h = {'pos': pos, 'base_offset': r.i64(), 'length': r.i32()}
    h['leader_epoch'] = r.i32()
    h['magic'] = r.i8()
    h['crc'] = r.u32()
    h['attributes'] = r.i16()
    h['last_offset_delta'] = r.i32()
    h['base_ts'] = r.i64()
    h['max_ts'] = r.i64()
    h['producer_id'] = r.i64()
    h['producer_epoch'] = r.i16()
    h['base_sequence'] = r.i32()
    h['count'] = r.i32()
    h['size'] = 12 + h['length']
    h['end'] = pos + h['size']
    h['codec'] = h['attributes'] & 7
    h['last_offset'] = h['base_offset'] + h['last_offset_delta']
    return h


def parse_batches(data, check_crc=True):
    """Splits a byte string of concatenated batches (a Fetch records field or a segment
    file). Returns (whole batches, with 'crc_ok' set if check_crc, bytes left over at the
    end)."""
    out = []
    pos = 0
    while len(data) - pos >= 61:
        h = parse_batch_header(data, pos)
        if h['length'] < 49 or h['end'] > len(data):
            break
        if check_crc:
            h['crc_ok'] = crc32c(data[pos + 21:h['end']]) == h['crc']
        out.append(h)
        pos = h['end']
    return out, len(data) - pos


def parse_records(data, h):
    """Decodes the records of an uncompressed batch h (from parse_batches) in data."""
    if h['codec'] != 0:
        raise ValueError('compressed batch (codec %d): decode with a client' % h['codec'])
    r = R(data, h['pos'] + 61)
    out = []
    for _ in range(h['count']):
        ln = r.varint()
        start = r.p
        r.i8()
        tsd = r.varint()
        od = r.varint()
        kl = r.varint()
        key = None if kl < 0 else r.take(kl)
        vl = r.varint()
        value = None if vl < 0 else r.take(vl)
        headers = []
        for _ in range(r.varint()):
            hk = r.take(r.varint()).decode()
            hl = r.varint()
            headers.append((hk, None if hl < 0 else r.take(hl)))
        if r.p - start != ln:
            raise ValueError('record length mismatch')
        out.append({'offset': h['base_offset'] + od, 'ts': h['base_ts'] + tsd, 'key': key,
                    'value': value, 'headers': headers})
    return out


# ----------------------------------------------------------------------------- segment files

def partition_dir(data_dir, topic, partition):
    return os.path.join(data_dir, 'topics', '%s-%d' % (topic, partition))


def segment_files(data_dir, topic, partition, ext='.log'):
    """The partition's segment files with extension ext, sorted by base offset."""
    d = partition_dir(data_dir, topic, partition)
    try:
        names = [n for n in os.listdir(d) if n.endswith(ext)]
    except FileNotFoundError:
        return []
    return [os.path.join(d, n) for n in sorted(names, key=lambda n: int(n[:-len(ext)]))]


def read_batches(path, check_crc=True):
    """Batches stored in one segment file: (list of headers, trailing partial bytes)."""
    with open(path, 'rb') as f:
        data = f.read()
    return parse_batches(data, check_crc)


def stored_codecs(data_dir, topic, partitions):
    """Counts stored batches by codec name over the given partitions."""
    counts = {}
    for p in range(partitions):
        for seg in segment_files(data_dir, topic, p):
            for h in read_batches(seg, check_crc=False)[0]:
                name = CODEC_NAMES.get(h['codec'], str(h['codec']))
                counts[name] = counts.get(name, 0) + 1
    return counts


# ----------------------------------------------------------------------------- connection

class Closed(Exception):
    pass


def _hostport(addr):
    h, p = addr.rsplit(':', 1)
    return h, int(p)


class Conn:
    """One TCP connection speaking framed requests. call() sends and waits for the
    response with the matching correlation id."""

    def __init__(self, addr, timeout=10.0, client_id='kwire'):
        self.sock = socket.create_connection(_hostport(addr), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.client_id = client_id
        self.corr = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_request(self, api_key, version, body, flexible=False, corr=None):
        if corr is None:
            self.corr += 1
            corr = self.corr
        hdr = W().i16(api_key).i16(version).i32(corr).string(self.client_id)
        if flexible:
            hdr.tags()
        payload = hdr.build() + body
        self.send_raw(struct.pack('>i', len(payload)) + payload)
        return corr

    def _recv_exact(self, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no response within %.1f s' % self.timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise TimeoutError('no response within %.1f s' % self.timeout)
            except (ConnectionResetError, BrokenPipeError) as e:
                raise Closed('connection reset: %s' % e)
            if not chunk:
                raise Closed('connection closed by the broker')
            buf += chunk
        return bytes(buf)

    def recv_frame(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        size = struct.unpack('>i', self._recv_exact(4, deadline))[0]
        return self._recv_exact(size, deadline)

    def call(self, api_key, version, body, flexible=False, flexible_response=None):
        """Returns a reader positioned at the response body (after the header)."""
        corr = self.send_request(api_key, version, body, flexible)
        frame = self.recv_frame()
        r = R(frame)
        got = r.i32()
        if got != corr:
            raise ValueError('correlation id %d, expected %d' % (got, corr))
        if flexible if flexible_response is None else flexible_response:
            r.skip_tags()
        return r

    def wait_closed(self, timeout=5.0):
        """True if the broker closes the connection within timeout (any data it sends
        first is read and dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True


# ----------------------------------------------------------------------------- requests

API_PRODUCE, API_FETCH, API_LIST_OFFSETS, API_METADATA = 0, 1, 2, 3
API_VERSIONS, API_CREATE_TOPICS, API_DELETE_RECORDS = 18, 19, 21
API_DESCRIBE_CONFIGS, API_INCR_ALTER_CONFIGS = 32, 44


def api_versions(conn, version=0):
    """ApiVersions v0-v3. Returns {'error': code, 'apis': {key: (min, max)}}. The response
    header is v0 at every version (KIP-511)."""
    if version >= 3:
        body = W().compact_string('kwire').compact_string('1.0').tags().build()
        r = conn.call(API_VERSIONS, version, body, flexible=True, flexible_response=False)
    else:
        r = conn.call(API_VERSIONS, version, b'')
    return parse_api_versions(r, version)


def parse_api_versions(r, version):
    err = r.i16()
    if err == 35 or version < 3:
        # v0 layout (also the error answer to an unsupported version)
        apis = r.array(lambda r: (r.i16(), r.i16(), r.i16()))
        if version >= 1 and err != 35 and r.remaining() >= 4:
            r.i32()
    else:
        def ent(r):
            e = (r.i16(), r.i16(), r.i16())
            r.skip_tags()
            return e
        apis = r.compact_array(ent)
        r.i32()
        r.skip_tags()
    return {'error': err, 'apis': {k: (lo, hi) for k, lo, hi in (apis or [])}}


def metadata(conn, topics, version=1, allow_auto_create=True):
    """Metadata v1 or v4. topics None = all. Returns {'brokers': [...], 'topics': {name:
    {'error', 'partitions': {idx: {'error', 'leader'}}}}}."""
    w = W()
    w.array(topics, lambda w, t: w.string(t))
    if version >= 4:
        w.boolean(allow_auto_create)
    r = conn.call(API_METADATA, version, w.build())
    if version >= 3:
        r.i32()
    brokers = r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string()))
    if version >= 2:
        r.string()
    r.i32()

    def part(r):
        p = {'error': r.i16(), 'index': r.i32(), 'leader': r.i32()}
        p['replicas'] = r.array(lambda r: r.i32())
        p['isr'] = r.array(lambda r: r.i32())
        if version >= 5:
            r.array(lambda r: r.i32())
        return p

    def topic(r):
        t = {'error': r.i16(), 'name': r.string(), 'internal': r.boolean()}
        t['partitions'] = {p['index']: p for p in r.array(part)}
        return t
    ts = r.array(topic)
    return {'brokers': brokers, 'topics': {t['name']: t for t in ts}}


def produce(conn, topic, partition, batch, acks=-1, timeout_ms=10000, version=7):
    """Produce v3-v8 of one batch to one partition. Returns the partition result dict
    ({'error', 'base_offset', 'log_start_offset'}), or None for acks=0."""
    body = (W().string(None).i16(acks).i32(timeout_ms)
            .array([topic], lambda w, t: w.string(t).array(
                [partition], lambda w, p: w.i32(p).bytes_(batch))).build())
    if acks == 0:
        conn.send_request(API_PRODUCE, version, body)
        return None
    r = conn.call(API_PRODUCE, version, body)

    def part(r):
        p = {'index': r.i32(), 'error': r.i16(), 'base_offset': r.i64(),
             'log_append_time': r.i64()}
        if version >= 5:
            p['log_start_offset'] = r.i64()
        if version >= 8:
            r.array(lambda r: (r.i32(), r.string()))
            p['error_message'] = r.string()
        return p
    resp = r.array(lambda r: (r.string(), r.array(part)))
    return resp[0][1][0]


def list_offsets(conn, topic, partition, timestamp):
    """ListOffsets v1 for one partition: -1 latest, -2 earliest, else by time.
    Returns (error, offset, timestamp)."""
    body = (W().i32(-1).array([topic], lambda w, t: w.string(t).array(
        [partition], lambda w, p: w.i32(p).i64(timestamp))).build())
    r = conn.call(API_LIST_OFFSETS, 1, body)
    resp = r.array(lambda r: (r.string(), r.array(
        lambda r: (r.i32(), r.i16(), r.i64(), r.i64()))))
    _, err, ts, off = resp[0][1][0]
    return err, off, ts


def fetch(conn, topic, partition, offset, max_wait_ms=100, min_bytes=1,
          max_bytes=1 << 20, partition_max_bytes=1 << 20, isolation_level=0):
    """Fetch v4 of one partition. Returns {'error', 'high_watermark', 'records' (bytes),
    'records_null' (the field was null rather than empty)}."""
    return fetch_multi(conn, topic, [(partition, offset, partition_max_bytes)], max_wait_ms,
                       min_bytes, max_bytes, isolation_level)[partition]


def fetch_multi(conn, topic, parts, max_wait_ms=100, min_bytes=1, max_bytes=1 << 20,
                isolation_level=0):
    """Fetch v4 of several partitions of one topic: parts is a list of (partition,
    offset, partition_max_bytes). Returns {partition: result} as fetch() does."""
    body = (W().i32(-1).i32(max_wait_ms).i32(min_bytes).i32(max_bytes).i8(isolation_level)
            .array([topic], lambda w, t: w.string(t).array(
                parts, lambda w, p: w.i32(p[0]).i64(p[1]).i32(p[2])))
            .build())
    r = conn.call(API_FETCH, 4, body)
    r.i32()

    def part(r):
        p = {'index': r.i32(), 'error': r.i16(), 'high_watermark': r.i64(),
             'last_stable_offset': r.i64()}
        r.array(lambda r: (r.i64(), r.i64()))
        rec = r.bytes_()
        p['records_null'] = rec is None
        p['records'] = rec or b''
        return p
    resp = r.array(lambda r: (r.string(), r.array(part)))
    return {p['index']: p for _, ps in resp for p in ps}


def create_topics(conn, topics, timeout_ms=10000, validate_only=False):
    """CreateTopics v2. topics: list of (name, partitions, replication, {config: value}).
    Returns {name: (error, message)}."""
    def topic(w, t):
        name, parts, rf, cfg = t
        w.string(name).i32(parts).i16(rf).array([], None)
        w.array(sorted((cfg or {}).items()), lambda w, kv: w.string(kv[0]).string(kv[1]))
    body = W().array(topics, topic).i32(timeout_ms).boolean(validate_only).build()
    r = conn.call(API_CREATE_TOPICS, 2, body)
    r.i32()
    res = r.array(lambda r: (r.string(), r.i16(), r.string()))
    return {n: (e, m) for n, e, m in res}


def delete_records(conn, topic, partition, offset, timeout_ms=10000):
    """DeleteRecords v1 for one partition. Returns (error, low_watermark)."""
    body = (W().array([topic], lambda w, t: w.string(t).array(
        [partition], lambda w, p: w.i32(p).i64(offset))).i32(timeout_ms).build())
    r = conn.call(API_DELETE_RECORDS, 1, body)
    r.i32()
    resp = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i64(), r.i16()))))
    _, low, err = resp[0][1][0]
    return err, low


def describe_configs(conn, topic, keys=None):
    """DescribeConfigs v1 of a topic. Returns (error, {name: value})."""
    body = (W().array([topic], lambda w, t: w.i8(2).string(t).array(
        keys, lambda w, k: w.string(k))).boolean(False).build())
    r = conn.call(API_DESCRIBE_CONFIGS, 1, body)
    r.i32()

    def entry(r):
        e = (r.string(), r.string(), r.boolean(), r.i8(), r.boolean())
        r.array(lambda r: (r.string(), r.string(), r.i8()))
        return e

    def res(r):
        return (r.i16(), r.string(), r.i8(), r.string(), r.array(entry))
    out = r.array(res)
    err, _, _, _, entries = out[0]
    return err, {e[0]: e[1] for e in (entries or [])}


# IncrementalAlterConfigs operations
OP_SET, OP_DELETE, OP_APPEND, OP_SUBTRACT = 0, 1, 2, 3


def incremental_alter_configs(conn, topic, ops):
    """IncrementalAlterConfigs v0 on a topic. ops: list of (name, op, value).
    Returns (error, message)."""
    body = (W().array([topic], lambda w, t: w.i8(2).string(t).array(
        ops, lambda w, o: w.string(o[0]).i8(o[1]).string(o[2]))).boolean(False).build())
    r = conn.call(API_INCR_ALTER_CONFIGS, 0, body)
    r.i32()
    out = r.array(lambda r: (r.i16(), r.string(), r.i8(), r.string()))
    return out[0][0], out[0][1]

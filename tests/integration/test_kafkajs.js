'use strict'
/*
 * test_kafkajs.js - kafkajs 2.2.4 round trip (issue 2, "Done when" 1).
 *
 * For each codec kafkajs has built in (none, gzip; snappy, lz4 and zstd need codec plugins
 * that are not installed and are reported as skipped): a 3-partition topic
 * (admin.createTopics), 10,000 keyed messages with headers and explicit timestamps sent
 * with acks=-1, consumed back with keys, values, headers and timestamps intact and per-key
 * order kept. kafkajs has no assign-only consumer, so consuming uses a consumer group
 * (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch). Also: stored batches use
 * the codec; admin.fetchTopicOffsetsByTimestamp (ListOffsets by timestamp) finds the right
 * offsets; admin.deleteTopicRecords (DeleteRecords) advances the low watermark.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const path = require('path')
const h = require('./harness')

function requireJs (name) {
  try {
    return require(name)
  } catch (e) {
    return require(path.join(h.ROOT, 'tests', 'js', 'node_modules', name))
  }
}
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = requireJs('kafkajs')

/* kafkajs ships only gzip; snappy comes from the pure-JS kafkajs-snappy plugin, lz4 and
 * zstd from tests/js/codecs.js (lz4js and zstd-codec: no native builds). Registers the
 * codec and returns its type, or null if the packages are missing (reported as a skip). */
function plugin (codec) {
  try {
    const codecs = require(path.join(h.ROOT, 'tests', 'js', 'codecs.js'))
    if (codec === 'snappy') {
      CompressionCodecs[CompressionTypes.Snappy] = codecs.SnappyCodec
      return CompressionTypes.Snappy
    }
    if (codec === 'lz4') {
      CompressionCodecs[CompressionTypes.LZ4] = codecs.LZ4Codec
      return CompressionTypes.LZ4
    }
    if (codec === 'zstd') {
      CompressionCodecs[CompressionTypes.ZSTD] = codecs.ZstdCodec
      return CompressionTypes.ZSTD
    }
  } catch (e) {
    h.log(`no ${codec} codec: ${e.message.split('\n')[0]}`)
  }
  return null
}
const PLUGIN_NAME = { snappy: 'kafkajs-snappy', lz4: 'lz4js', zstd: 'zstd-codec' }

const N = 10000
const NKEYS = 50
const PARTITIONS = 3
const PAD = Buffer.from('0123456789abcdef'.repeat(70).slice(0, 1100))
const CODECS = [
  ['none', CompressionTypes.None, 0],
  ['gzip', CompressionTypes.GZIP, 1],
  ['snappy', plugin('snappy'), 2],
  ['lz4', plugin('lz4'), 3],
  ['zstd', plugin('zstd'), 4]
]

const keyOf = i => Buffer.from(`key-${String(i % NKEYS).padStart(2, '0')}`)
const valueOf = (i, tag) => Buffer.concat([Buffer.from(`${keyOf(i)}|${i}|${tag}|`), PAD])
const indexOf = v => {
  const n = Number(String(v).split('|')[1])
  return Number.isInteger(n) ? n : null
}

function makeMessages (tag) {
  const base = Date.now() - 600000 - N * 5
  const out = []
  for (let i = 0; i < N; i++) {
    out.push({
      i,
      key: keyOf(i),
      value: valueOf(i, tag),
      headers: [['seq', String(i)], ['kind', 'runnel-test'], ['codec', tag]],
      ts: base + i * 5
    })
  }
  return out
}

const logCreator = () => ({ namespace, level, log }) => {
  if (level <= logLevel.WARN) {
    process.stderr.write(`kafkajs ${namespace}: ${log.message} ${log.error || ''}\n`)
  }
}

function client (b) {
  return new Kafka({
    clientId: 'runnel-test-kjs',
    brokers: [b.kafka],
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 5, initialRetryTime: 200 }
  })
}

function withTimeout (p, ms, what) {
  let timer
  return Promise.race([
    p,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

async function produce (kafka, topic, compression, msgs) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 10000
    })
    if (!created) throw new Error(`createTopics(${topic}) returned false (already exists?)`)
  } finally {
    await admin.disconnect()
  }
  const p = kafka.producer({ allowAutoTopicCreation: false })
  await p.connect()
  const acked = new Map()
  try {
    for (let s = 0; s < msgs.length; s += 500) {
      const chunk = msgs.slice(s, s + 500)
      const res = await p.send({
        topic,
        acks: -1,
        compression,
        timeout: 30000,
        messages: chunk.map(m => ({
          key: m.key,
          value: m.value,
          headers: Object.fromEntries(m.headers),
          timestamp: String(m.ts)
        }))
      })
      for (const r of res) {
        if (r.errorCode !== 0) throw new Error(`partition ${r.partition}: error ${r.errorCode}`)
        acked.set(r.partition, (acked.get(r.partition) || 0) + 1)
      }
    }
  } finally {
    await p.disconnect()
  }
  return acked
}

async function consumeAll (kafka, topic, expect, timeoutMs = 120000) {
  const consumer = kafka.consumer({
    groupId: `runnel-test-${topic}`,
    sessionTimeout: 10000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
    retry: { retries: 3 }
  })
  const recs = []
  let crashed = null
  consumer.on(consumer.events.CRASH, e => {
    crashed = e.payload && e.payload.error ? e.payload.error : new Error('consumer crashed')
  })
  try {
    await withTimeout(consumer.connect(), 30000, 'consumer.connect')
    await withTimeout(consumer.subscribe({ topics: [topic], fromBeginning: true }), 30000,
      'consumer.subscribe')
    await withTimeout(consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        recs.push({
          partition,
          offset: Number(message.offset),
          key: message.key,
          value: message.value,
          headers: message.headers || {},
          ts: Number(message.timestamp)
        })
      }
    }), 30000, 'consumer.run')
    const deadline = Date.now() + timeoutMs
    while (recs.length < expect) {
      if (crashed) throw new Error(`consumer crashed: ${crashed.message || crashed}`)
      if (Date.now() > deadline) {
        throw new Error(`consumed ${recs.length} of ${expect} records in ${timeoutMs / 1000} s`)
      }
      await h.sleep(100)
    }
    await h.sleep(1000) // nothing more (no duplicates) should arrive
    return recs
  } finally {
    await withTimeout(consumer.disconnect(), 15000, 'consumer.disconnect').catch(e => h.log(String(e)))
  }
}

function verify (recs, msgs) {
  const problems = []
  const bad = m => { if (problems.length < 10) problems.push(m) }
  const seen = new Map()
  const byPart = new Map()
  for (const r of recs) {
    if (!byPart.has(r.partition)) byPart.set(r.partition, [])
    byPart.get(r.partition).push(r)
    const i = indexOf(r.value)
    if (i === null || i < 0 || i >= msgs.length) { bad(`p${r.partition}@${r.offset}: bad value`); continue }
    if (seen.has(i)) { bad(`message ${i} consumed twice`); continue }
    seen.set(i, r)
    const m = msgs[i]
    if (!r.key || !r.key.equals(m.key)) bad(`message ${i}: key ${r.key}, expected ${m.key}`)
    if (!r.value.equals(m.value)) bad(`message ${i}: value differs`)
    const got = Object.entries(r.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : String(v)])
    if (JSON.stringify(got) !== JSON.stringify(m.headers)) {
      bad(`message ${i}: headers ${JSON.stringify(got)}, expected ${JSON.stringify(m.headers)}`)
    }
    if (r.ts !== m.ts) bad(`message ${i}: timestamp ${r.ts}, expected ${m.ts}`)
  }
  if (seen.size !== msgs.length) bad(`${msgs.length - seen.size} of ${msgs.length} messages missing`)
  const keyPart = new Map()
  const lastI = new Map()
  for (const [p, rs] of byPart) {
    rs.sort((a, b) => a.offset - b.offset)
    rs.forEach((r, idx) => { if (r.offset !== idx) bad(`partition ${p}: offsets are not 0..n-1 (at ${idx}: ${r.offset})`) })
    for (const r of rs) {
      const k = String(r.key)
      const i = indexOf(r.value)
      if (keyPart.has(k) && keyPart.get(k) !== p) bad(`key ${k} in partitions ${keyPart.get(k)} and ${p}`)
      keyPart.set(k, p)
      if (lastI.has(k) && lastI.get(k) > i) bad(`key ${k}: message ${i} after ${lastI.get(k)}`)
      lastI.set(k, i)
    }
  }
  if (byPart.size < 2) bad(`all records landed in ${byPart.size} partition(s)`)
  if (problems.length) throw new Error(problems.join('; '))
}

function timeProbes (recs) {
  const probes = []
  for (let p = 0; p < PARTITIONS; p++) {
    const rs = recs.filter(r => r.partition === p).sort((a, b) => a.offset - b.offset)
    if (!rs.length) continue
    const firstAtOrAfter = ts => {
      const r = rs.find(r => r.ts >= ts)
      return r ? r.offset : rs.length // kafkajs maps "none" (-1) to the high watermark
    }
    for (const r of [rs[0], rs[Math.floor(rs.length / 3)], rs[Math.floor(rs.length / 2)], rs[rs.length - 1]]) {
      probes.push([p, r.ts, firstAtOrAfter(r.ts)])
    }
    const mid = rs[Math.floor(rs.length / 2)]
    probes.push([p, mid.ts + 1, firstAtOrAfter(mid.ts + 1)])
    probes.push([p, 1, 0])
    probes.push([p, rs[rs.length - 1].ts + 60000, rs.length])
  }
  return probes
}

h.main(async t => {
  const b = await t.broker('broker')
  const kafka = client(b)
  for (const [codec, ctype, id] of CODECS) {
    const topic = `kjs-${codec}`
    const what = `${codec}: 3 partitions, ${N} keyed msgs with headers`
    if (ctype === null) {
      t.skip(`${what}, acks=-1, consumed back intact in per-key order`,
        `kafkajs 2.2.4 has no built-in ${codec} codec and the ${PLUGIN_NAME[codec]} ` +
        'plugin is not installed in tests/js')
      continue
    }
    const msgs = makeMessages(codec)
    const acked = await t.case(`${what}, acks=-1: produced`, () => produce(kafka, topic, ctype, msgs))
    if (!acked) continue
    await t.case(`${codec}: batches stored with codec ${codec}`, async () => {
      const counts = {}
      for (let p = 0; p < PARTITIONS; p++) {
        for (const bt of h.storedBatches(b.dataDir, topic, p)) counts[bt.codec] = (counts[bt.codec] || 0) + 1
      }
      const ids = Object.keys(counts)
      if (ids.length !== 1 || Number(ids[0]) !== id) {
        throw new Error(`stored batches by codec id: ${JSON.stringify(counts)}, expected only ${id}`)
      }
    })
    // ListOffsets by timestamp before and after every message (needs no consumer; the
    // sampled probes below need the consumed layout).
    await t.case(`${codec}: fetchTopicOffsetsByTimestamp finds the right offset`, async () => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        const offsets = await admin.fetchTopicOffsets(topic)
        const total = offsets.reduce((s, o) => s + Number(o.high), 0)
        if (total !== N) throw new Error(`high watermarks sum to ${total}, expected ${N}`)
        const before = await admin.fetchTopicOffsetsByTimestamp(topic, 1)
        for (const o of before) {
          if (Number(o.offset) !== 0) throw new Error(`ts=1 p${o.partition}: offset ${o.offset}, expected 0`)
        }
        const after = await admin.fetchTopicOffsetsByTimestamp(topic, msgs[N - 1].ts + 60000)
        for (const o of after) {
          const high = Number(offsets.find(x => x.partition === o.partition).high)
          if (Number(o.offset) !== high) throw new Error(`ts=after p${o.partition}: offset ${o.offset}, expected ${high}`)
        }
      } finally {
        await admin.disconnect()
      }
    })
    const recs = await t.case(`${what}, consumed back intact in per-key order (consumer group)`, async () => {
      const recs = await consumeAll(kafka, topic, N)
      verify(recs, msgs)
      return recs
    })
    if (recs) {
      await t.case(`${codec}: fetchTopicOffsetsByTimestamp of sampled messages`, async () => {
        const admin = kafka.admin()
        await admin.connect()
        try {
          const bad = []
          const probes = timeProbes(recs)
          if (probes.length < 3 * PARTITIONS) throw new Error(`only ${probes.length} probes`)
          for (const [p, ts, want] of probes) {
            const res = await admin.fetchTopicOffsetsByTimestamp(topic, ts)
            const got = Number(res.find(o => o.partition === p).offset)
            if (got !== want) bad.push(`p${p} ts=${ts}: offset ${got}, expected ${want}`)
          }
          if (bad.length) throw new Error(bad.slice(0, 6).join('; '))
        } finally {
          await admin.disconnect()
        }
      })
    }
  }
  await t.case('deleteTopicRecords (DeleteRecords) advances the low watermark', async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const topic = 'kjs-none'
      const before = await admin.fetchTopicOffsets(topic)
      const p0 = before.find(o => o.partition === 0)
      if (Number(p0.high) < 10) throw new Error(`partition 0 has only ${p0.high} records`)
      const cut = Math.floor(Number(p0.high) / 2)
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(cut) }] })
      const after = await admin.fetchTopicOffsets(topic)
      const a0 = after.find(o => o.partition === 0)
      if (Number(a0.low) !== cut) throw new Error(`low watermark ${a0.low}, expected ${cut}`)
      if (a0.high !== p0.high) throw new Error(`high watermark moved: ${p0.high} -> ${a0.high}`)
      const a1 = after.find(o => o.partition === 1)
      if (Number(a1.low) !== 0) throw new Error(`partition 1 low watermark ${a1.low}, expected 0`)
    } finally {
      await admin.disconnect()
    }
  })
})

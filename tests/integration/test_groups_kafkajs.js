'use strict'
/*
 * test_groups_kafkajs.js - consumer groups with kafkajs 2.2.4 (JoinGroup v5 with
 * MEMBER_ID_REQUIRED, SyncGroup v3, Heartbeat v3, OffsetCommit v5, OffsetFetch v4,
 * LeaveGroup v3, DescribeGroups v2, ListGroups v2, DeleteGroups v1). Issue 3 "Done when" 1.
 *
 * Members are child processes (kjs_group_worker.js): consumer.run with eachMessage,
 * kafkajs committing the processed offsets after each batch, sessionTimeout 6000.
 *   - three members share a 6-partition topic 2/2/2 (RoundRobinAssigner);
 *   - one is killed with SIGKILL: its partitions move to the other two within the session
 *     timeout plus one rebalance;
 *   - admin.describeGroups shows the members and their assignments;
 *   - a 30,000-message stream (10,000 before, 10,000 after the member kill, 10,000 after
 *     the broker is killed with SIGKILL and restarted on the same port) is processed at
 *     least once; admin.fetchOffsets ends at the high watermarks;
 *   - after a clean broker restart a new member processes exactly the new messages
 *     (it resumes at the committed offsets);
 *   - admin.deleteGroups refuses the active group (NON_EMPTY_GROUP) and deletes it once
 *     empty, offsets included.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn } = require('child_process')
const h = require('./harness')

function requireJs (name) {
  try {
    return require(name)
  } catch (e) {
    return require(path.join(h.ROOT, 'tests', 'js', 'node_modules', name))
  }
}
const { Kafka, logLevel } = requireJs('kafkajs')

const SESSION_MS = 6000
const N_PHASE = 10000
const TOPIC = 'kjs-orders'
const GROUP = 'kjs-billing'
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-kjs-group-'))
const workers = []

process.on('exit', () => {
  for (const w of workers) w.kill()
  if (process.env.RUNNEL_TEST_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true })
})

class Worker {
  constructor (name, bootstrap, extra = []) {
    this.name = name
    this.path = path.join(tmp, `worker-${name}.log`)
    fs.writeFileSync(this.path, '')
    const err = fs.openSync(path.join(tmp, `worker-${name}.stderr`), 'w')
    this.proc = spawn(process.execPath, [path.join(__dirname, 'kjs_group_worker.js'), bootstrap,
      GROUP, TOPIC, this.path, ...extra], { stdio: ['ignore', err, err] })
    fs.closeSync(err)
    this.exit = new Promise(resolve => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
    workers.push(this)
    h.log(`group: worker ${name} started (pid ${this.proc.pid})`)
  }

  lines () {
    return fs.readFileSync(this.path, 'utf8').split('\n')
  }

  assignment () {
    let last = null
    for (const ln of this.lines()) {
      if (!ln.startsWith('A ')) continue
      const parts = ln.split(' ')[2]
      last = parts === '-' ? [] : parts.split(',').map(Number)
    }
    return last
  }

  records () {
    const out = []
    for (const ln of this.lines()) {
      if (!ln.startsWith('R ')) continue
      const [, p, off, v] = ln.split(' ')
      out.push([Number(p), Number(off), v])
    }
    return out
  }

  kill () {
    try {
      this.proc.kill('SIGKILL')
    } catch (e) {}
  }

  async stop () {
    this.proc.kill('SIGTERM')
    const res = await Promise.race([this.exit, h.sleep(30000).then(() => null)])
    if (!res) {
      this.kill()
      throw new Error(`worker ${this.name} did not exit within 30 s of SIGTERM`)
    }
    if (res.code !== 0) throw new Error(`worker ${this.name} exited ${JSON.stringify(res)}`)
  }
}

/* Waits until the workers' assignments are disjoint, cover 0..n-1 and have these sizes. */
async function waitShares (ws, n, sizes, timeoutMs = 60000) {
  return h.waitUntil(() => {
    const asg = ws.map(w => w.assignment())
    if (asg.some(a => !a)) return false
    const all = asg.flat()
    if (new Set(all).size !== all.length || all.length !== n) return false
    if (sizes && JSON.stringify(asg.map(a => a.length).sort()) !== JSON.stringify(sizes.slice().sort())) return false
    return asg
  }, timeoutMs, `assignments of ${ws.map(w => w.name)} to cover ${n} partitions`, 50)
}

async function produce (kafka, from, n) {
  const p = kafka.producer({ allowAutoTopicCreation: false })
  await p.connect()
  try {
    const values = []
    for (let i = from; i < from + n; i += 1000) {
      const msgs = []
      for (let j = i; j < Math.min(from + n, i + 1000); j++) {
        msgs.push({ key: `k${j}`, value: `m${j}` })
        values.push(`m${j}`)
      }
      await p.send({ topic: TOPIC, acks: -1, messages: msgs })
    }
    return values
  } finally {
    await p.disconnect()
  }
}

h.main(async t => {
  const b = await t.broker('broker')
  const client = () => new Kafka({
    clientId: 'kjs-test',
    brokers: [b.kafka],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 }
  })
  const sent = new Set()
  let ws = []
  try {
    const shared = await t.case('3 members share a 6-partition topic 2/2/2', async () => {
      const admin = client().admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] })
      await admin.disconnect()
      for (const v of await produce(client(), 0, N_PHASE)) sent.add(v)
      ws = ['a', 'b', 'c'].map(n => new Worker(n, b.kafka, ['pause=1']))
      const asg = await waitShares(ws, 6, [2, 2, 2])
      h.log(`group: 2/2/2 assignment: ${JSON.stringify(asg)}`)
    })
    if (!shared) return

    await t.case('SIGKILLed member: its partitions move within the session timeout', async () => {
      const lost = ws[2].assignment()
      ws[2].kill()
      const t0 = Date.now()
      await waitShares(ws.slice(0, 2), 6, [3, 3])
      const took = Date.now() - t0
      h.log(`group: partitions ${lost} of the killed member moved in ${took} ms`)
      if (took > SESSION_MS + 3000) {
        throw new Error(`partitions moved after ${took} ms, more than the session timeout ` +
          `(${SESSION_MS} ms) plus 3 s for the rebalance`)
      }
    })

    await t.case('admin.describeGroups shows the members and their assignments', async () => {
      const admin = client().admin()
      await admin.connect()
      try {
        const { groups } = await admin.describeGroups([GROUP])
        const g = groups[0]
        if (g.state !== 'Stable' || g.protocolType !== 'consumer' || g.protocol !== 'RoundRobinAssigner') {
          throw new Error(`state ${g.state}, type ${g.protocolType}, protocol ${g.protocol}`)
        }
        const { AssignerProtocol } = requireJs('kafkajs')
        const got = g.members.map(m => {
          const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
          return (a.assignment[TOPIC] || []).slice().sort((x, y) => x - y).join(',')
        }).sort()
        const want = ws.slice(0, 2).map(w => w.assignment().join(',')).sort()
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          throw new Error(`describeGroups assignments ${got}, the members say ${want}`)
        }
        const sub = AssignerProtocol.MemberMetadata.decode(g.members[0].memberMetadata)
        if (!sub.topics.includes(TOPIC)) throw new Error(`member metadata topics ${sub.topics}`)
        const listed = await admin.listGroups()
        if (!listed.groups.some(x => x.groupId === GROUP && x.protocolType === 'consumer')) {
          throw new Error(`listGroups: ${JSON.stringify(listed)}`)
        }
        // No retries: kafkajs retries a failed DeleteGroups like any error.
        const once = new Kafka({ clientId: 'kjs-test', brokers: [b.kafka], logLevel: logLevel.NOTHING,
          retry: { retries: 0 } }).admin()
        await once.connect()
        let err = null
        try {
          await once.deleteGroups([GROUP])
        } catch (e) {
          err = e
        } finally {
          await once.disconnect()
        }
        const failed = err && (err.groups || (err.originalError && err.originalError.groups))
        if (!failed || failed[0].errorCode !== 68) {
          throw new Error(`deleteGroups of an active group: ${err} ${JSON.stringify(failed)}`)
        }
      } finally {
        await admin.disconnect()
      }
    })

    await t.case('30,000 messages each processed at least once across a member kill and a ' +
      'broker kill -9; fetchOffsets ends at the high watermarks', async () => {
      for (const v of await produce(client(), N_PHASE, N_PHASE)) sent.add(v)
      await h.waitUntil(() => ws.reduce((n, w) => n + w.records().length, 0) > N_PHASE + 2000,
        60000, 'the members to process more', 100)
      await b.kill9()
      b.args = ['--kafka-listen', b.kafka] // same port: the members reconnect to it
      await b.start()
      for (const v of await produce(client(), 2 * N_PHASE, N_PHASE)) sent.add(v)
      await h.waitUntil(() => {
        const seen = new Set()
        for (const w of ws) for (const r of w.records()) seen.add(r[2])
        for (const v of sent) if (!seen.has(v)) return false
        return true
      }, 180000, `all ${sent.size} messages to be processed`, 500)
      const total = ws.reduce((n, w) => n + w.records().length, 0)
      h.log(`group: ${total} records processed for ${sent.size} messages (${total - sent.size} again, after the kills)`)
      await ws[0].stop()
      await ws[1].stop()
      const admin = client().admin()
      await admin.connect()
      try {
        const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })
        const ends = await admin.fetchTopicOffsets(TOPIC)
        for (const e of ends) {
          const c = committed[0].partitions.find(x => x.partition === e.partition)
          if (!c || c.offset !== e.high) {
            throw new Error(`p${e.partition}: committed ${c && c.offset}, high watermark ${e.high}`)
          }
        }
      } finally {
        await admin.disconnect()
      }
    })

    await t.case('after a broker restart a new member resumes at the committed offsets', async () => {
      await b.stop()
      await b.start()
      const d = new Worker('d', b.kafka)
      ws.push(d)
      await waitShares([d], 6, [6])
      const fresh = await produce(client(), 3 * N_PHASE, 100)
      await h.waitUntil(() => d.records().length >= 100, 60000, 'the 100 new messages', 100)
      await h.sleep(1000)
      const got = d.records().map(r => r[2])
      if (got.length !== 100 || JSON.stringify(got.slice().sort()) !== JSON.stringify(fresh.slice().sort())) {
        throw new Error(`the new member processed ${got.length} records, expected exactly the ` +
          `100 new ones; first: ${got.slice(0, 5)}`)
      }
      await d.stop()
    })

    await t.case('admin.deleteGroups deletes the empty group and its offsets', async () => {
      const admin = client().admin()
      await admin.connect()
      try {
        const res = await admin.deleteGroups([GROUP])
        if (res[0].errorCode !== 0) throw new Error(`deleteGroups: ${JSON.stringify(res)}`)
        const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })
        if (committed[0].partitions.some(p => p.offset !== '-1')) {
          throw new Error(`offsets left: ${JSON.stringify(committed)}`)
        }
        const { groups } = await admin.describeGroups([GROUP])
        if (groups[0].state !== 'Dead') throw new Error(`state ${groups[0].state} after delete`)
      } finally {
        await admin.disconnect()
      }
    })
  } finally {
    for (const w of ws) w.kill()
  }
})

'use strict'
/*
 * tests/integration/kjs_group_worker.js - one kafkajs 2.2.4 group member for
 * test_groups_kafkajs.js, run as a child process (so the test can SIGKILL it: no
 * LeaveGroup, no final commit).
 *
 *   node kjs_group_worker.js BOOTSTRAP GROUP TOPIC OUTFILE [key=value ...]
 *
 * consumer.run with eachMessage: each message is "processed" by appending a line to
 * OUTFILE (a write(2) per line, so a SIGKILL loses nothing written), and kafkajs commits
 * the resolved offsets after each batch (autoCommit): commit after processing, so
 * at-least-once. Option: pause=MS (sleep after each message: a slow consumer).
 *
 * OUTFILE lines, as ck_group_worker.py writes them (see grouputil.py):
 *   A <time> <p,p,...|->   after GROUP_JOIN ("-" when a rebalance starts)
 *   R <partition> <offset> <value>
 * SIGTERM: consumer.disconnect() (commit, LeaveGroup), then exit 0.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const fs = require('fs')
const path = require('path')

function requireJs (name) {
  try {
    return require(name)
  } catch (e) {
    return require(path.join(__dirname, '..', 'js', 'node_modules', name))
  }
}
const { Kafka, logLevel } = requireJs('kafkajs')

const [bootstrap, group, topic, outfile, ...extra] = process.argv.slice(2)
const opts = Object.fromEntries(extra.map(a => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]))
const pause = Number(opts.pause || 0)
const out = fs.openSync(outfile, 'a')
const write = s => fs.writeSync(out, s)
const now = () => (performance.now() / 1000).toFixed(3)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

const kafka = new Kafka({
  clientId: 'kjs-worker',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 }
})
const consumer = kafka.consumer({
  groupId: group,
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  rebalanceTimeout: 20000,
  maxWaitTimeInMs: 500,
  retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 }
})
consumer.on(consumer.events.REBALANCING, () => write(`A ${now()} -\n`))
consumer.on(consumer.events.GROUP_JOIN, e => {
  const parts = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
  write(`A ${now()} ${parts.length ? parts.join(',') : '-'}\n`)
})
consumer.on(consumer.events.CRASH, e => write(`E crash ${e.payload.error && e.payload.error.message}\n`))

let stopping = false
process.on('SIGTERM', async () => {
  if (stopping) return
  stopping = true
  try {
    await consumer.disconnect()
    write('X closed\n')
    process.exit(0)
  } catch (e) {
    process.stderr.write(`disconnect: ${e.stack}\n`)
    process.exit(1)
  }
})

;(async () => {
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      write(`R ${partition} ${message.offset} ${message.value.toString()}\n`)
      if (pause) await sleep(pause)
    }
  })
})().catch(e => {
  process.stderr.write(`worker: ${e.stack}\n`)
  process.exit(1)
})

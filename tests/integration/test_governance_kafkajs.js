'use strict'
/*
 * tests/integration/test_governance_kafkajs.js - validation at the produce boundary with
 * kafkajs 2.2.4 (issue 4): on a topic with runnel.validation=schema, valid envelopes land;
 * a present-tense action, a missing envelope field, non-JSON and data that breaks the
 * registered schema are refused with INVALID_RECORD (kafkajs throws KafkaJSProtocolError
 * type INVALID_RECORD) and never reach a consumer.
 */
const assert = require('assert')
const crypto = require('crypto')
const http = require('http')
const path = require('path')
const h = require('./harness')

function requireJs (name) {
  try {
    return require(name)
  } catch (e) {
    return require(path.join(h.ROOT, 'tests', 'js', 'node_modules', name))
  }
}
const { Kafka, logLevel } = requireJs('kafkajs')

const SCHEMA = {
  type: 'object',
  required: ['orderId', 'totalAmount', 'currency'],
  properties: {
    orderId: { type: 'string' },
    totalAmount: { type: 'number', minimum: 0 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' }
  }
}

function envelope (over = {}, drop = []) {
  const e = {
    eventId: crypto.randomUUID(),
    eventType: 'order.created.v1',
    eventTime: '2026-11-27T10:00:00.000Z',
    source: 'order-service',
    subject: 'order-1',
    dataVersion: '1.0',
    data: { orderId: '1', totalAmount: 10, currency: 'SEK' },
    metadata: { correlationId: 'corr-1' },
    ...over
  }
  for (const k of drop) delete e[k]
  return JSON.stringify(e)
}

function post (addr, urlPath, body) {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), addr.slice(addr.lastIndexOf(':') + 1)]
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: urlPath, method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' } }, res => {
      let data = ''
      res.on('data', c => { data += c })
      res.on('end', () => resolve({ status: res.statusCode, body: data }))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

h.main(async t => {
  const b = await t.broker('broker')
  const kafka = new Kafka({ clientId: 'gov', brokers: [b.kafka], logLevel: logLevel.NOTHING,
    retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } })
  await producer.connect()
  try {
    await t.case('register the schema and create a runnel.validation=schema topic', async () => {
      const r = await post(b.http, '/subjects/order.created.v1/versions',
        { schemaType: 'JSON', schema: JSON.stringify(SCHEMA) })
      assert.strictEqual(r.status, 200, r.body)
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1,
        configEntries: [{ name: 'runnel.validation', value: 'schema' }] }] })
    })

    await t.case('valid events land (kafkajs, acks=-1)', async () => {
      const res = await producer.send({ topic: 'orders', acks: -1,
        messages: [{ key: 'o-1', value: envelope() }, { key: 'o-2', value: envelope() }] })
      assert.strictEqual(res[0].errorCode, 0)
    })

    const bad = [
      ['present-tense action', envelope({ eventType: 'order.create.v1' })],
      ['missing envelope field', envelope({}, ['subject'])],
      ['non-JSON', 'not json at all'],
      ['data breaks its schema', envelope({ data: { orderId: '1', totalAmount: -1, currency: 'SEK' } })]
    ]
    for (const [name, value] of bad) {
      await t.case(`${name}: refused with INVALID_RECORD`, async () => {
        let err = null
        try {
          await producer.send({ topic: 'orders', acks: -1, messages: [{ value }] })
        } catch (e) {
          err = e
        }
        assert.ok(err, 'the broker accepted it')
        const type = err.type || (err.cause && err.cause.type) ||
          (err.originalError && err.originalError.type)
        assert.strictEqual(type, 'INVALID_RECORD', `${err.name}: ${err.message}`)
      })
    }

    await t.case('only the valid events reach a consumer', async () => {
      const offs = await admin.fetchTopicOffsets('orders')
      assert.strictEqual(offs[0].high, '2', `high watermark ${offs[0].high}`)
    })
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
})

'use strict'
/*
 * test_schema_registry.js - the npm client @kafkajs/confluent-schema-registry 3.9.0 against
 * Runnel's schema registry (issue 4, item 3): register a JSON schema (SchemaType.JSON),
 * look it up by schema, by subject and version, and by id; encode and decode values in the
 * Confluent wire format (magic byte, 4-byte id, JSON), the client validating with the ajv
 * it bundles; a value that breaks the schema is refused; an incompatible registration is
 * refused with 409 and the compatibility endpoint says so; an additive optional field is a
 * new version; and the encoded bytes travel through the broker with kafkajs and decode on
 * the other side.
 *
 * How the client treats JSON: register() asks GET /config/{subject} (a 404 means "first
 * registration", after which it PUTs {"compatibility": "BACKWARD"}), then POSTs the schema
 * with "schemaType": "JSON"; decode() fetches GET /schemas/ids/{id} and needs
 * "schemaType": "JSON" in the answer (absent means AVRO to the client).
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const assert = require('assert')
const path = require('path')
const h = require('./harness')

function requireJs (name) {
  try {
    return require(name)
  } catch (e) {
    return require(path.join(h.ROOT, 'tests', 'js', 'node_modules', name))
  }
}
const { SchemaRegistry, SchemaType } = requireJs('@kafkajs/confluent-schema-registry')
const { Kafka, logLevel } = requireJs('kafkajs')

const SUBJECT = 'payments.paid.v1'
const V1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'PaymentPaid',
  type: 'object',
  properties: {
    paymentId: { type: 'string', minLength: 1 },
    amount: { type: 'number', minimum: 0 },
    currency: { type: 'string', enum: ['EUR', 'USD'] }
  },
  required: ['paymentId', 'amount', 'currency']
}
const V2 = { ...V1, properties: { ...V1.properties, note: { type: 'string' } } } // optional field
const BAD = { ...V2, required: [...V1.required, 'customerId'] } // a new required field
const PAYMENT = { paymentId: 'p-1', amount: 12.5, currency: 'EUR' }

const jsonSchema = s => ({ type: SchemaType.JSON, schema: JSON.stringify(s) })

function withTimeout (p, ms, what) {
  let timer
  return Promise.race([
    p,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

async function expectStatus (promise, status, what) {
  try {
    await promise
  } catch (e) {
    assert.strictEqual(e.status, status, `${what}: expected HTTP ${status}, got ${e.status}: ${e.message}`)
    return e
  }
  throw new Error(`${what}: expected HTTP ${status}, but it succeeded`)
}

h.main(async t => {
  const b = await t.broker('sr-js', { config: { 'group.initial.rebalance.delay.ms': 0 } })
  const host = `http://${b.http}`
  const registry = new SchemaRegistry({ host, clientId: 'runnel-test-sr' })
  const ids = {}

  await t.case('register a JSON schema (SchemaType.JSON)', async () => {
    const { id } = await registry.register(jsonSchema(V1), { subject: SUBJECT })
    assert.strictEqual(id, 1)
    ids.v1 = id
    // the client set the subject's level after its first registration
    const res = await registry.api.Subject.config({ subject: SUBJECT })
    assert.deepStrictEqual(res.data(), { compatibilityLevel: 'BACKWARD' })
  })

  await t.case('registering the same schema again returns the same id', async () => {
    const { id } = await registry.register(jsonSchema(V1), { subject: SUBJECT })
    assert.strictEqual(id, ids.v1)
  })

  await t.case('look up: by schema, latest, subject+version, id', async () => {
    assert.strictEqual(await registry.getRegistryIdBySchema(SUBJECT, jsonSchema(V1)), ids.v1)
    assert.strictEqual(await registry.getLatestSchemaId(SUBJECT), ids.v1)
    assert.strictEqual(await registry.getRegistryId(SUBJECT, 1), ids.v1)
    const fresh = new SchemaRegistry({ host })
    const schema = await fresh.getSchema(ids.v1)
    assert.ok(schema && typeof schema.toBuffer === 'function', 'a JSON schema instance')
    // a 404 (40403) comes back wrapped as ConfluentSchemaRegistryError
    await assert.rejects(registry.getRegistryIdBySchema(SUBJECT, jsonSchema({ type: 'string' })),
      e => e.name === 'ConfluentSchemaRegistryError' && /Schema not found/.test(e.message))
  })

  await t.case('encode and decode a value (wire format: 0, id, JSON)', async () => {
    const buf = await registry.encode(ids.v1, PAYMENT)
    assert.strictEqual(buf[0], 0)
    assert.strictEqual(buf.readInt32BE(1), ids.v1)
    assert.deepStrictEqual(JSON.parse(buf.subarray(5).toString()), PAYMENT)
    // a client with an empty cache fetches /schemas/ids/{id}
    const other = new SchemaRegistry({ host })
    assert.deepStrictEqual(await other.decode(buf), PAYMENT)
    ids.encoded = buf
  })

  await t.case('encode refuses a value that breaks the schema', async () => {
    let err = null
    try {
      await registry.encode(ids.v1, { paymentId: 'p-2', amount: -1, currency: 'GBP' })
    } catch (e) {
      err = e
    }
    assert.ok(err, 'encode should have thrown')
    assert.strictEqual(err.name, 'ConfluentSchemaRegistryValidationError', err.name)
  })

  await t.case('an incompatible schema is refused with 409; compatibility says false', async () => {
    const e = await expectStatus(registry.register(jsonSchema(BAD), { subject: SUBJECT }), 409,
      'register BAD')
    assert.match(e.message, /incompatible/)
    const res = await registry.api.Subject.compatible({
      subject: SUBJECT,
      version: 'latest',
      body: { schemaType: 'JSON', schema: JSON.stringify(BAD) }
    })
    assert.deepStrictEqual(res.data(), { is_compatible: false })
  })

  await t.case('an additive optional field is a new version; old values still decode', async () => {
    const { id } = await registry.register(jsonSchema(V2), { subject: SUBJECT })
    assert.notStrictEqual(id, ids.v1)
    assert.strictEqual(await registry.getLatestSchemaId(SUBJECT), id)
    assert.strictEqual(await registry.getRegistryId(SUBJECT, 2), id)
    const buf = await registry.encode(id, { ...PAYMENT, note: 'thanks' })
    assert.deepStrictEqual(await new SchemaRegistry({ host }).decode(buf), { ...PAYMENT, note: 'thanks' })
    assert.deepStrictEqual(await new SchemaRegistry({ host }).decode(ids.encoded), PAYMENT)
  })

  await t.case('encoded values through the broker (kafkajs) decode on the other side', async () => {
    const kafka = new Kafka({
      clientId: 'runnel-test-sr-kjs',
      brokers: [b.kafka],
      logLevel: logLevel.WARN,
      retry: { retries: 5, initialRetryTime: 200 }
    })
    const topic = 'payments'
    const producer = kafka.producer()
    await producer.connect()
    const values = []
    for (let i = 0; i < 5; i++) {
      values.push({ paymentId: `p-${i}`, amount: i * 10, currency: i % 2 ? 'USD' : 'EUR' })
    }
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: await Promise.all(values.map(async v => ({
          key: v.paymentId,
          value: await registry.encode(ids.v1, v)
        })))
      })
    } finally {
      await producer.disconnect()
    }
    const consumer = kafka.consumer({ groupId: 'runnel-test-sr', maxWaitTimeInMs: 200 })
    const reader = new SchemaRegistry({ host })
    const got = []
    try {
      await withTimeout(consumer.connect(), 30000, 'consumer.connect')
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => { got.push(await reader.decode(message.value)) }
      })
      await h.waitUntil(() => got.length >= values.length, 60000, `${values.length} messages`)
    } finally {
      await withTimeout(consumer.disconnect(), 15000, 'consumer.disconnect').catch(e => h.log(String(e)))
    }
    assert.deepStrictEqual(got, values)
  })
})

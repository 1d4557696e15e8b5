'use strict'
/*
 * tests/integration/harness.js - start, stop, kill and restart build/runnel for the node
 * integration tests, and report sub-results to tests/run.sh. Node built-ins only.
 *
 *   const h = require('./harness')
 *   h.main(async t => {
 *     const b = await t.broker('broker')          // started; b.kafka is "127.0.0.1:PORT"
 *     await t.case('produce works', async () => { ... })
 *   })
 *
 * Broker: `$BUILD/runnel serve --data-dir TMP/data --kafka-listen 127.0.0.1:0
 * --http-listen 127.0.0.1:0` (BUILD defaults to "build"); waits up to 10 s for
 * `runnel ready kafka=H:P http=H:P` (printing stderr on timeout); keeps each run's stderr
 * in TMP/stderr-N.log; restart on the same data dir, kill -9, stop (SIGTERM, exit 0 within
 * 10 s); every run's stderr is checked for sanitizer reports.
 *
 * Result protocol (read by tests/run.sh), one line per sub-result on stdout:
 *   ok NAME | ok NAME # skip REASON | not ok NAME # REASON
 * NAME never contains " # " (rewritten to " - ").
 * Exit status 1 if any sub-result failed. Diagnostics go to stderr.
 *
 * Safety: the broker runs under `setpriv --pdeathsig KILL` when available; a process
 * 'exit' handler kills it by PID; SIGTERM/SIGINT exit through that handler. Temp dirs are
 * removed at exit unless RUNNEL_TEST_KEEP=1.
 */
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn, spawnSync } = require('child_process')

const ROOT = path.resolve(__dirname, '..', '..')
const BUILD = process.env.BUILD || 'build'
const BUILD_DIR = path.isAbsolute(BUILD) ? BUILD : path.join(ROOT, BUILD)
const RUNNEL = path.join(BUILD_DIR, 'runnel')
const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:']
const READY_RE = /^runnel ready kafka=(\S+) http=(\S+)\s*$/m
const KEEP = process.env.RUNNEL_TEST_KEEP === '1'
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find(p => fs.existsSync(p))

const brokers = []
const tmpdirs = []

function log (...a) {
  process.stderr.write(a.join(' ') + '\n')
}

process.on('exit', () => {
  for (const b of brokers) b._killQuietly()
  for (const d of tmpdirs) {
    if (KEEP) log(`harness: keeping ${d}`)
    else fs.rmSync(d, { recursive: true, force: true })
  }
})
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    log(`harness: got ${sig}, exiting`)
    process.exit(sig === 'SIGTERM' ? 143 : 130)
  })
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

function tail (file, n = 60) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n')
  } catch (e) {
    return ''
  }
}

function sanitizerReport (text) {
  const idx = SANITIZER_MARKERS.map(m => text.indexOf(m)).filter(i => i >= 0)
  if (!idx.length) return null
  const start = text.lastIndexOf('\n', Math.min(...idx)) + 1
  return text.slice(start, start + 6000)
}

class Broker {
  constructor (name = 'broker', { config = {}, env = {}, args = [] } = {}) {
    this.name = name
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `runnel-${name}-`))
    tmpdirs.push(this.tmp)
    this.dataDir = path.join(this.tmp, 'data')
    fs.mkdirSync(this.dataDir)
    this.config = { ...config }
    this.env = { ...env }
    this.args = [...args]
    this.proc = null
    this.exited = null // { code, signal } of the current/last process once it exits
    this.kafka = this.http = null
    this.runs = 0
    this.stderrFiles = []
    brokers.push(this)
  }

  get running () {
    return this.proc !== null && this.exited === null
  }

  async start (timeoutMs = 10000) {
    if (this.running) throw new Error(`${this.name} is already running`)
    try {
      fs.accessSync(RUNNEL, fs.constants.X_OK)
    } catch (e) {
      throw new Error(`${RUNNEL} does not exist or is not executable (run make)`)
    }
    const n = ++this.runs
    let cmd = [RUNNEL, 'serve', '--data-dir', this.dataDir, '--kafka-listen', '127.0.0.1:0',
      '--http-listen', '127.0.0.1:0']
    if (Object.keys(this.config).length) {
      const cpath = path.join(this.tmp, `broker-${n}.conf`)
      fs.writeFileSync(cpath, '# written by tests/integration/harness.js\n' +
        Object.entries(this.config).map(([k, v]) => `${k}=${v}\n`).join(''))
      cmd.push('--config', cpath)
    }
    cmd.push(...this.args)
    if (SETPRIV) cmd = [SETPRIV, '--pdeathsig', 'KILL', '--', ...cmd]
    const outPath = path.join(this.tmp, `stdout-${n}.log`)
    const errPath = path.join(this.tmp, `stderr-${n}.log`)
    this.stderrFiles.push(errPath)
    const out = fs.openSync(outPath, 'w')
    const err = fs.openSync(errPath, 'w')
    log(`harness: starting ${this.name} (run ${n}): ${cmd.join(' ')}`)
    this.exited = null
    const proc = spawn(cmd[0], cmd.slice(1), {
      stdio: ['ignore', out, err],
      env: { ...process.env, ...this.env },
      cwd: this.tmp
    })
    fs.closeSync(out)
    fs.closeSync(err)
    this.proc = proc
    this.pid = proc.pid
    this.exitPromise = new Promise(resolve => {
      proc.on('exit', (code, signal) => {
        if (this.proc === proc) this.exited = { code, signal }
        resolve({ code, signal })
      })
    })
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const text = fs.readFileSync(outPath, 'utf8')
      const m = READY_RE.exec(text)
      if (m) {
        this.kafka = m[1]
        this.http = m[2]
        log(`harness: ${this.name} ready: kafka=${this.kafka} http=${this.http} (pid ${this.pid})`)
        return this
      }
      if (this.exited) {
        this.proc = null
        throw new Error(`${this.name} exited (${JSON.stringify(this.exited)}) before the ready ` +
          `line; stdout:\n${text}\nstderr:\n${tail(errPath)}`)
      }
      if (Date.now() > deadline) {
        this._killQuietly()
        throw new Error(`${this.name} printed no ready line within ${timeoutMs / 1000} s; ` +
          `stdout:\n${text}\nstderr:\n${tail(errPath)}`)
      }
      await sleep(20)
    }
  }

  async stop (timeoutMs = 10000, expectCode = 0) {
    if (!this.running) {
      const ex = this.exited
      this.proc = null
      this.checkSanitizers()
      if (ex) {
        throw new Error(`${this.name} had already exited (${JSON.stringify(ex)}); stderr:\n` +
          tail(this.stderrFiles[this.stderrFiles.length - 1], 30))
      }
      return null
    }
    const t0 = Date.now()
    this.proc.kill('SIGTERM')
    const res = await Promise.race([this.exitPromise, sleep(timeoutMs).then(() => null)])
    if (!res) {
      this._killQuietly()
      this.checkSanitizers()
      throw new Error(`${this.name} did not exit within ${timeoutMs / 1000} s of SIGTERM`)
    }
    this.proc = null
    log(`harness: ${this.name} stopped: ${JSON.stringify(res)} after ${Date.now() - t0} ms`)
    this.checkSanitizers()
    if (expectCode !== null && res.code !== expectCode) {
      throw new Error(`${this.name} exited with ${JSON.stringify(res)} after SIGTERM ` +
        `(expected ${expectCode}); stderr:\n` +
        tail(this.stderrFiles[this.stderrFiles.length - 1], 30))
    }
    return res.code
  }

  async kill9 () {
    if (!this.running) throw new Error(`${this.name} is not running`)
    this.proc.kill('SIGKILL')
    await this.exitPromise
    this.proc = null
    log(`harness: ${this.name} killed with SIGKILL`)
  }

  async restart () {
    if (this.running) await this.stop()
    return this.start()
  }

  _killQuietly () {
    if (this.proc && this.exited === null) {
      try {
        process.kill(this.pid, 'SIGKILL')
      } catch (e) {}
    }
    this.proc = null
  }

  stderrText (all = false) {
    const files = all ? this.stderrFiles : this.stderrFiles.slice(-1)
    return files.map(f => {
      try {
        return fs.readFileSync(f, 'utf8')
      } catch (e) {
        return ''
      }
    }).join('')
  }

  checkSanitizers () {
    for (const f of this.stderrFiles) {
      let text = ''
      try {
        text = fs.readFileSync(f, 'utf8')
      } catch (e) {
        continue
      }
      const rep = sanitizerReport(text)
      if (rep) {
        throw new Error(`sanitizer report in ${path.basename(f)}: ` +
          `${rep.trim().split('\n')[0]}\n${rep}`)
      }
    }
  }

  async finish () {
    if (this.running) await this.stop()
    else {
      this.proc = null
      this.checkSanitizers()
    }
  }
}

class Test {
  constructor () {
    this.failed = 0
    this.names = new Set()
    this.brokers = []
  }

  _name (name) {
    name = String(name).split(/\s+/).join(' ').split(' # ').join(' - ')
    let n = name
    for (let i = 2; this.names.has(n); i++) n = `${name}#${i}`
    this.names.add(n)
    return n
  }

  ok (name) {
    process.stdout.write(`ok ${this._name(name)}\n`)
  }

  skip (name, reason) {
    process.stdout.write(`ok ${this._name(name)} # skip ${String(reason).split(/\s+/).join(' ')}\n`)
  }

  notOk (name, reason) {
    this.failed++
    let r = String(reason).split(/\s+/).join(' ')
    if (r.length > 400) r = r.slice(0, 400) + '...'
    process.stdout.write(`not ok ${this._name(name)} # ${r}\n`)
  }

  async broker (name = 'broker', opts = {}) {
    const b = new Broker(name, opts)
    this.brokers.push(b)
    await b.start()
    return b
  }

  /* Runs fn (async ok); ok if it resolves, not ok otherwise. Returns its result (true if
   * that is undefined), or undefined if it failed. */
  async case (name, fn) {
    log(`--- ${name}`)
    const t0 = Date.now()
    try {
      const res = await fn()
      log(`--- ${name}: ok (${((Date.now() - t0) / 1000).toFixed(2)} s)`)
      this.ok(name)
      return res === undefined ? true : res
    } catch (e) {
      log(e && e.stack ? e.stack : String(e))
      const msg = e && e.message ? e.message.trim().split('\n')[0] : String(e)
      this.notOk(name, `${(e && e.name) || 'Error'}: ${msg}`)
      return undefined
    }
  }
}

/* Runs body(t), then stops every broker (sub-result "NAME clean shutdown ..."), and exits
 * 1 if anything failed. */
function main (body) {
  const t = new Test()
  const script = path.basename(process.argv[1], '.js')
  ;(async () => {
    try {
      await body(t)
    } catch (e) {
      log(e && e.stack ? e.stack : String(e))
      t.notOk(`${script} (aborted)`, e && e.message ? e.message.split('\n')[0] : String(e))
    }
    for (const b of t.brokers) {
      await t.case(`${b.name} clean shutdown and no sanitizer reports`, () => b.finish())
    }
    process.exitCode = t.failed ? 1 : 0
    // client libraries may keep timers alive: leave on our own terms
    setTimeout(() => process.exit(process.exitCode), 200).unref()
  })().catch(e => {
    log(String(e && e.stack))
    process.exit(1)
  })
}

async function waitUntil (pred, timeoutMs, what, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      last = await pred()
      if (last) return last
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${last})`)
    }
    await sleep(intervalMs)
  }
}

/* Runs `$BUILD/runnel ARGS` synchronously: { status, stdout, stderr }. */
function runnel (args, { input, timeoutMs = 60000 } = {}) {
  return spawnSync(RUNNEL, args, { input, timeout: timeoutMs, encoding: 'utf8' })
}

/* Batch headers stored in a partition's segment files (codec, counts, offsets). */
function storedBatches (dataDir, topic, partition) {
  const dir = path.join(dataDir, 'topics', `${topic}-${partition}`)
  let names = []
  try {
    names = fs.readdirSync(dir).filter(n => n.endsWith('.log')).sort()
  } catch (e) {
    return []
  }
  const out = []
  for (const n of names) {
    const data = fs.readFileSync(path.join(dir, n))
    let pos = 0
    while (data.length - pos >= 61) {
      const len = data.readInt32BE(pos + 8)
      if (len < 49 || pos + 12 + len > data.length) break
      out.push({
        baseOffset: Number(data.readBigInt64BE(pos)),
        attributes: data.readInt16BE(pos + 21),
        codec: data.readInt16BE(pos + 21) & 7,
        count: data.readInt32BE(pos + 57)
      })
      pos += 12 + len
    }
  }
  return out
}

module.exports = { Broker, Test, main, log, sleep, waitUntil, runnel, storedBatches, RUNNEL, ROOT }

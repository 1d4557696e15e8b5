/*
 * tests/js/codecs.js - kafkajs compression codecs for lz4 and zstd built on pure-JS /
 * WebAssembly libraries (lz4js, zstd-codec), because the usual plugins (kafkajs-lz4,
 * @kafkajs/zstd) compile native code, which an offline machine cannot. snappy uses the
 * pure-JS kafkajs-snappy plugin as is.
 *
 * A kafkajs codec is a function returning { compress(encoder), decompress(buffer) },
 * both async and resolving to a Buffer.
 */
const lz4js = require('lz4js')
const { ZstdCodec } = require('zstd-codec')

function LZ4Codec () {
  return {
    async compress (encoder) {
      return Buffer.from(lz4js.compress(encoder.buffer))
    },
    async decompress (buffer) {
      return Buffer.from(lz4js.decompress(buffer))
    }
  }
}

let zstdSimple = null
function zstdReady () {
  if (zstdSimple) return Promise.resolve(zstdSimple)
  return new Promise(resolve => ZstdCodec.run(z => {
    zstdSimple = new z.Simple()
    resolve(zstdSimple)
  }))
}

function ZstdCodecJs () {
  return {
    async compress (encoder) {
      const z = await zstdReady()
      return Buffer.from(z.compress(encoder.buffer, 3))
    },
    async decompress (buffer) {
      const z = await zstdReady()
      return Buffer.from(z.decompress(buffer))
    }
  }
}

module.exports = { LZ4Codec, ZstdCodec: ZstdCodecJs, SnappyCodec: require('kafkajs-snappy') }

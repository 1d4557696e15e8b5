/*
 * kafka/record/compress.c - the Kafka codecs for RecordBatch records sections: gzip
 * (zlib), snappy (libsnappy; raw, plus the xerial snappy-java framing on input), lz4 (the
 * LZ4 frame format, liblz4) and zstd (libzstd). Declared in record.h.
 *
 * Invariant: decompression never appends more than max_out bytes. Streaming decoders are
 * handed at most max_out + 1 bytes of room in total: producing that extra byte proves the
 * input would exceed the limit, so a bomb fails after bounded work and memory. Where a
 * format declares its size up front (snappy, zstd, lz4 content size, gzip ISIZE) the
 * declaration is used to size the buffer or to reject early, never trusted for bounds.
 * Contexts are created per call: simple and thread-safe; a per-thread cache is an
 * optimisation for later if profiles show it.
 */
#define ZLIB_CONST /* next_in is const */
#include "kafka/record/record.h"

#include <limits.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* xerial snappy-java stream header: magic, then int32 version and int32 compat. */
static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_SIZE 16

/* Smallest first output allocation of a streaming decoder without a size hint. */
#define FIRST_ROOM ((size_t)16 << 10)

/* Upper bounds on each format's expansion ratio, used to distrust declared sizes before
 * allocating for them: deflate at most 1032:1; an lz4 sequence adds at most 255 output
 * bytes per input byte; a zstd RLE block (3-byte header + 1 byte) yields at most 128 KiB;
 * a snappy copy element (at least 2-3 bytes) yields at most 64 bytes. */
#define GZIP_MAX_RATIO   1032
#define LZ4_MAX_RATIO    256
#define ZSTD_MAX_RATIO   32768
#define SNAPPY_MAX_RATIO 32

/* zstd frames may declare windows up to 2^23 (8 MiB; levels up to 19 use at most that)
 * even when max_out is small; larger windows are accepted only if max_out is that large.
 * Bounds the decoder's window buffer for frames without a content size. */
#define ZSTD_MIN_WINDOW_LOG 23
#define ZSTD_MAX_WINDOW_LOG 27

static int codec_fail(rn_err *err, int code, const char *codec, const char *what)
{
    return rn_err_set(err, code, "%s records: %s", codec, what);
}

static int too_big(rn_err *err, const char *codec, size_t max_out)
{
    return rn_err_set(err, RN_EPROTO,
                      "%s records: decompressed size exceeds the limit of %zu bytes", codec,
                      max_out);
}

/* The most a len-byte input can plausibly expand to with the given ratio bound. */
static size_t plausible(size_t len, size_t ratio)
{
    return len > (SIZE_MAX - 131072) / ratio ? SIZE_MAX : len * ratio + 131072;
}

/* Makes free room after out->len for a streaming decoder and returns its size (0 on OOM).
 * produced is what this call has appended so far. The room doubles what was produced
 * (starting at `first`) and is clipped so the total never exceeds max_out + 1. */
static size_t out_room(rn_buf *out, size_t produced, size_t max_out, size_t first)
{
    size_t limit = max_out - produced; /* caller guarantees produced <= max_out */
    if (limit < SIZE_MAX) limit++;
    size_t want = produced > first ? produced : first;
    if (want > limit) want = limit;
    if (out->cap - out->len < want && rn_buf_reserve(out, want)) return 0;
    size_t have = out->cap - out->len;
    return have < limit ? have : limit;
}

/* ------------------------------------------------------------------ gzip */

static int gzip_decompress(const uint8_t *in, size_t len, size_t max_out, rn_buf *out, rn_err *err)
{
    if (len > UINT_MAX) return codec_fail(err, RN_EPROTO, "gzip", "input too large");
    size_t start = out->len;
    /* ISIZE (the last 4 bytes of a gzip member) hints at the output size; a wrong hint only
     * costs a reallocation. */
    size_t first = len < (SIZE_MAX / 4) ? len * 4 : len;
    if (len >= 18 && in[0] == 0x1f && in[1] == 0x8b) {
        uint32_t isize = (uint32_t)in[len - 4] | (uint32_t)in[len - 3] << 8 |
                         (uint32_t)in[len - 2] << 16 | (uint32_t)in[len - 1] << 24;
        if (isize < plausible(len, GZIP_MAX_RATIO)) first = (size_t)isize + 1;
    }
    if (first < FIRST_ROOM) first = FIRST_ROOM;

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 15 + 32: a 32 KiB window, gzip or zlib header detected automatically. */
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return codec_fail(err, RN_ENOMEM, "gzip", "cannot allocate the inflater");
    zs.next_in = in;
    zs.avail_in = (uInt)len;
    int rc;
    for (;;) {
        size_t produced = out->len - start;
        if (produced > max_out) {
            rc = too_big(err, "gzip", max_out);
            break;
        }
        size_t room = out_room(out, produced, max_out, first);
        if (room == 0) {
            rc = codec_fail(err, RN_ENOMEM, "gzip", "out of memory");
            break;
        }
        zs.next_out = out->p + out->len;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt avail = zs.avail_out;
        int zrc = inflate(&zs, Z_NO_FLUSH);
        out->len += avail - zs.avail_out;
        if (zrc == Z_STREAM_END) {
            if (zs.avail_in == 0) {
                rc = out->len - start > max_out ? too_big(err, "gzip", max_out) : RN_OK;
                break;
            }
            /* Another gzip member follows (as gzip(1) and Java's GZIPInputStream allow). */
            if (inflateReset(&zs) != Z_OK) {
                rc = codec_fail(err, RN_EPROTO, "gzip", "cannot reset the inflater");
                break;
            }
            continue;
        }
        if (zrc == Z_OK) continue;
        if (zrc == Z_BUF_ERROR && zs.avail_out == 0) continue; /* needs more room */
        if (zrc == Z_BUF_ERROR) {
            rc = codec_fail(err, RN_EPROTO, "gzip", "truncated stream");
        } else if (zrc == Z_MEM_ERROR) {
            rc = codec_fail(err, RN_ENOMEM, "gzip", "out of memory");
        } else {
            rc = rn_err_set(err, RN_EPROTO, "gzip records: corrupt stream (%s)",
                            zs.msg ? zs.msg : "no detail");
        }
        break;
    }
    inflateEnd(&zs);
    if (rc) out->len = start;
    return rc;
}

static int gzip_compress(const uint8_t *in, size_t len, rn_buf *out, rn_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 15 + 16: gzip wrapper (RFC 1952), as Kafka clients write. */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return codec_fail(err, RN_ENOMEM, "gzip", "cannot allocate the deflater");
    uLong bound = deflateBound(&zs, (uLong)len);
    int rc = RN_OK;
    if (bound > UINT_MAX) {
        rc = codec_fail(err, RN_EINVAL, "gzip", "input too large");
    } else if (rn_buf_reserve(out, (size_t)bound)) {
        rc = codec_fail(err, RN_ENOMEM, "gzip", "out of memory");
    } else {
        zs.next_in = in;
        zs.avail_in = (uInt)len;
        zs.next_out = out->p + out->len;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
            rc = codec_fail(err, RN_EINVAL, "gzip", "deflate did not finish");
        else
            out->len += (size_t)bound - zs.avail_out;
    }
    deflateEnd(&zs);
    return rc;
}

/* ------------------------------------------------------------------ snappy */

/* Decompresses one raw snappy block, appending to out within the limit. */
static int snappy_block(const uint8_t *in, size_t len, size_t start, size_t max_out, rn_buf *out,
                        rn_err *err)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)in, len, &ulen) != SNAPPY_OK)
        return codec_fail(err, RN_EPROTO, "snappy", "corrupt block length");
    if (ulen > max_out - (out->len - start)) return too_big(err, "snappy", max_out);
    if (ulen > plausible(len, SNAPPY_MAX_RATIO))
        return codec_fail(err, RN_EPROTO, "snappy", "block length larger than possible");
    if (rn_buf_reserve(out, ulen ? ulen : 1))
        return codec_fail(err, RN_ENOMEM, "snappy", "out of memory");
    size_t n = ulen;
    if (snappy_uncompress((const char *)in, len, (char *)(out->p + out->len), &n) != SNAPPY_OK ||
        n != ulen)
        return codec_fail(err, RN_EPROTO, "snappy", "corrupt block");
    out->len += n;
    return RN_OK;
}

static int snappy_decompress(const uint8_t *in, size_t len, size_t max_out, rn_buf *out,
                             rn_err *err)
{
    size_t start = out->len;
    int rc = RN_OK;
    if (len >= XERIAL_HEADER_SIZE && memcmp(in, xerial_magic, sizeof xerial_magic) == 0) {
        /* snappy-java (Java producers): int32 version and compat (ignored, as librdkafka
         * does), then blocks of int32 length + raw snappy. */
        size_t off = XERIAL_HEADER_SIZE;
        while (rc == RN_OK && off < len) {
            if (len - off < 4) {
                rc = codec_fail(err, RN_EPROTO, "snappy", "truncated xerial block length");
                break;
            }
            size_t blen = rn_be32_load(in + off);
            off += 4;
            if (blen > len - off) {
                rc = codec_fail(err, RN_EPROTO, "snappy", "xerial block runs past the end");
                break;
            }
            rc = snappy_block(in + off, blen, start, max_out, out, err);
            off += blen;
        }
    } else {
        rc = snappy_block(in, len, start, max_out, out, err);
    }
    if (rc) out->len = start;
    return rc;
}

static int snappy_compress_raw(const uint8_t *in, size_t len, rn_buf *out, rn_err *err)
{
    size_t bound = snappy_max_compressed_length(len);
    if (rn_buf_reserve(out, bound)) return codec_fail(err, RN_ENOMEM, "snappy", "out of memory");
    size_t n = bound;
    if (snappy_compress((const char *)in, len, (char *)(out->p + out->len), &n) != SNAPPY_OK)
        return codec_fail(err, RN_EINVAL, "snappy", "compression failed");
    out->len += n;
    return RN_OK;
}

/* ------------------------------------------------------------------ lz4 */

static int lz4_decompress(const uint8_t *in, size_t len, size_t max_out, rn_buf *out, rn_err *err)
{
    size_t start = out->len;
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return codec_fail(err, RN_ENOMEM, "lz4", "cannot allocate the decoder");

    int rc = RN_OK;
    size_t first = len < (SIZE_MAX / 4) ? len * 4 : len;
    /* The frame header may carry the content size: size the buffer, reject bombs early. */
    LZ4F_frameInfo_t fi;
    size_t in_off = len;
    size_t r = LZ4F_getFrameInfo(dctx, &fi, in, &in_off);
    if (LZ4F_isError(r)) {
        rc = rn_err_set(err, RN_EPROTO, "lz4 records: bad frame header (%s)", LZ4F_getErrorName(r));
        goto out;
    }
    if (fi.frameType == LZ4F_frame && fi.contentSize > 0) {
        if (fi.contentSize > max_out) {
            rc = too_big(err, "lz4", max_out);
            goto out;
        }
        if (fi.contentSize < plausible(len, LZ4_MAX_RATIO)) first = (size_t)fi.contentSize + 1;
    }
    if (first < FIRST_ROOM) first = FIRST_ROOM;

    /* r is the decoder's hint: 0 once a frame is complete. Further frames may follow. */
    while (in_off < len || r != 0) {
        size_t produced = out->len - start;
        if (produced > max_out) {
            rc = too_big(err, "lz4", max_out);
            goto out;
        }
        size_t room = out_room(out, produced, max_out, first);
        if (room == 0) {
            rc = codec_fail(err, RN_ENOMEM, "lz4", "out of memory");
            goto out;
        }
        size_t osz = room, isz = len - in_off;
        r = LZ4F_decompress(dctx, out->p + out->len, &osz, in + in_off, &isz, NULL);
        if (LZ4F_isError(r)) {
            rc =
                rn_err_set(err, RN_EPROTO, "lz4 records: corrupt frame (%s)", LZ4F_getErrorName(r));
            goto out;
        }
        out->len += osz;
        in_off += isz;
        if (osz == 0 && isz == 0 && r != 0) {
            rc = codec_fail(err, RN_EPROTO, "lz4", "truncated frame");
            goto out;
        }
    }
    if (out->len - start > max_out) rc = too_big(err, "lz4", max_out);
out:
    LZ4F_freeDecompressionContext(dctx);
    if (rc) out->len = start;
    return rc;
}

static int lz4_compress(const uint8_t *in, size_t len, rn_buf *out, rn_err *err)
{
    /* Independent blocks: Kafka's Java reader requires them (as librdkafka notes). */
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    size_t bound = LZ4F_compressFrameBound(len, &prefs);
    if (rn_buf_reserve(out, bound)) return codec_fail(err, RN_ENOMEM, "lz4", "out of memory");
    size_t n = LZ4F_compressFrame(out->p + out->len, bound, in, len, &prefs);
    if (LZ4F_isError(n))
        return rn_err_set(err, RN_EINVAL, "lz4 records: compression failed (%s)",
                          LZ4F_getErrorName(n));
    out->len += n;
    return RN_OK;
}

/* ------------------------------------------------------------------ zstd */

/* Counts the frames of a zstd input, which must be a sequence of whole current-format
 * (v0.8+) or skippable frames; returns 0 if it is not. Refusing the legacy formats keeps
 * libzstd's old decoders, which no Kafka client writes, away from untrusted input. Cheap:
 * only frame and block headers are read. */
static size_t zstd_count_frames(const uint8_t *in, size_t len)
{
    size_t off = 0, n = 0;
    while (off < len) {
        if (len - off < 4) return 0;
        uint32_t magic = (uint32_t)in[off] | (uint32_t)in[off + 1] << 8 |
                         (uint32_t)in[off + 2] << 16 | (uint32_t)in[off + 3] << 24;
        if (magic != ZSTD_MAGICNUMBER &&
            (magic & ZSTD_MAGIC_SKIPPABLE_MASK) != ZSTD_MAGIC_SKIPPABLE_START)
            return 0;
        size_t fsz = ZSTD_findFrameCompressedSize(in + off, len - off);
        if (ZSTD_isError(fsz) || fsz == 0 || fsz > len - off) return 0;
        off += fsz;
        n++;
    }
    return n;
}

static int zstd_decompress(const uint8_t *in, size_t len, size_t max_out, rn_buf *out, rn_err *err)
{
    size_t start = out->len;
    size_t nframes = zstd_count_frames(in, len);
    if (nframes == 0) return codec_fail(err, RN_EPROTO, "zstd", "not a sequence of whole frames");
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx) return codec_fail(err, RN_ENOMEM, "zstd", "cannot allocate the decoder");
    int rc = RN_OK;
    size_t first = len < (SIZE_MAX / 4) ? len * 4 : len;
    unsigned long long fcs = ZSTD_getFrameContentSize(in, len);
    if (fcs == ZSTD_CONTENTSIZE_ERROR) {
        rc = codec_fail(err, RN_EPROTO, "zstd", "bad frame header");
        goto out;
    }
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN) {
        /* The first frame alone would exceed the limit (or is corrupt). */
        if (fcs > max_out) {
            rc = too_big(err, "zstd", max_out);
            goto out;
        }
        if (nframes == 1 && fcs <= plausible(len, ZSTD_MAX_RATIO)) {
            /* One frame of known size, as librdkafka writes: decode in one shot straight
             * into its final place, with no window buffer. */
            if (rn_buf_reserve(out, fcs ? (size_t)fcs : 1)) {
                rc = codec_fail(err, RN_ENOMEM, "zstd", "out of memory");
                goto out;
            }
            size_t n = ZSTD_decompressDCtx(dctx, out->p + out->len, (size_t)fcs, in, len);
            if (ZSTD_isError(n) || n != fcs)
                rc = rn_err_set(err, RN_EPROTO, "zstd records: corrupt frame (%s)",
                                ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch");
            else
                out->len += n;
            goto out;
        }
        if (fcs < plausible(len, ZSTD_MAX_RATIO)) first = (size_t)fcs + 1;
    }
    if (first < FIRST_ROOM) first = FIRST_ROOM;

    /* Streaming: frames without a content size (Java's zstd-jni) or several frames. */
    int wlog = ZSTD_MIN_WINDOW_LOG;
    while (wlog < ZSTD_MAX_WINDOW_LOG && ((size_t)1 << wlog) < max_out)
        wlog++;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, wlog))) {
        rc = codec_fail(err, RN_ENOMEM, "zstd", "cannot configure the decoder");
        goto out;
    }
    ZSTD_inBuffer ib = {in, len, 0};
    for (;;) {
        size_t produced = out->len - start;
        if (produced > max_out) {
            rc = too_big(err, "zstd", max_out);
            goto out;
        }
        size_t room = out_room(out, produced, max_out, first);
        if (room == 0) {
            rc = codec_fail(err, RN_ENOMEM, "zstd", "out of memory");
            goto out;
        }
        ZSTD_outBuffer ob = {out->p + out->len, room, 0};
        size_t in_before = ib.pos;
        size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(r)) {
            rc = rn_err_set(err, RN_EPROTO, "zstd records: corrupt frame (%s)",
                            ZSTD_getErrorName(r));
            goto out;
        }
        out->len += ob.pos;
        if (r == 0 && ib.pos == ib.size) break; /* last frame complete and flushed */
        if (ob.pos < ob.size && ib.pos == ib.size) {
            rc = codec_fail(err, RN_EPROTO, "zstd", "truncated frame");
            goto out;
        }
        if (ob.pos == 0 && ib.pos == in_before) {
            rc = codec_fail(err, RN_EPROTO, "zstd", "decoder made no progress");
            goto out;
        }
    }
    if (out->len - start > max_out) rc = too_big(err, "zstd", max_out);
out:
    ZSTD_freeDCtx(dctx);
    if (rc) out->len = start;
    return rc;
}

static int zstd_compress(const uint8_t *in, size_t len, rn_buf *out, rn_err *err)
{
    size_t bound = ZSTD_compressBound(len);
    if (rn_buf_reserve(out, bound)) return codec_fail(err, RN_ENOMEM, "zstd", "out of memory");
    size_t n = ZSTD_compress(out->p + out->len, bound, in, len, ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(n))
        return rn_err_set(err, RN_EINVAL, "zstd records: compression failed (%s)",
                          ZSTD_getErrorName(n));
    out->len += n;
    return RN_OK;
}

/* ------------------------------------------------------------------ dispatch */

int rn_batch_decompress(int codec, const uint8_t *in, size_t len, size_t max_out, rn_buf *out,
                        rn_err *err)
{
    switch (codec) {
    case RN_CODEC_NONE:
        if (len > max_out) return too_big(err, "uncompressed", max_out);
        if (len && !rn_buf_append(out, in, len))
            return codec_fail(err, RN_ENOMEM, "uncompressed", "out of memory");
        return RN_OK;
    case RN_CODEC_GZIP:
        return gzip_decompress(in, len, max_out, out, err);
    case RN_CODEC_SNAPPY:
        return snappy_decompress(in, len, max_out, out, err);
    case RN_CODEC_LZ4:
        return lz4_decompress(in, len, max_out, out, err);
    case RN_CODEC_ZSTD:
        return zstd_decompress(in, len, max_out, out, err);
    default:
        return rn_err_set(err, RN_EPROTO, "records: unknown compression codec %d", codec);
    }
}

int rn_batch_compress(int codec, const uint8_t *in, size_t len, rn_buf *out, rn_err *err)
{
    size_t start = out->len;
    int rc;
    switch (codec) {
    case RN_CODEC_NONE:
        rc = len && !rn_buf_append(out, in, len)
                 ? codec_fail(err, RN_ENOMEM, "uncompressed", "out of memory")
                 : RN_OK;
        break;
    case RN_CODEC_GZIP:
        rc = gzip_compress(in, len, out, err);
        break;
    case RN_CODEC_SNAPPY:
        rc = snappy_compress_raw(in, len, out, err);
        break;
    case RN_CODEC_LZ4:
        rc = lz4_compress(in, len, out, err);
        break;
    case RN_CODEC_ZSTD:
        rc = zstd_compress(in, len, out, err);
        break;
    default:
        return rn_err_set(err, RN_EINVAL, "records: unknown compression codec %d", codec);
    }
    if (rc) out->len = start;
    return rc;
}

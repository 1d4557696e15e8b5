/*
 * common/crc32c.h - CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2.
 */
#ifndef RN_COMMON_CRC32C_H
#define RN_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (start with 0) over len bytes. Uses SSE4.2 when the CPU has it. */
uint32_t rn_crc32c(uint32_t crc, const void *data, size_t len);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: file helpers shared by the firmware slots and the object store. */
#ifndef POSIX_FILE_H
#define POSIX_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/status.h>

/* CRC-32 (IEEE 802.3, as zlib computes it) continued over p[0..n): start with
 * 0xFFFFFFFF and invert the final value; posix_crc32 does both. */
uint32_t posix_crc32_update(uint32_t crc, const uint8_t *p, size_t n);
uint32_t posix_crc32(const uint8_t *p, size_t n);

void posix_put_le32(uint8_t *p, uint32_t v);
uint32_t posix_get_le32(const uint8_t *p);

/* fsync a directory so that renames and unlinks in it are durable. File
 * systems that cannot sync directories (EINVAL, EROFS) order them anyway. */
iot_status_t posix_fsync_dir(const char *dir);

/* Create dir and its missing parents with mode 0700, and store its absolute,
 * resolved path (at most max bytes) in out (max + 1 bytes): later chdir()
 * calls then cannot move the data. IOT_ERR_INVALID_ARG for an empty or too
 * long path, IOT_ERR_IO when it cannot be created or is not a directory. */
iot_status_t posix_private_dir(const char *dir, size_t max, char *out);

#endif /* POSIX_FILE_H */

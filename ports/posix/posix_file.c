/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: file helpers shared by the firmware slots and the object store. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_file.h"

uint32_t posix_crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    size_t i;
    int bit;

    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc;
}

uint32_t posix_crc32(const uint8_t *p, size_t n)
{
    return posix_crc32_update(0xFFFFFFFFu, p, n) ^ 0xFFFFFFFFu;
}

void posix_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint32_t posix_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

iot_status_t posix_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;

    if (fd < 0) {
        return IOT_ERR_IO;
    }
    r = fsync(fd);
    if (r != 0 && (errno == EINVAL || errno == EROFS)) {
        r = 0;
    }
    (void)close(fd);
    return (r == 0) ? IOT_OK : IOT_ERR_IO;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static iot_status_t make_dirs(char *path)
{
    size_t i;

    for (i = 1; path[i] != '\0'; i++) {
        if (path[i] == '/' && path[i - 1] != '/') {
            path[i] = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                path[i] = '/';
                return IOT_ERR_IO;
            }
            path[i] = '/';
        }
    }
    return (mkdir(path, 0700) != 0 && errno != EEXIST) ? IOT_ERR_IO : IOT_OK;
}

iot_status_t posix_private_dir(const char *dir, size_t max, char *out)
{
    char copy[PATH_MAX];
    char resolved[PATH_MAX];
    struct stat sb;
    size_t len;
    iot_status_t st;

    if (dir == NULL || dir[0] == '\0') {
        return IOT_ERR_INVALID_ARG;
    }
    len = strnlen(dir, sizeof(copy));
    if (len > max || len >= sizeof(copy)) {
        return IOT_ERR_INVALID_ARG;
    }
    memcpy(copy, dir, len + 1u);
    st = make_dirs(copy);
    if (st != IOT_OK) {
        return st;
    }
    if (realpath(dir, resolved) == NULL || stat(resolved, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        return IOT_ERR_IO;
    }
    len = strlen(resolved);
    if (len > max) {
        return IOT_ERR_INVALID_ARG;
    }
    memcpy(out, resolved, len + 1u);
    return IOT_OK;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: entropy from the kernel's CSPRNG (getrandom). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <sys/random.h>

#include <corstone_iot/port.h>

iot_status_t iot_port_entropy(uint8_t *buf, size_t len)
{
    size_t done = 0;

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return IOT_ERR_ENTROPY;
        }
        done += (size_t)n;
    }
    return IOT_OK;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: the default log sink writes one line per call to stderr. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include <corstone_iot/port.h>

void iot_port_log_write(iot_log_level_t level, const char *module, const char *line, size_t len)
{
    static const char *const names[] = { "E", "W", "I", "D" };
    const char *tag = ((unsigned)level < 4u) ? names[level] : "?";

    /* One fprintf per line: stdio locks the stream, so lines from different
     * threads never interleave. */
    (void)fprintf(stderr, "[%s] %s: %.*s\n", tag, module, (int)len, line);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The default log sink: one line per call on the board's console UART. */
#include <corstone_iot/port.h>

#include "cortex_m.h"

static void put(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    iot_board_console_write(s, n);
}

void iot_port_log_write(iot_log_level_t level, const char *module, const char *line, size_t len)
{
    static const char *const tags[] = { "[E] ", "[W] ", "[I] ", "[D] " };

    put(((unsigned)level < 4u) ? tags[level] : "[?] ");
    put(module != NULL ? module : "iot");
    put(": ");
    if (line != NULL) {
        iot_board_console_write(line, len);
    }
    put("\n");
}

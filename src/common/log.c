/* SPDX-License-Identifier: Apache-2.0 */
/* Log dispatch: formats a line into a bounded stack buffer and hands it to the sink. */
#include <stdarg.h>

#include <corstone_iot/port.h>

#include "iot_format.h"
#include "iot_internal.h"

/* Written only during start-up (documented in log.h); read on every line. */
static iot_log_sink_t g_sink;
static void *g_sink_user;
static volatile iot_log_level_t g_level = IOT_LOG_INFO;

void iot_log_set_sink(iot_log_sink_t sink, void *user)
{
    g_sink = sink;
    g_sink_user = user;
}

void iot_log_set_level(iot_log_level_t level)
{
    /* Compare as int: the enum's underlying type may be unsigned. */
    int value = (int)level;

    if (value < (int)IOT_LOG_ERROR) {
        value = (int)IOT_LOG_ERROR;
    } else if (value > (int)IOT_LOG_DEBUG) {
        value = (int)IOT_LOG_DEBUG;
    }
    g_level = (iot_log_level_t)value;
}

iot_log_level_t iot_log_get_level(void)
{
    return g_level;
}

void iot_internal_log(iot_log_level_t level, const char *module, const char *fmt, ...)
{
    char line[IOT_CONFIG_LOG_LINE_MAX];
    va_list ap;
    size_t n;
    size_t len;

    if (level > g_level || fmt == NULL) {
        return;
    }
    va_start(ap, fmt);
    n = iot_internal_vformat(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* A cut line keeps its first IOT_CONFIG_LOG_LINE_MAX - 1 bytes. */
    len = (n < sizeof(line)) ? n : sizeof(line) - 1u;
    if (module == NULL) {
        module = "iot";
    }
    if (g_sink != NULL) {
        g_sink(level, module, line, len, g_sink_user);
    } else {
        iot_port_log_write(level, module, line, len);
    }
}

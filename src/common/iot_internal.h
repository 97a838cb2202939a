/* SPDX-License-Identifier: Apache-2.0 */
/* Private helpers shared by the portable core: argument checks and logging macros. */
#ifndef IOT_INTERNAL_H
#define IOT_INTERNAL_H

#include <corstone_iot/config.h>
#include <corstone_iot/log.h>
#include <corstone_iot/status.h>

/* Precondition check for public functions; compiled out when
 * IOT_CONFIG_CHECK_ARGS is 0 (documented in config.h). */
#if IOT_CONFIG_CHECK_ARGS
#define IOT_CHECK_ARG(cond)                  \
    do {                                     \
        if (!(cond)) {                       \
            return IOT_ERR_INVALID_ARG;      \
        }                                    \
    } while (0)
#else
#define IOT_CHECK_ARG(cond) ((void)0)
#endif

/* Keeps a static function out of line. At -Os GCC inlines a static
 * function into each of its callers when it judges that no larger, and for a
 * function with two or three callers it often misjudges; this makes one copy
 * whatever the compiler guesses. Only for code size: nothing depends on it. */
#if defined(__GNUC__) || defined(__clang__)
#define IOT_NOINLINE __attribute__((noinline))
#elif defined(__ICCARM__)
#define IOT_NOINLINE _Pragma("inline=never")
#else
#define IOT_NOINLINE
#endif

/* printf-style logging into the configured sink. Use the IOT_LOG* macros,
 * which drop levels below IOT_CONFIG_LOG_LEVEL at compile time. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
void iot_internal_log(iot_log_level_t level, const char *module, const char *fmt, ...);

#if IOT_CONFIG_LOG_LEVEL >= 0
#define IOT_LOGE(module, ...) iot_internal_log(IOT_LOG_ERROR, module, __VA_ARGS__)
#else
#define IOT_LOGE(module, ...) ((void)0)
#endif
#if IOT_CONFIG_LOG_LEVEL >= 1
#define IOT_LOGW(module, ...) iot_internal_log(IOT_LOG_WARN, module, __VA_ARGS__)
#else
#define IOT_LOGW(module, ...) ((void)0)
#endif
#if IOT_CONFIG_LOG_LEVEL >= 2
#define IOT_LOGI(module, ...) iot_internal_log(IOT_LOG_INFO, module, __VA_ARGS__)
#else
#define IOT_LOGI(module, ...) ((void)0)
#endif
#if IOT_CONFIG_LOG_LEVEL >= 3
#define IOT_LOGD(module, ...) iot_internal_log(IOT_LOG_DEBUG, module, __VA_ARGS__)
#else
#define IOT_LOGD(module, ...) ((void)0)
#endif

#endif /* IOT_INTERNAL_H */

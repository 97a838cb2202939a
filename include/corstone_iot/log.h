/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file log.h
 * @brief Logging: levels, a compile-time floor and a run-time sink.
 *
 * The SDK formats each log line into a fixed stack buffer of
 * ::IOT_CONFIG_LOG_LINE_MAX bytes and hands it to one sink. By default the
 * sink is the port's (stderr on posix, the UART on boards). Messages below
 * ::IOT_CONFIG_LOG_LEVEL are removed at compile time; the run-time level can
 * only raise the floor further.
 */
#ifndef CORSTONE_IOT_LOG_H
#define CORSTONE_IOT_LOG_H

#include <corstone_iot/export.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Severity of a log line. Lower is more severe. */
typedef enum iot_log_level {
    IOT_LOG_ERROR = 0, /**< A failure the application should know about. */
    IOT_LOG_WARN = 1,  /**< Something unexpected that the SDK recovered from. */
    IOT_LOG_INFO = 2,  /**< A state change: connected, subscribed, update installed. */
    IOT_LOG_DEBUG = 3  /**< Detail for development: packets, retries, timings. */
} iot_log_level_t;

/**
 * @brief A log sink.
 *
 * @param level  Severity of the line.
 * @param module Short name of the SDK module that logged ("mqtt", "tls", ...),
 *               a static string.
 * @param line   The formatted message, NUL-terminated, without a trailing
 *               newline. Valid only during the call.
 * @param len    strlen(line).
 * @param user   The pointer given to iot_log_set_sink().
 *
 * The sink may be called from any thread that calls into the SDK,
 * including the posix background thread; it must not call back into the SDK.
 */
typedef void (*iot_log_sink_t)(iot_log_level_t level, const char *module,
                               const char *line, size_t len, void *user);

/**
 * @brief Replace the log sink.
 *
 * @param sink The new sink, or NULL to restore the port's default sink.
 * @param user Passed unchanged to every call of @p sink.
 * @par Thread safety
 * Call it during start-up, before other threads use the SDK.
 */
IOT_API void iot_log_set_sink(iot_log_sink_t sink, void *user);

/**
 * @brief Set the run-time log level.
 *
 * Lines less severe than @p level are dropped. Levels below the compile-time
 * floor ::IOT_CONFIG_LOG_LEVEL were compiled out and cannot be enabled here.
 *
 * @param level The least severe level still logged.
 * @par Thread safety
 * Safe from any thread; takes effect for lines logged after it returns.
 */
IOT_API void iot_log_set_level(iot_log_level_t level);

/**
 * @brief The current run-time log level.
 * @return The level set by iot_log_set_level(), or ::IOT_LOG_INFO by default.
 */
IOT_API iot_log_level_t iot_log_get_level(void);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_LOG_H */

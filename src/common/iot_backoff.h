/* SPDX-License-Identifier: Apache-2.0 */
/* Exponential back-off with full jitter, for reconnect attempts. */
#ifndef IOT_BACKOFF_H
#define IOT_BACKOFF_H

#include <stdint.h>

typedef struct iot_backoff {
    uint32_t base_ms;
    uint32_t max_ms;
    uint32_t attempt;
    uint32_t rng; /* xorshift32 state: jitter needs spread, not secrecy */
} iot_backoff_t;

/* base_ms and max_ms of 0 take the configured defaults; seed 0 is replaced. */
void iot_backoff_init(iot_backoff_t *b, uint32_t base_ms, uint32_t max_ms, uint32_t seed);

/* The next delay: uniform in [0, min(max, base * 2^attempt)], then attempt++. */
uint32_t iot_backoff_next(iot_backoff_t *b);

/* Start again from base (after a connection proved stable). */
void iot_backoff_reset(iot_backoff_t *b);

#endif /* IOT_BACKOFF_H */

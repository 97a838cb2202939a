/* SPDX-License-Identifier: Apache-2.0 */
/* Exponential back-off with full jitter: spreads a fleet's reconnects after an outage. */
#include <corstone_iot/config.h>

#include "iot_backoff.h"

void iot_backoff_init(iot_backoff_t *b, uint32_t base_ms, uint32_t max_ms, uint32_t seed)
{
    b->base_ms = (base_ms != 0u) ? base_ms : IOT_CONFIG_BACKOFF_BASE_MS;
    b->max_ms = (max_ms != 0u) ? max_ms : IOT_CONFIG_BACKOFF_MAX_MS;
    if (b->max_ms < b->base_ms) {
        b->max_ms = b->base_ms;
    }
    b->attempt = 0;
    b->rng = (seed != 0u) ? seed : 0x9e3779b9u;
}

static uint32_t next_random(iot_backoff_t *b)
{
    uint32_t x = b->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b->rng = x;
    return x;
}

uint32_t iot_backoff_next(iot_backoff_t *b)
{
    uint32_t ceiling = b->base_ms;
    uint32_t i;

    /* Doubling stops at max, so the shift never overflows. */
    for (i = 0; i < b->attempt && ceiling < b->max_ms; i++) {
        ceiling = (ceiling > b->max_ms / 2u) ? b->max_ms : ceiling * 2u;
    }
    if (b->attempt < 32u) {
        b->attempt++;
    }
    return next_random(b) % (ceiling + 1u);
}

void iot_backoff_reset(iot_backoff_t *b)
{
    b->attempt = 0;
}

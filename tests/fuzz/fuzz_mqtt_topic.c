/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: topic name and filter validation and matching (4.7), which
 * run on topics from the network and on filters from the application. The
 * input is split at the first 0xFF byte (never valid UTF-8) into a filter
 * and a name. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqtt_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *split = memchr(data, 0xFF, size);
    size_t flen = split ? (size_t)(split - data) : size;
    mqtt_span_t filter = { data, flen };
    mqtt_span_t name = { split ? split + 1 : data + size, split ? size - flen - 1u : 0u };

    iot_status_t fst = mqtt_validate_topic_filter(filter);
    iot_status_t nst = mqtt_validate_topic_name(name);
    FUZZ_CHECK(fst == IOT_OK || fst == IOT_ERR_BAD_TOPIC);
    FUZZ_CHECK(nst == IOT_OK || nst == IOT_ERR_BAD_TOPIC);
    if (fst == IOT_OK && nst == IOT_OK) {
        bool m = mqtt_topic_matches(filter, name);
        /* A valid name has no wildcards, so as a filter it matches itself. */
        FUZZ_CHECK(mqtt_topic_matches(name, name));
        /* '#' matches every name that does not start with '$' (4.7.2). */
        mqtt_span_t all = { (const uint8_t *)"#", 1u };
        FUZZ_CHECK(mqtt_topic_matches(all, name) == (name.data[0] != '$'));
        if (flen == name.len && memcmp(filter.data, name.data, flen) == 0) {
            FUZZ_CHECK(m);
        }
    }
    return 0;
}

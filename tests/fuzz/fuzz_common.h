/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the fuzz targets: an abort that names the broken invariant. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

/* An invariant the code under test promises (a round trip, a documented
 * status code). Unlike assert() it stays active in every build type, so a
 * violation is a crash libFuzzer records. */
#define FUZZ_CHECK(cond)                                                                \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

#endif /* FUZZ_COMMON_H */

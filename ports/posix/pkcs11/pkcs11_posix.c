/* SPDX-License-Identifier: Apache-2.0 */
/*
 * posix side of the PKCS#11 module: where the key store lives and what the
 * user PIN is, from the environment of the process that loads the module.
 *
 *   CORSTONE_IOT_PKCS11_STORE  the key store directory (required; created
 *                              0700 if missing; never the working directory)
 *   CORSTONE_IOT_PKCS11_PIN    the user PIN, 4 to IOT_CONFIG_PKCS11_MAX_PIN_LEN
 *                              bytes (without it nobody can log in)
 *   CORSTONE_IOT_PKCS11_LOG    log level 0..3 (error..debug); default 1, warnings
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/log.h>
#include <corstone_iot/posix.h>

#include "pkcs11/iot_pkcs11_internal.h"

iot_status_t iot_pkcs11_platform_init(const char **pin, size_t *pin_len)
{
    const char *dir = getenv("CORSTONE_IOT_PKCS11_STORE");
    const char *level = getenv("CORSTONE_IOT_PKCS11_LOG");
    const char *p = getenv("CORSTONE_IOT_PKCS11_PIN");

    /* A module's messages go to the host program's stderr: warnings and
     * errors only, unless asked for more. */
    if (level != NULL && level[0] >= '0' && level[0] <= '3' && level[1] == '\0') {
        iot_log_set_level((iot_log_level_t)(level[0] - '0'));
    } else {
        iot_log_set_level(IOT_LOG_WARN);
    }
    *pin = p;
    *pin_len = (p != NULL) ? strlen(p) : 0u;
    if (dir == NULL || dir[0] == '\0') {
        return IOT_ERR_BAD_STATE;
    }
    return iot_posix_store_set_dir(dir);
}

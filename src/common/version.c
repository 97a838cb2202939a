/* SPDX-License-Identifier: Apache-2.0 */
/* Run-time version of the linked library. */
#include <corstone_iot/version.h>

uint32_t iot_version(void)
{
    return IOT_VERSION;
}

const char *iot_version_string(void)
{
    return IOT_VERSION_STRING;
}

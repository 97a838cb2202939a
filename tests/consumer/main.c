/* SPDX-License-Identifier: Apache-2.0 */
/* A downstream program: checks that the headers and the library it was
 * linked with agree, and that the status API works from outside. */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/iot.h>

int main(int argc, char **argv)
{
    const char *expect = (argc > 1) ? argv[1] : IOT_VERSION_STRING;

    if (iot_version() != IOT_VERSION || strcmp(iot_version_string(), expect) != 0) {
        fprintf(stderr, "version mismatch: headers %s, library %s, expected %s\n",
                IOT_VERSION_STRING, iot_version_string(), expect);
        return 1;
    }
    if (strcmp(iot_status_name(IOT_ERR_TIMEOUT), "IOT_ERR_TIMEOUT") != 0) {
        fprintf(stderr, "iot_status_name is broken\n");
        return 1;
    }
    printf("corstone-iot %s: %s\n", iot_version_string(), iot_strerror(IOT_OK));
    return 0;
}

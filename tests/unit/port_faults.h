/* SPDX-License-Identifier: Apache-2.0 */
/* Failing storage for unit tests: an executable linked with
 * -Wl,--wrap=iot_port_store_set (and the other calls below; see
 * tests/CMakeLists.txt) gets these wrappers instead of the port's calls.
 * g_fault_at >= 0 makes that call (counting from 0) fail with an I/O error,
 * without touching the files, as failing flash would; a slot write fails
 * with "storage full" instead on every other try. Define PORT_FAULTS_FW to
 * wrap the firmware-slot calls as well. Include in one file only. */
#ifndef CORSTONE_IOT_TEST_PORT_FAULTS_H
#define CORSTONE_IOT_TEST_PORT_FAULTS_H

#include <stdbool.h>

#include <corstone_iot/port.h>

static int g_fault_at = -1;
static int g_fault_calls;
static int g_faults_hit;
static const char *g_fault_name;

/* Arms a failure of call n (negative: none). */
static void fault_arm(int n)
{
    g_fault_calls = 0;
    g_faults_hit = 0;
    g_fault_name = "";
    g_fault_at = n;
}

#define fault_now() fault_now_(__func__)
static bool fault_now_(const char *name)
{
    if (g_fault_at < 0) {
        return false;
    }
    if (g_fault_calls++ == g_fault_at) {
        g_fault_name = name;
        g_faults_hit++;
        return true;
    }
    return false;
}

#ifdef PORT_FAULTS_FW
#define WRAP_FW(name, params, args)                                                   \
    iot_status_t __real_iot_port_fw_##name params;                                    \
    iot_status_t __wrap_iot_port_fw_##name params;                                    \
    iot_status_t __wrap_iot_port_fw_##name params                                     \
    {                                                                                 \
        return fault_now() ? IOT_ERR_IO : __real_iot_port_fw_##name args;             \
    }

WRAP_FW(query, (iot_port_fw_component_t c, iot_port_fw_info_t *i), (c, i))
WRAP_FW(start, (iot_port_fw_component_t c), (c))
WRAP_FW(read, (iot_port_fw_component_t c, uint32_t o, uint8_t *b, size_t n), (c, o, b, n))
WRAP_FW(finish, (iot_port_fw_component_t c), (c))
WRAP_FW(install, (iot_port_fw_component_t c), (c))
WRAP_FW(cancel, (iot_port_fw_component_t c), (c))
WRAP_FW(accept, (iot_port_fw_component_t c), (c))
WRAP_FW(reject, (iot_port_fw_component_t c), (c))
WRAP_FW(read_active, (iot_port_fw_component_t c, uint32_t o, uint8_t *b, size_t n, uint32_t *z),
        (c, o, b, n, z))

iot_status_t __real_iot_port_fw_write(iot_port_fw_component_t c, uint32_t o, const uint8_t *d,
                                      size_t n);
iot_status_t __wrap_iot_port_fw_write(iot_port_fw_component_t c, uint32_t o, const uint8_t *d,
                                      size_t n);
iot_status_t __wrap_iot_port_fw_write(iot_port_fw_component_t c, uint32_t o, const uint8_t *d,
                                      size_t n)
{
    if (fault_now()) {
        return (g_fault_at % 2 == 0) ? IOT_ERR_IO : IOT_ERR_STORAGE_FULL;
    }
    return __real_iot_port_fw_write(c, o, d, n);
}

#if defined(IOT_PORT_FW_HAS_SYNC) && IOT_PORT_FW_HAS_SYNC
WRAP_FW(sync, (iot_port_fw_component_t c), (c))

iot_status_t __real_iot_port_fw_write_unsynced(iot_port_fw_component_t c, uint32_t o,
                                               const uint8_t *d, size_t n);
iot_status_t __wrap_iot_port_fw_write_unsynced(iot_port_fw_component_t c, uint32_t o,
                                               const uint8_t *d, size_t n);
iot_status_t __wrap_iot_port_fw_write_unsynced(iot_port_fw_component_t c, uint32_t o,
                                               const uint8_t *d, size_t n)
{
    return fault_now() ? IOT_ERR_IO : __real_iot_port_fw_write_unsynced(c, o, d, n);
}
#endif

#endif

iot_status_t __real_iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len);
iot_status_t __wrap_iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len);
iot_status_t __wrap_iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len)
{
    return fault_now() ? IOT_ERR_IO : __real_iot_port_store_set(uid, data, len);
}

iot_status_t __real_iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len,
                                       void *buf, size_t *got);
iot_status_t __wrap_iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len,
                                       void *buf, size_t *got);
iot_status_t __wrap_iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len,
                                       void *buf, size_t *got)
{
    return fault_now() ? IOT_ERR_IO : __real_iot_port_store_get(uid, offset, len, buf, got);
}

iot_status_t __real_iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size);
iot_status_t __wrap_iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size);
iot_status_t __wrap_iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size)
{
    return fault_now() ? IOT_ERR_IO : __real_iot_port_store_get_info(uid, size);
}

iot_status_t __real_iot_port_store_remove(iot_port_store_uid_t uid);
iot_status_t __wrap_iot_port_store_remove(iot_port_store_uid_t uid);
iot_status_t __wrap_iot_port_store_remove(iot_port_store_uid_t uid)
{
    return fault_now() ? IOT_ERR_IO : __real_iot_port_store_remove(uid);
}

#endif /* CORSTONE_IOT_TEST_PORT_FAULTS_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mutexes and threads on bare metal: the port runs one thread (main) and no
 * SDK code in interrupt handlers, so mutexes are no-ops that succeed and the
 * optional background thread is not available (port.h allows both).
 */
#include <corstone_iot/port.h>

iot_status_t iot_port_mutex_init(iot_port_mutex_t *mutex)
{
    return (mutex == NULL) ? IOT_ERR_INVALID_ARG : IOT_OK;
}

void iot_port_mutex_lock(iot_port_mutex_t *mutex)
{
    (void)mutex;
}

void iot_port_mutex_unlock(iot_port_mutex_t *mutex)
{
    (void)mutex;
}

void iot_port_mutex_destroy(iot_port_mutex_t *mutex)
{
    (void)mutex;
}

iot_status_t iot_port_thread_start(iot_port_thread_t *thread, iot_port_thread_fn_t fn, void *arg)
{
    (void)arg;
    if (thread == NULL || fn == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    thread->handle = 0u;
    return IOT_ERR_NOT_SUPPORTED;
}

uintptr_t iot_port_thread_id(void)
{
    return 1u;
}

void iot_port_thread_join(iot_port_thread_t *thread)
{
    if (thread != NULL) {
        thread->handle = 0u;
    }
}

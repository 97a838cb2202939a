/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: mutexes as pthread mutexes kept in the caller's storage. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include <corstone_iot/port.h>

_Static_assert(sizeof(pthread_mutex_t) <= IOT_CONFIG_PORT_MUTEX_SIZE,
               "IOT_CONFIG_PORT_MUTEX_SIZE too small for pthread_mutex_t");

static pthread_mutex_t *native(iot_port_mutex_t *mutex)
{
    return (pthread_mutex_t *)(void *)mutex->storage.bytes;
}

iot_status_t iot_port_mutex_init(iot_port_mutex_t *mutex)
{
    if (mutex == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    return (pthread_mutex_init(native(mutex), NULL) == 0) ? IOT_OK : IOT_ERR_NO_MEMORY;
}

void iot_port_mutex_lock(iot_port_mutex_t *mutex)
{
    (void)pthread_mutex_lock(native(mutex));
}

void iot_port_mutex_unlock(iot_port_mutex_t *mutex)
{
    (void)pthread_mutex_unlock(native(mutex));
}

void iot_port_mutex_destroy(iot_port_mutex_t *mutex)
{
    if (mutex != NULL) {
        (void)pthread_mutex_destroy(native(mutex));
    }
}

/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: threads for the MQTT client's optional background thread. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include <corstone_iot/port.h>

/* pthread wants void *(*)(void *); the port contract has void (*)(void *).
 * A small static table keeps the adapter free of heap allocation. */
typedef struct {
    iot_port_thread_fn_t fn;
    void *arg;
    pthread_t tid;
    int used;
} slot_t;

#define POSIX_THREAD_SLOTS 16
static slot_t g_slots[POSIX_THREAD_SLOTS];
static pthread_mutex_t g_slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void *trampoline(void *p)
{
    slot_t *slot = p;
    slot->fn(slot->arg);
    return NULL;
}

iot_status_t iot_port_thread_start(iot_port_thread_t *thread, iot_port_thread_fn_t fn, void *arg)
{
    slot_t *slot = NULL;
    size_t i;

    if (thread == NULL || fn == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    (void)pthread_mutex_lock(&g_slots_lock);
    for (i = 0; i < POSIX_THREAD_SLOTS; i++) {
        if (!g_slots[i].used) {
            slot = &g_slots[i];
            slot->used = 1;
            break;
        }
    }
    (void)pthread_mutex_unlock(&g_slots_lock);
    if (slot == NULL) {
        return IOT_ERR_NO_MEMORY;
    }
    slot->fn = fn;
    slot->arg = arg;
    if (pthread_create(&slot->tid, NULL, trampoline, slot) != 0) {
        (void)pthread_mutex_lock(&g_slots_lock);
        slot->used = 0;
        (void)pthread_mutex_unlock(&g_slots_lock);
        return IOT_ERR_NO_MEMORY;
    }
    thread->handle = (uintptr_t)(slot - g_slots) + 1u;
    return IOT_OK;
}

uintptr_t iot_port_thread_id(void)
{
    /* The address of a thread-local object differs between live threads and
     * is never 0; pthread_t is not guaranteed to be an integer. */
    static _Thread_local char marker;
    return (uintptr_t)&marker;
}

void iot_port_thread_join(iot_port_thread_t *thread)
{
    slot_t *slot;

    if (thread == NULL || thread->handle == 0u || thread->handle > POSIX_THREAD_SLOTS) {
        return;
    }
    slot = &g_slots[thread->handle - 1u];
    (void)pthread_join(slot->tid, NULL);
    (void)pthread_mutex_lock(&g_slots_lock);
    slot->used = 0;
    (void)pthread_mutex_unlock(&g_slots_lock);
    thread->handle = 0;
}

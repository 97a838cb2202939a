/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: test hook of posix_fw.c (private; not installed, not exported).
 *
 * The unit tests simulate a crash between any two file operations of the
 * firmware slots: a forked child arms the hook, runs a transition and is
 * stopped by _exit() part-way; the parent then checks that the files left
 * behind lead to the same decision. */
#ifndef CORSTONE_IOT_POSIX_FW_INTERNAL_H
#define CORSTONE_IOT_POSIX_FW_INTERNAL_H

#include <corstone_iot/port.h>

/* Exit status of a process stopped by the crash hook. */
#define IOT_POSIX_FW_TEST_CRASH_EXIT 86

/* Negative (the default): disabled. N >= 0: the module performs N more file
 * operations (create, write, fsync, rename, unlink, directory fsync) and
 * calls _exit(IOT_POSIX_FW_TEST_CRASH_EXIT) instead of the next one. */
extern int iot_posix_fw_test_crash_after;

/* A power cut for the bytes of a component that iot_port_fw_write_unsynced()
 * wrote and no sync made durable yet: they are overwritten with junk (what
 * a cut may leave of them) and forgotten, as a restart forgets them. The
 * state record is not touched. Call it, then restart the OTA module as
 * after a power cut, and check the resume point and the image. */
iot_status_t iot_posix_fw_test_lose_unsynced(iot_port_fw_component_t component);

/* For the verifying boot step (posix_ota_boot.c): whether a component's
 * staging file exists. In STAGED, a missing one means a boot swap was cut
 * after it moved the image in: the swap must be completed, not verified. */
iot_status_t posix_fw_staging_present(iot_port_fw_component_t component, int *present);

#endif /* CORSTONE_IOT_POSIX_FW_INTERNAL_H */

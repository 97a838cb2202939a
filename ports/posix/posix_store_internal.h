/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: test hook of posix_store.c (private; not installed, not exported).
 *
 * The unit tests simulate a crash between any two file operations of an
 * object replacement: a forked child arms the hook, stores an object and is
 * stopped by _exit() part-way; the parent then checks that the old or the
 * new value is there, never a broken one. */
#ifndef CORSTONE_IOT_POSIX_STORE_INTERNAL_H
#define CORSTONE_IOT_POSIX_STORE_INTERNAL_H

/* Exit status of a process stopped by the crash hook. */
#define IOT_POSIX_STORE_TEST_CRASH_EXIT 87

/* Bytes before an object's value in its file (magic, version, length, CRC). */
#define IOT_POSIX_STORE_HEADER_SIZE 16u

/* Negative (the default): disabled. N >= 0: the module performs N more file
 * operations (create, write, fsync, rename, unlink, directory fsync) and
 * calls _exit(IOT_POSIX_STORE_TEST_CRASH_EXIT) instead of the next one. A
 * write of a value counts as two operations (header, then value), so a crash
 * can also leave a half-written temporary file. */
extern int iot_posix_store_test_crash_after;

#endif /* CORSTONE_IOT_POSIX_STORE_INTERNAL_H */

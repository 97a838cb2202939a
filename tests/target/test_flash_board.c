/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The semihost "flash" storage (IOT_BOARD_STORAGE=semihost) in QEMU: the
 * flash file (ports/common/storage/flash_semihost.c), the two-copy records
 * (flash_record.c), the key-store backend (port_store_semihost.c under
 * port_store.c) and the firmware-update backend (fwu_semihost.c under
 * fwu_service.c). The file is TEST_FLASH_FILE in QEMU's working directory,
 * removed first.
 *
 * Checks: a missing file reads as erased; records round-trip and alternate
 * between their copies; a save cut short after any number of bytes (the
 * torn write a power cut leaves) loads the previous record, for the first
 * save (blank) and for a later one; a damaged newest copy falls back to the
 * older one; two damaged copies are reported (CORRUPT), never guessed; the
 * key store stores its pool whole, reports damage, and the firmware-update
 * service stores its resume point with the bytes and refuses a damaged
 * state. The exit status is the number of failed checks.
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/port.h>

#include "cortex_m.h"
#include "fwu_backend.h"
#include "iot_flash.h"
#include "port_store.h"
#include "target_check.h"

#define R0 0x8000u /* scratch records, between the key store and the image areas */
#define R1 0x8400u
#define RS 0x8800u /* where a record to tear is made */
#define MAGIC 0x54534554u

static iot_flash_rec_t rec_at(uint32_t a, uint32_t b)
{
    iot_flash_rec_t r = { { a, b }, 64u, MAGIC, 0u, 0u, 0u };
    return r;
}

static int load_is(uint32_t a, uint32_t b, int want, const char *payload)
{
    iot_flash_rec_t r = rec_at(a, b);
    char buf[64];
    size_t len = 0;
    int got = iot_flash_rec_load(&r, buf, &len);

    if (got != want) {
        printf("     load: %d, expected %d\n", got, want);
        return 0;
    }
    if (payload == NULL) {
        return len == 0u;
    }
    return len == strlen(payload) && memcmp(buf, payload, len) == 0;
}

/* The bytes of one copy as iot_flash_rec_save() writes it after @p prev saves. */
static size_t make_copy(const char *payload, unsigned prev, uint8_t *out)
{
    iot_flash_rec_t r = rec_at(RS, RS + 0x100u);
    size_t len = 0;
    char tmp[64];
    unsigned i;

    (void)iot_flash_erase(RS, 0x200u);
    (void)iot_flash_rec_load(&r, tmp, &len);
    for (i = 0; i <= prev; i++) {
        (void)iot_flash_rec_save(&r, payload, strlen(payload));
    }
    (void)iot_flash_read(r.off[r.cur], out, IOT_FLASH_REC_HDR + strlen(payload));
    return IOT_FLASH_REC_HDR + strlen(payload);
}

static void records(void)
{
    iot_flash_rec_t r = rec_at(R0, R1);
    uint8_t img[IOT_FLASH_REC_HDR + 64];
    uint8_t old[IOT_FLASH_REC_HDR + 64];
    char buf[64];
    size_t len = 0;
    size_t n;
    size_t k;
    int ok;

    check("missing file: a record reads as blank", load_is(R0, R1, IOT_FLASH_REC_BLANK, NULL));
    {
        uint8_t z[32];
        memset(z, 0xA5, sizeof(z));
        check("missing file: bytes read as zero",
              iot_flash_read(0x123456u, z, sizeof(z)) == 0 && z[0] == 0u && z[31] == 0u);
    }

    /* First save cut short after k bytes: nothing was ever stored, so blank. */
    n = make_copy("first-record", 0, img);
    ok = 1;
    for (k = 1; k < n; k++) {
        (void)iot_flash_erase(R0, 0x800u);
        (void)iot_flash_write(R0, img, k);
        ok &= load_is(R0, R1, IOT_FLASH_REC_BLANK, NULL);
    }
    (void)iot_flash_write(R0, img, n);
    ok &= load_is(R0, R1, IOT_FLASH_REC_FOUND, "first-record");
    check("first save torn after every byte count: blank; complete: found", ok);

    /* Round trip and alternation. */
    (void)iot_flash_erase(R0, 0x800u);
    (void)iot_flash_rec_load(&r, buf, &len);
    ok = iot_flash_rec_save(&r, "one", 3) == 0 && r.cur == 0u;
    ok &= iot_flash_rec_save(&r, "two", 3) == 0 && r.cur == 1u;
    ok &= iot_flash_rec_save(&r, "three", 5) == 0 && r.cur == 0u;
    ok &= load_is(R0, R1, IOT_FLASH_REC_FOUND, "three");
    check("saves alternate between the copies; the newest loads", ok);

    /* A later save cut short after k bytes: copy 1 ("two") is the target. */
    (void)iot_flash_read(R1, old, sizeof(old));
    n = make_copy("four-four", 3, img); /* sequence number 4, as the next save would */
    ok = 1;
    for (k = 1; k < n; k++) {
        (void)iot_flash_write(R1, old, sizeof(old));
        (void)iot_flash_write(R1, img, k);
        ok &= load_is(R0, R1, IOT_FLASH_REC_FOUND, "three");
    }
    (void)iot_flash_write(R1, img, n);
    ok &= load_is(R0, R1, IOT_FLASH_REC_FOUND, "four-four");
    check("later save torn after every byte count: previous record; complete: new", ok);

    /* Damage from outside. */
    {
        uint8_t x = 0xFFu;
        (void)iot_flash_write(R1 + IOT_FLASH_REC_HDR + 2u, &x, 1); /* newest ("four-four") */
        check("damaged newest copy: the older one loads", load_is(R0, R1, IOT_FLASH_REC_FOUND, "three"));
        (void)iot_flash_write(R0 + 5u, &x, 1); /* its sequence number */
        check("both copies damaged: CORRUPT", load_is(R0, R1, IOT_FLASH_REC_CORRUPT, NULL));
    }
    {
        iot_flash_rec_t small = rec_at(R0, R1);
        small.cap = 4u;
        (void)iot_flash_erase(R0, 0x800u);
        (void)iot_flash_rec_load(&small, buf, &len);
        check("payload over capacity refused", iot_flash_rec_save(&small, "12345", 5) != 0);
    }
}

static void key_store(void)
{
    static uint8_t pool[IOT_BOARD_STORE_SIZE];
    uint8_t v[40];
    size_t n = 0;
    size_t used = 0;
    uint8_t x = 0x5Au;

    memset(v, 0x42, sizeof(v));
    check("store: set", iot_port_store_set(7u, v, sizeof(v)) == IOT_OK);
    check("store: set another", iot_port_store_set(9u, v, 3) == IOT_OK);
    check("store: remove", iot_port_store_remove(9u) == IOT_OK);
    check("store: get", iot_port_store_get(7u, 0, sizeof(v), v, &n) == IOT_OK && n == sizeof(v));
    check("store: the stored pool holds one record (header + 40 bytes)",
          iot_board_store_load(pool, sizeof(pool), &used) == IOT_OK && used == 16u + 40u);
    check("store: value too large refused, the old one kept",
          iot_port_store_set(7u, pool, sizeof(pool)) == IOT_ERR_STORAGE_FULL &&
              iot_board_store_load(pool, sizeof(pool), &used) == IOT_OK && used == 56u);
    /* Damage both copies: the backend reports it. */
    (void)iot_flash_write(IOT_FLASH_STORE_0 + IOT_FLASH_REC_HDR, &x, 1);
    (void)iot_flash_write(IOT_FLASH_STORE_1 + IOT_FLASH_REC_HDR, &x, 1);
    check("store: both copies damaged: IOT_ERR_STORAGE_CORRUPT",
          iot_board_store_load(pool, sizeof(pool), &used) == IOT_ERR_STORAGE_CORRUPT);
}

static void firmware_update(void)
{
    static uint8_t block[PSA_FWU_MAX_WRITE_SIZE];
    static uint8_t back[PSA_FWU_MAX_WRITE_SIZE];
    psa_fwu_component_info_t info;
    const psa_fwu_component_t c = 1;
    uint32_t w = 99;
    uint8_t state[256];
    iot_flash_rec_t r = { { IOT_FLASH_FWU_STATE_0, IOT_FLASH_FWU_STATE_1 }, IOT_FLASH_FWU_STATE_CAP,
                          0x31555746u, 0u, 0u, 0u };
    size_t len = 0;
    uint32_t ops;
    uint8_t x = 0x77u;

    memset(block, 0x3C, sizeof(block));
    check("fwu: fresh flash: READY, persistent staging",
          psa_fwu_query(c, &info) == PSA_SUCCESS && info.state == PSA_FWU_READY &&
              (info.flags & PSA_FWU_FLAG_VOLATILE_STAGING) == 0u &&
              info.max_size == IOT_BOARD_FLASH_AREA_SIZE);
    check("fwu: start", psa_fwu_start(c, NULL, 0) == PSA_SUCCESS);
    check("fwu: write 0 and 1024", psa_fwu_write(c, 0, block, sizeof(block)) == PSA_SUCCESS &&
                                       psa_fwu_write(c, 1024, block, sizeof(block)) == PSA_SUCCESS);
    check("fwu: resume point 2048", iot_fwu_written(c, &w) == PSA_SUCCESS && w == 2048u);
    ops = iot_flash_op_count();
    check("fwu: write after a gap", psa_fwu_write(c, 4096, block, 100) == PSA_SUCCESS);
    printf("     one block: %lu semihosting calls\n", (unsigned long)(iot_flash_op_count() - ops));
    check("fwu: the gap keeps the resume point", iot_fwu_written(c, &w) == PSA_SUCCESS && w == 2048u);
    check("fwu: read back", iot_fwu_read_second(c, 1024, back, sizeof(back)) == PSA_SUCCESS &&
                               memcmp(back, block, sizeof(back)) == 0);
    check("fwu: unwritten bytes read as zero",
          iot_fwu_read_second(c, 2048, back, 16) == PSA_SUCCESS && back[0] == 0u && back[15] == 0u);
    check("fwu: state stored", iot_flash_rec_load(&r, state, &len) == IOT_FLASH_REC_FOUND &&
                                   len > 0u && len < sizeof(state));
    check("fwu: stored state loads", iot_fwu_be_state_load(state, len) == PSA_SUCCESS);
    check("fwu: stored state of another size: DATA_CORRUPT",
          iot_fwu_be_state_load(state, len - 4u) == PSA_ERROR_DATA_CORRUPT);
    (void)iot_flash_write(IOT_FLASH_FWU_STATE_0 + IOT_FLASH_REC_HDR, &x, 1);
    (void)iot_flash_write(IOT_FLASH_FWU_STATE_1 + IOT_FLASH_REC_HDR, &x, 1);
    check("fwu: both state copies damaged: DATA_CORRUPT",
          iot_fwu_be_state_load(state, len) == PSA_ERROR_DATA_CORRUPT);
}

int main(void)
{
    (void)iot_cm_semihost_remove(TEST_FLASH_FILE);
    records();
    key_store();
    firmware_update();
    printf("flash file: %lu semihosting calls in all\n", (unsigned long)iot_flash_op_count());
    printf("flash board checks: %u failed\n", g_failures);
    return (int)g_failures;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: attestation tokens (attest.h) on the posix port: COSE_Mac0
 * checked with an HMAC computed here from the known key, COSE_Sign1 checked
 * with the public key, the claims found where the profile puts them, and
 * every bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/log.h>
#include <corstone_iot/posix.h>

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

static char g_root[300];

static const uint8_t k_key[32] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
                                   0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
                                   0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f };

static void quiet_sink(iot_log_level_t level, const char *module, const char *line, size_t len,
                       void *user)
{
    (void)level;
    (void)module;
    (void)line;
    (void)len;
    (void)user;
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char dir[400];

    (void)state;
    iot_log_set_sink(quiet_sink, NULL);
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-attest-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    (void)snprintf(dir, sizeof(dir), "%s/store", g_root);
    if (iot_posix_store_set_dir(dir) != IOT_OK) {
        return -1;
    }
    return (iot_keystore_init() == IOT_OK) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[400];

    (void)state;
    iot_keystore_deinit();
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_root);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- A small CBOR reader, independent of the encoder under test ---------- */

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} rd_t;

/* Read one head: major type and argument. */
static int rd_head(rd_t *r, unsigned *major, uint64_t *arg)
{
    unsigned ai;
    size_t n;
    size_t i;

    if (r->p >= r->end) {
        return -1;
    }
    *major = *r->p >> 5;
    ai = *r->p & 31u;
    r->p++;
    if (ai < 24u) {
        *arg = ai;
        return 0;
    }
    if (ai > 27u) {
        return -1;
    }
    n = (size_t)1 << (ai - 24u);
    if ((size_t)(r->end - r->p) < n) {
        return -1;
    }
    *arg = 0;
    for (i = 0; i < n; i++) {
        *arg = (*arg << 8) | r->p[i];
    }
    r->p += n;
    return 0;
}

static const uint8_t *rd_bstr(rd_t *r, size_t *len)
{
    unsigned major;
    uint64_t arg;
    const uint8_t *p;

    if (rd_head(r, &major, &arg) != 0 || major != 2u || arg > (uint64_t)(r->end - r->p)) {
        return NULL;
    }
    p = r->p;
    r->p += arg;
    *len = (size_t)arg;
    return p;
}

typedef struct {
    uint64_t tag;
    const uint8_t *prot;
    size_t prot_len;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *mac;
    size_t mac_len;
} cose_t;

static void parse_cose(const uint8_t *tok, size_t len, cose_t *c)
{
    rd_t r = { tok, tok + len };
    unsigned major;
    uint64_t arg;

    assert_int_equal(rd_head(&r, &major, &c->tag), 0);
    assert_int_equal(major, 6);
    assert_int_equal(rd_head(&r, &major, &arg), 0);
    assert_int_equal(major, 4);
    assert_int_equal(arg, 4);
    c->prot = rd_bstr(&r, &c->prot_len);
    assert_non_null(c->prot);
    assert_int_equal(rd_head(&r, &major, &arg), 0); /* unprotected: empty map */
    assert_int_equal(major, 5);
    assert_int_equal(arg, 0);
    c->payload = rd_bstr(&r, &c->payload_len);
    assert_non_null(c->payload);
    c->mac = rd_bstr(&r, &c->mac_len);
    assert_non_null(c->mac);
    assert_ptr_equal(r.p, r.end);
}

/* The to-be-protected structure, written out by hand. */
static size_t tbs(const char *ctx, const cose_t *c, uint8_t *out)
{
    size_t n = 0;
    size_t ctx_len = strlen(ctx);

    out[n++] = 0x84;
    out[n++] = (uint8_t)(0x60 + ctx_len);
    memcpy(out + n, ctx, ctx_len);
    n += ctx_len;
    out[n++] = (uint8_t)(0x40 + c->prot_len);
    memcpy(out + n, c->prot, c->prot_len);
    n += c->prot_len;
    out[n++] = 0x40;
    out[n++] = 0x59; /* bstr, 2-byte length */
    out[n++] = (uint8_t)(c->payload_len >> 8);
    out[n++] = (uint8_t)c->payload_len;
    memcpy(out + n, c->payload, c->payload_len);
    return n + c->payload_len;
}

static const uint8_t *find(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
    size_t i;

    for (i = 0; i + n <= hay_len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

static void import_mac_key(void)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;

    o.label = IOT_ATTEST_KEY_LABEL;
    assert_int_equal(iot_key_import_psk(k_key, sizeof(k_key), &o, &id), IOT_OK);
}

static void test_mac0_token(void **state)
{
    uint8_t challenge[48];
    uint8_t token[1024];
    uint8_t s[1200];
    uint8_t mac[32];
    uint8_t nonce_claim[3 + sizeof(challenge)];
    size_t len = 0;
    size_t size = 0;
    size_t n;
    cose_t c;

    (void)state;
    import_mac_key();
    memset(challenge, 0xA5, sizeof(challenge));
    assert_int_equal(iot_attest_get_token(challenge, sizeof(challenge), token, sizeof(token), &len),
                     IOT_OK);
    assert_int_equal(iot_attest_get_token_size(sizeof(challenge), &size), IOT_OK);
    assert_int_equal(size, len);
    parse_cose(token, len, &c);
    assert_int_equal(c.tag, 17);
    assert_int_equal(c.mac_len, 32);
    assert_int_equal(c.prot_len, 3);
    assert_memory_equal(c.prot, "\xa1\x01\x05", 3); /* {1: 5} HMAC 256/256 */

    n = tbs("MAC0", &c, s);
    assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), k_key,
                                     sizeof(k_key), s, n, mac),
                     0);
    assert_memory_equal(mac, c.mac, 32);

    /* nonce (10) as a 48-byte bstr; lifecycle 2395 = 0x3000; the profile text. */
    nonce_claim[0] = 0x0a;
    nonce_claim[1] = 0x58;
    nonce_claim[2] = 48;
    memcpy(nonce_claim + 3, challenge, sizeof(challenge));
    assert_non_null(find(c.payload, c.payload_len, nonce_claim, sizeof(nonce_claim)));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"\x19\x09\x5b\x19\x30\x00", 6));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)IOT_ATTEST_PROFILE,
                         strlen(IOT_ATTEST_PROFILE)));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"APP", 3));

    /* A changed lifecycle shows in the next token. */
    assert_int_equal(iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_DECOMMISSIONED), IOT_OK);
    assert_int_equal(iot_attest_get_token(challenge, sizeof(challenge), token, sizeof(token), &len),
                     IOT_OK);
    parse_cose(token, len, &c);
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"\x19\x09\x5b\x19\x60\x00", 6));
    assert_int_equal(iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_SECURED), IOT_OK);
    assert_int_equal(iot_posix_attest_set_lifecycle(0x6100u), IOT_ERR_INVALID_ARG);
}

static void test_sign1_token(void **state)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;
    uint8_t challenge[64];
    uint8_t token[1024];
    uint8_t s[1200];
    size_t len = 0;
    size_t size = 0;
    size_t n;
    cose_t c;

    (void)state;
    o.label = IOT_ATTEST_KEY_LABEL;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    memset(challenge, 0x5A, sizeof(challenge));
    assert_int_equal(iot_attest_get_token(challenge, sizeof(challenge), token, sizeof(token), &len),
                     IOT_OK);
    assert_int_equal(iot_attest_get_token_size(sizeof(challenge), &size), IOT_OK);
    assert_int_equal(size, len);
    parse_cose(token, len, &c);
    assert_int_equal(c.tag, 18);
    assert_int_equal(c.mac_len, 64);
    assert_memory_equal(c.prot, "\xa1\x01\x26", 3); /* {1: -7} ES256 */
    n = tbs("Signature1", &c, s);
    assert_int_equal(iot_key_verify_message(id, IOT_SIGN_ECDSA_SHA256, s, n, c.mac, c.mac_len),
                     IOT_OK);
    s[n - 1] ^= 1u; /* a changed payload no longer verifies */
    assert_int_equal(iot_key_verify_message(id, IOT_SIGN_ECDSA_SHA256, s, n, c.mac, c.mac_len),
                     IOT_ERR_BAD_SIGNATURE);
}

static void test_bad_input(void **state)
{
    uint8_t challenge[64] = { 0 };
    uint8_t token[1024];
    size_t len = 0;
    size_t size = 0;

    (void)state;
    /* No key yet. */
    assert_int_equal(iot_attest_get_token(challenge, 32, token, sizeof(token), &len),
                     IOT_ERR_ATTEST_NO_KEY);
    assert_int_equal(iot_attest_get_token_size(32, &size), IOT_ERR_ATTEST_NO_KEY);
    import_mac_key();
    assert_int_equal(iot_attest_get_token(NULL, 32, token, sizeof(token), &len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_attest_get_token(challenge, 32, NULL, sizeof(token), &len),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_attest_get_token(challenge, 32, token, sizeof(token), NULL),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_attest_get_token_size(32, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_attest_get_token(challenge, 31, token, sizeof(token), &len),
                     IOT_ERR_ATTEST_CHALLENGE);
    assert_int_equal(iot_attest_get_token(challenge, 0, token, sizeof(token), &len),
                     IOT_ERR_ATTEST_CHALLENGE);
    assert_int_equal(iot_attest_get_token_size(65, &size), IOT_ERR_ATTEST_CHALLENGE);
    assert_int_equal(iot_attest_get_token_size(32, &size), IOT_OK);
    assert_int_equal(iot_attest_get_token(challenge, 32, token, size - 1u, &len),
                     IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(iot_attest_get_token(challenge, 32, token, size, &len), IOT_OK);
    assert_int_equal(len, size);
    /* Without the key store. */
    iot_keystore_deinit();
    assert_int_equal(iot_attest_get_token(challenge, 32, token, sizeof(token), &len),
                     IOT_ERR_BAD_STATE);
    assert_int_equal(iot_keystore_init(), IOT_OK);
}

static void test_volatile_secret_refused(void **state)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;
    uint8_t challenge[32] = { 0 };
    uint8_t token[1024];
    size_t len = 0;

    (void)state;
    o.label = IOT_ATTEST_KEY_LABEL;
    o.persistent = false;
    assert_int_equal(iot_key_import_psk(k_key, sizeof(k_key), &o, &id), IOT_OK);
    assert_int_equal(iot_attest_get_token(challenge, 32, token, sizeof(token), &len),
                     IOT_ERR_ATTEST_NO_KEY);
}

/* With firmware slots configured, each active image is a component. */
static void test_slot_measurements(void **state)
{
    /* An MCUboot header: magic, load addr, hdr size, tlv size, img size,
     * flags, version 1.2.3+4; then a body. */
    static const uint8_t img0[40] = { 0x3d, 0xb8, 0xf3, 0x96, 0, 0, 0, 0, 32, 0, 0, 0, 8, 0, 0, 0,
                                      0, 0, 0, 0, 1, 2, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0,
                                      'b', 'o', 'd', 'y', '-', 's', 'p', 'e' };
    static const uint8_t img1[] = "a non-secure image without an MCUboot header";
    char dir[400];
    char path[450];
    uint8_t challenge[32] = { 7 };
    uint8_t token[1024];
    uint8_t h0[32];
    uint8_t h1[32];
    size_t len = 0;
    cose_t c;
    FILE *f;

    (void)state;
    import_mac_key();
    (void)snprintf(dir, sizeof(dir), "%s/fw", g_root);
    assert_int_equal(iot_posix_fw_set_dir(dir), IOT_OK);
    (void)snprintf(path, sizeof(path), "%s/c0.active", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img0, 1, sizeof(img0), f), sizeof(img0));
    fclose(f);
    (void)snprintf(path, sizeof(path), "%s/c1.active", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img1, 1, sizeof(img1), f), sizeof(img1));
    fclose(f);
    assert_int_equal(mbedtls_sha256_ret(img0, sizeof(img0), h0, 0), 0);
    assert_int_equal(mbedtls_sha256_ret(img1, sizeof(img1), h1, 0), 0);

    assert_int_equal(iot_attest_get_token(challenge, sizeof(challenge), token, sizeof(token), &len),
                     IOT_OK);
    parse_cose(token, len, &c);
    assert_non_null(find(c.payload, c.payload_len, h0, 32));
    assert_non_null(find(c.payload, c.payload_len, h1, 32));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"\x63SPE", 4));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"\x64NSPE", 5));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"1.2.3+4", 7));
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"0.0.0", 5));
    /* Two components: the array head 0x82 follows the claim key 2399 (0x19 0x09 0x5f). */
    assert_non_null(find(c.payload, c.payload_len, (const uint8_t *)"\x19\x09\x5f\x82", 4));

    /* A new image is a new measurement. */
    f = fopen(path, "ab");
    assert_non_null(f);
    fputc('!', f);
    fclose(f);
    assert_int_equal(iot_attest_get_token(challenge, sizeof(challenge), token, sizeof(token), &len),
                     IOT_OK);
    parse_cose(token, len, &c);
    assert_null(find(c.payload, c.payload_len, h1, 32));
    assert_non_null(find(c.payload, c.payload_len, h0, 32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mac0_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign1_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_volatile_secret_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_measurements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

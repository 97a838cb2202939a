/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iot-imgsign: sign a firmware binary as an MCUboot-format image.
 *
 *   iot-imgsign sign --key KEY.pem --version MAJ.MIN.REV[+BUILD]
 *                    --header-size SIZE [--pad-header] [--slot-size SIZE]
 *                    [--security-counter N|auto] [--load-addr ADDR]
 *                    [--erased-val 0xff|0x0] [--align N] [--max-sectors N]
 *                    [--max-align N] IN.bin OUT.bin
 *
 * The options and the output bytes are those of MCUboot's `imgtool sign`
 * for an ECDSA-P256 key with the key hash (imgtool's default
 * --public-key-format hash): header, header padding filled with the erased
 * value, image, protected TLVs (security counter), then SHA-256, key hash
 * and the DER ECDSA signature. Only the signature differs from run to run
 * (ECDSA is randomised). Host tool: uses the heap and Mbed TLS directly.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#define IMAGE_MAGIC 0x96f3b83dUL
#define IMAGE_HEADER_SIZE 32u
#define TLV_INFO_MAGIC 0x6907u
#define TLV_PROT_INFO_MAGIC 0x6908u
#define TLV_KEYHASH 0x01u
#define TLV_SHA256 0x10u
#define TLV_ECDSA_SIG 0x22u
#define TLV_SEC_CNT 0x50u
#define IMAGE_F_RAM_LOAD 0x20u
#define DEFAULT_MAX_SECTORS 128u
#define DEFAULT_MAX_ALIGN 8u

typedef struct {
    const char *key;
    const char *in;
    const char *out;
    unsigned major, minor, revision;
    unsigned long build;
    unsigned long header_size;
    int pad_header;
    unsigned long slot_size;
    int has_counter;
    int counter_auto;
    unsigned long counter;
    unsigned long load_addr;
    unsigned erased_val;
    unsigned long align;
    unsigned long max_sectors;
    unsigned long max_align; /* 0: imgtool's default, max(8, align) */
} options_t;

/* A growable byte buffer. */
typedef struct {
    uint8_t *p;
    size_t len;
    size_t cap;
} buf_t;

static void die(const char *msg)
{
    fprintf(stderr, "iot-imgsign: %s\n", msg);
    exit(1);
}

static void usage(void)
{
    fputs("usage: iot-imgsign sign --key KEY.pem --version MAJ.MIN.REV[+BUILD]\n"
          "         --header-size SIZE [--pad-header] [--slot-size SIZE]\n"
          "         [--security-counter N|auto] [--load-addr ADDR] [--erased-val 0xff|0x0]\n"
          "         [--align N] [--max-sectors N] [--max-align N] IN.bin OUT.bin\n",
          stderr);
    exit(2);
}

static void buf_put(buf_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = (b->cap == 0u) ? 4096u : b->cap;
        uint8_t *p;

        while (cap < b->len + len) {
            cap *= 2u;
        }
        p = realloc(b->p, cap);
        if (p == NULL) {
            die("out of memory");
        }
        b->p = p;
        b->cap = cap;
    }
    if (len > 0u) {
        memcpy(b->p + b->len, data, len);
    }
    b->len += len;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, unsigned long v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A TLV entry as imgtool writes it: u8 type, u8 0, u16 length, value. */
static void tlv_add(buf_t *b, unsigned type, const uint8_t *value, size_t len)
{
    uint8_t hdr[4];

    hdr[0] = (uint8_t)type;
    hdr[1] = 0;
    put16(hdr + 2, (unsigned)len);
    buf_put(b, hdr, sizeof(hdr));
    buf_put(b, value, len);
}

/* An integer in C syntax (decimal, 0x hex, 0 octal), as Python's int(x, 0)
 * accepts for the values imgtool takes. */
static unsigned long parse_num(const char *s, unsigned long max, const char *what)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) {
        fprintf(stderr, "iot-imgsign: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

/* MAJ[.MIN[.REV[+BUILD]]], no leading zeros, as imgtool's decode_version. */
static int parse_part(const char **s, unsigned long max, unsigned long *out)
{
    const char *p = *s;
    unsigned long v = 0;

    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) {
        return -1;
    }
    while (*p >= '0' && *p <= '9') {
        v = v * 10u + (unsigned long)(*p - '0');
        if (v > max) {
            return -1;
        }
        p++;
    }
    *s = p;
    *out = v;
    return 0;
}

static void parse_version(const char *text, options_t *o)
{
    const char *s = text;
    unsigned long v[4] = { 0, 0, 0, 0 };

    if (parse_part(&s, 255u, &v[0]) != 0) {
        goto bad;
    }
    if (*s == '.') {
        s++;
        if (parse_part(&s, 255u, &v[1]) != 0) {
            goto bad;
        }
        if (*s == '.') {
            s++;
            if (parse_part(&s, 65535u, &v[2]) != 0) {
                goto bad;
            }
            if (*s == '+') {
                s++;
                if (parse_part(&s, 0xFFFFFFFFul, &v[3]) != 0) {
                    goto bad;
                }
            }
        }
    }
    if (*s != '\0') {
        goto bad;
    }
    o->major = (unsigned)v[0];
    o->minor = (unsigned)v[1];
    o->revision = (unsigned)v[2];
    o->build = v[3];
    return;
bad:
    fprintf(stderr, "iot-imgsign: bad version (MAJ.MIN.REV+BUILD): %s\n", text);
    exit(2);
}

static void parse_args(int argc, char **argv, options_t *o)
{
    int i;
    int have_version = 0;
    int have_header = 0;

    memset(o, 0, sizeof(*o));
    o->erased_val = 0xFFu;
    o->align = 1u;
    o->max_sectors = DEFAULT_MAX_SECTORS;
    if (argc < 2 || strcmp(argv[1], "sign") != 0) {
        usage();
    }
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

        if (strcmp(a, "--pad-header") == 0) {
            o->pad_header = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (o->in == NULL) {
                o->in = a;
            } else if (o->out == NULL) {
                o->out = a;
            } else {
                usage();
            }
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(a, "--key") == 0 || strcmp(a, "-k") == 0) {
            o->key = v;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
            parse_version(v, o);
            have_version = 1;
        } else if (strcmp(a, "--header-size") == 0 || strcmp(a, "-H") == 0) {
            o->header_size = parse_num(v, 0xFFFFu, "header size");
            have_header = 1;
        } else if (strcmp(a, "--slot-size") == 0 || strcmp(a, "-S") == 0) {
            o->slot_size = parse_num(v, 0xFFFFFFFFul, "slot size");
        } else if (strcmp(a, "--security-counter") == 0 || strcmp(a, "-s") == 0) {
            o->has_counter = 1;
            if (strcmp(v, "auto") == 0) {
                o->counter_auto = 1;
            } else {
                o->counter = parse_num(v, 0xFFFFFFFFul, "security counter");
            }
        } else if (strcmp(a, "--load-addr") == 0 || strcmp(a, "-L") == 0) {
            o->load_addr = parse_num(v, 0xFFFFFFFFul, "load address");
        } else if (strcmp(a, "--erased-val") == 0 || strcmp(a, "-R") == 0) {
            o->erased_val = (unsigned)parse_num(v, 0xFFu, "erased value");
            if (o->erased_val != 0u && o->erased_val != 0xFFu) {
                die("--erased-val must be 0 or 0xff");
            }
        } else if (strcmp(a, "--align") == 0) {
            o->align = parse_num(v, 32u, "alignment");
        } else if (strcmp(a, "--max-sectors") == 0 || strcmp(a, "-M") == 0) {
            o->max_sectors = parse_num(v, 0xFFFFu, "max sectors");
        } else if (strcmp(a, "--max-align") == 0) {
            o->max_align = parse_num(v, 32u, "max align");
        } else {
            fprintf(stderr, "iot-imgsign: unknown option %s\n", a);
            usage();
        }
    }
    if (o->key == NULL || !have_version || !have_header || o->in == NULL || o->out == NULL) {
        usage();
    }
    if (o->header_size < IMAGE_HEADER_SIZE) {
        die("--header-size must be at least 32");
    }
    if (o->align != 1u && o->align != 2u && o->align != 4u && o->align != 8u &&
        o->align != 16u && o->align != 32u) {
        die("--align must be 1, 2, 4, 8, 16 or 32");
    }
    if (o->counter_auto) {
        o->counter = ((unsigned long)o->major << 24) + ((unsigned long)o->minor << 16) +
                     o->revision;
    }
}

static void read_file(const char *path, buf_t *b)
{
    uint8_t chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "iot-imgsign: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0u) {
        buf_put(b, chunk, n);
    }
    if (ferror(f)) {
        die("read error");
    }
    fclose(f);
}

/* Bytes MCUboot keeps at the end of a slot (swap status, flags, magic):
 * what imgtool checks an image against when --slot-size is given. */
static unsigned long trailer_size(const options_t *o)
{
    unsigned long max_align = o->max_align;
    unsigned long magic = 16u;

    if (max_align == 0u) {
        max_align = (o->align > DEFAULT_MAX_ALIGN) ? o->align : DEFAULT_MAX_ALIGN;
    }
    magic = (magic + max_align - 1u) & ~(max_align - 1u);
    return o->max_sectors * 3u * o->align + max_align * 4u + magic;
}

int main(int argc, char **argv)
{
    options_t o;
    buf_t img = { NULL, 0, 0 };
    buf_t prot = { NULL, 0, 0 };
    buf_t tlv = { NULL, 0, 0 };
    buf_t out = { NULL, 0, 0 };
    uint8_t hdr[IMAGE_HEADER_SIZE];
    uint8_t digest[32];
    uint8_t keyhash[32];
    uint8_t der[256];
    uint8_t sig[MBEDTLS_ECDSA_MAX_LEN];
    uint8_t info[4];
    size_t sig_len = 0;
    size_t payload_len;
    unsigned protected_size = 0;
    mbedtls_pk_context pk;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int der_len;
    FILE *f;

    parse_args(argc, argv, &o);

    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    if (mbedtls_pk_parse_keyfile(&pk, o.key, NULL) != 0) {
        die("cannot read the private key (PEM or DER, unencrypted)");
    }
    if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY ||
        mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        die("the key must be an ECDSA P-256 private key");
    }
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                              (const unsigned char *)"iot-imgsign", 11) != 0) {
        die("no entropy");
    }

    /* The image: header area (erased value with --pad-header, else the
     * input must start with zeros there), then the binary. */
    if (o.pad_header) {
        uint8_t fill[256];
        unsigned long left = o.header_size;

        memset(fill, (int)o.erased_val, sizeof(fill));
        while (left > 0u) {
            size_t n = (left > sizeof(fill)) ? sizeof(fill) : (size_t)left;
            buf_put(&img, fill, n);
            left -= n;
        }
    }
    payload_len = img.len;
    read_file(o.in, &img);
    if (!o.pad_header) {
        size_t i;

        if (img.len < o.header_size) {
            die("the input is shorter than the header");
        }
        for (i = 0; i < o.header_size; i++) {
            if (img.p[i] != 0u) {
                die("header padding was not requested and the image does not start with zeros");
            }
        }
    }
    (void)payload_len;
    if (img.len - o.header_size > 0xFFFFFFFFul) {
        die("the image is too large");
    }

    /* Protected TLVs: the security counter. */
    if (o.has_counter) {
        uint8_t v[4];

        put32(v, o.counter);
        tlv_add(&prot, TLV_SEC_CNT, v, sizeof(v));
        protected_size = (unsigned)(prot.len + 4u);
    }

    memset(hdr, 0, sizeof(hdr));
    put32(hdr, IMAGE_MAGIC);
    put32(hdr + 4, o.load_addr);
    put16(hdr + 8, (unsigned)o.header_size);
    put16(hdr + 10, protected_size);
    put32(hdr + 12, (unsigned long)(img.len - o.header_size));
    put32(hdr + 16, (o.load_addr != 0u) ? IMAGE_F_RAM_LOAD : 0u);
    hdr[20] = (uint8_t)o.major;
    hdr[21] = (uint8_t)o.minor;
    put16(hdr + 22, o.revision);
    put32(hdr + 24, o.build);
    memcpy(img.p, hdr, sizeof(hdr));

    if (protected_size != 0u) {
        put16(info, TLV_PROT_INFO_MAGIC);
        put16(info + 2, protected_size);
        buf_put(&img, info, sizeof(info));
        buf_put(&img, prot.p, prot.len);
    }

    /* Hash of header + image + protected TLVs; key hash; signature. */
    if (mbedtls_sha256_ret(img.p, img.len, digest, 0) != 0) {
        die("SHA-256 failed");
    }
    der_len = mbedtls_pk_write_pubkey_der(&pk, der, sizeof(der));
    if (der_len <= 0 || mbedtls_sha256_ret(der + sizeof(der) - (size_t)der_len,
                                           (size_t)der_len, keyhash, 0) != 0) {
        die("cannot encode the public key");
    }
    if (mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest, sizeof(digest), sig, &sig_len,
                        mbedtls_ctr_drbg_random, &drbg) != 0) {
        die("signing failed");
    }
    tlv_add(&tlv, TLV_SHA256, digest, sizeof(digest));
    tlv_add(&tlv, TLV_KEYHASH, keyhash, sizeof(keyhash));
    tlv_add(&tlv, TLV_ECDSA_SIG, sig, sig_len);

    buf_put(&out, img.p, img.len);
    put16(info, TLV_INFO_MAGIC);
    put16(info + 2, (unsigned)(tlv.len + 4u));
    buf_put(&out, info, sizeof(info));
    buf_put(&out, tlv.p, tlv.len);

    if (o.slot_size > 0u && (unsigned long long)out.len + trailer_size(&o) > o.slot_size) {
        fprintf(stderr,
                "iot-imgsign: image size (0x%zx) + trailer (0x%lx) exceeds requested size 0x%lx\n",
                out.len, trailer_size(&o), o.slot_size);
        return 1;
    }

    f = fopen(o.out, "wb");
    if (f == NULL || fwrite(out.p, 1, out.len, f) != out.len || fclose(f) != 0) {
        die("cannot write the output");
    }
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    free(img.p);
    free(prot.p);
    free(tlv.p);
    free(out.p);
    return 0;
}

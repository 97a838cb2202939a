/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: the configuration file and the import format of the device
 * database (the database itself lives in the gateway's key store, gw_store.c).
 *
 * Configuration: "key = value" lines, '#' starts a comment. Import format:
 * one device per line, "identity psk-hex attestation-key", where the
 * attestation key is "hmac:<hex>" (symmetric, COSE_Mac0) or
 * "es256:<hex of the uncompressed P-256 public key>" (COSE_Sign1). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"

gw_log_level_t gw_log_level = GW_LOG_INFO;

void gw_log(gw_log_level_t level, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    struct timespec ts;
    struct tm tm;
    char line[1024];
    va_list ap;

    if (level > gw_log_level) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s\n", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, names[level], line);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

int gw_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(hex);
    size_t i;

    if (n % 2u != 0u || n / 2u > cap) {
        return -1;
    }
    for (i = 0; i < n / 2u; i++) {
        int hi = hexval((unsigned char)hex[2 * i]);
        int lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2u;
    return 0;
}

void gw_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char d[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15u];
    }
    out[2 * len] = '\0';
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

static int copy(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap) {
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

static int parse_port_min(const char *v, long min, uint16_t *port)
{
    char *end;
    long p;

    errno = 0;
    p = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || v[0] == '\0' || p < min || p > 65535) {
        return -1;
    }
    *port = (uint16_t)p;
    return 0;
}

static int parse_port(const char *v, uint16_t *port)
{
    return parse_port_min(v, 1, port);
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long n;

    errno = 0;
    n = strtoul(v, &end, 0);
    if (errno != 0 || *end != '\0' || v[0] == '-' || n > max) {
        return -1;
    }
    *out = n;
    return 0;
}

static int add_allow(gw_config_t *cfg, const char *hex)
{
    uint8_t m[32];
    size_t n = 0;
    uint8_t(*grown)[32];

    if (gw_hex_decode(hex, m, sizeof(m), &n) != 0 || n != 32u) {
        return -1;
    }
    grown = realloc(cfg->allow, (cfg->allow_count + 1u) * sizeof(*cfg->allow));
    if (grown == NULL) {
        return -1;
    }
    cfg->allow = grown;
    memcpy(cfg->allow[cfg->allow_count++], m, 32);
    return 0;
}

static int parse_lifecycle(const char *v, gw_config_t *cfg)
{
    unsigned long lo;
    unsigned long hi;
    char buf[64];
    char *dash;

    if (strcmp(v, "secured") == 0) {
        cfg->lifecycle_min = 0x3000u;
        cfg->lifecycle_max = 0x30FFu;
        return 0;
    }
    if (copy(buf, sizeof(buf), v) != 0) {
        return -1;
    }
    dash = strchr(buf, '-');
    if (dash == NULL) {
        return -1;
    }
    *dash = '\0';
    if (parse_uint(trim(buf), 0xFFFFu, &lo) != 0 || parse_uint(trim(dash + 1), 0xFFFFu, &hi) != 0 ||
        lo > hi) {
        return -1;
    }
    cfg->lifecycle_min = (uint16_t)lo;
    cfg->lifecycle_max = (uint16_t)hi;
    return 0;
}

static int device_cmp(const void *a, const void *b)
{
    return strcmp(((const gw_device_t *)a)->identity, ((const gw_device_t *)b)->identity);
}

int gw_db_parse_line(char *line, gw_device_t *d)
{
    char *hash = strchr(line, '#');
    char *id;
    char *psk;
    char *att;
    char *extra;
    char *save = NULL;

    if (hash != NULL) {
        *hash = '\0';
    }
    memset(d, 0, sizeof(*d));
    id = strtok_r(line, " \t\r\n", &save);
    if (id == NULL) {
        return 0;
    }
    psk = strtok_r(NULL, " \t\r\n", &save);
    att = strtok_r(NULL, " \t\r\n", &save);
    extra = strtok_r(NULL, " \t\r\n", &save);
    if (psk == NULL || att == NULL || extra != NULL || strlen(id) > GW_MAX_STORED_IDENTITY ||
        copy(d->identity, sizeof(d->identity), id) != 0 ||
        gw_hex_decode(psk, d->psk, sizeof(d->psk), &d->psk_len) != 0 || d->psk_len == 0u) {
        return -1;
    }
    if (strncmp(att, "hmac:", 5) == 0 &&
        gw_hex_decode(att + 5, d->attest_key, sizeof(d->attest_key), &d->attest_key_len) == 0 &&
        d->attest_key_len > 0u) {
        d->attest_kind = GW_ATTEST_HMAC;
    } else if (strncmp(att, "es256:", 6) == 0 &&
               gw_hex_decode(att + 6, d->attest_pub, sizeof(d->attest_pub), &d->attest_pub_len) == 0 &&
               d->attest_pub_len == 65u && d->attest_pub[0] == 0x04u) {
        d->attest_kind = GW_ATTEST_ES256;
    } else {
        return -2;
    }
    return 1;
}

int gw_config_sort_devices(gw_config_t *cfg)
{
    /* Sorted, so that the handshake finds a device by binary search. */
    qsort(cfg->devices, cfg->device_count, sizeof(*cfg->devices), device_cmp);
    for (size_t i = 1; i < cfg->device_count; i++) {
        if (strcmp(cfg->devices[i - 1].identity, cfg->devices[i].identity) == 0) {
            gw_log(GW_LOG_ERROR, "identity %s present twice", cfg->devices[i].identity);
            return -1;
        }
    }
    return 0;
}

int gw_config_load(const char *path, gw_config_t *cfg)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    unsigned lineno = 0;
    int rc = 0;

    memset(cfg, 0, sizeof(*cfg));
    (void)copy(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->listen_port = 8883;
    cfg->upstream_port = 8883;
    (void)copy(cfg->upstream_client_id, sizeof(cfg->upstream_client_id), "iot-gateway");
    cfg->upstream_buffer = 10000;
    cfg->lifecycle_min = 0x3000u;
    cfg->lifecycle_max = 0x30FFu;
    cfg->attest_timeout_ms = 10000u;
    cfg->max_sessions = 20000u;
    cfg->pre_attest_bytes = 16384u;
    if (f == NULL) {
        gw_log(GW_LOG_ERROR, "config: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        char *hash = strchr(line, '#');
        char *eq;
        char *k;
        char *v;
        unsigned long n = 0;

        lineno++;
        if (hash != NULL) {
            *hash = '\0';
        }
        k = trim(line);
        if (*k == '\0') {
            continue;
        }
        eq = strchr(k, '=');
        if (eq == NULL) {
            gw_log(GW_LOG_ERROR, "%s:%u: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        k = trim(k);
        v = trim(eq + 1);
        if (strcmp(k, "listen") == 0) {
            char *colon = strrchr(v, ':');
            if (colon == NULL) {
                rc = -1;
            } else {
                *colon = '\0';
                rc = (copy(cfg->listen_host, sizeof(cfg->listen_host), v) == 0 &&
                      parse_port_min(colon + 1, 0, &cfg->listen_port) == 0) ? 0 : -1;
            }
        } else if (strcmp(k, "key_store") == 0) {
            rc = copy(cfg->key_store, sizeof(cfg->key_store), v);
        } else if (strcmp(k, "psk_db") == 0) {
            gw_log(GW_LOG_ERROR,
                   "%s:%u: psk_db is no longer read; import the file once into the key store with "
                   "\"iot-gateway -c CONFIG import FILE\" and set key_store",
                   path, lineno);
            rc = -1;
            break;
        } else if (strcmp(k, "upstream_host") == 0) {
            rc = copy(cfg->upstream_host, sizeof(cfg->upstream_host), v);
        } else if (strcmp(k, "upstream_port") == 0) {
            rc = parse_port(v, &cfg->upstream_port);
        } else if (strcmp(k, "upstream_ca") == 0) {
            rc = copy(cfg->upstream_ca, sizeof(cfg->upstream_ca), v);
        } else if (strcmp(k, "upstream_cert") == 0) {
            rc = copy(cfg->upstream_cert, sizeof(cfg->upstream_cert), v);
        } else if (strcmp(k, "upstream_key") == 0) {
            rc = copy(cfg->upstream_key, sizeof(cfg->upstream_key), v);
        } else if (strcmp(k, "upstream_client_id") == 0) {
            rc = copy(cfg->upstream_client_id, sizeof(cfg->upstream_client_id), v);
        } else if (strcmp(k, "upstream_username") == 0) {
            rc = copy(cfg->upstream_username, sizeof(cfg->upstream_username), v);
        } else if (strcmp(k, "upstream_password") == 0) {
            rc = copy(cfg->upstream_password, sizeof(cfg->upstream_password), v);
        } else if (strcmp(k, "upstream_buffer") == 0) {
            rc = parse_uint(v, 10000000ul, &n);
            cfg->upstream_buffer = (int)n;
        } else if (strcmp(k, "allow") == 0) {
            rc = add_allow(cfg, v);
        } else if (strcmp(k, "lifecycle") == 0) {
            rc = parse_lifecycle(v, cfg);
        } else if (strcmp(k, "attest_timeout_ms") == 0) {
            rc = parse_uint(v, 600000ul, &n);
            cfg->attest_timeout_ms = (uint32_t)n;
        } else if (strcmp(k, "max_sessions") == 0) {
            rc = parse_uint(v, 1000000ul, &n);
            cfg->max_sessions = n;
        } else if (strcmp(k, "pre_attest_bytes") == 0) {
            rc = parse_uint(v, 1048576ul, &n);
            cfg->pre_attest_bytes = n;
        } else if (strcmp(k, "log_level") == 0) {
            if (strcmp(v, "error") == 0) {
                gw_log_level = GW_LOG_ERROR;
            } else if (strcmp(v, "warn") == 0) {
                gw_log_level = GW_LOG_WARN;
            } else if (strcmp(v, "info") == 0) {
                gw_log_level = GW_LOG_INFO;
            } else if (strcmp(v, "debug") == 0) {
                gw_log_level = GW_LOG_DEBUG;
            } else {
                rc = -1;
            }
        } else {
            gw_log(GW_LOG_ERROR, "%s:%u: unknown key \"%s\"", path, lineno, k);
            rc = -1;
            break;
        }
        if (rc != 0) {
            gw_log(GW_LOG_ERROR, "%s:%u: bad value for \"%s\"", path, lineno, k);
        }
    }
    fclose(f);
    if (rc != 0) {
        return -1;
    }
    if (cfg->key_store[0] == '\0' || cfg->upstream_host[0] == '\0' || cfg->upstream_ca[0] == '\0') {
        gw_log(GW_LOG_ERROR, "%s: key_store, upstream_host and upstream_ca are required", path);
        return -1;
    }
    if (cfg->allow_count == 0u) {
        gw_log(GW_LOG_ERROR, "%s: the allow-list is empty (add allow = <sha256 hex> lines)", path);
        return -1;
    }
    return 0;
}

void gw_config_free(gw_config_t *cfg)
{
    free(cfg->allow);
    free(cfg->devices);
    memset(cfg, 0, sizeof(*cfg));
}

const gw_device_t *gw_config_find_device(const gw_config_t *cfg, const char *identity, size_t len)
{
    size_t lo = 0;
    size_t hi = cfg->device_count;

    if (len == 0u || len > GW_MAX_IDENTITY || memchr(identity, '\0', len) != NULL) {
        return NULL; /* identities on the wire are bytes: no NUL can match a stored one */
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2u;
        const char *id = cfg->devices[mid].identity;
        size_t id_len = strlen(id);
        /* Same order as strcmp() on the sorted table. */
        int c = memcmp(id, identity, id_len < len ? id_len : len);
        if (c == 0 && id_len != len) {
            c = id_len < len ? -1 : 1;
        }
        if (c == 0) {
            return &cfg->devices[mid];
        }
        if (c < 0) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

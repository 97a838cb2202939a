/* SPDX-License-Identifier: Apache-2.0 */
/* Private interfaces of the PKCS#11 module: its state, sessions and the
 * helpers its source files share (doc/pkcs11.md describes the module). */
#ifndef IOT_PKCS11_INTERNAL_H
#define IOT_PKCS11_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/status.h>

/* The C_* functions are the module's interface: give their declarations
 * default visibility so that a shared module exports them even though the
 * rest of the SDK is built hidden. */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility push(default)
#endif
#include <p11-kit/pkcs11.h>
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#include <psa/crypto.h>

/* ---- Supplied by the platform ---------------------------------------------- */

/* Called by C_Initialize before the key store starts: prepare the port
 * store (posix: the directory) and return the configured user PIN, or NULL
 * when none is configured. IOT_OK when the store can be used; any other
 * status leaves the token absent. (posix: ports/posix/pkcs11/.) */
iot_status_t iot_pkcs11_platform_init(const char **pin, size_t *pin_len);

/* ---- Module state (pkcs11_module.c) ------------------------------------------ */

/* The one slot this module offers. */
#define IOT_P11_SLOT_ID 0u

/* What an operation of a session is doing. */
typedef enum { OP_NONE = 0, OP_ACTIVE = 1, OP_UPDATING = 2 } op_state_t;

typedef struct {
    uint8_t state;             /* op_state_t */
    CK_MECHANISM_TYPE mech;
    iot_key_id_t key;
    psa_hash_operation_t hash; /* multi-part and *_SHA256 mechanisms */
    bool hash_live;            /* `hash` was set up and must be aborted */
} p11_op_t;

typedef struct {
    bool used;
    CK_SESSION_HANDLE handle;
    CK_FLAGS flags;            /* CKF_SERIAL_SESSION, CKF_RW_SESSION */
    bool finding;
    size_t found_count;
    size_t found_pos;
    iot_key_id_t found[IOT_CONFIG_KEYS_MAX_OBJECTS];
    p11_op_t sign;
    p11_op_t verify;
    p11_op_t digest;
} p11_session_t;

/* Enter a call on a session: the module is initialised, the handle names
 * an open session; the module lock is held on CKR_OK. */
CK_RV p11_enter_session(CK_SESSION_HANDLE h, p11_session_t **s);
/* Enter a call that needs only an initialised module (lock held on CKR_OK). */
CK_RV p11_enter(void);
/* Leave: release the module lock and pass `rv` through. */
CK_RV p11_leave(CK_RV rv);
/* Whether the user is logged in (lock held). */
bool p11_logged_in(void);
/* End an operation and release its hash state (lock held). */
void p11_op_end(p11_op_t *op);

/* A key store status as a PKCS#11 return value, for store calls made on
 * behalf of objects. */
CK_RV p11_from_status(iot_status_t st);

/* ---- Objects (pkcs11_objects.c) ---------------------------------------------- */

/* The store's view of one object, as the module sees it. */
typedef struct {
    iot_key_info_t info;
    CK_OBJECT_CLASS cls;
    bool is_private; /* CKA_PRIVATE: private and secret keys */
} p11_obj_t;

/* Look up a handle visible to the session: CKR_OBJECT_HANDLE_INVALID when
 * there is no such object, CKR_USER_NOT_LOGGED_IN for a private object
 * before C_Login. */
CK_RV p11_obj_get(CK_OBJECT_HANDLE h, p11_obj_t *o);

/* Length in bytes of a signature by a key type (ECDSA r || s, or RSA); 0 for others. */
size_t p11_sig_len(iot_key_type_t type);

/* The PSA hash of a digest mechanism (CKM_SHA256/384/512), or 0. */
psa_algorithm_t p11_digest_alg(CK_MECHANISM_TYPE mech);

/* Hash a whole message under the store's PSA lock; `out` holds PSA_HASH_LENGTH(alg). */
CK_RV p11_hash(psa_algorithm_t alg, const uint8_t *data, size_t len, uint8_t *out);

#endif /* IOT_PKCS11_INTERNAL_H */

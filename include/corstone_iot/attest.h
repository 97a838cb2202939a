/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file attest.h
 * @brief Initial attestation: a PSA attestation token that proves to a
 *        verifier (for example the TLS-PSK gateway) what the device is and
 *        which software it runs.
 *
 * The token follows the PSA attestation token (the IANA-registered claim
 * keys of the PSA token profile, see doc/attestation.md): a CBOR map with
 * the profile, the verifier's challenge as nonce, the instance id, the
 * implementation id, the boot seed, the security lifecycle state and one
 * entry per software component (measurement type, measurement value,
 * version, signer id). It is protected by the attestation key held in the
 * key store under the label ::IOT_ATTEST_KEY_LABEL:
 * - an EC P-256 private key: COSE_Sign1 with ES256;
 * - a pre-shared (secret) key: COSE_Mac0 with HMAC-SHA256, the form of
 *   TF-M Profile Small (symmetric attestation).
 *
 * On Corstone with TF-M these calls map onto psa_initial_attest_get_token()
 * and psa_initial_attest_get_token_size(); on posix the port supplies the
 * device claims (iot_port_attest_claims()) and the SDK builds the token.
 *
 * When the SDK is built with attestation, an MQTT client answers a
 * gateway's challenge by itself: a PUBLISH on ::IOT_ATTEST_TOPIC_CHALLENGE
 * is not delivered to the application; the client publishes the token on
 * ::IOT_ATTEST_TOPIC_TOKEN instead (doc/gateway.md).
 */
#ifndef CORSTONE_IOT_ATTEST_H
#define CORSTONE_IOT_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/export.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Key store label of the attestation key (private EC P-256 key or secret key). */
#define IOT_ATTEST_KEY_LABEL "attestation"

/** @brief Topic on which a gateway sends its challenge (the payload is the challenge). */
#define IOT_ATTEST_TOPIC_CHALLENGE "$attest/challenge"

/** @brief Topic on which the device answers with its token (the payload is the token). */
#define IOT_ATTEST_TOPIC_TOKEN "$attest/token"

/** @brief Profile claim the token carries. */
#define IOT_ATTEST_PROFILE "tag:psacertified.org,2023:psa#tfm"

/** @brief Security lifecycle: unknown. */
#define IOT_ATTEST_LIFECYCLE_UNKNOWN 0x0000u
/** @brief Security lifecycle: assembly and test. */
#define IOT_ATTEST_LIFECYCLE_ASSEMBLY_AND_TEST 0x1000u
/** @brief Security lifecycle: PSA RoT provisioning. */
#define IOT_ATTEST_LIFECYCLE_PSA_ROT_PROVISIONING 0x2000u
/** @brief Security lifecycle: secured (the only state a production verifier accepts). */
#define IOT_ATTEST_LIFECYCLE_SECURED 0x3000u
/** @brief Security lifecycle: non-PSA RoT debug. */
#define IOT_ATTEST_LIFECYCLE_NON_PSA_ROT_DEBUG 0x4000u
/** @brief Security lifecycle: recoverable PSA RoT debug. */
#define IOT_ATTEST_LIFECYCLE_RECOVERABLE_PSA_ROT_DEBUG 0x5000u
/** @brief Security lifecycle: decommissioned. */
#define IOT_ATTEST_LIFECYCLE_DECOMMISSIONED 0x6000u

/**
 * @brief Build an attestation token for a verifier's challenge.
 *
 * @param challenge     The verifier's nonce.
 * @param challenge_len 32, 48 or 64 bytes.
 * @param buf           Receives the token (a tagged COSE_Sign1 or COSE_Mac0).
 * @param cap           Capacity of @p buf in bytes.
 * @param len           Receives the token length.
 * @retval IOT_OK The token is in @p buf.
 * @retval IOT_ERR_INVALID_ARG A NULL pointer.
 * @retval IOT_ERR_ATTEST_CHALLENGE @p challenge_len is not 32, 48 or 64.
 * @retval IOT_ERR_BAD_STATE The key store is not initialised (iot_keystore_init()).
 * @retval IOT_ERR_ATTEST_NO_KEY No key labelled ::IOT_ATTEST_KEY_LABEL of a usable kind.
 * @retval IOT_ERR_BUFFER_TOO_SMALL The token does not fit in @p cap (see iot_attest_get_token_size()).
 * @retval IOT_ERR_NO_MEMORY The token exceeds ::IOT_CONFIG_ATTEST_TOKEN_MAX.
 * @retval IOT_ERR_IO A firmware image could not be read for its measurement.
 * @retval IOT_ERR_ENTROPY No random source for the boot seed (boards without TF-M
 *         or a TRNG: the port refuses rather than invent one).
 * @retval IOT_ERR_CRYPTO Hashing, MAC or signing failed.
 * @par Thread safety
 * Safe to call from any thread; calls are serialised.
 */
IOT_API iot_status_t iot_attest_get_token(const uint8_t *challenge, size_t challenge_len,
                                          uint8_t *buf, size_t cap, size_t *len);

/**
 * @brief The exact size of the token iot_attest_get_token() would build now
 *        for a challenge of @p challenge_len bytes.
 *
 * @param challenge_len 32, 48 or 64.
 * @param size          Receives the size in bytes.
 * @retval IOT_OK Stored.
 * @retval IOT_ERR_INVALID_ARG NULL @p size.
 * @retval IOT_ERR_ATTEST_CHALLENGE @p challenge_len is not 32, 48 or 64.
 * @retval IOT_ERR_BAD_STATE The key store is not initialised.
 * @retval IOT_ERR_ATTEST_NO_KEY No usable attestation key.
 * @retval IOT_ERR_NO_MEMORY The token exceeds ::IOT_CONFIG_ATTEST_TOKEN_MAX.
 * @retval IOT_ERR_IO A firmware image could not be read.
 * @retval IOT_ERR_CRYPTO Hashing failed.
 */
IOT_API iot_status_t iot_attest_get_token_size(size_t challenge_len, size_t *size);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_ATTEST_H */

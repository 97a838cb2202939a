/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: limits of the gateway's own copy of the key store
 * (IOT_CONFIG_FILE for the gw_keystore objects, tools/gateway/CMakeLists.txt).
 *
 * A device takes two objects: its PSK ("psk:<identity>") and its attestation
 * key ("attest:<identity>"). 32768 table entries hold 16,384 devices; the
 * table costs about 170 bytes per entry (5.4 MiB), and the store reads one
 * port store object per entry at start-up. */
#ifndef GW_KEYS_CONFIG_H
#define GW_KEYS_CONFIG_H

#define IOT_CONFIG_KEYS_MAX_OBJECTS 32768

#endif /* GW_KEYS_CONFIG_H */

/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file iot.h
 * @brief Umbrella header: include this one to use corstone-iot.
 *
 * @mainpage corstone-iot API reference
 *
 * corstone-iot connects firmware on Arm Corstone-300 and Corstone-310, and
 * Linux hosts, securely to the cloud. Include `<corstone_iot/iot.h>`; it
 * brings in every public header:
 *
 * - status.h: ::iot_status_t, iot_strerror()
 * - version.h: ::IOT_VERSION_MAJOR and friends, iot_version()
 * - config.h: compile-time limits, overridable with `IOT_CONFIG_FILE`
 * - log.h: log levels and the log sink
 * - tls.h: how a connection is secured (::iot_tls_config_t, ::iot_cred_t)
 * - mqtt.h: the MQTT 3.1.1 client: iot_connect(), iot_publish(),
 *   iot_subscribe(), iot_process(), iot_disconnect()
 * - keys.h: the key store over PSA Crypto: iot_keystore_init(),
 *   iot_key_generate(), iot_key_import_private(), iot_key_sign_hash(),
 *   iot_key_csr(), iot_keystore_save() (ports that build the key store)
 * - ota_agent.h: OTA delivery over MQTT, the device side:
 *   iot_ota_agent_start(), iot_ota_agent_step()
 *
 * On Linux, posix.h adds host-only settings (firmware slot directory, boot
 * step); include it explicitly.
 *
 * port.h is the contract a platform port implements; applications do not
 * need it.
 *
 * @par API promise
 * Everything declared in these headers follows Semantic Versioning: within
 * one major version, programs compiled against an older minor release keep
 * compiling and keep working, unchanged, with a newer one (source and binary
 * compatibility). Names starting with `iot_internal_` or `IOT_INTERNAL_`,
 * and headers outside `include/corstone_iot/`, are not part of the promise.
 */
#ifndef CORSTONE_IOT_IOT_H
#define CORSTONE_IOT_IOT_H

#include <corstone_iot/attest.h>
#include <corstone_iot/config.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/log.h>
#include <corstone_iot/mqtt.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/ota_agent.h>
#include <corstone_iot/status.h>
#include <corstone_iot/tls.h>
#include <corstone_iot/version.h>

#endif /* CORSTONE_IOT_IOT_H */

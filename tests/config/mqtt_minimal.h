/* SPDX-License-Identifier: Apache-2.0 */
/* The smallest MQTT client configuration: every optional feature left out. */
#define IOT_CONFIG_MQTT_QOS2 0
#define IOT_CONFIG_MQTT_WILL 0
#define IOT_CONFIG_MQTT_UNSUBSCRIBE 0
#define IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS 0
#define IOT_CONFIG_MQTT_BACKGROUND_THREAD 0

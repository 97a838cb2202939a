/* SPDX-License-Identifier: Apache-2.0 */
/* A product's configuration header, as IOT_CONFIG_FILE names it. */
#define IOT_CONFIG_LOG_LINE_MAX 40
#define IOT_CONFIG_LOG_LEVEL 1

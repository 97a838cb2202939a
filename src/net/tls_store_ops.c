/* SPDX-License-Identifier: Apache-2.0 */
/* The transport's link to the key store's TLS glue (iot_tls_store.h). */
#include "iot_tls_store.h"

#if defined(IOT_HAVE_KEYSTORE)
const iot_tls_store_ops_t *iot_tls_store_ops;
#endif

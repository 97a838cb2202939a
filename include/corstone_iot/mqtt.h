/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mqtt.h
 * @brief MQTT 3.1.1 client over TLS: connect, publish, subscribe.
 *
 * @par Memory
 * The SDK never allocates from a heap. Clients come from a static pool of
 * ::IOT_CONFIG_MQTT_MAX_CLIENTS entries; each has a receive buffer and an
 * outgoing queue, either the configured static ones or memory the caller
 * lends in ::iot_connect_options_t (it must outlive the client).
 *
 * @par Threads
 * On ports with a mutex, any number of threads may call iot_publish(),
 * iot_subscribe(), iot_unsubscribe(), iot_flush() and iot_process() on one
 * client at the same time. Callbacks run on the thread that is reading
 * (iot_process(), a waiting call, or the background thread) without any SDK
 * lock held, so they may call the SDK, except iot_disconnect() on their own
 * client.
 *
 * @par Delivery
 * QoS 1 and 2 messages are kept in the client's bounded outgoing queue until
 * the broker acknowledges them. If the connection drops they are sent again
 * (with DUP) after the automatic reconnect, so none is lost while the queue
 * has room. When it is full, iot_publish() reports ::IOT_ERR_QUEUE_FULL
 * instead of blocking forever.
 */
#ifndef CORSTONE_IOT_MQTT_H
#define CORSTONE_IOT_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/export.h>
#include <corstone_iot/status.h>
#include <corstone_iot/tls.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A connection to an MQTT broker; opaque. Obtained from iot_connect(). */
typedef struct iot_client iot_client_t;

/** @brief MQTT quality of service. */
typedef enum iot_qos {
    IOT_QOS0 = 0, /**< At most once. */
    IOT_QOS1 = 1, /**< At least once. */
    IOT_QOS2 = 2  /**< Exactly once. */
} iot_qos_t;

/** @brief An incoming message, valid only during the callback that receives it. */
typedef struct iot_message {
    const char *topic;      /**< Topic name; NOT NUL-terminated. */
    size_t topic_len;       /**< Length of @c topic in bytes. */
    const uint8_t *payload; /**< Payload bytes (may be NULL when @c payload_len is 0). */
    size_t payload_len;     /**< Length of @c payload. */
    iot_qos_t qos;          /**< QoS the message was delivered with. */
    bool retain;            /**< Set when the broker delivered a retained message. */
    bool dup;               /**< Set when the broker marked this as a possible duplicate. */
} iot_message_t;

/**
 * @brief Receives messages for a subscription.
 * @param client The client.
 * @param msg    The message; its memory is the client's and valid only during the call.
 * @param user   The pointer given with the subscription.
 */
typedef void (*iot_message_cb_t)(iot_client_t *client, const iot_message_t *msg, void *user);

/** @brief What happened to a connection. */
typedef enum iot_event {
    IOT_EVENT_CONNECTED = 0,     /**< Connected (first time or again); @c status is ::IOT_OK. */
    IOT_EVENT_DISCONNECTED = 1,  /**< The connection was lost; @c status says why. */
    IOT_EVENT_RECONNECT_FAILED = 2, /**< A reconnect attempt failed; @c status says why. */
    IOT_EVENT_MESSAGE_DROPPED = 3,  /**< An incoming message was larger than the receive buffer. */
    IOT_EVENT_RESUBSCRIBE_FAILED = 4 /**< After reconnect, the broker refused a subscription again. */
} iot_event_t;

/**
 * @brief Receives connection events.
 * @param client The client.
 * @param event  What happened.
 * @param status The reason (::IOT_OK for ::IOT_EVENT_CONNECTED).
 * @param user   ::iot_connect_options_t::event_user.
 */
typedef void (*iot_event_cb_t)(iot_client_t *client, iot_event_t event, iot_status_t status,
                               void *user);

/**
 * @brief How to connect. Initialise with ::IOT_CONNECT_OPTIONS_INIT, then set
 *        at least @c host, @c port, @c client_id and @c tls.
 */
typedef struct iot_connect_options {
    uint32_t struct_size;          /**< sizeof(iot_connect_options_t); set by the INIT macro. */
    const char *host;              /**< Broker host name or address (copied; at most ::IOT_CONFIG_MQTT_MAX_HOST_LEN bytes). */
    uint16_t port;                 /**< Broker TCP port. */
    const char *client_id;         /**< MQTT client identifier (copied; at most ::IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN bytes; brokers always accept 1..23 characters). */
    const iot_tls_config_t *tls;   /**< Security settings; NULL is refused (use ::IOT_TLS_NONE explicitly). */
    uint16_t keep_alive_s;         /**< Keep-alive interval in seconds; 0 disables. Default 60. */
    bool clean_session;            /**< Start a new session (default) or resume the broker's. */
    const char *username;          /**< User name, or NULL. */
    const uint8_t *password;       /**< Password bytes, or NULL; needs @c username. */
    size_t password_len;           /**< Length of @c password. */
    const char *will_topic;        /**< Last-will topic, or NULL for no will. */
    const uint8_t *will_payload;   /**< Last-will message bytes. */
    size_t will_payload_len;       /**< Length of @c will_payload. */
    iot_qos_t will_qos;            /**< QoS of the will. */
    bool will_retain;              /**< Retain the will. */
    uint32_t connect_timeout_ms;   /**< Limit for TCP + TLS + CONNACK; default 10000. */
    uint32_t command_timeout_ms;   /**< How long calls wait for the broker or for queue room; default ::IOT_CONFIG_MQTT_DEFAULT_TIMEOUT_MS. */
    uint32_t ping_timeout_ms;      /**< How long to wait for PINGRESP before declaring the broker dead; default 5000. */
    bool auto_reconnect;           /**< Reconnect by itself after a loss (default true). */
    uint32_t backoff_base_ms;      /**< First reconnect delay ceiling; default ::IOT_CONFIG_BACKOFF_BASE_MS. */
    uint32_t backoff_max_ms;       /**< Largest reconnect delay ceiling; default ::IOT_CONFIG_BACKOFF_MAX_MS. */
    uint32_t stable_after_ms;      /**< A connection up this long resets the back-off; default 30000. */
    uint8_t *rx_buffer;            /**< Caller-owned receive buffer (largest incoming packet), or NULL for the static one. */
    size_t rx_buffer_size;         /**< Size of @c rx_buffer. */
    uint8_t *queue_buffer;         /**< Caller-owned outgoing queue for QoS 1/2 messages, or NULL for the static one. */
    size_t queue_buffer_size;      /**< Size of @c queue_buffer. */
    bool background_thread;        /**< Drive I/O from an SDK thread (ports with threads only). */
    iot_event_cb_t on_event;       /**< Connection events, or NULL. */
    void *event_user;              /**< Passed to @c on_event. */
    iot_message_cb_t on_message;   /**< Messages matching no subscription (e.g. a resumed session), or NULL. */
    void *message_user;            /**< Passed to @c on_message. */
} iot_connect_options_t;

/** @brief Defaults for ::iot_connect_options_t. */
#define IOT_CONNECT_OPTIONS_INIT                                                               \
    { sizeof(iot_connect_options_t), NULL, 0u, NULL, NULL, 60u, true, NULL, NULL, 0u, NULL,    \
      NULL, 0u, IOT_QOS0, false, 0u, 0u, 0u, true, 0u, 0u, 0u, NULL, 0u, NULL, 0u, false,      \
      NULL, NULL, NULL, NULL }

/**
 * @brief Connect to a broker: TCP, TLS handshake, MQTT CONNECT and CONNACK.
 *
 * Blocks up to @c connect_timeout_ms. The first connection is never retried
 * automatically, so configuration errors surface here.
 *
 * @param options How to connect. The structure, @c host and @c client_id are
 *                copied; other memory it references (user name, password,
 *                will, TLS configuration and credentials, lent buffers) must
 *                stay valid until iot_disconnect(), because reconnects use it.
 * @param client  Receives the client on success; NULL on failure.
 * @retval IOT_OK Connected.
 * @retval IOT_ERR_INVALID_ARG A required option is missing or out of range (e.g. a host or client id too long,
 *         a client id or user name that is not valid UTF-8).
 * @retval IOT_ERR_BAD_TOPIC The will topic is invalid.
 * @retval IOT_ERR_PACKET_TOO_LARGE The user name, password or will payload is longer than 65535 bytes.
 * @retval IOT_ERR_BUFFER_TOO_SMALL CONNECT does not fit the receive buffer.
 * @retval IOT_ERR_NO_MEMORY All ::IOT_CONFIG_MQTT_MAX_CLIENTS clients are in use.
 * @retval IOT_ERR_NET_RESOLVE The host name could not be resolved.
 * @retval IOT_ERR_NET_CONNECT The TCP connection failed.
 * @retval IOT_ERR_TIMEOUT No CONNACK in time.
 * @retval IOT_ERR_TLS_CERT_UNTRUSTED The server certificate is not trusted.
 * @retval IOT_ERR_TLS_CERT_EXPIRED The server certificate has expired.
 * @retval IOT_ERR_TLS_HOSTNAME The server certificate is for another name.
 * @retval IOT_ERR_TLS_PSK_REJECTED The PSK or its identity was refused.
 * @retval IOT_ERR_TLS_PEER_REFUSED The server refused the client certificate.
 * @retval IOT_ERR_TLS_CREDENTIALS The configured credentials are unusable.
 * @retval IOT_ERR_TLS_HANDSHAKE Another TLS handshake failure.
 * @retval IOT_ERR_MQTT_REFUSED_VERSION CONNACK refused the protocol version.
 * @retval IOT_ERR_MQTT_REFUSED_ID CONNACK refused the client identifier.
 * @retval IOT_ERR_MQTT_SERVER_UNAVAILABLE CONNACK: server unavailable.
 * @retval IOT_ERR_MQTT_BAD_CREDENTIALS CONNACK: bad user name or password.
 * @retval IOT_ERR_MQTT_NOT_AUTHORIZED CONNACK: not authorised.
 * @retval IOT_ERR_MQTT_PROTOCOL The broker answered with something other than a valid CONNACK.
 * @retval IOT_ERR_NET_CLOSED The broker closed the connection during CONNECT.
 * @retval IOT_ERR_NOT_SUPPORTED A requested feature is not available on this port, or
 *         left out of the build: a will without ::IOT_CONFIG_MQTT_WILL, a
 *         background thread without ::IOT_CONFIG_MQTT_BACKGROUND_THREAD.
 */
IOT_API iot_status_t iot_connect(const iot_connect_options_t *options, iot_client_t **client);

/**
 * @brief Publish a message.
 *
 * QoS 0: sent before the call returns (or ::IOT_ERR_NOT_CONNECTED), after
 * any QoS 1 and 2 messages still waiting in the queue, so messages leave in
 * the order they were published.
 * QoS 1 and 2: copied into the outgoing queue; the call returns without
 * waiting for the acknowledgement (use iot_flush() for that). The message is
 * sent at once while at most half of ::IOT_CONFIG_MQTT_MAX_INFLIGHT messages
 * are unacknowledged; beyond that it waits in the queue and leaves together
 * with the others waiting (one write) as soon as acknowledgements bring the
 * count down again, i.e. while the background thread, iot_process(),
 * iot_flush() or a publish waiting for room reads from the connection.
 * While disconnected with auto-reconnect on, the message waits in the queue.
 * If the queue or the in-flight table is full, the call waits up to
 * @c command_timeout_ms for room, then returns ::IOT_ERR_QUEUE_FULL.
 *
 * @param client      The client.
 * @param topic       Topic name, NUL-terminated, no wildcards.
 * @param payload     Payload bytes (may be NULL when @p payload_len is 0).
 * @param payload_len Payload length.
 * @param qos         Quality of service.
 * @param retain      Ask the broker to retain the message.
 * @retval IOT_OK Sent (QoS 0) or queued (QoS 1, 2).
 * @retval IOT_ERR_INVALID_ARG NULL client or topic, bad QoS, NULL payload with a length.
 * @retval IOT_ERR_BAD_TOPIC The topic is empty, not UTF-8, or has wildcards.
 * @retval IOT_ERR_PACKET_TOO_LARGE The message cannot fit the queue (QoS 1, 2) or MQTT's limit.
 * @retval IOT_ERR_QUEUE_FULL No room in time; retry later.
 * @retval IOT_ERR_NOT_CONNECTED Not connected (QoS 0, or no auto-reconnect).
 * @retval IOT_ERR_NET_CLOSED The connection broke while sending (QoS 0).
 * @retval IOT_ERR_NOT_SUPPORTED QoS 2 in a build without ::IOT_CONFIG_MQTT_QOS2.
 */
IOT_API iot_status_t iot_publish(iot_client_t *client, const char *topic, const void *payload,
                                 size_t payload_len, iot_qos_t qos, bool retain);

/**
 * @brief Subscribe to a topic filter and wait for the broker's SUBACK.
 *
 * The filter is stored in the client (at most ::IOT_CONFIG_MQTT_MAX_FILTER_LEN
 * bytes) and restored after a reconnect if the broker lost the session.
 * Subscribing again to the same filter replaces its callback and QoS.
 *
 * @param client  The client.
 * @param filter  Topic filter, NUL-terminated; '+' and '#' wildcards allowed.
 * @param qos     Maximum QoS requested.
 * @param cb      Called for every message matching @p filter.
 * @param user    Passed to @p cb.
 * @retval IOT_OK Subscribed.
 * @retval IOT_ERR_INVALID_ARG NULL argument or bad QoS.
 * @retval IOT_ERR_BAD_TOPIC The filter is invalid or longer than ::IOT_CONFIG_MQTT_MAX_FILTER_LEN.
 * @retval IOT_ERR_NO_MEMORY ::IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS are in use.
 * @retval IOT_ERR_MQTT_SUBSCRIBE_REFUSED The broker refused the subscription.
 * @retval IOT_ERR_TIMEOUT No SUBACK within @c command_timeout_ms.
 * @retval IOT_ERR_NOT_CONNECTED Not connected.
 * @retval IOT_ERR_NOT_SUPPORTED QoS 2 in a build without ::IOT_CONFIG_MQTT_QOS2.
 */
IOT_API iot_status_t iot_subscribe(iot_client_t *client, const char *filter, iot_qos_t qos,
                                   iot_message_cb_t cb, void *user);

/**
 * @brief Remove a subscription and wait for the broker's UNSUBACK.
 * @param client The client.
 * @param filter The filter exactly as subscribed.
 * @retval IOT_OK Unsubscribed.
 * @retval IOT_ERR_INVALID_ARG NULL argument.
 * @retval IOT_ERR_NOT_FOUND No such subscription.
 * @retval IOT_ERR_TIMEOUT No UNSUBACK within @c command_timeout_ms.
 * @retval IOT_ERR_NOT_CONNECTED Not connected.
 * @retval IOT_ERR_NOT_SUPPORTED Built without ::IOT_CONFIG_MQTT_UNSUBSCRIBE.
 */
IOT_API iot_status_t iot_unsubscribe(iot_client_t *client, const char *filter);

/**
 * @brief Drive the connection for up to @p timeout_ms: receive and dispatch
 *        messages, send keep-alive pings, reconnect after a loss.
 *
 * Call it in a loop unless the client runs a background thread.
 * @param client     The client.
 * @param timeout_ms How long to work; returns earlier only on error. With 0 it
 *                   polls once: what has already arrived is dispatched.
 * @retval IOT_OK The time passed normally (connected, or reconnecting).
 * @retval IOT_ERR_INVALID_ARG NULL client.
 * @retval IOT_ERR_BAD_STATE The client runs a background thread, or the call
 *         comes from one of this client's callbacks.
 * @retval IOT_ERR_NOT_CONNECTED The connection is lost and auto-reconnect is off.
 */
IOT_API iot_status_t iot_process(iot_client_t *client, uint32_t timeout_ms);

/**
 * @brief Wait until every queued QoS 1 and 2 message is acknowledged.
 * @param client     The client.
 * @param timeout_ms Longest wait.
 * @retval IOT_OK The queue is empty.
 * @retval IOT_ERR_INVALID_ARG NULL client.
 * @retval IOT_ERR_TIMEOUT Messages are still unacknowledged.
 * @retval IOT_ERR_NOT_CONNECTED The connection is lost and auto-reconnect is off.
 * @retval IOT_ERR_BAD_STATE Called from one of this client's callbacks while
 *         messages wait: nothing can be read there.
 */
IOT_API iot_status_t iot_flush(iot_client_t *client, uint32_t timeout_ms);

/**
 * @brief Whether the client is connected right now.
 * @param client The client (NULL gives false).
 * @return true when the MQTT session is up.
 */
IOT_API bool iot_is_connected(const iot_client_t *client);

/**
 * @brief Send DISCONNECT, close the connection and release the client.
 *
 * Stops the background thread if any. Unacknowledged QoS 1 and 2 messages
 * are discarded (call iot_flush() first to avoid that). The broker does not
 * publish the will. @p client is invalid afterwards.
 * @param client The client; NULL is ignored.
 * @retval IOT_OK Released.
 * @retval IOT_ERR_BAD_STATE Called from this client's own callback.
 */
IOT_API iot_status_t iot_disconnect(iot_client_t *client);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_MQTT_H */

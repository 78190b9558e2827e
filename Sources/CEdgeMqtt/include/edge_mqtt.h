/* A thin shim over libmosquitto for the fleet client (agent and controller).
 *
 * libmosquitto runs its network loop on its own thread (mosquitto_loop_start) and
 * reconnects by itself; its callbacks only append events to a bounded queue that the
 * caller drains with edge_mqtt_next. So Swift (Embedded on the device) never runs on
 * libmosquitto's thread and needs no callbacks, only plain C calls. */
#ifndef EDGE_MQTT_H
#define EDGE_MQTT_H

#include <stddef.h>
#include <stdint.h>

typedef struct edge_mqtt edge_mqtt;

enum {
    EDGE_MQTT_TIMEOUT = 0,
    EDGE_MQTT_MESSAGE = 1,
    /* rc = the CONNACK code: 0 accepted, 4 bad user name or password, 5 not authorised */
    EDGE_MQTT_CONNECTED = 2,
    /* rc = 0 after edge_mqtt_stop, otherwise the reason (libmosquitto reconnects) */
    EDGE_MQTT_DISCONNECTED = 3,
};

typedef struct {
    int kind;
    int rc;
    /* EDGE_MQTT_MESSAGE: valid until the next edge_mqtt_next or edge_mqtt_free. */
    const char *topic;
    const uint8_t *payload;
    size_t length;
    int retained;
} edge_mqtt_event;

/* A client with the given id; clean session. max_queued bounds the event queue (the
 * oldest message is dropped, and counted, when it is full). NULL on failure. */
edge_mqtt *edge_mqtt_new(const char *client_id, int max_queued);
/* Both optional; call before edge_mqtt_start. 0 on success (MOSQ_ERR_* otherwise). */
int edge_mqtt_set_login(edge_mqtt *m, const char *user, const char *password);
/* TLS (optional; before edge_mqtt_start): the broker's certificate must verify against
 * cafile and name the host connected to; certfile/keyfile (both or neither, may be NULL)
 * are a client certificate. 0 on success. */
int edge_mqtt_set_tls(edge_mqtt *m, const char *cafile, const char *certfile, const char *keyfile);
int edge_mqtt_set_will(edge_mqtt *m, const char *topic, const void *payload, int length, int qos, int retain);
/* Starts the network thread and connects in the background; reconnects forever with
 * a back-off of 1..max_reconnect_s seconds. 0 on success. */
int edge_mqtt_start(edge_mqtt *m, const char *host, int port, int keepalive_s, int max_reconnect_s);
int edge_mqtt_subscribe(edge_mqtt *m, const char *topic, int qos);
int edge_mqtt_unsubscribe(edge_mqtt *m, const char *topic);
/* Queues a message; with qos > 0 it counts as pending until the broker acknowledges. */
int edge_mqtt_publish(edge_mqtt *m, const char *topic, const void *payload, int length, int qos, int retain);
/* Waits up to timeout_ms for an event; returns its kind (EDGE_MQTT_TIMEOUT if none). */
int edge_mqtt_next(edge_mqtt *m, int timeout_ms, edge_mqtt_event *out);
/* Waits until every qos>0 publish was acknowledged: 0, or -2 on timeout. */
int edge_mqtt_wait_published(edge_mqtt *m, int timeout_ms);
int edge_mqtt_is_connected(edge_mqtt *m);
/* Messages dropped because the queue was full. */
uint64_t edge_mqtt_dropped(edge_mqtt *m);
/* Sends DISCONNECT (so no last will), stops the thread and frees everything. */
void edge_mqtt_free(edge_mqtt *m);
const char *edge_mqtt_strerror(int rc);
const char *edge_mqtt_connack_string(int rc);

#endif

#include "edge_mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct event_node {
    struct event_node *next;
    int kind, rc, retained;
    char *topic;
    uint8_t *payload;
    size_t length;
} event_node;

struct edge_mqtt {
    struct mosquitto *mosq;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    event_node *head, *tail;
    int queued, max_queued;
    uint64_t dropped;
    int pending;      /* qos>0 publishes not yet acknowledged */
    int connected;
    int started;
    event_node *current;  /* handed out by edge_mqtt_next, freed on the next call */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static void lib_init(void) { mosquitto_lib_init(); }

static void free_node(event_node *n) {
    if (!n) return;
    free(n->topic);
    free(n->payload);
    free(n);
}

/* Called with the lock held. Messages beyond the bound drop the oldest message; state
 * events (connect/disconnect) are never dropped. */
static void enqueue(edge_mqtt *m, event_node *n) {
    if (n->kind == EDGE_MQTT_MESSAGE && m->queued >= m->max_queued) {
        event_node **p = &m->head, *prev = NULL;
        while (*p && (*p)->kind != EDGE_MQTT_MESSAGE) { prev = *p; p = &(*p)->next; }
        if (*p) {
            event_node *old = *p;
            *p = old->next;
            if (m->tail == old) m->tail = prev;
            free_node(old);
            m->queued--;
            m->dropped++;
        }
    }
    n->next = NULL;
    if (m->tail) m->tail->next = n; else m->head = n;
    m->tail = n;
    if (n->kind == EDGE_MQTT_MESSAGE) m->queued++;
    pthread_cond_broadcast(&m->changed);
}

static void push_state(edge_mqtt *m, int kind, int rc) {
    event_node *n = calloc(1, sizeof *n);
    if (!n) return;
    n->kind = kind;
    n->rc = rc;
    pthread_mutex_lock(&m->lock);
    m->connected = (kind == EDGE_MQTT_CONNECTED && rc == 0);
    enqueue(m, n);
    pthread_mutex_unlock(&m->lock);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
    (void)mosq;
    push_state(obj, EDGE_MQTT_CONNECTED, rc);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
    (void)mosq;
    push_state(obj, EDGE_MQTT_DISCONNECTED, rc);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid) {
    (void)mosq; (void)mid;
    edge_mqtt *m = obj;
    pthread_mutex_lock(&m->lock);
    if (m->pending > 0) m->pending--;
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->lock);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg) {
    (void)mosq;
    edge_mqtt *m = obj;
    event_node *n = calloc(1, sizeof *n);
    if (!n) return;
    n->kind = EDGE_MQTT_MESSAGE;
    n->retained = msg->retain;
    n->topic = strdup(msg->topic ? msg->topic : "");
    n->length = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    n->payload = malloc(n->length ? n->length : 1);
    if (!n->topic || !n->payload) { free_node(n); return; }
    if (n->length) memcpy(n->payload, msg->payload, n->length);
    pthread_mutex_lock(&m->lock);
    enqueue(m, n);
    pthread_mutex_unlock(&m->lock);
}

edge_mqtt *edge_mqtt_new(const char *client_id, int max_queued) {
    pthread_once(&lib_once, lib_init);
    edge_mqtt *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->max_queued = max_queued > 0 ? max_queued : 1024;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->changed, NULL);
    m->mosq = mosquitto_new(client_id, true, m);
    if (!m->mosq) {
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->changed);
        free(m);
        return NULL;
    }
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_callback_set(m->mosq, on_publish);
    mosquitto_message_callback_set(m->mosq, on_message);
    return m;
}

int edge_mqtt_set_login(edge_mqtt *m, const char *user, const char *password) {
    return mosquitto_username_pw_set(m->mosq, user, password);
}

int edge_mqtt_set_tls(edge_mqtt *m, const char *cafile, const char *certfile, const char *keyfile) {
    int rc = mosquitto_tls_set(m->mosq, cafile, NULL, certfile, keyfile, NULL);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    /* 1 = SSL_VERIFY_PEER; NULL: the library's default TLS version and ciphers. */
    return mosquitto_tls_opts_set(m->mosq, 1, NULL, NULL);
}

int edge_mqtt_set_will(edge_mqtt *m, const char *topic, const void *payload, int length, int qos, int retain) {
    return mosquitto_will_set(m->mosq, topic, length, payload, qos, retain != 0);
}

int edge_mqtt_start(edge_mqtt *m, const char *host, int port, int keepalive_s, int max_reconnect_s) {
    mosquitto_reconnect_delay_set(m->mosq, 1, max_reconnect_s > 1 ? (unsigned)max_reconnect_s : 1, true);
    /* A broker that is down now is not an error: the network thread keeps trying. */
    int rc = mosquitto_connect_async(m->mosq, host, port, keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) return rc;
    rc = mosquitto_loop_start(m->mosq);
    if (rc == MOSQ_ERR_SUCCESS) m->started = 1;
    return rc;
}

int edge_mqtt_subscribe(edge_mqtt *m, const char *topic, int qos) {
    return mosquitto_subscribe(m->mosq, NULL, topic, qos);
}

int edge_mqtt_unsubscribe(edge_mqtt *m, const char *topic) {
    return mosquitto_unsubscribe(m->mosq, NULL, topic);
}

int edge_mqtt_publish(edge_mqtt *m, const char *topic, const void *payload, int length, int qos, int retain) {
    if (qos > 0) {
        pthread_mutex_lock(&m->lock);
        m->pending++;
        pthread_mutex_unlock(&m->lock);
    }
    int rc = mosquitto_publish(m->mosq, NULL, topic, length, payload, qos, retain != 0);
    if (rc != MOSQ_ERR_SUCCESS && qos > 0 && rc != MOSQ_ERR_NO_CONN) {
        /* Not queued at all (NO_CONN messages are queued and sent on reconnect). */
        pthread_mutex_lock(&m->lock);
        if (m->pending > 0) m->pending--;
        pthread_mutex_unlock(&m->lock);
    }
    return rc;
}

static void deadline_after(struct timespec *ts, int timeout_ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

int edge_mqtt_next(edge_mqtt *m, int timeout_ms, edge_mqtt_event *out) {
    memset(out, 0, sizeof *out);
    struct timespec ts;
    deadline_after(&ts, timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&m->lock);
    free_node(m->current);
    m->current = NULL;
    while (!m->head) {
        if (pthread_cond_timedwait(&m->changed, &m->lock, &ts) == ETIMEDOUT) break;
    }
    event_node *n = m->head;
    if (n) {
        m->head = n->next;
        if (!m->head) m->tail = NULL;
        if (n->kind == EDGE_MQTT_MESSAGE) m->queued--;
        m->current = n;
    }
    pthread_mutex_unlock(&m->lock);
    if (!n) return EDGE_MQTT_TIMEOUT;
    out->kind = n->kind;
    out->rc = n->rc;
    out->topic = n->topic;
    out->payload = n->payload;
    out->length = n->length;
    out->retained = n->retained;
    return n->kind;
}

int edge_mqtt_wait_published(edge_mqtt *m, int timeout_ms) {
    struct timespec ts;
    deadline_after(&ts, timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    while (m->pending > 0) {
        if (pthread_cond_timedwait(&m->changed, &m->lock, &ts) == ETIMEDOUT) { rc = -2; break; }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int edge_mqtt_is_connected(edge_mqtt *m) {
    pthread_mutex_lock(&m->lock);
    int c = m->connected;
    pthread_mutex_unlock(&m->lock);
    return c;
}

uint64_t edge_mqtt_dropped(edge_mqtt *m) {
    pthread_mutex_lock(&m->lock);
    uint64_t d = m->dropped;
    pthread_mutex_unlock(&m->lock);
    return d;
}

void edge_mqtt_free(edge_mqtt *m) {
    if (!m) return;
    mosquitto_disconnect(m->mosq);
    if (m->started) mosquitto_loop_stop(m->mosq, false);
    mosquitto_destroy(m->mosq);
    free_node(m->current);
    for (event_node *n = m->head; n;) { event_node *next = n->next; free_node(n); n = next; }
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->changed);
    free(m);
}

const char *edge_mqtt_strerror(int rc) { return mosquitto_strerror(rc); }
const char *edge_mqtt_connack_string(int rc) { return mosquitto_connack_string(rc); }

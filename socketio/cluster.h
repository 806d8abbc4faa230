/* What a node of a cluster does for the requests of the other nodes,
 * whatever the wire format (adapter_redis.c, classic; adapter_sharded.c,
 * sharded): the list of sockets fetchSockets wants, a broadcast whose
 * recipients' acks go back, a server-side emit that may be answered.
 * Each adapter sends the results in its own format. Internal to
 * libsocketio. */
#ifndef SIO_CLUSTER_H
#define SIO_CLUSTER_H

#include "adapter.h"
#include "sbuf.h"

/* Appends {"requestId":ID,"sockets":[{"id","handshake","rooms","data"},
 * ...]} for the local sockets of `a` matching `to` (Node's
 * FETCH_SOCKETS_RESPONSE, the same in both formats). */
void sio__cluster_fetch_json(sio_adapter_t *a, const sio_target_t *to,
			     const char *request_id, sio_sbuf_t *b);

/* A broadcast with acks asked by another node. The adapter embeds this
 * first in its own context. */
typedef struct sio_cluster_acks sio_cluster_acks_t;
struct sio_cluster_acks {
	/* One recipient's answer (its arguments), during the call only. */
	void (*answer)(sio_cluster_acks_t *c, const sio_args_t *args);
	/* Every answer in (or timed out): frees the context. */
	void (*release)(sio_cluster_acks_t *c);
	size_t left; /* private */
};

/* How long a node waits for the others' answers unless told (Node's
 * requestsTimeout). */
#define SIO_CLUSTER_TIMEOUT_MS 5000

/* Emits `event` to the local sockets of `a` matching `to`, each with an
 * ack within `timeout_ms` (0: SIO_CLUSTER_TIMEOUT_MS); c->answer gets each
 * answer later (never during the call). Returns how many were reached (the
 * client count to report). The context is held until sio__cluster_acks_drop(c),
 * which the caller calls once the count is sent. */
size_t sio__cluster_emit_with_acks(sio_adapter_t *a, const sio_target_t *to,
				   const char *event, const sio_args_t *args,
				   unsigned timeout_ms, sio_cluster_acks_t *c);
void sio__cluster_acks_drop(sio_cluster_acks_t *c);

/* The answer to a server-side emit (sio_server_ack_send). */
struct sio_server_ack {
	/* Sends the answer, one JSON value (checked). Returns 0 or a
	 * negative errno, as sio_server_ack_send. */
	int (*send)(sio_server_ack_t *ack, const char *json);
	void *ud;
	const char *request_id;
	int answered;
};

/* Runs the server-side handlers of `nsp` on an emit of another node;
 * `ack` NULL when the sender waits for no answer. */
void sio__cluster_server_side(sio_nsp_t *nsp, const char *event,
			      const sio_args_t *args, sio_server_ack_t *ack);

/* A request of this node to the others that waits for one answer from
 * each (fetchSockets; Node's requests map): this node counts the servers
 * (ops->server_count), publishes `msg` (ops->request) when there are
 * others, and finishes when each answered or after `timeout_ms`. The kind
 * embeds this first and fills the fields above `a`. */
typedef struct sio_cluster_req sio_cluster_req_t;
struct sio_cluster_req {
	/* One answer (`args`, "[VALUE]", during the call only). */
	void (*answer)(sio_cluster_req_t *q, const char *args, size_t len);
	/* Once: 0 when every other server answered (or there is none),
	 * -ETIMEDOUT, -ECONNRESET (Redis or the adapter went away). */
	void (*done)(sio_cluster_req_t *q, int err);
	/* Frees the kind's struct (after done). */
	void (*release)(sio_cluster_req_t *q);
	uint8_t *msg; /* the request (freed here), NULL: this node only */
	size_t len;
	int kind;    /* the type of the answers it takes */
	char id[17]; /* its requestId: set by sio__cluster_req_init() */
	unsigned timeout_ms;
	/* private */
	sio_adapter_t *a; /* NULL once finished */
	int counting;	  /* the count asked: hiredis holds the request */
	int finished;
	unsigned expected, current;
	struct event *timer;
	sio_cluster_req_t *next; /* a->requests */
};

/* Zeroes `q` and gives it a random requestId (16 hexadecimal digits). */
void sio__cluster_req_init(sio_cluster_req_t *q);
/* Starts `q` on `a`: with q->msg, counts the servers and publishes it;
 * without, finishes on the next loop iteration (this node only). done is
 * never called during this call. Returns 0, or a negative errno
 * (server_count's) after releasing `q` without calling done. */
int sio__cluster_req_start(sio_adapter_t *a, sio_cluster_req_t *q);
/* An answer of type `kind` to the request `request_id` of this node. */
void sio__cluster_req_answer(sio_adapter_t *a, int kind, const char *request_id,
			     const char *args, size_t len);
/* Finishes every request of `a` with -ECONNRESET (the adapter is freed). */
void sio__cluster_req_close(sio_adapter_t *a);

#endif

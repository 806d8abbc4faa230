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

/* Emits `event` to the local sockets of `a` matching `to`, each with an
 * ack within `timeout_ms`; c->answer gets each answer later (never during
 * the call). Returns how many were reached (the client count to report).
 * The context is held until sio__cluster_acks_drop(c), which the caller
 * calls once the count is sent. */
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

#endif

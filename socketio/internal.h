/* The objects of libsocketio and the functions its modules share
 * (internal). Reading order: server.c (the Engine.IO side: clients,
 * decoding, routing), namespace.c, socket.c, emit.c (encoding once),
 * adapter.h and adapter_memory.c (rooms and broadcast). */
#ifndef SIO_INTERNAL_H
#define SIO_INTERNAL_H

#include "../common/hmap.h"
#include "adapter.h"
#include "parser.h"
#include "recovery.h"
#include "sio.h"

#include <event2/event.h>
#include <regex.h>

/* A registered callback; one list per kind. */
typedef struct sio_handler {
	struct sio_handler *next;
	char *event; /* sio_nsp_on() only */
	void (*fn)(void);
	void *ud;
} sio_handler_t;

typedef struct sio_handlers {
	sio_handler_t *middleware, *connection, *events, *any, *event_mw,
	    *disconnecting, *disconnect, *server_side;
} sio_handlers_t;

struct sio_nsp {
	sio_server_t *srv;
	char *name;
	sio_handlers_t own;
	sio_handlers_t *h; /* own, or the dynamic parent's */
	sio_nsp_t *parent; /* a dynamic child's parent */
	/* dynamic parents: how names match, and the children made */
	regex_t *re;
	int (*match)(void *ud, const char *name);
	void *match_ud;
	sio_nsp_t *children, *next_child;
	hmap_t sockets; /* id -> sio_socket_t */
	sio_adapter_t *adapter;
	sio_recovery_t *recovery; /* when recovery is on */
	int64_t next_ack_id;
	sio_nsp_t *next; /* the server's list */
};

/* One Engine.IO session and the sockets it carries. */
typedef struct sio_client {
	sio_server_t *srv;
	eio_session_t *eio;
	sio_socket_t *sockets; /* one per namespace joined */
	unsigned failed : 1;   /* broke the protocol: closing */
	struct event *connect_timer;
	/* a binary packet waiting for its attachments */
	char *pending; /* a copy of its text part */
	size_t pending_len;
	sio_packet_t pending_pkt;
	sio_bin_t *bins;
	size_t nbins;
} sio_client_t;

/* An ack the server waits for: from one socket, or one recipient of a
 * broadcast (then `bcast` gathers the answers). */
typedef struct sio_broadcast_ack sio_broadcast_ack_t;
typedef struct sio_pending_ack {
	struct sio_pending_ack *next;
	sio_socket_t *socket;
	int64_t id;
	sio_ack_fn cb;
	void *ud;
	struct event *timer;
	sio_broadcast_ack_t *bcast;
} sio_pending_ack_t;

struct sio_socket {
	char id[21];
	char pid[21]; /* private id, for recovery */
	sio_nsp_t *nsp;
	sio_client_t *client;
	struct sio_room **rooms; /* the rooms joined, its own first */
	size_t nrooms, rooms_cap;
	char *auth;
	uint64_t issued;
	void *data;
	char *state; /* JSON, restored by recovery */
	unsigned connected : 1;
	unsigned recovered : 1;
	uint64_t seen; /* the last broadcast that reached it */
	sio_pending_ack_t *acks;
	sio_socket_t *next_in_client;
	sio_socket_t *next_dead;
};

struct sio_server {
	struct event_base *base;
	sio_options_t opts;
	eio_server_t *eio;
	sio_nsp_t *nsps;    /* static namespaces and dynamic children */
	sio_nsp_t *parents; /* dynamic parents */
	uint64_t broadcast_seq;
	sio_socket_t *dead; /* disconnected, freed at the end of the loop */
	sio_broadcast_ack_t *gatherers; /* broadcasts waiting for acks */
	struct event *reap_ev;
	const struct timeval *tv_connect_timeout;
	void (*request_fn)(void *ud, eio_request_t *req);
	void *request_ud;
	struct sio_redis *redis; /* the cluster's connections, or NULL */
};

/* server.c */
void sio__server_reap_later(sio_server_t *srv, sio_socket_t *s);
/* Sends an encoded packet with its attachments to one client. */
struct sio_encoded;
int sio__client_send(sio_client_t *c, const struct sio_encoded *enc, int flags);
/* Random 20-character ids, as the Engine.IO ones. */
void sio__random_id(char out[21]);

/* namespace.c */
sio_nsp_t *sio__nsp_find(sio_server_t *srv, const char *name);
/* Emits an event to the sockets of `nsp` matching `to` but `skip`, encoded
 * once, with a recovery offset when recovery is on (and the emit is not
 * volatile). */
int sio__nsp_broadcast(sio_nsp_t *nsp, const sio_target_t *to,
		       const sio_socket_t *skip, const char *event,
		       const sio_args_t *args);
void sio__nsp_free(sio_nsp_t *nsp);

/* adapter_redis.c (and redis_conn.c) */
/* Connects (in the background) to the Redis of opts->redis_url. NULL for
 * an invalid URL or out of memory. */
struct sio_redis *sio__redis_new(sio_server_t *srv, const char *url,
				 const char *key);
/* Closes the connections; the adapters made from it stay usable, in
 * memory only. */
void sio__redis_free(struct sio_redis *r);
/* The Redis adapter of `nsp` (its rooms in memory, the rest shared). */
sio_adapter_t *sio__adapter_redis_new(struct sio_redis *r, sio_nsp_t *nsp);

/* adapter_sharded.c: the same, over sharded pub/sub (opts->redis_sharded).
 */
struct sio_redis *sio__redis_sharded_new(sio_server_t *srv, const char *url,
					 const char *key);
sio_adapter_t *sio__adapter_sharded_new(struct sio_redis *r, sio_nsp_t *nsp);

/* socket.c */
/* Creates and connects a socket of `c` in `nsp` (middlewares, CONNECT
 * answer, connection callbacks). */
void sio__socket_connect(sio_client_t *c, sio_nsp_t *nsp, const char *auth,
			 size_t auth_len);
void sio__socket_on_event(sio_socket_t *s, const sio_packet_t *p,
			  const sio_bin_t *bins, size_t nbins);
void sio__socket_on_ack(sio_socket_t *s, const sio_packet_t *p,
			const sio_bin_t *bins, size_t nbins);
/* Disconnects: disconnecting callbacks, rooms left, pending acks failed,
 * a DISCONNECT packet when `notify`, disconnect callbacks, freed later. */
void sio__socket_close(sio_socket_t *s, const char *reason, int notify);
void sio__socket_free(sio_socket_t *s);
/* Registers an ack awaited from `s`; the entry is owned by the socket. */
sio_pending_ack_t *sio__socket_await_ack(sio_socket_t *s, int64_t id);
/* Delivers a broadcast-ack answer (or a loss) to its gatherer. */
/* Delivers a broadcast recipient's answer, or its loss, to the gatherer;
 * `a` is that recipient's entry, unlinked from its socket already. */
void sio__broadcast_ack_answer(sio_broadcast_ack_t *b, sio_pending_ack_t *a,
			       const sio_args_t *args);
void sio__broadcast_ack_lost(sio_broadcast_ack_t *b, sio_pending_ack_t *a);
/* Answers every pending broadcast ack with -ECONNRESET (server freed). */
void sio__broadcast_acks_abort(sio_server_t *srv);

#endif

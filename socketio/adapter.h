/* The adapter: where a namespace keeps its rooms and how it reaches the
 * sockets of an operation (broadcast, join/leave for matching sockets,
 * disconnect, fetch, server-side emit, counts). The in-memory adapter
 * (adapter_memory.c) is the default and the local part of every other:
 * a cluster adapter adds the remote side behind the same operations.
 * Internal to libsocketio. */
#ifndef SIO_ADAPTER_H
#define SIO_ADAPTER_H

#include "../common/hmap.h"
#include "sio.h"

struct sio_encoded;
struct sio_cluster_req;

/* A room: its name (interned: sockets point at it) and its members. */
typedef struct sio_room {
	char *name;
	hmap_t members; /* socket id -> sio_socket_t */
} sio_room_t;

typedef struct sio_adapter sio_adapter_t;

typedef struct sio_adapter_ops {
	/* Adds `s` to `room`; returns 0 (also when already in) or -ENOMEM. */
	int (*join)(sio_adapter_t *a, sio_socket_t *s, const char *room);
	void (*leave)(sio_adapter_t *a, sio_socket_t *s, const char *room);
	void (*leave_all)(sio_adapter_t *a, sio_socket_t *s);
	/* Calls fn once for each local socket matching `to` (NULL: all),
	 * but `skip`; returns how many. Membership must not change meanwhile.
	 */
	size_t (*each)(sio_adapter_t *a, const sio_target_t *to,
		       const sio_socket_t *skip,
		       void (*fn)(void *ud, sio_socket_t *s), void *ud);
	/* Sends `enc` to the sockets matching `to` but `skip` (and, in a
	 * cluster, to the other nodes unless SIO_LOCAL). Returns the number
	 * of local recipients. */
	size_t (*broadcast)(sio_adapter_t *a, const sio_target_t *to,
			    const sio_socket_t *skip,
			    const struct sio_encoded *enc);
	size_t (*room_size)(sio_adapter_t *a, const char *room);
	int (*server_side_emit)(sio_adapter_t *a, const char *event,
				const sio_args_t *args);
	/* Cluster adapters (NULL in memory): sends a broadcast to the other
	 * nodes (its local part went through broadcast), and asks them to
	 * join or leave `room` (SIO_RREQ_REMOTE_JOIN, _LEAVE) or disconnect
	 * (SIO_RREQ_REMOTE_DISCONNECT, `close`) the sockets matching `to`. */
	int (*publish)(sio_adapter_t *a, const sio_target_t *to,
		       const char *event, const sio_args_t *args);
	int (*sockets_op)(sio_adapter_t *a, int type, const sio_target_t *to,
			  const char *room, int close);
	/* sio_server_side_emit_with_ack() (NULL: -EOPNOTSUPP). */
	int (*server_side_emit_ack)(sio_adapter_t *a, const char *event,
				    const sio_args_t *args, unsigned timeout_ms,
				    sio_server_side_ack_fn cb, void *ud);
	/* sio_server_count() (NULL in memory: -EOPNOTSUPP). */
	int (*server_count)(sio_adapter_t *a,
			    void (*cb)(void *ud, int err, unsigned count),
			    void *ud);
	/* Cluster adapters (NULL in memory): a request to the other nodes
	 * (cluster.h): fills q->msg, q->len and q->kind with this node's
	 * fetchSockets request for the sockets matching `to` (-EPIPE when
	 * the connections are closed), and publishes a request made so. */
	int (*fetch_request)(sio_adapter_t *a, struct sio_cluster_req *q,
			     const sio_target_t *to);
	int (*request)(sio_adapter_t *a, const void *msg, size_t len);
	void (*free)(sio_adapter_t *a);
} sio_adapter_ops_t;

struct sio_adapter {
	const sio_adapter_ops_t *ops;
	sio_nsp_t *nsp;
	hmap_t rooms;			  /* name -> sio_room_t */
	struct sio_cluster_req *requests; /* this node's, waiting (cluster.c) */
};

/* The in-memory adapter of `nsp`. NULL when out of memory. */
sio_adapter_t *sio__adapter_memory_new(sio_nsp_t *nsp);
/* Its operations, which a cluster adapter reuses for the local part
 * (its struct then starts with a sio_adapter_t). */
extern const sio_adapter_ops_t sio__adapter_memory_ops;

#endif

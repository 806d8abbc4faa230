/* libsocketio: a Socket.IO v5 server on libengineio, close in spirit to
 * Node's socket.io API (io.of(), connection handlers, socket.on(), emit,
 * to(room).emit, acks), in C idiom.
 *
 * Threading and errors follow eio.h: one event_base thread; negative
 * errno-style codes; a function that fails never calls its callback.
 *
 * Arguments are JSON text. An event's arguments reach a handler as the
 * JSON array of them (binary attachments as {"_placeholder":true,"num":N}
 * plus the attachment bytes), so a relay forwards them without parsing;
 * sio_args_parse() builds a json-c tree when a handler wants one.
 *
 * Lifetimes: a socket pointer is valid from its connection callback until
 * its disconnect callbacks return. Strings and arguments given to a
 * callback are valid during the call only. */
#ifndef SIO_H
#define SIO_H

#include "eio.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sio_server sio_server_t;
typedef struct sio_nsp sio_nsp_t;
typedef struct sio_socket sio_socket_t;

/* A binary attachment. */
typedef struct sio_bin {
	const uint8_t *data;
	size_t len;
} sio_bin_t;

/* Arguments: a JSON array (NULL for none) and the attachments that its
 * placeholders refer to. */
typedef struct sio_args {
	const char *json;
	size_t len; /* of json; 0 means strlen(json) */
	const sio_bin_t *bins;
	size_t nbins;
} sio_args_t;

/* Parses the arguments into a json-c array (placeholders left as they
 * are). Returns a new reference, or NULL for invalid or absent JSON. */
struct json_object *sio_args_parse(const sio_args_t *args);

/* An acknowledgement that the client asked for; id < 0 when it did not.
 * Handlers get a pointer to the one ack of the event, valid during the
 * call; to answer later, keep a copy (valid as long as its socket). */
typedef struct sio_ack {
	sio_socket_t *socket;
	int64_t id;
} sio_ack_t;

/* Answers the client's ack with `args` (NULL: no arguments) and marks it
 * answered (id -1). Returns 0, or -EINVAL when no ack was asked or it was
 * already answered through this pointer. */
int sio_ack_send(sio_ack_t *ack, const sio_args_t *args);

/* An error for the client (middleware refusal): message, and optional
 * data as JSON text. Both are copied when the middleware returns. */
typedef struct sio_error {
	const char *message;
	const char *data_json;
} sio_error_t;

typedef struct sio_options {
	/* Engine.IO options; the path defaults to "/socket.io/". */
	eio_options_t eio;
	/* A client that joins no namespace within this time is closed.
	 * Default 45000. */
	unsigned connect_timeout_ms;
	/* Largest number of binary attachments of a packet. Default 10. */
	unsigned max_attachments;
	/* Connection-state recovery: keep a disconnected socket's state (id,
	 * rooms, data) and the broadcasts it missed for this long, 0 to
	 * disable. Default 0; Node's maxDisconnectionDuration is 120000. */
	unsigned recovery_window_ms;
	/* A cluster through Redis, wire-compatible with Node's
	 * @socket.io/redis-adapter 8.x (classic pub/sub) and
	 * @socket.io/redis-emitter: broadcasts, room joins and leaves,
	 * disconnects and server-side emits reach the sockets of every node
	 * (C or Node.js) sharing the Redis server and `redis_key`. NULL: in
	 * memory, one node (the default). Forms (see sio_redis_url_check):
	 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]   (port 6379)
	 *   unix:PATH or unix://PATH                      (a Unix socket)
	 * HOST is an IPv4 address, a bracketed IPv6 one, or "localhost": no
	 * DNS lookup, which would block the loop. DB is accepted and ignored
	 * (Redis pub/sub ignores databases). The server starts even when
	 * Redis is down: it connects in the background, retries with a
	 * backoff (0.1 s doubling to 5 s) and subscribes again after every
	 * reconnection. What is published while Redis is unreachable is
	 * lost (this node's own sockets still get it). Copied. */
	const char *redis_url;
	/* The channel prefix (the adapter's `key`, or the sharded adapter's
	 * `channelPrefix`). NULL: "socket.io". */
	const char *redis_key;
	/* Non-zero: Redis 7 sharded pub/sub (SPUBLISH, SSUBSCRIBE), wire-
	 * compatible with createShardedAdapter of @socket.io/redis-adapter
	 * 8.3 (subscriptionMode "dynamic": one channel per namespace, one
	 * per public room, one for the answers to each node). Every node of
	 * a cluster uses the same mode; the redis-emitter speaks the classic
	 * one only. sio_server_count() then counts with PUBSUB SHARDNUMSUB.
	 * Default 0: classic pub/sub. */
	int redis_sharded;
} sio_options_t;

void sio_options_init(sio_options_t *opts);

/* Callbacks. `ud` is the pointer given when registering. */

/* Namespace middleware, run for each connecting socket before its
 * connection callback. Return 0 to accept; non-zero refuses with
 * CONNECT_ERROR {"message":err->message,"data":err->data_json}. */
typedef int (*sio_middleware_fn)(void *ud, sio_socket_t *s, sio_error_t *err);
typedef void (*sio_connection_fn)(void *ud, sio_socket_t *s);
/* An event from the client: its name, its arguments, and the ack the
 * client asked for (ack->id < 0: none), shared by the event's handlers. */
typedef void (*sio_event_fn)(void *ud, sio_socket_t *s, const char *event,
			     const sio_args_t *args, sio_ack_t *ack);
/* Per-event middleware: return 0 to let the event through, non-zero to
 * drop it. */
typedef int (*sio_event_middleware_fn)(void *ud, sio_socket_t *s,
				       const char *event,
				       const sio_args_t *args);
/* disconnecting (rooms still joined) and disconnect, with Node's reason:
 * "client namespace disconnect", "server namespace disconnect",
 * "transport close", "transport error", "ping timeout", "parse error",
 * "forced close", "forced server close", "server shutting down". */
typedef void (*sio_disconnect_fn)(void *ud, sio_socket_t *s,
				  const char *reason);
/* The answer to an emit with ack: err 0 with the client's arguments, or
 * -ETIMEDOUT, or -ECONNRESET when the socket went away first. */
typedef void (*sio_ack_fn)(void *ud, sio_socket_t *s, int err,
			   const sio_args_t *args);
/* The answers to a broadcast with ack, once all recipients answered
 * (err 0) or the timeout passed (err -ETIMEDOUT, with those that did). */
typedef void (*sio_broadcast_ack_fn)(void *ud, int err, size_t n,
				     const sio_args_t *responses);

/* --- Server --------------------------------------------------------- */

/* `opts` may be NULL for the defaults; it is copied. */
sio_server_t *sio_server_new(struct event_base *base,
			     const sio_options_t *opts);
int sio_server_listen(sio_server_t *srv, const char *host, uint16_t port);
/* The Engine.IO server underneath (ports, session count). */
eio_server_t *sio_server_engine(const sio_server_t *srv);
/* Requests outside the Socket.IO path (see eio_callbacks_t.request). */
void sio_server_on_request(sio_server_t *srv,
			   void (*fn)(void *ud, eio_request_t *req), void *ud);
/* Disconnects every socket ("server shutting down"), answers broadcast
 * acks still pending with -ECONNRESET, and frees. */
void sio_server_free(sio_server_t *srv);

/* 0 when `url` is a Redis URL that sio_options_t.redis_url accepts,
 * -EINVAL otherwise (a host name other than localhost among them). */
int sio_redis_url_check(const char *url);

typedef enum sio_redis_state {
	SIO_REDIS_OFF,	      /* no redis_url: in memory */
	SIO_REDIS_CONNECTING, /* connecting, or waiting to retry */
	SIO_REDIS_CONNECTED   /* both connections up and subscribed */
} sio_redis_state_t;

/* The state of the server's Redis connections, for health checks. */
sio_redis_state_t sio_server_redis_state(const sio_server_t *srv);
/* "off", "connecting" or "connected". */
const char *sio_redis_state_name(sio_redis_state_t state);

/* --- Namespaces ----------------------------------------------------- */

/* The namespace `name` ("/", "/chat"), created on first use; NULL when
 * out of memory. Lives as long as the server. */
sio_nsp_t *sio_of(sio_server_t *srv, const char *name);
/* A parent of dynamic namespaces: a client connecting to a name that
 * matches the POSIX extended regular expression `pattern` (or, with
 * `match` set, for which match() returns non-zero) gets a namespace of
 * that name, created with the parent's middlewares and handlers. Emits
 * to the parent reach every child. NULL for an invalid pattern. */
sio_nsp_t *sio_of_pattern(sio_server_t *srv, const char *pattern);
sio_nsp_t *sio_of_match(sio_server_t *srv,
			int (*match)(void *ud, const char *name), void *ud);

const char *sio_nsp_name(const sio_nsp_t *nsp);
sio_server_t *sio_nsp_server(const sio_nsp_t *nsp);

/* Registration; each returns 0, -ENOMEM, or -EINVAL on a namespace made
 * by a dynamic parent (register on the parent: its children share its
 * handlers). Handlers run in the order registered. */
int sio_nsp_use(sio_nsp_t *nsp, sio_middleware_fn fn, void *ud);
int sio_nsp_on_connection(sio_nsp_t *nsp, sio_connection_fn fn, void *ud);
int sio_nsp_on(sio_nsp_t *nsp, const char *event, sio_event_fn fn, void *ud);
int sio_nsp_on_any(sio_nsp_t *nsp, sio_event_fn fn, void *ud);
int sio_nsp_use_event(sio_nsp_t *nsp, sio_event_middleware_fn fn, void *ud);
int sio_nsp_on_disconnecting(sio_nsp_t *nsp, sio_disconnect_fn fn, void *ud);
int sio_nsp_on_disconnect(sio_nsp_t *nsp, sio_disconnect_fn fn, void *ud);

/* Which sockets an operation reaches: those in any of `rooms` (all when
 * there are none) and in none of `except`. */
typedef struct sio_target {
	const char *const *rooms;
	size_t nrooms;
	const char *const *except;
	size_t nexcept;
	unsigned flags; /* SIO_VOLATILE, SIO_LOCAL */
} sio_target_t;

#define SIO_VOLATILE 1 /* drop for recipients that cannot take it now */
#define SIO_LOCAL 2    /* this node only (with a cluster adapter) */

/* Emits to the namespace's sockets matching `to` (NULL: all). Encoded
 * once and shared by every recipient. Returns 0 or a negative errno:
 * -EINVAL for arguments that are not a JSON array, or a name reserved by
 * the protocol (connect, connect_error, disconnect, disconnecting,
 * newListener, removeListener), as Node's emit throws; the same holds
 * for every emit below. */
int sio_emit(sio_nsp_t *nsp, const sio_target_t *to, const char *event,
	     const sio_args_t *args);
/* The same, gathering one ack per recipient within `timeout_ms`. In a
 * cluster, only this node's sockets are reached (for now). */
int sio_emit_with_ack(sio_nsp_t *nsp, const sio_target_t *to, const char *event,
		      const sio_args_t *args, unsigned timeout_ms,
		      sio_broadcast_ack_fn cb, void *ud);

/* Matching sockets join or leave `room`, or are disconnected (close:
 * also close their connection): on every node of a cluster, unless
 * SIO_LOCAL (the other nodes get the request, this one acts at once). */
int sio_sockets_join(sio_nsp_t *nsp, const sio_target_t *to, const char *room);
int sio_sockets_leave(sio_nsp_t *nsp, const sio_target_t *to, const char *room);
void sio_disconnect_sockets(sio_nsp_t *nsp, const sio_target_t *to, int close);
/* Calls fn for each matching local socket (this node only; see
 * sio_fetch_remote_sockets() for the cluster); returns how many. The set
 * must not change during the calls (collect first to act on them). */
size_t sio_fetch_sockets(sio_nsp_t *nsp, const sio_target_t *to,
			 void (*fn)(void *ud, sio_socket_t *s), void *ud);
/* Number of sockets in `room` (NULL: in the namespace). */
size_t sio_room_size(sio_nsp_t *nsp, const char *room);
/* Emits to the other servers of a cluster (nothing in memory), as
 * Node's io.serverSideEmit without an ack. Binary arguments are refused
 * (-EINVAL) by the classic adapter, which sends these requests as JSON;
 * the sharded one sends them (msgpack). */
int sio_server_side_emit(sio_nsp_t *nsp, const char *event,
			 const sio_args_t *args);
/* The same, waiting for one answer from each other server (Node's
 * serverSideEmitWithAck), with the sharded Redis adapter only: `cb` gets
 * err 0 and the JSON array of the answers once every other server
 * answered (at once "[]" when there is none: the count is PUBSUB
 * SHARDNUMSUB, as Node's), or -ETIMEDOUT and the answers so far after
 * `timeout_ms` (0: 5000, Node's), or -ECONNRESET and those so far when
 * Redis went away or the server is freed first. `responses` is valid
 * during the call; binary parts of answers are left as placeholder
 * objects {"_placeholder":true,"num":N}, without their bytes. Binary
 * arguments may be sent. Returns 0, or without calling `cb`:
 * -EOPNOTSUPP in memory or with the classic adapter, -EPIPE while Redis is
 * unreachable, -EINVAL (arguments that are not a JSON array), -ENOMEM. */
typedef void (*sio_server_side_ack_fn)(void *ud, int err,
				       const char *responses);
int sio_server_side_emit_with_ack(sio_nsp_t *nsp, const char *event,
				  const sio_args_t *args, unsigned timeout_ms,
				  sio_server_side_ack_fn cb, void *ud);

/* The number of servers of the cluster (Node's serverCount(): PUBSUB
 * NUMSUB of the namespace's request channel, or with redis_sharded PUBSUB
 * SHARDNUMSUB of its channel, this one included), given
 * to `cb` later: err 0 and the count, or -ECONNRESET when the connection
 * to Redis went away first (sio_server_free() included). Returns 0, or
 * without calling `cb`: -EOPNOTSUPP in memory (one server), -EPIPE while
 * Redis is unreachable, -ENOMEM. */
int sio_server_count(sio_nsp_t *nsp,
		     void (*cb)(void *ud, int err, unsigned count), void *ud);

/* A socket as sio_fetch_remote_sockets() reports it (Node's RemoteSocket,
 * whether on this node or another): its id, its handshake and its data
 * (socket.data, sio_socket_state()) as JSON text, and its rooms (its own
 * id among them). */
typedef struct sio_remote_socket {
	const char *id;
	const char *handshake_json;
	const char *const *rooms;
	size_t nrooms;
	const char *data_json;
} sio_remote_socket_t;

/* `sockets` and everything they point to are valid during the call only
 * (copy what is kept). */
typedef void (*sio_fetch_fn)(void *ud, int err,
			     const sio_remote_socket_t *sockets, size_t n);

/* The sockets of `nsp` matching `to` (NULL: all) on every node of the
 * cluster, this one included (Node's io.fetchSockets()), given to `cb`
 * later, never during this call:
 *   - this node's sockets are taken at the call; without a cluster
 *     adapter, or with SIO_LOCAL, they are all, and `cb` runs on the next
 *     loop iteration with err 0;
 *   - with a Redis adapter, the other servers are counted (PUBSUB NUMSUB
 *     of the request channel, or SHARDNUMSUB with redis_sharded, as
 *     Node's serverCount()), the request is published (classic
 *     REMOTE_FETCH on KEY-request#NSP#, answered on KEY-response#NSP#;
 *     sharded FETCH_SOCKETS, answered on KEY#NSP#UID#), and `cb` gets
 *     err 0 once each other server answered (at once when there is none);
 *   - after `timeout_ms` (0: 5000, Node's requestsTimeout) without every
 *     answer: err -ETIMEDOUT with the sockets gathered so far (this
 *     node's and those of the servers that answered), where Node rejects;
 *   - -ECONNRESET, with those gathered so far, when the connection to
 *     Redis went away while counting or the request could not be
 *     published, or the server is freed first (sio_server_free() calls
 *     back every pending fetch, after its sockets were disconnected: an
 *     ack kept to answer with the result can no longer be sent);
 *   - -ENOMEM with those gathered when memory ran out on the way.
 * Every subscriber of the counted channel is expected to answer, as in
 * Node (one that is not a server makes the fetch wait for the timeout).
 * The order of `sockets` is unspecified. `nsp` is one namespace (a
 * dynamic parent reaches its own sockets only). Returns 0, or without
 * calling `cb`: -EPIPE while Redis is unreachable, -ENOMEM. */
int sio_fetch_remote_sockets(sio_nsp_t *nsp, const sio_target_t *to,
			     unsigned timeout_ms, sio_fetch_fn cb, void *ud);

/* An emit from another server (Node's io.serverSideEmit). `ack` is NULL
 * unless the sender waits for an answer: then sio_server_ack_send()
 * answers it, once, during the call. */
typedef struct sio_server_ack sio_server_ack_t;
typedef void (*sio_server_side_fn)(void *ud, sio_nsp_t *nsp, const char *event,
				   const sio_args_t *args,
				   sio_server_ack_t *ack);
int sio_nsp_on_server_side(sio_nsp_t *nsp, sio_server_side_fn fn, void *ud);
/* Answers with one JSON value (`json`, NULL: null). Returns 0, -EINVAL
 * when already answered or not valid JSON, -EPIPE when Redis is down,
 * -ENOMEM. */
int sio_server_ack_send(sio_server_ack_t *ack, const char *json);

/* --- Sockets -------------------------------------------------------- */

const char *sio_socket_id(const sio_socket_t *s); /* 20 characters */
sio_nsp_t *sio_socket_nsp(const sio_socket_t *s);
int sio_socket_connected(const sio_socket_t *s);
int sio_socket_recovered(const sio_socket_t *s);

/* Handshake: the Engine.IO request (headers, address, query, URL), the
 * CONNECT auth payload as JSON text ("{}" when none), and when it came
 * (milliseconds since the epoch). */
const eio_request_t *sio_socket_request(const sio_socket_t *s);
const char *sio_socket_auth(const sio_socket_t *s);
uint64_t sio_socket_issued(const sio_socket_t *s);

/* Node's socket.handshake as JSON: {"headers","time","address","xdomain",
 * "secure","issued","url","query","auth"}. A new string for free(), or
 * NULL when out of memory. */
char *sio_socket_handshake_json(const sio_socket_t *s);

void sio_socket_set_data(sio_socket_t *s, void *data);
void *sio_socket_data(const sio_socket_t *s);
/* The socket's state as JSON text (Node's socket.data): what recovery
 * restores on reconnection. NULL when none. Returns 0 or -ENOMEM. */
int sio_socket_set_state(sio_socket_t *s, const char *json);
const char *sio_socket_state(const sio_socket_t *s);

int sio_socket_emit(sio_socket_t *s, const char *event, const sio_args_t *args);
int sio_socket_emit_with_ack(sio_socket_t *s, const char *event,
			     const sio_args_t *args, unsigned timeout_ms,
			     sio_ack_fn cb, void *ud);
/* Emits to `to` (NULL: the whole namespace) except this socket. */
int sio_socket_broadcast(sio_socket_t *s, const sio_target_t *to,
			 const char *event, const sio_args_t *args);

int sio_socket_join(sio_socket_t *s, const char *room);
void sio_socket_leave(sio_socket_t *s, const char *room);
int sio_socket_in(const sio_socket_t *s, const char *room);
/* The rooms joined (its own id first); returns how many, filling at most
 * `max` of `out`. */
size_t sio_socket_rooms(const sio_socket_t *s, const char **out, size_t max);

/* Disconnects from the namespace: the client gets a DISCONNECT packet and
 * the reason is "server namespace disconnect". With `close`, every
 * namespace of the connection is disconnected so, and then the connection
 * closes, as Node's socket.disconnect(true). The disconnect callbacks fire
 * before this returns. */
void sio_socket_disconnect(sio_socket_t *s, int close);

#ifdef __cplusplus
}
#endif

#endif /* SIO_H */

/* The messages that the nodes of a Redis cluster exchange, as Node's
 * @socket.io/redis-adapter 8.x (classic, pub/sub) and
 * @socket.io/redis-emitter 5.x write them:
 *   - broadcasts, on channel KEY#NSP# or KEY#NSP#ROOM#: msgpack
 *     [uid, {type, data: [event, ...args], nsp}, {rooms, except, flags}],
 *     binary arguments as msgpack bin;
 *   - requests, on KEY-request#NSP#: JSON {uid, type, requestId, opts,
 *     rooms, close, data, ...}, or msgpack for BROADCAST (with acks);
 *   - responses, on KEY-response#NSP#: JSON, or msgpack for BROADCAST_ACK.
 * and the messages of its sharded adapter (createShardedAdapter, Redis 7
 * SPUBLISH; the ClusterAdapter of socket.io-adapter 2.5): a map {uid, nsp,
 * type, data} (MessageType below), JSON, or msgpack when it carries
 * binaries, on KEY#NSP#, KEY#NSP#ROOM# or KEY#NSP#UID# (responses).
 * Decoding is for untrusted bytes: sizes, counts and nesting are checked
 * before msgpack-c or json-c allocate anything. Internal to libsocketio;
 * no I/O here, so that it is unit-tested and fuzzed alone. */
#ifndef SIO_REDIS_MSG_H
#define SIO_REDIS_MSG_H

#include "sio.h"

#include <stddef.h>
#include <stdint.h>

#define SIO_RMSG_MAX_DEPTH 32	    /* nesting of arrays and maps */
#define SIO_RMSG_MAX_OBJECTS 100000 /* objects in one message */
#define SIO_RMSG_MAX_BINS 1000	    /* binary arguments of one message */

/* Request types of the adapter (RequestType in its source). */
enum {
	SIO_RREQ_SOCKETS = 0,
	SIO_RREQ_ALL_ROOMS = 1,
	SIO_RREQ_REMOTE_JOIN = 2,
	SIO_RREQ_REMOTE_LEAVE = 3,
	SIO_RREQ_REMOTE_DISCONNECT = 4,
	SIO_RREQ_REMOTE_FETCH = 5,
	SIO_RREQ_SERVER_SIDE_EMIT = 6,
	SIO_RREQ_BROADCAST = 7,
	SIO_RREQ_BROADCAST_CLIENT_COUNT = 8,
	SIO_RREQ_BROADCAST_ACK = 9,
};

/* Message types of the sharded adapter (MessageType of ClusterAdapter). */
enum {
	SIO_CMSG_INITIAL_HEARTBEAT = 1,
	SIO_CMSG_HEARTBEAT = 2,
	SIO_CMSG_BROADCAST = 3,
	SIO_CMSG_SOCKETS_JOIN = 4,
	SIO_CMSG_SOCKETS_LEAVE = 5,
	SIO_CMSG_DISCONNECT_SOCKETS = 6,
	SIO_CMSG_FETCH_SOCKETS = 7,
	SIO_CMSG_FETCH_SOCKETS_RESPONSE = 8,
	SIO_CMSG_SERVER_SIDE_EMIT = 9,
	SIO_CMSG_SERVER_SIDE_EMIT_RESPONSE = 10,
	SIO_CMSG_BROADCAST_CLIENT_COUNT = 11,
	SIO_CMSG_BROADCAST_ACK = 12,
	SIO_CMSG_ADAPTER_CLOSE = 13,
};

/* A decoded message. Every string is NUL-terminated and owned by the
 * message; `bins` point into the input bytes (valid as long as they). */
typedef struct sio_rmsg {
	int type;	  /* a request type; -1 for a broadcast frame */
	char *uid;	  /* NULL when absent (the emitter's requests) */
	char *nsp;	  /* broadcast frames: packet.nsp, "/" when absent */
	char *request_id; /* NULL when absent */
	/* opts: which sockets */
	int has_opts;
	char **rooms;
	size_t nrooms;
	char **except;
	size_t nexcept;
	unsigned flags;	     /* SIO_VOLATILE, SIO_LOCAL (opts.flags) */
	unsigned timeout_ms; /* opts.flags.timeout, 0 when absent */
	/* REMOTE_JOIN / REMOTE_LEAVE: the rooms to join or leave */
	char **targets;
	size_t ntargets;
	/* the single-socket forms (sid, room) of older versions */
	char *sid;
	char *room;
	int close; /* REMOTE_DISCONNECT */
	/* the event: a broadcast's packet.data, a BROADCAST request's
	 * packet.data, a SERVER_SIDE_EMIT's data: its name and the JSON
	 * array of the other elements (binary ones as placeholders
	 * {"_placeholder":true,"num":N} numbered as `bins`). */
	char *event;
	char *args;
	size_t args_len;
	sio_bin_t *bins;
	size_t nbins;
} sio_rmsg_t;

/* Decodes a broadcast frame (msgpack [uid, packet, opts]). Returns 0, or
 * -EINVAL for bytes that are not one (or exceed the limits, or carry a
 * string that is not UTF-8, or a packet that is not an EVENT with a
 * string name), -ENOMEM. On failure `out` holds nothing to free. */
int sio__rmsg_decode_broadcast(const uint8_t *buf, size_t len, sio_rmsg_t *out);
/* Decodes a request or response: JSON when it starts with '{', msgpack
 * otherwise (as the adapter does). `type` is -1 when absent; then an
 * array `sockets` (the answer to a REMOTE_FETCH) is in `args` as
 * [sockets]. Returns 0,
 * -EINVAL, -ENOMEM; on failure `out` holds nothing to free. */
int sio__rmsg_decode_request(const uint8_t *buf, size_t len, sio_rmsg_t *out);
void sio__rmsg_free(sio_rmsg_t *m);

/* Decodes a message of the sharded adapter: JSON when it starts with '{',
 * msgpack otherwise. `type` is a SIO_CMSG_ type (required, as `nsp`);
 * from `data` (an object; ignored for heartbeats and ADAPTER_CLOSE): requestId,
 * opts (rooms, except, flags), rooms (`targets`), close, and the event:
 * packet.data of a BROADCAST (which must have opts), packet of a
 * SERVER_SIDE_EMIT; for SERVER_SIDE_EMIT_RESPONSE and BROADCAST_ACK, `args` is
 * [packet]; for FETCH_SOCKETS_RESPONSE, [sockets] (none when `sockets` is
 * not an array). Returns 0, -EINVAL, -ENOMEM; on failure `out` holds nothing to
 * free. */
int sio__cmsg_decode(const uint8_t *buf, size_t len, sio_rmsg_t *out);
/* Encodes the msgpack map {uid, nsp, type, data} (without data when
 * `data` is NULL). `data` is JSON text (`data_len` 0: strlen) whose
 * placeholders {"_placeholder":true,"num":N} become bins[N] as msgpack
 * bin. Returns 0 with a new buffer in *out (free()), -EINVAL (invalid
 * JSON, a placeholder without its attachment), -ENOMEM. */
int sio__cmsg_encode(const char *uid, const char *nsp, int type,
		     const char *data, size_t data_len, const sio_bin_t *bins,
		     size_t nbins, uint8_t **out, size_t *len);

/* Checks that `buf` holds exactly one msgpack object within the limits
 * above (each count and length fits the bytes left). Returns 0 or
 * -EINVAL. */
int sio__rmsg_msgpack_check(const uint8_t *buf, size_t len);

/* Encoders. Each returns 0 with a new buffer in *out (free()) and its
 * length, or -EINVAL (arguments that are not a JSON array, a placeholder
 * without its attachment), -ENOMEM. */

/* A broadcast frame: [uid, {type: 2, data: [event, ...args], nsp},
 * {rooms, except, flags: {volatile?}}] with binary arguments as bin. */
int sio__rmsg_encode_broadcast(const char *uid, const char *nsp,
			       const char *event, const sio_args_t *args,
			       const sio_target_t *to, uint8_t **out,
			       size_t *len);
/* JSON requests: REMOTE_JOIN or REMOTE_LEAVE of `room` for the sockets
 * matching `to`, REMOTE_DISCONNECT (`close`), or REMOTE_FETCH with
 * requestId `room`. */
int sio__rmsg_encode_sockets_op(const char *uid, int type,
				const sio_target_t *to, const char *room,
				int close, char **out, size_t *len);
/* JSON SERVER_SIDE_EMIT {uid, type: 6, data: [event, ...args]}; binary
 * arguments are refused (-EINVAL): JSON cannot carry them. */
int sio__rmsg_encode_server_side_emit(const char *uid, const char *event,
				      const sio_args_t *args, char **out,
				      size_t *len);
/* msgpack BROADCAST_ACK {type: 9, requestId, packet: first argument}
 * (null when `args` has none). */
int sio__rmsg_encode_broadcast_ack(const char *request_id,
				   const sio_args_t *args, uint8_t **out,
				   size_t *len);

#endif

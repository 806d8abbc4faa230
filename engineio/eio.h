/* libengineio: an Engine.IO protocol v4 server on libevent.
 *
 * The server speaks HTTP/1.1 on its listeners, serves Engine.IO sessions
 * under a path prefix (long-polling, WebSocket, and the upgrade between
 * them), and hands every other request to the embedding program.
 *
 * Threading: everything runs on the event_base given to eio_server_new();
 * no function here may be called from another thread.
 *
 * Errors: functions that can fail return a negative errno-style code
 * (-EINVAL, -ENOMEM, ...). A function that fails never calls a callback.
 *
 * Callbacks never run inside the API call that caused them, except where a
 * contract below says so: a close callback, for instance, fires from the
 * event loop, never from eio_session_close(). It is therefore always safe to
 * call any function of this API from inside a callback. */
#ifndef EIO_H
#define EIO_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eio_server eio_server_t;
typedef struct eio_session eio_session_t;
typedef struct eio_request eio_request_t;
typedef struct eio_msg eio_msg_t;

/* Transports, also usable as a bit set in eio_options_t.transports. */
typedef enum {
	EIO_TRANSPORT_POLLING = 1,
	EIO_TRANSPORT_WEBSOCKET = 2,
} eio_transport_t;

/* Why a session closed; eio_close_reason_str() gives Node's strings. */
typedef enum {
	EIO_CLOSE_TRANSPORT_CLOSE, /* "transport close": the client closed */
	EIO_CLOSE_TRANSPORT_ERROR, /* "transport error": I/O error, overlap */
	EIO_CLOSE_PING_TIMEOUT,	   /* "ping timeout": no pong in time */
	EIO_CLOSE_FORCED,	   /* "forced close": eio_session_close() */
	EIO_CLOSE_PARSE_ERROR,	   /* "parse error": malformed packet */
	EIO_CLOSE_SERVER_SHUTDOWN, /* "server shutting down": freed, shut down
				    */
} eio_close_reason_t;

const char *eio_close_reason_str(eio_close_reason_t reason);

/* Error codes of the HTTP error body {"code":N,"message":"..."}. */
typedef enum {
	EIO_ERR_UNKNOWN_TRANSPORT = 0,
	EIO_ERR_UNKNOWN_SID = 1,
	EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
	EIO_ERR_BAD_REQUEST = 3,
	EIO_ERR_FORBIDDEN = 4,
	EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION = 5,
} eio_error_code_t;

typedef struct eio_options {
	/* Path prefix of Engine.IO requests, with the trailing slash.
	 * Default "/engine.io/". The string is copied. */
	const char *path;
	unsigned ping_interval_ms;   /* default 25000 */
	unsigned ping_timeout_ms;    /* default 20000 */
	unsigned upgrade_timeout_ms; /* default 10000: probe to "5" */
	/* Largest message or polling POST body accepted, in bytes. A larger
	 * POST gets HTTP 413; a larger WebSocket message closes with 1009.
	 * Default 1000000. */
	size_t max_payload;
	/* Enabled transports, a bit set of eio_transport_t. Default both. */
	unsigned transports;
	/* CORS: NULL answers no CORS headers and refuses preflights as Node
	 * does without the cors option; "*" allows any origin; otherwise a
	 * comma-separated list of allowed origins, matched exactly and
	 * reflected. The string is copied. */
	const char *cors_origin;
	int cors_credentials; /* send Access-Control-Allow-Credentials */
	/* A connection whose queued output exceeds this many bytes is a slow
	 * consumer: its session closes with "transport error".
	 * Default 8 MiB. */
	size_t max_output_bytes;
	/* Largest request head (request line plus headers); larger gets 431.
	 * Default 16384, as Node. */
	size_t max_header_bytes;
	/* A request not complete within this time gets 408. Default 30000. */
	unsigned http_timeout_ms;
	/* A keep-alive connection idle between requests for this long is
	 * closed. Default 5000, as Node's keepAliveTimeout. */
	unsigned keepalive_timeout_ms;
	/* Open sessions allowed in all, and from one peer address; 0 (the
	 * default) for no limit. A handshake past a limit is refused as an
	 * `allow` refusal: HTTP 403 {"code":4,"message":"Too many
	 * connections"}. */
	unsigned max_sessions;
	unsigned max_sessions_per_address;
} eio_options_t;

/* Fills *opts with the defaults above. */
void eio_options_init(eio_options_t *opts);

/* What the server tells the embedding program. Every member may be NULL.
 * `ud` is the pointer given to eio_server_new(). */
typedef struct eio_callbacks {
	/* A handshake (a request without sid) arrived. Return 0 to accept;
	 * any other value refuses it with HTTP 403 {"code":4,"message":M},
	 * where M is *message if set (a static or long-lived string) or
	 * "Forbidden". Runs before the session exists. */
	int (*allow)(void *ud, const eio_request_t *req, const char **message);
	/* A session opened; its open packet is on its way. */
	void (*open)(void *ud, eio_session_t *s);
	/* A message ("4" packet) arrived. `data` is valid only during the
	 * call. Text messages are valid UTF-8 when they came over WebSocket;
	 * polling bodies are checked too. */
	void (*message)(void *ud, eio_session_t *s, int binary,
			const uint8_t *data, size_t len);
	/* The session closed. This is the last callback for `s`, which is
	 * freed when the callback returns. */
	void (*close)(void *ud, eio_session_t *s, eio_close_reason_t reason);
	/* A request outside the Engine.IO path, or for a file under it
	 * ("/engine.io/x.js": the path plus anything but the query). Answer it
	 * with eio_request_respond() before the callback returns (the request
	 * belongs to its connection, which may go away on the next loop
	 * iteration); one left unanswered gets 500. Without this callback
	 * such requests get 404. */
	void (*request)(void *ud, eio_request_t *req);
} eio_callbacks_t;

/* Creates a server on `base`. `opts` may be NULL for the defaults; both
 * structures are copied. Returns NULL on failure (out of memory, or
 * libsodium failing to initialise). */
eio_server_t *eio_server_new(struct event_base *base, const eio_options_t *opts,
			     const eio_callbacks_t *cbs, void *ud);

/* Listens on host:port (IPv4 or IPv6 literal, or a name). Port 0 picks a
 * free port; eio_server_port() tells which. May be called several times
 * for several listeners. Returns 0 or a negative errno. */
int eio_server_listen(eio_server_t *srv, const char *host, uint16_t port);

/* The port of the listener number `index` (in eio_server_listen() order),
 * or 0 if there is no such listener. */
uint16_t eio_server_port(const eio_server_t *srv, unsigned index);

/* Stops accepting connections; existing sessions go on. */
void eio_server_stop_listening(eio_server_t *srv);

/* Graceful shutdown: closes every session as eio_session_close() does
 * (queued output first), with EIO_CLOSE_SERVER_SHUTDOWN, and refuses new
 * sessions from now on (403, "Server shutting down"). The listeners stay
 * open, so that a polling client's next request still reaches its
 * session and gets the close packet, and requests outside the Engine.IO
 * path (a readiness probe) are still served. Sessions leave the count as
 * their clients take the last output; the program frees the server when
 * the count is 0 or its patience ends. */
void eio_server_shutdown(eio_server_t *srv);

/* Number of open sessions. */
size_t eio_server_session_count(const eio_server_t *srv);

/* Connections with work left: a request awaiting its answer, a WebSocket,
 * or output still being written before a close. Idle keep-alive
 * connections do not count: after eio_server_shutdown(), the program may
 * free the server once this and the session count are 0. */
size_t eio_server_busy_connections(const eio_server_t *srv);

/* Counters since the server started, for metrics. Messages are Engine.IO
 * "message" packets, bytes their payloads: what reached the `message`
 * callback, and what eio_session_send() queued (once per session). */
typedef struct eio_stats {
	uint64_t messages_in, bytes_in;
	uint64_t messages_out, bytes_out;
	uint64_t sessions_opened;
	uint64_t handshakes_refused; /* by `allow` or a session limit */
	size_t polling, websocket;   /* open sessions on each transport */
} eio_stats_t;

void eio_server_stats(const eio_server_t *srv, eio_stats_t *out);

/* Closes every session (close callback with EIO_CLOSE_SERVER_SHUTDOWN,
 * fired from within this call), every connection and listener, and frees
 * the server. Queued output not yet written is dropped. */
void eio_server_free(eio_server_t *srv);

/* 1 if the `len` bytes at `s` are valid UTF-8 (RFC 3629: no overlongs,
 * no surrogates, at most U+10FFFF), else 0: the check of polling bodies,
 * for programs that pass on text from elsewhere. */
int eio_utf8_valid(const void *s, size_t len);

/* --- Messages -------------------------------------------------------
 * A message is an immutable, reference-counted Engine.IO "message" packet
 * with its WebSocket frame built once, so that one message can be queued
 * to any number of sessions without a copy per session. */

/* Copies `len` bytes of `data` into a new message with one reference.
 * Returns NULL when out of memory. */
eio_msg_t *eio_msg_new(int binary, const void *data, size_t len);
eio_msg_t *eio_msg_ref(eio_msg_t *msg);
void eio_msg_unref(eio_msg_t *msg);

/* --- Sessions -------------------------------------------------------
 * A session pointer stays valid until its close callback returns. */

/* Send flags. */
/* Drop the message rather than queue it when the transport cannot take it
 * at once, as Node's volatile: a WebSocket still writing earlier output,
 * or a polling session with no GET waiting. */
#define EIO_SEND_VOLATILE 1

/* Queues `msg` to `s` (taking a reference of its own; the caller keeps
 * its reference). Returns 0, -EPIPE when the session is closing,
 * -EAGAIN when a volatile message was dropped, or -ENOMEM. */
int eio_session_send(eio_session_t *s, eio_msg_t *msg, int flags);

/* Copies `data` into a new message and queues it: eio_msg_new() plus
 * eio_session_send(). */
int eio_session_send_data(eio_session_t *s, int binary, const void *data,
			  size_t len);

/* Closes the session as Node's socket.close(): queued output is flushed
 * first, then the transport closes; the close callback fires later from
 * the event loop with EIO_CLOSE_FORCED. Idempotent. */
void eio_session_close(eio_session_t *s);

/* The 20-character session id, NUL-terminated; valid as long as `s`. */
const char *eio_session_id(const eio_session_t *s);
eio_transport_t eio_session_transport(const eio_session_t *s);
/* The handshake request, valid as long as `s`. */
const eio_request_t *eio_session_request(const eio_session_t *s);
eio_server_t *eio_session_server(const eio_session_t *s);
void eio_session_set_data(eio_session_t *s, void *data);
void *eio_session_data(const eio_session_t *s);

/* --- Requests -------------------------------------------------------
 * Read-only views of an HTTP request. Returned strings stay valid as long
 * as the request (for a session's handshake: as long as the session). */

const char *eio_request_method(const eio_request_t *req); /* "GET" */
/* The request target as sent, e.g. "/socket.io/?EIO=4&transport=polling" */
const char *eio_request_url(const eio_request_t *req);
/* The path part of the URL, not decoded, e.g. "/socket.io/" */
const char *eio_request_path(const eio_request_t *req);
/* The first header of that name (case-insensitive), or NULL. */
const char *eio_request_header(const eio_request_t *req, const char *name);
/* Iterates the headers: returns 0 and fills *name and *value for i in range,
 * -ENOENT past the end. Names are lower case, as in Node. */
int eio_request_header_at(const eio_request_t *req, size_t i, const char **name,
			  const char **value);
/* The percent-decoded value of query parameter `name`, or NULL. */
const char *eio_request_query(const eio_request_t *req, const char *name);
/* Iterates the decoded query parameters as eio_request_header_at(). */
int eio_request_query_at(const eio_request_t *req, size_t i, const char **name,
			 const char **value);
/* The query string without '?', not decoded; "" when absent. */
const char *eio_request_query_string(const eio_request_t *req);
/* The peer address as text ("127.0.0.1", "::1"). */
const char *eio_request_address(const eio_request_t *req);
/* The request body (POST); empty for requests that had none. */
const uint8_t *eio_request_body(const eio_request_t *req, size_t *len);

/* Answers a request given to the `request` callback: status, content type
 * (NULL for none), body (copied). The answer to a HEAD request gives the
 * body's length without the body; 204 and 304 carry neither. Extra headers may
 * be given as a NULL-terminated array of "Name: value" strings, or NULL. A
 * request must be answered exactly once; the request is freed by this call.
 * Returns 0 or -EINVAL if `req` is not waiting for an answer. */
int eio_request_respond(eio_request_t *req, int status,
			const char *content_type, const char *const *headers,
			const void *body, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EIO_H */

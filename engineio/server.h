/* The server object shared by the modules of libengineio (internal). */
#ifndef EIO_SERVER_H
#define EIO_SERVER_H

#include "../common/hmap.h"
#include "eio.h"

#include <event2/event.h>
#include <event2/listener.h>
#include <wslay/wslay.h>

struct eio_conn;

#define EIO_MAX_LISTENERS 16
/* wslay contexts kept for reuse (about 8.5 KB each) */
#define EIO_WS_POOL 64

struct eio_server {
	struct event_base *base;
	eio_options_t opts; /* path and cors_origin point to copies below */
	char *path;
	char *cors_origin;
	eio_callbacks_t cbs;
	void *ud;
	struct evconnlistener *listeners[EIO_MAX_LISTENERS];
	uint16_t ports[EIO_MAX_LISTENERS];
	unsigned nlisteners;
	hmap_t sessions;	      /* sid -> eio_session_t, open ones only */
	struct eio_conn *conns;	      /* every live connection */
	struct eio_conn *dead_conns;  /* closed, to free at a safe point */
	eio_session_t *dead_sessions; /* closed, close callback pending */
	struct event *reap_ev;	      /* frees the two lists above */
	struct eio_conn *dirty;	      /* output queued, to write */
	struct event *flush_ev;	      /* writes them: eio__conn_flush() */
	/* shared timeouts (libevent's O(1) common-timeout queues) */
	const struct timeval *tv_ping_interval, *tv_ping_timeout,
	    *tv_http_timeout, *tv_keepalive_timeout, *tv_upgrade_timeout,
	    *tv_linger;
	eio_stats_t stats;
	int shutting_down;  /* eio_server_shutdown() was called */
	hmap_t per_address; /* address -> open session count, with a limit */
	/* control packets, built once */
	eio_msg_t *msg_ping, *msg_noop, *msg_close, *msg_pong_probe;
	/* wslay contexts not in use (websocket.c), and the connection whose
	 * context wslay is running: its callbacks get the server */
	wslay_event_context_ptr ws_pool[EIO_WS_POOL];
	unsigned ws_npool;
	struct eio_conn *ws_conn;
};

/* Routes a complete request read on `c` (`upgrade`: it asked for a
 * protocol switch). Defined in server.c, called by conn.c. */
void eio__server_dispatch(eio_server_t *srv, struct eio_conn *c,
			  eio_request_t *req, int upgrade);

/* Session accounting: the limits of eio_options_t and the transport
 * counts of eio_stats_t. eio__server_admit() returns NULL when a session
 * for `req` may open, else why not (for the client: "Server shutting
 * down", "Too many connections"); every session opened is then counted
 * in with eio__server_session_in() and out with eio__server_session_out().
 */
const char *eio__server_admit(const eio_server_t *srv,
			      const eio_request_t *req);
int eio__server_session_in(eio_server_t *srv, eio_session_t *s);
void eio__server_session_out(eio_server_t *srv, eio_session_t *s);

/* Makes the reap event run at the end of this loop iteration. */
void eio__server_schedule_reap(eio_server_t *srv);

/* Appends the CORS response headers for `req` ("Name: value\r\n" lines)
 * to `out`; nothing when CORS is off. `preflight` adds the OPTIONS ones.
 * Defined in cors.c. */
struct evbuffer;
void eio__cors_headers(const eio_server_t *srv, const eio_request_t *req,
		       int preflight, struct evbuffer *out);

/* Answers an Engine.IO error as Node does: HTTP 400 (403 for FORBIDDEN)
 * with {"code":N,"message":M}; for WebSocket upgrade requests a plain
 * text body and the connection closes. `message` NULL: the standard one. */
void eio__server_error(eio_server_t *srv, struct eio_conn *c,
		       eio_request_t *req, int upgrade, eio_error_code_t code,
		       const char *message);

#endif

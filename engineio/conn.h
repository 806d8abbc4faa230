/* One TCP connection: HTTP/1.1 requests parsed by llhttp, one at a time,
 * with keep-alive; after a WebSocket upgrade the same connection carries
 * frames (websocket.c). Internal to libengineio.
 *
 * Lifetime: a connection is never freed inside its own callbacks:
 * eio__conn_close() marks it dead and the server frees it at the end of the
 * loop iteration. A dead connection ignores every call. */
#ifndef EIO_CONN_H
#define EIO_CONN_H

#include "eio.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <llhttp.h>
#include <wslay/wslay.h>

typedef enum {
	EIO_CONN_READING,   /* parsing a request (or idle between two) */
	EIO_CONN_BUSY,	    /* a request awaits its answer */
	EIO_CONN_WEBSOCKET, /* upgraded */
	EIO_CONN_DRAINING,  /* closes once its output is written */
	EIO_CONN_LINGERING, /* written and shut down: reading to EOF */
	EIO_CONN_DEAD,
} eio_conn_state_t;

typedef struct eio_conn {
	eio_server_t *srv;
	struct bufferevent *bev;
	eio_conn_state_t state;
	unsigned keep_alive : 1;
	unsigned in_input : 1;	     /* inside the HTTP input loop */
	unsigned in_recv : 1;	     /* inside wslay_event_recv() */
	unsigned dirty : 1;	     /* output queued this loop iteration */
	unsigned ws_closing : 1;     /* our close frame is queued */
	unsigned ws_partial_msg : 1; /* a fragmented message is not over */
	unsigned in_head : 1; /* between a request's start and its headers */
	int http_error;	      /* status for a failed parse (413, 431) */
	/* the request head's size on the wire: the chunk being parsed, the
	 * head's bytes in earlier chunks, its offset in its first chunk */
	const char *chunk;
	size_t head_prev, head_off;
	/* HTTP state: freed once the connection is upgraded */
	llhttp_t *parser;
	eio_request_t *req; /* being parsed or awaiting its answer */
	struct event *timer;
	/* WebSocket state: wslay's context only while it holds something */
	wslay_event_context_ptr ws;
	uint64_t ws_left; /* bytes of whole frames wslay has yet to read */
	eio_session_t *session; /* the session served: pending GET or WS */
	struct eio_conn *prev, *next; /* server list (live or dead) */
	struct eio_conn *next_dirty;  /* the server's list to flush */
	char address[46];
} eio_conn_t;

/* Takes over an accepted socket. On failure the socket is closed. */
void eio__conn_accept(eio_server_t *srv, evutil_socket_t fd,
		      const struct sockaddr *sa);

/* Answers the request in progress: the status line, `extra` header lines
 * (may be NULL; drained), Content-Type (NULL: none), Content-Length and
 * the body (moved out of `body`, which may be NULL). The request is freed
 * unless it was taken with eio__conn_take_request(). Then the connection
 * reads the next request or, without keep-alive, closes. */
void eio__conn_respond(eio_conn_t *c, int status, const char *ctype,
		       struct evbuffer *extra, struct evbuffer *body);
/* The same with a flat body (copied). */
void eio__conn_respond_mem(eio_conn_t *c, int status, const char *ctype,
			   struct evbuffer *extra, const void *body,
			   size_t len);
/* Answers and closes the connection once the answer is written. */
void eio__conn_respond_and_close(eio_conn_t *c, int status, const char *ctype,
				 struct evbuffer *extra, const void *body,
				 size_t len);

/* Detaches the current request from the connection (the caller owns it). */
eio_request_t *eio__conn_take_request(eio_conn_t *c);

/* Drops the connection now (output not yet written is discarded). */
void eio__conn_close(eio_conn_t *c);
/* Closes once queued output is written. */
void eio__conn_close_after_write(eio_conn_t *c);

/* Writes what this loop iteration queued on each connection of the
 * server's dirty list: one writev each. A connection whose socket cannot
 * take it all is then watched for writability until its output drains;
 * the others are never watched, so a write costs no epoll_ctl. */
void eio__conn_flush(eio_server_t *srv);

/* Writes the queued output now, as much as the socket takes (one writev).
 * Returns evbuffer_write()'s result. */
int eio__conn_write_now(eio_conn_t *c);

/* Frees a dead connection (the server's reap). */
void eio__conn_free(eio_conn_t *c);

/* Standard reason phrase of an HTTP status. */
const char *eio__http_reason(int status);

#endif

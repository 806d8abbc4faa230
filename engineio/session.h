/* Engine.IO sessions: the state machine of one client across its
 * transports (polling, WebSocket, the upgrade between them), its heartbeat
 * and its output queue. Internal to libengineio. */
#ifndef EIO_SESSION_H
#define EIO_SESSION_H

#include "conn.h"
#include "eio.h"
#include "packet.h"

#include <stdint.h>

typedef enum {
	EIO_SESSION_OPEN,
	EIO_SESSION_CLOSING, /* eio_session_close(): flushing, then close */
	EIO_SESSION_CLOSED,  /* close callback pending */
} eio_session_state_t;

struct eio_session {
	char id[21];
	eio_server_t *srv;
	eio_transport_t transport;
	uint8_t state;
	uint8_t upgrading;     /* the probe answered, "5" awaited */
	uint8_t awaiting_pong; /* ping sent, timer runs to the deadline */
	eio_close_reason_t reason;
	eio_conn_t *get;   /* polling: the GET waiting for packets */
	eio_conn_t *ws;	   /* websocket: the transport */
	eio_conn_t *probe; /* the WebSocket being upgraded to */
	/* polling output queue */
	eio_msg_t **queue;
	size_t qlen, qcap, qbytes;
	struct event *timer;	     /* heartbeat, or the closing deadline */
	struct event *upgrade_timer; /* only while a probe is attached */
	uint64_t pong_deadline_ms;   /* monotonic, when awaiting_pong */
	eio_request_t *handshake;
	void *data;
	eio_session_t *next_dead;
};

/* Opens a session for the handshake request on `c` and answers it: the
 * open packet as the GET response (polling), or after the 101 (websocket,
 * which must have been accepted on `c` already). Takes `req`. Returns the
 * session, or NULL when out of memory (the caller answers 500). */
eio_session_t *eio__session_open(eio_server_t *srv, eio_conn_t *c,
				 eio_request_t *req, eio_transport_t transport);

/* Closes as eio_session_close() does, with `reason` for the close
 * callback. */
void eio__session_close(eio_session_t *s, eio_close_reason_t reason);

/* If the session missed its pong deadline (its timer may not have fired
 * yet on a busy loop), closes it with "ping timeout" and returns 1. */
int eio__session_expire(eio_session_t *s);

/* Polling requests for an open session on its polling transport. */
void eio__session_poll_get(eio_session_t *s, eio_conn_t *c);
void eio__session_poll_post(eio_session_t *s, eio_conn_t *c,
			    eio_request_t *req);

/* A WebSocket was accepted on `c` for an upgrade of `s` (the caller
 * checked eio__session_can_upgrade()). */
int eio__session_can_upgrade(const eio_session_t *s);
void eio__session_attach_probe(eio_session_t *s, eio_conn_t *c);

/* A decoded packet from the client, on the current transport. */
void eio__session_on_packet(eio_session_t *s, const eio_packet_t *p);

/* A complete WebSocket message arrived on `c` (the transport or the
 * probe of `s`). */
void eio__session_ws_message(eio_session_t *s, eio_conn_t *c, int binary,
			     const uint8_t *data, size_t len);

/* A connection serving `s` went away; `reason` says how (transport close
 * or transport error). */
void eio__session_conn_lost(eio_session_t *s, eio_conn_t *c,
			    eio_close_reason_t reason);

/* Closes now: answers a pending GET with the close packet, closes the
 * WebSocket, removes the session from the table and queues its close
 * callback. Idempotent. */
void eio__session_terminate(eio_session_t *s, eio_close_reason_t reason);

/* Frees a closed session (after its close callback). */
void eio__session_free(eio_session_t *s);

#endif

#include "session.h"
#include "../common/clock.h"

#include "msg.h"
#include "polling.h"
#include "request.h"
#include "server.h"
#include "websocket.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *eio_close_reason_str(eio_close_reason_t reason)
{
	switch (reason) {
	case EIO_CLOSE_TRANSPORT_CLOSE: return "transport close";
	case EIO_CLOSE_TRANSPORT_ERROR: return "transport error";
	case EIO_CLOSE_PING_TIMEOUT: return "ping timeout";
	case EIO_CLOSE_FORCED: return "forced close";
	case EIO_CLOSE_PARSE_ERROR: return "parse error";
	case EIO_CLOSE_SERVER_SHUTDOWN: return "server shutting down";
	}
	return "unknown";
}

static void timer_cb(evutil_socket_t fd, short what, void *arg);

/* 15 random bytes in URL-safe base64: 20 characters, as Node's base64id */
static void new_id(const eio_server_t *srv, char out[21])
{
	do {
		uint8_t raw[15];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(out, 21, raw, sizeof(raw),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} while (hmap_get(&srv->sessions, out));
}

static eio_msg_t *open_packet(const eio_session_t *s)
{
	const eio_options_t *o = &s->srv->opts;
	int upgrade = s->transport == EIO_TRANSPORT_POLLING &&
		      (o->transports & EIO_TRANSPORT_WEBSOCKET);
	char json[256];
	int n =
	    snprintf(json, sizeof(json),
		     "{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%u,"
		     "\"pingTimeout\":%u,\"maxPayload\":%zu}",
		     s->id, upgrade ? "\"websocket\"" : "", o->ping_interval_ms,
		     o->ping_timeout_ms, o->max_payload);
	return eio__msg_new_packet(EIO_PACKET_OPEN, 0, json, (size_t)n);
}

eio_session_t *eio__session_open(eio_server_t *srv, eio_conn_t *c,
				 eio_request_t *req, eio_transport_t transport)
{
	eio_session_t *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->srv = srv;
	s->transport = transport;
	s->state = EIO_SESSION_OPEN;
	new_id(srv, s->id);
	eio__request_compact(req); /* kept as long as the session */
	s->timer = evtimer_new(srv->base, timer_cb, s);
	eio_msg_t *open = s->timer ? open_packet(s) : NULL;
	s->handshake = req;
	if (!open || eio__server_session_in(srv, s) < 0) {
		eio_msg_unref(open);
		if (s->timer)
			event_free(s->timer);
		free(s);
		return NULL;
	}
	if (hmap_put(&srv->sessions, s->id, s) < 0) {
		eio__server_session_out(srv, s);
		eio_msg_unref(open);
		event_free(s->timer);
		free(s);
		return NULL;
	}
	if (transport == EIO_TRANSPORT_POLLING) {
		eio__polling_answer(s, c, &open, 1);
	} else {
		s->ws = c;
		c->session = s;
		eio__ws_send(c, open);
	}
	eio_msg_unref(open);
	evtimer_add(s->timer, srv->tv_ping_interval);
	if (srv->cbs.open)
		srv->cbs.open(srv->ud, s);
	return s;
}

/* Output ------------------------------------------------------------- */

static void release_queue(eio_session_t *s)
{
	for (size_t i = 0; i < s->qlen; i++)
		eio_msg_unref(s->queue[i]);
	s->qlen = 0;
	s->qbytes = 0;
}

/* Queues on the current transport; a slow consumer past the cap closes. */
static int queue_msg(eio_session_t *s, eio_msg_t *msg)
{
	size_t max = s->srv->opts.max_output_bytes;
	if (s->transport == EIO_TRANSPORT_WEBSOCKET) {
		int r = eio__ws_send(s->ws, msg);
		if (r == 0 && eio__ws_queued(s->ws) > max)
			eio__session_terminate(s, EIO_CLOSE_TRANSPORT_ERROR);
		return r;
	}
	if (s->qlen == s->qcap) {
		size_t ncap = s->qcap ? s->qcap * 2 : 4;
		eio_msg_t **nq = realloc(s->queue, ncap * sizeof(*nq));
		if (!nq)
			return -ENOMEM;
		s->queue = nq;
		s->qcap = ncap;
	}
	s->queue[s->qlen++] = eio_msg_ref(msg);
	s->qbytes += eio__msg_polling_len(msg);
	if (s->qbytes > max) {
		eio__session_terminate(s, EIO_CLOSE_TRANSPORT_ERROR);
		return 0;
	}
	eio__polling_flush(s);
	return 0;
}

int eio_session_send(eio_session_t *s, eio_msg_t *msg, int flags)
{
	if (s->state != EIO_SESSION_OPEN)
		return -EPIPE;
	if (flags & EIO_SEND_VOLATILE) {
		/* as Node's transport.writable: nothing still being
		 * written, or a poll waiting */
		int writable = s->transport == EIO_TRANSPORT_WEBSOCKET
				   ? eio__ws_queued(s->ws) == 0
				   : s->get != NULL;
		if (!writable)
			return -EAGAIN;
	}
	int r = queue_msg(s, msg);
	if (r == 0) {
		s->srv->stats.messages_out++;
		s->srv->stats.bytes_out += msg->len;
	}
	return r;
}

int eio_session_send_data(eio_session_t *s, int binary, const void *data,
			  size_t len)
{
	if (s->state != EIO_SESSION_OPEN)
		return -EPIPE;
	eio_msg_t *msg = eio_msg_new(binary, data, len);
	if (!msg)
		return -ENOMEM;
	int r = queue_msg(s, msg);
	eio_msg_unref(msg);
	return r;
}

/* Heartbeat ----------------------------------------------------------- */

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	eio_session_t *s = arg;
	eio_server_t *srv = s->srv;
	if (s->state == EIO_SESSION_CLOSING) { /* the client never came back */
		eio__session_terminate(s, s->reason);
		return;
	}
	if (s->awaiting_pong) {
		eio__session_terminate(s, EIO_CLOSE_PING_TIMEOUT);
		return;
	}
	s->awaiting_pong = 1;
	s->pong_deadline_ms = clock_monotonic_ms() + srv->opts.ping_timeout_ms;
	evtimer_add(s->timer, srv->tv_ping_timeout);
	queue_msg(s, srv->msg_ping);
}

int eio__session_expire(eio_session_t *s)
{
	if (!s->awaiting_pong || clock_monotonic_ms() < s->pong_deadline_ms)
		return 0;
	eio__session_terminate(s, EIO_CLOSE_PING_TIMEOUT);
	return 1;
}

/* Input --------------------------------------------------------------- */

void eio__session_on_packet(eio_session_t *s, const eio_packet_t *p)
{
	eio_server_t *srv = s->srv;
	switch (p->type) {
	case EIO_PACKET_PONG:
		if (s->awaiting_pong && s->state == EIO_SESSION_OPEN) {
			s->awaiting_pong = 0;
			evtimer_add(s->timer, srv->tv_ping_interval);
		}
		break;
	case EIO_PACKET_PING:
		/* in protocol v4 only the server pings (Node: "invalid
		 * heartbeat direction") */
		eio__session_terminate(s, EIO_CLOSE_TRANSPORT_ERROR);
		break;
	case EIO_PACKET_MESSAGE:
		srv->stats.messages_in++;
		srv->stats.bytes_in += p->len;
		if (srv->cbs.message)
			srv->cbs.message(srv->ud, s, p->binary, p->data,
					 p->len);
		break;
	case EIO_PACKET_CLOSE:
		if (s->get) /* end the pending poll cleanly, as Node */
			eio__polling_answer(s, s->get, &srv->msg_noop, 1);
		eio__session_terminate(s, EIO_CLOSE_TRANSPORT_CLOSE);
		break;
	default: /* open, upgrade and noop mean nothing here */ break;
	}
}

/* Upgrade ------------------------------------------------------------- */

static void detach_probe(eio_session_t *s)
{
	if (s->upgrade_timer) {
		event_free(s->upgrade_timer);
		s->upgrade_timer = NULL;
	}
	if (s->probe) {
		s->probe->session = NULL;
		s->probe = NULL;
	}
	s->upgrading = 0;
}

static void close_probe(eio_session_t *s)
{
	eio_conn_t *probe = s->probe;
	detach_probe(s);
	if (probe)
		eio__ws_close(probe, 0);
}

static void upgrade_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	close_probe(arg);
}

int eio__session_can_upgrade(const eio_session_t *s)
{
	return s->state == EIO_SESSION_OPEN &&
	       s->transport == EIO_TRANSPORT_POLLING && !s->probe;
}

void eio__session_attach_probe(eio_session_t *s, eio_conn_t *c)
{
	s->probe = c;
	c->session = s;
	s->upgrade_timer = evtimer_new(s->srv->base, upgrade_timeout_cb, s);
	if (s->upgrade_timer)
		evtimer_add(s->upgrade_timer, s->srv->tv_upgrade_timeout);
}

static void complete_upgrade(eio_session_t *s)
{
	eio_conn_t *ws = s->probe;
	if (s->get) /* the queue is empty while a GET waits */
		eio__polling_answer(s, s->get, &s->srv->msg_noop, 1);
	detach_probe(s);
	s->srv->stats.polling--;
	s->srv->stats.websocket++;
	s->transport = EIO_TRANSPORT_WEBSOCKET;
	s->ws = ws;
	ws->session = s;
	for (size_t i = 0; i < s->qlen; i++)
		eio__ws_send(ws, s->queue[i]);
	release_queue(s);
}

static int is_text(int binary, const uint8_t *data, size_t len,
		   const char *text)
{
	return !binary && len == strlen(text) && memcmp(data, text, len) == 0;
}

static void probe_message(eio_session_t *s, int binary, const uint8_t *data,
			  size_t len)
{
	if (!s->upgrading && is_text(binary, data, len, "2probe")) {
		eio__ws_send(s->probe, s->srv->msg_pong_probe);
		s->upgrading = 1;
		if (s->get && s->qlen == 0) /* let the client pause polling */
			eio__polling_answer(s, s->get, &s->srv->msg_noop, 1);
	} else if (s->upgrading && is_text(binary, data, len, "5")) {
		complete_upgrade(s);
	} else {
		close_probe(s);
	}
}

void eio__session_ws_message(eio_session_t *s, eio_conn_t *c, int binary,
			     const uint8_t *data, size_t len)
{
	if (c == s->probe) {
		probe_message(s, binary, data, len);
		return;
	}
	if (c != s->ws || s->state == EIO_SESSION_CLOSED)
		return;
	eio_packet_t p = {EIO_PACKET_MESSAGE, 1, data, len};
	if (!binary && eio__packet_decode(data, len, &p) < 0) {
		eio__session_terminate(s, EIO_CLOSE_PARSE_ERROR);
		return;
	}
	eio__session_on_packet(s, &p);
}

/* Closing ------------------------------------------------------------- */

void eio__session_conn_lost(eio_session_t *s, eio_conn_t *c,
			    eio_close_reason_t reason)
{
	c->session = NULL;
	if (c == s->probe) {
		detach_probe(s);
	} else if (c == s->get) {
		s->get = NULL; /* Node: "poll connection closed prematurely" */
		eio__session_terminate(s, EIO_CLOSE_TRANSPORT_ERROR);
	} else if (c == s->ws) {
		s->ws = NULL;
		eio__session_terminate(s, reason);
	}
}

void eio__session_terminate(eio_session_t *s, eio_close_reason_t reason)
{
	if (s->state == EIO_SESSION_CLOSED)
		return;
	eio_server_t *srv = s->srv;
	s->state = EIO_SESSION_CLOSED;
	s->reason = reason;
	hmap_del(&srv->sessions, s->id);
	eio__server_session_out(srv, s);
	evtimer_del(s->timer);
	close_probe(s);
	release_queue(s);
	if (s->get)
		eio__polling_answer(s, s->get, &srv->msg_close, 1);
	if (s->ws) {
		eio_conn_t *ws = s->ws;
		s->ws = NULL;
		ws->session = NULL;
		eio__ws_close(ws, 0);
	}
	s->next_dead = srv->dead_sessions;
	srv->dead_sessions = s;
	eio__server_schedule_reap(srv);
}

void eio__session_close(eio_session_t *s, eio_close_reason_t reason)
{
	if (s->state != EIO_SESSION_OPEN)
		return;
	close_probe(s);
	if (s->transport == EIO_TRANSPORT_WEBSOCKET) {
		/* queued frames precede the close frame */
		eio__session_terminate(s, reason);
		return;
	}
	/* polling, as Node: what is queued goes first, and the close packet
	 * in a later response (clients handle the packets of one response
	 * after its close packet otherwise) */
	s->state = EIO_SESSION_CLOSING;
	s->reason = reason;
	s->awaiting_pong = 0;
	if (s->get && s->qlen == 0) {
		eio__polling_answer(s, s->get, &s->srv->msg_close, 1);
		eio__session_terminate(s, reason);
		return;
	}
	eio__polling_flush(s);
	unsigned ms =
	    s->srv->opts.ping_interval_ms + s->srv->opts.ping_timeout_ms;
	struct timeval tv = clock_tv(ms);
	evtimer_add(s->timer, &tv);
}

void eio_session_close(eio_session_t *s)
{
	eio__session_close(s, EIO_CLOSE_FORCED);
}

void eio__session_free(eio_session_t *s)
{
	eio__request_free(s->handshake);
	event_free(s->timer);
	free(s->queue);
	free(s);
}

/* Accessors ----------------------------------------------------------- */

const char *eio_session_id(const eio_session_t *s)
{
	return s->id;
}

eio_transport_t eio_session_transport(const eio_session_t *s)
{
	return s->transport;
}

const eio_request_t *eio_session_request(const eio_session_t *s)
{
	return s->handshake;
}

eio_server_t *eio_session_server(const eio_session_t *s)
{
	return s->srv;
}

void eio_session_set_data(eio_session_t *s, void *data)
{
	s->data = data;
}

void *eio_session_data(const eio_session_t *s)
{
	return s->data;
}

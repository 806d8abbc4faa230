/* The server and its clients: each Engine.IO session is a client whose
 * messages are decoded here (text packets, then the binary attachments
 * they announce) and routed to its socket in the packet's namespace. A
 * packet that breaks the protocol closes that client only. */
#include "../common/clock.h"
#include "emit.h"
#include "internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void sio_options_init(sio_options_t *o)
{
	memset(o, 0, sizeof(*o));
	eio_options_init(&o->eio);
	o->eio.path = "/socket.io/";
	o->connect_timeout_ms = 45000;
	o->max_attachments = SIO_MAX_ATTACHMENTS;
}

void sio__random_id(char out[21])
{
	uint8_t raw[15];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, 21, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Sending ------------------------------------------------------------------ */

int sio__client_send(sio_client_t *c, const sio_encoded_t *enc, int flags)
{
	int r = eio_session_send(c->eio, enc->text, flags);
	if (r < 0)
		return r; /* a dropped volatile packet takes its attachments */
	for (size_t i = 0; i < enc->nbins && r == 0; i++)
		r = eio_session_send(c->eio, enc->bins[i], 0);
	return r;
}

/* Clients ---------------------------------------------------------------- */

static void clear_pending(sio_client_t *c)
{
	for (size_t i = 0; i < c->nbins; i++)
		free((uint8_t *)c->bins[i].data);
	free(c->bins);
	free(c->pending);
	c->bins = NULL;
	c->nbins = 0;
	c->pending = NULL;
}

/* A protocol violation: the sockets learn "parse error", the connection
 * closes, later messages are ignored. */
static void client_fail(sio_client_t *c)
{
	clear_pending(c);
	while (c->sockets)
		sio__socket_close(c->sockets, "parse error", 0);
	c->failed = 1;
	eio_session_close(c->eio);
}

static sio_socket_t *socket_of(sio_client_t *c, const char *nsp, size_t len)
{
	for (sio_socket_t *s = c->sockets; s; s = s->next_in_client)
		if (strlen(s->nsp->name) == len &&
		    memcmp(s->nsp->name, nsp, len) == 0)
			return s;
	return NULL;
}

static void on_connect(sio_client_t *c, const sio_packet_t *p)
{
	char name[256];
	if (p->nsp_len >= sizeof(name) || memchr(p->nsp, 0, p->nsp_len)) {
		client_fail(c);
		return;
	}
	memcpy(name, p->nsp, p->nsp_len);
	name[p->nsp_len] = '\0';
	sio_nsp_t *nsp = sio__nsp_find(c->srv, name);
	if (!nsp) {
		sio_encoded_t enc;
		if (sio__encode_raw(&enc, SIO_PACKET_CONNECT_ERROR, name,
				    "{\"message\":\"Invalid namespace\"}") ==
		    0) {
			sio__client_send(c, &enc, 0);
			sio__encoded_release(&enc);
		}
		return;
	}
	if (p->data)
		sio__socket_connect(c, nsp, p->data, p->data_len);
	else
		sio__socket_connect(c, nsp, "{}", 2);
}

static void dispatch(sio_client_t *c, const sio_packet_t *p,
		     const sio_bin_t *bins, size_t nbins)
{
	sio_socket_t *s = socket_of(c, p->nsp, p->nsp_len);
	switch (p->type) {
	case SIO_PACKET_CONNECT:
		if (s) /* a second CONNECT to a namespace joined */
			client_fail(c);
		else
			on_connect(c, p);
		break;
	case SIO_PACKET_DISCONNECT:
		if (s)
			sio__socket_close(s, "client namespace disconnect", 0);
		break;
	case SIO_PACKET_EVENT:
	case SIO_PACKET_BINARY_EVENT:
		if (s)
			sio__socket_on_event(s, p, bins, nbins);
		else /* an event for a namespace not joined */
			client_fail(c);
		break;
	case SIO_PACKET_ACK:
	case SIO_PACKET_BINARY_ACK:
		if (s)
			sio__socket_on_ack(s, p, bins, nbins);
		else
			client_fail(c);
		break;
	default: client_fail(c);
	}
}

static void on_text(sio_client_t *c, const uint8_t *data, size_t len)
{
	sio_packet_t p;
	if (c->pending ||
	    sio__packet_decode((const char *)data, len,
			       c->srv->opts.max_attachments, &p) < 0) {
		client_fail(c);
		return;
	}
	if (p.attachments == 0) {
		dispatch(c, &p, NULL, 0);
		return;
	}
	/* keep the text until its attachments arrive */
	c->pending = malloc(len);
	c->bins = calloc(p.attachments, sizeof(*c->bins));
	if (!c->pending || !c->bins) {
		client_fail(c);
		return;
	}
	memcpy(c->pending, data, len);
	c->pending_len = len;
	sio__packet_decode(c->pending, len, c->srv->opts.max_attachments,
			   &c->pending_pkt);
}

static void on_binary(sio_client_t *c, const uint8_t *data, size_t len)
{
	uint8_t *copy = c->pending ? malloc(len ? len : 1) : NULL;
	if (!copy) { /* no packet waits for it, or out of memory */
		client_fail(c);
		return;
	}
	if (len) /* an empty message may come with no buffer at all */
		memcpy(copy, data, len);
	c->bins[c->nbins].data = copy;
	c->bins[c->nbins].len = len;
	if (++c->nbins < c->pending_pkt.attachments)
		return;
	/* complete: detach the pending state before handlers run */
	char *text = c->pending;
	sio_bin_t *bins = c->bins;
	size_t n = c->nbins;
	sio_packet_t p = c->pending_pkt;
	c->pending = NULL;
	c->bins = NULL;
	c->nbins = 0;
	dispatch(c, &p, bins, n);
	for (size_t i = 0; i < n; i++)
		free((uint8_t *)bins[i].data);
	free(bins);
	free(text);
}

static void on_message(void *ud, eio_session_t *es, int binary,
		       const uint8_t *data, size_t len)
{
	(void)ud;
	sio_client_t *c = eio_session_data(es);
	if (c->failed)
		return;
	if (binary)
		on_binary(c, data, len);
	else
		on_text(c, data, len);
}

static void connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sio_client_t *c = arg;
	if (!c->sockets)
		eio_session_close(c->eio);
}

static void on_open(void *ud, eio_session_t *es)
{
	sio_server_t *srv = ud;
	sio_client_t *c = calloc(1, sizeof(*c));
	if (!c) {
		eio_session_close(es);
		return;
	}
	c->srv = srv;
	c->eio = es;
	c->connect_timer = evtimer_new(srv->base, connect_timeout_cb, c);
	if (c->connect_timer)
		evtimer_add(c->connect_timer, srv->tv_connect_timeout);
	eio_session_set_data(es, c);
}

static void on_close(void *ud, eio_session_t *es, eio_close_reason_t reason)
{
	(void)ud;
	sio_client_t *c = eio_session_data(es);
	if (!c)
		return;
	while (c->sockets)
		sio__socket_close(c->sockets, eio_close_reason_str(reason), 0);
	clear_pending(c);
	if (c->connect_timer)
		event_free(c->connect_timer);
	free(c);
}

static void on_request(void *ud, eio_request_t *req)
{
	sio_server_t *srv = ud;
	if (srv->request_fn) {
		srv->request_fn(srv->request_ud, req);
		return;
	}
	static const char body[] = "Not Found";
	eio_request_respond(req, 404, "text/plain", NULL, body,
			    sizeof(body) - 1);
}

/* The server -------------------------------------------------------------- */

void sio__server_reap_later(sio_server_t *srv, sio_socket_t *s)
{
	s->next_dead = srv->dead;
	srv->dead = s;
	event_active(srv->reap_ev, EV_TIMEOUT, 0);
}

static void reap(sio_server_t *srv)
{
	while (srv->dead) {
		sio_socket_t *s = srv->dead;
		srv->dead = s->next_dead;
		sio__socket_free(s);
	}
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reap(arg);
}

sio_server_t *sio_server_new(struct event_base *base, const sio_options_t *opts)
{
	sio_server_t *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->base = base;
	if (opts)
		srv->opts = *opts;
	else
		sio_options_init(&srv->opts);
	unsigned ms = srv->opts.connect_timeout_ms;
	struct timeval tv = clock_tv(ms);
	srv->tv_connect_timeout = event_base_init_common_timeout(base, &tv);
	srv->reap_ev = event_new(base, -1, 0, reap_cb, srv);
	if (srv->opts.redis_url &&
	    !(srv->redis =
		  srv->opts.redis_sharded
		      ? sio__redis_sharded_new(srv, srv->opts.redis_url,
					       srv->opts.redis_key)
		      : sio__redis_new(srv, srv->opts.redis_url,
				       srv->opts.redis_key))) {
		if (srv->reap_ev)
			event_free(srv->reap_ev);
		free(srv);
		return NULL;
	}
	srv->opts.redis_url = NULL; /* the caller's strings; copied */
	srv->opts.redis_key = NULL;
	eio_callbacks_t cbs = {
	    .open = on_open,
	    .message = on_message,
	    .close = on_close,
	    .request = on_request,
	};
	srv->eio = eio_server_new(base, &srv->opts.eio, &cbs, srv);
	srv->opts.eio.path = NULL; /* the caller's string; eio has a copy */
	srv->opts.eio.cors_origin = NULL;
	if (!srv->eio || !srv->reap_ev || !srv->tv_connect_timeout ||
	    !sio_of(srv, "/")) {
		sio_server_free(srv);
		return NULL;
	}
	return srv;
}

int sio_server_listen(sio_server_t *srv, const char *host, uint16_t port)
{
	return eio_server_listen(srv->eio, host, port);
}

eio_server_t *sio_server_engine(const sio_server_t *srv)
{
	return srv->eio;
}

void sio_server_on_request(sio_server_t *srv,
			   void (*fn)(void *ud, eio_request_t *req), void *ud)
{
	srv->request_fn = fn;
	srv->request_ud = ud;
}

void sio_server_free(sio_server_t *srv)
{
	if (!srv)
		return;
	eio_server_free(srv->eio); /* closes every client and socket */
	sio__broadcast_acks_abort(srv);
	reap(srv);
	sio__redis_free(srv->redis); /* the adapters go on in memory */
	srv->redis = NULL;
	while (srv->nsps) {
		sio_nsp_t *n = srv->nsps;
		srv->nsps = n->next;
		sio__nsp_free(n);
	}
	while (srv->parents) {
		sio_nsp_t *n = srv->parents;
		srv->parents = n->next;
		sio__nsp_free(n);
	}
	if (srv->reap_ev)
		event_free(srv->reap_ev);
	free(srv);
}

#include "polling.h"

#include "msg.h"
#include "packet.h"
#include "request.h"
#include "server.h"
#include "utf8.h"

#include <sodium.h>
#include <stdlib.h>

/* Headers of every polling answer, as Node's polling transport. The
 * handshake's request already belongs to the session when it is answered. */
static struct evbuffer *polling_headers(const eio_session_t *s,
					const eio_conn_t *c)
{
	struct evbuffer *h = evbuffer_new();
	if (!h)
		return NULL;
	evbuffer_add_printf(h, "Cache-Control: no-store\r\n");
	eio__cors_headers(s->srv, c->req ? c->req : s->handshake, 0, h);
	return h;
}

static void add_packet(struct evbuffer *body, const eio_msg_t *m)
{
	const uint8_t *p = eio__msg_packet(m);
	if (!m->binary) {
		evbuffer_add(body, p, m->len);
		return;
	}
	size_t b64len =
	    sodium_base64_encoded_len(m->len, sodium_base64_VARIANT_ORIGINAL);
	struct evbuffer_iovec v;
	if (evbuffer_reserve_space(body, 1 + b64len, &v, 1) < 1)
		return;
	char *out = v.iov_base;
	out[0] = 'b';
	sodium_bin2base64(out + 1, b64len, p, m->len,
			  sodium_base64_VARIANT_ORIGINAL);
	v.iov_len = b64len; /* 'b' + the encoding without its NUL */
	evbuffer_commit_space(body, &v, 1);
}

void eio__polling_answer(eio_session_t *s, eio_conn_t *c,
			 eio_msg_t *const *msgs, size_t n)
{
	if (c == s->get) {
		s->get = NULL;
		c->session = NULL;
	}
	struct evbuffer *body = evbuffer_new();
	struct evbuffer *hdrs = polling_headers(s, c);
	if (!body || !hdrs) {
		eio__conn_respond_and_close(c, 500, NULL, NULL, NULL, 0);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				evbuffer_add(body, "\x1e", 1);
			add_packet(body, msgs[i]);
		}
		eio__conn_respond(c, 200, "text/plain; charset=UTF-8", hdrs,
				  body);
	}
	if (body)
		evbuffer_free(body);
	if (hdrs)
		evbuffer_free(hdrs);
}

void eio__polling_flush(eio_session_t *s)
{
	if (!s->get || s->qlen == 0)
		return;
	eio__polling_answer(s, s->get, s->queue, s->qlen);
	for (size_t i = 0; i < s->qlen; i++)
		eio_msg_unref(s->queue[i]);
	s->qlen = 0;
	s->qbytes = 0;
}

void eio__session_poll_get(eio_session_t *s, eio_conn_t *c)
{
	eio_server_t *srv = s->srv;
	if (s->get) {
		/* two polls at once: Node answers 500 and closes the session;
		 * the first poll gets the close packet */
		eio__server_error(srv, c, c->req, 0, EIO_ERR_BAD_REQUEST, NULL);
		eio__session_terminate(s, EIO_CLOSE_TRANSPORT_ERROR);
		return;
	}
	s->get = c;
	c->session = s;
	if (s->qlen > 0) {
		eio__polling_flush(s);
	} else if (s->state == EIO_SESSION_CLOSING) {
		/* eio_session_close(): the queue is out, now the close */
		eio__polling_answer(s, c, &srv->msg_close, 1);
		eio__session_terminate(s, s->reason);
	} else if (s->upgrading) { /* let the client finish its upgrade */
		eio__polling_answer(s, c, &srv->msg_noop, 1);
	}
}

static void answer_ok(eio_session_t *s, eio_conn_t *c)
{
	struct evbuffer *hdrs = polling_headers(s, c);
	eio__conn_respond_mem(c, 200, "text/html", hdrs, "ok", 2);
	if (hdrs)
		evbuffer_free(hdrs);
}

void eio__session_poll_post(eio_session_t *s, eio_conn_t *c, eio_request_t *req)
{
	size_t len;
	const uint8_t *body = eio_request_body(req, &len);
	if (!eio__utf8_valid(body, len)) {
		eio__server_error(s->srv, c, req, 0, EIO_ERR_BAD_REQUEST, NULL);
		eio__session_terminate(s, EIO_CLOSE_PARSE_ERROR);
		return;
	}
	eio_payload_iter_t it;
	eio__payload_iter_init(&it, body, len);
	eio_packet_t p;
	int r;
	while (s->state == EIO_SESSION_OPEN &&
	       (r = eio__payload_next(&it, &p)) != 0) {
		if (r < 0) {
			eio__payload_iter_done(&it);
			eio__server_error(s->srv, c, req, 0,
					  EIO_ERR_BAD_REQUEST, NULL);
			eio__session_terminate(s, EIO_CLOSE_PARSE_ERROR);
			return;
		}
		eio__session_on_packet(s, &p);
	}
	eio__payload_iter_done(&it);
	answer_ok(s, c);
}

/* polling: the HTTP long-polling transport of sio-bench (Engine.IO v4).
 * Each client holds two keep-alive HTTP/1.1 connections from its source
 * address, as a browser does: one for the long-polling GETs, one for the
 * POSTs. At most one request is outstanding on each; packets to send while
 * a POST is under way wait and leave together (separated by 0x1e) in the
 * next one. Answers must carry Content-Length (no chunked encoding). A
 * connection the server closes while idle is opened again when needed. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_HEAD 16384
#define MAX_BODY (64L << 20)

struct httpconn {
	struct bufferevent *bev;
	struct client *c;
	int post;        /* 0: the GET connection, 1: the POST one */
	int busy;        /* a request is outstanding */
	int tcp_up;
	int close_after; /* the answer said Connection: close */
	int status;
	long body_len;   /* -1 while reading the head */
};

struct pollsess {
	struct httpconn get, post;
	struct evbuffer *pending; /* packets for the next POST */
	char sid[64];
	int closing;     /* the Engine.IO close is queued ... */
	int close_posted; /* ... and went out in the POST under way */
};

static void hc_readcb(struct bufferevent *bev, void *arg);
static void hc_eventcb(struct bufferevent *bev, short what, void *arg);

static int hc_open(struct httpconn *hc)
{
	struct client *c = hc->c;
	struct pollsess *ps = c->ps;
	struct bufferevent *bev = client_bufferevent(c);
	if (!bev)
		return -1;
	hc->bev = bev;
	hc->tcp_up = 0;
	hc->busy = 0;
	hc->close_after = 0;
	hc->body_len = -1;
	bufferevent_setcb(bev, hc_readcb, NULL, hc_eventcb, hc);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&B.dst,
				       sizeof(B.dst)) != 0) {
		client_fail(c, E_CONNECT, "connect: %s", strerror(errno));
		return -1;
	}
	return c->ps == ps && hc->bev == bev ? 0 : -1;
}

/* A GET (body NULL) or a POST of the pending packets. */
static int hc_request(struct httpconn *hc)
{
	struct client *c = hc->c;
	struct pollsess *ps = c->ps;
	if (!hc->bev && hc_open(hc) != 0)
		return -1;
	struct evbuffer *out = bufferevent_get_output(hc->bev);
	evbuffer_add_printf(out,
			    "%s %s?EIO=4&transport=polling%s%s HTTP/1.1\r\n"
			    "Host: %s\r\n",
			    hc->post ? "POST" : "GET", B.path,
			    ps->sid[0] ? "&sid=" : "", ps->sid, B.host);
	if (hc->post) {
		evbuffer_add_printf(out,
				    "Content-Type: text/plain;charset=UTF-8\r\n"
				    "Content-Length: %zu\r\n\r\n",
				    evbuffer_get_length(ps->pending));
		evbuffer_add_buffer(out, ps->pending);
		if (ps->closing)
			ps->close_posted = 1;
	} else {
		evbuffer_add(out, "\r\n", 2);
	}
	hc->busy = 1;
	return 0;
}

int poll_connect(struct client *c)
{
	struct pollsess *ps = calloc(1, sizeof(*ps));
	if (!ps || !(ps->pending = evbuffer_new())) {
		free(ps);
		client_fail(c, E_SOCKET, "out of memory");
		return -1;
	}
	ps->get.c = ps->post.c = c;
	ps->post.post = 1;
	ps->get.body_len = ps->post.body_len = -1;
	c->ps = ps;
	return hc_request(&ps->get);
}

void poll_release(struct client *c)
{
	struct pollsess *ps = c->ps;
	if (!ps)
		return;
	if (ps->get.bev)
		bufferevent_free(ps->get.bev);
	if (ps->post.bev)
		bufferevent_free(ps->post.bev);
	evbuffer_free(ps->pending);
	free(ps);
	c->ps = NULL;
}

void poll_sendv(struct client *c, const struct iovec *iov, int n)
{
	struct pollsess *ps = c->ps;
	if (!ps)
		return;
	if (evbuffer_get_length(ps->pending))
		evbuffer_add(ps->pending, "\x1e", 1);
	for (int i = 0; i < n; i++)
		evbuffer_add(ps->pending, iov[i].iov_base, iov[i].iov_len);
	if (!ps->post.busy && ps->sid[0])
		(void)hc_request(&ps->post);
}

/* The Socket.IO disconnect is queued; add the Engine.IO close. */
void poll_close(struct client *c)
{
	struct iovec v = {(void *)"1", 1};
	c->ps->closing = 1;
	poll_sendv(c, &v, 1);
}

/* The head of an answer: 1 read, 0 more bytes needed, -1 failed. */
static int parse_head(struct httpconn *hc, struct evbuffer *in)
{
	struct client *c = hc->c;
	struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (e.pos < 0) {
		if (evbuffer_get_length(in) > MAX_HEAD) {
			client_fail(c, E_PROTOCOL, "answer head over %d bytes",
				    MAX_HEAD);
			return -1;
		}
		return 0;
	}
	size_t hl = (size_t)e.pos + 4;
	const char *h = (const char *)evbuffer_pullup(in, (ev_ssize_t)hl);
	if (hl < 12 || memcmp(h, "HTTP/1.", 7) != 0) {
		client_fail(c, E_PROTOCOL, "not an HTTP answer");
		return -1;
	}
	hc->status = atoi(h + 9);
	long len = -1;
	hc->close_after = memcmp(h, "HTTP/1.0", 8) == 0;
	const char *end = h + hl, *line = memchr(h, '\n', hl);
	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			break;
		size_t ll = (size_t)(eol - line);
		if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0)
			len = strtol(line + 15, NULL, 10);
		else if (ll > 18 &&
			 strncasecmp(line, "transfer-encoding:", 18) == 0) {
			client_fail(c, E_PROTOCOL, "chunked answers are not "
				    "supported");
			return -1;
		} else if (ll > 11 &&
			   strncasecmp(line, "connection:", 11) == 0) {
			const char *v = line + 11;
			while (*v == ' ')
				v++;
			if (strncasecmp(v, "close", 5) == 0)
				hc->close_after = 1;
			else if (strncasecmp(v, "keep-alive", 10) == 0)
				hc->close_after = 0;
		}
		line = eol;
	}
	if (len < 0 || len > MAX_BODY) {
		client_fail(c, E_PROTOCOL, "answer %d without a usable "
			    "Content-Length", hc->status);
		return -1;
	}
	evbuffer_drain(in, hl);
	hc->body_len = len;
	return 1;
}

static enum errkind lost_kind(struct client *c, int tcp_up)
{
	return !tcp_up ? E_CONNECT
	       : c->state == CS_READY ? E_CLOSED
				      : E_HANDSHAKE;
}

/* The sid of the open packet "0{...,"sid":"...",...}". */
static int take_sid(struct pollsess *ps, const char *p, size_t n)
{
	static const char key[] = "\"sid\":\"";
	const char *end = p + n;
	for (const char *q = p; q + sizeof(key) - 1 < end; q++) {
		if (memcmp(q, key, sizeof(key) - 1) != 0)
			continue;
		q += sizeof(key) - 1;
		const char *e = memchr(q, '"', (size_t)(end - q));
		if (!e || e == q || (size_t)(e - q) >= sizeof(ps->sid))
			return -1;
		memcpy(ps->sid, q, (size_t)(e - q));
		ps->sid[e - q] = '\0';
		return 0;
	}
	return -1;
}

static void on_get(struct client *c, int status, const char *body, size_t n)
{
	struct pollsess *ps = c->ps;
	if (status != 200) {
		client_fail(c, lost_kind(c, 1), "GET answered %d: %.*s", status,
			    n > 80 ? 80 : (int)n, body);
		return;
	}
	uint64_t now = now_ns();
	const char *p = body, *end = body + n;
	while (p < end) {
		const char *e = memchr(p, 0x1e, (size_t)(end - p));
		if (!e)
			e = end;
		if (c->state == CS_OPEN && e > p && *p == '0' &&
		    take_sid(ps, p, (size_t)(e - p)) != 0) {
			client_fail(c, E_HANDSHAKE, "open packet without a sid");
			return;
		}
		client_message(c, p, (size_t)(e - p), now);
		if (c->ps != ps)
			return;
		p = e + 1;
	}
	if (c->state != CS_CLOSING && !ps->get.busy)
		(void)hc_request(&ps->get); /* the next long poll */
}

static void on_post(struct client *c, int status, const char *body, size_t n)
{
	struct pollsess *ps = c->ps;
	if (status != 200 || n != 2 || memcmp(body, "ok", 2) != 0) {
		client_fail(c, lost_kind(c, 1), "POST answered %d: %.*s",
			    status, n > 80 ? 80 : (int)n, body);
		return;
	}
	if (ps->close_posted) {
		client_closed(c);
		return;
	}
	if (evbuffer_get_length(ps->pending))
		(void)hc_request(&ps->post);
}

static void hc_readcb(struct bufferevent *bev, void *arg)
{
	struct httpconn *hc = arg;
	struct client *c = hc->c;
	struct pollsess *ps = c->ps;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		if (hc->body_len < 0 && parse_head(hc, in) != 1)
			return;
		if (evbuffer_get_length(in) < (size_t)hc->body_len)
			return;
		/* take the body out, so that the connection may be closed or
		 * reused while it is handled */
		struct evbuffer *body = evbuffer_new();
		if (!body) {
			client_fail(c, E_SOCKET, "out of memory");
			return;
		}
		evbuffer_remove_buffer(in, body, (size_t)hc->body_len);
		size_t n = (size_t)hc->body_len;
		hc->body_len = -1;
		hc->busy = 0;
		if (hc->close_after) {
			bufferevent_free(bev);
			hc->bev = NULL;
		}
		const char *p = n ? (const char *)evbuffer_pullup(body, -1) : "";
		if (hc->post)
			on_post(c, hc->status, p, n);
		else
			on_get(c, hc->status, p, n);
		evbuffer_free(body);
		if (c->ps != ps || hc->bev != bev)
			return;
	}
}

static void hc_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct httpconn *hc = arg;
	struct client *c = hc->c;
	if (what & BEV_EVENT_CONNECTED) {
		hc->tcp_up = 1;
		if (c->state == CS_TCP)
			c->state = CS_OPEN;
		return;
	}
	int err = EVUTIL_SOCKET_ERROR();
	if (c->state == CS_CLOSING) {
		client_closed(c);
		return;
	}
	if (hc->tcp_up && !hc->busy && (what & BEV_EVENT_EOF)) {
		/* an idle keep-alive connection closed: open it again when
		 * there is something to ask */
		bufferevent_free(bev);
		hc->bev = NULL;
		return;
	}
	if (what & BEV_EVENT_EOF)
		client_fail(c, lost_kind(c, hc->tcp_up),
			    "server closed the %s connection",
			    hc->post ? "POST" : "GET");
	else
		client_fail(c, lost_kind(c, hc->tcp_up), "%s connection: %s",
			    hc->post ? "POST" : "GET",
			    evutil_socket_error_to_string(err));
}

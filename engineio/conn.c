#include "conn.h"

#include "request.h"
#include "server.h"
#include "session.h"
#include "websocket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int on_message_begin(llhttp_t *p);
static int on_url(llhttp_t *p, const char *at, size_t len);
static int on_header_field(llhttp_t *p, const char *at, size_t len);
static int on_header_value(llhttp_t *p, const char *at, size_t len);
static int on_part_complete(llhttp_t *p);
static int on_headers_complete(llhttp_t *p);
static int on_body(llhttp_t *p, const char *at, size_t len);
static int on_message_complete(llhttp_t *p);

static llhttp_settings_t settings;

static void init_settings(void)
{
	static int done;
	if (done)
		return;
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_url_complete = on_part_complete;
	settings.on_header_field = on_header_field;
	settings.on_header_field_complete = on_part_complete;
	settings.on_header_value = on_header_value;
	settings.on_header_value_complete = on_part_complete;
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
	done = 1;
}

const char *eio__http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void read_cb(struct bufferevent *bev, void *arg);
static void write_cb(struct bufferevent *bev, void *arg);
static void out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
		   void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);
static void timer_cb(evutil_socket_t fd, short what, void *arg);

/* Arms the connection's timer, made again when an upgraded connection
 * (which has none while it is open) closes. 0, or -ENOMEM. */
static int arm(eio_conn_t *c, const struct timeval *tv)
{
	if (!c->timer && !(c->timer = evtimer_new(c->srv->base, timer_cb, c)))
		return -ENOMEM;
	return evtimer_add(c->timer, tv);
}

static void link_conn(eio_conn_t **list, eio_conn_t *c)
{
	c->prev = NULL;
	c->next = *list;
	if (*list)
		(*list)->prev = c;
	*list = c;
}

static void unlink_conn(eio_conn_t **list, eio_conn_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void format_address(const struct sockaddr *sa, char *out, size_t len)
{
	out[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)len);
}

void eio__conn_accept(eio_server_t *srv, evutil_socket_t fd,
		      const struct sockaddr *sa)
{
	init_settings();
	eio_conn_t *c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->srv = srv;
	format_address(sa, c->address, sizeof(c->address));
	/* no Nagle, as Node's servers: a message past libevent's 16 KiB
	 * write would otherwise wait for the client's delayed ACK (~40 ms) */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->parser = malloc(sizeof(*c->parser));
	c->timer = evtimer_new(srv->base, timer_cb, c);
	if (!c->bev || !c->parser || !c->timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		free(c->parser);
		if (c->timer)
			event_free(c->timer);
		free(c);
		return;
	}
	llhttp_init(c->parser, HTTP_REQUEST, &settings);
	c->parser->data = c;
	c->state = EIO_CONN_READING;
	link_conn(&srv->conns, c);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	/* writes go through eio__conn_flush(): EV_WRITE only on backlog */
	if (!evbuffer_add_cb(bufferevent_get_output(c->bev), out_cb, c)) {
		unlink_conn(&srv->conns, c);
		bufferevent_free(c->bev);
		free(c->parser);
		event_free(c->timer);
		free(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
	evtimer_add(c->timer, srv->tv_http_timeout);
}

/* --- llhttp callbacks ------------------------------------------------ */

static int fail(eio_conn_t *c, int status)
{
	c->http_error = status;
	return HPE_USER;
}

static int on_message_begin(llhttp_t *p)
{
	eio_conn_t *c = p->data;
	evtimer_add(c->timer, c->srv->tv_http_timeout);
	c->in_head = 1;
	c->head_prev = 0;
	c->head_off = SIZE_MAX;
	eio__request_free(c->req);
	c->req = eio__request_new(c->address);
	return c->req ? 0 : fail(c, 500);
}

/* The request head's size on the wire so far, up to `end` in the chunk
 * being parsed (whitespace that llhttp skips counts too). */
static size_t head_size(eio_conn_t *c, const char *end)
{
	return c->head_prev + (size_t)(end - c->chunk) - c->head_off;
}

static int append_head(llhttp_t *p, eio_req_part_t part, const char *at,
		       size_t len)
{
	eio_conn_t *c = p->data;
	if (c->head_off == SIZE_MAX)
		c->head_off = (size_t)(at - c->chunk);
	if (head_size(c, at + len) > c->srv->opts.max_header_bytes)
		return fail(c, 431);
	return eio__request_append(c->req, part, at, len) < 0 ? fail(c, 500)
							      : 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	return append_head(p, EIO_REQ_URL, at, len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	return append_head(p, EIO_REQ_HEADER_NAME, at, len);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	return append_head(p, EIO_REQ_HEADER_VALUE, at, len);
}

static int on_part_complete(llhttp_t *p)
{
	eio_conn_t *c = p->data;
	return eio__request_end_part(c->req) < 0 ? fail(c, 500) : 0;
}

static int on_headers_complete(llhttp_t *p)
{
	eio_conn_t *c = p->data;
	c->in_head = 0;
	if (eio__request_finish_head(c->req) < 0)
		return fail(c, 500);
	c->req->method = llhttp_method_name(llhttp_get_method(p));
	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > c->srv->opts.max_payload)
		return fail(c, 413);
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	eio_conn_t *c = p->data;
	int r =
	    eio__request_append_body(c->req, at, len, c->srv->opts.max_payload);
	if (r == -E2BIG)
		return fail(c, 413);
	return r < 0 ? fail(c, 500) : 0;
}

static int on_message_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED; /* one request at a time */
}

/* --- input ----------------------------------------------------------- */

static void dispatch(eio_conn_t *c)
{
	int upgrade = c->parser->upgrade;
	c->keep_alive = llhttp_should_keep_alive(c->parser) && !upgrade;
	c->state = EIO_CONN_BUSY;
	evtimer_del(c->timer);
	eio__server_dispatch(c->srv, c, c->req, upgrade);
}

static void parse_error(eio_conn_t *c)
{
	int status = c->http_error ? c->http_error : 400;
	c->keep_alive = 0;
	eio__conn_respond_and_close(c, status, NULL, NULL, NULL, 0);
}

static void process_input(eio_conn_t *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	c->in_input = 1;
	while (c->state == EIO_CONN_READING && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		c->chunk = v.iov_base;
		llhttp_errno_t err =
		    llhttp_execute(c->parser, v.iov_base, v.iov_len);
		if (err == HPE_OK) {
			evbuffer_drain(in, v.iov_len);
			if (c->in_head && c->head_off != SIZE_MAX) {
				c->head_prev += v.iov_len;
				if (c->head_prev - c->head_off >
				    c->srv->opts.max_header_bytes) {
					c->http_error = 431;
					parse_error(c);
				}
			}
		} else if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
			const char *pos = llhttp_get_error_pos(c->parser);
			evbuffer_drain(in, (size_t)(pos - (char *)v.iov_base));
			dispatch(c);
		} else {
			parse_error(c);
		}
	}
	c->in_input = 0;
	if (c->state == EIO_CONN_WEBSOCKET && evbuffer_get_length(in) > 0)
		eio__ws_on_input(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	eio_conn_t *c = arg;
	switch (c->state) {
	case EIO_CONN_READING: process_input(c); break;
	case EIO_CONN_WEBSOCKET: eio__ws_on_input(c); break;
	case EIO_CONN_BUSY:
		/* a pipelined request waits in the input buffer; cap it */
		if (evbuffer_get_length(bufferevent_get_input(bev)) >
		    c->srv->opts.max_header_bytes + c->srv->opts.max_payload)
			eio__conn_close(c);
		break;
	default:
		evbuffer_drain(bufferevent_get_input(bev),
			       evbuffer_get_length(bufferevent_get_input(bev)));
		break;
	}
}

/* The answer is out: shut our side down and read what the client still
 * sends until it closes (or briefly), so that closing with unread input
 * does not reset the connection before the client has read the answer
 * (RFC 9112, 9.6). */
static void linger(eio_conn_t *c)
{
	c->state = EIO_CONN_LINGERING;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_enable(c->bev, EV_READ);
	if (arm(c, c->srv->tv_linger) < 0)
		eio__conn_close(c);
}

/* All the output is written. */
static void drained(eio_conn_t *c)
{
	if (c->state == EIO_CONN_DRAINING)
		linger(c);
}

/* libevent wrote a backlog out: stop watching for writability. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	bufferevent_disable(bev, EV_WRITE);
	drained(arg);
}

static void conn_failed(eio_conn_t *c, short what)
{
	eio_session_t *s = c->session;
	if (s) {
		eio_close_reason_t reason = EIO_CLOSE_TRANSPORT_ERROR;
		if (c->state == EIO_CONN_WEBSOCKET && (what & BEV_EVENT_EOF))
			reason = EIO_CLOSE_TRANSPORT_CLOSE;
		eio__session_conn_lost(s, c, reason);
	}
	eio__conn_close(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_failed(arg, what);
}

/* Output was added: write it at the end of this loop iteration, with
 * whatever else is added meanwhile. */
static void out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
		   void *arg)
{
	(void)buf;
	eio_conn_t *c = arg;
	if (info->n_added == 0 || c->dirty || c->state == EIO_CONN_DEAD)
		return;
	c->dirty = 1;
	c->next_dirty = c->srv->dirty;
	c->srv->dirty = c;
	event_active(c->srv->flush_ev, EV_TIMEOUT, 0);
}

int eio__conn_write_now(eio_conn_t *c)
{
	/* a socket bufferevent keeps the start of its output frozen except
	 * while it writes itself; we write it the same way */
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evbuffer_unfreeze(out, 1);
	int n = evbuffer_write(out, bufferevent_getfd(c->bev));
	evbuffer_freeze(out, 1);
	return n;
}

void eio__conn_flush(eio_server_t *srv)
{
	eio_conn_t *c;
	while ((c = srv->dirty)) {
		srv->dirty = c->next_dirty;
		c->dirty = 0;
		if (c->state == EIO_CONN_DEAD ||
		    (bufferevent_get_enabled(c->bev) & EV_WRITE))
			continue; /* libevent is writing a backlog */
		struct evbuffer *out = bufferevent_get_output(c->bev);
		if (evbuffer_get_length(out) > 0 &&
		    eio__conn_write_now(c) < 0 && errno != EAGAIN &&
		    errno != EINTR) {
			conn_failed(c, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
			continue;
		}
		if (evbuffer_get_length(out) > 0)
			bufferevent_enable(c->bev, EV_WRITE);
		else
			drained(c);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	eio_conn_t *c = arg;
	if (c->state == EIO_CONN_DRAINING || c->state == EIO_CONN_LINGERING) {
		eio__conn_close(c); /* the peer does not read, or not close */
		return;
	}
	if (c->state != EIO_CONN_READING)
		return;
	/* a request begun but not finished in time gets 408; idle: close */
	if (!c->req)
		eio__conn_close(c);
	else {
		c->keep_alive = 0;
		eio__conn_respond_and_close(c, 408, NULL, NULL, NULL, 0);
	}
}

/* --- output ---------------------------------------------------------- */

eio_request_t *eio__conn_take_request(eio_conn_t *c)
{
	eio_request_t *req = c->req;
	c->req = NULL;
	if (req)
		req->conn = NULL;
	return req;
}

static void write_head(eio_conn_t *c, int status, const char *ctype,
		       struct evbuffer *extra, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
			    eio__http_reason(status));
	if (ctype)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	if (extra)
		evbuffer_add_buffer(out, extra);
	/* 204 and 304 have no body and may not say a length (RFC 9110) */
	if (status != 204 && status != 304)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	evbuffer_add_printf(out, "Connection: %s\r\n\r\n",
			    c->keep_alive ? "keep-alive" : "close");
}

/* Whether the answer to the current request carries its body: not for
 * HEAD (whose head still gives the body's length), 204 or 304. */
static int sends_body(const eio_conn_t *c, int status)
{
	return status != 204 && status != 304 &&
	       !(c->req && strcmp(eio_request_method(c->req), "HEAD") == 0);
}

/* The request is answered: read the next one, or close. */
static void finish_request(eio_conn_t *c)
{
	eio__request_free(c->req);
	c->req = NULL;
	if (!c->keep_alive) {
		eio__conn_close_after_write(c);
		return;
	}
	c->state = EIO_CONN_READING;
	llhttp_resume(c->parser);
	evtimer_add(c->timer, c->srv->tv_keepalive_timeout);
	/* pipelined bytes: parse them from the loop, not from this call */
	if (!c->in_input &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS |
					BEV_TRIG_DEFER_CALLBACKS);
}

static int answerable(const eio_conn_t *c)
{
	return c->state == EIO_CONN_BUSY || c->state == EIO_CONN_READING;
}

void eio__conn_respond(eio_conn_t *c, int status, const char *ctype,
		       struct evbuffer *extra, struct evbuffer *body)
{
	if (!answerable(c))
		return;
	size_t len = body ? evbuffer_get_length(body) : 0;
	write_head(c, status, ctype, extra, len);
	if (body && sends_body(c, status))
		evbuffer_add_buffer(bufferevent_get_output(c->bev), body);
	finish_request(c);
}

void eio__conn_respond_mem(eio_conn_t *c, int status, const char *ctype,
			   struct evbuffer *extra, const void *body, size_t len)
{
	if (!answerable(c))
		return;
	write_head(c, status, ctype, extra, len);
	if (len && sends_body(c, status))
		bufferevent_write(c->bev, body, len);
	finish_request(c);
}

void eio__conn_respond_and_close(eio_conn_t *c, int status, const char *ctype,
				 struct evbuffer *extra, const void *body,
				 size_t len)
{
	c->keep_alive = 0;
	eio__conn_respond_mem(c, status, ctype, extra, body, len);
}

void eio__conn_close(eio_conn_t *c)
{
	if (c->state == EIO_CONN_DEAD)
		return;
	c->state = EIO_CONN_DEAD;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	if (c->timer)
		evtimer_del(c->timer);
	eio_server_t *srv = c->srv;
	unlink_conn(&srv->conns, c);
	link_conn(&srv->dead_conns, c);
	eio__server_schedule_reap(srv);
}

void eio__conn_close_after_write(eio_conn_t *c)
{
	if (c->state == EIO_CONN_DEAD || c->state == EIO_CONN_DRAINING ||
	    c->state == EIO_CONN_LINGERING)
		return;
	c->state = EIO_CONN_DRAINING;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		linger(c);
	else if (arm(c, c->srv->tv_http_timeout) < 0)
		eio__conn_close(c); /* the wait for a peer that never reads
				      cannot be bounded */
}

void eio__conn_free(eio_conn_t *c)
{
	unlink_conn(&c->srv->dead_conns, c);
	for (eio_conn_t **pp = &c->srv->dirty; *pp; pp = &(*pp)->next_dirty)
		if (*pp == c) {
			*pp = c->next_dirty;
			break;
		}
	bufferevent_free(c->bev);
	free(c->parser);
	eio__request_free(c->req);
	if (c->timer)
		event_free(c->timer);
	if (c->ws)
		wslay_event_context_free(c->ws);
	free(c);
}

#include "server.h"
#include "../common/clock.h"

#include "conn.h"
#include "msg.h"
#include "request.h"
#include "session.h"
#include "websocket.h"

#include <errno.h>
#include <json-c/json.h>
#include <netdb.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void eio_options_init(eio_options_t *o)
{
	memset(o, 0, sizeof(*o));
	o->path = "/engine.io/";
	o->ping_interval_ms = 25000;
	o->ping_timeout_ms = 20000;
	o->upgrade_timeout_ms = 10000;
	o->max_payload = 1000000;
	o->transports = EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET;
	o->max_output_bytes = 8u << 20;
	o->max_header_bytes = 16384;
	o->http_timeout_ms = 30000;
	o->keepalive_timeout_ms = 5000;
}

static const struct timeval *common_timeout(struct event_base *base,
					    unsigned ms)
{
	struct timeval tv = clock_tv(ms);
	return event_base_init_common_timeout(base, &tv);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg);

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	eio__conn_flush(arg);
}

/* The path with exactly one trailing slash, as engine.io's attach(). */
static char *normalize_path(const char *path)
{
	size_t len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	char *p = malloc(len + 2);
	if (!p)
		return NULL;
	memcpy(p, path, len);
	p[len] = '/';
	p[len + 1] = '\0';
	return p;
}

eio_server_t *eio_server_new(struct event_base *base, const eio_options_t *opts,
			     const eio_callbacks_t *cbs, void *ud)
{
	if (sodium_init() < 0)
		return NULL;
	eio_server_t *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->base = base;
	if (opts)
		srv->opts = *opts;
	else
		eio_options_init(&srv->opts);
	if (cbs)
		srv->cbs = *cbs;
	srv->ud = ud;
	srv->path =
	    normalize_path(srv->opts.path ? srv->opts.path : "/engine.io/");
	srv->opts.path = srv->path;
	if (srv->opts.cors_origin) {
		srv->cors_origin = strdup(srv->opts.cors_origin);
		srv->opts.cors_origin = srv->cors_origin;
	}
	srv->reap_ev = event_new(base, -1, 0, reap_cb, srv);
	srv->flush_ev = event_new(base, -1, 0, flush_cb, srv);
	srv->tv_ping_interval =
	    common_timeout(base, srv->opts.ping_interval_ms);
	srv->tv_ping_timeout = common_timeout(base, srv->opts.ping_timeout_ms);
	srv->tv_http_timeout = common_timeout(base, srv->opts.http_timeout_ms);
	srv->tv_keepalive_timeout =
	    common_timeout(base, srv->opts.keepalive_timeout_ms);
	srv->tv_upgrade_timeout =
	    common_timeout(base, srv->opts.upgrade_timeout_ms);
	srv->tv_linger = common_timeout(base, 2000);
	srv->msg_ping = eio__msg_new_packet('2', 0, NULL, 0);
	srv->msg_noop = eio__msg_new_packet('6', 0, NULL, 0);
	srv->msg_close = eio__msg_new_packet('1', 0, NULL, 0);
	srv->msg_pong_probe = eio__msg_new_packet('3', 0, "probe", 5);
	if (!srv->path || (opts && opts->cors_origin && !srv->cors_origin) ||
	    !srv->reap_ev || !srv->flush_ev || !srv->tv_ping_interval ||
	    !srv->tv_ping_timeout || !srv->tv_http_timeout ||
	    !srv->tv_upgrade_timeout || !srv->tv_linger ||
	    !srv->tv_keepalive_timeout || !srv->msg_ping || !srv->msg_noop ||
	    !srv->msg_close || !srv->msg_pong_probe) {
		eio_server_free(srv);
		return NULL;
	}
	return srv;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int socklen, void *arg)
{
	(void)l;
	(void)socklen;
	eio__conn_accept(arg, fd, sa);
}

int eio_server_listen(eio_server_t *srv, const char *host, uint16_t port)
{
	if (srv->nlisteners == EIO_MAX_LISTENERS)
		return -ENOSPC;
	struct evutil_addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (evutil_getaddrinfo(host, portstr, &hints, &res) != 0 || !res)
		return -EADDRNOTAVAIL;
	struct evconnlistener *l = evconnlistener_new_bind(
	    srv->base, accept_cb, srv,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, res->ai_addr, (int)res->ai_addrlen);
	evutil_freeaddrinfo(res);
	if (!l)
		return errno ? -errno : -EADDRINUSE;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t bound = port;
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss,
			&sl) == 0)
		bound = ntohs(ss.ss_family == AF_INET6
				  ? ((struct sockaddr_in6 *)&ss)->sin6_port
				  : ((struct sockaddr_in *)&ss)->sin_port);
	srv->listeners[srv->nlisteners] = l;
	srv->ports[srv->nlisteners++] = bound;
	return 0;
}

uint16_t eio_server_port(const eio_server_t *srv, unsigned index)
{
	return index < srv->nlisteners ? srv->ports[index] : 0;
}

void eio_server_stop_listening(eio_server_t *srv)
{
	for (unsigned i = 0; i < srv->nlisteners; i++)
		evconnlistener_free(srv->listeners[i]);
	srv->nlisteners = 0;
}

void eio_server_shutdown(eio_server_t *srv)
{
	/* closing a session may remove it from the map: collect first */
	size_t n = srv->sessions.count, i = 0, k = 0;
	eio_session_t **all = calloc(n ? n : 1, sizeof(*all));
	hmap_entry_t *e;
	srv->shutting_down = 1;
	if (!all) { /* no memory to be gentle with: close at once */
		while (srv->sessions.count) {
			i = 0;
			e = hmap_next(&srv->sessions, &i);
			eio__session_terminate(e->value,
					       EIO_CLOSE_SERVER_SHUTDOWN);
		}
		return;
	}
	while ((e = hmap_next(&srv->sessions, &i)) && k < n)
		all[k++] = e->value;
	for (i = 0; i < k; i++)
		eio__session_close(all[i], EIO_CLOSE_SERVER_SHUTDOWN);
	free(all);
}

size_t eio_server_session_count(const eio_server_t *srv)
{
	return srv->sessions.count;
}

size_t eio_server_busy_connections(const eio_server_t *srv)
{
	size_t n = 0;
	for (const eio_conn_t *c = srv->conns; c; c = c->next)
		n += c->state == EIO_CONN_BUSY ||
		     c->state == EIO_CONN_WEBSOCKET ||
		     c->state == EIO_CONN_DRAINING;
	return n;
}

void eio_server_stats(const eio_server_t *srv, eio_stats_t *out)
{
	*out = srv->stats;
}

/* A peer address with open sessions (only kept with a per-address limit). */
typedef struct address_count {
	unsigned n;
	char addr[];
} address_count_t;

const char *eio__server_admit(const eio_server_t *srv, const eio_request_t *req)
{
	const eio_options_t *o = &srv->opts;
	if (srv->shutting_down)
		return "Server shutting down";
	if (o->max_sessions && srv->sessions.count >= o->max_sessions)
		return "Too many connections";
	if (o->max_sessions_per_address) {
		address_count_t *a =
		    hmap_get(&srv->per_address, eio_request_address(req));
		if (a && a->n >= o->max_sessions_per_address)
			return "Too many connections";
	}
	return NULL;
}

int eio__server_session_in(eio_server_t *srv, eio_session_t *s)
{
	if (srv->opts.max_sessions_per_address) {
		const char *addr = eio_request_address(s->handshake);
		address_count_t *a = hmap_get(&srv->per_address, addr);
		if (!a) {
			size_t len = strlen(addr);
			a = calloc(1, sizeof(*a) + len + 1);
			if (!a)
				return -ENOMEM;
			memcpy(a->addr, addr, len);
			if (hmap_put(&srv->per_address, a->addr, a) < 0) {
				free(a);
				return -ENOMEM;
			}
		}
		a->n++;
	}
	srv->stats.sessions_opened++;
	if (s->transport == EIO_TRANSPORT_POLLING)
		srv->stats.polling++;
	else
		srv->stats.websocket++;
	return 0;
}

void eio__server_session_out(eio_server_t *srv, eio_session_t *s)
{
	if (s->transport == EIO_TRANSPORT_POLLING)
		srv->stats.polling--;
	else
		srv->stats.websocket--;
	if (!srv->opts.max_sessions_per_address)
		return;
	const char *addr = eio_request_address(s->handshake);
	address_count_t *a = hmap_get(&srv->per_address, addr);
	if (a && --a->n == 0)
		free(hmap_del(&srv->per_address, addr));
}

/* Reaping: close callbacks and frees happen here, never inside the
 * callbacks of the objects concerned. */

void eio__server_schedule_reap(eio_server_t *srv)
{
	event_active(srv->reap_ev, EV_TIMEOUT, 0);
}

static void reap(eio_server_t *srv)
{
	while (srv->dead_sessions || srv->dead_conns) {
		eio_session_t *s;
		while ((s = srv->dead_sessions)) {
			srv->dead_sessions = s->next_dead;
			if (srv->cbs.close)
				srv->cbs.close(srv->ud, s, s->reason);
			eio__session_free(s);
		}
		while (srv->dead_conns)
			eio__conn_free(srv->dead_conns);
	}
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reap(arg);
}

void eio_server_free(eio_server_t *srv)
{
	if (!srv)
		return;
	eio_server_stop_listening(srv);
	/* terminate() edits the table: collect first */
	size_t n = srv->sessions.count, i = 0, k = 0;
	eio_session_t **all = n ? malloc(n * sizeof(*all)) : NULL;
	hmap_entry_t *e;
	while (all && (e = hmap_next(&srv->sessions, &i)))
		all[k++] = e->value;
	for (i = 0; i < k; i++)
		eio__session_terminate(all[i], EIO_CLOSE_SERVER_SHUTDOWN);
	free(all);
	while (srv->conns)
		eio__conn_close(srv->conns);
	reap(srv);
	eio__ws_pool_free(srv);
	hmap_free(&srv->sessions);
	hmap_free(&srv->per_address);
	if (srv->reap_ev)
		event_free(srv->reap_ev);
	if (srv->flush_ev)
		event_free(srv->flush_ev);
	eio_msg_unref(srv->msg_ping);
	eio_msg_unref(srv->msg_noop);
	eio_msg_unref(srv->msg_close);
	eio_msg_unref(srv->msg_pong_probe);
	free(srv->path);
	free(srv->cors_origin);
	free(srv);
}

/* Errors -------------------------------------------------------------- */

static const char *error_message(eio_error_code_t code)
{
	switch (code) {
	case EIO_ERR_UNKNOWN_TRANSPORT: return "Transport unknown";
	case EIO_ERR_UNKNOWN_SID: return "Session ID unknown";
	case EIO_ERR_BAD_HANDSHAKE_METHOD: return "Bad handshake method";
	case EIO_ERR_BAD_REQUEST: return "Bad request";
	case EIO_ERR_FORBIDDEN: return "Forbidden";
	case EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION:
		return "Unsupported protocol version";
	}
	return "Bad request";
}

void eio__server_error(eio_server_t *srv, eio_conn_t *c, eio_request_t *req,
		       int upgrade, eio_error_code_t code, const char *message)
{
	int status = code == EIO_ERR_FORBIDDEN ? 403 : 400;
	if (!message)
		message = error_message(code);
	if (upgrade) { /* Node's abortUpgrade: plain text, then close */
		eio__conn_respond_and_close(c, status, "text/html", NULL,
					    message, strlen(message));
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_int((int)code));
	json_object_object_add(o, "message", json_object_new_string(message));
	const char *body = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct evbuffer *hdrs = evbuffer_new();
	if (hdrs)
		eio__cors_headers(srv, req, 0, hdrs);
	eio__conn_respond_mem(c, status, "application/json", hdrs, body,
			      strlen(body));
	if (hdrs)
		evbuffer_free(hdrs);
	json_object_put(o);
}

/* Routing ------------------------------------------------------------- */

static eio_transport_t parse_transport(const eio_server_t *srv,
				       const char *name)
{
	eio_transport_t t = 0;
	if (name && strcmp(name, "polling") == 0)
		t = EIO_TRANSPORT_POLLING;
	else if (name && strcmp(name, "websocket") == 0)
		t = EIO_TRANSPORT_WEBSOCKET;
	return (srv->opts.transports & t) ? t : 0;
}

static void preflight(eio_server_t *srv, eio_conn_t *c, eio_request_t *req)
{
	struct evbuffer *hdrs = evbuffer_new();
	if (hdrs)
		eio__cors_headers(srv, req, 1, hdrs);
	eio__conn_respond_mem(c, 204, NULL, hdrs, NULL, 0);
	if (hdrs)
		evbuffer_free(hdrs);
}

/* A request carrying a sid: polling on the session's transport, or the
 * WebSocket that upgrades it. */
static void session_request(eio_server_t *srv, eio_conn_t *c,
			    eio_request_t *req, int upgrade, eio_transport_t t,
			    const char *sid)
{
	eio_session_t *s = hmap_get(&srv->sessions, sid);
	if (s && eio__session_expire(s))
		s = NULL;
	if (!s) {
		eio__server_error(srv, c, req, upgrade, EIO_ERR_UNKNOWN_SID,
				  NULL);
		return;
	}
	if (upgrade) {
		if (t != EIO_TRANSPORT_WEBSOCKET ||
		    !eio__ws_is_valid_upgrade(req)) {
			eio__server_error(srv, c, req, 1, EIO_ERR_BAD_REQUEST,
					  NULL);
			return;
		}
		if (eio__ws_accept(c, req) < 0) {
			eio__conn_close(c);
			return;
		}
		eio__request_free(eio__conn_take_request(c));
		if (eio__session_can_upgrade(s))
			eio__session_attach_probe(s, c);
		else /* upgraded or upgrading already: as Node, accept the
		      * WebSocket and close it at once */
			eio__ws_close(c, 0);
		return;
	}
	const char *m = eio_request_method(req);
	if (t != s->transport || t != EIO_TRANSPORT_POLLING)
		eio__server_error(srv, c, req, 0, EIO_ERR_BAD_REQUEST, NULL);
	else if (strcmp(m, "GET") == 0)
		eio__session_poll_get(s, c);
	else if (strcmp(m, "POST") == 0)
		eio__session_poll_post(s, c, req);
	else
		eio__server_error(srv, c, req, 0, EIO_ERR_BAD_REQUEST, NULL);
}

static void handshake(eio_server_t *srv, eio_conn_t *c, eio_request_t *req,
		      int upgrade, eio_transport_t t)
{
	const char *eio = eio_request_query(req, "EIO");
	const char *message = NULL;
	if (strcmp(eio_request_method(req), "GET") != 0)
		eio__server_error(srv, c, req, upgrade,
				  EIO_ERR_BAD_HANDSHAKE_METHOD, NULL);
	else if (t == EIO_TRANSPORT_WEBSOCKET &&
		 (!upgrade || !eio__ws_is_valid_upgrade(req)))
		eio__server_error(srv, c, req, upgrade, EIO_ERR_BAD_REQUEST,
				  NULL);
	else if (upgrade && t != EIO_TRANSPORT_WEBSOCKET)
		eio__server_error(srv, c, req, 1, EIO_ERR_BAD_REQUEST, NULL);
	else if (!eio || strcmp(eio, "4") != 0)
		eio__server_error(srv, c, req, upgrade,
				  EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION, NULL);
	else if ((srv->cbs.allow && srv->cbs.allow(srv->ud, req, &message)) ||
		 (message = eio__server_admit(srv, req))) {
		srv->stats.handshakes_refused++;
		eio__server_error(srv, c, req, upgrade, EIO_ERR_FORBIDDEN,
				  message);
	} else if (t == EIO_TRANSPORT_WEBSOCKET && eio__ws_accept(c, req) < 0)
		eio__conn_close(c);
	else if (!eio__session_open(srv, c, eio__conn_take_request(c), t))
		eio__conn_respond_and_close(c, 500, NULL, NULL, NULL, 0);
}

static void engine_request(eio_server_t *srv, eio_conn_t *c, eio_request_t *req,
			   int upgrade)
{
	if (!upgrade && srv->cors_origin &&
	    strcmp(eio_request_method(req), "OPTIONS") == 0) {
		preflight(srv, c, req);
		return;
	}
	eio_transport_t t =
	    parse_transport(srv, eio_request_query(req, "transport"));
	const char *sid = eio_request_query(req, "sid");
	if (!t)
		eio__server_error(srv, c, req, upgrade,
				  EIO_ERR_UNKNOWN_TRANSPORT, NULL);
	else if (sid)
		session_request(srv, c, req, upgrade, t, sid);
	else
		handshake(srv, c, req, upgrade, t);
}

void eio__server_dispatch(eio_server_t *srv, eio_conn_t *c, eio_request_t *req,
			  int upgrade)
{
	const char *path = eio_request_path(req);
	size_t plen = strlen(srv->path);
	/* a file under the path (socket.io.js) is the program's, as Node's
	 * serveClient answers it before the engine sees it */
	if (strncmp(path, srv->path, plen) == 0 &&
	    (path[plen] == '\0' || !srv->cbs.request)) {
		engine_request(srv, c, req, upgrade);
	} else if (srv->cbs.request) {
		req->conn = c;
		srv->cbs.request(srv->ud, req);
		if (c->req == req && req->conn) /* not answered: the contract */
			eio__conn_respond_and_close(c, 500, NULL, NULL, NULL,
						    0);
	} else {
		static const char body[] = "Not Found";
		if (upgrade)
			eio__conn_respond_and_close(c, 404, "text/plain", NULL,
						    body, sizeof(body) - 1);
		else
			eio__conn_respond_mem(c, 404, "text/plain", NULL, body,
					      sizeof(body) - 1);
	}
}

int eio_request_respond(eio_request_t *req, int status,
			const char *content_type, const char *const *headers,
			const void *body, size_t len)
{
	eio_conn_t *c = req->conn;
	if (!c || c->req != req)
		return -EINVAL;
	struct evbuffer *hdrs = evbuffer_new();
	if (!hdrs)
		return -ENOMEM;
	for (size_t i = 0; headers && headers[i]; i++)
		evbuffer_add_printf(hdrs, "%s\r\n", headers[i]);
	req->conn = NULL;
	eio__conn_respond_mem(c, status, content_type, hdrs, body, len);
	evbuffer_free(hdrs);
	return 0;
}

/* The Redis adapter: a cluster of nodes (C, or Node.js with
 * @socket.io/redis-adapter 8.x) sharing broadcasts, room operations and
 * server-side emits through Redis pub/sub, in that adapter's wire format
 * (redis_msg.h). Rooms stay in memory (the memory adapter's operations do
 * the local part); this file adds the other nodes.
 *
 * One pair of connections per server, on its event_base, through
 * hiredis's async API: `pub` publishes, `sub` is in subscribe mode (where
 * it can issue nothing else). Per namespace, `sub` holds
 *   PSUBSCRIBE KEY#NSP#*        broadcasts (KEY#NSP# and KEY#NSP#ROOM#)
 *   SUBSCRIBE  KEY-request#NSP# requests; also what PUBSUB NUMSUB counts
 * Each connection that fails or drops is retried after a backoff (0.1 s
 * doubling to 5 s), and `sub` subscribes again; a connection attempt
 * that takes longer than 5 s is abandoned and retried. Nothing here
 * blocks: hosts are numeric (no DNS), replies come through callbacks. */
#include "emit.h"
#include "internal.h"
#include "json.h"
#include "redis_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 5000
/* Incoming messages larger than this are dropped unread. */
#define MAX_MESSAGE (16u << 20)
/* Publishes queued for a Redis that does not read are dropped past it. */
#define MAX_OUTPUT (64u << 20)

typedef struct sio_redis sio_redis_t;
typedef struct radapter radapter_t;

typedef struct rconn {
	sio_redis_t *r;
	redisAsyncContext *ac; /* NULL: waiting to retry */
	int up;		       /* connected */
	int is_sub;
	unsigned delay_ms;   /* the next retry's */
	struct event *timer; /* retry, or connect timeout while ac && !up */
} rconn_t;

struct sio_redis {
	sio_server_t *srv;
	char *host, *path; /* TCP host, or Unix socket path */
	int port;
	char *user, *pass;
	char *key;
	char uid[7]; /* this node, in every message it sends */
	rconn_t pub, sub;
	unsigned sub_pending; /* subscriptions not confirmed yet */
	hmap_t routes;	      /* pattern or channel -> radapter */
	radapter_t *adapters;
	int closing;
};

struct radapter {
	sio_adapter_t a; /* first: the memory operations work on it */
	sio_redis_t *r;	 /* NULL once the connections are closed */
	char *channel;	 /* KEY#NSP# */
	char *pattern;	 /* KEY#NSP#* */
	char *request;	 /* KEY-request#NSP# */
	char *response;	 /* KEY-response#NSP# */
	radapter_t *next;
};

/* URLs ------------------------------------------------------------------- */

typedef struct url {
	char host[64];
	char path[256];
	int port;
	char user[128], pass[256];
} url_t;

static int parse_url(const char *url, url_t *u)
{
	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(url, "unix:", 5) == 0) {
		const char *p = url + 5;
		if (strncmp(p, "//", 2) == 0)
			p += 2;
		if (p[0] != '/' || strlen(p) >= sizeof(u->path))
			return -EINVAL;
		strcpy(u->path, p);
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		return -EINVAL;
	const char *p = url + 8;
	const char *slash = p + strcspn(p, "/");
	const char *at = NULL;
	for (const char *q = p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at) { /* [USER]:PASSWORD@ or PASSWORD@ */
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;
		size_t ulen = colon ? (size_t)(colon - p) : 0;
		size_t plen = (size_t)(at - pw);
		if (ulen >= sizeof(u->user) || plen >= sizeof(u->pass))
			return -EINVAL;
		memcpy(u->user, p, ulen);
		memcpy(u->pass, pw, plen);
		p = at + 1;
	}
	const char *hend;
	size_t hlen;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (!hend || hend > slash)
			return -EINVAL;
		hlen = (size_t)(hend - p - 1);
		if (hlen >= sizeof(u->host))
			return -EINVAL;
		memcpy(u->host, p + 1, hlen);
		unsigned char a6[16];
		if (inet_pton(AF_INET6, u->host, a6) != 1)
			return -EINVAL;
		hend++;
	} else {
		hlen = strcspn(p, ":/");
		hend = p + hlen;
		if (hlen == 0 || hlen >= sizeof(u->host))
			return -EINVAL;
		memcpy(u->host, p, hlen);
		unsigned char a4[4];
		if (strcmp(u->host, "localhost") == 0)
			strcpy(u->host, "127.0.0.1");
		else if (inet_pton(AF_INET, u->host, a4) != 1)
			return -EINVAL; /* a name: no DNS lookup here */
	}
	p = hend;
	if (*p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535)
			return -EINVAL;
		u->port = (int)port;
		p = end;
	}
	if (*p == '/') { /* a database number: pub/sub ignores it */
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p ? -EINVAL : 0;
}

int sio_redis_url_check(const char *url)
{
	url_t u;
	return url ? parse_url(url, &u) : -EINVAL;
}

/* Connections ------------------------------------------------------------ */

static void conn_start(rconn_t *c);
static void subscribe_adapter(sio_redis_t *r, radapter_t *ra);

static void arm(rconn_t *c, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
}

static void retry_later(rconn_t *c)
{
	c->ac = NULL;
	c->up = 0;
	if (c->r->closing)
		return;
	arm(c, c->delay_ms);
	c->delay_ms =
	    c->delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->delay_ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	rconn_t *c = ac->data;
	if (c->ac != ac)
		return;
	if (status != REDIS_OK) { /* hiredis frees ac after this */
		evtimer_del(c->timer);
		retry_later(c);
		return;
	}
	evtimer_del(c->timer);
	c->up = 1;
	c->delay_ms = RETRY_MIN_MS;
	if (!c->r->path) /* TCP only: on a Unix socket it fails the context */
		redisEnableKeepAlive((redisContext *)&ac->c);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	rconn_t *c = ac->data;
	if (c->ac != ac)
		return;
	if (c->is_sub)
		c->r->sub_pending = 0;
	retry_later(c);
}

static void on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)priv;
	redisReply *rep = reply;
	if (rep && rep->type == REDIS_REPLY_ERROR)
		redisAsyncDisconnect(ac); /* refused: retry later */
}

static void route(sio_redis_t *r, const char *key, const char *channel,
		  const redisReply *payload, int pattern);

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)ac;
	rconn_t *c = priv;
	redisReply *rep = reply;
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
	    rep->element[0]->type != REDIS_REPLY_STRING)
		return;
	const char *kind = rep->element[0]->str;
	if (strcmp(kind, "subscribe") == 0 || strcmp(kind, "psubscribe") == 0) {
		if (c->r->sub_pending)
			c->r->sub_pending--;
	} else if (strcmp(kind, "message") == 0 &&
		   rep->element[1]->type == REDIS_REPLY_STRING &&
		   rep->element[2]->type == REDIS_REPLY_STRING) {
		route(c->r, rep->element[1]->str, rep->element[1]->str,
		      rep->element[2], 0);
	} else if (strcmp(kind, "pmessage") == 0 && rep->elements == 4 &&
		   rep->element[1]->type == REDIS_REPLY_STRING &&
		   rep->element[2]->type == REDIS_REPLY_STRING &&
		   rep->element[3]->type == REDIS_REPLY_STRING) {
		route(c->r, rep->element[1]->str, rep->element[2]->str,
		      rep->element[3], 1);
	}
}

static void conn_start(rconn_t *c)
{
	sio_redis_t *r = c->r;
	redisAsyncContext *ac = r->path ? redisAsyncConnectUnix(r->path)
					: redisAsyncConnect(r->host, r->port);
	if (!ac || ac->err ||
	    redisLibeventAttach(ac, r->srv->base) != REDIS_OK) {
		if (ac)
			redisAsyncFree(ac);
		retry_later(c);
		return;
	}
	ac->data = c;
	c->ac = ac;
	c->up = 0;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* queued: written once connected */
	if (r->pass && r->user)
		redisAsyncCommand(ac, on_auth, NULL, "AUTH %s %s", r->user,
				  r->pass);
	else if (r->pass)
		redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", r->pass);
	if (c->is_sub) {
		r->sub_pending = 0;
		for (radapter_t *ra = r->adapters; ra; ra = ra->next)
			subscribe_adapter(r, ra);
	}
	arm(c, CONNECT_TIMEOUT_MS);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rconn_t *c = arg;
	if (c->ac && !c->up) { /* connecting for too long */
		redisAsyncContext *ac = c->ac;
		c->ac = NULL; /* its callbacks now ignore it */
		redisAsyncFree(ac);
		retry_later(c);
	} else if (!c->ac) {
		conn_start(c);
	}
}

static void subscribe_adapter(sio_redis_t *r, radapter_t *ra)
{
	redisAsyncContext *ac = r->sub.ac;
	if (!ac)
		return;
	if (redisAsyncCommand(ac, on_sub_reply, &r->sub, "PSUBSCRIBE %s",
			      ra->pattern) == REDIS_OK)
		r->sub_pending++;
	if (redisAsyncCommand(ac, on_sub_reply, &r->sub, "SUBSCRIBE %s",
			      ra->request) == REDIS_OK)
		r->sub_pending++;
}

static int publish(sio_redis_t *r, const char *channel, const void *data,
		   size_t len)
{
	redisAsyncContext *ac = r ? r->pub.ac : NULL;
	if (!ac || !r->pub.up)
		return -EPIPE; /* lost: Redis is down */
	if (ac->c.obuf && sdslen(ac->c.obuf) > MAX_OUTPUT)
		return -ENOBUFS; /* Redis does not keep up */
	return redisAsyncCommand(ac, NULL, NULL, "PUBLISH %s %b", channel, data,
				 len) == REDIS_OK
		   ? 0
		   : -ENOMEM;
}

sio_redis_t *sio__redis_new(sio_server_t *srv, const char *url, const char *key)
{
	url_t u;
	if (parse_url(url, &u) < 0)
		return NULL;
	sio_redis_t *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->srv = srv;
	r->port = u.port;
	int ok = (r->key = strdup(key ? key : "socket.io")) != NULL;
	if (u.path[0])
		ok = ok && (r->path = strdup(u.path));
	else
		ok = ok && (r->host = strdup(u.host));
	if (u.pass[0])
		ok = ok && (r->pass = strdup(u.pass));
	if (u.user[0])
		ok = ok && (r->user = strdup(u.user));
	/* 6 characters of [a-zA-Z0-9], as uid2(6) */
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZ0123456789";
	for (int i = 0; i < 6; i++)
		r->uid[i] = alnum[randombytes_uniform(sizeof(alnum) - 1)];
	rconn_t *cs[2] = {&r->pub, &r->sub};
	for (int i = 0; i < 2; i++) {
		cs[i]->r = r;
		cs[i]->is_sub = i;
		cs[i]->delay_ms = RETRY_MIN_MS;
		cs[i]->timer = evtimer_new(srv->base, timer_cb, cs[i]);
		ok = ok && cs[i]->timer;
	}
	if (!ok) {
		sio__redis_free(r);
		return NULL;
	}
	conn_start(&r->pub);
	conn_start(&r->sub);
	return r;
}

void sio__redis_free(sio_redis_t *r)
{
	if (!r)
		return;
	r->closing = 1;
	rconn_t *cs[2] = {&r->pub, &r->sub};
	for (int i = 0; i < 2; i++) {
		if (cs[i]->timer)
			event_free(cs[i]->timer);
		redisAsyncContext *ac = cs[i]->ac;
		cs[i]->ac = NULL;
		if (ac)
			redisAsyncFree(ac);
	}
	for (radapter_t *ra = r->adapters; ra; ra = ra->next)
		ra->r = NULL;
	hmap_free(&r->routes);
	free(r->host);
	free(r->path);
	free(r->user);
	free(r->pass);
	free(r->key);
	free(r);
}

sio_redis_state_t sio_server_redis_state(const sio_server_t *srv)
{
	const sio_redis_t *r = srv->redis;
	if (!r)
		return SIO_REDIS_OFF;
	return r->pub.up && r->sub.up && r->sub_pending == 0
		   ? SIO_REDIS_CONNECTED
		   : SIO_REDIS_CONNECTING;
}

const char *sio_redis_state_name(sio_redis_state_t state)
{
	switch (state) {
	case SIO_REDIS_OFF: return "off";
	case SIO_REDIS_CONNECTING: return "connecting";
	case SIO_REDIS_CONNECTED: return "connected";
	}
	return "unknown";
}

typedef struct count_req {
	void (*cb)(void *ud, int err, unsigned count);
	void *ud;
} count_req_t;

static void on_numsub(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)ac;
	count_req_t *q = priv;
	redisReply *rep = reply;
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_INTEGER &&
	    rep->element[1]->integer >= 0)
		q->cb(q->ud, 0, (unsigned)rep->element[1]->integer);
	else
		q->cb(q->ud, -ECONNRESET, 0);
	free(q);
}

static sio_adapter_ops_t ops;

int sio_server_count(sio_nsp_t *nsp,
		     void (*cb)(void *ud, int err, unsigned count), void *ud)
{
	if (nsp->adapter->ops != &ops)
		return -EOPNOTSUPP;
	radapter_t *ra = (radapter_t *)nsp->adapter;
	sio_redis_t *r = ra->r;
	if (!r || !r->pub.ac || !r->pub.up)
		return -EPIPE;
	count_req_t *q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->cb = cb;
	q->ud = ud;
	if (redisAsyncCommand(r->pub.ac, on_numsub, q, "PUBSUB NUMSUB %s",
			      ra->request) != REDIS_OK) {
		free(q);
		return -ENOMEM;
	}
	return 0;
}

/* What other nodes send ------------------------------------------------- */

static void on_broadcast(radapter_t *ra, const char *channel,
			 const redisReply *payload)
{
	sio_nsp_t *nsp = ra->a.nsp;
	/* KEY#NSP#ROOM#: only when we have that room */
	const char *room = channel + strlen(ra->channel);
	size_t rlen = strlen(room);
	if (rlen > 1) {
		char *name = strndup(room, rlen - 1);
		int have = name && hmap_get(&ra->a.rooms, name);
		free(name);
		if (!have)
			return;
	}
	sio_rmsg_t m;
	if (sio__rmsg_decode_broadcast((const uint8_t *)payload->str,
				       payload->len, &m) < 0)
		return;
	if (strcmp(m.uid, ra->r->uid) != 0 && strcmp(m.nsp, nsp->name) == 0) {
		sio_target_t to = {(const char *const *)m.rooms, m.nrooms,
				   (const char *const *)m.except, m.nexcept,
				   m.flags | SIO_LOCAL};
		sio_args_t args = {m.args, m.args_len, m.bins, m.nbins};
		sio__nsp_broadcast(nsp, &to, NULL, m.event, &args);
	}
	sio__rmsg_free(&m);
}

static int respond(radapter_t *ra, const char *json, size_t len)
{
	return publish(ra->r, ra->response, json, len);
}

/* {"requestId":ID} and more */
static void respond_simple(radapter_t *ra, const char *request_id)
{
	if (!request_id)
		return;
	char *buf = malloc(strlen(request_id) * 6 + 32);
	if (!buf)
		return;
	size_t n = (size_t)sprintf(buf, "{\"requestId\":");
	n += sio__json_quote(buf + n, request_id);
	buf[n++] = '}';
	respond(ra, buf, n);
	free(buf);
}

/* A growing string for the answers. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int err;
} sbuf_t;

static void sput(sbuf_t *b, const char *p, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *ns = realloc(b->s, ncap);
		if (!ns) {
			b->err = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sputs(sbuf_t *b, const char *s)
{
	sput(b, s, strlen(s));
}

static void squote(sbuf_t *b, const char *s)
{
	char *q = malloc(strlen(s) * 6 + 3);
	if (!q) {
		b->err = 1;
		return;
	}
	size_t n = sio__json_quote(q, s);
	sput(b, q, n);
	free(q);
}

static void all_rooms(radapter_t *ra, const sio_rmsg_t *m)
{
	if (!m->request_id)
		return;
	sbuf_t b = {0};
	sputs(&b, "{\"requestId\":");
	squote(&b, m->request_id);
	sputs(&b, ",\"rooms\":[");
	size_t i = 0, k = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&ra->a.rooms, &i))) {
		if (k++)
			sputs(&b, ",");
		squote(&b, e->key);
	}
	sputs(&b, "]}");
	if (!b.err)
		respond(ra, b.s, b.len);
	free(b.s);
}

static void fetch_one(void *ud, sio_socket_t *s)
{
	sbuf_t *b = ud;
	if (b->len && b->s[b->len - 1] == '}')
		sputs(b, ",");
	sputs(b, "{\"id\":");
	squote(b, s->id);
	char *hs = sio_socket_handshake_json(s);
	sputs(b, ",\"handshake\":");
	sputs(b, hs ? hs : "{}");
	free(hs);
	sputs(b, ",\"rooms\":[");
	for (size_t i = 0; i < s->nrooms; i++) {
		if (i)
			sputs(b, ",");
		squote(b, s->rooms[i]->name);
	}
	sputs(b, "],\"data\":");
	sputs(b, s->state ? s->state : "{}");
	sputs(b, "}");
}

static void remote_fetch(radapter_t *ra, const sio_rmsg_t *m,
			 const sio_target_t *to)
{
	if (!m->request_id)
		return;
	sbuf_t b = {0};
	sputs(&b, "{\"requestId\":");
	squote(&b, m->request_id);
	sputs(&b, ",\"sockets\":[");
	ra->a.ops->each(&ra->a, to, NULL, fetch_one, &b);
	sputs(&b, "]}");
	if (!b.err)
		respond(ra, b.s, b.len);
	free(b.s);
}

struct sio_server_ack {
	radapter_t *ra;
	const char *request_id;
	int answered;
};

int sio_server_ack_send(sio_server_ack_t *ack, const char *json)
{
	if (ack->answered)
		return -EINVAL;
	if (!json)
		json = "null";
	size_t jl = strlen(json);
	if (sio__json_scan(sio__json_ws(json, json + jl), json + jl,
			   SIO_JSON_MAX_DEPTH) != json + jl)
		return -EINVAL;
	ack->answered = 1;
	sbuf_t b = {0};
	sputs(&b, "{\"type\":6,\"requestId\":");
	squote(&b, ack->request_id);
	sputs(&b, ",\"data\":");
	sputs(&b, json);
	sputs(&b, "}");
	int r = b.err ? -ENOMEM : respond(ack->ra, b.s, b.len);
	free(b.s);
	return r;
}

static void server_side(radapter_t *ra, const sio_rmsg_t *m)
{
	sio_nsp_t *nsp = ra->a.nsp;
	sio_args_t args = {m->args, m->args_len, NULL, 0};
	sio_server_ack_t ack = {ra, m->request_id, 0};
	for (sio_handler_t *h = nsp->h->server_side; h; h = h->next)
		((sio_server_side_fn)h->fn)(h->ud, nsp, m->event, &args,
					    m->request_id ? &ack : NULL);
}

/* BROADCAST with acks from another node: the count of recipients first,
 * then each one's answer. */
typedef struct remote_ack {
	sio_redis_t *r;
	char *response;
	char *request_id;
	size_t left;
} remote_ack_t;

static void remote_ack_cb(void *ud, sio_socket_t *s, int err,
			  const sio_args_t *args)
{
	(void)s;
	remote_ack_t *ra = ud;
	uint8_t *msg;
	size_t len;
	if (err == 0 && !ra->r->closing &&
	    sio__rmsg_encode_broadcast_ack(ra->request_id, args, &msg, &len) ==
		0) {
		publish(ra->r, ra->response, msg, len);
		free(msg);
	}
	if (--ra->left == 0) {
		free(ra->response);
		free(ra->request_id);
		free(ra);
	}
}

typedef struct socket_list {
	sio_socket_t **v;
	size_t n, cap;
} socket_list_t;

static void list_push(void *ud, sio_socket_t *s)
{
	socket_list_t *l = ud;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		sio_socket_t **nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = s;
}

static void broadcast_with_ack(radapter_t *ra, const sio_rmsg_t *m,
			       const sio_target_t *to)
{
	if (!m->request_id || !m->event)
		return;
	socket_list_t l = {0};
	ra->a.ops->each(&ra->a, to, NULL, list_push, &l);
	remote_ack_t *ctx = calloc(1, sizeof(*ctx));
	size_t sent = 0;
	if (ctx && (!(ctx->response = strdup(ra->response)) ||
		    !(ctx->request_id = strdup(m->request_id)))) {
		free(ctx->response);
		free(ctx);
		ctx = NULL;
	}
	if (ctx) {
		ctx->r = ra->r;
		ctx->left = 1; /* held until the loop is done */
		sio_args_t args = {m->args, m->args_len, m->bins, m->nbins};
		unsigned timeout = m->timeout_ms ? m->timeout_ms : 5000;
		for (size_t i = 0; i < l.n; i++) {
			ctx->left++;
			if (sio_socket_emit_with_ack(l.v[i], m->event, &args,
						     timeout, remote_ack_cb,
						     ctx) < 0)
				ctx->left--;
			else
				sent++;
		}
	}
	free(l.v);
	sbuf_t b = {0};
	char num[32];
	sputs(&b, "{\"type\":8,\"requestId\":");
	squote(&b, m->request_id);
	snprintf(num, sizeof(num), ",\"clientCount\":%zu}", sent);
	sputs(&b, num);
	if (!b.err)
		respond(ra, b.s, b.len);
	free(b.s);
	if (ctx) /* the hold: freed here unless answers are awaited */
		remote_ack_cb(ctx, NULL, -ECANCELED, NULL);
}

static void single_socket(radapter_t *ra, const sio_rmsg_t *m)
{
	sio_socket_t *s = hmap_get(&ra->a.nsp->sockets, m->sid);
	if (!s)
		return;
	if (m->type == SIO_RREQ_REMOTE_JOIN && m->room)
		sio_socket_join(s, m->room);
	else if (m->type == SIO_RREQ_REMOTE_LEAVE && m->room)
		sio_socket_leave(s, m->room);
	else if (m->type == SIO_RREQ_REMOTE_DISCONNECT)
		sio_socket_disconnect(s, m->close);
	respond_simple(ra, m->request_id);
}

static void on_request(radapter_t *ra, const redisReply *payload)
{
	sio_rmsg_t m;
	if (sio__rmsg_decode_request((const uint8_t *)payload->str,
				     payload->len, &m) < 0)
		return;
	sio_nsp_t *nsp = ra->a.nsp;
	sio_target_t to = {(const char *const *)m.rooms, m.nrooms,
			   (const char *const *)m.except, m.nexcept,
			   m.flags | SIO_LOCAL};
	if (m.uid && strcmp(m.uid, ra->r->uid) == 0)
		goto out; /* ours */
	switch (m.type) {
	case SIO_RREQ_ALL_ROOMS: all_rooms(ra, &m); break;
	case SIO_RREQ_REMOTE_JOIN:
	case SIO_RREQ_REMOTE_LEAVE:
		if (!m.has_opts) {
			if (m.sid)
				single_socket(ra, &m);
			break;
		}
		for (size_t i = 0; i < m.ntargets; i++)
			if (m.type == SIO_RREQ_REMOTE_JOIN)
				sio_sockets_join(nsp, &to, m.targets[i]);
			else
				sio_sockets_leave(nsp, &to, m.targets[i]);
		break;
	case SIO_RREQ_REMOTE_DISCONNECT:
		if (m.has_opts)
			sio_disconnect_sockets(nsp, &to, m.close);
		else if (m.sid)
			single_socket(ra, &m);
		break;
	case SIO_RREQ_REMOTE_FETCH: remote_fetch(ra, &m, &to); break;
	case SIO_RREQ_SERVER_SIDE_EMIT:
		if (m.event)
			server_side(ra, &m);
		break;
	case SIO_RREQ_BROADCAST: broadcast_with_ack(ra, &m, &to); break;
	default: break; /* SOCKETS (old), responses: not for us */
	}
out:
	sio__rmsg_free(&m);
}

static void route(sio_redis_t *r, const char *key, const char *channel,
		  const redisReply *payload, int pattern)
{
	radapter_t *ra = hmap_get(&r->routes, key);
	if (!ra || payload->len > MAX_MESSAGE)
		return;
	if (pattern)
		on_broadcast(ra, channel, payload);
	else if (strcmp(channel, ra->request) == 0)
		on_request(ra, payload);
}

/* The adapter ----------------------------------------------------------- */

static int r_publish(sio_adapter_t *a, const sio_target_t *to,
		     const char *event, const sio_args_t *args)
{
	radapter_t *ra = (radapter_t *)a;
	if (!ra->r)
		return 0;
	uint8_t *msg;
	size_t len;
	int r = sio__rmsg_encode_broadcast(ra->r->uid, a->nsp->name, event,
					   args, to, &msg, &len);
	if (r < 0)
		return r;
	if (to && to->nrooms == 1) { /* KEY#NSP#ROOM# */
		size_t cl = strlen(ra->channel), rl = strlen(to->rooms[0]);
		char *ch = malloc(cl + rl + 2);
		if (ch) {
			memcpy(ch, ra->channel, cl);
			memcpy(ch + cl, to->rooms[0], rl);
			memcpy(ch + cl + rl, "#", 2);
			r = publish(ra->r, ch, msg, len);
		} else {
			r = -ENOMEM;
		}
		free(ch);
	} else {
		r = publish(ra->r, ra->channel, msg, len);
	}
	free(msg);
	return r;
}

static int r_sockets_op(sio_adapter_t *a, int type, const sio_target_t *to,
			const char *room, int close)
{
	radapter_t *ra = (radapter_t *)a;
	if (!ra->r)
		return 0;
	char *msg;
	size_t len;
	int r = sio__rmsg_encode_sockets_op(ra->r->uid, type, to, room, close,
					    &msg, &len);
	if (r < 0)
		return r;
	r = publish(ra->r, ra->request, msg, len);
	free(msg);
	return r;
}

static int r_server_side_emit(sio_adapter_t *a, const char *event,
			      const sio_args_t *args)
{
	radapter_t *ra = (radapter_t *)a;
	if (!ra->r)
		return 0;
	char *msg;
	size_t len;
	int r = sio__rmsg_encode_server_side_emit(ra->r->uid, event, args, &msg,
						  &len);
	if (r < 0)
		return r;
	r = publish(ra->r, ra->request, msg, len);
	free(msg);
	return r;
}

static void r_free(sio_adapter_t *a)
{
	radapter_t *ra = (radapter_t *)a;
	if (ra->r) {
		hmap_del(&ra->r->routes, ra->pattern);
		hmap_del(&ra->r->routes, ra->request);
		for (radapter_t **pp = &ra->r->adapters; *pp; pp = &(*pp)->next)
			if (*pp == ra) {
				*pp = ra->next;
				break;
			}
	}
	free(ra->channel);
	free(ra->pattern);
	free(ra->request);
	free(ra->response);
	sio__adapter_memory_ops.free(a); /* the rooms, and the struct */
}

/* `ops`, declared above: the memory operations, and ours (filled once) */

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);
	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb);
		memcpy(s + la + lb, c, lc + 1);
	}
	return s;
}

sio_adapter_t *sio__adapter_redis_new(sio_redis_t *r, sio_nsp_t *nsp)
{
	if (!ops.join) {
		ops = sio__adapter_memory_ops;
		ops.publish = r_publish;
		ops.sockets_op = r_sockets_op;
		ops.server_side_emit = r_server_side_emit;
		ops.free = r_free;
	}
	radapter_t *ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	ra->a.ops = &ops;
	ra->a.nsp = nsp;
	ra->channel = cat3(r->key, "#", nsp->name);
	ra->pattern = ra->channel ? cat3(ra->channel, "#", "*") : NULL;
	char *tmp = ra->channel;
	ra->channel = tmp ? cat3(tmp, "#", "") : NULL;
	free(tmp);
	ra->request = cat3(r->key, "-request#", nsp->name);
	tmp = ra->request;
	ra->request = tmp ? cat3(tmp, "#", "") : NULL;
	free(tmp);
	ra->response = cat3(r->key, "-response#", nsp->name);
	tmp = ra->response;
	ra->response = tmp ? cat3(tmp, "#", "") : NULL;
	free(tmp);
	if (!ra->channel || !ra->pattern || !ra->request || !ra->response ||
	    hmap_put(&r->routes, ra->pattern, ra) < 0 ||
	    hmap_put(&r->routes, ra->request, ra) < 0) {
		if (ra->pattern && hmap_get(&r->routes, ra->pattern) == ra)
			hmap_del(&r->routes, ra->pattern);
		r_free(&ra->a);
		return NULL;
	}
	ra->r = r;
	ra->next = r->adapters;
	r->adapters = ra;
	if (r->sub.up || r->sub.ac)
		subscribe_adapter(r, ra);
	return &ra->a;
}

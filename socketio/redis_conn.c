/* The connections to Redis that both cluster adapters share (see
 * redis_conn.h): URLs, connecting and reconnecting with a backoff,
 * subscriptions (sharded ones included), publishing with an output cap. */
#include "redis_conn.h"

#include "adapter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 5000
/* Publishes queued for a Redis that does not read are dropped past it. */
#define MAX_OUTPUT (64u << 20)

typedef sio_redis_rconn_t rconn_t;

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

static void deliver(sio_redis_t *r, const char *key, const char *channel,
		    const redisReply *payload, int pattern)
{
	if (payload->len <= SIO_REDIS_MAX_MESSAGE)
		r->hooks->message(r, key, channel, payload->str, payload->len,
				  pattern);
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)ac;
	rconn_t *c = priv;
	redisReply *rep = reply;
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
	    rep->element[0]->type != REDIS_REPLY_STRING)
		return;
	const char *kind = rep->element[0]->str;
	if (strcmp(kind, "subscribe") == 0 || strcmp(kind, "psubscribe") == 0 ||
	    strcmp(kind, "ssubscribe") == 0) {
		if (c->r->sub_pending &&
		    rep->element[1]->type == REDIS_REPLY_STRING &&
		    c->r->hooks->counted(c->r, rep->element[1]->str))
			c->r->sub_pending--;
	} else if (strcmp(kind, "unsubscribe") == 0 &&
		   rep->element[1]->type == REDIS_REPLY_STRING) {
		/* hiredis forgot the channel (see sio__redis_sunsubscribe);
		 * when it is wanted again meanwhile, tell hiredis again */
		if (hmap_get(&c->r->routes, rep->element[1]->str))
			sio__redis_subscribe(c->r, "SSUBSCRIBE",
					     rep->element[1]->str);
	} else if ((strcmp(kind, "message") == 0 ||
		    strcmp(kind, "smessage") == 0) &&
		   rep->element[1]->type == REDIS_REPLY_STRING &&
		   rep->element[2]->type == REDIS_REPLY_STRING) {
		deliver(c->r, rep->element[1]->str, rep->element[1]->str,
			rep->element[2], 0);
	} else if (strcmp(kind, "pmessage") == 0 && rep->elements == 4 &&
		   rep->element[1]->type == REDIS_REPLY_STRING &&
		   rep->element[2]->type == REDIS_REPLY_STRING &&
		   rep->element[3]->type == REDIS_REPLY_STRING) {
		deliver(c->r, rep->element[1]->str, rep->element[2]->str,
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
		r->hooks->subscribe_all(r);
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

/* hiredis 0.14 knows SUBSCRIBE and PSUBSCRIBE only: it would send
 * SSUBSCRIBE as an ordinary command, and then drop (or assert on) the
 * "smessage" pushes, which it looks up by channel among the SUBSCRIBE
 * ones. So the channel is also subscribed the ordinary way, in the same
 * write: hiredis parses "SUBSCRIBE ch" and records every argument of the
 * buffer as a channel (ch, "SSUBSCRIBE", ch), and Redis runs both
 * commands. A PUBLISH on ch then arrives as "message" (which the sharded
 * adapter ignores); what SPUBLISH sends arrives as "smessage". hiredis
 * 1.2 and later know the sharded commands. */
#if HIREDIS_MAJOR == 0 || (HIREDIS_MAJOR == 1 && HIREDIS_MINOR < 2)
#define SHARDED_BY_HAND 1
#endif

static char *resp(const char *a, const char *b, const char *c, const char *d,
		  size_t *len)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
	char *buf = malloc(la + lb + lc + ld + 128);
	if (!buf)
		return NULL;
	*len = (size_t)sprintf(buf, "*2\r\n$%zu\r\n%s\r\n$%zu\r\n", la, a, lb);
	memcpy(buf + *len, b, lb);
	*len += lb;
	*len += (size_t)sprintf(buf + *len, "\r\n*2\r\n$%zu\r\n%s\r\n$%zu\r\n",
				lc, c, ld);
	memcpy(buf + *len, d, ld);
	*len += ld;
	memcpy(buf + *len, "\r\n", 3); /* hiredis reads it as a C string */
	*len += 2;
	return buf;
}

void sio__redis_subscribe(sio_redis_t *r, const char *cmd, const char *channel)
{
	redisAsyncContext *ac = r->sub.ac;
	if (!ac)
		return;
#ifdef SHARDED_BY_HAND
	if (strcmp(cmd, "SSUBSCRIBE") == 0) {
		size_t len;
		char *buf =
		    resp("SUBSCRIBE", channel, "SSUBSCRIBE", channel, &len);
		if (buf &&
		    redisAsyncFormattedCommand(ac, on_sub_reply, &r->sub, buf,
					       len) == REDIS_OK &&
		    r->hooks->counted(r, channel))
			r->sub_pending += 2;
		free(buf);
		return;
	}
#endif
	if (redisAsyncCommand(ac, on_sub_reply, &r->sub, "%s %s", cmd,
			      channel) == REDIS_OK &&
	    r->hooks->counted(r, channel))
		r->sub_pending++;
}

void sio__redis_sunsubscribe(sio_redis_t *r, const char *channel)
{
	redisAsyncContext *ac = r->sub.ac;
	if (!ac)
		return;
#ifdef SHARDED_BY_HAND
	/* hiredis parses UNSUBSCRIBE (and expects no reply of its own);
	 * Redis answers "unsubscribe", on which hiredis forgets the channel
	 * (on_sub_reply tells it again if the channel is wanted again by
	 * then), and "sunsubscribe", which it drops. */
	size_t len;
	char *buf = resp("UNSUBSCRIBE", channel, "SUNSUBSCRIBE", channel, &len);
	if (buf)
		redisAsyncFormattedCommand(ac, on_sub_reply, &r->sub, buf, len);
	free(buf);
#else
	redisAsyncCommand(ac, on_sub_reply, &r->sub, "SUNSUBSCRIBE %s",
			  channel);
#endif
}

int sio__redis_publish(sio_redis_t *r, const char *cmd, const char *channel,
		       const void *data, size_t len)
{
	redisAsyncContext *ac = r ? r->pub.ac : NULL;
	if (!ac || !r->pub.up)
		return -EPIPE; /* lost: Redis is down */
	if (ac->c.obuf && sdslen(ac->c.obuf) > MAX_OUTPUT)
		return -ENOBUFS; /* Redis does not keep up */
	return redisAsyncCommand(ac, NULL, NULL, "%s %s %b", cmd, channel, data,
				 len) == REDIS_OK
		   ? 0
		   : -ENOMEM;
}

sio_redis_t *sio__redis_open(sio_server_t *srv, const char *url,
			     const char *key, const sio_redis_hooks_t *hooks,
			     size_t uid_len, int hex)
{
	url_t u;
	if (parse_url(url, &u) < 0)
		return NULL;
	sio_redis_t *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->srv = srv;
	r->hooks = hooks;
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
	/* uid2(6): [a-zA-Z0-9]; randomBytes(8).toString("hex") */
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZ0123456789";
	static const char hexd[] = "0123456789abcdef";
	for (size_t i = 0; i < uid_len && i < sizeof(r->uid) - 1; i++)
		r->uid[i] = hex ? hexd[randombytes_uniform(16)]
				: alnum[randombytes_uniform(sizeof(alnum) - 1)];
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
	r->hooks->detach(r);
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

int sio__redis_numsub(sio_redis_t *r, const char *sub, const char *channel,
		      void (*cb)(void *ud, int err, unsigned count), void *ud)
{
	if (!r || !r->pub.ac || !r->pub.up)
		return -EPIPE;
	count_req_t *q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->cb = cb;
	q->ud = ud;
	if (redisAsyncCommand(r->pub.ac, on_numsub, q, "PUBSUB %s %s", sub,
			      channel) != REDIS_OK) {
		free(q);
		return -ENOMEM;
	}
	return 0;
}

int sio_server_count(sio_nsp_t *nsp,
		     void (*cb)(void *ud, int err, unsigned count), void *ud)
{
	if (!nsp->adapter->ops->server_count)
		return -EOPNOTSUPP;
	return nsp->adapter->ops->server_count(nsp->adapter, cb, ud);
}

char *sio__redis_channel(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (s) {
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return s;
}

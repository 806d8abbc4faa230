/* The Redis adapter: a cluster of nodes (C, or Node.js with
 * @socket.io/redis-adapter 8.x) sharing broadcasts, room operations and
 * server-side emits through Redis pub/sub, in that adapter's classic wire
 * format (redis_msg.h). Rooms stay in memory (the memory adapter's
 * operations do the local part); this file adds the other nodes, on the
 * connections of redis_conn.h. Per namespace, `sub` holds
 *   PSUBSCRIBE KEY#NSP#*        broadcasts (KEY#NSP# and KEY#NSP#ROOM#)
 *   SUBSCRIBE  KEY-request#NSP# requests; also what PUBSUB NUMSUB counts
 *   SUBSCRIBE  KEY-response#NSP# and KEY-response#NSP#UID# the answers
 *              (to this node's fetchSockets; the others' are ignored)
 */
#include "cluster.h"
#include "emit.h"
#include "internal.h"
#include "json.h"
#include "redis_conn.h"
#include "redis_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct radapter radapter_t;

struct radapter {
	sio_adapter_t a;    /* first: the memory operations work on it */
	sio_redis_t *r;	    /* NULL once the connections are closed */
	char *channel;	    /* KEY#NSP# */
	char *pattern;	    /* KEY#NSP#* */
	char *request;	    /* KEY-request#NSP# */
	char *response;	    /* KEY-response#NSP# */
	char *response_uid; /* KEY-response#NSP#UID# */
	radapter_t *next;
};

static int publish(sio_redis_t *r, const char *channel, const void *data,
		   size_t len)
{
	return sio__redis_publish(r, "PUBLISH", channel, data, len);
}

static int r_server_count(sio_adapter_t *a,
			  void (*cb)(void *ud, int err, unsigned count),
			  void *ud)
{
	radapter_t *ra = (radapter_t *)a;
	return ra->r ? sio__redis_numsub(ra->r, "NUMSUB", ra->request, cb, ud)
		     : -EPIPE;
}

/* What other nodes send ------------------------------------------------- */

static void on_broadcast(radapter_t *ra, const char *channel,
			 const char *payload, size_t len)
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
	if (sio__rmsg_decode_broadcast((const uint8_t *)payload, len, &m) < 0)
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

static void all_rooms(radapter_t *ra, const sio_rmsg_t *m)
{
	if (!m->request_id)
		return;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"requestId\":");
	sio__sbuf_quote(&b, m->request_id);
	sio__sbuf_puts(&b, ",\"rooms\":[");
	size_t i = 0, k = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&ra->a.rooms, &i))) {
		if (k++)
			sio__sbuf_puts(&b, ",");
		sio__sbuf_quote(&b, e->key);
	}
	sio__sbuf_puts(&b, "]}");
	if (!b.err)
		respond(ra, b.s, b.len);
	free(b.s);
}

static void remote_fetch(radapter_t *ra, const sio_rmsg_t *m,
			 const sio_target_t *to)
{
	if (!m->request_id)
		return;
	sio_sbuf_t b = {0};
	sio__cluster_fetch_json(&ra->a, to, m->request_id, &b);
	if (!b.err)
		respond(ra, b.s, b.len);
	free(b.s);
}

static int server_ack_send(sio_server_ack_t *ack, const char *json)
{
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"type\":6,\"requestId\":");
	sio__sbuf_quote(&b, ack->request_id);
	sio__sbuf_puts(&b, ",\"data\":");
	sio__sbuf_puts(&b, json);
	sio__sbuf_puts(&b, "}");
	int r = b.err ? -ENOMEM : respond(ack->ud, b.s, b.len);
	free(b.s);
	return r;
}

static void server_side(radapter_t *ra, const sio_rmsg_t *m)
{
	sio_args_t args = {m->args, m->args_len, NULL, 0};
	sio_server_ack_t ack = {server_ack_send, ra, m->request_id, 0};
	sio__cluster_server_side(ra->a.nsp, m->event, &args,
				 m->request_id ? &ack : NULL);
}

/* BROADCAST with acks from another node: the count of recipients first,
 * then each one's answer. */
typedef struct remote_ack {
	sio_cluster_acks_t c; /* first */
	sio_redis_t *r;
	char *response;
	char *request_id;
} remote_ack_t;

static void remote_answer(sio_cluster_acks_t *c, const sio_args_t *args)
{
	remote_ack_t *ra = (remote_ack_t *)c;
	uint8_t *msg;
	size_t len;
	if (!ra->r->closing && sio__rmsg_encode_broadcast_ack(
				   ra->request_id, args, &msg, &len) == 0) {
		publish(ra->r, ra->response, msg, len);
		free(msg);
	}
}

static void remote_release(sio_cluster_acks_t *c)
{
	remote_ack_t *ra = (remote_ack_t *)c;
	free(ra->response);
	free(ra->request_id);
	free(ra);
}

static void broadcast_with_ack(radapter_t *ra, const sio_rmsg_t *m,
			       const sio_target_t *to)
{
	if (!m->request_id || !m->event)
		return;
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
		ctx->c.answer = remote_answer;
		ctx->c.release = remote_release;
		sio_args_t args = {m->args, m->args_len, m->bins, m->nbins};
		sent = sio__cluster_emit_with_acks(&ra->a, to, m->event, &args,
						   m->timeout_ms, &ctx->c);
	}
	sio_sbuf_t b = {0};
	char num[32];
	sio__sbuf_puts(&b, "{\"type\":8,\"requestId\":");
	sio__sbuf_quote(&b, m->request_id);
	snprintf(num, sizeof(num), ",\"clientCount\":%zu}", sent);
	sio__sbuf_puts(&b, num);
	if (!b.err)
		respond(ra, b.s, b.len);
	free(b.s);
	if (ctx) /* the hold: freed here unless answers are awaited */
		sio__cluster_acks_drop(&ctx->c);
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

static void on_request(radapter_t *ra, const char *payload, size_t len)
{
	sio_rmsg_t m;
	if (sio__rmsg_decode_request((const uint8_t *)payload, len, &m) < 0)
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

/* An answer on KEY-response#NSP#(UID#): this node's fetchSockets only */
static void on_response(radapter_t *ra, const char *payload, size_t len)
{
	if (!ra->a.requests)
		return; /* the answers to the others: not decoded */
	sio_rmsg_t m;
	if (sio__rmsg_decode_request((const uint8_t *)payload, len, &m) < 0)
		return;
	if (m.type == -1)
		sio__cluster_req_answer(&ra->a, SIO_RREQ_REMOTE_FETCH,
					m.request_id, m.args, m.args_len);
	sio__rmsg_free(&m);
}

static void on_message(sio_redis_t *r, const char *key, const char *channel,
		       const char *payload, size_t len, int pattern)
{
	radapter_t *ra = hmap_get(&r->routes, key);
	if (!ra)
		return;
	if (pattern)
		on_broadcast(ra, channel, payload, len);
	else if (strcmp(channel, ra->request) == 0)
		on_request(ra, payload, len);
	else
		on_response(ra, payload, len);
}

static void subscribe_adapter(sio_redis_t *r, radapter_t *ra)
{
	sio__redis_subscribe(r, "PSUBSCRIBE", ra->pattern);
	sio__redis_subscribe(r, "SUBSCRIBE", ra->request);
	sio__redis_subscribe(r, "SUBSCRIBE", ra->response);
	sio__redis_subscribe(r, "SUBSCRIBE", ra->response_uid);
}

static void subscribe_all(sio_redis_t *r)
{
	for (radapter_t *ra = r->adapters; ra; ra = ra->next)
		subscribe_adapter(r, ra);
}

static void detach(sio_redis_t *r)
{
	for (radapter_t *ra = r->adapters; ra; ra = ra->next)
		ra->r = NULL;
}

static int counted(sio_redis_t *r, const char *channel)
{
	(void)r;
	(void)channel;
	return 1; /* one pattern and one channel per namespace */
}

static const sio_redis_hooks_t hooks = {subscribe_all, on_message, detach,
					counted};

sio_redis_t *sio__redis_new(sio_server_t *srv, const char *url, const char *key)
{
	return sio__redis_open(srv, url, key, &hooks, 6, 0);
}

static sio_adapter_ops_t ops;

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

/* REMOTE_FETCH {uid, requestId, type: 5, opts} */
static int r_fetch_request(sio_adapter_t *a, sio_cluster_req_t *q,
			   const sio_target_t *to)
{
	radapter_t *ra = (radapter_t *)a;
	if (!ra->r)
		return -EPIPE;
	char *msg;
	int r = sio__rmsg_encode_sockets_op(ra->r->uid, SIO_RREQ_REMOTE_FETCH,
					    to, q->id, 0, &msg, &q->len);
	if (r == 0) {
		q->msg = (uint8_t *)msg;
		q->kind = SIO_RREQ_REMOTE_FETCH;
	}
	return r;
}

static int r_request(sio_adapter_t *a, const void *msg, size_t len)
{
	radapter_t *ra = (radapter_t *)a;
	return ra->r ? publish(ra->r, ra->request, msg, len) : -EPIPE;
}

static void r_free(sio_adapter_t *a)
{
	radapter_t *ra = (radapter_t *)a;
	if (ra->r) {
		hmap_del(&ra->r->routes, ra->pattern);
		hmap_del(&ra->r->routes, ra->request);
		hmap_del(&ra->r->routes, ra->response);
		hmap_del(&ra->r->routes, ra->response_uid);
		for (radapter_t **pp = (radapter_t **)&ra->r->adapters; *pp;
		     pp = &(*pp)->next)
			if (*pp == ra) {
				*pp = ra->next;
				break;
			}
	}
	free(ra->channel);
	free(ra->pattern);
	free(ra->request);
	free(ra->response);
	free(ra->response_uid);
	sio__adapter_memory_ops.free(a); /* the rooms, and the struct */
}

/* `ops`, declared above: the memory operations, and ours (filled once) */

sio_adapter_t *sio__adapter_redis_new(sio_redis_t *r, sio_nsp_t *nsp)
{
	if (!ops.join) {
		ops = sio__adapter_memory_ops;
		ops.publish = r_publish;
		ops.sockets_op = r_sockets_op;
		ops.server_side_emit = r_server_side_emit;
		ops.server_count = r_server_count;
		ops.fetch_request = r_fetch_request;
		ops.request = r_request;
		ops.free = r_free;
	}
	radapter_t *ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	ra->a.ops = &ops;
	ra->a.nsp = nsp;
	ra->channel = sio__redis_channel("%s#%s#", r->key, nsp->name);
	ra->pattern = sio__redis_channel("%s#%s#*", r->key, nsp->name);
	ra->request = sio__redis_channel("%s-request#%s#", r->key, nsp->name);
	ra->response = sio__redis_channel("%s-response#%s#", r->key, nsp->name);
	ra->response_uid =
	    sio__redis_channel("%s-response#%s#%s#", r->key, nsp->name, r->uid);
	if (!ra->channel || !ra->pattern || !ra->request || !ra->response ||
	    !ra->response_uid || hmap_put(&r->routes, ra->pattern, ra) < 0 ||
	    hmap_put(&r->routes, ra->request, ra) < 0 ||
	    hmap_put(&r->routes, ra->response, ra) < 0 ||
	    hmap_put(&r->routes, ra->response_uid, ra) < 0) {
		const char *const keys[] = {ra->pattern, ra->request,
					    ra->response, ra->response_uid};
		for (size_t i = 0; i < 4; i++)
			if (keys[i] && hmap_get(&r->routes, keys[i]) == ra)
				hmap_del(&r->routes, keys[i]);
		r_free(&ra->a);
		return NULL;
	}
	ra->r = r;
	ra->next = r->adapters;
	r->adapters = ra;
	subscribe_adapter(r, ra);
	return &ra->a;
}

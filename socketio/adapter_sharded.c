/* The sharded Redis adapter: a cluster of nodes (C, or Node.js with
 * createShardedAdapter of @socket.io/redis-adapter 8.3) through Redis 7
 * sharded pub/sub, in that adapter's wire format (sio__cmsg_* in
 * redis_msg.h), on the connections of redis_conn.h. Rooms stay in memory
 * (the memory adapter's operations do the local part). Per namespace,
 * `sub` holds (subscriptionMode "dynamic", the default)
 *   SSUBSCRIBE KEY#NSP#        every message; what PUBSUB SHARDNUMSUB
 *                              counts (serverCount)
 *   SSUBSCRIBE KEY#NSP#UID#    the answers to this node's requests
 *   SSUBSCRIBE KEY#NSP#ROOM#   for each room with local members that is
 *                              not a socket's own room: the broadcasts
 *                              to that room alone
 * A broadcast to one room goes to KEY#NSP#ROOM# unless the room looks
 * like a socket id (20 characters) or acks are awaited; everything else
 * to KEY#NSP#. Answers go to KEY#NSP#REQUESTER# . Version 8.3 sends no
 * heartbeats on this adapter (its ClusterAdapter counts servers with
 * SHARDNUMSUB); heartbeats from other versions are ignored. This node
 * answers the requests of others (fetchSockets, serverSideEmit with an
 * ack, broadcasts with acks); of its own it makes serverSideEmit with an
 * ack (sio_server_side_emit_with_ack) and fetchSockets
 * (sio_fetch_remote_sockets), requests of cluster.h. */
#include "cluster.h"
#include "emit.h"
#include "internal.h"
#include "json.h"
#include "redis_conn.h"
#include "redis_msg.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sadapter sadapter_t;

struct sadapter {
	sio_adapter_t a; /* first: the memory operations work on it */
	sio_redis_t *r;	 /* NULL once the connections are closed */
	char *channel;	 /* KEY#NSP# */
	char *response;	 /* KEY#NSP#UID# */
	hmap_t rooms;	 /* public room -> its channel KEY#NSP#ROOM# (owned) */
	sadapter_t *next;
};

static sio_adapter_ops_t ops;

static int publish(sio_redis_t *r, const char *channel, const void *data,
		   size_t len)
{
	return sio__redis_publish(r, "SPUBLISH", channel, data, len);
}

/* {uid, nsp, type, data} on `channel` */
static int send_msg(sadapter_t *sa, const char *channel, int type,
		    const sio_sbuf_t *data, const sio_bin_t *bins, size_t nbins)
{
	if (!sa->r)
		return 0;
	if (data->err)
		return -ENOMEM;
	uint8_t *msg;
	size_t len;
	int r = sio__cmsg_encode(sa->r->uid, sa->a.nsp->name, type, data->s,
				 data->len, bins, nbins, &msg, &len);
	if (r < 0)
		return r;
	r = publish(sa->r, channel, msg, len);
	free(msg);
	return r;
}

/* To the requester `uid`: KEY#NSP#UID# */
static int respond(sadapter_t *sa, const char *uid, int type,
		   const sio_sbuf_t *data, const sio_bin_t *bins, size_t nbins)
{
	char *ch = sio__redis_channel("%s%s#", sa->channel, uid);
	int r = ch ? send_msg(sa, ch, type, data, bins, nbins) : -ENOMEM;
	free(ch);
	return r;
}

/* Rooms and their channels ------------------------------------------------ */

/* Node subscribes to the rooms that are not the id of one of its sockets
 * (sids.has(room)) */
static int is_public(sadapter_t *sa, const char *room)
{
	return hmap_get(&sa->a.nsp->sockets, room) == NULL;
}

/* The entries of `rooms`: the room name and its channel in one block,
 * "ROOM\0KEY#NSP#ROOM#\0". */
static char *room_entry(sadapter_t *sa, const char *room, const char **chan)
{
	size_t lr = strlen(room), lc = strlen(sa->channel);
	char *e = malloc(lr + 1 + lc + lr + 2);
	if (!e)
		return NULL;
	memcpy(e, room, lr + 1);
	char *c = e + lr + 1;
	memcpy(c, sa->channel, lc);
	memcpy(c + lc, room, lr);
	memcpy(c + lc + lr, "#", 2);
	*chan = c;
	return e;
}

static void subscribe_room(sadapter_t *sa, const char *room)
{
	if (!is_public(sa, room) || hmap_get(&sa->rooms, room))
		return;
	const char *chan;
	char *e = room_entry(sa, room, &chan);
	if (!e)
		return;
	if (hmap_put(&sa->rooms, e, e) < 0) {
		free(e);
		return;
	}
	if (sa->r) {
		if (hmap_put(&sa->r->routes, chan, sa) < 0) {
			hmap_del(&sa->rooms, e);
			free(e);
			return;
		}
		sio__redis_subscribe(sa->r, "SSUBSCRIBE", chan);
	}
}

static void unsubscribe_room(sadapter_t *sa, const char *room)
{
	char *e = hmap_get(&sa->rooms, room);
	if (!e)
		return;
	const char *chan = e + strlen(e) + 1;
	if (sa->r) {
		hmap_del(&sa->r->routes, chan);
		sio__redis_sunsubscribe(sa->r, chan);
	}
	hmap_del(&sa->rooms, room);
	free(e);
}

static int s_join(sio_adapter_t *a, sio_socket_t *s, const char *room)
{
	int had = hmap_get(&a->rooms, room) != NULL;
	int r = sio__adapter_memory_ops.join(a, s, room);
	if (r == 0 && !had && strcmp(room, s->id) != 0)
		subscribe_room((sadapter_t *)a, room);
	return r;
}

static void s_leave(sio_adapter_t *a, sio_socket_t *s, const char *room)
{
	/* `room` may be the room's own name, freed with the room */
	char *name = strdup(room);
	sio__adapter_memory_ops.leave(a, s, room);
	if (name && !hmap_get(&a->rooms, name))
		unsubscribe_room((sadapter_t *)a, name);
	free(name);
}

static void s_leave_all(sio_adapter_t *a, sio_socket_t *s)
{
	while (s->nrooms > 0)
		s_leave(a, s, s->rooms[s->nrooms - 1]->name);
}

/* What other nodes send ------------------------------------------------- */

/* The answers of this node's sockets to a broadcast with acks. */
typedef struct remote_ack {
	sio_cluster_acks_t c; /* first */
	sadapter_t *sa;	      /* NULL once the adapter is gone */
	char *requester;
	char *request_id;
	struct remote_ack *next; /* the adapter's pending ones */
} remote_ack_t;

static remote_ack_t *pending_acks; /* of every sharded adapter */

static void remote_answer(sio_cluster_acks_t *c, const sio_args_t *args)
{
	remote_ack_t *ra = (remote_ack_t *)c;
	if (!ra->sa || !ra->sa->r)
		return;
	json_object *a = sio_args_parse(args);
	json_object *first = a ? json_object_array_get_idx(a, 0) : NULL;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"requestId\":");
	sio__sbuf_quote(&b, ra->request_id);
	sio__sbuf_puts(&b, ",\"packet\":");
	sio__sbuf_puts(&b, first
			       ? json_object_to_json_string_ext(
				     first, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE)
			       : "null");
	sio__sbuf_puts(&b, "}");
	respond(ra->sa, ra->requester, SIO_CMSG_BROADCAST_ACK, &b, args->bins,
		args->nbins);
	free(b.s);
	json_object_put(a);
}

static void remote_release(sio_cluster_acks_t *c)
{
	remote_ack_t *ra = (remote_ack_t *)c;
	for (remote_ack_t **pp = &pending_acks; *pp; pp = &(*pp)->next)
		if (*pp == ra) {
			*pp = ra->next;
			break;
		}
	free(ra->requester);
	free(ra->request_id);
	free(ra);
}

static void broadcast_with_ack(sadapter_t *sa, const sio_rmsg_t *m,
			       const sio_target_t *to)
{
	if (!m->uid || !m->event)
		return;
	remote_ack_t *ctx = calloc(1, sizeof(*ctx));
	size_t sent = 0;
	if (ctx && (!(ctx->requester = strdup(m->uid)) ||
		    !(ctx->request_id = strdup(m->request_id)))) {
		free(ctx->requester);
		free(ctx);
		ctx = NULL;
	}
	if (ctx) {
		ctx->sa = sa;
		ctx->c.answer = remote_answer;
		ctx->c.release = remote_release;
		ctx->next = pending_acks;
		pending_acks = ctx;
		sio_args_t args = {m->args, m->args_len, m->bins, m->nbins};
		sent = sio__cluster_emit_with_acks(&sa->a, to, m->event, &args,
						   m->timeout_ms, &ctx->c);
	}
	sio_sbuf_t b = {0};
	char num[32];
	sio__sbuf_puts(&b, "{\"requestId\":");
	sio__sbuf_quote(&b, m->request_id);
	snprintf(num, sizeof(num), ",\"clientCount\":%zu}", sent);
	sio__sbuf_puts(&b, num);
	respond(sa, m->uid, SIO_CMSG_BROADCAST_CLIENT_COUNT, &b, NULL, 0);
	free(b.s);
	if (ctx) /* the hold: freed here unless answers are awaited */
		sio__cluster_acks_drop(&ctx->c);
}

typedef struct server_ack_ctx {
	sadapter_t *sa;
	const char *requester;
} server_ack_ctx_t;

static int server_ack_send(sio_server_ack_t *ack, const char *json)
{
	server_ack_ctx_t *x = ack->ud;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"requestId\":");
	sio__sbuf_quote(&b, ack->request_id);
	sio__sbuf_puts(&b, ",\"packet\":");
	sio__sbuf_puts(&b, json);
	sio__sbuf_puts(&b, "}");
	int r = respond(x->sa, x->requester, SIO_CMSG_SERVER_SIDE_EMIT_RESPONSE,
			&b, NULL, 0);
	free(b.s);
	return r;
}

/* This node's serverSideEmit with an ack (a request of cluster.h) ------ */

typedef struct ss_request {
	sio_cluster_req_t q; /* first */
	sio_server_side_ack_fn cb;
	void *ud;
	sio_sbuf_t answers; /* "[a,b" */
} ss_request_t;

/* args: [packet] */
static void ss_answer(sio_cluster_req_t *q, const char *args, size_t len)
{
	ss_request_t *ss = (ss_request_t *)q;
	if (len < 2)
		return;
	if (ss->answers.len > 1)
		sio__sbuf_puts(&ss->answers, ",");
	sio__sbuf_put(&ss->answers, args + 1, len - 2);
}

static void ss_done(sio_cluster_req_t *q, int err)
{
	ss_request_t *ss = (ss_request_t *)q;
	sio__sbuf_puts(&ss->answers, "]");
	ss->cb(ss->ud,
	       err		 ? err
	       : ss->answers.err ? -ENOMEM
				 : 0,
	       ss->answers.err ? "[]" : ss->answers.s);
}

static void ss_release(sio_cluster_req_t *q)
{
	ss_request_t *ss = (ss_request_t *)q;
	free(ss->answers.s);
	free(ss);
}

static void put_event(sio_sbuf_t *b, const char *event, const sio_args_t *args);

static int s_server_side_emit_ack(sio_adapter_t *a, const char *event,
				  const sio_args_t *args, unsigned timeout_ms,
				  sio_server_side_ack_fn cb, void *ud)
{
	sadapter_t *sa = (sadapter_t *)a;
	if (!sa->r || !sa->r->pub.up)
		return -EPIPE;
	ss_request_t *ss = malloc(sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	sio__cluster_req_init(&ss->q);
	ss->q.answer = ss_answer;
	ss->q.done = ss_done;
	ss->q.release = ss_release;
	ss->q.kind = SIO_CMSG_SERVER_SIDE_EMIT_RESPONSE;
	ss->q.timeout_ms = timeout_ms;
	ss->cb = cb;
	ss->ud = ud;
	memset(&ss->answers, 0, sizeof(ss->answers));
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"requestId\":");
	sio__sbuf_quote(&b, ss->q.id);
	sio__sbuf_puts(&b, ",\"packet\":");
	put_event(&b, event, args);
	sio__sbuf_puts(&b, "}");
	int r = b.err ? -ENOMEM
		      : sio__cmsg_encode(
			    sa->r->uid, a->nsp->name, SIO_CMSG_SERVER_SIDE_EMIT,
			    b.s, b.len, args ? args->bins : NULL,
			    args ? args->nbins : 0, &ss->q.msg, &ss->q.len);
	free(b.s);
	sio__sbuf_puts(&ss->answers, "[");
	if (r == 0 && ss->answers.err)
		r = -ENOMEM;
	if (r < 0) {
		free(ss->q.msg);
		ss_release(&ss->q);
		return r;
	}
	return sio__cluster_req_start(a, &ss->q);
}

static void put_opts(sio_sbuf_t *b, const sio_target_t *to);

/* FETCH_SOCKETS {requestId, opts} */
static int s_fetch_request(sio_adapter_t *a, sio_cluster_req_t *q,
			   const sio_target_t *to)
{
	sadapter_t *sa = (sadapter_t *)a;
	if (!sa->r)
		return -EPIPE;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"requestId\":");
	sio__sbuf_quote(&b, q->id);
	sio__sbuf_puts(&b, ",\"opts\":");
	put_opts(&b, to);
	sio__sbuf_puts(&b, "}");
	int r = b.err ? -ENOMEM
		      : sio__cmsg_encode(sa->r->uid, a->nsp->name,
					 SIO_CMSG_FETCH_SOCKETS, b.s, b.len,
					 NULL, 0, &q->msg, &q->len);
	free(b.s);
	q->kind = SIO_CMSG_FETCH_SOCKETS_RESPONSE;
	return r;
}

static int s_request(sio_adapter_t *a, const void *msg, size_t len)
{
	sadapter_t *sa = (sadapter_t *)a;
	return sa->r ? publish(sa->r, sa->channel, msg, len) : -EPIPE;
}

static void on_message(sio_redis_t *r, const char *key, const char *channel,
		       const char *payload, size_t len, int pattern)
{
	(void)channel;
	sadapter_t *sa = hmap_get(&r->routes, key);
	if (!sa || pattern)
		return;
	sio_rmsg_t m;
	if (sio__cmsg_decode((const uint8_t *)payload, len, &m) < 0)
		return;
	sio_nsp_t *nsp = sa->a.nsp;
	if ((m.uid && strcmp(m.uid, r->uid) == 0) ||
	    strcmp(m.nsp, nsp->name) != 0)
		goto out;		      /* ours, or another namespace's */
	if (strcmp(key, sa->response) == 0) { /* answers to this node */
		sio__cluster_req_answer(&sa->a, m.type, m.request_id, m.args,
					m.args_len);
		goto out;
	}
	sio_target_t to = {(const char *const *)m.rooms, m.nrooms,
			   (const char *const *)m.except, m.nexcept,
			   m.flags | SIO_LOCAL};
	sio_args_t args = {m.args, m.args_len, m.bins, m.nbins};
	switch (m.type) {
	case SIO_CMSG_BROADCAST:
		if (m.request_id)
			broadcast_with_ack(sa, &m, &to);
		else
			sio__nsp_broadcast(nsp, &to, NULL, m.event, &args);
		break;
	case SIO_CMSG_SOCKETS_JOIN:
	case SIO_CMSG_SOCKETS_LEAVE:
		for (size_t i = 0; m.has_opts && i < m.ntargets; i++)
			if (m.type == SIO_CMSG_SOCKETS_JOIN)
				sio_sockets_join(nsp, &to, m.targets[i]);
			else
				sio_sockets_leave(nsp, &to, m.targets[i]);
		break;
	case SIO_CMSG_DISCONNECT_SOCKETS:
		if (m.has_opts)
			sio_disconnect_sockets(nsp, &to, m.close);
		break;
	case SIO_CMSG_FETCH_SOCKETS:
		if (m.request_id && m.uid) {
			sio_sbuf_t b = {0};
			sio__cluster_fetch_json(&sa->a, &to, m.request_id, &b);
			respond(sa, m.uid, SIO_CMSG_FETCH_SOCKETS_RESPONSE, &b,
				NULL, 0);
			free(b.s);
		}
		break;
	case SIO_CMSG_SERVER_SIDE_EMIT: {
		server_ack_ctx_t x = {sa, m.uid};
		sio_server_ack_t ack = {server_ack_send, &x, m.request_id, 0};
		sio__cluster_server_side(nsp, m.event, &args,
					 m.request_id && m.uid ? &ack : NULL);
		break;
	}
	default: break; /* heartbeats, answers to others */
	}
out:
	sio__rmsg_free(&m);
}

static void subscribe_adapter(sio_redis_t *r, sadapter_t *sa)
{
	sio__redis_subscribe(r, "SSUBSCRIBE", sa->channel);
	sio__redis_subscribe(r, "SSUBSCRIBE", sa->response);
	size_t i = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&sa->rooms, &i)))
		sio__redis_subscribe(r, "SSUBSCRIBE",
				     e->key + strlen(e->key) + 1);
}

static void subscribe_all(sio_redis_t *r)
{
	for (sadapter_t *sa = r->adapters; sa; sa = sa->next)
		subscribe_adapter(r, sa);
}

static void detach(sio_redis_t *r)
{
	for (sadapter_t *sa = r->adapters; sa; sa = sa->next)
		sa->r = NULL;
}

/* The namespace's channel and this node's answers; not the rooms'. */
static int counted(sio_redis_t *r, const char *channel)
{
	sadapter_t *sa = hmap_get(&r->routes, channel);
	return sa && (strcmp(channel, sa->channel) == 0 ||
		      strcmp(channel, sa->response) == 0);
}

static const sio_redis_hooks_t hooks = {subscribe_all, on_message, detach,
					counted};

sio_redis_t *sio__redis_sharded_new(sio_server_t *srv, const char *url,
				    const char *key)
{
	/* randomBytes(8).toString("hex"), as ClusterAdapter's uid */
	return sio__redis_open(srv, url, key, &hooks, 16, 1);
}

/* The adapter ----------------------------------------------------------- */

/* The length of `s` (UTF-8) in UTF-16 code units, as JavaScript counts. */
static size_t js_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n += *p >= 0xf0 ? 2 : 1;
	return n;
}

/* "[EVENT,ARGS...]" from the event and the arguments' JSON array. */
static void put_event(sio_sbuf_t *b, const char *event, const sio_args_t *args)
{
	sio__sbuf_puts(b, "[");
	sio__sbuf_quote(b, event);
	if (args && args->json) {
		size_t n = args->len ? args->len : strlen(args->json);
		const char *p = memchr(args->json, '[', n);
		const char *q = args->json + n;
		while (q > args->json && q[-1] != ']')
			q--;
		if (p && q > p + 1) {
			const char *in = p + 1, *end = q - 1;
			while (in < end && strchr(" \t\r\n", *in))
				in++;
			if (in < end) {
				sio__sbuf_puts(b, ",");
				sio__sbuf_put(b, in, (size_t)(end - in));
			}
		}
	}
	sio__sbuf_puts(b, "]");
}

static void put_rooms(sio_sbuf_t *b, const char *const *v, size_t n)
{
	sio__sbuf_puts(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sio__sbuf_puts(b, ",");
		sio__sbuf_quote(b, v[i]);
	}
	sio__sbuf_puts(b, "]");
}

static void put_opts(sio_sbuf_t *b, const sio_target_t *to)
{
	sio__sbuf_puts(b, "{\"rooms\":");
	put_rooms(b, to ? to->rooms : NULL, to ? to->nrooms : 0);
	sio__sbuf_puts(b, ",\"except\":");
	put_rooms(b, to ? to->except : NULL, to ? to->nexcept : 0);
	sio__sbuf_puts(b, to && (to->flags & SIO_VOLATILE)
			      ? ",\"flags\":{\"volatile\":true}}"
			      : ",\"flags\":{}}");
}

static int s_publish(sio_adapter_t *a, const sio_target_t *to,
		     const char *event, const sio_args_t *args)
{
	sadapter_t *sa = (sadapter_t *)a;
	if (!sa->r)
		return 0;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"packet\":{\"type\":2,\"data\":");
	put_event(&b, event, args);
	sio__sbuf_puts(&b, ",\"nsp\":");
	sio__sbuf_quote(&b, a->nsp->name);
	sio__sbuf_puts(&b, "},\"opts\":");
	put_opts(&b, to);
	sio__sbuf_puts(&b, "}");
	int r;
	if (to && to->nrooms == 1 && js_length(to->rooms[0]) != 20) {
		char *ch =
		    sio__redis_channel("%s%s#", sa->channel, to->rooms[0]);
		r = ch ? send_msg(sa, ch, SIO_CMSG_BROADCAST, &b,
				  args ? args->bins : NULL,
				  args ? args->nbins : 0)
		       : -ENOMEM;
		free(ch);
	} else {
		r = send_msg(sa, sa->channel, SIO_CMSG_BROADCAST, &b,
			     args ? args->bins : NULL, args ? args->nbins : 0);
	}
	free(b.s);
	return r;
}

static int s_sockets_op(sio_adapter_t *a, int type, const sio_target_t *to,
			const char *room, int close)
{
	sadapter_t *sa = (sadapter_t *)a;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"opts\":");
	put_opts(&b, to);
	int ctype;
	if (type == SIO_RREQ_REMOTE_DISCONNECT) {
		ctype = SIO_CMSG_DISCONNECT_SOCKETS;
		sio__sbuf_puts(&b, close ? ",\"close\":true}"
					 : ",\"close\":false}");
	} else {
		ctype = type == SIO_RREQ_REMOTE_JOIN ? SIO_CMSG_SOCKETS_JOIN
						     : SIO_CMSG_SOCKETS_LEAVE;
		sio__sbuf_puts(&b, ",\"rooms\":");
		put_rooms(&b, &room, 1);
		sio__sbuf_puts(&b, "}");
	}
	int r = send_msg(sa, sa->channel, ctype, &b, NULL, 0);
	free(b.s);
	return r;
}

static int s_server_side_emit(sio_adapter_t *a, const char *event,
			      const sio_args_t *args)
{
	sadapter_t *sa = (sadapter_t *)a;
	sio_sbuf_t b = {0};
	sio__sbuf_puts(&b, "{\"packet\":");
	put_event(&b, event, args);
	sio__sbuf_puts(&b, "}");
	int r = send_msg(sa, sa->channel, SIO_CMSG_SERVER_SIDE_EMIT, &b,
			 args ? args->bins : NULL, args ? args->nbins : 0);
	free(b.s);
	return r;
}

static int s_server_count(sio_adapter_t *a,
			  void (*cb)(void *ud, int err, unsigned count),
			  void *ud)
{
	sadapter_t *sa = (sadapter_t *)a;
	return sa->r ? sio__redis_numsub(sa->r, "SHARDNUMSUB", sa->channel, cb,
					 ud)
		     : -EPIPE;
}

static void s_free(sio_adapter_t *a)
{
	sadapter_t *sa = (sadapter_t *)a;
	sio__cluster_req_close(a);
	for (remote_ack_t *ra = pending_acks; ra; ra = ra->next)
		if (ra->sa == sa)
			ra->sa = NULL;
	size_t i = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&sa->rooms, &i))) {
		if (sa->r)
			hmap_del(&sa->r->routes, e->key + strlen(e->key) + 1);
		free(e->value);
	}
	hmap_free(&sa->rooms);
	if (sa->r) {
		hmap_del(&sa->r->routes, sa->channel);
		hmap_del(&sa->r->routes, sa->response);
		for (sadapter_t **pp = (sadapter_t **)&sa->r->adapters; *pp;
		     pp = &(*pp)->next)
			if (*pp == sa) {
				*pp = sa->next;
				break;
			}
	}
	free(sa->channel);
	free(sa->response);
	sio__adapter_memory_ops.free(a); /* the rooms, and the struct */
}

sio_adapter_t *sio__adapter_sharded_new(sio_redis_t *r, sio_nsp_t *nsp)
{
	if (!ops.join) {
		ops = sio__adapter_memory_ops;
		ops.join = s_join;
		ops.leave = s_leave;
		ops.leave_all = s_leave_all;
		ops.publish = s_publish;
		ops.sockets_op = s_sockets_op;
		ops.server_side_emit = s_server_side_emit;
		ops.server_count = s_server_count;
		ops.server_side_emit_ack = s_server_side_emit_ack;
		ops.fetch_request = s_fetch_request;
		ops.request = s_request;
		ops.free = s_free;
	}
	sadapter_t *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->a.ops = &ops;
	sa->a.nsp = nsp;
	sa->channel = sio__redis_channel("%s#%s#", r->key, nsp->name);
	sa->response =
	    sio__redis_channel("%s#%s#%s#", r->key, nsp->name, r->uid);
	if (!sa->channel || !sa->response ||
	    hmap_put(&r->routes, sa->channel, sa) < 0 ||
	    hmap_put(&r->routes, sa->response, sa) < 0) {
		if (sa->channel && hmap_get(&r->routes, sa->channel) == sa)
			hmap_del(&r->routes, sa->channel);
		s_free(&sa->a);
		return NULL;
	}
	sa->r = r;
	sa->next = r->adapters;
	r->adapters = sa;
	subscribe_adapter(r, sa);
	return &sa->a;
}

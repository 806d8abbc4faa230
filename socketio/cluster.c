/* The requests of other nodes that both cluster adapters answer the same
 * way (see cluster.h). */
#include "cluster.h"

#include "internal.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fetch_one(void *ud, sio_socket_t *s)
{
	sio_sbuf_t *b = ud;
	if (b->len && b->s[b->len - 1] == '}')
		sio__sbuf_puts(b, ",");
	sio__sbuf_puts(b, "{\"id\":");
	sio__sbuf_quote(b, s->id);
	char *hs = sio_socket_handshake_json(s);
	sio__sbuf_puts(b, ",\"handshake\":");
	sio__sbuf_puts(b, hs ? hs : "{}");
	free(hs);
	sio__sbuf_puts(b, ",\"rooms\":[");
	for (size_t i = 0; i < s->nrooms; i++) {
		if (i)
			sio__sbuf_puts(b, ",");
		sio__sbuf_quote(b, s->rooms[i]->name);
	}
	sio__sbuf_puts(b, "],\"data\":");
	sio__sbuf_puts(b, s->state ? s->state : "{}");
	sio__sbuf_puts(b, "}");
}

void sio__cluster_fetch_json(sio_adapter_t *a, const sio_target_t *to,
			     const char *request_id, sio_sbuf_t *b)
{
	sio__sbuf_puts(b, "{\"requestId\":");
	sio__sbuf_quote(b, request_id);
	sio__sbuf_puts(b, ",\"sockets\":[");
	a->ops->each(a, to, NULL, fetch_one, b);
	sio__sbuf_puts(b, "]}");
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

static void ack_cb(void *ud, sio_socket_t *s, int err, const sio_args_t *args)
{
	(void)s;
	sio_cluster_acks_t *c = ud;
	if (err == 0)
		c->answer(c, args);
	sio__cluster_acks_drop(c);
}

void sio__cluster_acks_drop(sio_cluster_acks_t *c)
{
	if (--c->left == 0)
		c->release(c);
}

size_t sio__cluster_emit_with_acks(sio_adapter_t *a, const sio_target_t *to,
				   const char *event, const sio_args_t *args,
				   unsigned timeout_ms, sio_cluster_acks_t *c)
{
	socket_list_t l = {0};
	a->ops->each(a, to, NULL, list_push, &l);
	size_t sent = 0;
	c->left = 1; /* held until sio__cluster_acks_drop() */
	for (size_t i = 0; i < l.n; i++) {
		c->left++;
		if (sio_socket_emit_with_ack(l.v[i], event, args, timeout_ms,
					     ack_cb, c) < 0)
			c->left--;
		else
			sent++;
	}
	free(l.v);
	return sent;
}

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
	return ack->send(ack, json);
}

void sio__cluster_server_side(sio_nsp_t *nsp, const char *event,
			      const sio_args_t *args, sio_server_ack_t *ack)
{
	for (sio_handler_t *h = nsp->h->server_side; h; h = h->next)
		((sio_server_side_fn)h->fn)(h->ud, nsp, event, args, ack);
}

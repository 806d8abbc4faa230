/* Acknowledgements both ways: answering the client's, and waiting for the
 * client's answers to our emits (one socket, or every recipient of a
 * broadcast, gathered until all answered or the timeout). */
#include "../common/clock.h"
#include "emit.h"
#include "internal.h"
#include "json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

json_object *sio_args_parse(const sio_args_t *args)
{
	if (!args || !args->json)
		return NULL;
	json_object *o = sio__json_parse(
	    args->json, args->len ? args->len : strlen(args->json));
	if (!json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int sio_ack_send(sio_ack_t *ack, const sio_args_t *args)
{
	sio_socket_t *s = ack->socket;
	if (ack->id < 0 || !s || !s->connected)
		return -EINVAL;
	sio_encoded_t enc;
	int r = sio__encode(&enc, SIO_PACKET_ACK, s->nsp->name, ack->id, NULL,
			    args, NULL);
	if (r < 0)
		return r;
	ack->id = -1;
	r = sio__client_send(s->client, &enc, 0);
	sio__encoded_release(&enc);
	return r;
}

/* Waiting for one socket ------------------------------------------------ */

static void unlink_ack(sio_socket_t *s, sio_pending_ack_t *a)
{
	for (sio_pending_ack_t **pp = &s->acks; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			return;
		}
}

sio_pending_ack_t *sio__socket_await_ack(sio_socket_t *s, int64_t id)
{
	sio_pending_ack_t *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->id = id;
	a->socket = s;
	a->next = s->acks;
	s->acks = a;
	return a;
}

static void ack_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sio_pending_ack_t *a = arg;
	sio_socket_t *s = a->socket;
	unlink_ack(s, a);
	event_free(a->timer);
	a->cb(a->ud, s, -ETIMEDOUT, NULL);
	free(a);
}

int sio_socket_emit_with_ack(sio_socket_t *s, const char *event,
			     const sio_args_t *args, unsigned timeout_ms,
			     sio_ack_fn cb, void *ud)
{
	if (!s->connected)
		return -EPIPE;
	int64_t id = s->nsp->next_ack_id++;
	sio_encoded_t enc;
	int r = sio__encode(&enc, SIO_PACKET_EVENT, s->nsp->name, id, event,
			    args, NULL);
	if (r < 0)
		return r;
	sio_pending_ack_t *a = sio__socket_await_ack(s, id);
	if (!a) {
		sio__encoded_release(&enc);
		return -ENOMEM;
	}
	a->cb = cb;
	a->ud = ud;
	if (timeout_ms) {
		struct timeval tv = clock_tv(timeout_ms);
		a->timer = evtimer_new(s->nsp->srv->base, ack_timeout_cb, a);
		if (a->timer)
			evtimer_add(a->timer, &tv);
	}
	r = sio__client_send(s->client, &enc, 0);
	sio__encoded_release(&enc);
	return r;
}

void sio__socket_on_ack(sio_socket_t *s, const sio_packet_t *p,
			const sio_bin_t *bins, size_t nbins)
{
	sio_pending_ack_t *a = s->acks;
	while (a && a->id != p->id)
		a = a->next;
	if (!a)
		return; /* late (timed out) or unknown: Node ignores it too */
	unlink_ack(s, a);
	if (a->timer)
		event_free(a->timer);
	/* a NUL-terminated copy, as event handlers get */
	char *json = malloc(p->data_len + 1);
	if (json) {
		memcpy(json, p->data, p->data_len);
		json[p->data_len] = '\0';
	}
	sio_args_t args = {json ? json : "[]", json ? p->data_len : 2, bins,
			   nbins};
	if (a->bcast)
		sio__broadcast_ack_answer(a->bcast, a, &args);
	else
		a->cb(a->ud, s, 0, &args);
	free(json);
	free(a);
}

/* Gathering a broadcast's answers -----------------------------------------
 * Each recipient has a pending entry pointing at the gatherer; the
 * gatherer lists them so that it can withdraw those left at the end. */

struct sio_broadcast_ack {
	sio_server_t *srv;
	sio_broadcast_ack_t *next, *prev; /* the server's pending ones */
	sio_broadcast_ack_fn cb;
	void *ud;
	sio_pending_ack_t **entries; /* NULL once answered or lost */
	size_t nentries, cap;
	size_t expected, got;
	sio_args_t *responses;
	struct event *timer;
};

static void free_args(sio_args_t *a)
{
	for (size_t k = 0; k < a->nbins; k++)
		free((uint8_t *)a->bins[k].data);
	free((sio_bin_t *)a->bins);
	free((char *)a->json);
	memset(a, 0, sizeof(*a));
}

static void finish(sio_broadcast_ack_t *b, int err)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		b->srv->gatherers = b->next;
	if (b->next)
		b->next->prev = b->prev;
	for (size_t i = 0; i < b->nentries; i++) {
		sio_pending_ack_t *a = b->entries[i];
		if (!a)
			continue;
		unlink_ack(a->socket, a);
		free(a);
	}
	event_free(b->timer);
	b->cb(b->ud, err, b->got, b->responses);
	for (size_t i = 0; i < b->got; i++)
		free_args(&b->responses[i]);
	free(b->responses);
	free(b->entries);
	free(b);
}

static void withdraw(sio_broadcast_ack_t *b, sio_pending_ack_t *a)
{
	for (size_t i = 0; i < b->nentries; i++)
		if (b->entries[i] == a)
			b->entries[i] = NULL;
}

/* A deep copy, kept until the gatherer reports. */
static int copy_args(sio_args_t *dst, const sio_args_t *src)
{
	memset(dst, 0, sizeof(*dst));
	size_t len = src->len ? src->len : strlen(src->json);
	char *json = malloc(len + 1);
	sio_bin_t *bins = calloc(src->nbins ? src->nbins : 1, sizeof(*bins));
	dst->json = json;
	dst->len = len;
	dst->bins = bins;
	if (!json || !bins) {
		free_args(dst);
		return -ENOMEM;
	}
	memcpy(json, src->json, len);
	json[len] = '\0';
	for (size_t k = 0; k < src->nbins; k++) {
		uint8_t *d = malloc(src->bins[k].len ? src->bins[k].len : 1);
		if (!d) {
			free_args(dst);
			return -ENOMEM;
		}
		if (src->bins[k].len)
			memcpy(d, src->bins[k].data, src->bins[k].len);
		bins[k].data = d;
		bins[k].len = src->bins[k].len;
		dst->nbins++;
	}
	return 0;
}

void sio__broadcast_ack_answer(sio_broadcast_ack_t *b, sio_pending_ack_t *a,
			       const sio_args_t *args)
{
	withdraw(b, a);
	if (copy_args(&b->responses[b->got], args) == 0)
		b->got++;
	else
		b->expected--; /* out of memory: counted as not answered */
	if (b->got == b->expected)
		finish(b, 0);
}

void sio__broadcast_ack_lost(sio_broadcast_ack_t *b, sio_pending_ack_t *a)
{
	withdraw(b, a);
	b->expected--; /* a recipient gone will not answer */
	if (b->got == b->expected)
		finish(b, 0);
}

static void bcast_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sio_broadcast_ack_t *b = arg;
	finish(b, b->got == b->expected ? 0 : -ETIMEDOUT);
}

typedef struct bcast_ctx {
	sio_broadcast_ack_t *b;
	const sio_encoded_t *enc;
	int64_t id;
	int err;
} bcast_ctx_t;

static void send_with_ack(void *ud, sio_socket_t *s)
{
	bcast_ctx_t *ctx = ud;
	sio_broadcast_ack_t *b = ctx->b;
	if (b->nentries == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 8;
		sio_pending_ack_t **ne =
		    realloc(b->entries, ncap * sizeof(*ne));
		if (!ne) {
			ctx->err = -ENOMEM;
			return;
		}
		b->entries = ne;
		b->cap = ncap;
	}
	sio_pending_ack_t *a = sio__socket_await_ack(s, ctx->id);
	if (!a) {
		ctx->err = -ENOMEM;
		return;
	}
	a->bcast = b;
	b->entries[b->nentries++] = a;
	b->expected++;
	sio__client_send(s->client, ctx->enc, 0);
}

int sio_emit_with_ack(sio_nsp_t *nsp, const sio_target_t *to, const char *event,
		      const sio_args_t *args, unsigned timeout_ms,
		      sio_broadcast_ack_fn cb, void *ud)
{
	sio_broadcast_ack_t *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->cb = cb;
	b->ud = ud;
	b->srv = nsp->srv;
	b->timer = evtimer_new(nsp->srv->base, bcast_timeout_cb, b);
	if (!b->timer) {
		free(b);
		return -ENOMEM;
	}
	b->next = b->srv->gatherers;
	if (b->next)
		b->next->prev = b;
	b->srv->gatherers = b;
	/* a dynamic parent reaches its children, each with its own ids */
	for (sio_nsp_t *n = nsp->children ? nsp->children : nsp; n;
	     n = nsp->children ? n->next_child : NULL) {
		bcast_ctx_t ctx = {b, NULL, n->next_ack_id++, 0};
		sio_encoded_t enc;
		int r = sio__encode(&enc, SIO_PACKET_EVENT, n->name, ctx.id,
				    event, args, NULL);
		if (r < 0) {
			finish(b, r);
			return 0; /* the callback told the error */
		}
		ctx.enc = &enc;
		n->adapter->ops->each(n->adapter, to, NULL, send_with_ack,
				      &ctx);
		sio__encoded_release(&enc);
	}
	b->responses =
	    calloc(b->expected ? b->expected : 1, sizeof(*b->responses));
	/* the callback comes from the loop: at the timeout, or as soon as
	 * every recipient answered (at once when there are none) */
	struct timeval tv = clock_tv(timeout_ms);
	struct timeval now = {0, 0};
	evtimer_add(b->timer, b->expected && b->responses ? &tv : &now);
	return 0;
}

void sio__broadcast_acks_abort(sio_server_t *srv)
{
	while (srv->gatherers)
		finish(srv->gatherers, -ECONNRESET);
}

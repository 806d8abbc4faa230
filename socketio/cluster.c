/* The requests of other nodes that both cluster adapters answer the same
 * way (see cluster.h). */
#include "cluster.h"

#include "internal.h"
#include "json.h"

#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <sodium.h>
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
		if (sio_socket_emit_with_ack(
			l.v[i], event, args,
			timeout_ms ? timeout_ms : SIO_CLUSTER_TIMEOUT_MS,
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

/* This node's requests to the others -------------------------------------- */

void sio__cluster_req_init(sio_cluster_req_t *q)
{
	static const char hexd[] = "0123456789abcdef";
	memset(q, 0, sizeof(*q));
	for (int i = 0; i < 16; i++)
		q->id[i] = hexd[randombytes_uniform(16)];
}

static void req_unlink(sio_cluster_req_t *q)
{
	if (!q->a)
		return;
	for (sio_cluster_req_t **pp = &q->a->requests; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	q->a = NULL;
}

/* Calls done once; frees unless hiredis still holds the request (then
 * req_count frees it). */
static void req_finish(sio_cluster_req_t *q, int err)
{
	req_unlink(q);
	if (!q->finished) {
		q->finished = 1;
		q->done(q, err);
	}
	if (q->counting)
		return;
	if (q->timer)
		event_free(q->timer);
	free(q->msg);
	q->release(q);
}

static void req_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sio_cluster_req_t *q = arg;
	req_finish(q, q->expected > q->current ? -ETIMEDOUT : 0);
}

static void req_arm(sio_cluster_req_t *q, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(q->timer, &tv);
}

static void req_count(void *ud, int err, unsigned count)
{
	sio_cluster_req_t *q = ud;
	q->counting = 0;
	if (!q->a || err < 0) { /* the adapter went first: done then */
		req_finish(q, -ECONNRESET);
		return;
	}
	q->expected = count > 0 ? count - 1 : 0;
	if (q->expected == 0) {
		req_finish(q, 0);
		return;
	}
	int r = q->a->ops->request(q->a, q->msg, q->len);
	if (r < 0) {
		req_finish(q, r == -ENOMEM ? -ENOMEM : -ECONNRESET);
		return;
	}
	req_arm(q, q->timeout_ms);
}

int sio__cluster_req_start(sio_adapter_t *a, sio_cluster_req_t *q)
{
	q->timer = evtimer_new(a->nsp->srv->base, req_timeout, q);
	int r = q->timer ? 0 : -ENOMEM;
	if (r == 0 && q->msg)
		r = a->ops->server_count(a, req_count, q);
	if (r < 0) {
		q->finished = 1;
		req_finish(q, r);
		return r;
	}
	if (q->msg)
		q->counting = 1;
	else
		req_arm(q, 0);
	q->a = a;
	q->next = a->requests;
	a->requests = q;
	return 0;
}

void sio__cluster_req_answer(sio_adapter_t *a, int kind, const char *request_id,
			     const char *args, size_t len)
{
	if (!request_id || !args)
		return;
	sio_cluster_req_t *q = a->requests;
	while (q && (q->counting || q->kind != kind ||
		     strcmp(q->id, request_id) != 0))
		q = q->next;
	if (!q || q->current >= q->expected)
		return;
	q->answer(q, args, len);
	if (++q->current == q->expected)
		req_finish(q, 0);
}

void sio__cluster_req_close(sio_adapter_t *a)
{
	while (a->requests)
		req_finish(a->requests, -ECONNRESET);
}

/* sio_fetch_remote_sockets ----------------------------------------------- */

typedef struct fetch_req {
	sio_cluster_req_t q; /* first */
	sio_fetch_fn cb;
	void *ud;
	sio_remote_socket_t *v;
	size_t n, cap;
	int oom;
} fetch_req_t;

static char *json_text(json_object *o)
{
	const char *s = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return strdup(s ? s : "null");
}

static void remote_socket_free(sio_remote_socket_t *rs)
{
	free((char *)rs->id);
	free((char *)rs->handshake_json);
	free((char *)rs->data_json);
	for (size_t i = 0; i < rs->nrooms; i++)
		free((char *)rs->rooms[i]);
	free((char **)rs->rooms);
}

/* One {id, handshake, rooms, data} of an answer; others are skipped. */
static int remote_socket_read(sio_remote_socket_t *rs, json_object *o)
{
	json_object *id, *hs, *rooms, *data;
	memset(rs, 0, sizeof(*rs));
	if (!json_object_object_get_ex(o, "id", &id) ||
	    !json_object_is_type(id, json_type_string))
		return -EINVAL;
	if (!json_object_object_get_ex(o, "handshake", &hs))
		hs = NULL;
	if (!json_object_object_get_ex(o, "data", &data))
		data = NULL;
	if (!json_object_object_get_ex(o, "rooms", &rooms) ||
	    !json_object_is_type(rooms, json_type_array))
		rooms = NULL;
	size_t nr = rooms ? json_object_array_length(rooms) : 0;
	char **rv = calloc(nr ? nr : 1, sizeof(*rv));
	rs->rooms = (const char *const *)rv;
	rs->id = strdup(json_object_get_string(id));
	rs->handshake_json = hs ? json_text(hs) : strdup("{}");
	rs->data_json = json_text(data);
	if (!rv || !rs->id || !rs->handshake_json || !rs->data_json)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		json_object *r = json_object_array_get_idx(rooms, i);
		if (!json_object_is_type(r, json_type_string))
			continue;
		if (!(rv[rs->nrooms] = strdup(json_object_get_string(r))))
			return -ENOMEM;
		rs->nrooms++;
	}
	return 0;
}

static void fetch_add(fetch_req_t *f, json_object *sockets)
{
	if (!json_object_is_type(sockets, json_type_array))
		return;
	size_t n = json_object_array_length(sockets);
	for (size_t i = 0; i < n; i++) {
		if (f->n == f->cap) {
			size_t ncap = f->cap ? f->cap * 2 : 16;
			sio_remote_socket_t *nv =
			    realloc(f->v, ncap * sizeof(*nv));
			if (!nv) {
				f->oom = 1;
				return;
			}
			f->v = nv;
			f->cap = ncap;
		}
		sio_remote_socket_t *rs = &f->v[f->n];
		int r = remote_socket_read(
		    rs, json_object_array_get_idx(sockets, i));
		if (r < 0) {
			remote_socket_free(rs);
			f->oom |= r == -ENOMEM;
		} else {
			f->n++;
		}
	}
}

/* args: [SOCKETS] */
static void fetch_answer(sio_cluster_req_t *q, const char *args, size_t len)
{
	fetch_req_t *f = (fetch_req_t *)q;
	json_object *a = sio__json_parse(args, len);
	fetch_add(f, json_object_array_get_idx(a, 0));
	json_object_put(a);
}

static void fetch_done(sio_cluster_req_t *q, int err)
{
	fetch_req_t *f = (fetch_req_t *)q;
	f->cb(f->ud, err ? err : f->oom ? -ENOMEM : 0, f->v, f->n);
}

static void fetch_release(sio_cluster_req_t *q)
{
	fetch_req_t *f = (fetch_req_t *)q;
	for (size_t i = 0; i < f->n; i++)
		remote_socket_free(&f->v[i]);
	free(f->v);
	free(f);
}

int sio_fetch_remote_sockets(sio_nsp_t *nsp, const sio_target_t *to,
			     unsigned timeout_ms, sio_fetch_fn cb, void *ud)
{
	sio_adapter_t *a = nsp->adapter;
	fetch_req_t *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	sio__cluster_req_init(&f->q);
	f->q.answer = fetch_answer;
	f->q.done = fetch_done;
	f->q.release = fetch_release;
	f->q.timeout_ms = timeout_ms ? timeout_ms : SIO_CLUSTER_TIMEOUT_MS;
	f->cb = cb;
	f->ud = ud;
	f->v = NULL;
	f->n = f->cap = 0;
	f->oom = 0;
	/* this node's, as the answers of the others carry them */
	sio_sbuf_t b = {0};
	sio__cluster_fetch_json(a, to, f->q.id, &b);
	json_object *local = b.err ? NULL : sio__json_parse(b.s, b.len);
	json_object *sockets;
	if (local && json_object_object_get_ex(local, "sockets", &sockets))
		fetch_add(f, sockets);
	else
		f->oom = 1;
	json_object_put(local);
	free(b.s);
	int r = 0;
	if (a->ops->fetch_request && !(to && (to->flags & SIO_LOCAL)))
		r = a->ops->fetch_request(a, &f->q, to);
	if (r < 0) {
		fetch_release(&f->q);
		return r;
	}
	return sio__cluster_req_start(a, &f->q);
}

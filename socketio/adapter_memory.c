/* The in-memory adapter: rooms in hash maps, broadcast by walking them.
 * A broadcast visits each recipient once, without allocating: every
 * broadcast takes a new sequence number and marks the sockets it reached
 * (and, first, the excluded ones). */
#include "cluster.h"
#include "emit.h"
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static sio_room_t *room_get(sio_adapter_t *a, const char *name, int create)
{
	sio_room_t *r = hmap_get(&a->rooms, name);
	if (r || !create)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name)) ||
	    hmap_put(&a->rooms, r->name, r) < 0) {
		if (r)
			free(r->name);
		free(r);
		return NULL;
	}
	return r;
}

static void room_drop_if_empty(sio_adapter_t *a, sio_room_t *r)
{
	if (r->members.count > 0)
		return;
	hmap_del(&a->rooms, r->name);
	hmap_free(&r->members);
	free(r->name);
	free(r);
}

static int mem_join(sio_adapter_t *a, sio_socket_t *s, const char *name)
{
	sio_room_t *r = room_get(a, name, 1);
	if (!r)
		return -ENOMEM;
	if (hmap_get(&r->members, s->id))
		return 0;
	if (s->nrooms == s->rooms_cap) {
		size_t ncap = s->rooms_cap ? s->rooms_cap * 2 : 2;
		sio_room_t **nr = realloc(s->rooms, ncap * sizeof(*nr));
		if (!nr) {
			room_drop_if_empty(a, r);
			return -ENOMEM;
		}
		s->rooms = nr;
		s->rooms_cap = ncap;
	}
	if (hmap_put(&r->members, s->id, s) < 0) {
		room_drop_if_empty(a, r);
		return -ENOMEM;
	}
	s->rooms[s->nrooms++] = r;
	return 0;
}

static void mem_leave(sio_adapter_t *a, sio_socket_t *s, const char *name)
{
	for (size_t i = 0; i < s->nrooms; i++) {
		sio_room_t *r = s->rooms[i];
		if (strcmp(r->name, name) != 0)
			continue;
		memmove(&s->rooms[i], &s->rooms[i + 1],
			(s->nrooms - i - 1) * sizeof(*s->rooms));
		s->nrooms--;
		hmap_del(&r->members, s->id);
		room_drop_if_empty(a, r);
		return;
	}
}

static void mem_leave_all(sio_adapter_t *a, sio_socket_t *s)
{
	while (s->nrooms > 0)
		mem_leave(a, s, s->rooms[s->nrooms - 1]->name);
}

static void visit(sio_socket_t *s, uint64_t seq,
		  void (*fn)(void *ud, sio_socket_t *s), void *ud, size_t *n)
{
	if (s->seen == seq)
		return;
	s->seen = seq;
	(*n)++;
	fn(ud, s);
}

static size_t mem_each(sio_adapter_t *a, const sio_target_t *to,
		       const sio_socket_t *skip,
		       void (*fn)(void *ud, sio_socket_t *s), void *ud)
{
	uint64_t seq = ++a->nsp->srv->broadcast_seq;
	size_t n = 0, i;
	hmap_entry_t *e;
	if (skip)
		((sio_socket_t *)skip)->seen = seq;
	for (size_t k = 0; to && k < to->nexcept; k++) {
		sio_room_t *r = room_get(a, to->except[k], 0);
		for (i = 0; r && (e = hmap_next(&r->members, &i));)
			((sio_socket_t *)e->value)->seen = seq;
	}
	if (!to || to->nrooms == 0) {
		for (i = 0; (e = hmap_next(&a->nsp->sockets, &i));)
			visit(e->value, seq, fn, ud, &n);
		return n;
	}
	for (size_t k = 0; k < to->nrooms; k++) {
		sio_room_t *r = room_get(a, to->rooms[k], 0);
		for (i = 0; r && (e = hmap_next(&r->members, &i));)
			visit(e->value, seq, fn, ud, &n);
	}
	return n;
}

typedef struct send_ctx {
	const sio_encoded_t *enc;
	int flags;
} send_ctx_t;

static void send_one(void *ud, sio_socket_t *s)
{
	send_ctx_t *ctx = ud;
	sio__client_send(s->client, ctx->enc, ctx->flags);
}

static size_t mem_broadcast(sio_adapter_t *a, const sio_target_t *to,
			    const sio_socket_t *skip, const sio_encoded_t *enc)
{
	send_ctx_t ctx = {
	    enc, to && (to->flags & SIO_VOLATILE) ? EIO_SEND_VOLATILE : 0};
	return mem_each(a, to, skip, send_one, &ctx);
}

static size_t mem_room_size(sio_adapter_t *a, const char *name)
{
	if (!name)
		return a->nsp->sockets.count;
	sio_room_t *r = room_get(a, name, 0);
	return r ? r->members.count : 0;
}

static int mem_server_side_emit(sio_adapter_t *a, const char *event,
				const sio_args_t *args)
{
	(void)a;
	(void)event;
	(void)args;
	return 0; /* no other server to reach */
}

static void mem_free(sio_adapter_t *a)
{
	sio__cluster_req_close(a); /* this node's fetches, of every adapter */
	size_t i = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&a->rooms, &i))) {
		sio_room_t *r = e->value;
		hmap_free(&r->members);
		free(r->name);
		free(r);
	}
	hmap_free(&a->rooms);
	free(a);
}

const sio_adapter_ops_t sio__adapter_memory_ops = {
    .join = mem_join,
    .leave = mem_leave,
    .leave_all = mem_leave_all,
    .each = mem_each,
    .broadcast = mem_broadcast,
    .room_size = mem_room_size,
    .server_side_emit = mem_server_side_emit,
    .free = mem_free,
};

sio_adapter_t *sio__adapter_memory_new(sio_nsp_t *nsp)
{
	sio_adapter_t *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->ops = &sio__adapter_memory_ops;
	a->nsp = nsp;
	return a;
}

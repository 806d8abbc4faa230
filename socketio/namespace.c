/* Namespaces: static ones, dynamic parents and their children, handler
 * registration, and the namespace-wide operations (emit, join, leave,
 * disconnect, fetch), which go through the adapter. */
#include "cluster.h"
#include "emit.h"
#include "internal.h"
#include "redis_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* `cluster`: a namespace with sockets, which shares them through the
 * server's cluster adapter when there is one (not a dynamic parent). */
static sio_nsp_t *nsp_new(sio_server_t *srv, const char *name, int cluster)
{
	sio_nsp_t *nsp = calloc(1, sizeof(*nsp));
	if (!nsp)
		return NULL;
	nsp->srv = srv;
	nsp->h = &nsp->own;
	nsp->name = strdup(name);
	if (cluster && srv->redis && srv->opts.redis_sharded)
		nsp->adapter = sio__adapter_sharded_new(srv->redis, nsp);
	else if (cluster && srv->redis)
		nsp->adapter = sio__adapter_redis_new(srv->redis, nsp);
	else
		nsp->adapter = sio__adapter_memory_new(nsp);
	if (srv->opts.recovery_window_ms)
		nsp->recovery =
		    sio__recovery_new(srv->base, srv->opts.recovery_window_ms);
	if (!nsp->name || !nsp->adapter ||
	    (srv->opts.recovery_window_ms && !nsp->recovery)) {
		sio__nsp_free(nsp);
		return NULL;
	}
	return nsp;
}

static void free_handlers(sio_handler_t *h)
{
	while (h) {
		sio_handler_t *next = h->next;
		free(h->event);
		free(h);
		h = next;
	}
}

void sio__nsp_free(sio_nsp_t *nsp)
{
	sio_handlers_t *o = &nsp->own;
	free_handlers(o->middleware);
	free_handlers(o->connection);
	free_handlers(o->events);
	free_handlers(o->any);
	free_handlers(o->event_mw);
	free_handlers(o->disconnecting);
	free_handlers(o->disconnect);
	free_handlers(o->server_side);
	if (nsp->re) {
		regfree(nsp->re);
		free(nsp->re);
	}
	if (nsp->adapter)
		nsp->adapter->ops->free(nsp->adapter);
	sio__recovery_free(nsp->recovery);
	hmap_free(&nsp->sockets);
	free(nsp->name);
	free(nsp);
}

static sio_nsp_t *find_static(sio_server_t *srv, const char *name)
{
	for (sio_nsp_t *n = srv->nsps; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

sio_nsp_t *sio_of(sio_server_t *srv, const char *name)
{
	sio_nsp_t *nsp = find_static(srv, name);
	if (nsp)
		return nsp;
	if (name[0] != '/')
		return NULL;
	if (!(nsp = nsp_new(srv, name, 1)))
		return NULL;
	nsp->next = srv->nsps;
	srv->nsps = nsp;
	return nsp;
}

static sio_nsp_t *add_parent(sio_server_t *srv, sio_nsp_t *p)
{
	p->next = srv->parents;
	srv->parents = p;
	return p;
}

sio_nsp_t *sio_of_pattern(sio_server_t *srv, const char *pattern)
{
	sio_nsp_t *p = nsp_new(srv, pattern, 0);
	if (!p)
		return NULL;
	p->re = malloc(sizeof(*p->re));
	if (!p->re || regcomp(p->re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		free(p->re);
		p->re = NULL;
		sio__nsp_free(p);
		return NULL;
	}
	return add_parent(srv, p);
}

sio_nsp_t *sio_of_match(sio_server_t *srv,
			int (*match)(void *ud, const char *name), void *ud)
{
	sio_nsp_t *p = nsp_new(srv, "(dynamic)", 0);
	if (!p)
		return NULL;
	p->match = match;
	p->match_ud = ud;
	return add_parent(srv, p);
}

/* A static namespace, or a child made for the first parent that matches. */
sio_nsp_t *sio__nsp_find(sio_server_t *srv, const char *name)
{
	sio_nsp_t *nsp = find_static(srv, name);
	if (nsp)
		return nsp;
	for (sio_nsp_t *p = srv->parents; p; p = p->next) {
		int ok = p->re ? regexec(p->re, name, 0, NULL, 0) == 0
			       : p->match(p->match_ud, name);
		if (!ok)
			continue;
		sio_nsp_t *child = sio_of(srv, name);
		if (!child)
			return NULL;
		child->parent = p;
		child->h = &p->own;
		child->next_child = p->children;
		p->children = child;
		return child;
	}
	return NULL;
}

const char *sio_nsp_name(const sio_nsp_t *nsp)
{
	return nsp->name;
}

sio_server_t *sio_nsp_server(const sio_nsp_t *nsp)
{
	return nsp->srv;
}

/* Registration ---------------------------------------------------------- */

static int add_handler(sio_handler_t **list, const char *event,
		       void (*fn)(void), void *ud)
{
	sio_handler_t *h = calloc(1, sizeof(*h));
	if (!h || (event && !(h->event = strdup(event)))) {
		free(h);
		return -ENOMEM;
	}
	h->fn = fn;
	h->ud = ud;
	while (*list) /* keep registration order */
		list = &(*list)->next;
	*list = h;
	return 0;
}

/* A dynamic child runs its parent's handlers: register there. */
#define ADD(list, event, fn, ud)                                               \
	(nsp->parent ? -EINVAL                                                 \
		     : add_handler(&(list), event, (void (*)(void))(fn), ud))

int sio_nsp_use(sio_nsp_t *nsp, sio_middleware_fn fn, void *ud)
{
	return ADD(nsp->own.middleware, NULL, fn, ud);
}

int sio_nsp_on_connection(sio_nsp_t *nsp, sio_connection_fn fn, void *ud)
{
	return ADD(nsp->own.connection, NULL, fn, ud);
}

int sio_nsp_on(sio_nsp_t *nsp, const char *event, sio_event_fn fn, void *ud)
{
	return ADD(nsp->own.events, event, fn, ud);
}

int sio_nsp_on_any(sio_nsp_t *nsp, sio_event_fn fn, void *ud)
{
	return ADD(nsp->own.any, NULL, fn, ud);
}

int sio_nsp_use_event(sio_nsp_t *nsp, sio_event_middleware_fn fn, void *ud)
{
	return ADD(nsp->own.event_mw, NULL, fn, ud);
}

int sio_nsp_on_disconnecting(sio_nsp_t *nsp, sio_disconnect_fn fn, void *ud)
{
	return ADD(nsp->own.disconnecting, NULL, fn, ud);
}

int sio_nsp_on_disconnect(sio_nsp_t *nsp, sio_disconnect_fn fn, void *ud)
{
	return ADD(nsp->own.disconnect, NULL, fn, ud);
}

int sio_nsp_on_server_side(sio_nsp_t *nsp, sio_server_side_fn fn, void *ud)
{
	return ADD(nsp->own.server_side, NULL, fn, ud);
}

/* Operations -------------------------------------------------------------
 * On a dynamic parent they apply to every child. */

#define FOR_EACH_TARGET_NSP(nsp, n)                                            \
	for (sio_nsp_t *n = (nsp)->children ? (nsp)->children : (nsp); n;      \
	     n = (nsp)->children ? n->next_child : NULL)

int sio__nsp_broadcast(sio_nsp_t *nsp, const sio_target_t *to,
		       const sio_socket_t *skip, const char *event,
		       const sio_args_t *args)
{
	char offset[24];
	int keep = nsp->recovery && !(to && (to->flags & SIO_VOLATILE));
	if (keep)
		sio__recovery_offset(nsp->recovery, offset);
	sio_encoded_t enc;
	int r = sio__encode(&enc, SIO_PACKET_EVENT, nsp->name, -1, event, args,
			    keep ? offset : NULL);
	if (r < 0)
		return r;
	if (keep)
		r = sio__recovery_store(nsp->recovery, offset, &enc, to,
					skip ? skip->id : NULL);
	nsp->adapter->ops->broadcast(nsp->adapter, to, skip, &enc);
	sio__encoded_release(&enc);
	if (nsp->adapter->ops->publish && !(to && (to->flags & SIO_LOCAL)))
		nsp->adapter->ops->publish(nsp->adapter, to, event, args);
	return r;
}

int sio_emit(sio_nsp_t *nsp, const sio_target_t *to, const char *event,
	     const sio_args_t *args)
{
	int r = 0;
	FOR_EACH_TARGET_NSP(nsp, n)
	if ((r = sio__nsp_broadcast(n, to, NULL, event, args)) < 0)
		return r;
	return r;
}

/* The matching sockets, collected so that the caller may change their
 * rooms or disconnect them (the adapter walk forbids it meanwhile). */
typedef struct socket_vec {
	sio_socket_t **v;
	size_t n, cap;
	int err;
} socket_vec_t;

static void push(void *ud, sio_socket_t *s)
{
	socket_vec_t *v = ud;
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 16;
		sio_socket_t **nv = realloc(v->v, ncap * sizeof(*nv));
		if (!nv) {
			v->err = -ENOMEM;
			return;
		}
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n++] = s;
}

static int collect(sio_nsp_t *nsp, const sio_target_t *to, socket_vec_t *v)
{
	memset(v, 0, sizeof(*v));
	FOR_EACH_TARGET_NSP(nsp, n)
	n->adapter->ops->each(n->adapter, to, NULL, push, v);
	return v->err;
}

/* Asks the other nodes of a cluster to do the same, unless SIO_LOCAL. */
static void cluster_op(sio_nsp_t *nsp, int type, const sio_target_t *to,
		       const char *room, int close)
{
	if (to && (to->flags & SIO_LOCAL))
		return;
	FOR_EACH_TARGET_NSP(nsp, n)
	if (n->adapter->ops->sockets_op)
		n->adapter->ops->sockets_op(n->adapter, type, to, room, close);
}

int sio_sockets_join(sio_nsp_t *nsp, const sio_target_t *to, const char *room)
{
	socket_vec_t v;
	int r = collect(nsp, to, &v);
	for (size_t i = 0; i < v.n; i++)
		if (sio_socket_join(v.v[i], room) < 0)
			r = -ENOMEM;
	free(v.v);
	cluster_op(nsp, SIO_RREQ_REMOTE_JOIN, to, room, 0);
	return r;
}

int sio_sockets_leave(sio_nsp_t *nsp, const sio_target_t *to, const char *room)
{
	socket_vec_t v;
	int r = collect(nsp, to, &v);
	for (size_t i = 0; i < v.n; i++)
		sio_socket_leave(v.v[i], room);
	free(v.v);
	cluster_op(nsp, SIO_RREQ_REMOTE_LEAVE, to, room, 0);
	return r;
}

void sio_disconnect_sockets(sio_nsp_t *nsp, const sio_target_t *to, int close)
{
	socket_vec_t v;
	collect(nsp, to, &v);
	/* a socket closed with its connection earlier in the loop is marked
	 * disconnected and freed only later: the call is then a no-op */
	for (size_t i = 0; i < v.n; i++)
		sio_socket_disconnect(v.v[i], close);
	free(v.v);
	cluster_op(nsp, SIO_RREQ_REMOTE_DISCONNECT, to, NULL, close);
}

size_t sio_fetch_sockets(sio_nsp_t *nsp, const sio_target_t *to,
			 void (*fn)(void *ud, sio_socket_t *s), void *ud)
{
	size_t total = 0;
	FOR_EACH_TARGET_NSP(nsp, n)
	total += n->adapter->ops->each(n->adapter, to, NULL, fn, ud);
	return total;
}

size_t sio_room_size(sio_nsp_t *nsp, const char *room)
{
	size_t total = 0;
	FOR_EACH_TARGET_NSP(nsp, n)
	total += n->adapter->ops->room_size(n->adapter, room);
	return total;
}

int sio_server_side_emit(sio_nsp_t *nsp, const char *event,
			 const sio_args_t *args)
{
	return nsp->adapter->ops->server_side_emit(nsp->adapter, event, args);
}

int sio_server_side_emit_with_ack(sio_nsp_t *nsp, const char *event,
				  const sio_args_t *args, unsigned timeout_ms,
				  sio_server_side_ack_fn cb, void *ud)
{
	const sio_adapter_ops_t *ops = nsp->adapter->ops;
	if (!ops->server_side_emit_ack)
		return -EOPNOTSUPP;
	return ops->server_side_emit_ack(
	    nsp->adapter, event, args,
	    timeout_ms ? timeout_ms : SIO_CLUSTER_TIMEOUT_MS, cb, ud);
}

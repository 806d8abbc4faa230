/* socketio/namespace.c: registration on dynamic namespaces, and what a
 * freed server does with a broadcast ack (socketio/ack.c) or a fetch of
 * sockets (sio_fetch_remote_sockets, socketio/cluster.c) still pending. */
#include "../test.h"
#include "internal.h"

#include <errno.h>
#include <event2/event.h>

static void on_event(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud, (void)s, (void)event, (void)args, (void)ack;
}

/* A child made by a dynamic parent runs the parent's handlers: handlers
 * registered on the child itself were accepted and never ran. */
static void test_dynamic_child_registration(sio_server_t *srv)
{
	sio_nsp_t *parent = sio_of_pattern(srv, "^/dyn-[0-9]+$");
	CHECK(parent != NULL);
	CHECK_INT(sio_nsp_on(parent, "x", on_event, NULL), 0);
	sio_nsp_t *child = sio__nsp_find(srv, "/dyn-1");
	CHECK(child != NULL && child != parent);
	CHECK_STR(sio_nsp_name(child), "/dyn-1");
	CHECK(sio_of(srv, "/dyn-1") == child);
	CHECK_INT(sio_nsp_on(child, "x", on_event, NULL), -EINVAL);
	CHECK_INT(sio_nsp_on_any(child, on_event, NULL), -EINVAL);
	CHECK(sio__nsp_find(srv, "/dyn-x") == NULL);
	CHECK(sio__nsp_find(srv, "/dyn-1") == child);
}

static int acked, ack_err = 1;
static size_t ack_n = 99;

static void on_acks(void *ud, int err, size_t n, const sio_args_t *responses)
{
	(void)ud, (void)responses;
	acked++;
	ack_err = err;
	ack_n = n;
}

/* A broadcast with ack to nobody, the server freed before the loop ran:
 * the gatherer and its timer leaked (and, had the loop run, the callback
 * came after the server was gone). */
static void test_broadcast_ack_pending_at_free(struct event_base *base)
{
	sio_server_t *srv = sio_server_new(base, NULL);
	CHECK(srv != NULL);
	CHECK_INT(sio_emit_with_ack(sio_of(srv, "/"), NULL, "ev", NULL, 1000,
				    on_acks, NULL),
		  0);
	CHECK_INT(acked, 0); /* never from inside the call */
	sio_server_free(srv);
	CHECK_INT(acked, 1);
	CHECK_INT(ack_err, -ECONNRESET);
	CHECK_INT(ack_n, 0);
	event_base_loop(base, EVLOOP_NONBLOCK); /* nothing left to fire */
	CHECK_INT(acked, 1);
}

static int fetched, fetch_err = 1;
static size_t fetch_n = 99;

static void on_fetched(void *ud, int err, const sio_remote_socket_t *sockets,
		       size_t n)
{
	(void)ud, (void)sockets;
	fetched++;
	fetch_err = err;
	fetch_n = n;
}

/* In memory, a fetch answers this node's sockets on the next loop
 * iteration, never during the call; a server freed first calls back with
 * -ECONNRESET, once, and leaves nothing to fire. */
static void test_fetch_local(struct event_base *base)
{
	sio_server_t *srv = sio_server_new(base, NULL);
	CHECK(srv != NULL);
	sio_nsp_t *root = sio_of(srv, "/");
	CHECK_INT(sio_fetch_remote_sockets(root, NULL, 0, on_fetched, NULL),
		  0);
	CHECK_INT(fetched, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(fetched, 1);
	CHECK_INT(fetch_err, 0);
	CHECK_INT(fetch_n, 0);

	const char *room = "r";
	sio_target_t to = {&room, 1, NULL, 0, SIO_LOCAL};
	CHECK_INT(sio_fetch_remote_sockets(root, &to, 100, on_fetched, NULL),
		  0);
	CHECK_INT(fetched, 1);
	sio_server_free(srv);
	CHECK_INT(fetched, 2);
	CHECK_INT(fetch_err, -ECONNRESET);
	CHECK_INT(fetch_n, 0);
	event_base_loop(base, EVLOOP_NONBLOCK); /* nothing left to fire */
	CHECK_INT(fetched, 2);
}

int main(void)
{
	struct event_base *base = event_base_new();
	sio_server_t *srv = sio_server_new(base, NULL);
	test_dynamic_child_registration(srv);
	sio_server_free(srv);
	test_broadcast_ack_pending_at_free(base);
	test_fetch_local(base);
	event_base_free(base);
	TEST_EXIT();
}

/* End-to-end test of libsocketio: real sio_servers on 127.0.0.1 driven by
 * event_base_dispatch() in the main thread, and a client thread speaking
 * raw WebSocket (Engine.IO v4, Socket.IO v5) over blocking sockets
 * (tests/client.c).
 *
 * The server side runs only on the loop thread: the client drives it with
 * events ("join", "to-room", "ask", ...) whose handlers use the public API
 * and report what they saw in acks or events, so that every check runs in
 * the client thread and looks at the exact bytes on the wire.
 *
 * Server 1: middleware refusing auth with "deny", handlers on "/", and a
 * dynamic parent "^/dyn-[0-9]+$". Server 2: the same handlers and
 * middleware on "/", with connection-state recovery on. */
#define _GNU_SOURCE /* memmem */
#include "../test.h"

/* after test.h: see client.h */
#include "../client.h"
#include "sio.h"

#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t port1, port2;

/* --- server side (main thread) ---------------------------------------- */

static sio_nsp_t *dyn_parent;
static int n_connections, n_disconnects;

/* What the disconnect callbacks saw, per socket id (the latest record of
 * an id counts: a recovered socket keeps its id). */
typedef struct {
	char id[21];
	char disconnecting[40], reason[40];
	int rooms;     /* rooms still joined in disconnecting */
	int connected; /* sio_socket_connected() in disconnect */
} record_t;
static record_t records[1024];
static size_t n_records;

static record_t *record_find(const char *id)
{
	for (size_t i = n_records; i-- > 0;)
		if (strcmp(records[i].id, id) == 0)
			return &records[i];
	return NULL;
}

/* the ids of sockets kept connected until the servers are freed */
static char keeper_id[2][21];
static int keeper_fd[2] = {-1, -1};

static int mw_deny(void *ud, sio_socket_t *s, sio_error_t *err)
{
	(void)ud;
	if (!strstr(sio_socket_auth(s), "\"deny\""))
		return 0;
	err->message = "no";
	err->data_json = "{\"a\":1}";
	return 1;
}

static void on_connection(void *ud, sio_socket_t *s)
{
	(void)ud;
	(void)s;
	n_connections++;
}

static void on_disconnecting(void *ud, sio_socket_t *s, const char *reason)
{
	(void)ud;
	if (n_records == sizeof(records) / sizeof(*records))
		return;
	record_t *r = &records[n_records++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", sio_socket_id(s));
	snprintf(r->disconnecting, sizeof(r->disconnecting), "%s", reason);
	r->rooms = (int)sio_socket_rooms(s, NULL, 0);
	r->connected = -1;
	snprintf(r->reason, sizeof(r->reason), "(none)");
}

static void on_disconnect(void *ud, sio_socket_t *s, const char *reason)
{
	(void)ud;
	n_disconnects++;
	record_t *r = record_find(sio_socket_id(s));
	if (!r)
		return;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->connected = sio_socket_connected(s);
}

/* The arguments as a json-c array (an empty one when absent). */
static json_object *parse(const sio_args_t *args)
{
	json_object *t = sio_args_parse(args);
	return t ? t : json_object_new_array();
}

static const char *str_at(json_object *t, size_t i)
{
	json_object *o = json_object_array_get_idx(t, i);
	return json_object_is_type(o, json_type_string)
		   ? json_object_get_string(o)
		   : NULL;
}

static const char *json_at(json_object *t, size_t i)
{
	return json_object_to_json_string_ext(json_object_array_get_idx(t, i),
					      JSON_C_TO_STRING_PLAIN);
}

static void ack_json(sio_ack_t *ack, const char *json)
{
	sio_args_t a = {json, 0, NULL, 0};
	sio_ack_send(ack, &a);
}

/* echo: the arguments back, as they came (attachments included), in the
 * ack or else in "echo-back" */
static void on_echo(void *ud, sio_socket_t *s, const char *event,
		    const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	if (ack->id >= 0)
		sio_ack_send(ack, args);
	else
		sio_socket_emit(s, "echo-back", args);
}

/* numeric event names reach the catch-all handler */
static void on_any(void *ud, sio_socket_t *s, const char *event,
		   const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)ack;
	if (event[0] < '0' || event[0] > '9')
		return;
	char json[300];
	snprintf(json, sizeof(json), "[\"%s\",%.*s]", event,
		 (int)(args->len ? args->len : strlen(args->json)), args->json);
	sio_args_t a = {json, 0, NULL, 0};
	sio_socket_emit(s, "any", &a);
}

/* whoami: [auth, id, recovered, [rooms], state] */
static void on_whoami(void *ud, sio_socket_t *s, const char *event,
		      const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)args;
	char json[1024];
	const char *rooms[16];
	size_t n = sio_socket_rooms(s, rooms, 16);
	const char *state = sio_socket_state(s);
	int k =
	    snprintf(json, sizeof(json), "[%s,\"%s\",%d,[", sio_socket_auth(s),
		     sio_socket_id(s), sio_socket_recovered(s));
	for (size_t i = 0; i < n && i < 16; i++)
		k += snprintf(json + k, sizeof(json) - (size_t)k, "%s\"%s\"",
			      i ? "," : "", rooms[i]);
	snprintf(json + k, sizeof(json) - (size_t)k, "],%s]",
		 state ? state : "null");
	ack_json(ack, json);
}

/* join room: ["ok", size of the room] */
static void on_join(void *ud, sio_socket_t *s, const char *event,
		    const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *t = parse(args);
	const char *room = str_at(t, 0);
	char json[64];
	if (room && sio_socket_join(s, room) == 0 && sio_socket_in(s, room))
		snprintf(json, sizeof(json), "[\"ok\",%zu]",
			 sio_room_size(sio_socket_nsp(s), room));
	else
		snprintf(json, sizeof(json), "[\"failed\"]");
	ack_json(ack, json);
	json_object_put(t);
}

static void on_leave(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *t = parse(args);
	const char *room = str_at(t, 0);
	if (room)
		sio_socket_leave(s, room);
	char json[64];
	snprintf(json, sizeof(json), "[%d]",
		 room ? sio_socket_in(s, room) : -1);
	ack_json(ack, json);
	json_object_put(t);
}

/* size room|null: [sio_room_size] */
static void on_size(void *ud, sio_socket_t *s, const char *event,
		    const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *t = parse(args);
	char json[64];
	snprintf(json, sizeof(json), "[%zu]",
		 sio_room_size(sio_socket_nsp(s), str_at(t, 0)));
	ack_json(ack, json);
	json_object_put(t);
}

/* to-room room payload [except]: sio_emit "room-msg" payload to the room
 * (but the except room); acks [result] */
static void on_to_room(void *ud, sio_socket_t *s, const char *event,
		       const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *t = parse(args);
	const char *room = str_at(t, 0), *except = str_at(t, 2);
	char json[512], res[32];
	snprintf(json, sizeof(json), "[%s]", json_at(t, 1));
	sio_args_t a = {json, 0, NULL, 0};
	const char *rooms[1] = {room}, *ex[1] = {except};
	sio_target_t to = {rooms, 1, ex, except ? 1 : 0, 0};
	int r =
	    room ? sio_emit(sio_socket_nsp(s), &to, "room-msg", &a) : -EINVAL;
	snprintf(res, sizeof(res), "[%d]", r);
	ack_json(ack, res);
	json_object_put(t);
}

/* bcast args...: "bcast" with the same arguments to the namespace but
 * the sender */
static void on_bcast(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	char res[32];
	snprintf(res, sizeof(res), "[%d]",
		 sio_socket_broadcast(s, NULL, "bcast", args));
	ack_json(ack, res);
}

static void on_answer(void *ud, sio_socket_t *s, int err,
		      const sio_args_t *args)
{
	(void)ud;
	char json[512];
	if (args)
		snprintf(json, sizeof(json), "[%d,%.*s]", err,
			 (int)(args->len ? args->len : strlen(args->json)),
			 args->json);
	else
		snprintf(json, sizeof(json), "[%d,null]", err);
	sio_args_t a = {json, 0, NULL, 0};
	sio_socket_emit(s, "answer-got", &a);
}

/* ask timeout_ms: emits "question" [1] with an ack; the answer (or the
 * error) comes back as "answer-got" [err, args] */
static void on_ask(void *ud, sio_socket_t *s, const char *event,
		   const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	json_object *t = parse(args);
	int ms = json_object_get_int(json_object_array_get_idx(t, 0));
	sio_args_t q = {"[1]", 0, NULL, 0};
	sio_socket_emit_with_ack(s, "question", &q, (unsigned)ms, on_answer,
				 NULL);
	json_object_put(t);
}

typedef struct poll_ctx {
	sio_nsp_t *nsp;
	char id[21];
} poll_ctx_t;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The answers of a broadcast with ack, sorted, to the asker (its own
 * room): "poll-result" [err, n, answers...] */
static void on_poll(void *ud, int err, size_t n, const sio_args_t *responses)
{
	poll_ctx_t *ctx = ud;
	const char **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = responses[i].json;
	qsort(v, n, sizeof(*v), cmp_str);
	char json[1024];
	int k = snprintf(json, sizeof(json), "[%d,%zu", err, n);
	for (size_t i = 0; i < n; i++)
		k += snprintf(json + k, sizeof(json) - (size_t)k, ",%s", v[i]);
	snprintf(json + k, sizeof(json) - (size_t)k, "]");
	sio_args_t a = {json, 0, NULL, 0};
	const char *rooms[1] = {ctx->id};
	sio_target_t to = {rooms, 1, NULL, 0, 0};
	sio_emit(ctx->nsp, &to, "poll-result", &a);
	free(v);
	free(ctx);
}

/* ask-room room timeout_ms: sio_emit_with_ack "poll" to the room */
static void on_ask_room(void *ud, sio_socket_t *s, const char *event,
			const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	json_object *t = parse(args);
	const char *room = str_at(t, 0);
	int ms = json_object_get_int(json_object_array_get_idx(t, 1));
	poll_ctx_t *ctx = calloc(1, sizeof(*ctx));
	ctx->nsp = sio_socket_nsp(s);
	snprintf(ctx->id, sizeof(ctx->id), "%s", sio_socket_id(s));
	const char *rooms[1] = {room};
	sio_target_t to = {rooms, 1, NULL, 0, 0};
	if (sio_emit_with_ack(ctx->nsp, &to, "poll", NULL, (unsigned)ms,
			      on_poll, ctx) < 0)
		free(ctx);
	json_object_put(t);
}

/* disconnect-me close: sio_socket_disconnect */
static void on_disconnect_me(void *ud, sio_socket_t *s, const char *event,
			     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	json_object *t = parse(args);
	int close = json_object_get_boolean(json_object_array_get_idx(t, 0));
	json_object_put(t);
	sio_socket_disconnect(s, close);
}

/* reason id: [disconnecting reason, disconnect reason, rooms still
 * joined in disconnecting, connected in disconnect] of socket `id`, or []
 * when it did not disconnect */
static void on_reason(void *ud, sio_socket_t *s, const char *event,
		      const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)s;
	(void)event;
	json_object *t = parse(args);
	const char *id = str_at(t, 0);
	record_t *r = id ? record_find(id) : NULL;
	char json[256];
	if (r)
		snprintf(json, sizeof(json), "[\"%s\",\"%s\",%d,%d]",
			 r->disconnecting, r->reason, r->rooms, r->connected);
	else
		snprintf(json, sizeof(json), "[]");
	ack_json(ack, json);
	json_object_put(t);
}

/* set-state json: sio_socket_set_state */
static void on_set_state(void *ud, sio_socket_t *s, const char *event,
			 const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *t = parse(args);
	char res[32];
	snprintf(res, sizeof(res), "[%d]",
		 sio_socket_set_state(s, json_at(t, 0)));
	ack_json(ack, res);
	json_object_put(t);
}

/* fetch room except: sio_fetch_remote_sockets of the sockets in room but
 * except (null: none); acks [err, called during the call,
 * [[id, [rooms], data], ...] sorted by id] */
static int fetch_calling;

static int by_id(const void *x, const void *y)
{
	const sio_remote_socket_t *const *a = x, *const *b = y;
	return strcmp((*a)->id, (*b)->id);
}

static void on_fetched(void *ud, int err, const sio_remote_socket_t *sockets,
		       size_t n)
{
	sio_ack_t *ack = ud;
	const sio_remote_socket_t *v[16];
	n = n < 16 ? n : 16;
	for (size_t i = 0; i < n; i++)
		v[i] = &sockets[i];
	qsort(v, n, sizeof(*v), by_id);
	char res[1024];
	size_t k = (size_t)snprintf(res, sizeof(res), "[%d,%d,[", err,
				    fetch_calling);
	for (size_t i = 0; i < n && k < sizeof(res); i++) {
		k += (size_t)snprintf(res + k, sizeof(res) - k, "%s[\"%s\",[",
				      i ? "," : "", v[i]->id);
		for (size_t r = 0; r < v[i]->nrooms && k < sizeof(res); r++)
			k += (size_t)snprintf(res + k, sizeof(res) - k,
					      "%s\"%s\"", r ? "," : "",
					      v[i]->rooms[r]);
		if (k < sizeof(res))
			k += (size_t)snprintf(res + k, sizeof(res) - k, "],%s]",
					      v[i]->data_json);
	}
	if (k < sizeof(res))
		snprintf(res + k, sizeof(res) - k, "]]");
	ack_json(ack, res);
	free(ack);
}

static void on_fetch(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *t = parse(args);
	const char *room = str_at(t, 0), *except = str_at(t, 1);
	sio_target_t to = {&room, 1, &except, except ? 1 : 0, 0};
	sio_ack_t *copy = malloc(sizeof(*copy));
	if (copy) {
		*copy = *ack;
		fetch_calling = 1;
		if (sio_fetch_remote_sockets(sio_socket_nsp(s), &to, 0,
					     on_fetched, copy) < 0)
			free(copy);
		fetch_calling = 0;
	}
	json_object_put(t);
}

/* dyn-hello: sio_emit on the dynamic parent reaches every child */
static void on_dyn_hello(void *ud, sio_socket_t *s, const char *event,
			 const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)s;
	(void)event;
	(void)args;
	sio_args_t a = {"[1]", 0, NULL, 0};
	char res[32];
	snprintf(res, sizeof(res), "[%d]",
		 sio_emit(dyn_parent, NULL, "hello", &a));
	ack_json(ack, res);
}

static int register_handlers(sio_nsp_t *nsp)
{
	static const struct {
		const char *event;
		sio_event_fn fn;
	} h[] = {
	    {"echo", on_echo},		 {"whoami", on_whoami},
	    {"join", on_join},		 {"leave", on_leave},
	    {"size", on_size},		 {"to-room", on_to_room},
	    {"bcast", on_bcast},	 {"ask", on_ask},
	    {"ask-room", on_ask_room},	 {"disconnect-me", on_disconnect_me},
	    {"reason", on_reason},	 {"set-state", on_set_state},
	    {"dyn-hello", on_dyn_hello}, {"fetch", on_fetch},
	};
	int r = 0;
	for (size_t i = 0; i < sizeof(h) / sizeof(*h); i++)
		r |= sio_nsp_on(nsp, h[i].event, h[i].fn, NULL);
	r |= sio_nsp_on_any(nsp, on_any, NULL);
	r |= sio_nsp_on_connection(nsp, on_connection, NULL);
	r |= sio_nsp_on_disconnecting(nsp, on_disconnecting, NULL);
	r |= sio_nsp_on_disconnect(nsp, on_disconnect, NULL);
	return r;
}

/* --- client side (client thread) --------------------------------------- */

static void send_text(client_t *c, const char *s)
{
	ws_send(c, 1, s, strlen(s));
}

/* The next Engine.IO packet ("40{...}", or the raw bytes of a binary
 * message), pings answered on the way. NULL once the connection closed
 * (close frame or EOF) or on timeout. */
static char *next_msg(client_t *c, int *binary, size_t *len)
{
	for (;;) {
		int b0;
		char *p;
		if (ws_recv(c, &b0, &p, len, NULL) < 0)
			return NULL;
		if (b0 == 0x81 && *len == 1 && p[0] == '2') {
			send_text(c, "3");
			free(p);
			continue;
		}
		if (b0 == 0x81 || b0 == 0x82) {
			*binary = b0 == 0x82;
			return p;
		}
		free(p);
		if (b0 == 0x88) /* close */
			return NULL;
	}
}

/* The next message is the text `want`. */
static void expect_at(int line, client_t *c, const char *want)
{
	int bin;
	size_t len;
	char *m = next_msg(c, &bin, &len);
	test_checks++;
	if (!m)
		TEST_FAIL("line %d: expected %s, got nothing", line, want);
	else if (bin || len != strlen(want) || memcmp(m, want, len) != 0)
		TEST_FAIL("line %d: got %s\"%s\", expected \"%s\"", line,
			  bin ? "(binary) " : "", m, want);
	free(m);
}
#define EXPECT(c, want) expect_at(__LINE__, c, want)

/* The next message as a string (text only), or NULL. */
static char *next_text(int line, client_t *c)
{
	int bin;
	size_t len;
	char *m = next_msg(c, &bin, &len);
	if (!m) {
		TEST_FAIL("line %d: no message", line);
		return NULL;
	}
	if (bin) {
		TEST_FAIL("line %d: a binary message", line);
		free(m);
		return NULL;
	}
	return m;
}

/* The server closes the connection: a close frame or EOF, no message. */
static void expect_closed_at(int line, client_t *c)
{
	for (;;) {
		int b0, eof;
		char *p;
		size_t len;
		if (ws_recv(c, &b0, &p, &len, &eof) < 0) {
			test_checks++;
			if (!eof)
				TEST_FAIL("line %d: not closed (timeout)",
					  line);
			return;
		}
		if (b0 == 0x81 && len == 1 && p[0] == '2') {
			free(p); /* a ping: not a message */
			continue;
		}
		if (b0 != 0x88) {
			TEST_FAIL("line %d: got \"%s\" instead of the close",
				  line, p);
			free(p);
			return;
		}
		free(p);
	}
}
#define EXPECT_CLOSED(c) expect_closed_at(__LINE__, c)

/* A client with a WebSocket Engine.IO session (the open packet read), or
 * NULL. */
static client_t *ws_open_at(int line, uint16_t port)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("line %d: connect: %s", line, strerror(errno));
		free(c);
		return NULL;
	}
	static const char req[] =
	    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
	    "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	client_send(c, req, sizeof(req) - 1);
	char *end;
	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (client_fill(c) <= 0) {
			TEST_FAIL("line %d: no 101", line);
			goto fail;
		}
	if (strncmp(c->buf, "HTTP/1.1 101 ", 13) != 0) {
		TEST_FAIL("line %d: %.*s", line, (int)(end - c->buf), c->buf);
		goto fail;
	}
	size_t hl = (size_t)(end - c->buf) + 4;
	memmove(c->buf, c->buf + hl, c->len - hl);
	c->len -= hl;
	int bin;
	size_t len;
	char *open = next_msg(c, &bin, &len);
	if (!open || strncmp(open, "0{\"sid\":\"", 9) != 0) {
		TEST_FAIL("line %d: open packet %s", line, open ? open : "-");
		free(open);
		goto fail;
	}
	free(open);
	return c;
fail:
	close(c->fd);
	free(c);
	return NULL;
}
#define WS_OPEN(port) ws_open_at(__LINE__, port)

static int id_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* A 20-character id at `p` followed by a quote: copied to out. */
static int take_id(const char *p, char out[21])
{
	for (int i = 0; i < 20; i++)
		if (!id_char(p[i]))
			return -1;
	if (p[20] != '"')
		return -1;
	memcpy(out, p, 20);
	out[20] = '\0';
	return 0;
}

/* Sends the CONNECT `packet` ("40", "40/a,{...}") and expects the answer
 * "40<nsp>{"sid":"<20>"}" (with "pid" when `pid` is not NULL): fills sid
 * and pid. */
static int connect_at(int line, client_t *c, const char *packet,
		      const char *nsp, char sid[21], char pid[21])
{
	send_text(c, packet);
	char *m = next_text(line, c);
	if (!m)
		return -1;
	char head[300];
	snprintf(head, sizeof(head), "40%s{\"sid\":\"", nsp);
	size_t hl = strlen(head);
	int ok = strncmp(m, head, hl) == 0 && take_id(m + hl, sid) == 0;
	if (ok && pid)
		ok = strncmp(m + hl + 21, ",\"pid\":\"", 8) == 0 &&
		     take_id(m + hl + 29, pid) == 0 &&
		     strcmp(m + hl + 50, "}") == 0;
	else if (ok)
		ok = strcmp(m + hl + 21, "}") == 0;
	test_checks++;
	if (!ok)
		TEST_FAIL("line %d: CONNECT answer \"%s\"", line, m);
	free(m);
	return ok ? 0 : -1;
}
#define CONNECT(c, packet, nsp, sid, pid)                                      \
	connect_at(__LINE__, c, packet, nsp, sid, pid)

/* Emits `json` (an event array) with an ack id in namespace prefix `nsp`
 * ("" or "/a,") and returns the ack's arguments (malloc'ed), or NULL. */
static char *call_at(int line, client_t *c, const char *nsp, const char *json)
{
	int id = c->next_id++;
	size_t n = strlen(json) + strlen(nsp) + 32;
	char *pkt = malloc(n);
	snprintf(pkt, n, "42%s%d%s", nsp, id, json);
	send_text(c, pkt);
	char head[64];
	snprintf(head, sizeof(head), "43%s%d", nsp, id);
	free(pkt);
	char *m = next_text(line, c);
	if (!m)
		return NULL;
	size_t hl = strlen(head);
	if (strncmp(m, head, hl) != 0 || m[hl] != '[') {
		TEST_FAIL("line %d: %s: got \"%s\", expected the ack %s[...]",
			  line, json, m, head);
		free(m);
		return NULL;
	}
	memmove(m, m + hl, strlen(m + hl) + 1);
	return m;
}

static void call_expect_at(int line, client_t *c, const char *nsp,
			   const char *json, const char *want)
{
	char *r = call_at(line, c, nsp, json);
	test_checks++;
	if (r && strcmp(r, want) != 0)
		TEST_FAIL("line %d: %s answered %s, expected %s", line, json, r,
			  want);
	free(r);
}
#define CALL(c, json, want) call_expect_at(__LINE__, c, "", json, want)
#define CALL_NS(c, nsp, json, want) call_expect_at(__LINE__, c, nsp, json, want)

/* Sends the event `json` with the next ack id, which it returns. */
static int send_event(client_t *c, const char *json)
{
	int id = c->next_id++;
	size_t n = strlen(json) + 32;
	char *pkt = malloc(n);
	snprintf(pkt, n, "42%d%s", id, json);
	send_text(c, pkt);
	free(pkt);
	return id;
}

/* The next message is the ack "43<id><want>". */
static void expect_ack_at(int line, client_t *c, int id, const char *want)
{
	char w[512];
	snprintf(w, sizeof(w), "43%d%s", id, want);
	expect_at(line, c, w);
}
#define EXPECT_ACK(c, id, want) expect_ack_at(__LINE__, c, id, want)

/* Asks (through c, connected to "/") what the disconnect callbacks of
 * socket `id` saw, until they ran (a close on another connection reaches
 * the server when it does), and compares with `want`; returns it. */
static char *reason_of_at(int line, client_t *c, const char *id)
{
	char q[64];
	snprintf(q, sizeof(q), "[\"reason\",\"%s\"]", id);
	char *r = NULL;
	for (int i = 0; i < 300; i++) {
		free(r);
		r = call_at(line, c, "", q);
		if (!r || strcmp(r, "[]") != 0)
			break;
		usleep(10000);
	}
	return r;
}

static void expect_reason_at(int line, client_t *c, const char *id,
			     const char *want)
{
	char *r = reason_of_at(line, c, id);
	test_checks++;
	if (!r || strcmp(r, want) != 0)
		TEST_FAIL("line %d: disconnect of %s: %s, expected %s", line,
			  id, r ? r : "-", want);
	free(r);
}
#define EXPECT_REASON(c, id, want) expect_reason_at(__LINE__, c, id, want)

/* The ack id of an event "42<id>[...]" from the server, or -1. */
static long event_id(const char *m, const char *rest)
{
	if (strncmp(m, "42", 2) != 0)
		return -1;
	char *end;
	long id = strtol(m + 2, &end, 10);
	if (end == m + 2 || strcmp(end, rest) != 0)
		return -1;
	return id;
}

/* The last string argument of an event (the recovery offset). */
static int last_string(const char *m, char *out, size_t cap)
{
	size_t n = strlen(m);
	if (n < 4 || strcmp(m + n - 2, "\"]") != 0)
		return -1;
	const char *q = m + n - 3;
	while (q > m && *q != '"')
		q--;
	if (q <= m || q[-1] != ',' || (size_t)(m + n - 2 - q - 1) >= cap)
		return -1;
	size_t len = (size_t)(m + n - 2 - q - 1);
	memcpy(out, q + 1, len);
	out[len] = '\0';
	return 0;
}

/* --- the tests --------------------------------------------------------- */

static void test_basics(void)
{
	client_t *a = WS_OPEN(port1), *b = WS_OPEN(port1);
	char sa[21], sb[21], want[512];
	if (!a || !b)
		goto out;
	if (CONNECT(a, "40", "", sa, NULL) < 0 ||
	    CONNECT(b, "40{\"token\":\"x\"}", "", sb, NULL) < 0)
		goto out;
	CHECK(strcmp(sa, sb) != 0);
	/* the auth payload, "{}" without one; not recovered; own room */
	snprintf(want, sizeof(want), "[{},\"%s\",0,[\"%s\"],null]", sa, sa);
	CALL(a, "[\"whoami\"]", want);
	snprintf(want, sizeof(want),
		 "[{\"token\":\"x\"},\"%s\",0,[\"%s\"],null]", sb, sb);
	CALL(b, "[\"whoami\"]", want);

	/* the handler gets the exact arguments; sio_ack_send answers
	 * "43<id>[...]" */
	CALL(a, "[\"echo\",1,{\"a\":[true]},\"s\"]",
	     "[1,{\"a\":[true]},\"s\"]");
	CALL(a, "[ \"echo\" , 1 ]", "[1 ]");
	CALL(a, "[\"echo\"]", "[]");
	CALL(a, "[\"echo\",\"\\u00e9\\n\",-0.5e1]", "[\"\\u00e9\\n\",-0.5e1]");
	/* without an ack id: an event back */
	send_text(a, "42[\"echo\",\"x\"]");
	EXPECT(a, "42[\"echo-back\",\"x\"]");
	/* an escaped event name is decoded before matching */
	send_text(a, "42[\"\\u0065cho\",\"y\"]");
	EXPECT(a, "42[\"echo-back\",\"y\"]");
	/* a number as event name */
	send_text(a, "42[42,true]");
	EXPECT(a, "42[\"any\",\"42\",[true]]");
	/* no handler: nothing, the next ack comes first */
	send_text(a, "42[\"nobody\",1]");
	CALL(a, "[\"echo\",2]", "[2]");

	/* a binary event: the handler gets the attachments, and its ack
	 * sends them back */
	send_text(a, "451-7[\"echo\",{\"_placeholder\":true,\"num\":0}]");
	ws_send(a, 2, "\x01\x02\x00\x03", 4);
	EXPECT(a, "461-7[{\"_placeholder\":true,\"num\":0}]");
	int bin = 0;
	size_t len = 0;
	char *m = next_msg(a, &bin, &len);
	CHECK(m && bin);
	if (m)
		CHECK_MEM(m, len, "\x01\x02\x00\x03", 4);
	free(m);
	/* two attachments, one empty, without ack: the event back */
	send_text(a, "452-[\"echo\",{\"_placeholder\":true,\"num\":1},"
		     "{\"_placeholder\":true,\"num\":0}]");
	ws_send(a, 2, "AB", 2);
	ws_send(a, 2, "", 0);
	EXPECT(a, "452-[\"echo-back\",{\"_placeholder\":true,\"num\":1},"
		  "{\"_placeholder\":true,\"num\":0}]");
	m = next_msg(a, &bin, &len);
	CHECK(m && bin);
	if (m)
		CHECK_MEM(m, len, "AB", 2);
	free(m);
	m = next_msg(a, &bin, &len);
	CHECK(m && bin && len == 0);
	free(m);

	/* emit with ack from the server: the client's answer reaches the
	 * sio_ack_fn */
	send_text(a, "42[\"ask\",5000]");
	m = next_text(__LINE__, a);
	long id = m ? event_id(m, "[\"question\",1]") : -1;
	if (id < 0) {
		TEST_FAIL("question: %s", m ? m : "-");
	} else {
		char ans[64];
		snprintf(ans, sizeof(ans), "43%ld[\"yes\",{\"n\":2}]", id);
		send_text(a, ans);
		EXPECT(a, "42[\"answer-got\",0,[\"yes\",{\"n\":2}]]");
	}
	free(m);
	/* the next one gets another id */
	send_text(a, "42[\"ask\",5000]");
	m = next_text(__LINE__, a);
	long id2 = m ? event_id(m, "[\"question\",1]") : -1;
	CHECK(id2 >= 0 && id2 != id);
	free(m);
	if (id2 >= 0) {
		char ans[64];
		snprintf(ans, sizeof(ans), "43%ld[]", id2);
		send_text(a, ans);
		EXPECT(a, "42[\"answer-got\",0,[]]");
		/* a second answer to the same id is ignored */
		send_text(a, ans);
		CALL(a, "[\"echo\",3]", "[3]");
	}
	/* not answered in time: -ETIMEDOUT; the late answer is ignored */
	send_text(a, "42[\"ask\",100]");
	m = next_text(__LINE__, a);
	id = m ? event_id(m, "[\"question\",1]") : -1;
	CHECK(id >= 0);
	free(m);
	snprintf(want, sizeof(want), "42[\"answer-got\",%d,null]", -ETIMEDOUT);
	EXPECT(a, want);
	if (id >= 0) {
		char ans[64];
		snprintf(ans, sizeof(ans), "43%ld[\"late\"]", id);
		send_text(a, ans);
	}
	CALL(a, "[\"echo\",4]", "[4]");

	/* middleware refusal: CONNECT_ERROR with message and data; the
	 * Engine.IO session stays, a later CONNECT succeeds */
	client_t *c = WS_OPEN(port1);
	if (c) {
		send_text(c, "40{\"deny\":true}");
		EXPECT(c, "44{\"message\":\"no\",\"data\":{\"a\":1}}");
		char sc[21];
		if (CONNECT(c, "40{\"ok\":1}", "", sc, NULL) == 0) {
			snprintf(want, sizeof(want),
				 "[{\"ok\":1},\"%s\",0,[\"%s\"],null]", sc, sc);
			CALL(c, "[\"whoami\"]", want);
		}
	}
	client_free(c);
out:
	client_free(a);
	client_free(b);
}

static void test_rooms(void)
{
	client_t *a = WS_OPEN(port1), *b = WS_OPEN(port1);
	char sa[21], sb[21], want[512];
	if (!a || !b || CONNECT(a, "40", "", sa, NULL) < 0 ||
	    CONNECT(b, "40", "", sb, NULL) < 0)
		goto out;
	CALL(a, "[\"join\",\"r1\"]", "[\"ok\",1]");
	CALL(a, "[\"join\",\"r1\"]", "[\"ok\",1]"); /* once only */
	CALL(b, "[\"size\",\"r1\"]", "[1]");
	CALL(b, "[\"size\",\"nothing\"]", "[0]");
	snprintf(want, sizeof(want), "[\"size\",\"%s\"]", sa);
	CALL(b, want, "[1]"); /* its own room */

	/* to the room: its member only */
	int id = send_event(a, "[\"to-room\",\"r1\",\"hi\"]");
	EXPECT(a, "42[\"room-msg\",\"hi\"]");
	EXPECT_ACK(a, id, "[0]");
	CALL(b, "[\"echo\",\"sync\"]", "[\"sync\"]"); /* b got nothing */

	CALL(b, "[\"join\",\"r1\"]", "[\"ok\",2]");
	CALL(b, "[\"join\",\"rx\"]", "[\"ok\",1]");
	snprintf(want, sizeof(want),
		 "[{},\"%s\",0,[\"%s\",\"r1\",\"rx\"],null]", sb, sb);
	CALL(b, "[\"whoami\"]", want);
	/* sio_fetch_remote_sockets in memory: later, this node's, by room
	 * and except, with rooms and data */
	CALL(b, "[\"set-state\",{\"k\":[1]}]", "[0]");
	const char *first = strcmp(sa, sb) < 0 ? sa : sb;
	const char *second = first == sa ? sb : sa;
	char ea[128], eb[128];
	snprintf(ea, sizeof(ea), "[\"%s\",[\"%s\",\"r1\"],{}]", sa, sa);
	snprintf(eb, sizeof(eb), "[\"%s\",[\"%s\",\"r1\",\"rx\"],{\"k\":[1]}]",
		 sb, sb);
	snprintf(want, sizeof(want), "[0,0,[%s,%s]]", first == sa ? ea : eb,
		 second == sa ? ea : eb);
	CALL(a, "[\"fetch\",\"r1\",null]", want);
	snprintf(want, sizeof(want), "[0,0,[%s]]", ea);
	CALL(a, "[\"fetch\",\"r1\",\"rx\"]", want);
	CALL(a, "[\"fetch\",\"nothing\",null]", "[0,0,[]]");
	/* except: b is in rx */
	id = send_event(a, "[\"to-room\",\"r1\",{\"p\":1},\"rx\"]");
	EXPECT(a, "42[\"room-msg\",{\"p\":1}]");
	EXPECT_ACK(a, id, "[0]");
	CALL(b, "[\"echo\",\"sync\"]", "[\"sync\"]");
	/* both */
	id = send_event(a, "[\"to-room\",\"r1\",\"all\"]");
	EXPECT(a, "42[\"room-msg\",\"all\"]");
	EXPECT_ACK(a, id, "[0]");
	EXPECT(b, "42[\"room-msg\",\"all\"]");
	/* to a room of one by its id */
	snprintf(want, sizeof(want), "[\"to-room\",\"%s\",\"you\"]", sb);
	id = send_event(a, want);
	EXPECT_ACK(a, id, "[0]");
	EXPECT(b, "42[\"room-msg\",\"you\"]");

	/* sio_socket_broadcast: everyone but the sender */
	CALL(a, "[\"bcast\",\"b1\",2]", "[0]");
	EXPECT(b, "42[\"bcast\",\"b1\",2]");
	CALL(a, "[\"echo\",\"sync\"]", "[\"sync\"]"); /* a got nothing */

	/* leave */
	CALL(a, "[\"leave\",\"r1\"]", "[0]");
	CALL(a, "[\"size\",\"r1\"]", "[1]");
	CALL(b, "[\"leave\",\"rx\"]", "[0]");
	CALL(b, "[\"size\",\"rx\"]", "[0]");
	CALL(b, "[\"leave\",\"never\"]", "[0]");

	/* a broadcast with ack to two clients gathers two answers */
	CALL(a, "[\"join\",\"pr\"]", "[\"ok\",1]");
	CALL(b, "[\"join\",\"pr\"]", "[\"ok\",2]");
	send_text(a, "42[\"ask-room\",\"pr\",5000]");
	char *ma = next_text(__LINE__, a), *mb = next_text(__LINE__, b);
	long ida = ma ? event_id(ma, "[\"poll\"]") : -1;
	long idb = mb ? event_id(mb, "[\"poll\"]") : -1;
	if (ida < 0 || idb < 0) {
		TEST_FAIL("poll: %s / %s", ma ? ma : "-", mb ? mb : "-");
	} else {
		char ans[64];
		snprintf(ans, sizeof(ans), "43%ld[\"B\"]", idb);
		send_text(b, ans);
		snprintf(ans, sizeof(ans), "43%ld[\"A\",1]", ida);
		send_text(a, ans);
		EXPECT(a, "42[\"poll-result\",0,2,[\"A\",1],[\"B\"]]");
	}
	free(ma);
	free(mb);
	/* one answers, the other does not: the timeout with one answer */
	send_text(a, "42[\"ask-room\",\"pr\",200]");
	ma = next_text(__LINE__, a);
	mb = next_text(__LINE__, b);
	idb = mb ? event_id(mb, "[\"poll\"]") : -1;
	CHECK(ma && event_id(ma, "[\"poll\"]") >= 0);
	if (idb >= 0) {
		char ans[64];
		snprintf(ans, sizeof(ans), "43%ld[\"B2\"]", idb);
		send_text(b, ans);
	}
	snprintf(want, sizeof(want), "42[\"poll-result\",%d,1,[\"B2\"]]",
		 -ETIMEDOUT);
	EXPECT(a, want);
	free(ma);
	free(mb);
	/* nobody in the room: at once, no answers */
	send_text(a, "42[\"ask-room\",\"empty\",5000]");
	EXPECT(a, "42[\"poll-result\",0,0]");

	/* sio_socket_disconnect: "41", the callbacks get "server namespace
	 * disconnect" (rooms still joined in disconnecting, not connected
	 * any more in disconnect); the session stays and can connect again */
	send_text(b, "42[\"disconnect-me\",false]");
	EXPECT(b, "41");
	char sb2[21];
	if (CONNECT(b, "40", "", sb2, NULL) == 0) {
		CHECK(strcmp(sb, sb2) != 0);
		EXPECT_REASON(b, sb,
			      "[\"server namespace disconnect\","
			      "\"server namespace disconnect\",3,0]");
		snprintf(want, sizeof(want), "[\"size\",\"%s\"]", sb);
		CALL(b, want, "[0]");
		CALL(b, "[\"size\",\"pr\"]", "[1]");
	}
	/* the client disconnects: "client namespace disconnect" */
	send_text(b, "41");
	EXPECT_REASON(a, sb2,
		      "[\"client namespace disconnect\","
		      "\"client namespace disconnect\",1,0]");
	/* events to a namespace left: a protocol error, the connection
	 * closes */
	send_text(b, "42[\"echo\"]");
	EXPECT_CLOSED(b);
	CALL(a, "[\"echo\",\"still\"]", "[\"still\"]");
out:
	client_free(a);
	client_free(b);
}

/* A malformed packet closes its client only ("parse error"); the others
 * go on. */
static void test_malformed(void)
{
	static const struct {
		const char *text;      /* a text message, or NULL */
		const char *bin;       /* or a binary one */
		const char *then_text; /* and one more text message */
	} bad[] = {
	    {"42[", NULL, NULL},
	    {"42[\"a\",]", NULL, NULL},
	    {"4x", NULL, NULL},
	    {"44{\"message\":\"x\"}", NULL, NULL},
	    {"42[\"connect\"]", NULL, NULL},
	    {"42{}", NULL, NULL},
	    {"43[]", NULL, NULL},
	    {"40", NULL, NULL},			 /* a second CONNECT to "/" */
	    {"42/other,[\"echo\"]", NULL, NULL}, /* not joined */
	    {"43/other,1[]", NULL, NULL},
	    {"4511-[\"echo\"]", NULL, NULL}, /* over 10 attachments */
	    {NULL, "\x01", NULL},	     /* no packet waits for it */
	    /* a text packet while attachments are awaited */
	    {"451-[\"echo\",{\"_placeholder\":true,\"num\":0}]", NULL,
	     "42[\"echo\"]"},
	};
	client_t *a = WS_OPEN(port1);
	char sa[21];
	if (!a || CONNECT(a, "40", "", sa, NULL) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		client_t *c = WS_OPEN(port1);
		char sc[21];
		if (!c || CONNECT(c, "40", "", sc, NULL) < 0) {
			client_free(c);
			continue;
		}
		CALL(c, "[\"join\",\"doomed\"]", "[\"ok\",1]");
		if (bad[i].text)
			send_text(c, bad[i].text);
		else
			ws_send(c, 2, bad[i].bin, strlen(bad[i].bin));
		if (bad[i].then_text)
			send_text(c, bad[i].then_text);
		EXPECT_CLOSED(c);
		/* the others still get answers and events */
		EXPECT_REASON(a, sc, "[\"parse error\",\"parse error\",2,0]");
		CALL(a, "[\"size\",\"doomed\"]", "[0]");
		CALL(a, "[\"bcast\",\"x\"]", "[0]");
		client_free(c);
	}
	/* an Engine.IO session closed by the client: "transport close" */
	client_t *c = WS_OPEN(port1);
	char sc[21];
	if (c && CONNECT(c, "40", "", sc, NULL) == 0) {
		ws_send(c, 8, "\x03\xe8", 2);
		EXPECT_CLOSED(c);
		EXPECT_REASON(a, sc,
			      "[\"transport close\",\"transport close\",1,0]");
	}
	client_free(c);
out:
	client_free(a);
}

static void test_dynamic(void)
{
	client_t *a = WS_OPEN(port1), *d = WS_OPEN(port1);
	char sa[21], sd[21], sd2[21];
	if (!a || !d || CONNECT(a, "40", "", sa, NULL) < 0)
		goto out;
	/* no "/" needed first */
	if (CONNECT(d, "40/dyn-1,", "/dyn-1,", sd, NULL) < 0)
		goto out;
	send_text(d, "40/dyn-x,");
	EXPECT(d, "44/dyn-x,{\"message\":\"Invalid namespace\"}");
	send_text(d, "40/dyn-12x,{}");
	EXPECT(d, "44/dyn-12x,{\"message\":\"Invalid namespace\"}");
	send_text(d, "40/nope,");
	EXPECT(d, "44/nope,{\"message\":\"Invalid namespace\"}");
	/* the parent's handlers serve the child */
	CALL_NS(d, "/dyn-1,", "[\"echo\",5]", "[5]");
	char want[256];
	snprintf(want, sizeof(want), "[{},\"%s\",0,[\"%s\"],null]", sd, sd);
	CALL_NS(d, "/dyn-1,", "[\"whoami\"]", want);
	/* emits to the parent reach every child */
	CALL(a, "[\"dyn-hello\"]", "[0]");
	EXPECT(d, "42/dyn-1,[\"hello\",1]");
	if (CONNECT(d, "40/dyn-22,{\"k\":2}", "/dyn-22,", sd2, NULL) == 0) {
		CHECK(strcmp(sd, sd2) != 0);
		CALL(a, "[\"dyn-hello\"]", "[0]");
		char *m1 = next_text(__LINE__, d), *m2 = next_text(__LINE__, d);
		int one = 0, two = 0;
		for (int i = 0; i < 2; i++) {
			const char *m = i ? m2 : m1;
			if (m && strcmp(m, "42/dyn-1,[\"hello\",1]") == 0)
				one++;
			else if (m && strcmp(m, "42/dyn-22,[\"hello\",1]") == 0)
				two++;
			else
				TEST_FAIL("dyn-hello: %s", m ? m : "-");
		}
		CHECK(one == 1 && two == 1);
		free(m1);
		free(m2);
		/* a room in one child is its own */
		CALL_NS(d, "/dyn-22,", "[\"join\",\"dr\"]", "[\"ok\",1]");
		CALL_NS(d, "/dyn-1,", "[\"size\",\"dr\"]", "[0]");
		CALL(a, "[\"size\",\"dr\"]", "[0]");
		/* leaving one child keeps the other */
		send_text(d, "41/dyn-1,");
		EXPECT_REASON(a, sd,
			      "[\"client namespace disconnect\","
			      "\"client namespace disconnect\",1,0]");
		CALL_NS(d, "/dyn-22,", "[\"echo\",6]", "[6]");
	}
	/* sio_socket_disconnect(s, 1): every namespace of the connection gets
	 * its DISCONNECT (as Node's client._disconnect()), then the close */
	client_t *e = WS_OPEN(port1);
	char se[21], se5[21];
	if (e && CONNECT(e, "40", "", se, NULL) == 0 &&
	    CONNECT(e, "40/dyn-5,", "/dyn-5,", se5, NULL) == 0) {
		send_text(e, "42[\"disconnect-me\",true]");
		char *m1 = next_text(__LINE__, e), *m2 = next_text(__LINE__, e);
		CHECK(
		    m1 && m2 &&
		    ((strcmp(m1, "41") == 0 && strcmp(m2, "41/dyn-5,") == 0) ||
		     (strcmp(m1, "41/dyn-5,") == 0 && strcmp(m2, "41") == 0)));
		free(m1);
		free(m2);
		EXPECT_CLOSED(e);
		EXPECT_REASON(a, se,
			      "[\"server namespace disconnect\","
			      "\"server namespace disconnect\",1,0]");
		EXPECT_REASON(a, se5,
			      "[\"server namespace disconnect\","
			      "\"server namespace disconnect\",1,0]");
	}
	client_free(e);
out:
	client_free(a);
	client_free(d);
}

static void test_recovery(void)
{
	client_t *q = WS_OPEN(port2), *r = WS_OPEN(port2), *r2 = NULL,
		 *r3 = NULL;
	char sq[21], pq[21], sr[21], pr[21], want[512];
	char off1[64] = "", off2[64] = "", off4[64] = "", off5[64] = "";
	char *m = NULL;
	if (!q || !r || CONNECT(q, "40", "", sq, pq) < 0 ||
	    CONNECT(r, "40", "", sr, pr) < 0)
		goto out;
	CHECK(strcmp(sr, pr) != 0);
	snprintf(want, sizeof(want), "[{},\"%s\",0,[\"%s\"],null]", sr, sr);
	CALL(r, "[\"whoami\"]", want);
	CALL(r, "[\"join\",\"rr\"]", "[\"ok\",1]");
	CALL(r, "[\"join\",\"rx\"]", "[\"ok\",1]");
	CALL(r, "[\"set-state\",{\"n\":1}]", "[0]");
	CALL(q, "[\"size\",null]", "[3]"); /* with the keeper */

	/* a broadcast carries an offset as its last argument; acks do not */
	CALL(q, "[\"to-room\",\"rr\",\"p1\"]", "[0]");
	m = next_text(__LINE__, r);
	if (!m || strncmp(m, "42[\"room-msg\",\"p1\",\"", 20) != 0 ||
	    last_string(m, off1, sizeof(off1)) < 0 || strlen(off1) < 7) {
		TEST_FAIL("broadcast without offset: %s", m ? m : "-");
		goto out;
	}
	free(m);
	m = NULL;
	/* so does an emit to one socket (through the adapter, as Node) */
	send_text(q, "42[\"echo\",\"e\"]");
	m = next_text(__LINE__, q);
	char offe[64];
	if (!m || strncmp(m, "42[\"echo-back\",\"e\",\"", 20) != 0 ||
	    last_string(m, offe, sizeof(offe)) < 0 ||
	    strncmp(offe, off1, 6) != 0 || strcmp(offe, off1) == 0)
		TEST_FAIL("echo-back offset: %s (after %s)", m ? m : "-", off1);
	free(m);
	m = NULL;

	/* the client drops without a word */
	close(r->fd);
	r->fd = -1;
	for (int i = 0; i < 300; i++) {
		char *s = call_at(__LINE__, q, "", "[\"size\",\"rr\"]");
		int gone = s && strcmp(s, "[0]") == 0;
		free(s);
		if (gone)
			break;
		usleep(10000);
	}
	CALL(q, "[\"size\",\"rr\"]", "[0]");
	CALL(q, "[\"size\",null]", "[2]");
	char *reason = reason_of_at(__LINE__, q, sr);
	CHECK(reason && (strcmp(reason, "[\"transport close\","
					"\"transport close\",3,0]") == 0 ||
			 strcmp(reason, "[\"transport error\","
					"\"transport error\",3,0]") == 0));
	free(reason);

	/* missed: to its room, and to all but q; not: another room, or its
	 * room but one it is in */
	CALL(q, "[\"to-room\",\"rr\",\"p2\"]", "[0]");
	CALL(q, "[\"to-room\",\"zz\",\"p3\"]", "[0]");
	CALL(q, "[\"to-room\",\"rr\",\"p3x\",\"rx\"]", "[0]");
	CALL(q, "[\"bcast\",\"p4\"]", "[0]");

	/* back with its private id and the last offset seen: the missed
	 * packets first, then the CONNECT answer with the same ids (the
	 * middleware, which refuses "deny", is skipped, as Node does) */
	r2 = WS_OPEN(port2);
	if (!r2)
		goto out;
	char auth[256];
	snprintf(auth, sizeof(auth),
		 "{\"pid\":\"%s\",\"offset\":\"%s\",\"deny\":1}", pr, off1);
	char pkt[300];
	snprintf(pkt, sizeof(pkt), "40%s", auth);
	send_text(r2, pkt);
	m = next_text(__LINE__, r2);
	if (!m || strncmp(m, "42[\"room-msg\",\"p2\",\"", 20) != 0 ||
	    last_string(m, off2, sizeof(off2)) < 0)
		TEST_FAIL("missed p2: %s", m ? m : "-");
	free(m);
	m = next_text(__LINE__, r2);
	if (!m || strncmp(m, "42[\"bcast\",\"p4\",\"", 17) != 0 ||
	    last_string(m, off4, sizeof(off4)) < 0)
		TEST_FAIL("missed p4: %s", m ? m : "-");
	free(m);
	m = NULL;
	CHECK(strncmp(off1, off2, 6) == 0 && strcmp(off1, off2) != 0);
	CHECK(strcmp(off2, off4) != 0);
	snprintf(want, sizeof(want), "40{\"sid\":\"%s\",\"pid\":\"%s\"}", sr,
		 pr);
	EXPECT(r2, want);
	/* the same id, rooms and state; recovered */
	snprintf(want, sizeof(want),
		 "[%s,\"%s\",1,[\"%s\",\"rr\",\"rx\"],{\"n\":1}]", auth, sr,
		 sr);
	CALL(r2, "[\"whoami\"]", want);
	CALL(q, "[\"size\",\"rr\"]", "[1]");
	snprintf(want, sizeof(want), "[\"size\",\"%s\"]", sr);
	CALL(q, want, "[1]");
	/* and it gets what comes next */
	CALL(q, "[\"to-room\",\"rr\",\"p5\"]", "[0]");
	m = next_text(__LINE__, r2);
	if (!m || strncmp(m, "42[\"room-msg\",\"p5\",\"", 20) != 0 ||
	    last_string(m, off5, sizeof(off5)) < 0 || strcmp(off5, off4) == 0)
		TEST_FAIL("p5 after recovery: %s", m ? m : "-");
	free(m);
	m = NULL;

	/* the session was used up: the same pid and offset again give a
	 * fresh socket; so do an unknown pid or offset */
	static const char *const fresh_auth[] = {"same", "{\"pid\":\"xx\"}",
						 "unknown offset"};
	for (int i = 0; i < 3; i++) {
		r3 = WS_OPEN(port2);
		if (!r3)
			break;
		if (i == 0)
			snprintf(auth, sizeof(auth),
				 "{\"pid\":\"%s\",\"offset\":\"%s\"}", pr,
				 off1);
		else if (i == 1)
			snprintf(auth, sizeof(auth), "%s", fresh_auth[1]);
		else
			snprintf(auth, sizeof(auth),
				 "{\"pid\":\"%s\",\"offset\":\"nope\"}", pq);
		snprintf(pkt, sizeof(pkt), "40%s", auth);
		char s3[21], p3[21];
		if (CONNECT(r3, pkt, "", s3, p3) == 0) {
			CHECK(strcmp(s3, sr) != 0 && strcmp(p3, pr) != 0);
			snprintf(want, sizeof(want),
				 "[%s,\"%s\",0,[\"%s\"],null]", auth, s3, s3);
			CALL(r3, "[\"whoami\"]", want);
		}
		client_free(r3);
		r3 = NULL;
	}
	/* not recovered: the middleware runs */
	r3 = WS_OPEN(port2);
	if (r3) {
		snprintf(pkt, sizeof(pkt),
			 "40{\"pid\":\"%s\",\"offset\":\"%s\",\"deny\":1}", pr,
			 off1);
		send_text(r3, pkt);
		EXPECT(r3, "44{\"message\":\"no\",\"data\":{\"a\":1}}");
	}
	client_free(r3);
	r3 = NULL;

	/* a client namespace disconnect leaves nothing to recover */
	r3 = WS_OPEN(port2);
	char s3[21], p3[21], off6[64] = "";
	if (r3 && CONNECT(r3, "40", "", s3, p3) == 0) {
		CALL(r3, "[\"join\",\"r3\"]", "[\"ok\",1]");
		CALL(q, "[\"to-room\",\"r3\",\"p6\"]", "[0]");
		m = next_text(__LINE__, r3);
		if (!m || last_string(m, off6, sizeof(off6)) < 0)
			TEST_FAIL("p6: %s", m ? m : "-");
		free(m);
		m = NULL;
		send_text(r3, "41");
		snprintf(pkt, sizeof(pkt),
			 "40{\"pid\":\"%s\",\"offset\":\"%s\"}", p3, off6);
		char s4[21], p4[21];
		if (CONNECT(r3, pkt, "", s4, p4) == 0) {
			CHECK(strcmp(s4, s3) != 0);
			CALL(r3, "[\"size\",\"r3\"]", "[0]");
		}
	}
out:
	free(m);
	client_free(q);
	client_free(r);
	client_free(r2);
	client_free(r3);
}

/* A socket on each server that stays connected until the servers are
 * freed. */
static void open_keepers(void)
{
	for (int i = 0; i < 2; i++) {
		client_t *k = WS_OPEN(i ? port2 : port1);
		char pid[21];
		if (k &&
		    CONNECT(k, "40", "", keeper_id[i], i ? pid : NULL) == 0) {
			keeper_fd[i] = k->fd;
			k->fd = -1;
		}
		client_free(k);
	}
}

static void client_main(void)
{
	open_keepers();
	test_basics();
	test_rooms();
	test_malformed();
	test_dynamic();
	test_recovery();
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base) {
		fprintf(stderr, "event_base_new failed\n");
		return 1;
	}
	sio_options_t opts;
	sio_options_init(&opts);
	sio_server_t *srv = sio_server_new(base, &opts);
	opts.recovery_window_ms = 60000;
	sio_server_t *srv2 = sio_server_new(base, &opts);
	if (!srv || !srv2) {
		fprintf(stderr, "sio_server_new failed\n");
		return 1;
	}
	sio_nsp_t *root = sio_of(srv, "/");
	CHECK(root != NULL);
	CHECK(sio_of(srv, "/") == root);
	CHECK(sio_of(srv, "no-slash") == NULL);
	CHECK_STR(sio_nsp_name(root), "/");
	CHECK(sio_nsp_server(root) == srv);
	CHECK_INT(sio_nsp_use(root, mw_deny, NULL), 0);
	CHECK_INT(register_handlers(root), 0);
	CHECK_INT(register_handlers(sio_of(srv2, "/")), 0);
	CHECK_INT(sio_nsp_use(sio_of(srv2, "/"), mw_deny, NULL), 0);
	CHECK(sio_of_pattern(srv, "([") == NULL);
	dyn_parent = sio_of_pattern(srv, "^/dyn-[0-9]+$");
	CHECK(dyn_parent != NULL);
	if (dyn_parent)
		CHECK_INT(register_handlers(dyn_parent), 0);
	CHECK_INT(sio_server_listen(srv, "127.0.0.1", 0), 0);
	CHECK_INT(sio_server_listen(srv2, "127.0.0.1", 0), 0);
	port1 = eio_server_port(sio_server_engine(srv), 0);
	port2 = eio_server_port(sio_server_engine(srv2), 0);
	CHECK(port1 != 0 && port2 != 0 && port1 != port2);

	if (client_run(base, client_main, "server_test", 60) < 0)
		return 1;

	CHECK(n_connections > 20);
	CHECK(n_disconnects > 10);
	int before = n_disconnects;
	sio_server_free(srv);
	sio_server_free(srv2);
	/* the sockets left connected were disconnected on the way */
	CHECK(n_disconnects >= before + 2);
	for (int i = 0; i < 2; i++) {
		record_t *r = record_find(keeper_id[i]);
		CHECK(r != NULL);
		if (r) {
			CHECK_STR(r->disconnecting, "server shutting down");
			CHECK_STR(r->reason, "server shutting down");
			CHECK_INT(r->connected, 0);
		}
		if (keeper_fd[i] >= 0)
			close(keeper_fd[i]);
	}
	event_base_free(base);
	TEST_EXIT();
}

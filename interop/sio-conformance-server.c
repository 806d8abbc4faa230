/* sio-conformance-server: the Socket.IO server that the official protocol
 * test suite (socketio/socket.io-protocol, test-suite/), our interop
 * harness and the load generator expect. 127.0.0.1, path /socket.io/,
 * maxPayload 1000000, connectTimeout 1000 ms, CORS "*".
 *   namespace "/": on connection emits "auth" with the handshake auth;
 *     "message" -> "message-back" with the same arguments;
 *     "message-with-ack" -> acks with the same arguments;
 *     "join" (room, ack) -> joins the room, acks "ok";
 *     "broadcast" (room, payload) -> "broadcast" with the payload to
 *     everyone in the room, sender included.
 *   namespace "/custom": on connection emits "auth".
 * For the interop harness, the same additions as its Node.js twin
 * (interop/servers/sio-node-server.mjs, A1-A10):
 *   "/": "leave" (room, ack); "broadcast-except" (room, except, payload);
 *     "volatile" (n): n volatile "volatile" (i) then "volatile-done" (n);
 *     "server-ack" (...args): "ping-me" (...args) with an ack and a 500 ms
 *     timeout, then "server-ack-result" (null, ...answer) or ("timeout");
 *     "disconnect-me" (close); "handshake" (ack): acks the handshake;
 *     "ack-twice" (ack): two handlers each answer ("first", "second").
 *   every socket of "/" and "/custom" reports its disconnect to room
 *     "observers" of "/": "peer-disconnect" {nsp, id, reason}.
 *   "/custom": "message" -> "message-back".
 *   "/refuse": a middleware refuses: {"message":"not allowed",
 *     "data":{"code":42}}.
 *   dynamic namespaces ^/dyn-[0-9]+$: on connection "nsp" (name);
 *     "message" -> "message-back".
 *   --recovery-window MS: connection-state recovery.
 *   A13 --redis URL: a cluster node (sio_options_t.redis_url); "/" also:
 *     "broadcast-all" (...args) -> emit "broadcast-all" (...args) to all;
 *     "server-side-emit" (...args) -> serverSideEmit "server-side" (...args);
 *     a server-side "server-side" (...args) -> local emit
 *       "server-side-received" (...args); its ack, if asked, gets "c";
 *     "sockets-join" (room, target) -> sockets of room join target;
 *     "disconnect-sockets" (room) -> sockets of room disconnected (close);
 *     "redis-state" (ack) -> ack("off" | "connecting" | "connected");
 *     "server-count" (ack) -> ack(number of servers) (PUBSUB NUMSUB);
 *     "fetch-sockets" (room, except, timeout_ms, ack) -> ack(err,
 *       [{id, rooms, data, handshake}] sorted by id) of
 *       sio_fetch_remote_sockets() (room, except: a string or null;
 *       timeout_ms: null for 5000; err null or "error N"), in memory too;
 *     "set-data" (value, ack) -> socket.data = value, ack("ok").
 *   --redis-sharded: with --redis, the sharded adapter
 *     (sio_options_t.redis_sharded; SHARDNUMSUB for "server-count"), and
 *     "server-side-emit-with-ack" (ack) -> ack(err, responses) of a
 *       server-side emit of "server-side" ("q") waiting for the other
 *       servers' answers (err null, or "error N").
 * Prints "listening 127.0.0.1:PORT" once ready; SIGTERM or SIGINT stops it
 * with exit status 0. */
#include "sio.h"

#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void emit_auth(void *ud, sio_socket_t *s)
{
	(void)ud;
	const char *auth = sio_socket_auth(s);
	size_t len = strlen(auth);
	char *json = malloc(len + 3);
	if (!json)
		return;
	json[0] = '[';
	memcpy(json + 1, auth, len);
	memcpy(json + 1 + len, "]", 2);
	sio_args_t args = {json, len + 2, NULL, 0};
	sio_socket_emit(s, "auth", &args);
	free(json);
}

static void on_message(void *ud, sio_socket_t *s, const char *event,
		       const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	sio_socket_emit(s, "message-back", args);
}

static void on_message_with_ack(void *ud, sio_socket_t *s, const char *event,
				const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)s;
	(void)event;
	sio_ack_send(ack, args);
}

/* The first argument as a string, into buf; NULL if it is not one. */
static const char *first_string(const sio_args_t *args, char *buf, size_t cap,
				json_object **tree)
{
	*tree = sio_args_parse(args);
	json_object *first = *tree ? json_object_array_get_idx(*tree, 0) : NULL;
	if (!json_object_is_type(first, json_type_string))
		return NULL;
	snprintf(buf, cap, "%s", json_object_get_string(first));
	return buf;
}

static void on_join(void *ud, sio_socket_t *s, const char *event,
		    const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	char room[256];
	json_object *tree;
	if (first_string(args, room, sizeof(room), &tree) &&
	    sio_socket_join(s, room) == 0) {
		sio_args_t ok = {"[\"ok\"]", 0, NULL, 0};
		sio_ack_send(ack, &ok);
	}
	json_object_put(tree);
}

static void on_broadcast(void *ud, sio_socket_t *s, const char *event,
			 const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	char room[256];
	json_object *tree;
	if (first_string(args, room, sizeof(room), &tree) &&
	    json_object_array_length(tree) > 1) {
		json_object *payload = json_object_array_get_idx(tree, 1);
		const char *pj = json_object_to_json_string_ext(
		    payload,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		size_t len = strlen(pj);
		char *json = malloc(len + 3);
		if (json) {
			json[0] = '[';
			memcpy(json + 1, pj, len);
			memcpy(json + 1 + len, "]", 2);
			const char *rooms[] = {room};
			sio_target_t to = {rooms, 1, NULL, 0, 0};
			sio_args_t out = {json, len + 2, args->bins,
					  args->nbins};
			sio_emit(sio_socket_nsp(s), &to, "broadcast", &out);
			free(json);
		}
	}
	json_object_put(tree);
}

/* "[" + first + "," + the elements of args + "]": a new string. */
static char *prepend(const char *first, const sio_args_t *args)
{
	size_t len = args && args->json
			 ? (args->len ? args->len : strlen(args->json))
			 : 0;
	const char *inner = len ? strchr(args->json, '[') + 1 : "]";
	size_t ilen = len ? (size_t)(args->json + len - inner) : 1;
	size_t flen = strlen(first);
	char *out = malloc(flen + ilen + 3);
	if (!out)
		return NULL;
	out[0] = '[';
	memcpy(out + 1, first, flen);
	size_t n = 1 + flen;
	/* inner ends with "]"; a comma unless it is empty */
	const char *p = inner;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p != ']')
		out[n++] = ',';
	memcpy(out + n, inner, ilen);
	out[n + ilen] = '\0';
	return out;
}

static json_object *first_arg(const sio_args_t *args, json_object **tree)
{
	*tree = sio_args_parse(args);
	return *tree ? json_object_array_get_idx(*tree, 0) : NULL;
}

static void on_leave(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	char room[256];
	json_object *tree;
	if (first_string(args, room, sizeof(room), &tree)) {
		sio_socket_leave(s, room);
		sio_args_t ok = {"[\"ok\"]", 0, NULL, 0};
		sio_ack_send(ack, &ok);
	}
	json_object_put(tree);
}

static void on_broadcast_except(void *ud, sio_socket_t *s, const char *event,
				const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	json_object *tree = sio_args_parse(args);
	json_object *room = json_object_array_get_idx(tree, 0);
	json_object *except = json_object_array_get_idx(tree, 1);
	json_object *payload = json_object_array_get_idx(tree, 2);
	if (json_object_is_type(room, json_type_string) &&
	    json_object_is_type(except, json_type_string)) {
		json_object *out = json_object_new_array();
		json_object_array_add(out, json_object_get(payload));
		const char *rooms[] = {json_object_get_string(room)};
		const char *excepts[] = {json_object_get_string(except)};
		sio_target_t to = {rooms, 1, excepts, 1, 0};
		sio_args_t a = {json_object_to_json_string_ext(
				    out, JSON_C_TO_STRING_PLAIN |
					     JSON_C_TO_STRING_NOSLASHESCAPE),
				0, args->bins, args->nbins};
		sio_emit(sio_socket_nsp(s), &to, "broadcast", &a);
		json_object_put(out);
	}
	json_object_put(tree);
}

static void on_volatile(void *ud, sio_socket_t *s, const char *event,
			const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	json_object *tree;
	json_object *jn = first_arg(args, &tree);
	if (json_object_is_type(jn, json_type_int) &&
	    json_object_get_int64(jn) >= 0) {
		int64_t n = json_object_get_int64(jn);
		if (n > 1000)
			n = 1000;
		const char *self[] = {sio_socket_id(s)};
		sio_target_t to = {self, 1, NULL, 0, SIO_VOLATILE};
		char json[32];
		for (int64_t i = 0; i < n; i++) {
			snprintf(json, sizeof(json), "[%lld]", (long long)i);
			sio_args_t a = {json, 0, NULL, 0};
			sio_emit(sio_socket_nsp(s), &to, "volatile", &a);
		}
		snprintf(json, sizeof(json), "[%lld]", (long long)n);
		sio_args_t done = {json, 0, NULL, 0};
		sio_socket_emit(s, "volatile-done", &done);
	}
	json_object_put(tree);
}

static void ping_me_answered(void *ud, sio_socket_t *s, int err,
			     const sio_args_t *args)
{
	(void)ud;
	if (err == -ECONNRESET)
		return;
	if (err) {
		sio_args_t t = {"[\"timeout\"]", 0, NULL, 0};
		sio_socket_emit(s, "server-ack-result", &t);
		return;
	}
	char *json = prepend("null", args);
	if (json) {
		sio_args_t a = {json, 0, args->bins, args->nbins};
		sio_socket_emit(s, "server-ack-result", &a);
		free(json);
	}
}

static void on_server_ack(void *ud, sio_socket_t *s, const char *event,
			  const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	sio_socket_emit_with_ack(s, "ping-me", args, 500, ping_me_answered,
				 NULL);
}

static void on_disconnect_me(void *ud, sio_socket_t *s, const char *event,
			     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	json_object *tree;
	json_object *close = first_arg(args, &tree);
	int all = json_object_is_type(close, json_type_boolean) &&
		  json_object_get_boolean(close);
	json_object_put(tree);
	sio_socket_disconnect(s, all);
}

static void on_handshake(void *ud, sio_socket_t *s, const char *event,
			 const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)args;
	char *hs = sio_socket_handshake_json(s);
	if (!hs)
		return;
	size_t len = strlen(hs);
	char *json = malloc(len + 3);
	if (json) {
		json[0] = '[';
		memcpy(json + 1, hs, len);
		memcpy(json + 1 + len, "]", 2);
		sio_args_t a = {json, len + 2, NULL, 0};
		sio_ack_send(ack, &a);
		free(json);
	}
	free(hs);
}

static void ack_first(void *ud, sio_socket_t *s, const char *event,
		      const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud, (void)s, (void)event, (void)args;
	sio_args_t a = {"[\"first\"]", 0, NULL, 0};
	sio_ack_send(ack, &a);
}

static void ack_second(void *ud, sio_socket_t *s, const char *event,
		       const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud, (void)s, (void)event, (void)args;
	sio_args_t a = {"[\"second\"]", 0, NULL, 0};
	sio_ack_send(ack, &a); /* -EINVAL: answered already */
}

static void report_disconnect(void *ud, sio_socket_t *s, const char *reason)
{
	sio_nsp_t *root = ud;
	json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "nsp", json_object_new_string(sio_nsp_name(sio_socket_nsp(s))));
	json_object_object_add(o, "id",
			       json_object_new_string(sio_socket_id(s)));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object *arr = json_object_new_array();
	json_object_array_add(arr, o);
	const char *rooms[] = {"observers"};
	sio_target_t to = {rooms, 1, NULL, 0, 0};
	sio_args_t a = {
	    json_object_to_json_string_ext(
		arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    0, NULL, 0};
	sio_emit(root, &to, "peer-disconnect", &a);
	json_object_put(arr);
}

static int refuse_all(void *ud, sio_socket_t *s, sio_error_t *err)
{
	(void)ud;
	(void)s;
	err->message = "not allowed";
	err->data_json = "{\"code\":42}";
	return -1;
}

static void emit_nsp(void *ud, sio_socket_t *s)
{
	(void)ud;
	char json[300];
	snprintf(json, sizeof(json), "[\"%s\"]",
		 sio_nsp_name(sio_socket_nsp(s)));
	sio_args_t a = {json, 0, NULL, 0};
	sio_socket_emit(s, "nsp", &a);
}

/* A13: cluster events --------------------------------------------------- */

static void on_broadcast_all(void *ud, sio_socket_t *s, const char *event,
			     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	sio_emit(sio_socket_nsp(s), NULL, "broadcast-all", args);
}

static void on_server_side_emit(void *ud, sio_socket_t *s, const char *event,
				const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	sio_server_side_emit(sio_socket_nsp(s), "server-side", args);
}

static void on_server_side(void *ud, sio_nsp_t *nsp, const char *event,
			   const sio_args_t *args, sio_server_ack_t *ack)
{
	(void)ud;
	if (strcmp(event, "server-side") != 0)
		return;
	sio_target_t local = {NULL, 0, NULL, 0, SIO_LOCAL};
	sio_emit(nsp, &local, "server-side-received", args);
	if (ack)
		sio_server_ack_send(ack, "\"c\"");
}

/* The first two arguments as strings (the second optional). */
static int two_strings(const sio_args_t *args, char *a, char *b, size_t cap)
{
	json_object *tree = sio_args_parse(args);
	json_object *x = tree ? json_object_array_get_idx(tree, 0) : NULL;
	json_object *y = tree ? json_object_array_get_idx(tree, 1) : NULL;
	int ok = json_object_is_type(x, json_type_string);
	if (ok)
		snprintf(a, cap, "%s", json_object_get_string(x));
	if (ok && b)
		ok = json_object_is_type(y, json_type_string) &&
		     snprintf(b, cap, "%s", json_object_get_string(y)) >= 0;
	json_object_put(tree);
	return ok;
}

static void on_sockets_join(void *ud, sio_socket_t *s, const char *event,
			    const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	char room[256], target[256];
	if (!two_strings(args, room, target, sizeof(room)))
		return;
	const char *rooms[] = {room};
	sio_target_t to = {rooms, 1, NULL, 0, 0};
	sio_sockets_join(sio_socket_nsp(s), &to, target);
	sio_args_t ok = {"[\"ok\"]", 0, NULL, 0};
	sio_ack_send(ack, &ok);
}

static void on_disconnect_sockets(void *ud, sio_socket_t *s, const char *event,
				  const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)ack;
	char room[256];
	if (!two_strings(args, room, NULL, sizeof(room)))
		return;
	const char *rooms[] = {room};
	sio_target_t to = {rooms, 1, NULL, 0, 0};
	sio_disconnect_sockets(sio_socket_nsp(s), &to, 1);
}

static void on_redis_state(void *ud, sio_socket_t *s, const char *event,
			   const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)args;
	char json[32];
	snprintf(json, sizeof(json), "[\"%s\"]",
		 sio_redis_state_name(sio_server_redis_state(
		     sio_nsp_server(sio_socket_nsp(s)))));
	sio_args_t a = {json, 0, NULL, 0};
	sio_ack_send(ack, &a);
}

/* An ack answered after its handler returned. A copy of sio_ack_t is
 * valid as long as its socket: the socket's disconnect marks the ones it
 * had gone (a server freed with a request pending calls back after its
 * sockets are disconnected and freed). */
typedef struct later_ack {
	sio_ack_t ack; /* first */
	int gone;
	struct later_ack *next;
} later_ack_t;

static later_ack_t *later_acks;

static sio_ack_t *ack_keep(const sio_ack_t *ack)
{
	later_ack_t *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->ack = *ack;
	l->next = later_acks;
	later_acks = l;
	return &l->ack;
}

/* Answers (unless the socket has gone) and frees. */
static void ack_later(sio_ack_t *ack, const char *json)
{
	later_ack_t *l = (later_ack_t *)ack;
	sio_args_t a = {json, 0, NULL, 0};
	if (!l->gone && json)
		sio_ack_send(ack, &a);
	for (later_ack_t **pp = &later_acks; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	free(l);
}

static void acks_forget(void *ud, sio_socket_t *s, const char *reason)
{
	(void)ud;
	(void)reason;
	for (later_ack_t *l = later_acks; l; l = l->next)
		if (l->ack.socket == s)
			l->gone = 1;
}

static void count_answered(void *ud, int err, unsigned count)
{
	sio_ack_t *ack = ud;
	char json[32];
	if (err)
		snprintf(json, sizeof(json), "[\"error %d\"]", err);
	else
		snprintf(json, sizeof(json), "[%u]", count);
	ack_later(ack, json);
}

/* "server-count" (ack) -> ack(n), from PUBSUB NUMSUB */
static void on_server_count(void *ud, sio_socket_t *s, const char *event,
			    const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)args;
	sio_ack_t *copy = ack_keep(ack);
	if (!copy)
		return;
	int r = sio_server_count(sio_socket_nsp(s), count_answered, copy);
	if (r < 0)
		count_answered(copy, r, 0);
}

static void side_answered(void *ud, int err, const char *responses)
{
	sio_ack_t *ack = ud;
	size_t n = strlen(responses) + 32;
	char *json = malloc(n);
	if (json) {
		if (err)
			snprintf(json, n, "[\"error %d\",%s]", err, responses);
		else
			snprintf(json, n, "[null,%s]", responses);
	}
	ack_later(ack, json);
	free(json);
}

/* "server-side-emit-with-ack" (ack) -> ack(err, responses) */
static void on_server_side_with_ack(void *ud, sio_socket_t *s,
				    const char *event, const sio_args_t *args,
				    sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	(void)args;
	sio_ack_t *copy = ack_keep(ack);
	if (!copy)
		return;
	sio_args_t q = {"[\"q\"]", 0, NULL, 0};
	int r = sio_server_side_emit_with_ack(sio_socket_nsp(s), "server-side",
					      &q, 0, side_answered, copy);
	if (r < 0)
		side_answered(copy, r, "[]");
}

static int by_id(const void *x, const void *y)
{
	const sio_remote_socket_t *const *a = x, *const *b = y;
	return strcmp((*a)->id, (*b)->id);
}

static void fetched(void *ud, int err, const sio_remote_socket_t *sockets,
		    size_t n)
{
	sio_ack_t *ack = ud;
	const sio_remote_socket_t **v = calloc(n ? n : 1, sizeof(*v));
	json_object *res = json_object_new_array();
	if (v && res) {
		for (size_t i = 0; i < n; i++)
			v[i] = &sockets[i];
		qsort(v, n, sizeof(*v), by_id);
		char e[32];
		snprintf(e, sizeof(e), "error %d", err);
		json_object_array_add(res, err ? json_object_new_string(e)
					       : NULL);
		json_object *list = json_object_new_array();
		for (size_t i = 0; list && i < n; i++) {
			json_object *o = json_object_new_object();
			json_object *rooms = json_object_new_array();
			for (size_t k = 0; rooms && k < v[i]->nrooms; k++)
				json_object_array_add(
				    rooms, json_object_new_string(v[i]->rooms[k]));
			json_object_object_add(o, "id",
					       json_object_new_string(v[i]->id));
			json_object_object_add(o, "rooms", rooms);
			json_object_object_add(o, "data",
					       json_tokener_parse(v[i]->data_json));
			json_object_object_add(
			    o, "handshake", json_tokener_parse(v[i]->handshake_json));
			json_object_array_add(list, o);
		}
		json_object_array_add(res, list);
	}
	ack_later(ack, v && res ? json_object_to_json_string_ext(
				      res, JSON_C_TO_STRING_PLAIN)
				: NULL);
	json_object_put(res);
	free(v);
}

/* A string argument, or NULL (null, absent, or another type). */
static const char *arg_string(json_object *tree, size_t i)
{
	json_object *o = json_object_array_get_idx(tree, i);
	return json_object_is_type(o, json_type_string)
		   ? json_object_get_string(o)
		   : NULL;
}

/* "fetch-sockets" (room, except, timeout_ms, ack) -> ack(err, [{id, rooms,
 * data, handshake}] sorted by id) of sio_fetch_remote_sockets() */
static void on_fetch_sockets(void *ud, sio_socket_t *s, const char *event,
			     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	sio_ack_t *copy = ack_keep(ack);
	json_object *tree = sio_args_parse(args);
	if (!copy) {
		json_object_put(tree);
		return;
	}
	const char *room = arg_string(tree, 0), *except = arg_string(tree, 1);
	json_object *t = json_object_array_get_idx(tree, 2);
	unsigned timeout = json_object_is_type(t, json_type_int)
			       ? (unsigned)json_object_get_int(t)
			       : 0;
	sio_target_t to = {&room, room ? 1 : 0, &except, except ? 1 : 0, 0};
	int r = sio_fetch_remote_sockets(sio_socket_nsp(s), &to, timeout,
					 fetched, copy);
	json_object_put(tree);
	if (r < 0)
		fetched(copy, r, NULL, 0);
}

/* "set-data" (value, ack) -> socket.data = value; ack("ok") */
static void on_set_data(void *ud, sio_socket_t *s, const char *event,
			const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	(void)event;
	json_object *tree = sio_args_parse(args);
	json_object *v = json_object_array_get_idx(tree, 0);
	const char *text = json_object_to_json_string_ext(
	    v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = sio_socket_set_state(s, text ? text : "null");
	json_object_put(tree);
	sio_args_t a = {r == 0 ? "[\"ok\"]" : "[\"error\"]", 0, NULL, 0};
	sio_ack_send(ack, &a);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static int parse_uint(const char *s, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sio-conformance-server [--port N] [--ping-interval MS]"
		" [--ping-timeout MS] [--recovery-window MS] [--redis URL]"
		" [--redis-sharded]\n"
		"  --port N            TCP port on 127.0.0.1 (default 3000, 0: "
		"any)\n"
		"  --ping-interval MS  Engine.IO ping interval (default 300)\n"
		"  --ping-timeout MS   Engine.IO ping timeout (default 200)\n"
		"  --recovery-window MS  connection-state recovery (default 0: "
		"off)\n"
		"  --redis URL         a cluster node through Redis "
		"(redis://HOST[:PORT])\n"
		"  --redis-sharded     with --redis: Redis 7 sharded pub/sub "
		"(createShardedAdapter)\n"
		"  --help              this text\n");
}

int main(int argc, char **argv)
{
	long port = 3000, interval = 300, timeout = 200, recovery = 0;
	const char *redis = NULL;
	int sharded = 0;
	for (int i = 1; i < argc; i++) {
		long *dst = NULL, max = 86400000;
		if (strcmp(argv[i], "--redis-sharded") == 0) {
			sharded = 1;
			continue;
		}
		if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
			redis = argv[++i];
			if (sio_redis_url_check(redis) < 0) {
				fprintf(stderr, "--redis: invalid URL %s\n",
					redis);
				return 2;
			}
			continue;
		}
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--port") == 0) {
			dst = &port;
			max = 65535;
		} else if (strcmp(argv[i], "--ping-interval") == 0) {
			dst = &interval;
		} else if (strcmp(argv[i], "--ping-timeout") == 0) {
			dst = &timeout;
		} else if (strcmp(argv[i], "--recovery-window") == 0) {
			dst = &recovery;
		}
		if (!dst || i + 1 >= argc || parse_uint(argv[++i], max, dst)) {
			usage(stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	struct event_base *base = event_base_new();
	sio_options_t opts;
	sio_options_init(&opts);
	opts.eio.ping_interval_ms = (unsigned)interval;
	opts.eio.ping_timeout_ms = (unsigned)timeout;
	opts.eio.max_payload = 1000000;
	opts.eio.cors_origin = "*";
	opts.connect_timeout_ms = 1000;
	opts.recovery_window_ms = (unsigned)recovery;
	opts.redis_url = redis;
	opts.redis_sharded = sharded;
	sio_server_t *srv = base ? sio_server_new(base, &opts) : NULL;
	if (!srv) {
		fprintf(stderr, "sio-conformance-server: out of memory\n");
		return 1;
	}
	sio_nsp_t *root = sio_of(srv, "/");
	sio_nsp_t *custom = sio_of(srv, "/custom");
	sio_nsp_t *refuse = sio_of(srv, "/refuse");
	sio_nsp_t *dyn = sio_of_pattern(srv, "^/dyn-[0-9]+$");
	if (!custom || sio_nsp_on_connection(root, emit_auth, NULL) ||
	    sio_nsp_on(root, "message", on_message, NULL) ||
	    sio_nsp_on(root, "message-with-ack", on_message_with_ack, NULL) ||
	    sio_nsp_on(root, "join", on_join, NULL) ||
	    sio_nsp_on(root, "broadcast", on_broadcast, NULL) ||
	    sio_nsp_on_connection(custom, emit_auth, NULL) ||
	    sio_nsp_on(root, "leave", on_leave, NULL) ||
	    sio_nsp_on(root, "broadcast-except", on_broadcast_except, NULL) ||
	    sio_nsp_on(root, "volatile", on_volatile, NULL) ||
	    sio_nsp_on(root, "server-ack", on_server_ack, NULL) ||
	    sio_nsp_on(root, "disconnect-me", on_disconnect_me, NULL) ||
	    sio_nsp_on(root, "handshake", on_handshake, NULL) ||
	    sio_nsp_on(root, "ack-twice", ack_first, NULL) ||
	    sio_nsp_on(root, "ack-twice", ack_second, NULL) ||
	    sio_nsp_on_disconnect(root, report_disconnect, root) ||
	    sio_nsp_on_disconnect(root, acks_forget, NULL) ||
	    sio_nsp_on_disconnect(custom, report_disconnect, root) ||
	    sio_nsp_on(custom, "message", on_message, NULL) || !refuse ||
	    sio_nsp_use(refuse, refuse_all, NULL) || !dyn ||
	    sio_nsp_on_connection(dyn, emit_nsp, NULL) ||
	    sio_nsp_on(dyn, "message", on_message, NULL) ||
	    sio_nsp_on(root, "broadcast-all", on_broadcast_all, NULL) ||
	    sio_nsp_on(root, "server-side-emit", on_server_side_emit, NULL) ||
	    sio_nsp_on_server_side(root, on_server_side, NULL) ||
	    sio_nsp_on(root, "sockets-join", on_sockets_join, NULL) ||
	    sio_nsp_on(root, "disconnect-sockets", on_disconnect_sockets,
		       NULL) ||
	    sio_nsp_on(root, "redis-state", on_redis_state, NULL) ||
	    sio_nsp_on(root, "server-count", on_server_count, NULL) ||
	    sio_nsp_on(root, "fetch-sockets", on_fetch_sockets, NULL) ||
	    sio_nsp_on(root, "set-data", on_set_data, NULL) ||
	    sio_nsp_on(root, "server-side-emit-with-ack",
		       on_server_side_with_ack, NULL)) {
		fprintf(stderr, "sio-conformance-server: out of memory\n");
		return 1;
	}
	int r = sio_server_listen(srv, "127.0.0.1", (uint16_t)port);
	if (r < 0) {
		fprintf(stderr,
			"sio-conformance-server: listen on port %ld: %s\n",
			port, strerror(-r));
		return 1;
	}
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	printf("listening 127.0.0.1:%u\n",
	       eio_server_port(sio_server_engine(srv), 0));
	fflush(stdout);
	event_base_dispatch(base);
	sio_server_free(srv);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	return 0;
}

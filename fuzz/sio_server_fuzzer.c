/* libFuzzer target: an in-process sio_server fed Socket.IO traffic over
 * WebSocket.
 *
 * The input is a list of Engine.IO messages separated by 0xFF bytes
 * ("40", "42[\"echo\",1]", raw attachment bytes, ...). Each is sent in a
 * masked WebSocket frame: a text frame when it is valid UTF-8, else a
 * binary one (so attachments need a byte that is not UTF-8, such as
 * 0x80). A message that is the single byte 0xFE ends the connection: the
 * client drops (EOF, no close frame) and the next messages go on a new
 * connection, which lets inputs reconnect (connection-state recovery is
 * on). At most 4 connections per input.
 *
 * For each input a fresh server is made on one event_base (made once);
 * each connection is one end of a socketpair handed to the Engine.IO
 * server with eio__conn_accept(), its upgrade request and frames written
 * to the other end, and the loop run (non-blocking) until nothing happens
 * any more; the answers are read and discarded. The server is freed at
 * the end, so no state survives the input.
 *
 * The handlers use the API according to the event name (see on_event()),
 * so that the fuzzer reaches rooms, broadcasts, acks both ways,
 * disconnects and recovery.
 *
 * Ids come from libsodium's randombytes, replaced by a counter reset for
 * every input (fuzz_server.c, which also drives the connections), so
 * that ids, private ids and recovery offsets are the same on every run of
 * an input: with SIO_FUZZER_ECHO set the server's answers are copied to
 * stderr, to learn them when writing seeds:
 *   SIO_FUZZER_ECHO=1 ./fuzz/sio_server_fuzzer fuzz/corpus/sio_server/x */
#include "eio.h"
#include "fuzz_server.h"
#include "sio.h"

#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- handlers ------------------------------------------------------------ */

static sio_nsp_t *dyn_parent;

static int mw(void *ud, sio_socket_t *s, sio_error_t *err)
{
	(void)ud;
	const char *auth = sio_socket_auth(s);
	if (strstr(auth, "deny")) {
		err->message = strstr(auth, "quiet") ? NULL : "denied \"x\"\n";
		err->data_json = strstr(auth, "data") ? "{\"a\":[1]}" : NULL;
		return 1;
	}
	return 0;
}

static int event_mw(void *ud, sio_socket_t *s, const char *event,
		    const sio_args_t *args)
{
	(void)ud;
	(void)s;
	(void)args;
	return strcmp(event, "drop") == 0;
}

static void on_connection(void *ud, sio_socket_t *s)
{
	(void)ud;
	const eio_request_t *req = sio_socket_request(s);
	if (req && eio_request_query(req, "x"))
		abort(); /* never in the fuzzer's request */
	(void)sio_socket_issued(s);
	if (strstr(sio_socket_auth(s), "kick"))
		sio_socket_disconnect(s, strstr(sio_socket_auth(s), "close") !=
					     NULL);
}

static void on_disconnecting(void *ud, sio_socket_t *s, const char *reason)
{
	(void)ud;
	(void)reason;
	const char *rooms[8];
	size_t n = sio_socket_rooms(s, rooms, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		if (!sio_socket_in(s, rooms[i]))
			abort();
}

static void on_disconnect(void *ud, sio_socket_t *s, const char *reason)
{
	(void)ud;
	(void)reason;
	if (sio_socket_connected(s))
		abort();
}

static void on_answer(void *ud, sio_socket_t *s, int err,
		      const sio_args_t *args)
{
	(void)ud;
	if (err == 0 && args) {
		json_object *t = sio_args_parse(args);
		json_object_put(t);
		sio_socket_emit(s, "answered", args);
	}
}

static void on_all_answers(void *ud, int err, size_t n,
			   const sio_args_t *responses)
{
	sio_nsp_t *nsp = ud;
	(void)err;
	for (size_t i = 0; i < n; i++)
		sio_emit(nsp, NULL, "answer", &responses[i]);
}

static void emit_fetched(void *ud, sio_socket_t *s)
{
	(void)ud;
	sio_socket_emit(s, "fetched", NULL);
}

/* The event name says what to do; the first argument, when a string,
 * names a room. */
static void on_event(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	(void)ud;
	json_object *t = sio_args_parse(args);
	json_object *first = t ? json_object_array_get_idx(t, 0) : NULL;
	const char *a0 = json_object_is_type(first, json_type_string)
			     ? json_object_get_string(first)
			     : NULL;
	sio_nsp_t *nsp = sio_socket_nsp(s);
	const char *rooms[1] = {a0};
	sio_target_t to = {rooms, a0 ? 1 : 0, NULL, 0, 0};
	sio_target_t except = {NULL, 0, rooms, a0 ? 1 : 0, 0};
	if (strcmp(event, "echo") == 0) {
		if (ack->id >= 0)
			sio_ack_send(ack, args);
		else
			sio_socket_emit(s, "echo", args);
	} else if (strcmp(event, "join") == 0 && a0) {
		sio_socket_join(s, a0);
	} else if (strcmp(event, "leave") == 0 && a0) {
		sio_socket_leave(s, a0);
	} else if (strcmp(event, "to") == 0) {
		sio_emit(nsp, &to, "to", args);
	} else if (strcmp(event, "except") == 0) {
		sio_emit(nsp, &except, "except", args);
	} else if (strcmp(event, "volatile") == 0) {
		to.flags = SIO_VOLATILE;
		sio_emit(nsp, &to, "volatile", args);
	} else if (strcmp(event, "bcast") == 0) {
		sio_socket_broadcast(s, a0 ? &to : NULL, "bcast", args);
	} else if (strcmp(event, "ask") == 0) {
		sio_socket_emit_with_ack(s, "q", args, 0, on_answer, NULL);
	} else if (strcmp(event, "askall") == 0) {
		sio_emit_with_ack(nsp, a0 ? &to : NULL, "q", args, 0,
				  on_all_answers, nsp);
	} else if (strcmp(event, "disc") == 0) {
		sio_socket_disconnect(s, a0 != NULL);
	} else if (strcmp(event, "discall") == 0) {
		sio_disconnect_sockets(nsp, a0 ? &to : NULL, 0);
	} else if (strcmp(event, "closeall") == 0) {
		sio_disconnect_sockets(nsp, a0 ? &to : NULL, 1);
	} else if (strcmp(event, "joinall") == 0 && a0) {
		sio_sockets_join(nsp, NULL, a0);
	} else if (strcmp(event, "leaveall") == 0 && a0) {
		sio_sockets_leave(nsp, NULL, a0);
	} else if (strcmp(event, "fetch") == 0) {
		sio_fetch_sockets(nsp, a0 ? &to : NULL, emit_fetched, NULL);
	} else if (strcmp(event, "size") == 0) {
		char json[32];
		snprintf(json, sizeof(json), "[%zu]", sio_room_size(nsp, a0));
		sio_args_t a = {json, 0, NULL, 0};
		sio_socket_emit(s, "size", &a);
	} else if (strcmp(event, "state") == 0) {
		sio_socket_set_state(
		    s, first ? json_object_to_json_string(first) : NULL);
	} else if (strcmp(event, "server") == 0) {
		sio_server_side_emit(nsp, "server", args);
	} else if (strcmp(event, "dyn") == 0) {
		sio_emit(dyn_parent, NULL, "dyn", args);
	} else if (strcmp(event, "bad") == 0) {
		/* arguments that are no array: refused */
		sio_args_t a = {"{}", 0, NULL, 0};
		if (sio_socket_emit(s, "bad", &a) != -EINVAL)
			abort();
	}
	if (ack->id >= 0) /* answer whatever was asked, once */
		sio_ack_send(ack, NULL);
	json_object_put(t);
}

static void setup_nsp(sio_nsp_t *nsp)
{
	if (!nsp || sio_nsp_use(nsp, mw, NULL) < 0 ||
	    sio_nsp_use_event(nsp, event_mw, NULL) < 0 ||
	    sio_nsp_on_connection(nsp, on_connection, NULL) < 0 ||
	    sio_nsp_on(nsp, "echo", on_event, NULL) < 0 ||
	    sio_nsp_on_any(nsp, on_event, NULL) < 0 ||
	    sio_nsp_on_disconnecting(nsp, on_disconnecting, NULL) < 0 ||
	    sio_nsp_on_disconnect(nsp, on_disconnect, NULL) < 0)
		abort();
}

static int match_m(void *ud, const char *name)
{
	(void)ud;
	return name[1] == 'm';
}

/* --- driver --------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_server_init("SIO_FUZZER_ECHO");
	return 0;
}

static void run_connection(sio_server_t *srv, const fuzz_buf_t *out)
{
	int fd = fuzz_server_connect(sio_server_engine(srv));
	fuzz_server_pump(fd, out->b, out->len, 0);
	/* the client drops: the server sees EOF */
	close(fd);
	for (int i = 0; i < 4; i++)
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	if (fuzz_server_echo())
		fputs("\n--- dropped\n", stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_server_reset();
	sio_options_t opts;
	sio_options_init(&opts);
	opts.recovery_window_ms = 60000;
	opts.eio.max_payload = 100000;
	sio_server_t *srv = sio_server_new(fuzz_base, &opts);
	if (!srv)
		abort();
	setup_nsp(sio_of(srv, "/"));
	setup_nsp(sio_of(srv, "/chat"));
	setup_nsp(dyn_parent = sio_of_pattern(srv, "^/dyn-[0-9]+$"));
	setup_nsp(sio_of_match(srv, match_m, NULL));

	fuzz_buf_t out = {NULL, 0, 0};
	size_t pos = 0;
	/* a last 0xFF ends the last message: no empty one after it */
	for (int conns = 0; conns < 4 && (conns == 0 || pos < size); conns++) {
		out.len = 0;
		fuzz_ws_upgrade(&out);
		while (pos < size) {
			const uint8_t *m = data + pos;
			const uint8_t *e = memchr(m, 0xFF, size - pos);
			size_t n = e ? (size_t)(e - m) : size - pos;
			pos += n + 1;
			if (n == 1 && m[0] == 0xFE)
				break; /* the next connection */
			fuzz_ws_frame(&out, m, n);
		}
		run_connection(srv, &out);
	}
	free(out.b);
	sio_server_free(srv);
	/* run what the free left active, so nothing carries over */
	event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	return 0;
}

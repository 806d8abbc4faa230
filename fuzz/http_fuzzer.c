/* libFuzzer target: the HTTP request path of a real in-process server.
 *
 * Each input is what one client sends on one connection: HTTP/1.1
 * requests (pipelined, keep-alive), possibly a WebSocket upgrade followed
 * by frames. For each input a fresh server is created on one event_base
 * (made once), one end of a socketpair is handed to it with
 * eio__conn_accept(), the input is written to the other end followed by
 * shutdown(SHUT_WR), and the loop runs (non-blocking) until the server
 * closed the connection or nothing happens any more. The answer is read
 * and discarded; the server is freed, which closes every session, so no
 * state survives the input.
 *
 * Session ids come from libsodium's randombytes, replaced by a counter
 * reset for every input (fuzz_server.c, which also drives the
 * connection): the first handshake of an input always gets sid
 * "AAECAwQFBgcICQoLDA0O" and the second "DxAREhMUFRYXGBkaGxwd", so seeds
 * (and the fuzzer) can follow a handshake with requests that use its
 * session. */
#include "eio.h"
#include "fuzz_server.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- callbacks ---------------------------------------------------------- */

/* Refuses handshakes whose query has "deny" (the 403 path). */
static int on_allow(void *ud, const eio_request_t *req, const char **message)
{
	(void)ud;
	if (eio_request_query(req, "deny")) {
		*message = "denied";
		return 1;
	}
	return 0;
}

/* Echoes every message; "close" closes the session. */
static void on_message(void *ud, eio_session_t *s, int binary,
		       const uint8_t *data, size_t len)
{
	(void)ud;
	if (!binary && len == 5 && memcmp(data, "close", 5) == 0) {
		eio_session_close(s);
		return;
	}
	eio_session_send_data(s, binary, data, len);
}

/* Answers requests outside the path with what was parsed, which makes
 * the accessors read every part of the request. */
static void on_request(void *ud, eio_request_t *req)
{
	(void)ud;
	size_t total = strlen(eio_request_method(req)) +
		       strlen(eio_request_url(req)) +
		       strlen(eio_request_path(req)) +
		       strlen(eio_request_query_string(req)) +
		       strlen(eio_request_address(req));
	const char *name, *value;
	for (size_t i = 0; eio_request_header_at(req, i, &name, &value) == 0;
	     i++)
		total += strlen(name) + strlen(value);
	const char *q = eio_request_query(req, "q");
	const char *h = eio_request_header(req, "x-h");
	size_t blen;
	const uint8_t *body = eio_request_body(req, &blen);
	static const char *const hdrs[] = {"X-Fuzz: 1", NULL};
	char out[64];
	int n = snprintf(out, sizeof(out), "%zu %s %s", total,
			 q ? q : "-", h ? h : "-");
	if (n < 0 || (size_t)n >= sizeof(out))
		n = (int)sizeof(out) - 1;
	if (blen) /* echo the body */
		eio_request_respond(req, 200, "application/octet-stream", hdrs,
				    body, blen);
	else
		eio_request_respond(req, 200, "text/plain", NULL, out,
				    (size_t)n);
}

static const eio_callbacks_t callbacks = {
    .allow = on_allow,
    .message = on_message,
    .request = on_request,
};

/* --- driver --------------------------------------------------------------- */

/* With HTTP_FUZZER_ECHO set in the environment, the server's answers are
 * copied to stderr (to check what a seed does:
 * HTTP_FUZZER_ECHO=1 ./fuzz/http_fuzzer fuzz/corpus/http/upgrade). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_server_init("HTTP_FUZZER_ECHO");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_server_reset();
	eio_options_t opts;
	eio_options_init(&opts);
	opts.max_payload = 100000;
	opts.cors_origin = "http://a.example, http://b.example";
	opts.cors_credentials = 1;
	eio_server_t *srv = eio_server_new(fuzz_base, &opts, &callbacks, NULL);
	if (!srv)
		abort();

	int fd = fuzz_server_connect(srv);
	fuzz_server_pump(fd, data, size, 1);
	eio_server_free(srv);
	close(fd);
	/* run what the free left active, so nothing carries over */
	event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	return 0;
}

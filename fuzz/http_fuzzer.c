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
 * Session ids come from libsodium's randombytes, replaced here by a
 * counter reset for every input: the first handshake of an input always
 * gets sid "AAECAwQFBgcICQoLDA0O" and the second "DxAREhMUFRYXGBkaGxwd", so
 * seeds (and the fuzzer) can follow a handshake with requests that use
 * its session. */
#include "conn.h"
#include "eio.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- deterministic randombytes ---------------------------------------- */

static uint32_t rng_next;

/* The counter's low byte for the first 256 bytes (the sids above), mixed
 * with its higher bytes after, so that ids never cycle within an input. */
static uint8_t rng_byte(void)
{
	uint32_t c = rng_next++;
	return (uint8_t)(c ^ (c >> 8) * 131 ^ (c >> 16) * 37);
}

static const char *rng_name(void)
{
	return "fuzz-counter";
}

static uint32_t rng_random(void)
{
	uint32_t r = 0;
	for (int i = 0; i < 4; i++)
		r = r << 8 | rng_byte();
	return r;
}

static void rng_buf(void *const buf, const size_t size)
{
	uint8_t *b = buf;
	for (size_t i = 0; i < size; i++)
		b[i] = rng_byte();
}

static randombytes_implementation rng = {
    .implementation_name = rng_name,
    .random = rng_random,
    .buf = rng_buf,
};

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

static struct event_base *base;

/* With HTTP_FUZZER_ECHO set in the environment, the server's answers are
 * copied to stderr (to check what a seed does:
 * HTTP_FUZZER_ECHO=1 ./fuzz/http_fuzzer fuzz/corpus/http/upgrade). */
static int echo;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	echo = getenv("HTTP_FUZZER_ECHO") != NULL;
	if (randombytes_set_implementation(&rng) != 0 || sodium_init() < 0)
		abort();
	base = event_base_new();
	if (!base)
		abort();
	return 0;
}

/* Reads and discards what the server sent: 1 if it sent something,
 * 0 if nothing, -1 once it closed the connection. */
static int drain(int fd)
{
	char buf[16384];
	int got = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			got = 1;
			if (echo)
				fwrite(buf, 1, (size_t)n, stderr);
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return got;
		return -1; /* reset */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rng_next = 0;
	eio_options_t opts;
	eio_options_init(&opts);
	opts.max_payload = 100000;
	opts.cors_origin = "http://a.example, http://b.example";
	opts.cors_credentials = 1;
	eio_server_t *srv = eio_server_new(base, &opts, &callbacks, NULL);
	if (!srv)
		abort();

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(40000)};
	sin.sin_addr.s_addr = htonl(0x7f000001);
	eio__conn_accept(srv, sv[0], (const struct sockaddr *)&sin);

	size_t off = 0;
	int shut = 0, idle = 0;
	for (int iter = 0; iter < 10000 && idle < 4; iter++) {
		int progress = 0;
		if (off < size) {
			ssize_t n = send(sv[1], data + off, size - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				progress = 1;
			} else if (n < 0 && errno != EAGAIN &&
				   errno != EWOULDBLOCK && errno != EINTR) {
				off = size; /* the server closed */
			}
		}
		if (off == size && !shut) {
			shutdown(sv[1], SHUT_WR);
			shut = 1;
			progress = 1;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		int d = drain(sv[1]);
		if (d < 0)
			break;
		if (d > 0)
			progress = 1;
		idle = progress ? 0 : idle + 1;
	}
	eio_server_free(srv);
	close(sv[1]);
	/* run what the free left active, so nothing carries over */
	event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}

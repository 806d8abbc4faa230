/* End-to-end test of the HTTP layer (engineio/conn.c and the routing of
 * server.c): a real server on 127.0.0.1 driven by event_base_dispatch() in
 * the main thread, and a client thread speaking raw HTTP/1.1 over
 * blocking sockets (tests/client.c). Only the client thread runs checks while
 * the loop runs; the server's callbacks answer requests and count, and the main
 * thread checks the counts once the client is done. */
#include "../test.h"

/* after test.h: see client.h */
#include "../client.h"
#include "eio.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PAYLOAD 1000

static uint16_t port;	      /* the main server */
static uint16_t port2;	      /* a server with a short HTTP timeout */
static atomic_int n_requests; /* request callback calls */
static atomic_int n_messages; /* message callback calls */
static atomic_int n_opens, n_closes, n_shutdown_closes, n_transport_closes;

/* --- server side (main thread) ---------------------------------------- */

/* Answers every request outside the Engine.IO path with a description of
 * what the server parsed: "METHOD path q=<query q> h=<header x-h>
 * body=<body>", and an extra header. */
static void on_request(void *ud, eio_request_t *req)
{
	(void)ud;
	atomic_fetch_add(&n_requests, 1);
	const char *q = eio_request_query(req, "q");
	const char *h = eio_request_header(req, "X-H");
	size_t blen;
	const uint8_t *body = eio_request_body(req, &blen);
	char out[512];
	int n = snprintf(out, sizeof(out), "%s %s q=%s h=%s body=%.*s",
			 eio_request_method(req), eio_request_path(req),
			 q ? q : "(none)", h ? h : "(none)", (int)blen,
			 (const char *)body);
	static const char *const hdrs[] = {"X-Test: yes", "X-Other: 2", NULL};
	int status = strcmp(eio_request_path(req), "/teapot") == 0 ? 418 : 200;
	eio_request_respond(req, status, "text/plain", hdrs, out, (size_t)n);
}

static void on_message(void *ud, eio_session_t *s, int binary,
		       const uint8_t *data, size_t len)
{
	(void)ud;
	atomic_fetch_add(&n_messages, 1);
	eio_session_send_data(s, binary, data, len); /* echo */
}

static void on_open(void *ud, eio_session_t *s)
{
	(void)ud;
	(void)s;
	atomic_fetch_add(&n_opens, 1);
}

static void on_close(void *ud, eio_session_t *s, eio_close_reason_t reason)
{
	(void)ud;
	(void)s;
	atomic_fetch_add(&n_closes, 1);
	if (reason == EIO_CLOSE_SERVER_SHUTDOWN)
		atomic_fetch_add(&n_shutdown_closes, 1);
	if (reason == EIO_CLOSE_TRANSPORT_CLOSE)
		atomic_fetch_add(&n_transport_closes, 1);
}

/* --- client side (client thread) --------------------------------------- */

/* The handshake: a polling GET without sid. Fills `sid` (21 bytes). */
static int handshake(client_t *c, char *sid)
{
	if (client_send_str(c, "GET /engine.io/?EIO=4&transport=polling "
			       "HTTP/1.1\r\nHost: localhost\r\n\r\n") < 0)
		return -1;
	resp_t r;
	if (client_response(c, &r) < 0) {
		TEST_FAIL("handshake: no response");
		return -1;
	}
	int ok = 0;
	char v[128];
	CHECK_INT(r.status, 200);
	CHECK(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK_STR(resp_header(&r, "content-type", v, sizeof(v)),
		  "text/plain; charset=UTF-8");
	CHECK_STR(resp_header(&r, "connection", v, sizeof(v)), "keep-alive");
	CHECK_STR(resp_header(&r, "cache-control", v, sizeof(v)), "no-store");
	char want_len[32];
	snprintf(want_len, sizeof(want_len), "%zu", r.body_len);
	CHECK_STR(resp_header(&r, "content-length", v, sizeof(v)), want_len);
	if (strncmp(r.body, "0{\"sid\":\"", 9) != 0) {
		TEST_FAIL("handshake body: %s", r.body);
	} else if (r.body_len >= 9 + 20 + 1 && r.body[9 + 20] == '"') {
		memcpy(sid, r.body + 9, 20);
		sid[20] = '\0';
		char want[256];
		snprintf(want, sizeof(want),
			 "0{\"sid\":\"%s\",\"upgrades\":[\"websocket\"],"
			 "\"pingInterval\":25000,\"pingTimeout\":20000,"
			 "\"maxPayload\":%d}",
			 sid, MAX_PAYLOAD);
		CHECK_STR(r.body, want);
		ok = 1;
	} else {
		TEST_FAIL("handshake sid: %s", r.body);
	}
	resp_free(&r);
	return ok ? 0 : -1;
}

static void test_handshake_and_echo(void)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("connect: %s", strerror(errno));
		free(c);
		return;
	}
	char sid[21];
	if (handshake(c, sid) < 0) {
		client_close(c);
		free(c);
		return;
	}
	/* a text and a binary message in one POST, on the same connection */
	char req[512];
	const char *payload = "4hello\x1e"
			      "bAQIDBA==";
	snprintf(req, sizeof(req),
		 "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
		 "Host: localhost\r\nContent-Type: text/plain;charset=UTF-8\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 sid, strlen(payload), payload);
	client_send_str(c, req);
	resp_t r;
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body, "ok");
		resp_free(&r);
	} else {
		TEST_FAIL("POST: no response");
	}
	/* the echoes wait in the queue: the poll gets both */
	snprintf(req, sizeof(req),
		 "GET /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
		 "Host: localhost\r\n\r\n",
		 sid);
	client_send_str(c, req);
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_MEM(r.body, r.body_len,
			  "4hello\x1e"
			  "bAQIDBA==",
			  16);
		resp_free(&r);
	} else {
		TEST_FAIL("GET: no response");
	}
	/* an unknown sid: 400 {"code":1,...}, the connection stays */
	client_send_str(c, "GET /engine.io/?EIO=4&transport=polling&sid=nope "
			   "HTTP/1.1\r\nHost: localhost\r\n\r\n");
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 400);
		CHECK_STR(r.body,
			  "{\"code\":1,\"message\":\"Session ID unknown\"}");
		resp_free(&r);
	} else {
		TEST_FAIL("unknown sid: no response");
	}
	client_close(c);
	free(c);
}

/* Two requests in one write: both answered, in order, on the connection. */
static void test_pipelined(void)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("connect");
		free(c);
		return;
	}
	client_send_str(c,
			"GET /first?q=1 HTTP/1.1\r\nHost: a\r\nX-H: one\r\n\r\n"
			"POST /second HTTP/1.1\r\nHost: a\r\n"
			"Content-Length: 4\r\n\r\nbody"
			"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n"
			"Host: a\r\n\r\n"
			"GET /fourth HTTP/1.1\r\nHost: a\r\n\r\n");
	resp_t r;
	char v[128];
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body, "GET /first q=1 h=one body=");
		CHECK_STR(resp_header(&r, "connection", v, sizeof(v)),
			  "keep-alive");
		CHECK_STR(resp_header(&r, "x-test", v, sizeof(v)), "yes");
		CHECK_STR(resp_header(&r, "x-other", v, sizeof(v)), "2");
		CHECK_STR(resp_header(&r, "content-type", v, sizeof(v)),
			  "text/plain");
		resp_free(&r);
	} else {
		TEST_FAIL("pipelined 1: no response");
	}
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body, "POST /second q=(none) h=(none) body=body");
		resp_free(&r);
	} else {
		TEST_FAIL("pipelined 2: no response");
	}
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK(strncmp(r.body, "0{\"sid\":\"", 9) == 0);
		resp_free(&r);
	} else {
		TEST_FAIL("pipelined 3: no response");
	}
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body, "GET /fourth q=(none) h=(none) body=");
		resp_free(&r);
	} else {
		TEST_FAIL("pipelined 4: no response");
	}
	/* still open: one more, with Connection: close this time */
	client_send_str(c, "GET /teapot?q=a%20b+c HTTP/1.1\r\nHost: a\r\n"
			   "Connection: close\r\n\r\n");
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 418);
		CHECK_STR(r.body, "GET /teapot q=a b c h=(none) body=");
		CHECK_STR(resp_header(&r, "connection", v, sizeof(v)), "close");
		resp_free(&r);
		CHECK(client_closed(c));
	} else {
		TEST_FAIL("close: no response");
	}
	client_close(c);
	free(c);
}

/* A request outside the path, in several writes, HTTP/1.0 (no keep-alive
 * by default): the request callback's answer arrives, then the close. */
static void test_request_callback(void)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("connect");
		free(c);
		return;
	}
	client_send_str(c, "GET /some/pa");
	usleep(20000);
	client_send_str(c, "th?x=1&q=%41 HTTP/1.0\r\nX-");
	usleep(20000);
	client_send_str(c, "h: split\r\n\r\n");
	resp_t r;
	if (client_response(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
		CHECK_STR(r.body, "GET /some/path q=A h=split body=");
		char v[64];
		CHECK_STR(resp_header(&r, "connection", v, sizeof(v)), "close");
		resp_free(&r);
		CHECK(client_closed(c));
	} else {
		TEST_FAIL("request callback: no response");
	}
	client_close(c);
	free(c);
}

/* Expects `status` for `req`, then the connection's close. */
static void expect_error(const char *what, const char *req, size_t len,
			 int status)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("%s: connect", what);
		free(c);
		return;
	}
	client_send(c, req, len);
	resp_t r;
	if (client_response(c, &r) == 0) {
		if (r.status != status)
			TEST_FAIL("%s: status %d, expected %d", what, r.status,
				  status);
		char v[64];
		CHECK_STR(resp_header(&r, "connection", v, sizeof(v)), "close");
		resp_free(&r);
		if (!client_closed(c))
			TEST_FAIL("%s: the connection stays open", what);
	} else {
		TEST_FAIL("%s: no response", what);
	}
	client_close(c);
	free(c);
}

static void test_errors(void)
{
	/* a head over 16384 bytes: 431 */
	size_t big = 17000;
	char *req = malloc(big + 4096);
	int n = snprintf(req, 256,
			 "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n"
			 "Host: a\r\nX-Big: ");
	memset(req + n, 'a', big);
	memcpy(req + n + big, "\r\n\r\n", 4);
	expect_error("431", req, (size_t)n + big + 4, 431);

	/* many small headers adding up past the limit: 431 too. The server
	 * counts the bytes it keeps (names and values, without ": " and
	 * CRLF), not the bytes on the wire, hence the margin here: 20000 wire
	 * bytes keep about 18000 */
	size_t len = (size_t)snprintf(req, 256, "GET /x HTTP/1.1\r\n");
	while (len < 20000)
		len +=
		    (size_t)sprintf(req + len, "X-%05zu: 0123456789\r\n", len);
	memcpy(req + len, "\r\n", 2);
	expect_error("431 (many headers)", req, len + 2, 431);
	free(req);

	/* a head just under the limit is fine */
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) == 0) {
		char *ok = malloc(16000);
		int m = sprintf(ok, "GET /under HTTP/1.1\r\nX-Big: ");
		memset(ok + m, 'b', 15000);
		memcpy(ok + m + 15000, "\r\n\r\n", 4);
		client_send(c, ok, (size_t)m + 15004);
		resp_t r;
		if (client_response(c, &r) == 0) {
			CHECK_INT(r.status, 200);
			CHECK_STR(r.body, "GET /under q=(none) h=(none) body=");
			resp_free(&r);
		} else {
			TEST_FAIL("under the head limit: no response");
		}
		free(ok);
	} else {
		TEST_FAIL("connect");
	}
	client_close(c);
	free(c);

	/* a POST declaring more than max_payload: 413 before the body */
	char post[256];
	n = snprintf(
	    post, sizeof(post),
	    "POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\n"
	    "Host: a\r\nContent-Length: %d\r\n\r\n",
	    MAX_PAYLOAD + 1);
	expect_error("413", post, (size_t)n, 413);

	/* a chunked POST growing past max_payload: 413 as well */
	char *chunked = malloc(4096);
	len = (size_t)sprintf(chunked,
			      "POST /engine.io/?EIO=4&transport=polling&sid=x "
			      "HTTP/1.1\r\nHost: a\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		len += (size_t)sprintf(chunked + len, "190\r\n"); /* 400 */
		memset(chunked + len, '4', 400);
		len += 400;
		len += (size_t)sprintf(chunked + len, "\r\n");
	}
	len += (size_t)sprintf(chunked + len, "0\r\n\r\n");
	expect_error("413 (chunked)", chunked, len, 413);
	free(chunked);

	/* garbage: 400 and the close */
	static const char garbage[] = "\x01\x02\xff garbage \r\n\r\n";
	expect_error("400", garbage, sizeof(garbage) - 1, 400);
	static const char badver[] = "GET / HTTP/9.9\r\n\r\n";
	expect_error("400 (bad version)", badver, sizeof(badver) - 1, 400);
	/* (llhttp accepts a space inside a header name, not a control) */
	static const char badhdr[] =
	    "GET / HTTP/1.1\r\nBad\x01Header: x\r\n\r\n";
	expect_error("400 (bad header)", badhdr, sizeof(badhdr) - 1, 400);
}

/* A long poll waits; a POST on another connection delivers a message,
 * whose echo answers the waiting GET. */
static void test_long_poll(void)
{
	client_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char sid[21], req[512];
	resp_t r;
	if (client_connect(a, port) < 0 || client_connect(b, port) < 0) {
		TEST_FAIL("connect");
		goto out;
	}
	if (handshake(a, sid) < 0)
		goto out;
	snprintf(req, sizeof(req),
		 "GET /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
		 "Host: localhost\r\n\r\n",
		 sid);
	client_send_str(a, req);
	usleep(50000); /* let the GET arrive first */
	snprintf(req, sizeof(req),
		 "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
		 "Host: localhost\r\nContent-Length: 8\r\n\r\n4ping-me",
		 sid);
	client_send_str(b, req);
	if (client_response(b, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body, "ok");
		resp_free(&r);
	} else {
		TEST_FAIL("long poll: no POST response");
	}
	if (client_response(a, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(r.body, "4ping-me");
		resp_free(&r);
	} else {
		TEST_FAIL("long poll: no GET response");
	}
out:
	client_close(a);
	client_close(b);
	free(a);
	free(b);
}

/* A WebSocket session from the start: 101 with the RFC 6455 accept, the
 * open packet, echoes of a text and a binary message, and the close. */
static void test_websocket(void)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("connect");
		free(c);
		return;
	}
	client_send_str(c,
			"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
			"Host: localhost\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			"Sec-WebSocket-Version: 13\r\n\r\n");
	resp_t r;
	char v[128];
	int b0;
	char *data = NULL;
	size_t len;
	if (client_response(c, &r) < 0) {
		TEST_FAIL("websocket: no 101");
		goto out;
	}
	CHECK_INT(r.status, 101);
	CHECK(strncmp(r.head, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
	CHECK_STR(resp_header(&r, "sec-websocket-accept", v, sizeof(v)),
		  "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK_STR(resp_header(&r, "upgrade", v, sizeof(v)), "websocket");
	resp_free(&r);
	if (ws_recv(c, &b0, &data, &len, NULL) < 0) {
		TEST_FAIL("websocket: no open packet");
		goto out;
	}
	CHECK_INT(b0, 0x81);
	if (strncmp(data, "0{\"sid\":\"", 9) != 0 ||
	    !strstr(data, "\"upgrades\":[],\"pingInterval\":25000,"
			  "\"pingTimeout\":20000,\"maxPayload\":1000}"))
		TEST_FAIL("websocket open packet: %s", data);
	free(data);

	ws_send(c, 1, "4hi", 3);
	if (ws_recv(c, &b0, &data, &len, NULL) == 0) {
		CHECK_INT(b0, 0x81);
		CHECK_MEM(data, len, "4hi", 3);
		free(data);
	} else {
		TEST_FAIL("websocket: no text echo");
	}
	ws_send(c, 2, "\x01\x02\x03", 3);
	if (ws_recv(c, &b0, &data, &len, NULL) == 0) {
		CHECK_INT(b0, 0x82);
		CHECK_MEM(data, len, "\x01\x02\x03", 3);
		free(data);
	} else {
		TEST_FAIL("websocket: no binary echo");
	}
	/* a close frame (1000): the server answers with a close frame and
	 * closes the connection */
	ws_send(c, 8, "\x03\xe8", 2);
	if (ws_recv(c, &b0, &data, &len, NULL) == 0) {
		CHECK_INT(b0, 0x88);
		free(data);
		CHECK(client_closed(c));
	} else {
		TEST_FAIL("websocket: no close frame");
	}
out:
	client_close(c);
	free(c);
}

/* The second server has 300 ms HTTP and keep-alive timeouts: a request
 * begun and not finished gets 408, an idle connection closes silently,
 * before its first request and after one. */
static void test_timeouts(void)
{
	client_t *c = calloc(1, sizeof(*c));
	resp_t r;
	char v[64];
	if (client_connect(c, port2) == 0) {
		client_send_str(c, "GET /slow HTT");
		if (client_response(c, &r) == 0) {
			CHECK_INT(r.status, 408);
			CHECK_STR(resp_header(&r, "connection", v, sizeof(v)),
				  "close");
			resp_free(&r);
			CHECK(client_closed(c));
		} else {
			TEST_FAIL("no 408");
		}
	} else {
		TEST_FAIL("connect");
	}
	client_close(c);

	if (client_connect(c, port2) == 0)
		CHECK(client_closed(c)); /* nothing sent: EOF, no bytes */
	else
		TEST_FAIL("connect");
	client_close(c);

	if (client_connect(c, port2) == 0) {
		client_send_str(c, "GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
		if (client_response(c, &r) == 0) {
			CHECK_INT(r.status, 200);
			CHECK_STR(resp_header(&r, "connection", v, sizeof(v)),
				  "keep-alive");
			resp_free(&r);
			/* idle between requests: closed without a word (an
			 * unsolicited 408 here would race with the client's
			 * next request) */
			if (!client_closed(c))
				TEST_FAIL("an idle keep-alive connection was "
					  "answered (408?) instead of closed");
		} else {
			TEST_FAIL("idle: no response");
		}
	} else {
		TEST_FAIL("connect");
	}
	client_close(c);
	free(c);
}

static void client_main(void)
{
	test_handshake_and_echo();
	test_pipelined();
	test_request_callback();
	test_errors();
	test_long_poll();
	test_websocket();
	test_timeouts();
	/* after all that, the server still works */
	client_t *c = calloc(1, sizeof(*c));
	char sid[21];
	if (client_connect(c, port) == 0)
		handshake(c, sid);
	else
		TEST_FAIL("final connect");
	client_close(c);
	free(c);
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base) {
		fprintf(stderr, "event_base_new failed\n");
		return 1;
	}
	eio_options_t opts;
	eio_options_init(&opts);
	opts.max_payload = MAX_PAYLOAD;
	eio_callbacks_t cbs = {
	    .open = on_open,
	    .message = on_message,
	    .close = on_close,
	    .request = on_request,
	};
	eio_server_t *srv = eio_server_new(base, &opts, &cbs, NULL);
	opts.http_timeout_ms = 300;
	opts.keepalive_timeout_ms = 300;
	eio_server_t *srv2 = eio_server_new(base, &opts, &cbs, NULL);
	if (!srv || !srv2) {
		fprintf(stderr, "eio_server_new failed\n");
		return 1;
	}
	CHECK_INT(eio_server_listen(srv, "127.0.0.1", 0), 0);
	CHECK_INT(eio_server_listen(srv2, "127.0.0.1", 0), 0);
	port = eio_server_port(srv, 0);
	port2 = eio_server_port(srv2, 0);
	CHECK(port != 0);
	CHECK(port2 != 0 && port2 != port);
	CHECK_INT(eio_server_port(srv, 1), 0);

	if (client_run(base, client_main, "http_test", 60) < 0)
		return 1;

	/* handshakes: echo, pipelined, long poll, websocket, final */
	CHECK_INT(atomic_load(&n_opens), 5);
	/* the WebSocket one closed with its transport */
	CHECK_INT(atomic_load(&n_closes), 1);
	CHECK_INT(atomic_load(&n_transport_closes), 1);
	CHECK_INT(eio_server_session_count(srv), 4);
	CHECK_INT(eio_server_session_count(srv2), 0);
	/* echo test 2, long poll 1, websocket 2 */
	CHECK_INT(atomic_load(&n_messages), 5);
	/* first, second, fourth, teapot, some/path, under, idle */
	CHECK_INT(atomic_load(&n_requests), 7);

	eio_server_free(srv);
	eio_server_free(srv2);
	CHECK_INT(atomic_load(&n_closes), 5);
	CHECK_INT(atomic_load(&n_shutdown_closes), 4);
	event_base_free(base);
	TEST_EXIT();
}

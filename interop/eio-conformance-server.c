/* eio-conformance-server: the Engine.IO server that the official protocol
 * test suite (socketio/engine.io-protocol, test-suite/) and our interop
 * harness expect: 127.0.0.1, path /engine.io/, pingInterval 300 ms,
 * pingTimeout 200 ms, maxPayload 1000000, CORS "*", echoing every message
 * to its sender. Prints "listening 127.0.0.1:PORT" once ready; SIGTERM or
 * SIGINT stops it with exit status 0. */
#include "eio.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_message(void *ud, eio_session_t *s, int binary,
		       const uint8_t *data, size_t len)
{
	(void)ud;
	eio_session_send_data(s, binary, data, len);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: eio-conformance-server [--port N]\n"
		   "  --port N   TCP port on 127.0.0.1 (default 3000, 0: any)\n"
		   "  --help     this text\n");
}

int main(int argc, char **argv)
{
	long port = 3000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			char *end;
			port = strtol(argv[++i], &end, 10);
			if (*end || port < 0 || port > 65535) {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	struct event_base *base = event_base_new();
	eio_options_t opts;
	eio_options_init(&opts);
	opts.path = "/engine.io/";
	opts.ping_interval_ms = 300;
	opts.ping_timeout_ms = 200;
	opts.max_payload = 1000000;
	opts.cors_origin = "*";
	eio_callbacks_t cbs = {.message = on_message};
	eio_server_t *srv =
	    base ? eio_server_new(base, &opts, &cbs, NULL) : NULL;
	if (!srv) {
		fprintf(stderr, "eio-conformance-server: out of memory\n");
		return 1;
	}
	int r = eio_server_listen(srv, "127.0.0.1", (uint16_t)port);
	if (r < 0) {
		fprintf(stderr,
			"eio-conformance-server: listen on port %ld: %s\n",
			port, strerror(-r));
		return 1;
	}
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	printf("listening 127.0.0.1:%u\n", eio_server_port(srv, 0));
	fflush(stdout);
	event_base_dispatch(base);
	eio_server_free(srv);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	return 0;
}

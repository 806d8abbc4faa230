/* libFuzzer target: socketiod's built-in service (src/service.c, chat.c,
 * rooms.c, notify.c, users.c, identity.c, relay.c, stats.c, api.c) on an
 * in-process server, fed the events of two WebSocket clients and the
 * requests of the HTTP API.
 *
 * Input format: messages separated by 0xFF bytes (at most 64). The first
 * byte `op` of a message says what it is, the rest is its payload:
 *   client = op >> 7 (client A or B), ack = op & 0x40,
 *   kind   = (op & 0x3F) % (5 + number of events):
 *   0 CONNECT  client sends "40<payload>" (the auth: {"token":"<JWT>"},
 *              {"username":"x"}, ...);
 *   1 RAW      client sends the payload as an Engine.IO message ("41",
 *              "43[...]", "3", a binary one when not UTF-8, ...);
 *   2 HTTP     one HTTP request on a new connection: payload[0] picks
 *              the route of routes[], the rest is the body (or, for GET
 *              and HEAD, the end of the path, percent-encoded as
 *              needed: the room of /api/rooms/, a file of the demo);
 *   3 TIME     time passes: the 1 + payload[0] % 4 next timers of the
 *              loop fire, earliest first (typing expiry, the user linger,
 *              stats:listeners, heartbeats, ...);
 *   4 DROP     the client drops its connection (EOF, no close frame);
 *   5+i        client emits events[i] with the payload as its arguments:
 *              "42[<ack id>][\"<event>\",<payload>]" ("42[\"<event>\"]"
 *              for an empty payload), with an ack id when `ack` is set.
 * A client connects (WebSocket upgrade) when it first sends something,
 * and again after a DROP or after the server closed it; at most 8
 * connections per input.
 *
 * e.g. "\x00{\"username\":\"al\"}\xff\x4d{\"room\":\"r\"}\xff\x4f{\"room\":
 * \"r\",\"message\":\"hi\"}" connects client A, joins chat room r with an
 * ack and says hi in it.
 *
 * For each input a fresh server and service are made on one event_base
 * (made once), with the options of service_args[]: auth optional with an
 * HS256 secret ("fuzz-secret", the seeds carry tokens signed with it),
 * an API key ("fuzz-key"), two relay events, a history of 3 messages,
 * small rate limits; the demo files are those of the build tree, read
 * once. Server and service are freed at the end of the input, and what
 * the free left active runs, so no state survives the input. Timers
 * fire only on TIME (their durations are a second or more, an input takes
 * milliseconds); the rate limits read the monotonic clock, so a run that
 * straddles a window may differ. Ids come from the counter randombytes
 * of fuzz_server.c. With SERVICE_FUZZER_ECHO set, the server's answers
 * are copied to stderr:
 *   SERVICE_FUZZER_ECHO=1 ./fuzz/service_fuzzer fuzz/corpus/service/x */
#include "fuzz_server.h"
#include "service.h"
#include "static.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MESSAGES 64
#define MAX_CONNECTIONS 8
#define API_KEY "fuzz-key"

static char *service_args[] = {
    "socketiod",
    "--auth=optional",
    "--jwt-secret=fuzz-secret",
    ("--api-key=" API_KEY),
    "--relay-event=location:update",
    "--relay-event=doc:edit",
    "--history-size=3",
    "--max-message-length=40",
    "--message-rate=3",
    "--message-window=1000",
    "--event-rate=40",
    "--typing-timeout=3000",
    "--stats-interval=2000",
    "--recovery-window=60000",
};

/* The events a client emits, by index: every event of the service, the
 * relays above, an unknown one and a reserved one. */
static const char *const events[] = {
    /* op 5: rooms.c */
    "join:room",
    "leave:room",
    "join-room",
    "leave-room",
    "presence:list",
    "video:join",
    "video:leave",
    "video:progress",
    /* op 13: chat.c */
    "chat:join",
    "chat:leave",
    "chat:message",
    "chat:history",
    "chat:typing",
    "chat:react",
    "chat:read",
    "send-message",
    "typing-start",
    "typing-stop",
    "add-reaction",
    /* op 24: notify.c */
    "notifications:subscribe",
    "notifications:unsubscribe",
    "notifications:read",
    "notifications:count",
    "user:join",
    "channel:join",
    "message:send",
    "notifications:get",
    /* op 32: relays, unknown, reserved */
    "location:update",
    "doc:edit",
    "nope",
    "disconnect",
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

enum { OP_CONNECT, OP_RAW, OP_HTTP, OP_TIME, OP_DROP, OP_EVENT };

/* The HTTP requests of OP_HTTP: method, path, Authorization header,
 * Content-Type (POST only). */
static const struct route {
	const char *method, *path, *auth, *type;
} routes[] = {
    {"POST", "/api/emit", "Bearer " API_KEY, "application/json"},
    {"POST", "/api/notify", "Bearer " API_KEY, "application/json"},
    {"POST", "/api/disconnect", "Bearer " API_KEY, "application/json"},
    {"GET", "/api/rooms/", "Bearer " API_KEY, NULL},
    {"GET", "/api/stats", "Bearer " API_KEY, NULL},
    {"GET", "/health", NULL, NULL},
    {"GET", "/ready", NULL, NULL},
    {"GET", "/metrics", NULL, NULL},
    {"POST", "/api/emit", "Bearer wrong", "application/json"},
    {"POST", "/api/notify", NULL, "application/json"},
    {"POST", "/api/emit", "Bearer " API_KEY, "text/plain"},
    {"GET", "/api/emit", "Bearer " API_KEY, NULL},
    {"GET", "/api/other", "Bearer " API_KEY, NULL},
    {"GET", "/", NULL, NULL},
    {"HEAD", "/", NULL, NULL},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static sd_config_t cfg;
static sd_static_t *files; /* the demo of the build tree, or NULL */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_server_init("SERVICE_FUZZER_ECHO");
	int n = (int)(sizeof(service_args) / sizeof(service_args[0]));
	if (sd_config_load(&cfg, n, service_args, NULL, stdout, stderr) !=
	    SD_CONFIG_RUN)
		abort();
	files = sd_static_new(NULL, NULL);
	return 0;
}

/* --- Clients ------------------------------------------------------------- */

typedef struct client {
	int fd; /* -1: not connected */
	unsigned next_ack;
} client_t;

typedef struct run {
	sio_server_t *srv;
	client_t clients[2];
	int connections;
	fuzz_buf_t out;
} run_t;

static void drop(client_t *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	/* the server sees the EOF */
	for (int i = 0; i < 4; i++)
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	if (fuzz_server_echo())
		fputs("\n--- dropped\n", stderr);
}

/* Reads what the other clients were sent (or notices they were closed),
 * so that their connections never fill up. */
static void drain_all(run_t *r)
{
	for (int i = 0; i < 2; i++)
		if (r->clients[i].fd >= 0 &&
		    fuzz_server_pump(r->clients[i].fd, NULL, 0, 0) < 0)
			drop(&r->clients[i]);
}

/* Sends the Engine.IO message `m` from client `c`, connecting it first
 * when it is not. */
static void client_send(run_t *r, client_t *c, const uint8_t *m, size_t n)
{
	r->out.len = 0;
	if (c->fd < 0) {
		if (r->connections == MAX_CONNECTIONS)
			return;
		r->connections++;
		c->fd = fuzz_server_connect(sio_server_engine(r->srv));
		c->next_ack = 0;
		fuzz_ws_upgrade(&r->out);
	}
	fuzz_ws_frame(&r->out, m, n);
	if (fuzz_server_pump(c->fd, r->out.b, r->out.len, 0) < 0)
		drop(c);
	drain_all(r);
}

/* 42[<ack id>]["<event>"[,<payload>]] */
static void client_emit(run_t *r, client_t *c, const char *event, int ack,
			const uint8_t *p, size_t n)
{
	fuzz_buf_t m = {NULL, 0, 0};
	char head[200];
	int hl = ack ? snprintf(head, sizeof(head), "42%u[\"%s\"",
				c->next_ack++, event)
		     : snprintf(head, sizeof(head), "42[\"%s\"", event);
	fuzz_buf_put(&m, head, (size_t)hl);
	if (n) {
		fuzz_buf_put(&m, ",", 1);
		fuzz_buf_put(&m, p, n);
	}
	fuzz_buf_put(&m, "]", 1);
	client_send(r, c, m.b, m.len);
	free(m.b);
}

/* --- HTTP ---------------------------------------------------------------- */

static void put_str(fuzz_buf_t *b, const char *s)
{
	fuzz_buf_put(b, s, strlen(s));
}

/* Bytes that go into a path as they are ('%' too, so that malformed
 * escapes reach the decoder, and '?'); the others are percent-encoded. */
static int path_safe(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("%-_.:~!*/?=&", ch));
}

static void http_request(run_t *r, const uint8_t *p, size_t n)
{
	const struct route *rt = &routes[n ? p[0] % NROUTES : 0];
	const uint8_t *body = n ? p + 1 : p;
	size_t blen = n ? n - 1 : 0;
	fuzz_buf_t req = {NULL, 0, 0};
	char line[128];
	put_str(&req, rt->method);
	put_str(&req, " ");
	put_str(&req, rt->path);
	if (!rt->type) { /* GET, HEAD: the rest ends the path */
		for (size_t i = 0; i < blen; i++) {
			if (path_safe(body[i]))
				fuzz_buf_put(&req, &body[i], 1);
			else {
				snprintf(line, sizeof(line), "%%%02X", body[i]);
				put_str(&req, line);
			}
		}
		blen = 0;
	}
	put_str(&req, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
	if (rt->auth) {
		snprintf(line, sizeof(line), "Authorization: %s\r\n", rt->auth);
		put_str(&req, line);
	}
	if (rt->type) {
		snprintf(line, sizeof(line),
			 "Content-Type: %s\r\nContent-Length: %zu\r\n",
			 rt->type, blen);
		put_str(&req, line);
	}
	put_str(&req, "\r\n");
	fuzz_buf_put(&req, body, blen);
	int fd = fuzz_server_connect(sio_server_engine(r->srv));
	fuzz_server_pump(fd, req.b, req.len, 1);
	close(fd);
	free(req.b);
	if (fuzz_server_echo())
		fputs("\n--- http done\n", stderr);
	drain_all(r);
}

/* --- Time ---------------------------------------------------------------- */

typedef struct next_timer {
	struct event *ev;
	struct timeval when;
} next_timer_t;

static int earliest(const struct event_base *base, const struct event *ev,
		    void *ud)
{
	(void)base;
	next_timer_t *next = ud;
	struct timeval when;
	if (event_pending(ev, EV_TIMEOUT, &when) &&
	    (!next->ev || evutil_timercmp(&when, &next->when, <))) {
		next->ev = (struct event *)ev;
		next->when = when;
	}
	return 0;
}

/* Fires the `n` next timers of the loop, one at a time, earliest first:
 * as if the time passed until each. */
static void fire_timers(run_t *r, int n)
{
	for (int i = 0; i < n; i++) {
		next_timer_t next = {NULL, {0, 0}};
		event_base_foreach_event(fuzz_base, earliest, &next);
		if (!next.ev)
			break;
		event_active(next.ev, EV_TIMEOUT, 1);
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		drain_all(r);
	}
}

/* --- The input ----------------------------------------------------------- */

static void run_message(run_t *r, const uint8_t *m, size_t n)
{
	if (n == 0)
		return;
	client_t *c = &r->clients[m[0] >> 7];
	int ack = (m[0] & 0x40) != 0;
	unsigned kind = (m[0] & 0x3F) % (OP_EVENT + NEVENTS);
	const uint8_t *p = m + 1;
	n--;
	switch (kind) {
	case OP_CONNECT: {
		fuzz_buf_t b = {NULL, 0, 0};
		fuzz_buf_put(&b, "40", 2);
		fuzz_buf_put(&b, p, n);
		client_send(r, c, b.b, b.len);
		free(b.b);
		break;
	}
	case OP_RAW: client_send(r, c, p, n); break;
	case OP_HTTP: http_request(r, p, n); break;
	case OP_TIME: fire_timers(r, 1 + (n ? p[0] % 4 : 0)); break;
	case OP_DROP: drop(c); break;
	default: client_emit(r, c, events[kind - OP_EVENT], ack, p, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_server_reset();
	sio_options_t opts;
	sio_options_init(&opts);
	opts.eio.max_payload = cfg.max_payload;
	opts.recovery_window_ms = cfg.recovery_window_ms;
	opts.connect_timeout_ms = cfg.connect_timeout_ms;
	run_t r = {.srv = sio_server_new(fuzz_base, &opts),
		   .clients = {{-1, 0}, {-1, 0}}};
	const char *error;
	sd_service_t *svc =
	    r.srv ? sd_service_new(fuzz_base, r.srv, &cfg, files, &error)
		  : NULL;
	if (!svc)
		abort();

	size_t pos = 0;
	for (int i = 0; i < MAX_MESSAGES && pos < size; i++) {
		const uint8_t *m = data + pos;
		const uint8_t *e = memchr(m, 0xFF, size - pos);
		size_t n = e ? (size_t)(e - m) : size - pos;
		pos += n + 1;
		run_message(&r, m, n);
	}

	for (int i = 0; i < 2; i++)
		if (r.clients[i].fd >= 0)
			close(r.clients[i].fd);
	free(r.out.b);
	sio_server_free(r.srv); /* its disconnects still use the service */
	sd_service_free(svc);
	/* run what the free left active, so nothing carries over */
	event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	return 0;
}

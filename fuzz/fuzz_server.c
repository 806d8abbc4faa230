/* The socketpair-driven in-process server of the server fuzzers (see
 * fuzz_server.h). */
#include "fuzz_server.h"
#include "conn.h"
#include "utf8.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct event_base *fuzz_base;
static int echo;

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

/* --- driver --------------------------------------------------------------- */

void fuzz_server_init(const char *echo_env)
{
	signal(SIGPIPE, SIG_IGN);
	echo = getenv(echo_env) != NULL;
	if (randombytes_set_implementation(&rng) != 0 || sodium_init() < 0)
		abort();
	fuzz_base = event_base_new();
	if (!fuzz_base)
		abort();
}

int fuzz_server_echo(void)
{
	return echo;
}

void fuzz_server_reset(void)
{
	rng_next = 0;
}

int fuzz_server_connect(eio_server_t *srv)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(40000)};
	sin.sin_addr.s_addr = htonl(0x7f000001);
	eio__conn_accept(srv, sv[0], (const struct sockaddr *)&sin);
	return sv[1];
}

/* Reads and discards what the server sent: 1 if it sent something,
 * 0 if nothing, -1 once it closed the connection (or reset it). */
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

int fuzz_server_pump(int fd, const uint8_t *out, size_t len, int shut_wr)
{
	size_t off = 0;
	int shut = !shut_wr, idle = 0;
	for (int iter = 0; iter < 10000 && idle < 4; iter++) {
		int progress = 0;
		if (off < len) {
			ssize_t n = send(fd, out + off, len - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				progress = 1;
			} else if (n < 0 && errno != EAGAIN &&
				   errno != EWOULDBLOCK && errno != EINTR) {
				off = len; /* the server closed */
			}
		}
		if (off == len && !shut) {
			shutdown(fd, SHUT_WR);
			shut = 1;
			progress = 1;
		}
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		int d = drain(fd);
		if (d < 0)
			return -1;
		if (d > 0)
			progress = 1;
		idle = progress ? 0 : idle + 1;
	}
	return 0;
}

/* --- A WebSocket client ------------------------------------------------ */

void fuzz_buf_put(fuzz_buf_t *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->b = realloc(b->b, b->cap);
		if (!b->b)
			abort();
	}
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

void fuzz_ws_upgrade(fuzz_buf_t *b)
{
	static const char req[] =
	    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
	    "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	fuzz_buf_put(b, req, sizeof(req) - 1);
}

void fuzz_ws_frame(fuzz_buf_t *b, const uint8_t *m, size_t n)
{
	uint8_t h[14];
	size_t hl = 0;
	h[hl++] = eio__utf8_valid(m, n) ? 0x81 : 0x82;
	if (n < 126) {
		h[hl++] = (uint8_t)(0x80 | n);
	} else if (n <= 0xFFFF) {
		h[hl++] = 0x80 | 126;
		h[hl++] = (uint8_t)(n >> 8);
		h[hl++] = (uint8_t)n;
	} else {
		h[hl++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			h[hl++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	memset(h + hl, 0, 4);
	hl += 4;
	fuzz_buf_put(b, h, hl);
	fuzz_buf_put(b, m, n);
}

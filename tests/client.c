/* The blocking test client and its thread harness (see client.h). */
#define _GNU_SOURCE /* memmem */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int client_connect(client_t *c, uint16_t port)
{
	c->len = 0;
	c->next_id = 1;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 10};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void client_close(client_t *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void client_free(client_t *c)
{
	if (!c)
		return;
	client_close(c);
	free(c);
}

int client_send(client_t *c, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int client_send_str(client_t *c, const char *s)
{
	return client_send(c, s, strlen(s));
}

ssize_t client_fill(client_t *c)
{
	if (c->len == sizeof(c->buf))
		return -1;
	for (;;) {
		ssize_t n =
		    recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			c->len += (size_t)n;
		return n;
	}
}

int client_closed(client_t *c)
{
	if (c->len > 0)
		return 0;
	char b[256];
	ssize_t n;
	do
		n = recv(c->fd, b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* --- HTTP ------------------------------------------------------------- */

void resp_free(resp_t *r)
{
	free(r->body);
	r->body = NULL;
}

const char *resp_header(const resp_t *r, const char *name, char *out,
			size_t outlen)
{
	size_t nlen = strlen(name);
	const char *line = strstr(r->head, "\r\n");
	while (line) {
		line += 2;
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (*v == ' ')
				v++;
			const char *e = strstr(v, "\r\n");
			size_t vl = e ? (size_t)(e - v) : strlen(v);
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		line = strstr(line, "\r\n");
	}
	return NULL;
}

static int read_response(client_t *c, resp_t *r, int with_body)
{
	memset(r, 0, sizeof(*r));
	char *end;
	for (;;) {
		end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (end)
			break;
		if (client_fill(c) <= 0)
			return -1;
	}
	size_t hlen = (size_t)(end - c->buf) + 2; /* keep the last CRLF */
	if (hlen >= sizeof(r->head))
		return -1;
	memcpy(r->head, c->buf, hlen);
	r->head[hlen] = '\0';
	if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
		return -1;
	char cl[32];
	size_t blen = 0;
	if (with_body && resp_header(r, "content-length", cl, sizeof(cl)))
		blen = strtoul(cl, NULL, 10);
	size_t total = hlen + 2 + blen;
	while (c->len < total)
		if (client_fill(c) <= 0)
			return -1;
	r->body = malloc(blen + 1);
	if (!r->body)
		return -1;
	memcpy(r->body, c->buf + hlen + 2, blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	memmove(c->buf, c->buf + total, c->len - total);
	c->len -= total;
	return 0;
}

int client_response(client_t *c, resp_t *r)
{
	return read_response(c, r, 1);
}

int client_response_to_head(client_t *c, resp_t *r)
{
	return read_response(c, r, 0);
}

/* --- WebSocket -------------------------------------------------------- */

void ws_send(client_t *c, int opcode, const void *data, size_t len)
{
	uint8_t *f = malloc(len + 14);
	static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t h = 0;
	f[h++] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		f[h++] = (uint8_t)(0x80 | len);
	} else if (len <= 0xFFFF) {
		f[h++] = 0x80 | 126;
		f[h++] = (uint8_t)(len >> 8);
		f[h++] = (uint8_t)len;
	} else {
		f[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			f[h++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	memcpy(f + h, mask, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		f[h + i] = ((const uint8_t *)data)[i] ^ mask[i % 4];
	client_send(c, f, h + len);
	free(f);
}

int client_ws_recv(client_t *c, int *b0, char **payload, size_t *plen, int *eof)
{
	if (eof)
		*eof = 0;
	for (;;) {
		const uint8_t *h = (const uint8_t *)c->buf;
		if (c->len >= 2) {
			size_t len = h[1] & 0x7f, hl = 2;
			if (len == 126)
				hl = 4;
			else if (len == 127)
				hl = 10;
			if (c->len >= hl) {
				if (hl == 4)
					len = (size_t)h[2] << 8 | h[3];
				else if (hl == 10) {
					len = 0;
					for (int i = 0; i < 8; i++)
						len = len << 8 | h[2 + i];
				}
				if (h[1] & 0x80)
					return CLIENT_WS_MASKED;
				if (hl + len > sizeof(c->buf))
					return -1;
				if (c->len >= hl + len) {
					*b0 = h[0];
					*payload = malloc(len + 1);
					memcpy(*payload, c->buf + hl, len);
					(*payload)[len] = '\0';
					*plen = len;
					memmove(c->buf, c->buf + hl + len,
						c->len - hl - len);
					c->len -= hl + len;
					return 0;
				}
			}
		}
		ssize_t n = client_fill(c);
		if (eof && (n == 0 || (n < 0 && errno == ECONNRESET)))
			*eof = 1;
		if (n <= 0)
			return -1;
	}
}

/* --- the harness ------------------------------------------------------ */

typedef struct {
	struct event_base *base;
	void (*fn)(void);
	const char *name;
	atomic_int done;
} run_t;

static void *run_main(void *arg)
{
	run_t *run = arg;
	run->fn();
	atomic_store(&run->done, 1);
	return NULL;
}

static void poll_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_t *run = arg;
	if (atomic_load(&run->done))
		event_base_loopbreak(run->base);
}

static void watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_t *run = arg;
	fprintf(stderr, "%s: timed out\n", run->name);
	_exit(1);
}

int client_run(struct event_base *base, void (*fn)(void), const char *name,
	       int limit_s)
{
	run_t run = {.base = base, .fn = fn, .name = name};
	atomic_init(&run.done, 0);
	struct timeval tick = {.tv_usec = 5000}, limit = {.tv_sec = limit_s};
	struct event *poll_ev =
	    event_new(base, -1, EV_PERSIST, poll_done, &run);
	struct event *dog = evtimer_new(base, watchdog, &run);
	event_add(poll_ev, &tick);
	event_add(dog, &limit);

	pthread_t th;
	int r = 0;
	if (pthread_create(&th, NULL, run_main, &run) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		r = -1;
	} else {
		event_base_dispatch(base);
		pthread_join(th, NULL);
	}
	event_free(poll_ev);
	event_free(dog);
	return r;
}

/* ws: the WebSocket transport of sio-bench (RFC 6455, client side).
 * The upgrade request goes out as soon as TCP is up; the 101 answer's
 * Sec-WebSocket-Accept is checked; then each text frame (or fragmented
 * text message) is one Engine.IO packet. Client frames are masked with a
 * fresh key each. Pings are answered with pongs; a close frame from the
 * server ends the client (an error unless the client was closing). */
#include "bench.h"
#include "../engineio/sha1.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_MESSAGE ((uint64_t)64 << 20)
#define MAX_HEAD 16384

static void readcb(struct bufferevent *bev, void *arg);
static void writecb(struct bufferevent *bev, void *arg);
static void eventcb(struct bufferevent *bev, short what, void *arg);

static void key_base64(const unsigned char key[16], char out[25])
{
	sodium_bin2base64(out, 25, key, 16, sodium_base64_VARIANT_ORIGINAL);
}

int ws_connect(struct client *c)
{
	struct bufferevent *bev = client_bufferevent(c);
	if (!bev)
		return -1;
	c->bev = bev;
	bufferevent_setcb(bev, readcb, writecb, eventcb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* a failure here may already have run eventcb (and freed c->bev) */
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&B.dst,
				       sizeof(B.dst)) != 0) {
		client_fail(c, E_CONNECT, "connect: %s", strerror(errno));
		return -1;
	}
	if (c->bev != bev)
		return -1;
	for (int i = 0; i < 2; i++) {
		uint64_t r = bench_rand();
		memcpy(c->key + 8 * i, &r, 8);
	}
	char key[25];
	key_base64(c->key, key);
	/* held by the bufferevent until the connection is up */
	evbuffer_add_printf(bufferevent_get_output(bev),
			    "GET %s?EIO=4&transport=websocket HTTP/1.1\r\n"
			    "Host: %s\r\n"
			    "Upgrade: websocket\r\n"
			    "Connection: Upgrade\r\n"
			    "Sec-WebSocket-Key: %s\r\n"
			    "Sec-WebSocket-Version: 13\r\n\r\n",
			    B.path, B.host, key);
	return 0;
}

void ws_release(struct client *c)
{
	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->frag)
		evbuffer_free(c->frag);
	c->frag = NULL;
}

/* Once the upgrade is done, frames are written at once (or, from within
 * the read callback, once it is over) instead of on the next loop
 * iteration: no write event is added and deleted for each, and libevent's
 * write event only serves for what the socket did not take. */
static void flush(struct client *c)
{
	struct bufferevent *bev = c->bev;
	struct evbuffer *out = bufferevent_get_output(bev);
	if (evbuffer_get_length(out) == 0 ||
	    (bufferevent_get_enabled(bev) & EV_WRITE))
		return;
	/* a socket bufferevent keeps the start of its output frozen, so
	 * that only libevent drains it; thaw it for this write */
	evbuffer_unfreeze(out, 1);
	int n = evbuffer_write(out, bufferevent_getfd(bev));
	int e = errno;
	evbuffer_freeze(out, 1);
	if (n < 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINTR) {
		client_fail(c, c->state == CS_READY ? E_CLOSED : E_HANDSHAKE,
			    "write: %s", strerror(e));
		return;
	}
	if (evbuffer_get_length(out))
		bufferevent_enable(bev, EV_WRITE);
}

static void writecb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	if (c->direct) /* all written: back to direct writes */
		bufferevent_disable(bev, EV_WRITE);
}

/* One masked frame holding the iovecs, FIN set. */
void ws_sendv(struct client *c, int op, const struct iovec *iov, int n)
{
	if (!c->bev)
		return;
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	size_t hl = 2 + (len < 126 ? 0 : len <= 0xffff ? 2 : 8) + 4;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	if (evbuffer_reserve_space(out, (ev_ssize_t)(hl + len), &v, 1) != 1) {
		client_fail(c, E_SOCKET, "out of memory for a %zu-byte frame",
			    len);
		return;
	}
	unsigned char *q = v.iov_base;
	q[0] = (unsigned char)(0x80 | op);
	if (len < 126) {
		q[1] = (unsigned char)(0x80 | len);
	} else if (len <= 0xffff) {
		q[1] = 0x80 | 126;
		q[2] = (unsigned char)(len >> 8);
		q[3] = (unsigned char)len;
	} else {
		q[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			q[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	uint32_t mask = (uint32_t)(bench_rand() >> 16);
	unsigned char *m = q + hl - 4;
	memcpy(m, &mask, 4);
	unsigned char *d = q + hl;
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len)
			memcpy(d + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	/* mask 8 bytes at a time: the mask's phase is 0 at d */
	uint64_t m8;
	memcpy(&m8, m, 4);
	memcpy((unsigned char *)&m8 + 4, m, 4);
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, d + i, 8);
		w ^= m8;
		memcpy(d + i, &w, 8);
	}
	for (; i < len; i++)
		d[i] ^= m[i & 3];
	v.iov_len = hl + len;
	evbuffer_commit_space(out, &v, 1);
	if (c->direct && !c->in_read)
		flush(c);
}

/* The Socket.IO disconnect has been sent; now the close frame (1000). */
void ws_close(struct client *c)
{
	struct iovec v = {(void *)"\x03\xe8", 2};
	ws_sendv(c, 0x8, &v, 1);
}

/* The value of header name (with its ':') in the head, or NULL. */
static const char *header(const char *h, size_t hl, const char *name,
			  size_t *vlen)
{
	size_t nl = strlen(name);
	const char *end = h + hl;
	const char *line = memchr(h, '\n', hl);
	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			break;
		if ((size_t)(eol - line) > nl &&
		    strncasecmp(line, name, nl) == 0) {
			const char *v = line + nl;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
					  ve[-1] == '\t'))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		line = eol;
	}
	return NULL;
}

/* The answer to the upgrade: 1 done, 0 more bytes needed, -1 failed. */
static int upgrade_answer(struct client *c, struct evbuffer *in)
{
	struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (e.pos < 0) {
		if (evbuffer_get_length(in) > MAX_HEAD) {
			client_fail(c, E_HANDSHAKE,
				    "upgrade answer head over %d bytes",
				    MAX_HEAD);
			return -1;
		}
		return 0;
	}
	size_t hl = (size_t)e.pos + 4;
	const char *h = (const char *)evbuffer_pullup(in, (ev_ssize_t)hl);
	if (hl < 12 || memcmp(h, "HTTP/1.1 101", 12) != 0) {
		const char *eol = memchr(h, '\r', hl);
		client_fail(c, E_HANDSHAKE, "upgrade refused: %.*s",
			    (int)(eol ? eol - h : 40), h);
		return -1;
	}
	char key[25], buf[64];
	unsigned char digest[EIO_SHA1_LEN];
	char want[sodium_base64_ENCODED_LEN(EIO_SHA1_LEN,
					    sodium_base64_VARIANT_ORIGINAL)];
	key_base64(c->key, key);
	int n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	eio__sha1(buf, (size_t)n, digest);
	sodium_bin2base64(want, sizeof(want), digest, sizeof(digest),
			  sodium_base64_VARIANT_ORIGINAL);
	size_t vl = 0;
	const char *got = header(h, hl, "sec-websocket-accept:", &vl);
	if (!got || vl != strlen(want) || memcmp(got, want, vl) != 0) {
		client_fail(c, E_HANDSHAKE, "%s Sec-WebSocket-Accept",
			    got ? "wrong" : "no");
		return -1;
	}
	evbuffer_drain(in, hl);
	c->state = CS_OPEN;
	/* the request is out (it was answered): write directly from now on */
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		c->direct = 1;
		bufferevent_disable(c->bev, EV_WRITE);
	}
	return 1;
}

static void frame(struct client *c, int op, int fin, const char *p, size_t n,
		  uint64_t now)
{
	if (op >= 0x8 && (!fin || n > 125)) {
		client_fail(c, E_PROTOCOL, "control frame %d fragmented or "
			    "over 125 bytes", op);
		return;
	}
	switch (op) {
	case 0x1:
	case 0x2:
		if (c->frag) {
			client_fail(c, E_PROTOCOL, "a new message inside a "
				    "fragmented one");
			return;
		}
		if (!fin) {
			c->frag = evbuffer_new();
			if (!c->frag || evbuffer_add(c->frag, p, n) != 0) {
				client_fail(c, E_SOCKET, "out of memory");
				return;
			}
			c->frag_op = (uint8_t)op;
			return;
		}
		if (op == 0x1)
			client_message(c, p, n, now);
		/* binary: Engine.IO binary packets, which no scenario uses */
		return;
	case 0x0: {
		if (!c->frag) {
			client_fail(c, E_PROTOCOL, "continuation frame with no "
				    "message begun");
			return;
		}
		if (evbuffer_add(c->frag, p, n) != 0 ||
		    evbuffer_get_length(c->frag) > MAX_MESSAGE) {
			client_fail(c, E_PROTOCOL, "fragmented message too "
				    "large");
			return;
		}
		if (!fin)
			return;
		struct evbuffer *f = c->frag;
		c->frag = NULL;
		size_t len = evbuffer_get_length(f);
		if (c->frag_op == 0x1)
			client_message(c, (const char *)evbuffer_pullup(f, -1),
				       len, now);
		evbuffer_free(f);
		return;
	}
	case 0x8: {
		if (c->state == CS_CLOSING)
			return; /* ours was sent: the server closes the TCP */
		unsigned code = n >= 2 ? ((unsigned char)p[0] << 8 |
					  (unsigned char)p[1])
				       : 1005;
		client_fail(c, E_CLOSED, "server sent WebSocket close %u%s%.*s",
			    code, n > 2 ? " " : "",
			    n > 2 ? (int)(n - 2) : 0, n > 2 ? p + 2 : "");
		return;
	}
	case 0x9: {
		struct iovec v = {(void *)p, n};
		ws_sendv(c, 0xA, &v, 1);
		return;
	}
	case 0xA:
		return;
	default:
		client_fail(c, E_PROTOCOL, "unknown opcode %d", op);
	}
}

static void read_frames(struct client *c, struct bufferevent *bev);

static void readcb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	c->in_read = 1;
	read_frames(c, bev);
	if (c->bev != bev)
		return; /* released */
	c->in_read = 0;
	if (c->direct)
		flush(c); /* what the frames read called for, in one write */
}

static void read_frames(struct client *c, struct bufferevent *bev)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	if (c->state == CS_TCP || c->state == CS_UPGRADE) {
		if (upgrade_answer(c, in) != 1)
			return;
	}
	uint64_t now = now_ns();
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		if (avail < 2)
			return;
		unsigned char h[14];
		evbuffer_copyout(in, h, avail < 14 ? avail : 14);
		int fin = h[0] & 0x80, op = h[0] & 0x0f;
		if (h[0] & 0x70) {
			client_fail(c, E_PROTOCOL, "RSV bits set (no extension "
				    "was negotiated)");
			return;
		}
		if (h[1] & 0x80) {
			client_fail(c, E_PROTOCOL, "masked frame from the "
				    "server");
			return;
		}
		uint64_t plen = h[1] & 0x7f;
		size_t hl = 2;
		if (plen == 126) {
			if (avail < 4)
				return;
			plen = (uint64_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (plen == 127) {
			if (avail < 10)
				return;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | h[2 + i];
			hl = 10;
		}
		if (plen > MAX_MESSAGE) {
			client_fail(c, E_PROTOCOL, "frame of %llu bytes",
				    (unsigned long long)plen);
			return;
		}
		if (avail < hl + plen)
			return;
		const char *p = (const char *)evbuffer_pullup(
		    in, (ev_ssize_t)(hl + plen));
		if (!p) {
			client_fail(c, E_SOCKET, "out of memory");
			return;
		}
		frame(c, op, fin, p + hl, (size_t)plen, now);
		if (c->bev != bev)
			return; /* released */
		evbuffer_drain(in, hl + (size_t)plen);
	}
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct client *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		c->tcp_up = 1;
		if (c->state == CS_TCP)
			c->state = CS_UPGRADE;
		return;
	}
	int err = EVUTIL_SOCKET_ERROR();
	if (c->state == CS_CLOSING) {
		client_closed(c);
		return;
	}
	enum errkind k = !c->tcp_up		  ? E_CONNECT
			 : c->state == CS_READY ? E_CLOSED
						  : E_HANDSHAKE;
	if (what & BEV_EVENT_EOF)
		client_fail(c, k, "server closed the connection");
	else
		client_fail(c, k, "%s", evutil_socket_error_to_string(err));
}

/* client: one Socket.IO client of sio-bench, over either transport.
 * Picks the source address, runs the Engine.IO open and the Socket.IO
 * connect to namespace "/", answers pings, hands Socket.IO packets to the
 * scenario and counts errors. */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define CLOSE_WAIT_NS 2000000000ull /* for the server to close after ours */

static const char *state_name(int s)
{
	static const char *const names[] = {"free",    "tcp-connect",
					    "upgrade", "eio-open",
					    "sio-connect", "ready",
					    "closing"};
	return s >= 0 && s <= CS_CLOSING ? names[s] : "?";
}

static int in_handshake(int s)
{
	return s >= CS_TCP && s <= CS_CONNECT;
}

void client_kick(void)
{
	event_active(B.kick, EV_TIMEOUT, 0);
}

/* A non-blocking TCP socket bound to the client's source address. The
 * port is left to connect() (IP_BIND_ADDRESS_NO_PORT), so each source
 * address has the whole ephemeral range for each destination. */
static int client_socket(struct client *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			 sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(c->src);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

struct bufferevent *client_bufferevent(struct client *c)
{
	int fd = client_socket(c);
	if (fd < 0) {
		client_fail(c, E_SOCKET, "socket/bind: %s", strerror(-fd));
		return NULL;
	}
	struct bufferevent *bev =
	    bufferevent_socket_new(B.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		client_fail(c, E_SOCKET, "bufferevent_socket_new failed");
	}
	return bev;
}

void client_start(struct client *c, uint64_t now)
{
	c->src = B.src_first + (uint32_t)(B.src_next++ % B.sources);
	c->t_start = now;
	c->state = CS_TCP;
	c->tcp_up = 0;
	c->joined = 0;
	c->direct = 0;
	c->in_read = 0;
	c->next_id = 0;
	c->next_seq = 0;
	c->inflight = 0;
	if (c->acks)
		memset(c->acks, 0, (size_t)B.inflight * sizeof(*c->acks));
	B.handshaking++;
	B.active++;
	if (B.transport == TR_POLLING)
		(void)poll_connect(c);
	else
		(void)ws_connect(c);
}

void client_release(struct client *c)
{
	if (c->state == CS_FREE)
		return;
	if (in_handshake(c->state))
		B.handshaking--;
	if (c->state == CS_READY) {
		B.ready--;
		scen_lost(c);
	}
	if (c->ps)
		poll_release(c);
	if (c->bev || c->frag)
		ws_release(c);
	c->state = CS_FREE;
	B.active--;
	scen_released(c);
}

void client_fail(struct client *c, enum errkind k, const char *fmt, ...)
{
	if (c->state == CS_FREE)
		return;
	if (B.phase >= P_CLOSE) { /* the run is over */
		client_release(c);
		return;
	}
	B.errors[k]++;
	if (!B.first_err[k][0]) {
		char msg[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		struct in_addr a = {htonl(c->src)};
		char src[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &a, src, sizeof(src));
		snprintf(B.first_err[k], sizeof(B.first_err[k]),
			 "client %u from %s, state %s, after %.1f ms: %s",
			 c->idx, src, state_name(c->state),
			 (double)(now_ns() - c->t_start) / 1e6, msg);
	}
	client_release(c);
}

void client_sendv(struct client *c, const struct iovec *iov, int n)
{
	if (c->state == CS_FREE)
		return;
	if (B.transport == TR_POLLING)
		poll_sendv(c, iov, n);
	else
		ws_sendv(c, 0x1, iov, n);
}

void client_send(struct client *c, const char *p, size_t n)
{
	struct iovec v = {(void *)p, n};
	client_sendv(c, &v, 1);
}

/* The namespace connect came: the client is ready. */
static void ready(struct client *c, uint64_t now)
{
	c->state = CS_READY;
	B.handshaking--;
	B.ready++;
	B.connected_total++;
	B.t_last_ready = now;
	hist_add(&B.conn_hist, now - c->t_start);
	client_kick(); /* room for the next handshake */
	scen_ready(c, now);
}

/* One Engine.IO packet (text) from the server. */
void client_message(struct client *c, const char *p, size_t n, uint64_t now)
{
	if (n == 0) {
		client_fail(c, E_PROTOCOL, "empty Engine.IO packet");
		return;
	}
	switch (p[0]) {
	case '0': /* open */
		if (c->state != CS_OPEN) {
			client_fail(c, E_PROTOCOL, "unexpected open packet");
			return;
		}
		c->state = CS_CONNECT;
		client_send(c, "40", 2);
		return;
	case '1': /* close */
		if (c->state == CS_CLOSING)
			client_closed(c);
		else
			client_fail(c, E_CLOSED, "server sent Engine.IO close");
		return;
	case '2': { /* ping: pong with the same data */
		struct iovec v[2] = {{(void *)"3", 1},
				     {(void *)(p + 1), n - 1}};
		client_sendv(c, v, 2);
		return;
	}
	case '4': /* message: a Socket.IO packet */
		break;
	default: /* pong, upgrade, noop, binary: nothing to do */
		return;
	}
	if (n < 2) {
		client_fail(c, E_PROTOCOL, "empty Socket.IO packet");
		return;
	}
	if (c->state == CS_CONNECT) {
		if (p[1] == '0') {
			ready(c, now);
		} else if (p[1] == '4') {
			int len = n > 120 ? 120 : (int)n;
			client_fail(c, E_HANDSHAKE, "connect_error: %.*s", len,
				    p);
		} else {
			int len = n > 60 ? 60 : (int)n;
			client_fail(c, E_PROTOCOL,
				    "packet before the namespace connect: "
				    "%.*s",
				    len, p);
		}
		return;
	}
	if (c->state != CS_READY)
		return;
	if (p[1] == '1') {
		client_fail(c, E_CLOSED, "server disconnected the socket");
		return;
	}
	scen_packet(c, p + 1, n - 1, now);
}

/* Socket.IO disconnect, then the transport's close; the server is to
 * close the connection (client_closed). */
void client_close(struct client *c, uint64_t now)
{
	if (c->state != CS_READY)
		return;
	client_send(c, "41", 2);
	if (c->state != CS_READY)
		return;
	c->state = CS_CLOSING;
	B.ready--;
	c->t_deadline = now + CLOSE_WAIT_NS;
	if (B.transport == TR_POLLING)
		poll_close(c);
	else
		ws_close(c);
}

void client_closed(struct client *c)
{
	if (c->state != CS_CLOSING)
		return;
	if (B.phase < P_CLOSE)
		B.sessions++;
	if (B.phase == P_RUN)
		B.sessions_run++;
	client_release(c);
	client_kick();
}

/* Handshakes and closes that take too long. */
void client_sweep(uint64_t now)
{
	uint64_t limit = (uint64_t)(B.handshake_timeout * 1e9);
	for (long i = 0; i < B.ncl; i++) {
		struct client *c = &B.cl[i];
		if (in_handshake(c->state) && now - c->t_start > limit)
			client_fail(c, E_TIMEOUT,
				    "handshake not done within %g s",
				    B.handshake_timeout);
		else if (c->state == CS_CLOSING && now > c->t_deadline &&
			 B.phase < P_CLOSE)
			client_fail(c, E_TIMEOUT,
				    "server did not close the connection "
				    "within 2 s of the client's disconnect");
	}
}

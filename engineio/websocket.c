#include "websocket.h"

#include "msg.h"
#include "request.h"
#include "server.h"
#include "session.h"
#include "sha1.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int eio__ws_is_valid_upgrade(const eio_request_t *req)
{
	const char *version = eio_request_header(req, "sec-websocket-version");
	const char *key = eio_request_header(req, "sec-websocket-key");
	uint8_t raw[32];
	size_t n = 0;
	return strcmp(eio_request_method(req), "GET") == 0 &&
	       eio__request_header_has_token(req, "upgrade", "websocket") &&
	       eio__request_header_has_token(req, "connection", "upgrade") &&
	       version && strcmp(version, "13") == 0 && key &&
	       sodium_base642bin(raw, sizeof(raw), key, strlen(key), NULL, &n,
				 NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       n == 16;
}

/* Frames reach wslay whole: between two reads its context (about 8.5 KB,
 * most of an idle connection's memory) then holds no part of a frame, and
 * it is given back until the next frame comes (ws_release()).
 *
 * Looks at the frames at the head of the input: 1 when at least one is
 * all there, with c->ws_left set to the bytes of the whole ones; 0 when
 * more must come; -1 when the first one's header says it is longer than
 * max_payload (refused at once, as wslay would on its first bytes). */
static int next_frames(eio_conn_t *c, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in), pos = 0;
	for (;;) {
		uint8_t h[14];
		struct evbuffer_ptr at;
		size_t n = have - pos < sizeof(h) ? have - pos : sizeof(h);
		if (n < 2 ||
		    evbuffer_ptr_set(in, &at, pos, EVBUFFER_PTR_SET) < 0 ||
		    evbuffer_copyout_from(in, &at, h, n) < (ssize_t)n)
			break;
		uint64_t len = h[1] & 0x7f;
		size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
		size_t head = 2 + ext + ((h[1] & 0x80) ? 4 : 0);
		if (n < head)
			break;
		if (ext)
			len = 0;
		for (size_t i = 0; i < ext; i++)
			len = len << 8 | h[2 + i];
		if (len > c->srv->opts.max_payload) {
			if (pos == 0)
				return -1;
			break;
		}
		if (have - pos < head + len)
			break;
		pos += head + len;
		if ((h[0] & 0x0f) < 8) /* data: FIN 0 leaves a message open */
			c->ws_partial_msg = !(h[0] & 0x80);
	}
	c->ws_left = pos;
	return pos > 0;
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
		       int flags, void *ud)
{
	(void)flags;
	eio_conn_t *c = ((eio_server_t *)ud)->ws_conn;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	int n = 0, whole = c->ws_left ? 1 : next_frames(c, in);
	if (whole < 0) { /* too big: what wslay does, before the payload */
		wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG, NULL,
					0);
		wslay_event_shutdown_read(ctx);
	}
	if (whole > 0)
		n = evbuffer_remove(in, buf,
				    len < c->ws_left ? len : c->ws_left);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	c->ws_left -= (size_t)n;
	return n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
		       size_t len, int flags, void *ud)
{
	(void)flags;
	eio_conn_t *c = ((eio_server_t *)ud)->ws_conn;
	if (bufferevent_write(c->bev, data, len) < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static void msg_cb(wslay_event_context_ptr ctx,
		   const struct wslay_event_on_msg_recv_arg *arg, void *ud)
{
	(void)ctx;
	eio_conn_t *c = ((eio_server_t *)ud)->ws_conn;
	if (arg->opcode != WSLAY_TEXT_FRAME &&
	    arg->opcode != WSLAY_BINARY_FRAME)
		return; /* wslay answers pings and closes itself */
	if (c->session && c->state == EIO_CONN_WEBSOCKET)
		eio__session_ws_message(c->session, c,
					arg->opcode == WSLAY_BINARY_FRAME,
					arg->msg, arg->msg_length);
}

static const struct wslay_event_callbacks ws_callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .on_msg_recv_callback = msg_cb,
};

int eio__ws_accept(eio_conn_t *c, const eio_request_t *req)
{
	const char *key = eio_request_header(req, "sec-websocket-key");
	char buf[64 + sizeof(WS_GUID)];
	uint8_t digest[EIO_SHA1_LEN];
	char accept[sodium_base64_ENCODED_LEN(EIO_SHA1_LEN,
					      sodium_base64_VARIANT_ORIGINAL)];
	int n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	eio__sha1(buf, (size_t)n, digest);
	sodium_bin2base64(accept, sizeof(accept), digest, sizeof(digest),
			  sodium_base64_VARIANT_ORIGINAL);
	evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "HTTP/1.1 101 Switching Protocols\r\n"
			    "Upgrade: websocket\r\n"
			    "Connection: Upgrade\r\n"
			    "Sec-WebSocket-Accept: %s\r\n\r\n",
			    accept);
	/* write the 101 now, so that the first frames leave in a later write,
	 * as with Node (a client may attach its message listener only once
	 * it has seen the upgrade) */
	eio__conn_write_now(c);
	c->state = EIO_CONN_WEBSOCKET;
	free(c->parser); /* the HTTP part is over */
	c->parser = NULL;
	event_free(c->timer); /* an open WebSocket has no HTTP timeouts */
	c->timer = NULL;
	return 0;
}

/* The wslay context, from the server's pool or new when absent. 0 or
 * -ENOMEM. */
static int ws_ctx(eio_conn_t *c)
{
	eio_server_t *srv = c->srv;
	if (c->ws)
		return 0;
	if (srv->ws_npool) {
		c->ws = srv->ws_pool[--srv->ws_npool];
		return 0;
	}
	if (wslay_event_context_server_init(&c->ws, &ws_callbacks, srv) != 0) {
		c->ws = NULL;
		return -ENOMEM;
	}
	wslay_event_config_set_max_recv_msg_length(c->ws,
						   srv->opts.max_payload);
	return 0;
}

/* Gives the wslay context back when it holds nothing: no part of a frame
 * or of a fragmented message, nothing to send, no close under way. Such a
 * context is as new, and goes to the pool while there is room. */
static void ws_release(eio_conn_t *c)
{
	eio_server_t *srv = c->srv;
	if (c->state != EIO_CONN_WEBSOCKET || !c->ws || c->ws_closing ||
	    c->ws_left || c->ws_partial_msg || !wslay_event_want_read(c->ws) ||
	    !wslay_event_get_write_enabled(c->ws) ||
	    wslay_event_want_write(c->ws) ||
	    wslay_event_get_close_received(c->ws) ||
	    wslay_event_get_close_sent(c->ws))
		return;
	if (srv->ws_npool < EIO_WS_POOL)
		srv->ws_pool[srv->ws_npool++] = c->ws;
	else
		wslay_event_context_free(c->ws);
	c->ws = NULL;
}

void eio__ws_pool_free(eio_server_t *srv)
{
	while (srv->ws_npool)
		wslay_event_context_free(srv->ws_pool[--srv->ws_npool]);
}

/* wslay_event_recv() / wslay_event_send() on c's context; a handler run
 * inside may use another connection's, hence the save and restore. */
static int ws_recv(eio_conn_t *c)
{
	eio_conn_t *outer = c->srv->ws_conn;
	c->srv->ws_conn = c;
	int r = wslay_event_recv(c->ws);
	c->srv->ws_conn = outer;
	return r;
}

static int ws_send(eio_conn_t *c)
{
	eio_conn_t *outer = c->srv->ws_conn;
	c->srv->ws_conn = c;
	int r = wslay_event_send(c->ws);
	c->srv->ws_conn = outer;
	return r;
}

/* After wslay has read and written: a close from either side ends the
 * connection once the close frame is out. */
static void after_io(eio_conn_t *c, int err)
{
	if (c->state != EIO_CONN_WEBSOCKET)
		return;
	int peer_closed = c->ws && wslay_event_get_close_received(c->ws);
	if (!err && !peer_closed && wslay_event_want_read(c->ws))
		return;
	/* wslay stops reading after a protocol error (bad mask, bad UTF-8,
	 * too big): that is a transport error, a close frame is not */
	eio_close_reason_t reason = peer_closed && !err
					? EIO_CLOSE_TRANSPORT_CLOSE
					: EIO_CLOSE_TRANSPORT_ERROR;
	eio_session_t *s = c->session;
	if (s)
		eio__session_conn_lost(s, c, reason);
	eio__conn_close_after_write(c);
}

/* Sends what wslay queued (the close frame) and ends the connection. */
static void finish_close(eio_conn_t *c)
{
	ws_send(c);
	eio__conn_close_after_write(c);
}

void eio__ws_on_input(eio_conn_t *c)
{
	if (c->state != EIO_CONN_WEBSOCKET)
		return;
	if (!c->ws && next_frames(c, bufferevent_get_input(c->bev)) == 0)
		return; /* no whole frame yet */
	if (ws_ctx(c) < 0) {
		after_io(c, -1);
		return;
	}
	c->in_recv = 1;
	int err = ws_recv(c);
	c->in_recv = 0;
	if (c->ws_closing) { /* a handler closed it meanwhile */
		finish_close(c);
		return;
	}
	if (ws_send(c) != 0)
		err = -1;
	after_io(c, err);
	ws_release(c);
}

static void unref_frame(const void *data, size_t len, void *msg)
{
	(void)data;
	(void)len;
	eio_msg_unref(msg);
}

int eio__ws_send(eio_conn_t *c, eio_msg_t *msg)
{
	if (c->state != EIO_CONN_WEBSOCKET || c->ws_closing)
		return -EPIPE;
	size_t len;
	const uint8_t *frame = eio__msg_frame(msg, &len);
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), frame, len,
				   unref_frame, eio_msg_ref(msg)) < 0) {
		eio_msg_unref(msg);
		return -ENOMEM;
	}
	return 0;
}

void eio__ws_close(eio_conn_t *c, uint16_t code)
{
	if (c->state != EIO_CONN_WEBSOCKET || c->ws_closing)
		return;
	c->ws_closing = 1;
	if (ws_ctx(c) < 0) { /* no memory for a close frame: just close */
		eio__conn_close_after_write(c);
		return;
	}
	wslay_event_queue_close(c->ws, code, NULL, 0);
	if (!c->in_recv) /* else eio__ws_on_input finishes on return */
		finish_close(c);
}

size_t eio__ws_queued(const eio_conn_t *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

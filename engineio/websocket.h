/* WebSocket on an upgraded connection: the RFC 6455 handshake, wslay for
 * reading (reassembly, masking, UTF-8 checks, control frames), and data
 * frames written straight from shared messages. wslay gets whole frames
 * only, and its context exists only while it holds something (a
 * fragmented message, a close, a pong to send): an idle connection has
 * none, and the server keeps a few unused ones for the next reads.
 * Internal to libengineio. */
#ifndef EIO_WEBSOCKET_H
#define EIO_WEBSOCKET_H

#include "conn.h"

/* 1 if `req` is a valid WebSocket upgrade request (GET, Upgrade:
 * websocket, Connection: upgrade, Sec-WebSocket-Version 13, a key). */
int eio__ws_is_valid_upgrade(const eio_request_t *req);

/* Answers 101 and turns `c` into a WebSocket connection; frees the HTTP
 * state. Bytes already read past the request are the first frames.
 * Returns 0 or -ENOMEM (the caller closes the connection). */
int eio__ws_accept(eio_conn_t *c, const eio_request_t *req);

/* Reads and handles the frames in the input buffer. */
void eio__ws_on_input(eio_conn_t *c);

/* Queues the message's frame by reference. Returns 0 or -ENOMEM. */
int eio__ws_send(eio_conn_t *c, eio_msg_t *msg);

/* Queues a close frame (`code` 0: none) and closes once it is written. */
void eio__ws_close(eio_conn_t *c, uint16_t code);

/* Frees the server's pool of unused wslay contexts (at the end). */
void eio__ws_pool_free(eio_server_t *srv);

/* Bytes queued for writing. */
size_t eio__ws_queued(const eio_conn_t *c);

#endif

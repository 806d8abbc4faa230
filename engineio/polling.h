/* HTTP long-polling: GET answered with the queued packets joined by 0x1e,
 * POST bodies decoded into packets. Internal to libengineio; the request
 * entry points are eio__session_poll_get/post (session.h). */
#ifndef EIO_POLLING_H
#define EIO_POLLING_H

#include "session.h"

/* Answers GET `c` of `s` with `n` packets (Content-Type text/plain,
 * cache-control: no-store, CORS). If `c` was the pending GET, it no
 * longer is. */
void eio__polling_answer(eio_session_t *s, eio_conn_t *c,
			 eio_msg_t *const *msgs, size_t n);

/* Answers the pending GET with the queue, if both exist. */
void eio__polling_flush(eio_session_t *s);

#endif

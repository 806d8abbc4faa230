/* Engine.IO packets held for sending: eio_msg_t, immutable and
 * reference-counted. The WebSocket frame is built once at creation, in
 * place in front of the packet bytes, so the same bytes serve every
 * recipient: the polling encoding is the packet itself (text) or "b" plus
 * base64 (binary), the WebSocket encoding is header + packet. */
#ifndef EIO_MSG_H
#define EIO_MSG_H

#include "eio.h"

#include <stddef.h>
#include <stdint.h>

#define EIO_MSG_HEADROOM 10 /* the largest server frame header */

struct eio_msg {
	uint32_t refs;
	uint8_t binary;	   /* a binary message: packet bytes are raw data */
	uint8_t frame_off; /* where the WebSocket frame starts in buf */
	size_t len;	   /* packet length: type char + data, or raw data */
	uint8_t buf[];	   /* EIO_MSG_HEADROOM bytes, then the packet */
};

/* A packet of `type` ('0'..'6') with text `data`, or a binary message
 * when `binary` is set (type must then be '4'). One reference. */
eio_msg_t *eio__msg_new_packet(char type, int binary, const void *data,
			       size_t len);

/* The packet bytes: "4hello", "2", or the raw data of a binary message. */
static inline const uint8_t *eio__msg_packet(const eio_msg_t *m)
{
	return m->buf + EIO_MSG_HEADROOM;
}

/* The complete unmasked WebSocket frame. */
static inline const uint8_t *eio__msg_frame(const eio_msg_t *m, size_t *len)
{
	*len = (size_t)(EIO_MSG_HEADROOM - m->frame_off) + m->len;
	return m->buf + m->frame_off;
}

/* Bytes the message takes in a polling payload. */
size_t eio__msg_polling_len(const eio_msg_t *m);

#endif

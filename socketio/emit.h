/* Encoding a packet once: the text part and its binary attachments as
 * Engine.IO messages, shared by every recipient. Internal. */
#ifndef SIO_EMIT_H
#define SIO_EMIT_H

#include "parser.h"
#include "sio.h"

typedef struct sio_encoded {
	eio_msg_t *text;
	eio_msg_t **bins;
	size_t nbins;
} sio_encoded_t;

/* An EVENT (`event` set) or an ACK (`event` NULL) of namespace `nsp`,
 * with ack id `id` (-1: none) and `args` (NULL: none; its JSON must be an
 * array). `offset` (NULL: none) is appended as a last string argument, as
 * connection-state recovery does. Returns 0 or -EINVAL (also for the
 * names clients refuse: connect, connect_error, disconnect,
 * disconnecting, newListener, removeListener), -ENOMEM. */
int sio__encode(sio_encoded_t *out, sio_packet_type_t type, const char *nsp,
		int64_t id, const char *event, const sio_args_t *args,
		const char *offset);
/* CONNECT, CONNECT_ERROR or DISCONNECT with JSON data (NULL: none). */
int sio__encode_raw(sio_encoded_t *out, sio_packet_type_t type, const char *nsp,
		    const char *json);
void sio__encoded_release(sio_encoded_t *e);

/* Appends `s` as a JSON string literal to buf (which has room: at most
 * 6 bytes per input byte plus 2). Returns the bytes written. */
size_t sio__json_quote(char *buf, const char *s);

#endif

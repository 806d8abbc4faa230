/* Decoding Engine.IO v4 packets and long-polling payloads from untrusted
 * bytes. Encoding lives with the messages (msg.h). */
#ifndef EIO_PACKET_H
#define EIO_PACKET_H

#include <stddef.h>
#include <stdint.h>

enum {
	EIO_PACKET_OPEN = '0',
	EIO_PACKET_CLOSE = '1',
	EIO_PACKET_PING = '2',
	EIO_PACKET_PONG = '3',
	EIO_PACKET_MESSAGE = '4',
	EIO_PACKET_UPGRADE = '5',
	EIO_PACKET_NOOP = '6',
};

/* The payload separator of protocol v4 (ASCII record separator). */
#define EIO_PAYLOAD_SEPARATOR 0x1e

typedef struct eio_packet {
	char type;	     /* one of EIO_PACKET_* */
	int binary;	     /* a binary message */
	const uint8_t *data; /* after the type char; may point into scratch */
	size_t len;
} eio_packet_t;

/* Decodes a text packet ("4hello", "2probe"). `out->data` points into
 * `buf`. Returns 0, or -EINVAL for an empty packet or an unknown type. */
int eio__packet_decode(const uint8_t *buf, size_t len, eio_packet_t *out);

/* Iterates the packets of a polling payload. `scratch` holds the decoded
 * bytes of the latest binary packet; eio__payload_iter_done() frees it. */
typedef struct eio_payload_iter {
	const uint8_t *p, *end;
	uint8_t *scratch;
	int done;
} eio_payload_iter_t;

void eio__payload_iter_init(eio_payload_iter_t *it, const uint8_t *buf,
			    size_t len);
/* Returns 1 with *out set (valid until the next call), 0 at the end, or
 * -EINVAL for a malformed packet (empty, unknown type, bad base64), or
 * -ENOMEM. */
int eio__payload_next(eio_payload_iter_t *it, eio_packet_t *out);
void eio__payload_iter_done(eio_payload_iter_t *it);

#endif

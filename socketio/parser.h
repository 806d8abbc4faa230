/* The Socket.IO v5 packet format (the default parser of socket.io-parser):
 *   <type>[<attachments>-][<nsp>,][<ack id>][<JSON data>]
 * with binary attachments sent as separate Engine.IO binary messages and
 * referenced from the JSON by {"_placeholder":true,"num":N}.
 * Internal to libsocketio. */
#ifndef SIO_PARSER_H
#define SIO_PARSER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	SIO_PACKET_CONNECT = 0,
	SIO_PACKET_DISCONNECT = 1,
	SIO_PACKET_EVENT = 2,
	SIO_PACKET_ACK = 3,
	SIO_PACKET_CONNECT_ERROR = 4,
	SIO_PACKET_BINARY_EVENT = 5,
	SIO_PACKET_BINARY_ACK = 6,
} sio_packet_type_t;

/* The default maximum of binary attachments of one packet. */
#define SIO_MAX_ATTACHMENTS 10

typedef struct sio_packet {
	sio_packet_type_t type;
	const char *nsp; /* "/" when absent; points into the input */
	size_t nsp_len;
	int64_t id; /* -1: none */
	unsigned attachments;
	const char *data; /* the JSON data, or NULL */
	size_t data_len;
	/* events: the first element of the data array (a string literal or a
	 * number, as JSON text) and the elements after it, from the first
	 * one to the closing bracket included ("1,\"2\"]", or "]") */
	const char *name;
	size_t name_len;
	const char *rest;
	size_t rest_len;
} sio_packet_t;

/* Decodes a text packet, applying the reference parser's rules: a known
 * type; a number of attachments, at most `max_attachments`, for the binary
 * types only; an ack id of at most 15 digits; valid JSON nesting at most
 * SIO_JSON_MAX_DEPTH; CONNECT data an object or absent; DISCONNECT data
 * absent; EVENT data a non-empty array whose first element is a
 * non-reserved string (without NUL) or a number; ACK data an array, with
 * an id.
 * CONNECT_ERROR packets come only from servers and are refused. In a
 * binary packet, every placeholder must name one of its attachments.
 * Returns 0 with *out pointing into `buf`, or -EINVAL. */
int sio__packet_decode(const char *buf, size_t len, unsigned max_attachments,
		       sio_packet_t *out);

/* Writes the header of a packet: type, "<attachments>-" when
 * `attachments` > 0 (the type then becoming the binary one), the namespace
 * and "," unless it is "/", and the ack id when `id` >= 0. `out` must hold
 * SIO_PACKET_HEADER_MAX + nsp_len bytes. Returns the length written. */
#define SIO_PACKET_HEADER_MAX 40
size_t sio__packet_header(char *out, sio_packet_type_t type,
			  unsigned attachments, const char *nsp, size_t nsp_len,
			  int64_t id);

#endif

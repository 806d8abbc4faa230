#include "msg.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

eio_msg_t *eio__msg_new_packet(char type, int binary, const void *data,
			       size_t len)
{
	size_t plen = binary ? len : len + 1;
	if (plen < len)
		return NULL;
	eio_msg_t *m = malloc(sizeof(*m) + EIO_MSG_HEADROOM + plen);
	if (!m)
		return NULL;
	m->refs = 1;
	m->binary = binary ? 1 : 0;
	m->len = plen;
	uint8_t *p = m->buf + EIO_MSG_HEADROOM;
	if (binary) {
		if (len)
			memcpy(p, data, len);
	} else {
		p[0] = (uint8_t)type;
		if (len)
			memcpy(p + 1, data, len);
	}
	/* RFC 6455 5.2: FIN + opcode, then the 7, 7+16 or 7+64 bit length */
	uint8_t hdr[EIO_MSG_HEADROOM];
	size_t h = 0;
	hdr[h++] = 0x80 | (binary ? 0x2 : 0x1);
	if (plen < 126) {
		hdr[h++] = (uint8_t)plen;
	} else if (plen <= 0xFFFF) {
		hdr[h++] = 126;
		hdr[h++] = (uint8_t)(plen >> 8);
		hdr[h++] = (uint8_t)plen;
	} else {
		hdr[h++] = 127;
		for (int i = 7; i >= 0; i--)
			hdr[h++] = (uint8_t)((uint64_t)plen >> (8 * i));
	}
	m->frame_off = (uint8_t)(EIO_MSG_HEADROOM - h);
	memcpy(m->buf + m->frame_off, hdr, h);
	return m;
}

eio_msg_t *eio_msg_new(int binary, const void *data, size_t len)
{
	return eio__msg_new_packet('4', binary, data, len);
}

eio_msg_t *eio_msg_ref(eio_msg_t *msg)
{
	msg->refs++;
	return msg;
}

void eio_msg_unref(eio_msg_t *msg)
{
	if (msg && --msg->refs == 0)
		free(msg);
}

size_t eio__msg_polling_len(const eio_msg_t *m)
{
	if (!m->binary)
		return m->len;
	return 1 +
	       sodium_base64_encoded_len(m->len,
					 sodium_base64_VARIANT_ORIGINAL) -
	       1;
}

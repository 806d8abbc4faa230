#include "packet.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int eio__packet_decode(const uint8_t *buf, size_t len, eio_packet_t *out)
{
	if (len == 0 || buf[0] < EIO_PACKET_OPEN || buf[0] > EIO_PACKET_NOOP)
		return -EINVAL;
	out->type = (char)buf[0];
	out->binary = 0;
	out->data = buf + 1;
	out->len = len - 1;
	return 0;
}

void eio__payload_iter_init(eio_payload_iter_t *it, const uint8_t *buf,
			    size_t len)
{
	it->p = buf;
	it->end = buf + len;
	it->scratch = NULL;
	it->done = 0;
}

static int decode_base64(eio_payload_iter_t *it, const uint8_t *b64, size_t len,
			 eio_packet_t *out)
{
	free(it->scratch);
	it->scratch = malloc(len / 4 * 3 + 3);
	if (!it->scratch)
		return -ENOMEM;
	size_t n = 0;
	const char *end = NULL;
	/* padded or not, as Node's Buffer.from(s, "base64") accepts */
	while (len > 0 && b64[len - 1] == '=')
		len--;
	if (sodium_base642bin(it->scratch, len / 4 * 3 + 3, (const char *)b64,
			      len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != (const char *)b64 + len)
		return -EINVAL;
	out->type = EIO_PACKET_MESSAGE;
	out->binary = 1;
	out->data = it->scratch;
	out->len = n;
	return 0;
}

int eio__payload_next(eio_payload_iter_t *it, eio_packet_t *out)
{
	if (it->done)
		return 0;
	const uint8_t *sep =
	    memchr(it->p, EIO_PAYLOAD_SEPARATOR, (size_t)(it->end - it->p));
	const uint8_t *start = it->p;
	const uint8_t *stop = sep ? sep : it->end;
	if (sep)
		it->p = sep + 1;
	else
		it->done = 1;
	size_t len = (size_t)(stop - start);
	if (len > 0 && start[0] == 'b') {
		int r = decode_base64(it, start + 1, len - 1, out);
		return r < 0 ? r : 1;
	}
	return eio__packet_decode(start, len, out) < 0 ? -EINVAL : 1;
}

void eio__payload_iter_done(eio_payload_iter_t *it)
{
	free(it->scratch);
	it->scratch = NULL;
}

/* libFuzzer target: eio__packet_decode() and eio__utf8_valid() on the
 * input. The UTF-8 validator is checked against a plain reference
 * decoder (RFC 3629); any disagreement aborts. */
#include "packet.h"
#include "utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ref_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i < n)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eio_packet_t p;
	int r = eio__packet_decode(data, size, &p);
	if (r == 0) {
		if (size == 0 || p.type != (char)data[0] || p.binary ||
		    p.data != data + 1 || p.len != size - 1 ||
		    p.type < EIO_PACKET_OPEN || p.type > EIO_PACKET_NOOP)
			abort();
	} else if (r != -EINVAL ||
		   (size > 0 && data[0] >= '0' && data[0] <= '6')) {
		abort();
	}
	int v = eio__utf8_valid(data, size);
	if (v != ref_utf8_valid(data, size))
		abort();
	/* a valid string that ends in ASCII stays valid without it */
	if (v && size > 0 && data[size - 1] < 0x80 &&
	    !eio__utf8_valid(data, size - 1))
		abort();
	return 0;
}

/* libFuzzer target: eio__packet_decode() and eio__utf8_valid() on the
 * input. The UTF-8 validator is checked against a plain reference
 * decoder (RFC 3629, tests/utf8_ref.h); any disagreement aborts. */
#include "packet.h"
#include "utf8.h"
#include "../tests/utf8_ref.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (v != utf8_ref_valid(data, size))
		abort();
	/* a valid string that ends in ASCII stays valid without it */
	if (v && size > 0 && data[size - 1] < 0x80 &&
	    !eio__utf8_valid(data, size - 1))
		abort();
	return 0;
}

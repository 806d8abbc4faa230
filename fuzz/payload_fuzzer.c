/* libFuzzer target: a long-polling POST body through the payload iterator
 * (engineio/packet.c), until its end or its first error. Checks the
 * invariants of every packet it yields. */
#include "packet.h"

#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the bytes read, so that reading them is not optimised away */
volatile uint8_t payload_fuzzer_sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eio_payload_iter_t it;
	eio__payload_iter_init(&it, data, size);
	eio_packet_t p;
	int r;
	size_t n = 0;
	uint8_t sum = 0;
	while ((r = eio__payload_next(&it, &p)) == 1) {
		if (p.type < EIO_PACKET_OPEN || p.type > EIO_PACKET_NOOP)
			abort();
		if (p.binary && p.type != EIO_PACKET_MESSAGE)
			abort();
		if (!p.binary) {
			/* text: a slice of the input after its type byte,
			 * without the separator */
			if (p.data < data + 1 || p.data + p.len > data + size ||
			    (p.len && memchr(p.data, EIO_PAYLOAD_SEPARATOR,
					     p.len)))
				abort();
		}
		/* touch every byte: ASan checks the bounds */
		for (size_t i = 0; i < p.len; i++)
			sum ^= p.data[i];
		/* each packet takes a byte at least, plus a separator */
		if (++n > (size + 1) / 2)
			abort();
	}
	if (r != 0 && r != -EINVAL)
		abort();
	eio__payload_iter_done(&it);
	payload_fuzzer_sink = sum;
	return 0;
}

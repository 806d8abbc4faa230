/* Tests of engineio/msg.c: packet bytes, prebuilt WebSocket frames,
 * reference counts and polling lengths. Run under ASan (or valgrind) the
 * reference tests also prove that no message leaks. */
#include "../test.h"
#include "msg.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The frame must be the header `hdr` followed by the packet bytes. */
static void check_frame(const char *file, int line, const eio_msg_t *m,
			const uint8_t *hdr, size_t hlen)
{
	size_t flen = 0;
	const uint8_t *f = eio__msg_frame(m, &flen);
	if (flen != hlen + m->len || memcmp(f, hdr, hlen) != 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: frame header ", file, line);
		test_hex(stderr, f, flen < hlen ? flen : hlen);
		fprintf(stderr, " (frame %zu bytes) != ", flen);
		test_hex(stderr, hdr, hlen);
		fprintf(stderr, " (+ %zu bytes)\n", m->len);
		return;
	}
	test_checks++;
	if (memcmp(f + hlen, eio__msg_packet(m), m->len) != 0)
		TEST_FAIL("frame payload differs from the packet");
	/* the header sits right in front of the packet */
	if (f + hlen != eio__msg_packet(m))
		TEST_FAIL("frame not contiguous with the packet");
	(void)file;
	(void)line;
}
#define CHECK_FRAME(m, ...)                                                    \
	do {                                                                   \
		static const uint8_t h_[] = {__VA_ARGS__};                     \
		test_checks++;                                                 \
		check_frame(__FILE__, __LINE__, (m), h_, sizeof(h_));          \
	} while (0)

static void test_text_packets(void)
{
	eio_msg_t *m = eio__msg_new_packet('4', 0, "hello", 5);
	if (!m) {
		TEST_FAIL("out of memory");
		return;
	}
	CHECK_INT(m->binary, 0);
	CHECK_MEM(eio__msg_packet(m), m->len, "4hello", 6);
	CHECK_FRAME(m, 0x81, 6);
	size_t flen;
	CHECK_MEM(eio__msg_frame(m, &flen), flen, "\x81\x06" "4hello", 8);
	CHECK_SIZE(eio__msg_polling_len(m), 6);
	eio_msg_unref(m);

	m = eio__msg_new_packet('2', 0, NULL, 0);
	CHECK_MEM(eio__msg_packet(m), m->len, "2", 1);
	CHECK_MEM(eio__msg_frame(m, &flen), flen, "\x81\x01" "2", 3);
	CHECK_SIZE(eio__msg_polling_len(m), 1);
	eio_msg_unref(m);

	m = eio__msg_new_packet('3', 0, "probe", 5);
	CHECK_MEM(eio__msg_packet(m), m->len, "3probe", 6);
	eio_msg_unref(m);

	/* the public constructor makes "4" messages */
	m = eio_msg_new(0, "hi", 2);
	CHECK_INT(m->binary, 0);
	CHECK_MEM(eio__msg_packet(m), m->len, "4hi", 3);
	CHECK_MEM(eio__msg_frame(m, &flen), flen, "\x81\x03" "4hi", 5);
	eio_msg_unref(m);

	/* an empty text message is the type alone */
	m = eio_msg_new(0, "", 0);
	CHECK_MEM(eio__msg_packet(m), m->len, "4", 1);
	CHECK_FRAME(m, 0x81, 1);
	eio_msg_unref(m);

	/* text data is copied byte for byte, NULs included */
	m = eio_msg_new(0, "a\0b", 3);
	CHECK_MEM(eio__msg_packet(m), m->len, "4a\0b", 4);
	eio_msg_unref(m);
}

static void test_binary_packets(void)
{
	static const uint8_t raw[] = {1, 2, 3, 4};
	eio_msg_t *m = eio_msg_new(1, raw, sizeof(raw));
	CHECK_INT(m->binary, 1);
	/* a binary message's packet is the raw data, no type byte */
	CHECK_MEM(eio__msg_packet(m), m->len, raw, sizeof(raw));
	size_t flen;
	CHECK_MEM(eio__msg_frame(m, &flen), flen,
		  "\x82\x04\x01\x02\x03\x04", 6);
	/* polling: "b" + "AQIDBA==" */
	CHECK_SIZE(eio__msg_polling_len(m), 9);
	eio_msg_unref(m);

	m = eio_msg_new(1, NULL, 0);
	CHECK_SIZE(m->len, 0);
	CHECK_MEM(eio__msg_frame(m, &flen), flen, "\x82\x00", 2);
	CHECK_SIZE(eio__msg_polling_len(m), 1); /* "b" */
	eio_msg_unref(m);

	static const uint8_t zeros[3] = {0, 0, 0};
	m = eio_msg_new(1, zeros, 3);
	CHECK_MEM(eio__msg_packet(m), m->len, zeros, 3);
	eio_msg_unref(m);
}

/* The polling length is exactly that of "b" + base64 for every size. */
static void test_polling_len(void)
{
	uint8_t data[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	size_t bad = 0;
	for (size_t n = 0; n <= sizeof(data); n++) {
		eio_msg_t *m = eio_msg_new(1, data, n);
		char b64[512];
		sodium_bin2base64(b64, sizeof(b64), data, n,
				  sodium_base64_VARIANT_ORIGINAL);
		if (eio__msg_polling_len(m) != 1 + strlen(b64)) {
			if (bad++ < 5)
				TEST_FAIL("binary %zu bytes: polling len %zu, "
					  "expected %zu",
					  n, eio__msg_polling_len(m),
					  1 + strlen(b64));
		}
		eio_msg_unref(m);
		m = eio_msg_new(0, data, n);
		if (eio__msg_polling_len(m) != 1 + n && bad++ < 5)
			TEST_FAIL("text %zu bytes: polling len %zu", n,
				  eio__msg_polling_len(m));
		eio_msg_unref(m);
	}
	CHECK_SIZE(bad, 0);
}

/* RFC 6455 5.2: 7-bit length up to 125, 126 + 16 bits up to 65535,
 * 127 + 64 bits beyond, big-endian. */
static void test_frame_lengths(void)
{
	size_t max = 70000;
	uint8_t *data = malloc(max);
	if (!data) {
		TEST_FAIL("out of memory");
		return;
	}
	for (size_t i = 0; i < max; i++)
		data[i] = (uint8_t)(i * 31 + 1);
	eio_msg_t *m;

	m = eio_msg_new(1, data, 0);
	CHECK_FRAME(m, 0x82, 0);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 125);
	CHECK_FRAME(m, 0x82, 125);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 126);
	CHECK_FRAME(m, 0x82, 126, 0x00, 0x7e);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 127);
	CHECK_FRAME(m, 0x82, 126, 0x00, 0x7f);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 256);
	CHECK_FRAME(m, 0x82, 126, 0x01, 0x00);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 65535);
	CHECK_FRAME(m, 0x82, 126, 0xff, 0xff);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 65536);
	CHECK_FRAME(m, 0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00);
	eio_msg_unref(m);
	m = eio_msg_new(1, data, 69999);
	CHECK_FRAME(m, 0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x6f);
	eio_msg_unref(m);

	/* text: the packet is one byte longer than the data ("4" + data) */
	m = eio_msg_new(0, data, 0);
	CHECK_FRAME(m, 0x81, 1);
	eio_msg_unref(m);
	m = eio_msg_new(0, data, 124); /* packet 125 */
	CHECK_FRAME(m, 0x81, 125);
	eio_msg_unref(m);
	m = eio_msg_new(0, data, 125); /* packet 126 */
	CHECK_FRAME(m, 0x81, 126, 0x00, 0x7e);
	eio_msg_unref(m);
	m = eio_msg_new(0, data, 65534); /* packet 65535 */
	CHECK_FRAME(m, 0x81, 126, 0xff, 0xff);
	eio_msg_unref(m);
	m = eio_msg_new(0, data, 65535); /* packet 65536 */
	CHECK_FRAME(m, 0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00);
	CHECK_INT(eio__msg_packet(m)[0], '4');
	CHECK_MEM(eio__msg_packet(m) + 1, m->len - 1, data, 65535);
	eio_msg_unref(m);

	free(data);
}

static void test_refcount(void)
{
	eio_msg_t *m = eio_msg_new(0, "x", 1);
	CHECK_INT(m->refs, 1);
	CHECK(eio_msg_ref(m) == m);
	CHECK_INT(m->refs, 2);
	CHECK(eio_msg_ref(m) == m);
	CHECK_INT(m->refs, 3);
	eio_msg_unref(m);
	CHECK_INT(m->refs, 2);
	eio_msg_unref(m);
	CHECK_INT(m->refs, 1);
	/* still intact with one reference left */
	CHECK_MEM(eio__msg_packet(m), m->len, "4x", 2);
	eio_msg_unref(m); /* freed: ASan/LSan would report a leak otherwise */
	eio_msg_unref(NULL); /* a no-op */

	/* many references, released in a batch */
	m = eio_msg_new(1, "abc", 3);
	for (int i = 0; i < 1000; i++)
		eio_msg_ref(m);
	CHECK_INT(m->refs, 1001);
	for (int i = 0; i < 1000; i++)
		eio_msg_unref(m);
	CHECK_INT(m->refs, 1);
	eio_msg_unref(m);
}

int main(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	test_text_packets();
	test_binary_packets();
	test_polling_len();
	test_frame_lengths();
	test_refcount();
	TEST_EXIT();
}

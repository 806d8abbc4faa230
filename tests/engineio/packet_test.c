/* Tests of engineio/packet.c: packet decoding and polling payloads. */
#include "../test.h"
#include "packet.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_decode(void)
{
	static const char types[] = "0123456";
	for (int i = 0; types[i]; i++) {
		uint8_t buf[8] = {(uint8_t)types[i], 'x', 'y'};
		eio_packet_t p;
		memset(&p, 0x55, sizeof(p));
		CHECK_INT(eio__packet_decode(buf, 3, &p), 0);
		CHECK_INT(p.type, types[i]);
		CHECK_INT(p.binary, 0);
		CHECK(p.data == buf + 1);
		CHECK_MEM(p.data, p.len, "xy", 2);
		/* the type alone: empty data */
		memset(&p, 0x55, sizeof(p));
		CHECK_INT(eio__packet_decode(buf, 1, &p), 0);
		CHECK_INT(p.type, types[i]);
		CHECK_SIZE(p.len, 0);
		CHECK(p.data == buf + 1);
	}
	eio_packet_t p;
	CHECK_INT(eio__packet_decode((const uint8_t *)"4hello", 6, &p), 0);
	CHECK_INT(p.type, EIO_PACKET_MESSAGE);
	CHECK_MEM(p.data, p.len, "hello", 5);
	CHECK_INT(eio__packet_decode((const uint8_t *)"2probe", 6, &p), 0);
	CHECK_INT(p.type, EIO_PACKET_PING);
	CHECK_MEM(p.data, p.len, "probe", 5);

	CHECK_INT(eio__packet_decode((const uint8_t *)"", 0, &p), -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)"7", 1, &p), -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)"7x", 2, &p), -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)"a", 1, &p), -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)"/", 1, &p), -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)"b", 1, &p), -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)"\x00" "4", 2, &p),
		  -EINVAL);
	CHECK_INT(eio__packet_decode((const uint8_t *)" 4", 2, &p), -EINVAL);
	/* every other first byte is refused */
	size_t bad = 0;
	for (int c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		int r = eio__packet_decode(&b, 1, &p);
		int want = (c >= '0' && c <= '6') ? 0 : -EINVAL;
		if (r != want && bad++ < 5)
			TEST_FAIL("decode of byte 0x%02x: %d", c, r);
	}
	CHECK_SIZE(bad, 0);
}

/* A decoded packet as the tests describe it. */
typedef struct {
	char type;
	int binary;
	const char *data;
	size_t len;
} want_t;

#define W(t, d) {t, 0, d, sizeof(d) - 1}
#define WB(d) {'4', 1, d, sizeof(d) - 1}

/* Iterates `payload` and checks the packets, then `end` (0 for a clean
 * end, or the error the iteration must stop with after the packets). */
static void check_payload(const char *file, int line, const char *payload,
			  size_t plen, const want_t *want, size_t nwant,
			  int end)
{
	eio_payload_iter_t it;
	eio__payload_iter_init(&it, (const uint8_t *)payload, plen);
	size_t i = 0;
	int r;
	eio_packet_t p;
	test_checks++;
	while ((r = eio__payload_next(&it, &p)) == 1) {
		if (i >= nwant) {
			i++;
			continue;
		}
		const want_t *w = &want[i++];
		if (p.type != w->type || !p.binary != !w->binary ||
		    p.len != w->len ||
		    (w->len && memcmp(p.data, w->data, w->len) != 0)) {
			test_failures++;
			fprintf(stderr,
				"%s:%d: packet %zu: type '%c' binary %d data ",
				file, line, i - 1, p.type, p.binary);
			test_hex(stderr, p.data, p.len);
			fprintf(stderr, ", expected '%c' %d ", w->type,
				w->binary);
			test_hex(stderr, w->data, w->len);
			fputc('\n', stderr);
		}
		if (i > 100000)
			break;
	}
	if (i != nwant || r != end) {
		test_failures++;
		fprintf(stderr,
			"%s:%d: payload gave %zu packets then %d, expected %zu "
			"then %d\n",
			file, line, i, r, nwant, end);
	}
	/* once ended, it stays ended (end) or errs again (malformed) */
	if (end == 0 && eio__payload_next(&it, &p) != 0)
		TEST_FAIL("%s:%d: iteration goes on after its end", file, line);
	eio__payload_iter_done(&it);
	/* done is idempotent */
	eio__payload_iter_done(&it);
}

#define CHECK_PAYLOAD(payload, end, ...)                                       \
	do {                                                                   \
		static const want_t w_[] = {__VA_ARGS__};                      \
		check_payload(__FILE__, __LINE__, payload,                     \
			      sizeof(payload) - 1, w_,                         \
			      sizeof(w_) / sizeof(w_[0]), end);                \
	} while (0)
#define CHECK_PAYLOAD_NONE(payload, end)                                       \
	check_payload(__FILE__, __LINE__, payload, sizeof(payload) - 1, NULL, \
		      0, end)

static void test_payloads(void)
{
	CHECK_PAYLOAD("4hello", 0, W('4', "hello"));
	CHECK_PAYLOAD("2", 0, W('2', ""));
	CHECK_PAYLOAD("4", 0, W('4', ""));
	CHECK_PAYLOAD("4test1\x1e" "4test2\x1e" "4test3", 0, W('4', "test1"),
		      W('4', "test2"), W('4', "test3"));
	CHECK_PAYLOAD("4hello\x1e" "bAQIDBA==", 0, W('4', "hello"),
		      WB("\x01\x02\x03\x04"));
	CHECK_PAYLOAD("bAQIDBA==\x1e" "4hello", 0, WB("\x01\x02\x03\x04"),
		      W('4', "hello"));
	/* two binaries in a row: the second replaces the first's scratch */
	CHECK_PAYLOAD("bAQID\x1e" "bBAUGBw==\x1e" "bAA==", 0,
		      WB("\x01\x02\x03"), WB("\x04\x05\x06\x07"), WB("\x00"));
	CHECK_PAYLOAD("3probe\x1e" "1\x1e" "6", 0, W('3', "probe"), W('1', ""),
		      W('6', ""));
	/* padding is optional, as for Node's Buffer.from(s, "base64") */
	CHECK_PAYLOAD("bAQIDBA", 0, WB("\x01\x02\x03\x04"));
	CHECK_PAYLOAD("bAQIDBA=", 0, WB("\x01\x02\x03\x04"));
	/* text data may hold anything but the separator */
	CHECK_PAYLOAD("4a\x00" "b\x1e" "4\xc3\xa9", 0, W('4', "a\x00" "b"),
		      W('4', "\xc3\xa9"));

	/* malformed */
	CHECK_PAYLOAD_NONE("", -EINVAL);
	CHECK_PAYLOAD("4a\x1e", -EINVAL, W('4', "a"));
	CHECK_PAYLOAD_NONE("\x1e" "4a", -EINVAL);
	CHECK_PAYLOAD("4a\x1e\x1e" "4b", -EINVAL, W('4', "a"));
	CHECK_PAYLOAD_NONE("abc", -EINVAL);
	CHECK_PAYLOAD("4ok\x1e" "abc", -EINVAL, W('4', "ok"));
	CHECK_PAYLOAD("4ok\x1e" "7", -EINVAL, W('4', "ok"));
	CHECK_PAYLOAD_NONE("b!!!", -EINVAL);
	CHECK_PAYLOAD_NONE("bAQID!", -EINVAL);
	CHECK_PAYLOAD_NONE("bAQIDBA==x", -EINVAL); /* trailing garbage */
	CHECK_PAYLOAD_NONE("bAQ ID", -EINVAL);
	CHECK_PAYLOAD("4hello\x1e" "b!!!", -EINVAL, W('4', "hello"));
	CHECK_PAYLOAD("bAQIDBA==\x1e" "b@", -EINVAL, WB("\x01\x02\x03\x04"));
}

/* "b" with no base64: the base64 of an empty buffer is "", so Engine.IO's
 * encoder writes "b" for an empty binary message, and engine.io-parser's
 * decodePacket gives an empty binary message for it. The library must
 * agree. */
static void test_empty_binary(void)
{
	CHECK_PAYLOAD("b", 0, WB(""));
	CHECK_PAYLOAD("4x\x1e" "b\x1e" "4y", 0, W('4', "x"), WB(""),
		      W('4', "y"));
}

/* A payload of 1000 packets, text and binary alternating. */
static void test_many(void)
{
	enum { N = 1000 };
	char *buf = malloc(N * 32);
	if (!buf) {
		TEST_FAIL("out of memory");
		return;
	}
	size_t len = 0;
	for (int i = 0; i < N; i++) {
		if (i)
			buf[len++] = 0x1e;
		if (i % 2 == 0) {
			len += (size_t)sprintf(buf + len, "4msg%d", i);
		} else {
			uint8_t raw[4] = {(uint8_t)(i >> 8), (uint8_t)i, 0xff,
					  0x00};
			buf[len++] = 'b';
			sodium_bin2base64(buf + len, 32, raw, sizeof(raw),
					  sodium_base64_VARIANT_ORIGINAL);
			len += strlen(buf + len);
		}
	}
	eio_payload_iter_t it;
	eio__payload_iter_init(&it, (const uint8_t *)buf, len);
	eio_packet_t p;
	int r, n = 0;
	size_t bad = 0;
	while ((r = eio__payload_next(&it, &p)) == 1) {
		if (n % 2 == 0) {
			char want[32];
			int wl = sprintf(want, "msg%d", n);
			if (p.type != '4' || p.binary ||
			    p.len != (size_t)wl || memcmp(p.data, want, p.len))
				bad++;
		} else {
			uint8_t raw[4] = {(uint8_t)(n >> 8), (uint8_t)n, 0xff,
					  0x00};
			if (p.type != '4' || !p.binary || p.len != 4 ||
			    memcmp(p.data, raw, 4))
				bad++;
		}
		n++;
	}
	eio__payload_iter_done(&it);
	CHECK_INT(r, 0);
	CHECK_INT(n, N);
	CHECK_SIZE(bad, 0);
	free(buf);
}

int main(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	test_decode();
	test_payloads();
	test_empty_binary();
	test_many();
	TEST_EXIT();
}

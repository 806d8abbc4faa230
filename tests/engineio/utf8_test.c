/* Tests of engineio/utf8.c: RFC 3629 validation. */
#include "../test.h"
#include "../utf8_ref.h"
#include "utf8.h"

#include <stdint.h>
#include <string.h>

#define VALID(lit) CHECK_INT(eio__utf8_valid((const uint8_t *)(lit), sizeof(lit) - 1), 1)
#define INVALID(lit) CHECK_INT(eio__utf8_valid((const uint8_t *)(lit), sizeof(lit) - 1), 0)

static void test_valid(void)
{
	VALID("");
	VALID("hello, world");
	VALID("\x00");		     /* NUL is a character */
	VALID("\x7f");		     /* U+007F */
	VALID("\xc2\x80");	     /* U+0080 */
	VALID("\xc3\xa9");	     /* é */
	VALID("\xdf\xbf");	     /* U+07FF */
	VALID("\xe0\xa0\x80");	     /* U+0800 */
	VALID("\xe2\x82\xac");	     /* € */
	VALID("\xed\x9f\xbf");	     /* U+D7FF, below the surrogates */
	VALID("\xee\x80\x80");	     /* U+E000, above them */
	VALID("\xef\xbf\xbf");	     /* U+FFFF */
	VALID("\xf0\x90\x80\x80");   /* U+10000 */
	VALID("\xf0\x9f\x98\x80");   /* 😀 */
	VALID("\xf3\xbf\xbf\xbf");   /* U+FFFFF */
	VALID("\xf4\x8f\xbf\xbf");   /* U+10FFFF, the last */
	VALID("a\xc3\xa9" "b\xe2\x82\xac" "c\xf0\x9f\x98\x80" "d");
	VALID("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"); /* 日本語 */
}

static void test_invalid(void)
{
	/* overlongs */
	INVALID("\xc0\x80");
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\x80");
	INVALID("\xe0\x9f\xbf");
	INVALID("\xf0\x80\x80\x80");
	INVALID("\xf0\x8f\xbf\xbf");
	/* surrogates U+D800..U+DFFF */
	INVALID("\xed\xa0\x80");
	INVALID("\xed\xbf\xbf");
	INVALID("\xed\xa0\xbd\xed\xb8\x80"); /* a CESU-8 pair */
	/* past U+10FFFF */
	INVALID("\xf4\x90\x80\x80");
	INVALID("\xf4\xbf\xbf\xbf");
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xf7\xbf\xbf\xbf");
	INVALID("\xf8\x88\x80\x80\x80"); /* old 5-byte form */
	INVALID("\xfc\x84\x80\x80\x80\x80");
	/* bytes that never appear */
	INVALID("\xfe");
	INVALID("\xff");
	INVALID("a\xff" "b");
	/* truncated sequences, at the end and in the middle */
	INVALID("\xc3");
	INVALID("\xe2\x82");
	INVALID("\xe2");
	INVALID("\xf0\x9f\x98");
	INVALID("\xf0\x9f");
	INVALID("\xf0");
	INVALID("abc\xc3");
	INVALID("\xc3" "a");
	INVALID("\xe2\x82" "a");
	INVALID("\xf0\x9f\x98" "a");
	INVALID("\xe2" "a\x82\xac");
	/* bad continuation bytes */
	INVALID("\xc3\xc3\xa9");
	INVALID("\xe2\x28\xa1");
	INVALID("\xe2\x82\x28");
	INVALID("\xe2\x82\xc0");
	INVALID("\xf0\x90\x28\x80");
	INVALID("\xf0\x90\x80\x28");
	INVALID("\xf0\x90\x80\xc0");
	/* stray continuation bytes */
	INVALID("\x80");
	INVALID("\xbf");
	INVALID("a\x80" "b");
	INVALID("\xc3\xa9\xa9");
	INVALID("\xe2\x82\xac\x80");
}

/* The length bounds the check: a valid sequence cut by `len` is not. */
static void test_length(void)
{
	const uint8_t s[] = {0xe2, 0x82, 0xac, 0xff};
	CHECK_INT(eio__utf8_valid(s, 3), 1);
	CHECK_INT(eio__utf8_valid(s, 4), 0);
	CHECK_INT(eio__utf8_valid(s, 2), 0);
	CHECK_INT(eio__utf8_valid(s, 1), 0);
	CHECK_INT(eio__utf8_valid(s, 0), 1);
}

/* Every string of 1, 2 and 3 bytes, and 4-byte strings over a set of
 * bytes that covers every class boundary. */
static void test_exhaustive(void)
{
	uint8_t b[4];
	size_t bad = 0;
	for (unsigned x = 0; x < (1u << 24); x++) {
		b[0] = (uint8_t)(x >> 16);
		b[1] = (uint8_t)(x >> 8);
		b[2] = (uint8_t)x;
		for (size_t n = 1; n <= 3; n++) {
			if (n < 3 && (x & ((1u << (8 * (3 - n))) - 1)) != 0)
				continue; /* shorter strings: once each */
			if (eio__utf8_valid(b, n) != utf8_ref_valid(b, n)) {
				if (bad++ < 10)
					TEST_FAIL("mismatch on %zu bytes "
						  "%02x%02x%02x: %d",
						  n, b[0], b[1], b[2],
						  eio__utf8_valid(b, n));
			}
		}
	}
	static const uint8_t set[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90,
				      0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
				      0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
				      0xf5, 0xf7, 0xf8, 0xfe, 0xff};
	size_t ns = sizeof(set);
	for (size_t i0 = 0; i0 < ns; i0++)
		for (size_t i1 = 0; i1 < ns; i1++)
			for (size_t i2 = 0; i2 < ns; i2++)
				for (size_t i3 = 0; i3 < ns; i3++) {
					b[0] = set[i0], b[1] = set[i1];
					b[2] = set[i2], b[3] = set[i3];
					if (eio__utf8_valid(b, 4) !=
						utf8_ref_valid(b, 4) &&
					    bad++ < 20)
						TEST_FAIL("mismatch on "
							  "%02x%02x%02x%02x",
							  b[0], b[1], b[2],
							  b[3]);
				}
	CHECK_SIZE(bad, 0);
}

int main(void)
{
	test_valid();
	test_invalid();
	test_length();
	test_exhaustive();
	TEST_EXIT();
}

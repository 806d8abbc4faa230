/* Tests of engineio/sha1.c: FIPS 180 vectors and the RFC 6455 accept. */
#include "../test.h"
#include "sha1.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const uint8_t d[EIO_SHA1_LEN], char out[2 * EIO_SHA1_LEN + 1])
{
	for (int i = 0; i < EIO_SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

#define CHECK_SHA1(data, len, expect)                                          \
	do {                                                                   \
		uint8_t d_[EIO_SHA1_LEN];                                      \
		char h_[2 * EIO_SHA1_LEN + 1];                                 \
		memset(d_, 0xAA, sizeof(d_));                                  \
		eio__sha1((data), (len), d_);                                  \
		hex(d_, h_);                                                   \
		CHECK_STR(h_, expect);                                         \
	} while (0)

static void test_fips(void)
{
	CHECK_SHA1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK_SHA1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	static const char m448[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CHECK_SHA1(m448, strlen(m448),
		   "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	static const char m896[] =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	CHECK_SHA1(m896, strlen(m896),
		   "a49b2446a02c645bf419f995b67091253a04a259");
	size_t mil = 1000000;
	char *a = malloc(mil);
	if (!a) {
		TEST_FAIL("out of memory");
		return;
	}
	memset(a, 'a', mil);
	CHECK_SHA1(a, mil, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	free(a);
}

/* Padding boundaries: 55 bytes fit one final block, 56..63 need two;
 * exact multiples of 64 get a block of padding alone. */
static void test_boundaries(void)
{
	static const struct {
		size_t n;
		const char *sha;
	} v[] = {
	    {55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1"},
	    {56, "901305367c259952f4e7af8323f480d59f81335b"},
	    {63, "0ddc4e0cccd9a12850deb5abb0853a4425559fec"},
	    {64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163"},
	    {65, "78c741ddc482e4cdf8c474a0876347a0905b6233"},
	    {119, "4300320394f7ee239bcdce7d3b8bcee173a0cd5c"},
	    {120, "ceb2821639c4b6dcb10bce0e522ca2e608ce056d"},
	    {128, "150fa3fbdc899bd0b8f95a9fb6027f564d953762"},
	};
	char x[128];
	memset(x, 'x', sizeof(x));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK_SHA1(x, v[i].n, v[i].sha);
}

/* RFC 6455 section 1.3: the Sec-WebSocket-Accept of the sample key. */
static void test_websocket_accept(void)
{
	if (sodium_init() < 0) {
		TEST_FAIL("sodium_init failed");
		return;
	}
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s%s", key,
			 "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
	uint8_t d[EIO_SHA1_LEN];
	eio__sha1(buf, (size_t)n, d);
	char accept[sodium_base64_ENCODED_LEN(EIO_SHA1_LEN,
					      sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(accept, sizeof(accept), d, sizeof(d),
			  sodium_base64_VARIANT_ORIGINAL);
	CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	char h[2 * EIO_SHA1_LEN + 1];
	hex(d, h);
	CHECK_STR(h, "b37a4f2cc0624f1690f64606cf385945b2bec4ea");
}

int main(void)
{
	test_fips();
	test_boundaries();
	test_websocket_accept();
	TEST_EXIT();
}

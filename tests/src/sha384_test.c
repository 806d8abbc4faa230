/* Tests of src/sha384.c: FIPS 180 vectors, padding boundaries, updates in
 * pieces, and the HMAC-SHA-384 test cases of RFC 4231. */
#include "../test.h"
#include "sha384.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

#define CHECK_DIGEST(d, expect)                                                \
	do {                                                                   \
		char h_[2 * SD_SHA384_LEN + 1];                                \
		hex((d), SD_SHA384_LEN, h_);                                   \
		CHECK_STR(h_, expect);                                         \
	} while (0)

#define CHECK_SHA384(data, len, expect)                                        \
	do {                                                                   \
		uint8_t d_[SD_SHA384_LEN];                                     \
		memset(d_, 0xAA, sizeof(d_));                                  \
		sd__sha384((data), (len), d_);                                 \
		CHECK_DIGEST(d_, expect);                                      \
	} while (0)

/* FIPS 180-2 appendix D and the NIST examples: one block, two blocks,
 * the empty message, a million 'a's. */
static void test_fips(void)
{
	CHECK_SHA384("abc", 3,
		     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
		     "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
	static const char m896[] =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	CHECK_SHA384(m896, strlen(m896),
		     "09330c33f71147e83d192fc782cd1b4753111b173b3b05d2"
		     "2fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039");
	CHECK_SHA384("", 0,
		     "38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743"
		     "4c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
	size_t mil = 1000000;
	char *a = malloc(mil);
	if (!a) {
		TEST_FAIL("out of memory");
		return;
	}
	memset(a, 'a', mil);
	CHECK_SHA384(a, mil,
		     "9d0e1809716474cb086e834e310a4a1ced149e9c00f24852"
		     "7972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985");
	free(a);
}

/* Padding: 111 bytes fit one final block with the 16-byte length, 112
 * to 127 need two; a multiple of 128 gets a block of padding alone. */
static const struct {
	size_t n;
	const char *sha;
} boundaries[] = {
    {111, "dfec6588f894c2b089119e1884a23941e5aa69ed38702839"
	  "cf7352ac6d155d315693bb5d26b7468d8b69ecf4631ef419"},
    {112, "d8489693bc428374931aedf508740398d9d4a92887116fec"
	  "b2fcdd91c68b9db329fc4a474e05e78c3eb34e649a6b5c77"},
    {127, "7f90015607d4c124f9b89bea8aa5b246ebfc792cda7ddf8b"
	  "d6dcf69f9ff8bbdccbcbb32cebaa0b03fc93f10b61bde2a5"},
    {128, "e660584956c8b1df44c92acb7c8eccfe0dca5255627c9fb4"
	  "4637c15363b772e5709edcf35b07bf43531951ab2fd51130"},
    {129, "550bbedde5970254cd884182ac59cb3d4269183d168a44c9"
	  "3bb7373880269fb3729d74fe39a372a9972f6abfa8f77f50"},
    {239, "831b8db491e9f1ce281f814dbfaa770446f3d2286b51395f"
	  "14ea02cb34222dd94f6d5003d359ca575c55064a7bf8b1d7"},
    {240, "2c12b66c79b060be97e4949a0529db684f46d7949866f6d1"
	  "096a22e621c60a9c1fbc1959d69dcfb08e88d869037eb048"},
    {256, "8901320af24d5ce3519d4c956daf67e0b83c28c3428665f6"
	  "da4669fb6e0e7dfc1195d4a626cbc868a735b1cc0d8499e9"},
};

static void test_boundaries(void)
{
	char x[256];
	memset(x, 'x', sizeof(x));
	for (size_t i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++)
		CHECK_SHA384(x, boundaries[i].n, boundaries[i].sha);
}

/* The same digests when the message arrives in pieces of every size
 * (including empty updates). */
static void test_pieces(void)
{
	char x[256];
	memset(x, 'x', sizeof(x));
	for (size_t i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]);
	     i++) {
		for (size_t step = 1; step <= 130; step++) {
			sd_sha384_t s;
			sd__sha384_init(&s);
			sd__sha384_update(&s, NULL, 0);
			for (size_t off = 0; off < boundaries[i].n;) {
				size_t k = boundaries[i].n - off;
				if (k > step)
					k = step;
				sd__sha384_update(&s, x + off, k);
				off += k;
			}
			uint8_t d[SD_SHA384_LEN];
			sd__sha384_final(&s, d);
			CHECK_DIGEST(d, boundaries[i].sha);
		}
	}
}

/* RFC 4231 section 4: test cases 1 to 4, 6 and 7 (5 is a truncated MAC,
 * which HS384 never uses). */
static void test_hmac(void)
{
	uint8_t k20b[20], kaa20[20], k25[25], kaa131[131], dd50[50], cd50[50];
	memset(k20b, 0x0b, sizeof(k20b));
	memset(kaa20, 0xaa, sizeof(kaa20));
	for (size_t i = 0; i < sizeof(k25); i++)
		k25[i] = (uint8_t)(i + 1);
	memset(kaa131, 0xaa, sizeof(kaa131));
	memset(dd50, 0xdd, sizeof(dd50));
	memset(cd50, 0xcd, sizeof(cd50));
	static const char t6[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char t7[] =
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.";
	const struct {
		const void *key;
		size_t key_len;
		const void *data;
		size_t data_len;
		const char *mac;
	} v[] = {
	    {k20b, sizeof(k20b), "Hi There", 8,
	     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6"
	     "82aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
	    {"Jefe", 4, "what do ya want for nothing?", 28,
	     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47"
	     "e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
	    {kaa20, sizeof(kaa20), dd50, sizeof(dd50),
	     "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9feb"
	     "e83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27"},
	    {k25, sizeof(k25), cd50, sizeof(cd50),
	     "3e8a69b7783c25851933ab6290af6ca77a9981480850009c"
	     "c5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb"},
	    {kaa131, sizeof(kaa131), t6, strlen(t6),
	     "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f"
	     "3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"},
	    {kaa131, sizeof(kaa131), t7, strlen(t7),
	     "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9a"
	     "dccebb82461e99c5a678cc31e799176d3860e6110c46523e"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t mac[SD_SHA384_LEN];
		sd__hmac_sha384(v[i].key, v[i].key_len, v[i].data,
				v[i].data_len, mac);
		CHECK_DIGEST(mac, v[i].mac);
		/* the same in two updates */
		sd_hmac_sha384_t m;
		sd__hmac_sha384_init(&m, v[i].key, v[i].key_len);
		sd__hmac_sha384_update(&m, v[i].data, v[i].data_len / 3);
		sd__hmac_sha384_update(
		    &m, (const char *)v[i].data + v[i].data_len / 3,
		    v[i].data_len - v[i].data_len / 3);
		sd__hmac_sha384_final(&m, mac);
		CHECK_DIGEST(mac, v[i].mac);
	}
}

int main(void)
{
	test_fips();
	test_boundaries();
	test_pieces();
	test_hmac();
	TEST_EXIT();
}

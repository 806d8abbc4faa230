/* SHA-384 and HMAC-SHA-384: see sha384.h. Written from FIPS 180-4
 * (sections 4.1.3, 4.2.3, 5.1.2, 5.3.4, 6.4) and RFC 2104. */
#include "sha384.h"

#include <sodium.h>
#include <string.h>

/* The first 64 bits of the fractional parts of the cube roots of the
 * first eighty primes (FIPS 180-4 section 4.2.3). */
static const uint64_t K[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc, 0x3956c25bf348b538, 0x59f111f1b605d019,
    0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242,
    0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
    0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65, 0x2de92c6f592b0275,
    0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f,
    0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
    0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc,
    0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6,
    0x92722c851482353b, 0xa2bfe8a14cf10364, 0xa81a664bbc423001,
    0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
    0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc,
    0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915,
    0xc67178f2e372532b, 0xca273eceea26619c, 0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba,
    0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
};

/* SHA-384's initial hash value: the first 64 bits of the fractional parts
 * of the square roots of the ninth through sixteenth primes (5.3.4). */
static const uint64_t H0[8] = {
    0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17,
    0x152fecd8f70e5939, 0x67332667ffc00b31, 0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
};

static uint64_t ror(uint64_t x, int n)
{
	return (x >> n) | (x << (64 - n));
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* One 128-byte block into the hash value (6.4.2). */
static void block(uint64_t h[8], const uint8_t *p)
{
	uint64_t w[80];
	for (int t = 0; t < 16; t++)
		w[t] = load_be64(p + 8 * t);
	for (int t = 16; t < 80; t++) {
		uint64_t s0 =
		    ror(w[t - 15], 1) ^ ror(w[t - 15], 8) ^ w[t - 15] >> 7;
		uint64_t s1 =
		    ror(w[t - 2], 19) ^ ror(w[t - 2], 61) ^ w[t - 2] >> 6;
		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
	uint64_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint64_t e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int t = 0; t < 80; t++) {
		uint64_t S1 = ror(e, 14) ^ ror(e, 18) ^ ror(e, 41);
		uint64_t ch = (e & f) ^ (~e & g);
		uint64_t t1 = hh + S1 + ch + K[t] + w[t];
		uint64_t S0 = ror(a, 28) ^ ror(a, 34) ^ ror(a, 39);
		uint64_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint64_t t2 = S0 + maj;
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
	sodium_memzero(w, sizeof(w));
}

void sd__sha384_init(sd_sha384_t *s)
{
	memcpy(s->h, H0, sizeof(H0));
	s->total = 0;
	s->used = 0;
}

void sd__sha384_update(sd_sha384_t *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (!len)
		return;
	s->total += len;
	if (s->used) {
		size_t take = SD_SHA384_BLOCK_LEN - s->used;
		if (take > len)
			take = len;
		memcpy(s->buf + s->used, p, take);
		s->used += take;
		p += take;
		len -= take;
		if (s->used < SD_SHA384_BLOCK_LEN)
			return;
		block(s->h, s->buf);
		s->used = 0;
	}
	for (; len >= SD_SHA384_BLOCK_LEN; len -= SD_SHA384_BLOCK_LEN) {
		block(s->h, p);
		p += SD_SHA384_BLOCK_LEN;
	}
	if (len) {
		memcpy(s->buf, p, len);
		s->used = len;
	}
}

void sd__sha384_final(sd_sha384_t *s, uint8_t out[SD_SHA384_LEN])
{
	/* padding (5.1.2): 0x80, zeros, then the length in bits as a
	 * 128-bit big-endian number in the last 16 bytes of a block */
	uint64_t bits_hi = s->total >> 61, bits_lo = s->total << 3;
	s->buf[s->used++] = 0x80;
	if (s->used > SD_SHA384_BLOCK_LEN - 16) {
		memset(s->buf + s->used, 0, SD_SHA384_BLOCK_LEN - s->used);
		block(s->h, s->buf);
		s->used = 0;
	}
	memset(s->buf + s->used, 0, SD_SHA384_BLOCK_LEN - 16 - s->used);
	store_be64(s->buf + SD_SHA384_BLOCK_LEN - 16, bits_hi);
	store_be64(s->buf + SD_SHA384_BLOCK_LEN - 8, bits_lo);
	block(s->h, s->buf);
	/* the first six words, big-endian */
	for (int i = 0; i < SD_SHA384_LEN / 8; i++)
		store_be64(out + 8 * i, s->h[i]);
	sodium_memzero(s, sizeof(*s));
}

void sd__sha384(const void *data, size_t len, uint8_t out[SD_SHA384_LEN])
{
	sd_sha384_t s;
	sd__sha384_init(&s);
	sd__sha384_update(&s, data, len);
	sd__sha384_final(&s, out);
}

void sd__hmac_sha384_init(sd_hmac_sha384_t *m, const void *key, size_t key_len)
{
	/* K0: the key, or its digest when longer than a block, padded with
	 * zeros to a block; then K0 ^ ipad starts the inner hash and
	 * K0 ^ opad the outer one */
	uint8_t k0[SD_SHA384_BLOCK_LEN] = {0};
	if (key_len > SD_SHA384_BLOCK_LEN)
		sd__sha384(key, key_len, k0);
	else if (key_len)
		memcpy(k0, key, key_len);
	uint8_t pad[SD_SHA384_BLOCK_LEN];
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k0[i] ^ 0x36;
	sd__sha384_init(&m->inner);
	sd__sha384_update(&m->inner, pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k0[i] ^ 0x5c;
	sd__sha384_init(&m->outer);
	sd__sha384_update(&m->outer, pad, sizeof(pad));
	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(pad, sizeof(pad));
}

void sd__hmac_sha384_update(sd_hmac_sha384_t *m, const void *data, size_t len)
{
	sd__sha384_update(&m->inner, data, len);
}

void sd__hmac_sha384_final(sd_hmac_sha384_t *m, uint8_t out[SD_SHA384_LEN])
{
	uint8_t ih[SD_SHA384_LEN];
	sd__sha384_final(&m->inner, ih);
	sd__sha384_update(&m->outer, ih, sizeof(ih));
	sd__sha384_final(&m->outer, out);
	sodium_memzero(ih, sizeof(ih));
}

void sd__hmac_sha384(const void *key, size_t key_len, const void *data,
		     size_t len, uint8_t out[SD_SHA384_LEN])
{
	sd_hmac_sha384_t m;
	sd__hmac_sha384_init(&m, key, key_len);
	sd__hmac_sha384_update(&m, data, len);
	sd__hmac_sha384_final(&m, out);
}

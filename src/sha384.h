/* SHA-384 (FIPS 180-4) and HMAC-SHA-384 (RFC 2104), for the JWT
 * algorithm HS384: libsodium offers SHA-256 and SHA-512 but not SHA-384.
 *
 * SHA-384 is SHA-512 (64-bit words, 128-byte blocks, 80 rounds) started
 * from different initial values and cut to its first 48 bytes. Messages
 * are bytes; their length is limited to 2^64 - 1 bytes (the 128-bit length
 * field's upper half is always zero). None of these functions can fail. */
#ifndef SD_SHA384_H
#define SD_SHA384_H

#include <stddef.h>
#include <stdint.h>

#define SD_SHA384_LEN 48	/* digest bytes */
#define SD_SHA384_BLOCK_LEN 128 /* block bytes (HMAC's B) */

/* A hash in progress: init, any number of updates, final. The caller owns
 * the struct (on the stack is fine); it holds no pointers. */
typedef struct sd_sha384 {
	uint64_t h[8];
	uint64_t total; /* bytes hashed so far */
	uint8_t buf[SD_SHA384_BLOCK_LEN];
	size_t used; /* bytes waiting in buf, always < SD_SHA384_BLOCK_LEN */
} sd_sha384_t;

void sd__sha384_init(sd_sha384_t *s);
/* Adds `len` bytes at `data` (which may be NULL when len is 0). */
void sd__sha384_update(sd_sha384_t *s, const void *data, size_t len);
/* Writes the digest to `out` and wipes the state; reuse needs init. */
void sd__sha384_final(sd_sha384_t *s, uint8_t out[SD_SHA384_LEN]);
/* The digest of `len` bytes at `data`, in one call. */
void sd__sha384(const void *data, size_t len, uint8_t out[SD_SHA384_LEN]);

/* HMAC-SHA-384 in progress. Keys of any length are allowed: a key longer
 * than the block is replaced by its SHA-384 digest (RFC 2104). The state
 * keeps no pointer to the key. */
typedef struct sd_hmac_sha384 {
	sd_sha384_t inner, outer;
} sd_hmac_sha384_t;

void sd__hmac_sha384_init(sd_hmac_sha384_t *m, const void *key, size_t key_len);
void sd__hmac_sha384_update(sd_hmac_sha384_t *m, const void *data, size_t len);
/* Writes the MAC to `out` and wipes the state. */
void sd__hmac_sha384_final(sd_hmac_sha384_t *m, uint8_t out[SD_SHA384_LEN]);
/* The MAC of `len` bytes at `data` under `key`, in one call. */
void sd__hmac_sha384(const void *key, size_t key_len, const void *data,
		     size_t len, uint8_t out[SD_SHA384_LEN]);

#endif

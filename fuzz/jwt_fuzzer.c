/* libFuzzer target: src/jwt.c (and src/sha384.c under it).
 *
 * The first byte of the input picks what the rest is:
 *   0: a token, verified with a fixed secret and Ed25519 key (the seeds in
 *      fuzz/corpus/jwt are signed with them, so mutations start from
 *      tokens that verify);
 *   1: a payload, after a byte that picks the algorithm and the checks;
 *      the token is signed here, so the payload's parsing and the claims
 *      checks are reached: the answer is never "unsupported algorithm"
 *      nor "invalid signature";
 *   2: a header, signed here with HS256 over a fixed payload;
 *   3: the text of an Ed25519 public key (never read as a file path);
 *   4: bytes hashed with SHA-384 at once and in pieces: the same digest.
 * Every answer is one of jwt.h's codes with its message, with claims (an
 * object) exactly on success. Any disagreement aborts. */
#include "jwt.h"
#include "sha384.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

#define SECRET "socketiod-test-secret-0123456789"

/* the Ed25519 key pair of the seed 32 x 0x42 */
static uint8_t ed_pk[crypto_sign_PUBLICKEYBYTES];
static uint8_t ed_sk[crypto_sign_SECRETKEYBYTES];

static const char *message(int rc)
{
	switch (rc) {
	case 0: return NULL;
	case SD_JWT_EINVALID: return "invalid token";
	case SD_JWT_EALG: return "unsupported algorithm";
	case SD_JWT_ESIGNATURE: return "invalid signature";
	case SD_JWT_EEXPIRED: return "token expired";
	case SD_JWT_ENOTYET: return "token not yet valid";
	case SD_JWT_EISSUER: return "invalid issuer";
	case SD_JWT_EAUDIENCE: return "invalid audience";
	case SD_JWT_ENOMEM: return "out of memory";
	default: abort();
	}
}

static int verify(const char *token, const sd_jwt_check_t *check)
{
	sd_jwt_keys_t keys = {.secret = (const uint8_t *)SECRET,
			      .secret_len = strlen(SECRET),
			      .has_ed25519 = 1};
	memcpy(keys.ed25519, ed_pk, sizeof(ed_pk));
	struct json_object *claims = (struct json_object *)&keys;
	const char *error = "unset";
	int rc = sd_jwt_verify(token, &keys, check, &claims, &error);
	const char *want = message(rc);
	CHECK(want ? error && strcmp(error, want) == 0 : error == NULL);
	if (rc == 0) {
		CHECK(json_object_is_type(claims, json_type_object));
		json_object_put(claims);
	} else {
		CHECK(claims == NULL);
	}
	return rc;
}

/* base64url of bin[len] appended at *p */
static void append_b64(char **p, const void *bin, size_t len)
{
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t cap = sodium_base64_ENCODED_LEN(len, v);
	sodium_bin2base64(*p, cap, bin, len, v);
	*p += strlen(*p);
}

/* A token of the given header and payload, signed with `alg` (0 HS256,
 * 1 HS384, 2 HS512, 3 EdDSA); the caller frees it. */
static char *sign(int alg, const void *header, size_t header_len,
		  const void *payload, size_t payload_len)
{
	size_t cap = (header_len + payload_len + 64) * 4 / 3 + 16;
	char *t = malloc(cap);
	CHECK(t);
	char *p = t;
	append_b64(&p, header, header_len);
	*p++ = '.';
	append_b64(&p, payload, payload_len);
	size_t in_len = (size_t)(p - t);
	uint8_t sig[64];
	size_t sig_len = 0;
	switch (alg) {
	case 0: {
		crypto_auth_hmacsha256_state s256;
		crypto_auth_hmacsha256_init(&s256, (const uint8_t *)SECRET,
					    strlen(SECRET));
		crypto_auth_hmacsha256_update(&s256, (const uint8_t *)t,
					      in_len);
		crypto_auth_hmacsha256_final(&s256, sig);
		sig_len = 32;
		break;
	}
	case 1:
		sd__hmac_sha384(SECRET, strlen(SECRET), t, in_len, sig);
		sig_len = 48;
		break;
	case 2: {
		crypto_auth_hmacsha512_state s512;
		crypto_auth_hmacsha512_init(&s512, (const uint8_t *)SECRET,
					    strlen(SECRET));
		crypto_auth_hmacsha512_update(&s512, (const uint8_t *)t,
					      in_len);
		crypto_auth_hmacsha512_final(&s512, sig);
		sig_len = 64;
		break;
	}
	default:
		crypto_sign_detached(sig, NULL, (const uint8_t *)t, in_len,
				     ed_sk);
		sig_len = 64;
		break;
	}
	*p++ = '.';
	append_b64(&p, sig, sig_len);
	return t;
}

static void init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		abort();
	uint8_t seed[crypto_sign_SEEDBYTES];
	memset(seed, 0x42, sizeof(seed));
	crypto_sign_seed_keypair(ed_pk, ed_sk, seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	/* an exact copy, NUL-terminated: reads past the end are caught */
	char *buf = malloc(size + 1);
	CHECK(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	sd_jwt_check_t check = {.now = 1800000000};

	switch (mode) {
	case 0:
		check.issuer = "https://auth.example";
		check.audience = "socketiod";
		verify(buf, &check);
		check.issuer = check.audience = NULL;
		check.leeway_s = 4294967295u;
		verify(buf, &check);
		check.now = INT64_MIN;
		verify(buf, &check);
		check.now = INT64_MAX;
		verify(buf, &check);
		break;
	case 1: {
		if (size < 1)
			break;
		uint8_t how = data[0];
		static const char *const headers[] = {
		    "{\"alg\":\"HS256\"}", "{\"alg\":\"HS384\"}",
		    "{\"alg\":\"HS512\"}", "{\"alg\":\"EdDSA\"}"};
		int alg = how & 3;
		if (how & 4)
			check.issuer = "https://auth.example";
		if (how & 8)
			check.audience = "socketiod";
		check.leeway_s = how & 16 ? 30 : 0;
		if (how & 32)
			check.now = how & 64 ? INT64_MAX : INT64_MIN;
		char *t = sign(alg, headers[alg], strlen(headers[alg]),
			       data + 1, size - 1);
		int rc = verify(t, &check);
		CHECK(rc != SD_JWT_EALG && rc != SD_JWT_ESIGNATURE);
		/* the token as sent verifies; one byte of the payload part
		 * changed never does */
		char *dot = strchr(t, '.');
		if (rc != SD_JWT_EINVALID && dot[1] != '.') {
			dot[1] = dot[1] == 'A' ? 'Q' : 'A';
			rc = verify(t, &check);
			CHECK(rc == SD_JWT_ESIGNATURE || rc == SD_JWT_EINVALID);
		}
		free(t);
		break;
	}
	case 2: {
		static const char payload[] = "{\"sub\":\"fuzz\"}";
		char *t = sign(0, data, size, payload, strlen(payload));
		int rc = verify(t, &check);
		CHECK(rc != SD_JWT_EEXPIRED && rc != SD_JWT_ENOTYET &&
		      rc != SD_JWT_EISSUER && rc != SD_JWT_EAUDIENCE);
		free(t);
		break;
	}
	case 3: {
		uint8_t key[32];
		const char *error = NULL;
		int rc = sd__jwt_ed25519_from_text(buf, size, key, &error);
		CHECK(rc == 0 || (rc < 0 && error));
		if (rc == 0)
			CHECK(crypto_core_ed25519_is_valid_point(key));
		break;
	}
	case 4: {
		uint8_t once[SD_SHA384_LEN], pieces[SD_SHA384_LEN];
		sd__sha384(data, size, once);
		sd_sha384_t s;
		sd__sha384_init(&s);
		/* pieces of 1, 2, 3, ... bytes, then 127 and 129 */
		size_t off = 0, step = 1;
		while (off < size) {
			size_t n = size - off < step ? size - off : step;
			sd__sha384_update(&s, data + off, n);
			off += n;
			step = step < 16 ? step + 1 : step == 16 ? 127 : 129;
		}
		sd__sha384_final(&s, pieces);
		CHECK(memcmp(once, pieces, sizeof(once)) == 0);
		break;
	}
	default: break;
	}
	free(buf);
	return 0;
}

/* Tests of src/jwt.c: tokens signed by Node.js (node -e with its built-in
 * crypto: createHmac for HS256/384/512, generateKeyPairSync('ed25519') and
 * crypto.sign(null, ...) for EdDSA), pasted here with their keys; a few
 * more are signed at run time with libsodium (HS256) where the exact bytes
 * matter. Every check uses a fixed clock, NOW, so the tokens (most with
 * exp 2000000000) stay valid forever. */
#include "../test.h"
#include "jwt.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1800000000

/* The payload of most tokens:
 * {"sub":"alice","iss":"https://auth.example","aud":"socketiod",
 *  "iat":1700000000,"exp":2000000000} */
static const char T_HS256[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.W80aiCksbO-"
    "mLeItaQTWwYYg4SKG_-xQmLNh9H7Oh38";
static const char T_HS384[] =
    "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "YLi2to5NP03bqbtIRrFL3zyl508ZACpRNhIjwWAzkVAv-KhBnwVRiXATvc6mL_Aw";
static const char T_HS512[] =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.b5DmMe-fpnhN5fLC_"
    "kpZqKoNeuQzzsg3Zp16dPHKhB0vcoMIhKJiYfibDQbZh3U1c1Kfu4aQTLMdrZH7hwKqAw";
static const char T_HS256_LONG[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.W0VO_E0CfeHRl_2R-"
    "9xCXpXuYnhwEaLJsGZH-UaL6Sw";
static const char T_HS384_LONG[] =
    "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "VI84lK35yJj9J4BT3Kh2Eb1gxtjwiMFsMBlSxrnbXuFW_KqWbHxmQePaLk6kluF2";
static const char T_HS512_LONG[] =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.TnBE9KiuGn0cJl4eUQ-"
    "tqxODjdZmLg114_q_mGEhoINuU7Kpm-e3QyG_KF6LNZThls2aKV9rbOA0wArvzM0-1A";
static const char T_EDDSA[] =
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "VlVmwNJyGsTFAltCGEaoy3Ak4YtYw4qa1AKdJAl25mOMeKjMmK9j1_"
    "nknbba142VwkGfPfyy8BENEyfk6Ya7AA";
static const char T_NONE[] =
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.";
static const char T_TAMPERED[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJtYWxsb3J5IiwiaXNzIjoiaHR0cHM6Ly9hdXRoLmV4YW1wbGUiLCJhdWQiOiJzb2"
    "NrZXRpb2QiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0.W80aiCksbO-"
    "mLeItaQTWwYYg4SKG_-xQmLNh9H7Oh38";
static const char T_EDDSA_TAMPERED[] =
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJtYWxsb3J5IiwiaXNzIjoiaHR0cHM6Ly9hdXRoLmV4YW1wbGUiLCJhdWQiOiJzb2"
    "NrZXRpb2QiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0."
    "VlVmwNJyGsTFAltCGEaoy3Ak4YtYw4qa1AKdJAl25mOMeKjMmK9j1_"
    "nknbba142VwkGfPfyy8BENEyfk6Ya7AA";
static const char T_EXPIRED[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3OTk5OTk5MDB9.c0Upm_"
    "pAP6dsLp6xXVzv2iHzcgDH2bm4lO1TJlxQC08";
static const char T_NBF[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDAsIm5iZiI6MTgwMDAwMDEw"
    "MH0.gi4MZMMvZHDdzR7a-5EFbI3Vgub0Pu5bDin5rW7RSLc";
static const char T_EXP_DOUBLE[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3OTk5OTk5OTkuNX0."
    "Yspwdc9FUQfLAVEI78n2pHWIuQsW4_nBSAYWqdNz2yQ";
static const char T_EXP_STRING[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOiIyMDAwMDAwMDAwIn0.0ltomozOux03x3s_"
    "B4hR8palfgpbn-ssVhZCXwookB8";
static const char T_NBF_BOOL[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDAsIm5iZiI6dHJ1ZX0."
    "jrzwFr7pFlF4LP5OGdKXBW_8fsLbUnuo5WAtbjU3204";
static const char T_AUD_ARRAY[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjpbIndlYi"
    "IsInNvY2tldGlvZCJdLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0."
    "WsolDdTeiLKHieUw68Him78zqlB-VzBNfRnCGBRIiAM";
static const char T_AUD_ARRAY_OTHER[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjpbIndlYi"
    "IsNDIsIm1vYmlsZSJdLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0.zr_"
    "A5HsHMH7M3zIOqGx6MA6eUtouslGPD8-MjjeXs38";
static const char T_AUD_NUL[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kXHUwMDAweCIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoyMDAwMDAwMDAwfQ."
    "i074tcVto4cez5B9N-pVrxQ7OGwqFFur5YpqIXrq0B4";
static const char T_NO_CLAIMS[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJib2IifQ.zwKsz9UxYC_"
    "FOipY61IVHH0VZ05rZQwIiik_xIYbzFs";
static const char T_ISS_NUL[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlXHUwMDAwLmV2aWwiLC"
    "JhdWQiOiJzb2NrZXRpb2QiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0."
    "DTC5075ggYiaqFGaiupYNShNE3w62y5EXPQ-w9zFQRA";
static const char T_PAYLOAD_ARRAY[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.WyJub3QiLCJhbiIsIm9iamVjdCJd."
    "dDSHw63wdDFj8VDJQRYH7MrYZ3s3SabCE3MC3zmWkPM";
static const char T_PAYLOAD_STRING[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.ImFsaWNlIg.h6I_w2xo2DjZcVym9wpIt6n_"
    "jw2JUAj88TJSmWI9FrM";
static const char T_PAYLOAD_BAD_JSON[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsfQ."
    "yJupMpEkvL9GUhxfGfzda7Ug2MMivZc7AxkfVOs09g0";
static const char T_PAYLOAD_TRAILING[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9eA.NWt0zMkAuQy6Gv49_"
    "0iTDhwBDvEvlDg1aPaJxeOOc_0";
static const char T_HEADER_ARRAY[] =
    "WyJIUzI1NiJd."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "HIE7IhQulF7X9MCBp63HoHJKoFtRaRJzvrS0AJQLDBo";
static const char T_HEADER_CRIT[] =
    "eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl0sImV4cCI6MX0."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.jTCN6egmJ_"
    "wZSuhm4ZC3VGt3ENbLqgJi3c8OkbAfmGg";
static const char T_HEADER_NO_ALG[] =
    "eyJ0eXAiOiJKV1QifQ."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "xyWptoOpTxxFB3ZdYLPVkq7NC8EpIs-nMQFvfJ4fF-8";
static const char T_ALG_NUL[] =
    "eyJhbGciOiJIUzI1Nlx1MDAwMCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "gRlfEBV9FJRdxgKt9qFqi9eOpO4Cas53m8usPEU_yCQ";
static const char T_ALG_LOWER[] =
    "eyJhbGciOiJoczI1NiJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "6L1J7nHaotCH495H89kaEp2RGnlpG5MCq-HF8tf2s-o";
static const char T_RS256[] =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlIiwiYXVkIjoic29ja2"
    "V0aW9kIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9."
    "sthLLcLZsKrI1ogAVO9kCUQwdU62JTCjb22bLvsbTOxlxBY_"
    "8Xcw4BlvRlcW30sNwsr2yHm0ZlUUd7dTCgPN74NZDKHmW8voOttscpwuzT1c6ss0CmK4eLG1yi"
    "Ez7uoAJYyNe3750-eO-L2gpNNJ0nJhsRKQHd-_"
    "0OLrpo6Oe2QocPgpSrh6bXGC1if9RC0yFSrq6wZfxL1r2E2hZfe2CNfkMQOni4g3Ghgf8d07sD"
    "4AoN2Qz6Vv9kbBkcD1_CZ6RrtT55DT00gDGtDOd6_1D1NZ47XWLk-"
    "Y4B8VkfDqUnuOqUIw0pWy97w_o6GhFrwjV4yWjbBunEatNo5atGVLUA";
static const char T_NAN_EXP[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6TmFOfQ."
    "ciWK38d2Ms94txCchAMIRU-ZE_AH_7kiyhq7_ErOjfI";
static const char T_DEEP[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhIjpbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbXV1dXV1dXV1dXV"
    "1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXX0.RPknaDipcL6ISmDHRv-"
    "sitG0EohLlUT6DTM85saBmCg";
#define SECRET "socketiod-test-secret-0123456789"
/* "L" x 150 then "-long-secret-past-one-block" */
#define LONG_SECRET                                                            \
	"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" \
	"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" \
	"LLLLLLLLLLLLLL-long-secret-past-one-block"
#define PEM                                                                    \
	"-----BEGIN PUBLIC "                                                   \
	"KEY-----\nMCowBQYDK2VwAyEAy0K+onNE4n5XwkXgBjOyIbZBHeRXZU7y5H+"        \
	"KgGin1jI=\n-----END PUBLIC KEY-----\n"
#define RAW_B64 "y0K+onNE4n5XwkXgBjOyIbZBHeRXZU7y5H+KgGin1jI="
#define RAW_B64U "y0K-onNE4n5XwkXgBjOyIbZBHeRXZU7y5H-KgGin1jI"
#define RAW2_B64 "6GEQwVhEdwbQf+yxFfm3Y0bsRJu143YSxxRYw2k4U5k="
#define PRIVATE_PEM                                                            \
	"-----BEGIN PRIVATE "                                                  \
	"KEY-----\nMC4CAQAwBQYDK2VwBCIEINf+OzqbHx/kjIcYRQZ/"                   \
	"zqx4mb4gNmZuBnHSKdBKjn4i\n-----END PRIVATE KEY-----\n"
#define X25519_PEM                                                             \
	"-----BEGIN PUBLIC "                                                   \
	"KEY-----\nMCowBQYDK2VuAyEAXYc40L8oli6v5gCgkcCUV0kWhIy0Kn+"            \
	"IsL7ZP3006hQ=\n-----END PUBLIC KEY-----\n"

static sd_jwt_keys_t keys_secret(const char *secret)
{
	sd_jwt_keys_t k = {.secret = (const uint8_t *)secret,
			   .secret_len = strlen(secret)};
	return k;
}

static sd_jwt_keys_t keys_ed25519(const char *b64)
{
	sd_jwt_keys_t k = {.has_ed25519 = 1};
	const char *err = NULL;
	if (sd_jwt_parse_ed25519(b64, k.ed25519, &err) != 0)
		TEST_FAIL("key %s: %s", b64, err);
	return k;
}

static sd_jwt_keys_t keys_both(void)
{
	sd_jwt_keys_t k = keys_ed25519(RAW_B64);
	k.secret = (const uint8_t *)SECRET;
	k.secret_len = strlen(SECRET);
	return k;
}

static sd_jwt_check_t at(int64_t now, unsigned leeway)
{
	sd_jwt_check_t c = {.now = now, .leeway_s = leeway};
	return c;
}

/* sd_jwt_verify() returns `code` with its message; on success the claims
 * are an object whose "sub" is `sub`, else NULL. */
#define EXPECT(tok, keys, chk, code, sub)                                      \
	do {                                                                   \
		sd_jwt_keys_t k_ = (keys);                                     \
		sd_jwt_check_t c_ = (chk);                                     \
		struct json_object *cl_ = (struct json_object *)&k_;           \
		const char *e_ = "unset";                                      \
		int r_ = sd_jwt_verify((tok), &k_, &c_, &cl_, &e_);            \
		CHECK_INT(r_, (code));                                         \
		CHECK_STR(e_, message((code)));                                \
		if (r_ == 0 && cl_) {                                          \
			struct json_object *s_ = NULL;                         \
			json_object_object_get_ex(cl_, "sub", &s_);            \
			CHECK_STR(json_object_get_string(s_), (sub));          \
			json_object_put(cl_);                                  \
		} else {                                                       \
			CHECK(cl_ == NULL);                                    \
		}                                                              \
	} while (0)

static const char *message(int code)
{
	switch (code) {
	case 0: return NULL;
	case SD_JWT_EINVALID: return "invalid token";
	case SD_JWT_EALG: return "unsupported algorithm";
	case SD_JWT_ESIGNATURE: return "invalid signature";
	case SD_JWT_EEXPIRED: return "token expired";
	case SD_JWT_ENOTYET: return "token not yet valid";
	case SD_JWT_EISSUER: return "invalid issuer";
	case SD_JWT_EAUDIENCE: return "invalid audience";
	case SD_JWT_ENOMEM: return "out of memory";
	default: return "?";
	}
}

/* An HS256 token (with SECRET) of the given header and payload bytes;
 * the caller frees it. */
static char *make_hs256(const char *header, size_t header_len,
			const char *payload, size_t payload_len)
{
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t hl = sodium_base64_ENCODED_LEN(header_len, v);
	size_t pl = sodium_base64_ENCODED_LEN(payload_len, v);
	size_t sl = sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, v);
	char *t = malloc(hl + pl + sl + 2);
	if (!t)
		abort();
	sodium_bin2base64(t, hl, (const uint8_t *)header, header_len, v);
	strcat(t, ".");
	sodium_bin2base64(t + strlen(t), pl, (const uint8_t *)payload,
			  payload_len, v);
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)SECRET,
				    strlen(SECRET));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)t, strlen(t));
	crypto_auth_hmacsha256_final(&st, mac);
	strcat(t, ".");
	sodium_bin2base64(t + strlen(t), sl, mac, sizeof(mac), v);
	return t;
}

static void test_valid(void)
{
	sd_jwt_check_t c = at(NOW, 0);
	EXPECT(T_HS256, keys_secret(SECRET), c, 0, "alice");
	EXPECT(T_HS384, keys_secret(SECRET), c, 0, "alice");
	EXPECT(T_HS512, keys_secret(SECRET), c, 0, "alice");
	/* a secret longer than the hash's block is hashed first */
	EXPECT(T_HS256_LONG, keys_secret(LONG_SECRET), c, 0, "alice");
	EXPECT(T_HS384_LONG, keys_secret(LONG_SECRET), c, 0, "alice");
	EXPECT(T_HS512_LONG, keys_secret(LONG_SECRET), c, 0, "alice");
	EXPECT(T_EDDSA, keys_ed25519(RAW_B64), c, 0, "alice");
	/* both keys configured: each algorithm finds its own */
	EXPECT(T_HS256, keys_both(), c, 0, "alice");
	EXPECT(T_HS384, keys_both(), c, 0, "alice");
	EXPECT(T_EDDSA, keys_both(), c, 0, "alice");
	/* with the issuer and the audience required */
	c.issuer = "https://auth.example";
	c.audience = "socketiod";
	EXPECT(T_HS512, keys_both(), c, 0, "alice");
	EXPECT(T_EDDSA, keys_both(), c, 0, "alice");
	/* no claims at all, none required */
	EXPECT(T_NO_CLAIMS, keys_secret(SECRET), at(NOW, 0), 0, "bob");
}

static void test_algorithm(void)
{
	sd_jwt_check_t c = at(NOW, 0);
	EXPECT(T_NONE, keys_both(), c, SD_JWT_EALG, NULL);
	/* a key of the other kind only */
	EXPECT(T_HS256, keys_ed25519(RAW_B64), c, SD_JWT_EALG, NULL);
	EXPECT(T_HS512, keys_ed25519(RAW_B64), c, SD_JWT_EALG, NULL);
	EXPECT(T_EDDSA, keys_secret(SECRET), c, SD_JWT_EALG, NULL);
	sd_jwt_keys_t none = {0};
	EXPECT(T_HS256, none, c, SD_JWT_EALG, NULL);
	EXPECT(T_RS256, keys_both(), c, SD_JWT_EALG, NULL);
	/* names are exact: case, and a NUL after "HS256" */
	EXPECT(T_ALG_LOWER, keys_both(), c, SD_JWT_EALG, NULL);
	EXPECT(T_ALG_NUL, keys_both(), c, SD_JWT_EALG, NULL);
	/* no "alg", or "crit": a malformed header */
	EXPECT(T_HEADER_NO_ALG, keys_both(), c, SD_JWT_EINVALID, NULL);
	EXPECT(T_HEADER_CRIT, keys_both(), c, SD_JWT_EINVALID, NULL);
	char *t = make_hs256("{\"alg\":256}", 11, "{}", 2);
	EXPECT(t, keys_both(), c, SD_JWT_EINVALID, NULL);
	free(t);
}

/* T_HS256 with its part `part` (0..2) replaced by `with`. */
static char *replace_part(const char *tok, int part, const char *with)
{
	char *t = malloc(strlen(tok) + strlen(with) + 1);
	if (!t)
		abort();
	const char *p = tok;
	t[0] = '\0';
	for (int i = 0; i < 3; i++) {
		const char *end = strchr(p, '.');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (i)
			strcat(t, ".");
		if (i == part)
			strcat(t, with);
		else
			strncat(t, p, n);
		p = end ? end + 1 : p + n;
	}
	return t;
}

static void test_signature(void)
{
	sd_jwt_check_t c = at(NOW, 0);
	/* the payload changed, the signature kept */
	EXPECT(T_TAMPERED, keys_both(), c, SD_JWT_ESIGNATURE, NULL);
	EXPECT(T_EDDSA_TAMPERED, keys_both(), c, SD_JWT_ESIGNATURE, NULL);
	/* another key */
	EXPECT(T_HS256, keys_secret("socketiod-test-secret-012345678"), c,
	       SD_JWT_ESIGNATURE, NULL);
	EXPECT(T_HS384, keys_secret(LONG_SECRET), c, SD_JWT_ESIGNATURE, NULL);
	EXPECT(T_EDDSA, keys_ed25519(RAW2_B64), c, SD_JWT_ESIGNATURE, NULL);

	/* the signature: one character changed; a byte short (30 bytes,
	 * still canonical base64url); the HS512 one under HS256 */
	const char *sig = strrchr(T_HS256, '.') + 1;
	char s[128];
	snprintf(s, sizeof(s), "%s", sig);
	s[0] = s[0] == 'A' ? 'B' : 'A';
	char *t = replace_part(T_HS256, 2, s);
	EXPECT(t, keys_secret(SECRET), c, SD_JWT_ESIGNATURE, NULL);
	free(t);
	snprintf(s, sizeof(s), "%.40s", sig);
	t = replace_part(T_HS256, 2, s);
	EXPECT(t, keys_secret(SECRET), c, SD_JWT_ESIGNATURE, NULL);
	free(t);
	t = replace_part(T_HS256, 2, strrchr(T_HS512, '.') + 1);
	EXPECT(t, keys_secret(SECRET), c, SD_JWT_ESIGNATURE, NULL);
	free(t);
	t = replace_part(T_HS256, 2, "");
	EXPECT(t, keys_secret(SECRET), c, SD_JWT_ESIGNATURE, NULL);
	free(t);
	/* an EdDSA signature with a bit flipped */
	sig = strrchr(T_EDDSA, '.') + 1;
	snprintf(s, sizeof(s), "%s", sig);
	s[10] = s[10] == 'A' ? 'B' : 'A';
	t = replace_part(T_EDDSA, 2, s);
	EXPECT(t, keys_both(), c, SD_JWT_ESIGNATURE, NULL);
	free(t);
}

static void test_time(void)
{
	/* exp = NOW - 100 */
	EXPECT(T_EXPIRED, keys_secret(SECRET), at(NOW, 0), SD_JWT_EEXPIRED,
	       NULL);
	EXPECT(T_EXPIRED, keys_secret(SECRET), at(NOW, 99), SD_JWT_EEXPIRED,
	       NULL);
	EXPECT(T_EXPIRED, keys_secret(SECRET), at(NOW, 100), 0, "alice");
	EXPECT(T_EXPIRED, keys_secret(SECRET), at(NOW - 100, 0), 0, "alice");
	/* exp = 2000000000: valid through that second */
	EXPECT(T_HS256, keys_secret(SECRET), at(2000000000, 0), 0, "alice");
	EXPECT(T_HS256, keys_secret(SECRET), at(2000000001, 0), SD_JWT_EEXPIRED,
	       NULL);
	/* nbf = NOW + 100 */
	EXPECT(T_NBF, keys_secret(SECRET), at(NOW, 0), SD_JWT_ENOTYET, NULL);
	EXPECT(T_NBF, keys_secret(SECRET), at(NOW, 99), SD_JWT_ENOTYET, NULL);
	EXPECT(T_NBF, keys_secret(SECRET), at(NOW, 100), 0, "alice");
	EXPECT(T_NBF, keys_secret(SECRET), at(NOW + 100, 0), 0, "alice");
	/* exp = NOW - 0.5 */
	EXPECT(T_EXP_DOUBLE, keys_secret(SECRET), at(NOW, 0), SD_JWT_EEXPIRED,
	       NULL);
	EXPECT(T_EXP_DOUBLE, keys_secret(SECRET), at(NOW, 1), 0, "alice");
	EXPECT(T_EXP_DOUBLE, keys_secret(SECRET), at(NOW - 1, 0), 0, "alice");
	/* not numbers */
	EXPECT(T_EXP_STRING, keys_secret(SECRET), at(NOW, 0), SD_JWT_EINVALID,
	       NULL);
	EXPECT(T_NBF_BOOL, keys_secret(SECRET), at(NOW, 0), SD_JWT_EINVALID,
	       NULL);
	EXPECT(T_NAN_EXP, keys_secret(SECRET), at(NOW, 0), SD_JWT_EINVALID,
	       NULL);
	/* the extremes of the clock and of the claims: no overflow */
	EXPECT(T_HS256, keys_secret(SECRET), at(INT64_MAX, 4294967295u),
	       SD_JWT_EEXPIRED, NULL);
	EXPECT(T_HS256, keys_secret(SECRET), at(INT64_MIN, 4294967295u), 0,
	       "alice");
	EXPECT(T_NBF, keys_secret(SECRET), at(INT64_MIN, 4294967295u),
	       SD_JWT_ENOTYET, NULL);
	static const char *const payloads[] = {
	    "{\"sub\":\"x\",\"exp\":9223372036854775807}",
	    "{\"sub\":\"x\",\"exp\":18446744073709551615}",
	    "{\"sub\":\"x\",\"exp\":1e300}",
	    "{\"sub\":\"x\",\"nbf\":-9223372036854775808}",
	    "{\"sub\":\"x\",\"nbf\":-1e300}",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *t = make_hs256("{\"alg\":\"HS256\"}", 15, payloads[i],
				     strlen(payloads[i]));
		EXPECT(t, keys_secret(SECRET), at(INT64_MAX, 4294967295u), 0,
		       "x");
		EXPECT(t, keys_secret(SECRET), at(NOW, 0), 0, "x");
		free(t);
	}
	static const char *const past[] = {
	    "{\"sub\":\"x\",\"exp\":-9223372036854775808}",
	    "{\"sub\":\"x\",\"exp\":-1e300}",
	};
	for (size_t i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		char *t = make_hs256("{\"alg\":\"HS256\"}", 15, past[i],
				     strlen(past[i]));
		EXPECT(t, keys_secret(SECRET), at(NOW, 4294967295u),
		       SD_JWT_EEXPIRED, NULL);
		free(t);
	}
}

static void test_issuer_audience(void)
{
	sd_jwt_check_t c = at(NOW, 0);
	c.issuer = "https://other.example";
	EXPECT(T_HS256, keys_secret(SECRET), c, SD_JWT_EISSUER, NULL);
	c.issuer = "https://auth.example";
	EXPECT(T_HS256, keys_secret(SECRET), c, 0, "alice");
	EXPECT(T_NO_CLAIMS, keys_secret(SECRET), c, SD_JWT_EISSUER, NULL);
	/* "https://auth.example\u0000.evil" */
	EXPECT(T_ISS_NUL, keys_secret(SECRET), c, SD_JWT_EISSUER, NULL);

	c = at(NOW, 0);
	c.audience = "socketiod";
	EXPECT(T_HS256, keys_secret(SECRET), c, 0, "alice");
	EXPECT(T_NO_CLAIMS, keys_secret(SECRET), c, SD_JWT_EAUDIENCE, NULL);
	EXPECT(T_AUD_NUL, keys_secret(SECRET), c, SD_JWT_EAUDIENCE, NULL);
	/* ["web","socketiod"] */
	EXPECT(T_AUD_ARRAY, keys_secret(SECRET), c, 0, "alice");
	/* ["web",42,"mobile"] */
	EXPECT(T_AUD_ARRAY_OTHER, keys_secret(SECRET), c, SD_JWT_EAUDIENCE,
	       NULL);
	c.audience = "mobile";
	EXPECT(T_AUD_ARRAY_OTHER, keys_secret(SECRET), c, 0, "alice");
	c.audience = "web";
	EXPECT(T_AUD_ARRAY, keys_secret(SECRET), c, 0, "alice");
	c.audience = "other";
	EXPECT(T_HS256, keys_secret(SECRET), c, SD_JWT_EAUDIENCE, NULL);
	EXPECT(T_AUD_ARRAY, keys_secret(SECRET), c, SD_JWT_EAUDIENCE, NULL);
	c.audience = "socket";
	EXPECT(T_HS256, keys_secret(SECRET), c, SD_JWT_EAUDIENCE, NULL);
	/* the issuer is checked before the audience */
	c.issuer = "https://other.example";
	EXPECT(T_HS256, keys_secret(SECRET), c, SD_JWT_EISSUER, NULL);
	/* and time before both */
	EXPECT(T_EXPIRED, keys_secret(SECRET), c, SD_JWT_EEXPIRED, NULL);
}

static void test_malformed(void)
{
	sd_jwt_keys_t k = keys_both();
	sd_jwt_check_t c = at(NOW, 0);
	EXPECT(NULL, k, c, SD_JWT_EINVALID, NULL);
	EXPECT("", k, c, SD_JWT_EINVALID, NULL);
	EXPECT("..", k, c, SD_JWT_EINVALID, NULL);
	EXPECT("abc", k, c, SD_JWT_EINVALID, NULL);
	/* two parts, four parts */
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s",
		 (int)(strrchr(T_HS256, '.') - T_HS256), T_HS256);
	EXPECT(buf, k, c, SD_JWT_EINVALID, NULL);
	snprintf(buf, sizeof(buf), "%s.", T_HS256);
	EXPECT(buf, k, c, SD_JWT_EINVALID, NULL);
	snprintf(buf, sizeof(buf), "%s.%s", T_HS256, "AAAA");
	EXPECT(buf, k, c, SD_JWT_EINVALID, NULL);
	/* not base64url: standard alphabet, padding, spaces, the last
	 * character with bits left over (non-canonical) */
	char *t = replace_part(T_HS256, 1, "eyJzdWIiOiJhbGljZSJ9+/");
	EXPECT(t, k, c, SD_JWT_EINVALID, NULL);
	free(t);
	snprintf(buf, sizeof(buf), "%s=", T_HS256);
	EXPECT(buf, k, c, SD_JWT_EINVALID, NULL);
	snprintf(buf, sizeof(buf), " %s", T_HS256);
	EXPECT(buf, k, c, SD_JWT_EINVALID, NULL);
	snprintf(buf, sizeof(buf), "%s", T_HS256);
	CHECK(buf[strlen(buf) - 1] == '8');
	buf[strlen(buf) - 1] = '9';
	EXPECT(buf, k, c, SD_JWT_EINVALID, NULL);
	EXPECT("!!!.eyJ9.AAAA", k, c, SD_JWT_EINVALID, NULL);
	/* the header: an array; not JSON; a NUL inside; JSON-C's lax
	 * forms refused */
	EXPECT(T_HEADER_ARRAY, k, c, SD_JWT_EINVALID, NULL);
	static const char *const headers[] = {
	    "{\"alg\":\"HS256\"",
	    "{\"alg\":\"HS256\"}x",
	    "{\"alg\":\"HS256\",}",
	    "{/**/\"alg\":\"HS256\"}",
	    "\"HS256\"",
	    "",
	    "{\"alg\":\"HS256\"}{}",
	    "{\"alg\":\"HS256\",\"x\":\"\xff\"}",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		t = make_hs256(headers[i], strlen(headers[i]), "{}", 2);
		EXPECT(t, k, c, SD_JWT_EINVALID, NULL);
		free(t);
	}
	t = make_hs256("{\"alg\":\"HS256\"}\0", 16, "{}", 2);
	EXPECT(t, k, c, SD_JWT_EINVALID, NULL);
	free(t);
	/* whitespace around the JSON is fine */
	t = make_hs256(" {\"alg\":\"HS256\"}\r\n", 18, "{\"sub\":\"s\"} ", 12);
	EXPECT(t, k, c, 0, "s");
	free(t);
	/* the payload, once signed: not an object, not JSON, too deep */
	EXPECT(T_PAYLOAD_ARRAY, k, c, SD_JWT_EINVALID, NULL);
	EXPECT(T_PAYLOAD_STRING, k, c, SD_JWT_EINVALID, NULL);
	EXPECT(T_PAYLOAD_BAD_JSON, k, c, SD_JWT_EINVALID, NULL);
	EXPECT(T_PAYLOAD_TRAILING, k, c, SD_JWT_EINVALID, NULL);
	EXPECT(T_DEEP, k, c, SD_JWT_EINVALID, NULL);
	/* nesting at the limit: the object and 15 arrays */
	char deep[128];
	snprintf(deep, sizeof(deep), "{\"sub\":\"d\",\"a\":%.15s%.15s}",
		 "[[[[[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]]]]]");
	t = make_hs256("{\"alg\":\"HS256\"}", 15, deep, strlen(deep));
	EXPECT(t, k, c, 0, "d");
	free(t);
	snprintf(deep, sizeof(deep), "{\"sub\":\"d\",\"a\":%.16s%.16s}",
		 "[[[[[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]]]]]");
	t = make_hs256("{\"alg\":\"HS256\"}", 15, deep, strlen(deep));
	EXPECT(t, k, c, SD_JWT_EINVALID, NULL);
	free(t);
}

/* A signed HS256 token of exactly `len` bytes (len % 4 != 2 after the
 * fixed parts) is accepted up to SD_JWT_MAX_LEN. */
static void test_length(void)
{
	static const char header[] = "{\"alg\":\"HS256\"}";
	/* 20 header characters, 2 dots, 43 signature characters */
	const size_t fixed = 20 + 2 + 43;
	for (size_t len = SD_JWT_MAX_LEN - 1; len <= SD_JWT_MAX_LEN + 2;
	     len++) {
		size_t p64 = len - fixed;
		if (p64 % 4 == 1)
			continue; /* no byte count encodes to that */
		size_t n = p64 / 4 * 3 + (p64 % 4 ? p64 % 4 - 1 : 0);
		char *payload = malloc(n + 1);
		if (!payload)
			abort();
		memset(payload, 'x', n);
		memcpy(payload, "{\"sub\":\"big\",\"x\":\"", 18);
		memcpy(payload + n - 2, "\"}", 2);
		char *t = make_hs256(header, strlen(header), payload, n);
		CHECK_SIZE(strlen(t), len);
		EXPECT(t, keys_secret(SECRET), at(NOW, 0),
		       len <= SD_JWT_MAX_LEN ? 0 : SD_JWT_EINVALID, "big");
		free(t);
		free(payload);
	}
	/* far longer, and unsigned */
	size_t huge = 100000;
	char *t = malloc(huge + 1);
	if (!t)
		abort();
	memset(t, 'A', huge);
	t[huge] = '\0';
	t[100] = t[200] = '.';
	EXPECT(t, keys_both(), at(NOW, 0), SD_JWT_EINVALID, NULL);
	free(t);
}

static void test_parse_ed25519(void)
{
	uint8_t want[32], got[32];
	size_t n;
	const char *err = NULL;
	CHECK_INT(sodium_base642bin(want, sizeof(want), RAW_B64,
				    strlen(RAW_B64), NULL, &n, NULL,
				    sodium_base64_VARIANT_ORIGINAL),
		  0);
	CHECK_SIZE(n, 32);

	/* PEM, base64, base64url, with whitespace and text around */
	static const char *const good[] = {
	    PEM,
	    RAW_B64,
	    RAW_B64U,
	    "  " RAW_B64U "\n",
	    "\n" RAW_B64 "\r\n",
	    "a comment line\n" PEM "trailing text\n",
	    "-----BEGIN PUBLIC KEY-----\r\nMCowBQYDK2VwAyEAy0K+onNE4n5XwkXg"
	    "\r\nBjOyIbZBHeRXZU7y5H+KgGin1jI=\r\n-----END PUBLIC KEY-----",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(got, 0, sizeof(got));
		err = "unset";
		CHECK_INT(sd_jwt_parse_ed25519(good[i], got, &err), 0);
		CHECK_MEM(got, 32, want, 32);
		CHECK_INT(sd__jwt_ed25519_from_text(good[i], strlen(good[i]),
						    got, &err),
			  0);
		CHECK_MEM(got, 32, want, 32);
	}

	/* refused; `out` untouched */
	static const char *const bad[] = {
	    "",
	    PRIVATE_PEM,
	    X25519_PEM,
	    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAy0K+onNE4n5Xwk",
	    "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
	    /* the small-order point 0 */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(got, 0x5a, sizeof(got));
		err = NULL;
		CHECK_INT(sd_jwt_parse_ed25519(bad[i], got, &err), -EINVAL);
		CHECK(err != NULL);
		CHECK(got[0] == 0x5a && got[31] == 0x5a);
	}
	err = NULL;
	CHECK_INT(sd_jwt_parse_ed25519(NULL, got, &err), -EINVAL);
	CHECK(err != NULL);
	/* neither form, so a path, which does not exist */
	static const char *const missing[] = {
	    "garbage",
	    "y0K+onNE4n5XwkXgBjOyIbZBHeRXZU7y5H+KgGin1j", /* 31 bytes */
	    "/nonexistent/socketiod/key.pem",
	};
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		err = NULL;
		CHECK_INT(sd_jwt_parse_ed25519(missing[i], got, &err), -ENOENT);
		CHECK(err != NULL);
		CHECK_INT(sd__jwt_ed25519_from_text(
			      missing[i], strlen(missing[i]), got, &err),
			  -EINVAL);
	}
	/* only `len` bytes are read */
	char copy[64];
	memcpy(copy, RAW_B64U "garbage", 43 + 7);
	CHECK_INT(sd__jwt_ed25519_from_text(copy, 43, got, &err), 0);
	CHECK_MEM(got, 32, want, 32);

	/* files: PEM, raw base64, garbage, a directory */
	char path[] = "/tmp/jwt_test_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		TEST_FAIL("mkstemp: %s", strerror(errno));
		return;
	}
	static const struct {
		const char *content;
		int rc;
	} files[] = {{PEM, 0}, {RAW_B64 "\n", 0}, {"garbage\n", -EINVAL}};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len = strlen(files[i].content);
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, files[i].content, len, 0) == (ssize_t)len);
		memset(got, 0, sizeof(got));
		err = NULL;
		CHECK_INT(sd_jwt_parse_ed25519(path, got, &err), files[i].rc);
		if (files[i].rc == 0)
			CHECK_MEM(got, 32, want, 32);
		else
			CHECK(err != NULL);
	}
	/* a file too large */
	char *big = malloc(70000);
	if (!big)
		abort();
	memset(big, ' ', 70000);
	memcpy(big, PEM, strlen(PEM));
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, big, 70000, 0) == 70000);
	CHECK_INT(sd_jwt_parse_ed25519(path, got, &err), -EFBIG);
	free(big);
	close(fd);
	unlink(path);
	CHECK(sd_jwt_parse_ed25519("/tmp", got, &err) < 0);

	/* the key read from PEM verifies the EdDSA token */
	sd_jwt_keys_t k = {.has_ed25519 = 1};
	CHECK_INT(sd_jwt_parse_ed25519(PEM, k.ed25519, &err), 0);
	EXPECT(T_EDDSA, k, at(NOW, 0), 0, "alice");
}

int main(void)
{
	if (sodium_init() < 0) {
		TEST_FAIL("sodium_init failed");
		TEST_EXIT();
	}
	test_valid();
	test_algorithm();
	test_signature();
	test_time();
	test_issuer_audience();
	test_malformed();
	test_length();
	test_parse_ed25519();
	TEST_EXIT();
}

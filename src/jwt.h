/* JSON Web Tokens (RFC 7519) in the JWS compact form (RFC 7515), checked
 * when a client connects: the signature (HS256, HS384, HS512, or EdDSA
 * with Ed25519, RFC 8037), then the time and identity claims.
 *
 * Only what a configured key allows is accepted: "none", RS*, ES*, PS*,
 * and any header with "crit" are refused. Tokens come from the network;
 * these functions keep no state and are safe to call from any thread once
 * sodium_init() has succeeded (they call it themselves). */
#ifndef SD_JWT_H
#define SD_JWT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* The longest token accepted, in bytes. */
#define SD_JWT_MAX_LEN 8192
/* The nesting allowed in the header and the payload (json-c depth). */
#define SD_JWT_MAX_DEPTH 16

/* The keys a token may be signed with. The caller owns the secret; it is
 * only read during sd_jwt_verify(). */
typedef struct sd_jwt_keys {
	const uint8_t *secret; /* HS256, HS384, HS512 when secret_len > 0 */
	size_t secret_len;
	int has_ed25519;     /* EdDSA (Ed25519) when non-zero */
	uint8_t ed25519[32]; /* the raw public key */
} sd_jwt_keys_t;

/* What the claims must say. */
typedef struct sd_jwt_check {
	const char *issuer;   /* when non-NULL, "iss" must equal it */
	const char *audience; /* when non-NULL, "aud" (a string, or an array
				 of strings) must be or hold it */
	unsigned leeway_s;    /* clock skew allowed for "exp" and "nbf" */
	int64_t now;	      /* seconds since the epoch */
} sd_jwt_check_t;

/* The return values of sd_jwt_verify() and, for each, its *error. */
#define SD_JWT_EINVALID (-1)   /* "invalid token" */
#define SD_JWT_EALG (-2)       /* "unsupported algorithm" */
#define SD_JWT_ESIGNATURE (-3) /* "invalid signature" */
#define SD_JWT_EEXPIRED (-4)   /* "token expired" */
#define SD_JWT_ENOTYET (-5)    /* "token not yet valid" */
#define SD_JWT_EISSUER (-6)    /* "invalid issuer" */
#define SD_JWT_EAUDIENCE (-7)  /* "invalid audience" */
#define SD_JWT_ENOMEM (-8)     /* "out of memory" */

/* Verifies the compact JWS `token` (a NUL-terminated string), in this
 * order:
 *   1. form: at most SD_JWT_MAX_LEN bytes, three canonical base64url
 *      parts without padding, a header that is a JSON object (as
 *      json-c's strict mode reads it: no comments, trailing commas or
 *      text after the value, but it still takes NaN, Infinity and
 *      single-quoted strings; valid UTF-8, no NUL byte, nesting within
 *      SD_JWT_MAX_DEPTH) with a string "alg" and no "crit";
 *                                                     else SD_JWT_EINVALID
 *   2. "alg" is exactly one of HS256, HS384, HS512 (with keys->secret_len
 *      > 0) or EdDSA (with keys->has_ed25519);          else SD_JWT_EALG
 *   3. the signature, over the first two parts as sent, has exactly the
 *      algorithm's length (32, 48, 64, 64 bytes) and verifies (MACs are
 *      compared in constant time);                 else SD_JWT_ESIGNATURE
 *   4. the payload is a JSON object as in 1., and "exp" and "nbf", when
 *      present, are finite numbers (integers or not); else SD_JWT_EINVALID
 *   5. not now > exp + leeway;                       else SD_JWT_EEXPIRED
 *   6. not now + leeway < nbf;                        else SD_JWT_ENOTYET
 *   7. with check->issuer, "iss" is a string equal to it (byte for byte,
 *      an embedded NUL never matches);                else SD_JWT_EISSUER
 *   8. with check->audience, "aud" is a string equal to it or an array
 *      holding such a string (other elements ignored);
 *                                                   else SD_JWT_EAUDIENCE
 * Other claims ("iat", "sub", custom ones) are not looked at. The payload
 * is parsed only after its signature verified.
 *
 * On success returns 0, sets *claims to the payload object (a new
 * reference: the caller owns it and drops it with json_object_put()) and
 * *error to NULL. On failure returns one of the negative codes above,
 * sets *claims to NULL and *error to the code's static message (never to
 * be freed; fit to send to the client). `keys`, `check`, `claims` and
 * `error` must not be NULL; `token`, `keys` and `check` are only read
 * during the call; `token` NULL is an invalid token. */
int sd_jwt_verify(const char *token, const sd_jwt_keys_t *keys,
		  const sd_jwt_check_t *check, struct json_object **claims,
		  const char **error);

/* Reads an Ed25519 public key from `text`, which is (tried in this
 * order):
 *   - PEM: "-----BEGIN PUBLIC KEY-----", the base64 of a DER
 *     SubjectPublicKeyInfo with the Ed25519 OID 1.3.101.112 (RFC 8410),
 *     "-----END PUBLIC KEY-----" (what `openssl genpkey -algorithm
 *     ed25519` then `openssl pkey -pubout` and Node's
 *     `key.export({type: 'spki', format: 'pem'})` write); text around
 *     the block is ignored;
 *   - the base64 or base64url (padded or not) of the 32 raw bytes, e.g.
 *     the "x" of a JWK; surrounding whitespace is ignored;
 *   - otherwise the path of a file (at most 64 KiB) holding either of the
 *     above.
 * The key must be a canonical point of the curve of large order.
 * Returns 0 and fills `out`; or a negative errno value (-EINVAL for a
 * malformed or unusable key, the open/read errno for a file) and sets
 * *error to a static message. `out` is not touched on failure. */
int sd_jwt_parse_ed25519(const char *text, uint8_t out[32], const char **error);

/* The first two forms of sd_jwt_parse_ed25519() without the file: `len`
 * bytes at `text` (need not be NUL-terminated). For the fuzzer and the
 * tests; the same returns. */
int sd__jwt_ed25519_from_text(const char *text, size_t len, uint8_t out[32],
			      const char **error);

#endif

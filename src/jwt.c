/* JWT verification: see jwt.h. Written from RFC 7515 (JWS), RFC 7519
 * (JWT), RFC 7518 section 3.2 (HMAC algorithms), RFC 8037 (EdDSA) and
 * RFC 8410 (Ed25519 SubjectPublicKeyInfo). */
#include "jwt.h"
#include "sha384.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const messages[] = {
    [-SD_JWT_EINVALID] = "invalid token",
    [-SD_JWT_EALG] = "unsupported algorithm",
    [-SD_JWT_ESIGNATURE] = "invalid signature",
    [-SD_JWT_EEXPIRED] = "token expired",
    [-SD_JWT_ENOTYET] = "token not yet valid",
    [-SD_JWT_EISSUER] = "invalid issuer",
    [-SD_JWT_EAUDIENCE] = "invalid audience",
    [-SD_JWT_ENOMEM] = "out of memory",
};

enum alg_kind { ALG_HS256, ALG_HS384, ALG_HS512, ALG_EDDSA };

static const struct {
	const char *name;
	enum alg_kind kind;
	size_t sig_len;
} algs[] = {
    {"HS256", ALG_HS256, crypto_auth_hmacsha256_BYTES},
    {"HS384", ALG_HS384, SD_SHA384_LEN},
    {"HS512", ALG_HS512, crypto_auth_hmacsha512_BYTES},
    {"EdDSA", ALG_EDDSA, crypto_sign_BYTES},
};

#define MAX_SIG_LEN 64

/* A JSON string equal to `want`, byte for byte (a string holding a NUL
 * never equals a C string). */
static int str_eq(struct json_object *o, const char *want)
{
	if (!json_object_is_type(o, json_type_string))
		return 0;
	size_t n = strlen(want);
	return (size_t)json_object_get_string_len(o) == n &&
	       memcmp(json_object_get_string(o), want, n) == 0;
}

/* Decodes one base64url part (no padding, canonical) into out[cap]. */
static int b64url(const char *s, size_t n, uint8_t *out, size_t cap,
		  size_t *len)
{
	return sodium_base642bin(out, cap, s, n, NULL, len, NULL,
				 sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Parses `len` bytes as one JSON object with nothing after it but
 * whitespace. Returns the object, or NULL with *oom set when memory ran
 * out. */
static struct json_object *parse_object(const uint8_t *s, size_t len, int *oom)
{
	/* json-c stops at a NUL; JSON text never holds a raw one */
	if (memchr(s, 0, len))
		return NULL;
	json_tokener *tok = json_tokener_new_ex(SD_JWT_MAX_DEPTH);
	if (!tok) {
		*oom = 1;
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *o =
	    json_tokener_parse_ex(tok, (const char *)s, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Checks the signature `sig` of the signing input `in` (the first two
 * parts and their dot). */
static int signature_ok(enum alg_kind kind, const sd_jwt_keys_t *keys,
			const char *in, size_t in_len, const uint8_t *sig)
{
	uint8_t mac[MAX_SIG_LEN];
	size_t mac_len;
	switch (kind) {
	case ALG_HS256: {
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, keys->secret,
					    keys->secret_len);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)in, in_len);
		crypto_auth_hmacsha256_final(&st, mac);
		mac_len = crypto_auth_hmacsha256_BYTES;
		break;
	}
	case ALG_HS384:
		sd__hmac_sha384(keys->secret, keys->secret_len, in, in_len,
				mac);
		mac_len = SD_SHA384_LEN;
		break;
	case ALG_HS512: {
		crypto_auth_hmacsha512_state st;
		crypto_auth_hmacsha512_init(&st, keys->secret,
					    keys->secret_len);
		crypto_auth_hmacsha512_update(&st, (const uint8_t *)in, in_len);
		crypto_auth_hmacsha512_final(&st, mac);
		mac_len = crypto_auth_hmacsha512_BYTES;
		break;
	}
	case ALG_EDDSA:
		return crypto_sign_verify_detached(sig, (const uint8_t *)in,
						   in_len, keys->ed25519) == 0;
	default: return 0;
	}
	int ok = sodium_memcmp(mac, sig, mac_len) == 0;
	sodium_memzero(mac, sizeof(mac));
	return ok;
}

/* A time claim: absent, an integer, or a finite double. */
typedef struct {
	enum { T_ABSENT, T_INT, T_DOUBLE } type;
	int64_t i;
	double d;
} time_claim_t;

static int get_time(struct json_object *payload, const char *key,
		    time_claim_t *t)
{
	struct json_object *v;
	t->type = T_ABSENT;
	if (!json_object_object_get_ex(payload, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		/* above INT64_MAX (json-c keeps it unsigned) reads as
		 * INT64_MAX, which compares the same against any now */
		t->type = T_INT;
		t->i = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		t->type = T_DOUBLE;
		t->d = json_object_get_double(v);
		/* json-c reads NaN and Infinity even in strict mode */
		return isfinite(t->d) ? 0 : -1;
	}
	return -1;
}

/* now > exp + leeway, without overflow */
static int expired(const time_claim_t *exp, int64_t now, unsigned leeway)
{
	if (exp->type == T_DOUBLE)
		return (double)now > exp->d + (double)leeway;
	if (exp->type != T_INT || exp->i >= now)
		return 0;
	return (uint64_t)now - (uint64_t)exp->i > leeway;
}

/* now + leeway < nbf, without overflow */
static int not_yet(const time_claim_t *nbf, int64_t now, unsigned leeway)
{
	if (nbf->type == T_DOUBLE)
		return (double)now + (double)leeway < nbf->d;
	if (nbf->type != T_INT || nbf->i <= now)
		return 0;
	return (uint64_t)nbf->i - (uint64_t)now > leeway;
}

static int audience_ok(struct json_object *payload, const char *want)
{
	struct json_object *aud;
	if (!json_object_object_get_ex(payload, "aud", &aud))
		return 0;
	if (json_object_is_type(aud, json_type_string))
		return str_eq(aud, want);
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	size_t n = json_object_array_length(aud);
	for (size_t i = 0; i < n; i++)
		if (str_eq(json_object_array_get_idx(aud, i), want))
			return 1;
	return 0;
}

/* The claims of a verified payload (steps 4 to 8 of jwt.h). */
static int check_claims(struct json_object *payload,
			const sd_jwt_check_t *check)
{
	time_claim_t exp, nbf;
	if (get_time(payload, "exp", &exp) < 0 ||
	    get_time(payload, "nbf", &nbf) < 0)
		return SD_JWT_EINVALID;
	if (expired(&exp, check->now, check->leeway_s))
		return SD_JWT_EEXPIRED;
	if (not_yet(&nbf, check->now, check->leeway_s))
		return SD_JWT_ENOTYET;
	struct json_object *iss;
	if (check->issuer &&
	    (!json_object_object_get_ex(payload, "iss", &iss) ||
	     !str_eq(iss, check->issuer)))
		return SD_JWT_EISSUER;
	if (check->audience && !audience_ok(payload, check->audience))
		return SD_JWT_EAUDIENCE;
	return 0;
}

static int verify(const char *token, const sd_jwt_keys_t *keys,
		  const sd_jwt_check_t *check, struct json_object **claims)
{
	if (!token || sodium_init() < 0)
		return SD_JWT_EINVALID;
	size_t len = strnlen(token, SD_JWT_MAX_LEN + 1);
	if (len > SD_JWT_MAX_LEN)
		return SD_JWT_EINVALID;
	const char *dot1 = memchr(token, '.', len);
	if (!dot1)
		return SD_JWT_EINVALID;
	const char *dot2 =
	    memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		return SD_JWT_EINVALID;

	/* the three parts decode to at most 3/4 of the token */
	uint8_t buf[SD_JWT_MAX_LEN];
	uint8_t *header = buf, *payload, *sig;
	size_t header_len, payload_len, sig_len;
	if (b64url(token, (size_t)(dot1 - token), header, sizeof(buf),
		   &header_len) != 0)
		return SD_JWT_EINVALID;
	payload = header + header_len;
	if (b64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload,
		   sizeof(buf) - header_len, &payload_len) != 0)
		return SD_JWT_EINVALID;
	sig = payload + payload_len;
	if (b64url(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig,
		   sizeof(buf) - header_len - payload_len, &sig_len) != 0)
		return SD_JWT_EINVALID;

	/* 1, 2: the header and its algorithm */
	int oom = 0;
	struct json_object *h = parse_object(header, header_len, &oom);
	if (!h)
		return oom ? SD_JWT_ENOMEM : SD_JWT_EINVALID;
	struct json_object *alg;
	if (!json_object_object_get_ex(h, "alg", &alg) ||
	    !json_object_is_type(alg, json_type_string) ||
	    json_object_object_get_ex(h, "crit", NULL)) {
		json_object_put(h);
		return SD_JWT_EINVALID;
	}
	size_t a = 0, nalgs = sizeof(algs) / sizeof(algs[0]);
	while (a < nalgs && !str_eq(alg, algs[a].name))
		a++;
	json_object_put(h);
	if (a == nalgs)
		return SD_JWT_EALG;
	enum alg_kind kind = algs[a].kind;
	if (kind == ALG_EDDSA ? !keys->has_ed25519 : keys->secret_len == 0)
		return SD_JWT_EALG;

	/* 3: the signature, over the parts as sent */
	if (sig_len != algs[a].sig_len ||
	    !signature_ok(kind, keys, token, (size_t)(dot2 - token), sig))
		return SD_JWT_ESIGNATURE;

	/* 4 to 8: the claims */
	struct json_object *p = parse_object(payload, payload_len, &oom);
	if (!p)
		return oom ? SD_JWT_ENOMEM : SD_JWT_EINVALID;
	int rc = check_claims(p, check);
	if (rc < 0) {
		json_object_put(p);
		return rc;
	}
	*claims = p;
	return 0;
}

int sd_jwt_verify(const char *token, const sd_jwt_keys_t *keys,
		  const sd_jwt_check_t *check, struct json_object **claims,
		  const char **error)
{
	*claims = NULL;
	int rc = verify(token, keys, check, claims);
	*error = rc < 0 ? messages[-rc] : NULL;
	return rc;
}

/* --- Ed25519 public keys ------------------------------------------------ */

/* The DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410 section 4) up to
 * the key: SEQUENCE (42) { SEQUENCE (5) { OID 1.3.101.112 }, BIT STRING
 * (33, no unused bits) }. */
static const uint8_t spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END "-----END PUBLIC KEY-----"
#define MAX_KEY_FILE (64 * 1024)

/* The first `needle` in s[len], or NULL. */
static const char *find(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int check_point(const uint8_t key[32], uint8_t out[32],
		       const char **error)
{
	if (!crypto_core_ed25519_is_valid_point(key)) {
		*error = "invalid Ed25519 public key (not a usable point)";
		return -EINVAL;
	}
	memcpy(out, key, 32);
	return 0;
}

/* 0 or -EINVAL as sd__jwt_ed25519_from_text(), or 1 when `text` is in
 * neither form (no PEM block, not the base64 of 32 bytes). */
static int from_text(const char *text, size_t len, uint8_t out[32],
		     const char **error)
{
	if (sodium_init() < 0) {
		*error = "libsodium could not be initialized";
		return -EINVAL;
	}
	const char *begin = find(text, len, PEM_BEGIN);
	if (begin) {
		const char *body = begin + strlen(PEM_BEGIN);
		const char *end =
		    find(body, len - (size_t)(body - text), PEM_END);
		uint8_t der[64];
		size_t der_len;
		if (!end ||
		    sodium_base642bin(
			der, sizeof(der), body, (size_t)(end - body), " \t\r\n",
			&der_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
			*error = "malformed PEM public key";
			return -EINVAL;
		}
		if (der_len != sizeof(spki_prefix) + 32 ||
		    memcmp(der, spki_prefix, sizeof(spki_prefix)) != 0) {
			*error = "the PEM public key is not an Ed25519 key";
			return -EINVAL;
		}
		return check_point(der + sizeof(spki_prefix), out, error);
	}
	if (find(text, len, "-----BEGIN ")) {
		*error =
		    "expected a PEM public key (-----BEGIN PUBLIC KEY-----)";
		return -EINVAL;
	}
	while (len && is_space(text[0])) {
		text++;
		len--;
	}
	while (len && is_space(text[len - 1]))
		len--;
	static const int variants[] = {
	    sodium_base64_VARIANT_ORIGINAL,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
	    sodium_base64_VARIANT_URLSAFE,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		uint8_t raw[32];
		size_t raw_len;
		if (sodium_base642bin(raw, sizeof(raw), text, len, NULL,
				      &raw_len, NULL, variants[i]) == 0 &&
		    raw_len == sizeof(raw))
			return check_point(raw, out, error);
	}
	return 1;
}

int sd__jwt_ed25519_from_text(const char *text, size_t len, uint8_t out[32],
			      const char **error)
{
	int rc = from_text(text, len, out, error);
	if (rc == 1) {
		*error = "not an Ed25519 public key (PEM, or base64 of the "
			 "32 bytes)";
		return -EINVAL;
	}
	return rc;
}

int sd_jwt_parse_ed25519(const char *text, uint8_t out[32], const char **error)
{
	if (!text || !*text) {
		*error = "empty Ed25519 public key";
		return -EINVAL;
	}
	int rc = from_text(text, strlen(text), out, error);
	if (rc != 1)
		return rc;

	/* a file holding the key */
	FILE *f = fopen(text, "rb");
	if (!f) {
		rc = -errno;
		*error = "not an Ed25519 public key (PEM, or base64 of the "
			 "32 bytes) nor a readable file";
		return rc;
	}
	char *buf = malloc(MAX_KEY_FILE + 1);
	if (!buf) {
		fclose(f);
		*error = "out of memory";
		return -ENOMEM;
	}
	size_t n = fread(buf, 1, MAX_KEY_FILE + 1, f);
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		*error = "cannot read the Ed25519 public key file";
	} else if (n > MAX_KEY_FILE) {
		rc = -EFBIG;
		*error = "the Ed25519 public key file is too large";
	} else {
		rc = from_text(buf, n, out, error);
	}
	fclose(f);
	free(buf);
	if (rc == 1) {
		*error = "the key file holds no Ed25519 public key (PEM, or "
			 "base64 of the 32 bytes)";
		return -EINVAL;
	}
	return rc;
}

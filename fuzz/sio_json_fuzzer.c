/* libFuzzer target: socketio/json.c against a reference written here.
 *
 * sio__json_scan() runs on the input at several depths and must agree
 * with a plain reference validator (RFC 8259 grammar, written from the
 * RFC with indices rather than pointers): the same end of the value, or
 * the same refusal; a value accepted at one depth is accepted with the
 * same end at every larger depth. Every string literal the reference
 * finds (keys and values) is decoded with sio__json_string_decode() and
 * compared with a reference decoder (UTF-16 escapes joined in pairs, lone
 * surrogates U+FFFD, NUL refused), with room to spare, exact room, and
 * one byte short. sio__json_parse() builds a tree exactly for a whole
 * input that scans (an array or object; json-c leaves bare scalars
 * unfinished without a byte after them, which its callers never give).
 * Any disagreement aborts. */
#include "json.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/* --- reference ------------------------------------------------------- */

typedef struct {
	const uint8_t *s;
	size_t n;
	/* string literals found: [start, end) offsets */
	size_t (*strs)[2];
	size_t nstrs, cap;
} ref_t;

static int is_ws(uint8_t c)
{
	return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D;
}

static size_t skip_ws(const ref_t *r, size_t i)
{
	while (i < r->n && is_ws(r->s[i]))
		i++;
	return i;
}

static int is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* string = quotation-mark *char quotation-mark; returns the index after
 * it, or SIZE_MAX */
static size_t ref_string(ref_t *r, size_t i)
{
	size_t start = i++;
	while (i < r->n) {
		uint8_t c = r->s[i];
		if (c == '"') {
			if (r->nstrs == r->cap) {
				r->cap = r->cap ? r->cap * 2 : 16;
				r->strs =
				    realloc(r->strs, r->cap * sizeof(*r->strs));
			}
			r->strs[r->nstrs][0] = start;
			r->strs[r->nstrs][1] = i + 1;
			r->nstrs++;
			return i + 1;
		}
		if (c <= 0x1F)
			return SIZE_MAX;
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= r->n)
			return SIZE_MAX;
		uint8_t e = r->s[i + 1];
		if (e == 'u') {
			if (i + 5 >= r->n) /* four digits after "\\u" */
				return SIZE_MAX;
			for (size_t k = 2; k < 6; k++)
				if (!is_hex(r->s[i + k]))
					return SIZE_MAX;
			i += 6;
		} else if (strchr("\"\\/bfnrt", e) && e) {
			i += 2;
		} else {
			return SIZE_MAX;
		}
	}
	return SIZE_MAX;
}

/* number = [ minus ] int [ frac ] [ exp ] */
static size_t ref_number(const ref_t *r, size_t i)
{
	if (i < r->n && r->s[i] == '-')
		i++;
	if (i >= r->n || !is_digit(r->s[i]))
		return SIZE_MAX;
	if (r->s[i] == '0') {
		i++;
	} else {
		while (i < r->n && is_digit(r->s[i]))
			i++;
	}
	if (i < r->n && r->s[i] == '.') {
		i++;
		if (i >= r->n || !is_digit(r->s[i]))
			return SIZE_MAX;
		while (i < r->n && is_digit(r->s[i]))
			i++;
	}
	if (i < r->n && (r->s[i] == 'e' || r->s[i] == 'E')) {
		i++;
		if (i < r->n && (r->s[i] == '+' || r->s[i] == '-'))
			i++;
		if (i >= r->n || !is_digit(r->s[i]))
			return SIZE_MAX;
		while (i < r->n && is_digit(r->s[i]))
			i++;
	}
	return i;
}

static size_t ref_value(ref_t *r, size_t i, int depth)
{
	i = skip_ws(r, i);
	if (i >= r->n)
		return SIZE_MAX;
	static const char *const lits[] = {"true", "false", "null"};
	for (int k = 0; k < 3; k++) {
		size_t l = strlen(lits[k]);
		if (r->s[i] == (uint8_t)lits[k][0])
			return r->n - i >= l &&
				       memcmp(r->s + i, lits[k], l) == 0
				   ? i + l
				   : SIZE_MAX;
	}
	if (r->s[i] == '"')
		return ref_string(r, i);
	if (r->s[i] != '[' && r->s[i] != '{')
		return ref_number(r, i);
	/* array or object: one level */
	if (depth < 1)
		return SIZE_MAX;
	int obj = r->s[i] == '{';
	uint8_t close = obj ? '}' : ']';
	i = skip_ws(r, i + 1);
	if (i < r->n && r->s[i] == close)
		return i + 1;
	for (;;) {
		if (obj) {
			i = skip_ws(r, i);
			if (i >= r->n || r->s[i] != '"')
				return SIZE_MAX;
			i = ref_string(r, i);
			if (i == SIZE_MAX)
				return SIZE_MAX;
			i = skip_ws(r, i);
			if (i >= r->n || r->s[i] != ':')
				return SIZE_MAX;
			i++;
		}
		i = ref_value(r, i, depth - 1);
		if (i == SIZE_MAX)
			return SIZE_MAX;
		i = skip_ws(r, i);
		if (i >= r->n)
			return SIZE_MAX;
		if (r->s[i] == close)
			return i + 1;
		if (r->s[i] != ',')
			return SIZE_MAX;
		i++;
	}
}

static uint32_t hexval(const uint8_t *p)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++) {
		uint8_t c = p[k];
		v = v * 16 + (uint32_t)(c <= '9'   ? c - '0'
					: c <= 'F' ? c - 'A' + 10
						   : c - 'a' + 10);
	}
	return v;
}

static size_t utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xC0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xE0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes a valid literal: first into UTF-16 units (raw bytes kept as
 * marked units), then joins pairs. Returns the length, or -1 for a NUL. */
static long ref_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	/* units: < 0x10000 a UTF-16 unit from an escape, 0x10000 + b a raw
	 * byte */
	uint32_t *u = malloc((n + 1) * sizeof(*u));
	size_t nu = 0;
	for (size_t i = 1; i + 1 < n;) {
		if (s[i] != '\\') {
			u[nu++] = 0x10000u + s[i++];
			continue;
		}
		uint8_t e = s[i + 1];
		switch (e) {
		case 'b': u[nu++] = 8; break;
		case 'f': u[nu++] = 12; break;
		case 'n': u[nu++] = 10; break;
		case 'r': u[nu++] = 13; break;
		case 't': u[nu++] = 9; break;
		case 'u': u[nu++] = hexval(s + i + 2); break;
		default: u[nu++] = e; break;
		}
		i += e == 'u' ? 6 : 2;
	}
	long len = 0;
	for (size_t k = 0; k < nu; k++) {
		uint32_t c = u[k];
		if (c >= 0x10000) {
			out[len++] = (uint8_t)(c - 0x10000);
			continue;
		}
		if (c >= 0xD800 && c <= 0xDBFF && k + 1 < nu &&
		    u[k + 1] >= 0xDC00 && u[k + 1] <= 0xDFFF) {
			c = 0x10000 + ((c - 0xD800) << 10) +
			    (u[k + 1] - 0xDC00);
			k++;
		} else if (c >= 0xD800 && c <= 0xDFFF) {
			c = 0xFFFD;
		}
		if (c == 0) {
			free(u);
			return -1;
		}
		len += (long)utf8(out + len, c);
	}
	free(u);
	return len;
}

/* --- the target -------------------------------------------------------- */

static void check_string(const char *lit, size_t n)
{
	uint8_t *want = malloc(n * 2 + 4);
	long wl = ref_decode((const uint8_t *)lit, n, want);
	/* plenty of room */
	char *out = malloc(n * 2 + 4);
	long r = sio__json_string_decode(lit, lit + n, out, n * 2 + 4);
	CHECK(r == wl);
	if (r >= 0) {
		CHECK(memcmp(out, want, (size_t)r) == 0 && out[r] == '\0');
		CHECK((size_t)r <= n - 2);
		/* exact room, and one byte short */
		char *exact = malloc((size_t)r + 1);
		CHECK(sio__json_string_decode(lit, lit + n, exact,
					      (size_t)r + 1) == r);
		CHECK(memcmp(exact, want, (size_t)r) == 0 && exact[r] == '\0');
		if (r > 0)
			CHECK(sio__json_string_decode(lit, lit + n, exact,
						      (size_t)r) == -1);
		free(exact);
	}
	free(out);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact copy: reads past the end are caught */
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	const char *end = buf + size;

	static const int depths[] = {0, 1, 2, 3, 8, SIO_JSON_MAX_DEPTH, 1000};
	const char *prev = NULL;
	ref_t ref = {data, size, NULL, 0, 0};
	for (size_t k = 0; k < sizeof(depths) / sizeof(*depths); k++) {
		const char *e = sio__json_scan(buf, end, depths[k]);
		ref.nstrs = 0;
		size_t want = ref_value(&ref, 0, depths[k]);
		if (want == SIZE_MAX)
			CHECK(e == NULL);
		else
			CHECK(e == buf + want);
		/* more depth never refuses what less took */
		if (prev)
			CHECK(e == prev);
		prev = e;
	}
	/* the complete string literals met (at the largest depth), whether
	 * or not the whole value was valid */
	for (size_t k = 0; k < ref.nstrs; k++) {
		size_t a = ref.strs[k][0], b = ref.strs[k][1];
		/* a string scans alone to its end */
		CHECK(sio__json_scan(buf + a, end, 0) == buf + b);
		check_string(buf + a, b - a);
	}

	/* a tree exactly for what scans, whole */
	const char *v = sio__json_scan(buf, end, SIO_JSON_MAX_DEPTH);
	int whole = v && sio__json_ws(v, end) == end;
	json_object *o = sio__json_parse(buf, size);
	if (!whole)
		CHECK(o == NULL);
	else if (*sio__json_ws(buf, end) == '[')
		CHECK(json_object_is_type(o, json_type_array));
	else if (*sio__json_ws(buf, end) == '{')
		CHECK(json_object_is_type(o, json_type_object));
	json_object_put(o);

	/* whitespace */
	const char *w = sio__json_ws(buf, end);
	CHECK(w >= buf && w <= end);
	for (const char *p = buf; p < w; p++)
		CHECK(is_ws((uint8_t)*p));
	CHECK(w == end || !is_ws((uint8_t)*w));

	free(ref.strs);
	free(buf);
	return 0;
}

#include "json.h"

#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

const char *sio__json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
	if (end - p < 4)
		return -1;
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string: escapes checked, raw control characters refused. The bytes
 * themselves are not re-checked for UTF-8: the transport did that. */
static const char *scan_string(const char *p, const char *end)
{
	p++; /* the opening quote */
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			p++;
			continue;
		}
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't': p++; break;
		case 'u': {
			uint32_t v;
			if (hex4(p + 1, end, &v) < 0)
				return NULL;
			p += 5;
			break;
		}
		default: return NULL;
		}
	}
	return NULL;
}

static const char *scan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		const char *d = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	return p;
}

static const char *scan_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

const char *sio__json_scan(const char *p, const char *end, int depth)
{
	p = sio__json_ws(p, end);
	if (p >= end)
		return NULL;
	switch (*p) {
	case '"': return scan_string(p, end);
	case 't': return scan_word(p, end, "true");
	case 'f': return scan_word(p, end, "false");
	case 'n': return scan_word(p, end, "null");
	case '[':
	case '{': {
		if (depth <= 0)
			return NULL;
		char close = *p == '[' ? ']' : '}';
		int object = *p == '{';
		p = sio__json_ws(p + 1, end);
		if (p < end && *p == close)
			return p + 1;
		for (;;) {
			if (object) {
				p = sio__json_ws(p, end);
				if (p >= end || *p != '"' ||
				    !(p = scan_string(p, end)))
					return NULL;
				p = sio__json_ws(p, end);
				if (p >= end || *p++ != ':')
					return NULL;
			}
			if (!(p = sio__json_scan(p, end, depth - 1)))
				return NULL;
			p = sio__json_ws(p, end);
			if (p >= end)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	default: return scan_number(p, end);
	}
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

long sio__json_string_decode(const char *p, const char *end, char *out,
			     size_t cap)
{
	size_t n = 0;
	p++;   /* opening quote */
	end--; /* closing quote */
	while (p < end) {
		char tmp[4];
		size_t k = 1;
		if (*p != '\\') {
			tmp[0] = *p++;
		} else {
			p++;
			switch (*p) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				uint32_t cp, lo;
				if (hex4(p + 1, end, &cp) < 0)
					return -1;
				p += 4;
				/* a surrogate pair makes one code point; a lone
				 * surrogate becomes U+FFFD, as JavaScript would
				 * print it */
				if (cp >= 0xD800 && cp <= 0xDBFF &&
				    end - p >= 7 && p[1] == '\\' &&
				    p[2] == 'u' && hex4(p + 3, end, &lo) == 0 &&
				    lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) +
					     (lo - 0xDC00);
					p += 6;
				} else if (cp >= 0xD800 && cp <= 0xDFFF) {
					cp = 0xFFFD;
				}
				k = put_utf8(tmp, cp);
				break;
			}
			default: tmp[0] = *p; break;
			}
			p++;
		}
		if (n + k >= cap)
			return -1;
		for (size_t i = 0; i < k; i++) {
			if (tmp[i] == '\0')
				return -1;
			out[n++] = tmp[i];
		}
	}
	out[n] = '\0';
	return (long)n;
}

json_object *sio__json_parse(const char *text, size_t len)
{
	const char *end = text + len;
	const char *e = sio__json_scan(text, end, SIO_JSON_MAX_DEPTH);
	if (!e || sio__json_ws(e, end) != end)
		return NULL;
	/* json-c counts depth its own way (scalars too): room to spare, the
	 * scanner has enforced the limit */
	json_tokener *tok = json_tokener_new_ex(SIO_JSON_MAX_DEPTH + 2);
	if (!tok)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, " ", 1); /* a number ends here */
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* A straightforward reference UTF-8 validator, against which
 * eio__utf8_valid() is checked (tests/engineio/utf8_test.c,
 * fuzz/packet_fuzzer.c): decode each sequence, then reject what RFC 3629
 * does (overlong forms, surrogates, code points past U+10FFFF, truncated
 * sequences, stray continuation bytes). 1 if valid, 0 if not. */
#ifndef TESTS_UTF8_REF_H
#define TESTS_UTF8_REF_H

#include <stddef.h>
#include <stdint.h>

static inline int utf8_ref_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i < n)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n;
	}
	return 1;
}

#endif

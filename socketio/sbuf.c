/* A growing string (see sbuf.h). */
#include "sbuf.h"

#include "emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sio__sbuf_put(sio_sbuf_t *b, const char *p, size_t n)
{
	if (b->err || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *ns = realloc(b->s, ncap);
		if (!ns) {
			b->err = -ENOMEM;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sio__sbuf_puts(sio_sbuf_t *b, const char *s)
{
	sio__sbuf_put(b, s, strlen(s));
}

void sio__sbuf_quote(sio_sbuf_t *b, const char *s)
{
	char *q = malloc(strlen(s) * 6 + 3);
	if (!q) {
		b->err = -ENOMEM;
		return;
	}
	size_t n = sio__json_quote(q, s);
	sio__sbuf_put(b, q, n);
	free(q);
}

/* A growing string, for the JSON the cluster adapters write. Internal to
 * libsocketio. */
#ifndef SIO_SBUF_H
#define SIO_SBUF_H

#include <stddef.h>

/* A growing string, always NUL-terminated once written to; `err` is set
 * (a negative errno) once out of memory, and then every write is
 * ignored. Start zeroed; free(s) at the end. */
typedef struct sio_sbuf {
	char *s;
	size_t len, cap;
	int err;
} sio_sbuf_t;

void sio__sbuf_put(sio_sbuf_t *b, const char *p, size_t n);
void sio__sbuf_puts(sio_sbuf_t *b, const char *s);
/* `s` as a JSON string literal. */
void sio__sbuf_quote(sio_sbuf_t *b, const char *s);

#endif

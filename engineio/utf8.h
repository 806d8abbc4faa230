/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), for polling bodies; wslay checks WebSocket text frames. */
#ifndef EIO_UTF8_H
#define EIO_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the `len` bytes at `s` are valid UTF-8, else 0. */
int eio__utf8_valid(const uint8_t *s, size_t len);

#endif

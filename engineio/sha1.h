/* SHA-1 (FIPS 180-4), only for the WebSocket handshake's
 * Sec-WebSocket-Accept; none of the project's libraries offers it. */
#ifndef EIO_SHA1_H
#define EIO_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define EIO_SHA1_LEN 20

void eio__sha1(const void *data, size_t len, uint8_t out[EIO_SHA1_LEN]);

#endif

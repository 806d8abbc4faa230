/* A strict JSON scanner (RFC 8259) for untrusted packets: it checks syntax
 * and nesting depth without building a tree, so a relay never pays for
 * one. Internal to libsocketio. */
#ifndef SIO_JSON_H
#define SIO_JSON_H

#include <stddef.h>

/* Nesting limit of packets, as json-c's default tokener depth. */
#define SIO_JSON_MAX_DEPTH 32

/* Scans one JSON value at `p` (leading whitespace allowed). Returns the
 * position just after it, or NULL if the bytes are not valid JSON or nest
 * deeper than `depth`. Never reads at or past `end`. */
const char *sio__json_scan(const char *p, const char *end, int depth);

/* Skips JSON whitespace. */
const char *sio__json_ws(const char *p, const char *end);

/* Decodes the JSON string literal at [p, end) (quotes included, already
 * scanned) into a NUL-terminated UTF-8 string of at most `cap` bytes in
 * `out`. Returns its length, or -1 if it does not fit or holds a NUL. */
long sio__json_string_decode(const char *p, const char *end, char *out,
			     size_t cap);

/* Parses `len` bytes holding exactly one JSON value (whitespace around it
 * allowed) into a json-c tree, after the scanner has checked it with the
 * packet rules and depth. Returns a new reference or NULL. */
struct json_object;
struct json_object *sio__json_parse(const char *text, size_t len);

#endif

/* An HTTP request as llhttp delivers it, collected into one buffer: the
 * URL, lower-cased header names and values, then the decoded query. The
 * public accessors (eio_request_*) are declared in eio.h. */
#ifndef EIO_REQUEST_H
#define EIO_REQUEST_H

#include "eio.h"

#include <stddef.h>
#include <stdint.h>

struct eio_conn;

/* Parts of the head that arrive piecewise from llhttp. */
typedef enum {
	EIO_REQ_URL,
	EIO_REQ_HEADER_NAME,
	EIO_REQ_HEADER_VALUE,
} eio_req_part_t;

struct eio_request {
	struct eio_conn *conn; /* while the request awaits its answer */
	const char *method;    /* static string from llhttp */
	char *strs;	       /* NUL-separated strings */
	size_t strs_len, strs_cap;
	uint32_t *hdrs;		   /* offsets: name, value, name, value, ... */
	size_t nhdrs, hdrs_cap;	   /* pairs */
	uint32_t url, path, query; /* offsets in strs */
	uint32_t *qs;		   /* decoded query: name, value offsets */
	size_t nqs, qs_cap;	   /* pairs */
	int part_open; /* the last part has not been terminated yet */
	uint8_t *body;
	size_t body_len, body_cap;
	char address[46];
};

/* A new empty request from a peer at `address`. NULL when out of memory. */
eio_request_t *eio__request_new(const char *address);
void eio__request_free(eio_request_t *req);

/* Appends bytes of a head part (llhttp may deliver one part in several
 * spans); eio__request_end_part() ends it. Returns 0 or -ENOMEM. */
int eio__request_append(eio_request_t *req, eio_req_part_t part, const char *at,
			size_t len);
int eio__request_end_part(eio_request_t *req);
/* Call once all headers are in: splits path and query, decodes the query.
 * Returns 0 or -ENOMEM. */
int eio__request_finish_head(eio_request_t *req);
/* Frees what a complete request kept for growing, and its body: for a
 * request kept as long as its session (the handshake). */
void eio__request_compact(eio_request_t *req);
/* Appends body bytes, refusing (-E2BIG) past `max` bytes in all. */
int eio__request_append_body(eio_request_t *req, const char *at, size_t len,
			     size_t max);
/* 1 if header `name` contains `token` in its comma-separated list,
 * case-insensitively ("Connection: keep-alive, Upgrade"). */
int eio__request_header_has_token(const eio_request_t *req, const char *name,
				  const char *token);

#endif

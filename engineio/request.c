#include "request.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NO_OFFSET UINT32_MAX

eio_request_t *eio__request_new(const char *address)
{
	eio_request_t *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->method = "GET";
	req->url = req->path = req->query = NO_OFFSET;
	snprintf(req->address, sizeof(req->address), "%s",
		 address ? address : "");
	return req;
}

void eio__request_free(eio_request_t *req)
{
	if (!req)
		return;
	free(req->strs);
	free(req->hdrs);
	free(req->qs);
	free(req->body);
	free(req);
}

static int reserve(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Shrinks an array of *cap elements to the n in use. */
static void shrink(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n == 0 || n >= *cap)
		return;
	void *np = realloc(*p, n * elem);
	if (np) {
		*p = np;
		*cap = n;
	}
}

void eio__request_compact(eio_request_t *req)
{
	shrink((void **)&req->strs, &req->strs_cap, req->strs_len, 1);
	shrink((void **)&req->hdrs, &req->hdrs_cap, req->nhdrs,
	       2 * sizeof(*req->hdrs));
	shrink((void **)&req->qs, &req->qs_cap, req->nqs, 2 * sizeof(*req->qs));
	free(req->body);
	req->body = NULL;
	req->body_len = req->body_cap = 0;
}

static int put_bytes(eio_request_t *req, const char *at, size_t len)
{
	if (req->strs_len + len + 1 > UINT32_MAX)
		return -E2BIG;
	if (reserve((void **)&req->strs, &req->strs_cap,
		    req->strs_len + len + 1, 1) < 0)
		return -ENOMEM;
	memcpy(req->strs + req->strs_len, at, len);
	req->strs_len += len;
	return 0;
}

/* Appends a copy of strs[off..off+len): an offset, not a pointer, since
 * growing the buffer moves it. */
static int put_own(eio_request_t *req, size_t off, size_t len)
{
	if (reserve((void **)&req->strs, &req->strs_cap,
		    req->strs_len + len + 1, 1) < 0)
		return -ENOMEM;
	return put_bytes(req, req->strs + off, len);
}

/* Ends the open string part with its NUL. */
static int close_part(eio_request_t *req)
{
	if (!req->part_open)
		return 0;
	req->part_open = 0;
	return put_bytes(req, "", 1);
}

/* Gives the last header an empty value if it arrived without one. */
static int complete_header(eio_request_t *req)
{
	if (req->nhdrs == 0 || req->hdrs[2 * req->nhdrs - 1] != NO_OFFSET)
		return 0;
	req->hdrs[2 * req->nhdrs - 1] = (uint32_t)req->strs_len;
	return put_bytes(req, "", 1);
}

static int begin_part(eio_request_t *req, eio_req_part_t part)
{
	int r = close_part(req);
	if (r < 0)
		return r;
	uint32_t off = (uint32_t)req->strs_len;
	switch (part) {
	case EIO_REQ_URL: req->url = off; break;
	case EIO_REQ_HEADER_NAME:
		if ((r = complete_header(req)) < 0)
			return r;
		off = (uint32_t)req->strs_len;
		if (reserve((void **)&req->hdrs, &req->hdrs_cap, req->nhdrs + 1,
			    2 * sizeof(*req->hdrs)) < 0)
			return -ENOMEM;
		req->hdrs[2 * req->nhdrs] = off;
		req->hdrs[2 * req->nhdrs + 1] = NO_OFFSET;
		req->nhdrs++;
		break;
	case EIO_REQ_HEADER_VALUE:
		if (req->nhdrs == 0)
			return -EINVAL;
		req->hdrs[2 * req->nhdrs - 1] = off;
		break;
	}
	req->part_open = 1;
	return 0;
}

int eio__request_end_part(eio_request_t *req)
{
	return close_part(req);
}

int eio__request_append(eio_request_t *req, eio_req_part_t part, const char *at,
			size_t len)
{
	int r;
	if (!req->part_open && (r = begin_part(req, part)) < 0)
		return r;
	size_t start = req->strs_len;
	if ((r = put_bytes(req, at, len)) < 0)
		return r;
	if (part == EIO_REQ_HEADER_NAME)
		for (size_t i = start; i < req->strs_len; i++)
			req->strs[i] =
			    (char)tolower((unsigned char)req->strs[i]);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Appends the percent-decoded form of s[0..len) ("+" is a space, as in
 * Node's querystring) and its NUL. */
static int put_decoded(eio_request_t *req, size_t s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = req->strs[s + i];
		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < len &&
			 hexval((unsigned char)req->strs[s + i + 1]) >= 0 &&
			 hexval((unsigned char)req->strs[s + i + 2]) >= 0) {
			c = (char)(hexval((unsigned char)req->strs[s + i + 1]) *
				       16 +
				   hexval((unsigned char)req->strs[s + i + 2]));
			i += 2;
		}
		if (put_bytes(req, &c, 1) < 0)
			return -ENOMEM;
	}
	return put_bytes(req, "", 1);
}

static int parse_query(eio_request_t *req)
{
	size_t q = req->query;
	size_t qlen = strlen(req->strs + q);
	size_t i = 0;
	while (i < qlen) {
		size_t amp = i;
		while (amp < qlen && req->strs[q + amp] != '&')
			amp++;
		if (amp > i) {
			size_t eq = i;
			while (eq < amp && req->strs[q + eq] != '=')
				eq++;
			if (reserve((void **)&req->qs, &req->qs_cap,
				    req->nqs + 1, 2 * sizeof(*req->qs)) < 0)
				return -ENOMEM;
			uint32_t name = (uint32_t)req->strs_len;
			if (put_decoded(req, q + i, eq - i) < 0)
				return -ENOMEM;
			uint32_t value = (uint32_t)req->strs_len;
			size_t vs = eq < amp ? eq + 1 : amp;
			if (put_decoded(req, q + vs, amp - vs) < 0)
				return -ENOMEM;
			req->qs[2 * req->nqs] = name;
			req->qs[2 * req->nqs + 1] = value;
			req->nqs++;
		}
		i = amp + 1;
	}
	return 0;
}

int eio__request_finish_head(eio_request_t *req)
{
	int r;
	if ((r = close_part(req)) < 0 || (r = complete_header(req)) < 0)
		return r;
	if (req->url == NO_OFFSET) {
		req->url = (uint32_t)req->strs_len;
		if ((r = put_bytes(req, "", 1)) < 0)
			return r;
	}
	/* path and query: copies, so that the URL stays as sent */
	size_t ulen = strlen(req->strs + req->url);
	const char *qm = memchr(req->strs + req->url, '?', ulen);
	size_t plen = qm ? (size_t)(qm - (req->strs + req->url)) : ulen;
	req->path = (uint32_t)req->strs_len;
	if ((r = put_own(req, req->url, plen)) < 0 ||
	    (r = put_bytes(req, "", 1)) < 0)
		return r;
	req->query = (uint32_t)req->strs_len;
	if (qm && (r = put_own(req, req->url + plen + 1, ulen - plen - 1)) < 0)
		return r;
	if ((r = put_bytes(req, "", 1)) < 0)
		return r;
	return parse_query(req);
}

int eio__request_append_body(eio_request_t *req, const char *at, size_t len,
			     size_t max)
{
	if (len > max || req->body_len > max - len)
		return -E2BIG;
	if (reserve((void **)&req->body, &req->body_cap, req->body_len + len,
		    1) < 0)
		return -ENOMEM;
	memcpy(req->body + req->body_len, at, len);
	req->body_len += len;
	return 0;
}

/* --- public accessors ------------------------------------------------ */

const char *eio_request_method(const eio_request_t *req)
{
	return req->method;
}

const char *eio_request_url(const eio_request_t *req)
{
	return req->strs + req->url;
}

const char *eio_request_path(const eio_request_t *req)
{
	return req->strs + req->path;
}

const char *eio_request_query_string(const eio_request_t *req)
{
	return req->strs + req->query;
}

const char *eio_request_address(const eio_request_t *req)
{
	return req->address;
}

const char *eio_request_header(const eio_request_t *req, const char *name)
{
	for (size_t i = 0; i < req->nhdrs; i++)
		if (strcasecmp(req->strs + req->hdrs[2 * i], name) == 0)
			return req->strs + req->hdrs[2 * i + 1];
	return NULL;
}

int eio_request_header_at(const eio_request_t *req, size_t i, const char **name,
			  const char **value)
{
	if (i >= req->nhdrs)
		return -ENOENT;
	*name = req->strs + req->hdrs[2 * i];
	*value = req->strs + req->hdrs[2 * i + 1];
	return 0;
}

const char *eio_request_query(const eio_request_t *req, const char *name)
{
	for (size_t i = 0; i < req->nqs; i++)
		if (strcmp(req->strs + req->qs[2 * i], name) == 0)
			return req->strs + req->qs[2 * i + 1];
	return NULL;
}

int eio_request_query_at(const eio_request_t *req, size_t i, const char **name,
			 const char **value)
{
	if (i >= req->nqs)
		return -ENOENT;
	*name = req->strs + req->qs[2 * i];
	*value = req->strs + req->qs[2 * i + 1];
	return 0;
}

const uint8_t *eio_request_body(const eio_request_t *req, size_t *len)
{
	*len = req->body_len;
	return req->body ? req->body : (const uint8_t *)"";
}

int eio__request_header_has_token(const eio_request_t *req, const char *name,
				  const char *token)
{
	size_t tlen = strlen(token);
	for (size_t i = 0; i < req->nhdrs; i++) {
		if (strcasecmp(req->strs + req->hdrs[2 * i], name) != 0)
			continue;
		const char *v = req->strs + req->hdrs[2 * i + 1];
		while (*v) {
			while (*v == ' ' || *v == '\t' || *v == ',')
				v++;
			const char *e = v;
			while (*e && *e != ',')
				e++;
			const char *t = e;
			while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
				t--;
			if ((size_t)(t - v) == tlen &&
			    strncasecmp(v, token, tlen) == 0)
				return 1;
			v = e;
		}
	}
	return 0;
}

/* Tests of engineio/request.c: a request assembled from the spans llhttp
 * delivers, then read through the public accessors. */
#include "../test.h"
#include "request.h"

#include <errno.h>
#include <string.h>

/* One span of a head part, as an llhttp data callback would give it. */
static void span(eio_request_t *req, eio_req_part_t part, const char *s)
{
	int r = eio__request_append(req, part, s, strlen(s));
	if (r != 0)
		TEST_FAIL("append \"%s\": %d", s, r);
}

/* The *_complete callback of a part. */
static void end(eio_request_t *req)
{
	int r = eio__request_end_part(req);
	if (r != 0)
		TEST_FAIL("end_part: %d", r);
}

/* A header given whole. An empty value gets no value span at all here
 * (llhttp 8 sends a zero-length one: see test_llhttp_spans); both must
 * give "". */
static void header(eio_request_t *req, const char *name, const char *value)
{
	span(req, EIO_REQ_HEADER_NAME, name);
	end(req);
	if (value && *value)
		span(req, EIO_REQ_HEADER_VALUE, value);
	end(req); /* on_header_value_complete */
}

static eio_request_t *build_sample(void)
{
	eio_request_t *req = eio__request_new("127.0.0.1");
	if (!req)
		return NULL;
	/* GET /engine.io/?EIO=4&transport=polling&name=a%20b+c&... split */
	span(req, EIO_REQ_URL, "/engine.io/?EI");
	span(req, EIO_REQ_URL, "O=4&transport=poll");
	span(req, EIO_REQ_URL, "ing&name=a%20b+c&empty=&novalue&&a=1&a=2");
	span(req, EIO_REQ_URL, "&%41%62c=%e2%82%ac&bad=%zz%4&plus=%2B&=anon");
	end(req);
	/* a name in several spans, in mixed case */
	span(req, EIO_REQ_HEADER_NAME, "Ho");
	span(req, EIO_REQ_HEADER_NAME, "ST");
	end(req);
	span(req, EIO_REQ_HEADER_VALUE, "example.com");
	end(req);
	/* a value in several spans */
	span(req, EIO_REQ_HEADER_NAME, "Connection");
	end(req);
	span(req, EIO_REQ_HEADER_VALUE, "keep-al");
	span(req, EIO_REQ_HEADER_VALUE, "ive, Upgr");
	span(req, EIO_REQ_HEADER_VALUE, "ade");
	end(req);
	/* an empty value (no value span at all), then another header */
	header(req, "X-Empty", "");
	header(req, "X-After", "after");
	header(req, "UPGRADE", "WebSocket");
	header(req, "x-dup", "first");
	header(req, "X-Dup", "second");
	/* the last header empty too: finish_head must complete it */
	span(req, EIO_REQ_HEADER_NAME, "X-Last-Empty");
	end(req);
	end(req);
	int r = eio__request_finish_head(req);
	if (r != 0)
		TEST_FAIL("finish_head: %d", r);
	return req;
}

static void test_url(void)
{
	eio_request_t *req = build_sample();
	if (!req) {
		TEST_FAIL("out of memory");
		return;
	}
	CHECK_STR(eio_request_url(req),
		  "/engine.io/?EIO=4&transport=polling&name=a%20b+c&empty=&"
		  "novalue&&a=1&a=2&%41%62c=%e2%82%ac&bad=%zz%4&plus=%2B&="
		  "anon");
	CHECK_STR(eio_request_path(req), "/engine.io/");
	CHECK_STR(eio_request_query_string(req),
		  "EIO=4&transport=polling&name=a%20b+c&empty=&novalue&&a=1&"
		  "a=2&%41%62c=%e2%82%ac&bad=%zz%4&plus=%2B&=anon");
	CHECK_STR(eio_request_method(req), "GET");
	CHECK_STR(eio_request_address(req), "127.0.0.1");

	CHECK_STR(eio_request_query(req, "EIO"), "4");
	CHECK_STR(eio_request_query(req, "transport"), "polling");
	CHECK_STR(eio_request_query(req, "name"), "a b c");
	CHECK_STR(eio_request_query(req, "empty"), "");
	CHECK_STR(eio_request_query(req, "novalue"), "");
	CHECK_STR(eio_request_query(req, "a"), "1"); /* the first */
	CHECK_STR(eio_request_query(req, "Abc"), "\xe2\x82\xac"); /* € */
	CHECK_STR(eio_request_query(req, "bad"), "%zz%4");
	CHECK_STR(eio_request_query(req, "plus"), "+");
	CHECK_STR(eio_request_query(req, ""), "anon");
	CHECK_STR(eio_request_query(req, "missing"), NULL);
	CHECK_STR(eio_request_query(req, "eio"), NULL); /* names: exact case */
	CHECK_STR(eio_request_query(req, "%41%62c"), NULL); /* decoded names */
	eio__request_free(req);
}

static void test_headers(void)
{
	eio_request_t *req = build_sample();
	if (!req)
		return;
	CHECK_STR(eio_request_header(req, "host"), "example.com");
	CHECK_STR(eio_request_header(req, "Host"), "example.com");
	CHECK_STR(eio_request_header(req, "HOST"), "example.com");
	CHECK_STR(eio_request_header(req, "connection"), "keep-alive, Upgrade");
	CHECK_STR(eio_request_header(req, "x-empty"), "");
	CHECK_STR(eio_request_header(req, "x-after"), "after");
	CHECK_STR(eio_request_header(req, "upgrade"), "WebSocket");
	CHECK_STR(eio_request_header(req, "X-DUP"), "first");
	CHECK_STR(eio_request_header(req, "x-last-empty"), "");
	CHECK_STR(eio_request_header(req, "x-missing"), NULL);
	CHECK_STR(eio_request_header(req, "hos"), NULL);

	static const char *const want[][2] = {
	    {"host", "example.com"},  {"connection", "keep-alive, Upgrade"},
	    {"x-empty", ""},	      {"x-after", "after"},
	    {"upgrade", "WebSocket"}, {"x-dup", "first"},
	    {"x-dup", "second"},      {"x-last-empty", ""},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL, *value = NULL;
		CHECK_INT(eio_request_header_at(req, i, &name, &value), 0);
		CHECK_STR(name, want[i][0]);
		CHECK_STR(value, want[i][1]);
	}
	const char *name = "unchanged", *value = "unchanged";
	CHECK_INT(eio_request_header_at(req, n, &name, &value), -ENOENT);
	CHECK_INT(eio_request_header_at(req, n + 100, &name, &value), -ENOENT);
	CHECK_STR(name, "unchanged");

	CHECK_INT(eio__request_header_has_token(req, "connection", "upgrade"),
		  1);
	CHECK_INT(eio__request_header_has_token(req, "Connection", "UPGRADE"),
		  1);
	CHECK_INT(
	    eio__request_header_has_token(req, "connection", "keep-alive"), 1);
	CHECK_INT(eio__request_header_has_token(req, "connection", "upgrad"),
		  0);
	CHECK_INT(eio__request_header_has_token(req, "connection", "keep"), 0);
	CHECK_INT(eio__request_header_has_token(req, "connection", "close"), 0);
	CHECK_INT(eio__request_header_has_token(req, "upgrade", "websocket"),
		  1);
	CHECK_INT(eio__request_header_has_token(req, "x-empty", "x"), 0);
	CHECK_INT(eio__request_header_has_token(req, "x-missing", "x"), 0);
	/* every header of the name counts */
	CHECK_INT(eio__request_header_has_token(req, "x-dup", "second"), 1);
	eio__request_free(req);
}

static void test_tokens(void)
{
	eio_request_t *req = eio__request_new(NULL);
	span(req, EIO_REQ_URL, "/");
	end(req);
	header(req, "Connection", " \tUpgrade\t ,, keep-alive ,");
	header(req, "X-One", "upgrade");
	header(req, "X-Spaces", "a b, c");
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_INT(eio__request_header_has_token(req, "connection", "upgrade"),
		  1);
	CHECK_INT(
	    eio__request_header_has_token(req, "connection", "keep-alive"), 1);
	CHECK_INT(eio__request_header_has_token(req, "x-one", "upgrade"), 1);
	CHECK_INT(eio__request_header_has_token(req, "x-spaces", "a b"), 1);
	CHECK_INT(eio__request_header_has_token(req, "x-spaces", "a"), 0);
	CHECK_INT(eio__request_header_has_token(req, "x-spaces", "c"), 1);
	CHECK_STR(eio_request_address(req), "");
	CHECK_STR(eio_request_query_string(req), "");
	CHECK_STR(eio_request_query(req, "x"), NULL);
	eio__request_free(req);
}

/* llhttp 8 reports an empty value as a zero-length span, and folds an
 * obs-fold continuation into the same value with a second span. */
static void test_llhttp_spans(void)
{
	eio_request_t *req = eio__request_new(NULL);
	span(req, EIO_REQ_URL, "/?v=%\xc3\xa9&w=%C3%A9%");
	end(req);
	span(req, EIO_REQ_HEADER_NAME, "Y");
	end(req);
	CHECK_INT(eio__request_append(req, EIO_REQ_HEADER_VALUE, "", 0), 0);
	end(req);
	span(req, EIO_REQ_HEADER_NAME, "X");
	end(req);
	span(req, EIO_REQ_HEADER_VALUE, "a");
	span(req, EIO_REQ_HEADER_VALUE, "  b");
	end(req);
	span(req, EIO_REQ_HEADER_NAME, "Z");
	end(req);
	CHECK_INT(eio__request_append(req, EIO_REQ_HEADER_VALUE, "", 0), 0);
	end(req);
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_header(req, "y"), "");
	CHECK_STR(eio_request_header(req, "x"), "a  b");
	CHECK_STR(eio_request_header(req, "z"), "");
	const char *n, *v;
	CHECK_INT(eio_request_header_at(req, 2, &n, &v), 0);
	CHECK_STR(n, "z");
	CHECK_INT(eio_request_header_at(req, 3, &n, &v), -ENOENT);
	/* llhttp lets bytes >= 0x80 through in the URL: not hex digits */
	CHECK_STR(eio_request_query(req, "v"), "%\xc3\xa9");
	CHECK_STR(eio_request_query(req, "w"), "\xc3\xa9%");
	eio__request_free(req);
}

/* finish_head copies the path and the query out of the URL, inside the
 * buffer that holds the URL: whatever the length, the copies must be
 * right even when the buffer moves as it grows (run under ASan). */
static void test_finish_realloc(void)
{
	char url[700];
	size_t bad = 0;
	for (size_t n = 1; n < 600; n++) {
		/* "/ppp...?q=xxx": path of about n/2, query of the rest */
		size_t pl = n / 2 + 1, ql = n - n / 2;
		url[0] = '/';
		memset(url + 1, 'p', pl - 1);
		url[pl] = '?';
		url[pl + 1] = 'q';
		url[pl + 2] = '=';
		memset(url + pl + 3, 'x', ql);
		url[pl + 3 + ql] = '\0';
		eio_request_t *req = eio__request_new(NULL);
		span(req, EIO_REQ_URL, url);
		end(req);
		if (eio__request_finish_head(req) != 0 ||
		    strlen(eio_request_path(req)) != pl ||
		    strncmp(eio_request_path(req), url, pl) != 0 ||
		    strcmp(eio_request_query_string(req), url + pl + 1) != 0 ||
		    strlen(eio_request_query(req, "q")) != ql ||
		    strcmp(eio_request_url(req), url) != 0) {
			if (bad++ < 3)
				TEST_FAIL("URL of %zu bytes: path \"%s\"",
					  strlen(url), eio_request_path(req));
		}
		eio__request_free(req);
	}
	CHECK_SIZE(bad, 0);
}

static void test_url_shapes(void)
{
	/* no query */
	eio_request_t *req = eio__request_new("::1");
	span(req, EIO_REQ_URL, "/socket.io/");
	end(req);
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_url(req), "/socket.io/");
	CHECK_STR(eio_request_path(req), "/socket.io/");
	CHECK_STR(eio_request_query_string(req), "");
	CHECK_STR(eio_request_address(req), "::1");
	CHECK_INT(eio_request_header_at(req, 0, &(const char *){0},
					&(const char *){0}),
		  -ENOENT);
	eio__request_free(req);

	/* an empty query, a second '?' belongs to the query */
	req = eio__request_new(NULL);
	span(req, EIO_REQ_URL, "/p?");
	end(req);
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_path(req), "/p");
	CHECK_STR(eio_request_query_string(req), "");
	eio__request_free(req);

	req = eio__request_new(NULL);
	span(req, EIO_REQ_URL, "/p?a=1?b=2&c");
	end(req);
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_path(req), "/p");
	CHECK_STR(eio_request_query_string(req), "a=1?b=2&c");
	CHECK_STR(eio_request_query(req, "a"), "1?b=2");
	CHECK_STR(eio_request_query(req, "c"), "");
	eio__request_free(req);

	/* "a=b=c": the value runs to the '&' */
	req = eio__request_new(NULL);
	span(req, EIO_REQ_URL, "/?a=b=c&sid=x%2Fy%3d");
	end(req);
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_path(req), "/");
	CHECK_STR(eio_request_query(req, "a"), "b=c");
	CHECK_STR(eio_request_query(req, "sid"), "x/y=");
	eio__request_free(req);

	/* no URL at all (finish_head straight away) */
	req = eio__request_new(NULL);
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_url(req), "");
	CHECK_STR(eio_request_path(req), "");
	CHECK_STR(eio_request_query_string(req), "");
	eio__request_free(req);

	/* a value before any header name is refused */
	req = eio__request_new(NULL);
	span(req, EIO_REQ_URL, "/");
	end(req);
	CHECK_INT(eio__request_append(req, EIO_REQ_HEADER_VALUE, "v", 1),
		  -EINVAL);
	eio__request_free(req);

	eio__request_free(NULL); /* a no-op */
}

static void test_body(void)
{
	eio_request_t *req = eio__request_new(NULL);
	size_t len = 99;
	const uint8_t *b = eio_request_body(req, &len);
	CHECK_SIZE(len, 0);
	CHECK(b != NULL);

	CHECK_INT(eio__request_append_body(req, "abc", 3, 10), 0);
	CHECK_INT(eio__request_append_body(req, "defghij", 7, 10), 0);
	b = eio_request_body(req, &len);
	CHECK_MEM(b, len, "abcdefghij", 10);
	/* one byte past the max is refused, the body unchanged */
	CHECK_INT(eio__request_append_body(req, "k", 1, 10), -E2BIG);
	b = eio_request_body(req, &len);
	CHECK_MEM(b, len, "abcdefghij", 10);
	CHECK_INT(eio__request_append_body(req, "", 0, 10), 0);
	eio__request_free(req);

	req = eio__request_new(NULL);
	CHECK_INT(eio__request_append_body(req, "0123456789ab", 12, 10),
		  -E2BIG);
	CHECK_INT(eio__request_append_body(req, "01234", 5, 10), 0);
	CHECK_INT(eio__request_append_body(req, "567890", 6, 10), -E2BIG);
	b = eio_request_body(req, &len);
	CHECK_MEM(b, len, "01234", 5);
	/* a body larger than the initial capacity, in many pieces */
	eio__request_free(req);
	req = eio__request_new(NULL);
	char chunk[100];
	for (int i = 0; i < 100; i++)
		chunk[i] = (char)i;
	for (int i = 0; i < 100; i++)
		CHECK_INT(eio__request_append_body(req, chunk, 100, 10000), 0);
	CHECK_INT(eio__request_append_body(req, chunk, 1, 10000), -E2BIG);
	b = eio_request_body(req, &len);
	CHECK_SIZE(len, 10000);
	size_t bad = 0;
	for (size_t i = 0; i < len; i++)
		if (b[i] != (uint8_t)(i % 100))
			bad++;
	CHECK_SIZE(bad, 0);
	eio__request_free(req);
}

/* Many headers and a long URL: the buffers grow without losing data. */
static void test_growth(void)
{
	eio_request_t *req = eio__request_new(NULL);
	char url[3000] = "/x?";
	for (int i = 0; i < 200; i++)
		snprintf(url + strlen(url), sizeof(url) - strlen(url),
			 "k%d=v%d&", i, i);
	/* the URL in 7-byte spans */
	for (size_t i = 0; i < strlen(url); i += 7) {
		char part[8] = {0};
		strncpy(part, url + i, 7);
		span(req, EIO_REQ_URL, part);
	}
	end(req);
	for (int i = 0; i < 300; i++) {
		char n[32], v[32];
		snprintf(n, sizeof(n), "X-Header-%d", i);
		snprintf(v, sizeof(v), "value %d", i);
		header(req, n, v);
	}
	CHECK_INT(eio__request_finish_head(req), 0);
	CHECK_STR(eio_request_url(req), url);
	size_t bad = 0;
	for (int i = 0; i < 300; i++) {
		char n[32], v[32];
		snprintf(n, sizeof(n), "x-header-%d", i);
		snprintf(v, sizeof(v), "value %d", i);
		const char *got = eio_request_header(req, n);
		const char *gn = NULL, *gv = NULL;
		if (!got || strcmp(got, v) != 0 ||
		    eio_request_header_at(req, (size_t)i, &gn, &gv) != 0 ||
		    strcmp(gn, n) != 0 || strcmp(gv, v) != 0)
			bad++;
	}
	for (int i = 0; i < 200; i++) {
		char n[32], v[32];
		snprintf(n, sizeof(n), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		const char *got = eio_request_query(req, n);
		if (!got || strcmp(got, v) != 0)
			bad++;
	}
	CHECK_SIZE(bad, 0);
	eio__request_free(req);
}

/* A compacted request (a session's handshake) reads the same, with no
 * room to grow left and no body. */
static void test_compact(void)
{
	eio_request_t *req = build_sample();
	if (!req) {
		TEST_FAIL("out of memory");
		return;
	}
	CHECK_INT(eio__request_append_body(req, "body", 4, 10), 0);
	eio__request_compact(req);
	CHECK_SIZE(req->strs_cap, req->strs_len);
	CHECK_SIZE(req->hdrs_cap, req->nhdrs);
	CHECK_SIZE(req->qs_cap, req->nqs);
	size_t len = 99;
	eio_request_body(req, &len);
	CHECK_SIZE(len, 0);
	CHECK_STR(eio_request_path(req), "/engine.io/");
	CHECK_STR(eio_request_query(req, "name"), "a b c");
	CHECK_STR(eio_request_query(req, ""), "anon");
	CHECK_STR(eio_request_header(req, "host"), "example.com");
	CHECK_STR(eio_request_header(req, "x-last-empty"), "");
	CHECK_STR(eio_request_header(req, "connection"), "keep-alive, Upgrade");
	eio__request_free(req);
}

int main(void)
{
	test_url();
	test_headers();
	test_tokens();
	test_llhttp_spans();
	test_url_shapes();
	test_finish_realloc();
	test_body();
	test_growth();
	test_compact();
	TEST_EXIT();
}

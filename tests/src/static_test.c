/* Test of src/static.c: loading a directory (missing files, optional
 * maps, the default directory of a program in the build tree), and the
 * answers over HTTP from a real engine on 127.0.0.1, driven by a client
 * thread (tests/client.c) while the loop runs in the main thread. The
 * files are small ones the test writes: the client's buffer is 128 KB. */
#include "../test.h"

/* after test.h: see client.h */
#include "../client.h"
#include "eio.h"
#include "static.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t port;
static sd_static_t *st;
static atomic_int n_other; /* requests sd_static_serve() left to us */
static char dir[64];

static const char index_html[] = "<!doctype html><title>t</title>";
static const char app_js[] = "console.log('app');";
static const char style_css[] = "body{}";
static const char bundle[] = "/* socket.io.js */ var io;";
static const char bundle_min[] = "var io;";

/* --- server side (main thread) ---------------------------------------- */

static void on_request(void *ud, eio_request_t *req)
{
	(void)ud;
	if (sd_static_serve(st, req, "/socket.io/"))
		return;
	atomic_fetch_add(&n_other, 1);
	static const char body[] = "not static";
	eio_request_respond(req, 404, "text/plain", NULL, body,
			    sizeof(body) - 1);
}

/* --- files ------------------------------------------------------------- */

static void write_file(const char *name, const char *content)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		TEST_FAIL("cannot write %s: %s", path, strerror(errno));
}

static void remove_file(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void test_load(void)
{
	const char *err = NULL;
	CHECK(sd_static_new("/nonexistent/static", &err) == NULL);
	CHECK(err && strstr(err, "/nonexistent/static/index.html") &&
	      strstr(err, "No such file"));
	CHECK(sd_static_new("/nonexistent/static", NULL) == NULL);

	/* the page without the bundle: the error names the first missing */
	write_file("index.html", index_html);
	write_file("app.js", app_js);
	write_file("style.css", style_css);
	err = NULL;
	CHECK(sd_static_new(dir, &err) == NULL);
	CHECK(err && strstr(err, "/socket.io.js:"));
	write_file("socket.io.js", bundle);
	err = NULL;
	CHECK(sd_static_new(dir, &err) == NULL);
	CHECK(err && strstr(err, "/socket.io.min.js:"));

	/* the maps are optional */
	write_file("socket.io.min.js", bundle_min);
	err = NULL;
	sd_static_t *s = sd_static_new(dir, &err);
	CHECK(s != NULL);
	CHECK(err == NULL);
	if (s)
		CHECK_STR(sd_static_dir(s), dir);
	sd_static_free(s);
	sd_static_free(NULL);

#ifdef SD_BUILD_STATIC_DIR
	/* a program under the build tree reads the build tree's copy */
	err = NULL;
	s = sd_static_new(NULL, &err);
	if (!s)
		TEST_FAIL("default directory: %s", err ? err : "(no error)");
	else
		CHECK_STR(sd_static_dir(s), SD_BUILD_STATIC_DIR);
	sd_static_free(s);
#endif
}

/* --- client side (client thread) --------------------------------------- */

/* Sends `request` and reads the answer into *r: 0 or -1. */
static int ask(client_t *c, const char *request, resp_t *r)
{
	if (client_send_str(c, request) < 0 || client_response(c, r) < 0) {
		TEST_FAIL("no answer to: %.40s", request);
		return -1;
	}
	return 0;
}

/* A GET of `path`: checks status 200, the content type, the body, the
 * caching headers; copies the ETag into etag. */
static void check_file(client_t *c, const char *path, const char *ctype,
		       const char *body, char *etag, size_t etag_len)
{
	char req[256], v[128];
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	resp_t r;
	if (ask(c, req, &r) < 0)
		return;
	CHECK_INT(r.status, 200);
	CHECK_STR(resp_header(&r, "content-type", v, sizeof(v)), ctype);
	CHECK_STR(resp_header(&r, "cache-control", v, sizeof(v)),
		  "public, max-age=0");
	CHECK_MEM(r.body, r.body_len, body, strlen(body));
	const char *tag = resp_header(&r, "etag", v, sizeof(v));
	/* a quoted, strong tag */
	CHECK(tag && strlen(tag) > 2 && tag[0] == '"' &&
	      tag[strlen(tag) - 1] == '"');
	if (etag)
		snprintf(etag, etag_len, "%s", tag ? tag : "");
	resp_free(&r);
}

static void test_serve(void)
{
	client_t *c = calloc(1, sizeof(*c));
	if (client_connect(c, port) < 0) {
		TEST_FAIL("connect: %s", strerror(errno));
		free(c);
		return;
	}
	char tag_root[64], tag_index[64], tag_js[64], tag_min[64], v[128];
	const char *js = "application/javascript; charset=utf-8";
	check_file(c, "/", "text/html; charset=utf-8", index_html, tag_root,
		   sizeof(tag_root));
	check_file(c, "/index.html", "text/html; charset=utf-8", index_html,
		   tag_index, sizeof(tag_index));
	CHECK_STR(tag_root, tag_index);
	check_file(c, "/app.js", js, app_js, NULL, 0);
	check_file(c, "/style.css", "text/css; charset=utf-8", style_css, NULL,
		   0);
	check_file(c, "/socket.io/socket.io.js", js, bundle, tag_js,
		   sizeof(tag_js));
	check_file(c, "/socket.io/socket.io.min.js?v=4", js, bundle_min,
		   tag_min, sizeof(tag_min));
	CHECK(strcmp(tag_js, tag_min) != 0);

	/* If-None-Match: the tag, weak, in a list, or "*" -> 304 */
	const char *inm[] = {"%s", "W/%s", "\"x\", %s", "\"a,b\",W/%s", "*"};
	for (size_t i = 0; i < sizeof(inm) / sizeof(inm[0]); i++) {
		char hdr[128], req[256];
		snprintf(hdr, sizeof(hdr), inm[i], tag_js);
		snprintf(req, sizeof(req),
			 "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: a\r\n"
			 "If-None-Match: %s\r\n\r\n",
			 hdr);
		resp_t r;
		if (ask(c, req, &r) < 0)
			continue;
		if (r.status != 304)
			TEST_FAIL("If-None-Match: %s: status %d", hdr,
				  r.status);
		CHECK_SIZE(r.body_len, 0);
		CHECK(!resp_header(&r, "content-length", v, sizeof(v)));
		CHECK_STR(resp_header(&r, "etag", v, sizeof(v)), tag_js);
		resp_free(&r);
	}
	/* another tag, or the tag of another file: the file */
	const char *other[] = {"\"nope\"", tag_min, "W/\"\"", ""};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		char req[256];
		snprintf(req, sizeof(req),
			 "GET /socket.io/socket.io.js HTTP/1.1\r\nHost: a\r\n"
			 "If-None-Match: %s\r\n\r\n",
			 other[i]);
		resp_t r;
		if (ask(c, req, &r) < 0)
			continue;
		if (r.status != 200)
			TEST_FAIL("If-None-Match: %s: status %d", other[i],
				  r.status);
		CHECK_MEM(r.body, r.body_len, bundle, strlen(bundle));
		resp_free(&r);
	}

	/* HEAD: the headers with the file's length, no body (the next
	 * answer on the connection follows the head at once) */
	resp_t r;
	if (client_send_str(c, "HEAD /socket.io/socket.io.js HTTP/1.1\r\n"
			       "Host: a\r\n\r\n") == 0 &&
	    client_response_to_head(c, &r) == 0) {
		CHECK_INT(r.status, 200);
		CHECK_STR(resp_header(&r, "content-type", v, sizeof(v)), js);
		CHECK_STR(resp_header(&r, "etag", v, sizeof(v)), tag_js);
		CHECK(resp_header(&r, "content-length", v, sizeof(v)) &&
		      strtoul(v, NULL, 10) == strlen(bundle));
		resp_free(&r);
	} else {
		TEST_FAIL("no answer to HEAD");
	}
	/* other methods: 405 */
	if (ask(c,
		"POST /socket.io/socket.io.js HTTP/1.1\r\nHost: a\r\n"
		"Content-Length: 2\r\n\r\nhi",
		&r) == 0) {
		CHECK_INT(r.status, 405);
		CHECK_STR(resp_header(&r, "allow", v, sizeof(v)), "GET, HEAD");
		resp_free(&r);
	}
	if (ask(c, "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 0) {
		CHECK_INT(r.status, 405);
		resp_free(&r);
	}

	/* not its own: the caller's 404 (6 requests) */
	const char *paths[] = {
	    "/socket.io.js",		   /* the bundle is under the path */
	    "/socket.io/app.js",	   /* the page is at the root */
	    "/socket.io/socket.io.js.map", /* absent, optional */
	    "/socket.io/socket.io.esm.min.js", /* not one of ours */
	    "/index.htm",
	    "/static/index.html",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char req[256];
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n",
			 paths[i]);
		if (ask(c, req, &r) < 0)
			continue;
		if (r.status != 404)
			TEST_FAIL("%s: status %d", paths[i], r.status);
		CHECK_STR(r.body, "not static");
		resp_free(&r);
	}
	client_close(c);
	free(c);
}

static void client_main(void)
{
	test_serve();
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/static_test.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_load();
	const char *err = NULL;
	st = sd_static_new(dir, &err);
	if (!st) {
		fprintf(stderr, "sd_static_new(%s): %s\n", dir, err);
		return 1;
	}

	struct event_base *base = event_base_new();
	if (!base) {
		fprintf(stderr, "event_base_new failed\n");
		return 1;
	}
	eio_options_t opts;
	eio_options_init(&opts);
	opts.path = "/socket.io/";
	eio_callbacks_t cbs = {.request = on_request};
	eio_server_t *srv = eio_server_new(base, &opts, &cbs, NULL);
	if (!srv) {
		fprintf(stderr, "eio_server_new failed\n");
		return 1;
	}
	CHECK_INT(eio_server_listen(srv, "127.0.0.1", 0), 0);
	port = eio_server_port(srv, 0);
	CHECK(port != 0);
	if (client_run(base, client_main, "static_test", 60) < 0)
		return 1;
	CHECK_INT(atomic_load(&n_other), 6);

	eio_server_free(srv);
	event_base_free(base);
	sd_static_free(st);
	const char *names[] = {"index.html", "app.js", "style.css",
			       "socket.io.js", "socket.io.min.js"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		remove_file(names[i]);
	rmdir(dir);
	TEST_EXIT();
}

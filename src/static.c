/* The demo page and the client bundle: a fixed list of files read into
 * memory at start, each with its ETag computed once. */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file larger than this is refused (the bundle is about 150 KB, its map
 * about 300 KB). */
#define SD_STATIC_MAX_FILE (16u << 20)

enum { AT_ROOT, AT_ENGINE };

static const struct {
	const char *name;
	const char *ctype;
	int where;
	int optional;
} files[] = {
    {"index.html", "text/html; charset=utf-8", AT_ROOT, 0},
    {"app.js", "application/javascript; charset=utf-8", AT_ROOT, 0},
    {"style.css", "text/css; charset=utf-8", AT_ROOT, 0},
    {"socket.io.js", "application/javascript; charset=utf-8", AT_ENGINE, 0},
    {"socket.io.min.js", "application/javascript; charset=utf-8", AT_ENGINE, 0},
    {"socket.io.js.map", "application/json; charset=utf-8", AT_ENGINE, 1},
    {"socket.io.min.js.map", "application/json; charset=utf-8", AT_ENGINE, 1},
};

#define NFILES (sizeof(files) / sizeof(files[0]))

typedef struct {
	char *body; /* NULL: an optional file that is absent */
	size_t len;
	char etag_header[32]; /* "ETag: \"<16 hex digits>\"" */
} sd_file_t;

struct sd_static {
	char *dir;
	sd_file_t file[NFILES];
};

static char error_buf[PATH_MAX + 128];

/* FNV-1a, 64 bits: stable across runs and machines, which is all an ETag
 * needs. */
static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Reads dir/name into f. 0, -ENOENT when the file does not exist, or
 * another negative errno (-EFBIG for a file too large). */
static int read_file(const char *dir, const char *name, sd_file_t *f)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat sb;
	int err = 0;
	char *buf = NULL;
	size_t len = 0;
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uintmax_t)sb.st_size > SD_STATIC_MAX_FILE) {
		err = -EFBIG;
		goto out;
	}
	/* one byte more than expected: a file that grew is read whole or
	 * refused, never cut */
	size_t cap = (size_t)sb.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			err = -EFBIG; /* changed under us */
			goto out;
		}
	}
	f->body = buf;
	f->len = len;
	snprintf(f->etag_header, sizeof(f->etag_header), "ETag: \"%016llx\"",
		 (unsigned long long)hash_bytes(buf, len));
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

static void free_files(sd_static_t *st)
{
	for (size_t i = 0; i < NFILES; i++) {
		free(st->file[i].body);
		st->file[i].body = NULL;
	}
}

/* Reads every file of `dir` into st: 0, or -1 with a message naming the
 * file in err (the files read so far are freed). */
static int load_dir(sd_static_t *st, const char *dir, char *err, size_t elen)
{
	for (size_t i = 0; i < NFILES; i++) {
		int r = read_file(dir, files[i].name, &st->file[i]);
		if (r == -ENOENT && files[i].optional)
			continue;
		if (r < 0) {
			snprintf(err, elen, "%s/%s: %s", dir, files[i].name,
				 strerror(-r));
			free_files(st);
			return -1;
		}
	}
	return 0;
}

/* 1 when the running executable lies under the build tree (libtool runs
 * an uninstalled program from <builddir>/src/.libs/), 0 otherwise or when
 * that cannot be told (no /proc). */
static int running_uninstalled(void)
{
#ifdef SD_BUILD_DIR
	char exe[PATH_MAX], top[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || !realpath(SD_BUILD_DIR, top))
		return 0;
	exe[n] = '\0';
	size_t tlen = strlen(top);
	return strncmp(exe, top, tlen) == 0 && exe[tlen] == '/';
#else
	return 0;
#endif
}

sd_static_t *sd_static_new(const char *dir, const char **error)
{
	const char *dummy;
	if (!error)
		error = &dummy;
	/* the directory, and the one to try when it does not exist */
	const char *first = dir, *second = NULL;
	if (!dir) {
		first = SD_PKGDATADIR "/static";
#ifdef SD_BUILD_STATIC_DIR
		if (running_uninstalled())
			first = SD_BUILD_STATIC_DIR;
		else
			second = SD_BUILD_STATIC_DIR;
#endif
	}
	sd_static_t *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(error_buf, sizeof(error_buf), "out of memory");
		*error = error_buf;
		return NULL;
	}
	const char *used = first;
	if (load_dir(st, first, error_buf, sizeof(error_buf)) < 0) {
		/* the first one's error is the one to report */
		char other[sizeof(error_buf)];
		struct stat sb;
		if (!second || stat(first, &sb) == 0 ||
		    load_dir(st, second, other, sizeof(other)) < 0) {
			*error = error_buf;
			free(st);
			return NULL;
		}
		used = second;
	}
	st->dir = strdup(used);
	if (!st->dir) {
		snprintf(error_buf, sizeof(error_buf), "out of memory");
		*error = error_buf;
		sd_static_free(st);
		return NULL;
	}
	return st;
}

const char *sd_static_dir(const sd_static_t *st)
{
	return st->dir;
}

void sd_static_free(sd_static_t *st)
{
	if (!st)
		return;
	free_files(st);
	free(st->dir);
	free(st);
}

static int find(const char *name, int where)
{
	for (size_t i = 0; i < NFILES; i++)
		if (files[i].where == where && strcmp(files[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The index of the file that `path` names, or -1. */
static int lookup(const char *path, const char *engine_path)
{
	if (strcmp(path, "/") == 0)
		return find("index.html", AT_ROOT);
	if (engine_path) {
		size_t elen = strlen(engine_path);
		if (elen && engine_path[elen - 1] == '/')
			elen--;
		if (strncmp(path, engine_path, elen) == 0 &&
		    path[elen] == '/') {
			int i = find(path + elen + 1, AT_ENGINE);
			if (i >= 0)
				return i;
		}
	}
	return path[0] == '/' ? find(path + 1, AT_ROOT) : -1;
}

/* 1 if an If-None-Match value names `tag` (quoted, as in the ETag
 * header), weakly compared (RFC 9110 13.1.2), or is "*". */
static int etag_matches(const char *inm, const char *tag)
{
	size_t tlen = strlen(tag);
	const char *p = inm;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		const char *start = p;
		if (*p == '"') {
			/* an entity tag holds no quote */
			const char *end = strchr(p + 1, '"');
			p = end ? end + 1 : p + strlen(p);
		} else {
			while (*p && *p != ',')
				p++;
		}
		if ((size_t)(p - start) == tlen &&
		    memcmp(start, tag, tlen) == 0)
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

int sd_static_serve(const sd_static_t *st, eio_request_t *req,
		    const char *engine_path)
{
	int i = lookup(eio_request_path(req), engine_path);
	if (i < 0 || !st->file[i].body)
		return 0;
	const sd_file_t *f = &st->file[i];
	const char *method = eio_request_method(req);
	if (strcmp(method, "HEAD") != 0 && strcmp(method, "GET") != 0) {
		static const char *const allow[] = {"Allow: GET, HEAD", NULL};
		static const char body[] = "Method Not Allowed";
		eio_request_respond(req, 405, "text/plain; charset=utf-8",
				    allow, body, sizeof(body) - 1);
		return 1;
	}
	const char *const headers[] = {
	    f->etag_header, "Cache-Control: public, max-age=0", NULL};
	const char *inm = eio_request_header(req, "if-none-match");
	/* the tag without "ETag: " */
	if (inm && etag_matches(inm, f->etag_header + 6)) {
		eio_request_respond(req, 304, NULL, headers, NULL, 0);
		return 1;
	}
	/* for a HEAD the engine sends the length without the body */
	eio_request_respond(req, 200, files[i].ctype, headers, f->body, f->len);
	return 1;
}

/* The demo page and the socket.io-client browser bundle, served from
 * memory as Node's socket.io serves its client (the serveClient option).
 *
 * The files, read once by sd_static_new() from one directory:
 *   index.html, app.js, style.css    the demo page, at "/", "/index.html",
 *                                    "/app.js" and "/style.css"
 *   socket.io.js, socket.io.min.js   the client bundle, under the
 *                                    Engine.IO path ("/socket.io/...")
 *   socket.io.js.map,                their source maps, served when present
 *   socket.io.min.js.map
 *
 * Answers carry Node's headers: "Cache-Control: public, max-age=0" and an
 * ETag (a quoted hash of the file's bytes); a GET or HEAD whose
 * If-None-Match names that tag (or "*") gets 304. A HEAD answer carries the
 * file's length and no body. */
#ifndef SD_STATIC_H
#define SD_STATIC_H

#include "eio.h"

typedef struct sd_static sd_static_t;

/* Reads the files of directory `dir` into memory (the string is not
 * kept). NULL picks the default: the build tree's src/static when the
 * running executable lies in the build tree (an uninstalled socketiod,
 * or a test), else the installed SD_PKGDATADIR "/static", and the build
 * tree's copy when there is none installed.
 *
 * Returns the files, which the caller frees with sd_static_free(), or
 * NULL when the directory or a needed file (every one above but the
 * maps) is missing or unreadable, or when out of memory: *error then
 * points to a message naming the file, in a static buffer that the next
 * call overwrites (`error` may be NULL). */
sd_static_t *sd_static_new(const char *dir, const char **error);

/* The directory the files were read from (absolute when the default was
 * used); valid as long as `st`. */
const char *sd_static_dir(const sd_static_t *st);

/* Answers `req`, a request given to the engine's request callback, when
 * its path is one of the files above: the page at "/" and the root, the
 * bundle under `engine_path` (the Engine.IO path with its trailing slash,
 * e.g. "/socket.io/"). GET and HEAD get the file (200) or 304; any other
 * method gets 405 with "Allow: GET, HEAD".
 *
 * Returns 1 when the path was one of its own (the request is then
 * answered: should eio_request_respond() fail for want of memory, the
 * engine answers 500), 0 when it is not (the request is untouched and the
 * caller goes on). */
int sd_static_serve(const sd_static_t *st, eio_request_t *req,
		    const char *engine_path);

/* Frees the files; NULL is fine. */
void sd_static_free(sd_static_t *st);

#endif /* SD_STATIC_H */

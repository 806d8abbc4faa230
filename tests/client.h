/* A blocking TCP client for the end-to-end tests (http_test.c,
 * server_test.c): raw HTTP/1.1 and WebSocket over 127.0.0.1, with 10 s
 * send and receive timeouts, and the harness that runs such a client in
 * a thread while the server's event loop runs in the main thread.
 *
 * Include it after "test.h": ws_recv(), which reports a masked server
 * frame as a failed check, is only declared then (the checks count in
 * the test's own file). */
#ifndef TESTS_CLIENT_H
#define TESTS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;

typedef struct {
	int fd;
	int next_id;	   /* free for the test (server_test: its ack ids) */
	char buf[1 << 17]; /* received, not yet consumed */
	size_t len;
} client_t;

/* Connects to 127.0.0.1:port (buffer emptied, next_id 1): 0, or -1 with
 * errno set and fd -1. */
int client_connect(client_t *c, uint16_t port);
/* Closes the connection (if open); the client can connect again. */
void client_close(client_t *c);
/* Closes and frees a calloc'ed client; NULL is fine. */
void client_free(client_t *c);

/* Sends everything: 0, or -1 (the server closed early: not fatal). */
int client_send(client_t *c, const void *data, size_t len);
int client_send_str(client_t *c, const char *s);
/* Reads more bytes into the buffer: >0, 0 at EOF, -1 on error/timeout
 * (or when the buffer is full). */
ssize_t client_fill(client_t *c);
/* 1 if the server closes the connection (EOF or reset) with no further
 * bytes, 0 otherwise. */
int client_closed(client_t *c);

/* --- HTTP ------------------------------------------------------------- */

typedef struct {
	int status;
	char head[8192]; /* status line and headers */
	char *body;	 /* NUL-terminated, malloc'ed */
	size_t body_len;
} resp_t;

/* Reads one response (head and Content-Length body): 0 or -1. */
int client_response(client_t *c, resp_t *r);
/* The same for the answer to a HEAD request: its Content-Length gives the
 * length of a body that is not sent. */
int client_response_to_head(client_t *c, resp_t *r);
void resp_free(resp_t *r);
/* The value of header `name` in the response head (copied to out,
 * truncated to outlen - 1 bytes), or NULL. */
const char *resp_header(const resp_t *r, const char *name, char *out,
			size_t outlen);

/* --- WebSocket -------------------------------------------------------- */

/* Sends a masked client frame (FIN set) of any length. */
void ws_send(client_t *c, int opcode, const void *data, size_t len);

#define CLIENT_WS_MASKED (-2)
/* Reads one server frame: its first byte and payload (NUL-terminated,
 * malloc'ed). 0; -1 at EOF or reset (*eof set to 1, when eof is not NULL)
 * or on timeout or a frame too long for the buffer; CLIENT_WS_MASKED for
 * a masked frame, which a server must not send. */
int client_ws_recv(client_t *c, int *b0, char **payload, size_t *plen,
		   int *eof);

#ifdef TESTS_TEST_H
/* client_ws_recv(), a masked frame being a failed check: 0 or -1. */
static inline int ws_recv(client_t *c, int *b0, char **payload, size_t *plen,
			  int *eof)
{
	int r = client_ws_recv(c, b0, payload, plen, eof);
	if (r == CLIENT_WS_MASKED) {
		TEST_FAIL("server frame is masked");
		return -1;
	}
	return r;
}
#endif

/* --- the harness ------------------------------------------------------ */

/* Runs fn() in a new thread while event_base_dispatch(base) runs in the
 * calling thread; the loop stops once fn() has returned (it looks every
 * 5 ms). A watchdog bounds the run: after limit_s seconds it prints
 * "<name>: timed out" and ends the process with status 1. 0 once the
 * thread has been joined, or -1 (with a message) if it could not start. */
int client_run(struct event_base *base, void (*fn)(void), const char *name,
	       int limit_s);

#endif

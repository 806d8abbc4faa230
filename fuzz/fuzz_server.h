/* What the server fuzzers (http_fuzzer.c, sio_server_fuzzer.c,
 * service_fuzzer.c) share: an in-process Engine.IO server driven over a
 * socketpair on one event_base, with deterministic ids, and the framing
 * of a WebSocket client.
 *
 * Session ids (and Socket.IO private ids and recovery offsets) come from
 * libsodium's randombytes, replaced here by a counter that
 * fuzz_server_reset() sets back to 0 for every input: the first 256 bytes
 * drawn are the counter's low byte, so the first handshake of an input
 * always gets sid "AAECAwQFBgcICQoLDA0O" and the second
 * "DxAREhMUFRYXGBkaGxwd"; later bytes mix in the counter's higher bytes,
 * so that ids never cycle within an input. */
#ifndef FUZZ_FUZZ_SERVER_H
#define FUZZ_FUZZ_SERVER_H

#include "eio.h"

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points (declared for -Wmissing-prototypes) */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The event_base of every input, made once by fuzz_server_init(). */
extern struct event_base *fuzz_base;

/* For LLVMFuzzerInitialize(): ignores SIGPIPE, installs the counter
 * randombytes, initializes libsodium and makes fuzz_base; aborts on
 * failure. With `echo_env` set in the environment, the server's answers
 * are copied to stderr (to see what a seed does). */
void fuzz_server_init(const char *echo_env);

/* 1 when the answers are copied to stderr. */
int fuzz_server_echo(void);

/* For the start of every input: the counter back to 0. */
void fuzz_server_reset(void);

/* A connection to `srv`: one end of a socketpair handed to it with
 * eio__conn_accept() (as from 127.0.0.1:40000), both ends non-blocking.
 * Returns the other end, the client's; aborts on failure. */
int fuzz_server_connect(eio_server_t *srv);

/* Writes `out` to the client end `fd` while running the loop
 * (non-blocking) and reading and discarding the answers, until the
 * server closed the connection, nothing happened for 4 rounds in a row,
 * or after 10000 rounds. With `shut_wr`, shutdown(SHUT_WR) once
 * everything is written (a write error counts as everything written).
 * Returns -1 when the server closed the connection (or reset it), else
 * 0. */
int fuzz_server_pump(int fd, const uint8_t *out, size_t len, int shut_wr);

/* --- A WebSocket client ---------------------------------------------- */

/* A growing byte buffer; {NULL, 0, 0} is empty. free(b) when done. */
typedef struct fuzz_buf {
	uint8_t *b;
	size_t len, cap;
} fuzz_buf_t;

/* Appends `n` bytes; aborts when out of memory. */
void fuzz_buf_put(fuzz_buf_t *b, const void *p, size_t n);

/* Appends the WebSocket upgrade request of an Engine.IO v4 client
 * ("GET /socket.io/?EIO=4&transport=websocket"). */
void fuzz_ws_upgrade(fuzz_buf_t *b);

/* Appends `m` as one masked client frame: a text frame when `m` is valid
 * UTF-8, else a binary one. The mask key is 0, so the payload stays
 * readable in hexdumps (the server unmasks it all the same). */
void fuzz_ws_frame(fuzz_buf_t *b, const uint8_t *m, size_t n);

#endif

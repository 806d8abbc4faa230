/* libFuzzer target: socketio/redis_msg.c, the messages other nodes of a
 * Redis cluster send (untrusted-ish: anyone who can publish on the Redis
 * server). The first byte picks the decoder (even: a broadcast frame, odd:
 * a request), the rest is the message. A decoded message must hold an
 * event name in UTF-8, arguments that are one valid JSON array, and
 * attachments inside the input; a broadcast re-encodes (unless it carries
 * a placeholder-shaped object of its own) and decodes again with the same
 * event and rooms. Any disagreement aborts. */
#include "json.h"
#include "redis_msg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static void check_decoded(const sio_rmsg_t *m, const uint8_t *buf, size_t len)
{
	if (m->event) {
		CHECK(eio_utf8_valid(m->event, strlen(m->event)));
		CHECK(m->args && strlen(m->args) == m->args_len);
		CHECK(sio__json_scan(m->args, m->args + m->args_len,
				     SIO_JSON_MAX_DEPTH + 8) ==
		      m->args + m->args_len);
		CHECK(m->args[0] == '[');
	}
	CHECK(m->nbins <= SIO_RMSG_MAX_BINS);
	for (size_t i = 0; i < m->nbins; i++)
		CHECK(m->bins[i].data >= buf &&
		      m->bins[i].data + m->bins[i].len <= buf + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int request = data[0] & 1;
	const uint8_t *buf = data + 1;
	size_t len = size - 1;
	sio_rmsg_t m;
	if (request) {
		if (sio__rmsg_decode_request(buf, len, &m) == 0) {
			check_decoded(&m, buf, len);
			sio__rmsg_free(&m);
		}
		return 0;
	}
	if (sio__rmsg_decode_broadcast(buf, len, &m) < 0)
		return 0;
	check_decoded(&m, buf, len);
	CHECK(m.event && m.uid && m.nsp);
	sio_args_t args = {m.args, m.args_len, m.bins, m.nbins};
	sio_target_t to = {(const char *const *)m.rooms, m.nrooms,
			   (const char *const *)m.except, m.nexcept,
			   m.flags & SIO_VOLATILE};
	uint8_t *out;
	size_t olen;
	int r = sio__rmsg_encode_broadcast(m.uid, m.nsp, m.event, &args, &to,
					   &out, &olen);
	/* the arguments may nest deeper than JSON parsing allows, or hold
	 * a placeholder-shaped object that points at no attachment */
	CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		sio_rmsg_t again;
		int r2 = sio__rmsg_decode_broadcast(out, olen, &again);
		/* the nesting limit may be passed by the frame around them */
		CHECK(r2 == 0 || r2 == -EINVAL);
		if (r2 == 0) {
			CHECK(strcmp(again.event, m.event) == 0);
			CHECK(strcmp(again.uid, m.uid) == 0);
			CHECK(strcmp(again.nsp, m.nsp) == 0);
			CHECK(again.nrooms == m.nrooms &&
			      again.nexcept == m.nexcept);
			for (size_t i = 0; i < m.nrooms; i++)
				CHECK(strcmp(again.rooms[i], m.rooms[i]) == 0);
			CHECK(again.flags == (m.flags & SIO_VOLATILE));
			sio__rmsg_free(&again);
		}
		free(out);
	}
	sio__rmsg_free(&m);
	return 0;
}

/* libFuzzer target: socketio/redis_msg.c, the messages other nodes of a
 * Redis cluster send (untrusted-ish: anyone who can publish on the Redis
 * server). The first byte picks the decoder (bit 1 set: a message of the
 * sharded adapter, which re-encodes and decodes again with the same type,
 * uid, nsp, event and rooms; else bit 0 clear: a broadcast frame, set: a
 * request), the rest is the message. A decoded message must hold an
 * event name in UTF-8, arguments that are one valid JSON array, and
 * attachments inside the input; a broadcast re-encodes (unless it carries
 * a placeholder-shaped object of its own) and decodes again with the same
 * event and rooms. Any disagreement aborts. */
#include "emit.h"
#include "json.h"
#include "redis_msg.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

/* A sharded message: decoded, re-encoded from its parts, decoded again. */
static void sharded(const uint8_t *buf, size_t len)
{
	sio_rmsg_t m;
	if (sio__cmsg_decode(buf, len, &m) < 0)
		return;
	check_decoded(&m, buf, len);
	CHECK(m.type >= SIO_CMSG_INITIAL_HEARTBEAT &&
	      m.type <= SIO_CMSG_ADAPTER_CLOSE && m.nsp);
	CHECK(m.type != SIO_CMSG_BROADCAST || (m.event && m.has_opts));
	if (m.type == SIO_CMSG_BROADCAST) {
		/* what adapter_sharded.c would publish for it */
		size_t cap = m.args_len + strlen(m.event) * 6 + 256;
		for (size_t i = 0; i < m.nrooms; i++)
			cap += strlen(m.rooms[i]) * 6 + 3;
		char *data = malloc(cap);
		CHECK(data);
		size_t n = (size_t)sprintf(data, "{\"packet\":{\"type\":2,"
						 "\"data\":[");
		n += sio__json_quote(data + n, m.event);
		if (m.args_len > 2) {
			data[n++] = ',';
			memcpy(data + n, m.args + 1, m.args_len - 2);
			n += m.args_len - 2;
		}
		n += (size_t)sprintf(data + n, "]},\"opts\":{\"rooms\":[");
		for (size_t i = 0; i < m.nrooms; i++) {
			if (i)
				data[n++] = ',';
			n += sio__json_quote(data + n, m.rooms[i]);
		}
		n += (size_t)sprintf(data + n, "]}}");
		uint8_t *out;
		size_t olen;
		int r = sio__cmsg_encode(m.uid ? m.uid : "", m.nsp, m.type,
					 data, n, m.bins, m.nbins, &out, &olen);
		CHECK(r == 0 || r == -EINVAL);
		if (r == 0) {
			sio_rmsg_t again;
			int r2 = sio__cmsg_decode(out, olen, &again);
			CHECK(r2 == 0 || r2 == -EINVAL);
			if (r2 == 0) {
				CHECK(again.type == m.type);
				CHECK(strcmp(again.nsp, m.nsp) == 0);
				CHECK(strcmp(again.event, m.event) == 0);
				CHECK(again.nrooms == m.nrooms);
				for (size_t i = 0; i < m.nrooms; i++)
					CHECK(strcmp(again.rooms[i],
						     m.rooms[i]) == 0);
				/* attachments: numbered across the whole
				 * message, so their count may differ */
				sio__rmsg_free(&again);
			}
			free(out);
		}
		free(data);
	}
	sio__rmsg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 2) {
		sharded(data + 1, size - 1);
		return 0;
	}
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

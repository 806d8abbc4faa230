/* libFuzzer target: sio__packet_decode() on the input (one Socket.IO text
 * packet, as the Engine.IO message carrying it), with the default maximum
 * of 10 attachments. A decoded packet must satisfy the rules the decoder
 * promises; its event name is decoded as socket.c does; its header,
 * written again by sio__packet_header() in front of its data, decodes to
 * the same packet; its arguments, below the nesting limit, parse with
 * sio_args_parse() (json-c) into as many elements as the scanner counts.
 * Any violation aborts. */
#define _GNU_SOURCE /* memmem */
#include "json.h"
#include "parser.h"
#include "sio.h"
#include "utf8.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static const char *const reserved[] = {
    "connect",	     "connect_error", "disconnect",
    "disconnecting", "newListener",   "removeListener",
};

static int inside(const char *p, size_t len, const char *buf, size_t size)
{
	return p >= buf && len <= size && p + len <= buf + size;
}

static int is_number_start(char c)
{
	return c == '-' || (c >= '0' && c <= '9');
}

/* The event name as socket.c's event_name() gets it; checks what it can. */
static void check_name(const sio_packet_t *p)
{
	CHECK(p->name_len > 0);
	if (p->name[0] != '"') {
		CHECK(is_number_start(p->name[0]));
		CHECK(!memchr(p->name, 0, p->name_len));
		return;
	}
	CHECK(p->name_len >= 2 && p->name[p->name_len - 1] == '"');
	/* a decoded string is never longer than its literal, so name_len
	 * bytes always hold it and its terminator */
	char *out = malloc(p->name_len);
	long r = sio__json_string_decode(p->name, p->name + p->name_len, out,
					 p->name_len);
	if (r < 0) {
		/* only for a NUL, which only an escape can bring */
		CHECK(memmem(p->name, p->name_len, "\\u0000", 6) != NULL);
		free(out);
		return;
	}
	CHECK((size_t)r <= p->name_len - 2);
	CHECK(out[r] == '\0' && strlen(out) == (size_t)r);
	/* escapes give UTF-8: valid in, valid out */
	if (eio__utf8_valid((const uint8_t *)p->name, p->name_len))
		CHECK(eio__utf8_valid((const uint8_t *)out, (size_t)r));
	/* the decoder refuses reserved names, escaped or not */
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		CHECK(strcmp(out, reserved[i]) != 0);
	/* one byte less than needed: refused; just enough: the same */
	if (r > 0) {
		char *small = malloc((size_t)r + 1);
		CHECK(sio__json_string_decode(p->name, p->name + p->name_len,
					      small, (size_t)r) == -1);
		CHECK(sio__json_string_decode(p->name, p->name + p->name_len,
					      small, (size_t)r + 1) == r);
		CHECK(memcmp(small, out, (size_t)r + 1) == 0);
		free(small);
	}
	/* socket.c's stack buffer path */
	char name[256];
	long r2 = sio__json_string_decode(p->name, p->name + p->name_len, name,
					  sizeof(name));
	CHECK(r2 == ((size_t)r < sizeof(name) ? r : -1));
	free(out);
}

/* The elements of the array at [p, end) (valid JSON), by the scanner. */
static size_t count_elements(const char *p, const char *end)
{
	size_t n = 0;
	p = sio__json_ws(p + 1, end);
	if (*p == ']')
		return 0;
	for (;;) {
		p = sio__json_ws(sio__json_scan(p, end, SIO_JSON_MAX_DEPTH),
				 end);
		n++;
		if (*p == ']')
			return n;
		p++; /* the comma */
	}
}

/* What a handler gets (the arguments, as socket.c and ack.c build them)
 * parses with sio_args_parse(), element for element. The depth of
 * SIO_JSON_MAX_DEPTH itself is left to tests/socketio/json_test.c (json-c
 * counts depth differently). */
static void check_args(const sio_packet_t *p)
{
	if (sio__json_scan(p->data, p->data + p->data_len,
			   SIO_JSON_MAX_DEPTH - 1) != p->data + p->data_len)
		return;
	size_t n = count_elements(p->data, p->data + p->data_len);
	char *json = malloc(p->data_len + 2);
	sio_args_t args = {json, 0, NULL, 0};
	if (p->name) { /* an event: "[" + the elements after the name */
		json[0] = '[';
		memcpy(json + 1, p->rest, p->rest_len);
		args.len = p->rest_len + 1;
		n--;
	} else { /* an ack: the data */
		memcpy(json, p->data, p->data_len);
		args.len = p->data_len;
	}
	json_object *o = sio_args_parse(&args);
	CHECK(o && json_object_is_type(o, json_type_array));
	CHECK(json_object_array_length(o) == n);
	json_object_put(o);
	free(json);
}

static void check_same(const sio_packet_t *a, const sio_packet_t *b)
{
	CHECK(a->type == b->type && a->id == b->id &&
	      a->attachments == b->attachments);
	CHECK(a->nsp_len == b->nsp_len &&
	      memcmp(a->nsp, b->nsp, a->nsp_len) == 0);
	CHECK(a->data_len == b->data_len && !a->data == !b->data);
	if (a->data)
		CHECK(memcmp(a->data, b->data, a->data_len) == 0);
	CHECK(a->name_len == b->name_len && a->rest_len == b->rest_len);
	if (a->name)
		CHECK(memcmp(a->name, b->name, a->name_len) == 0 &&
		      memcmp(a->rest, b->rest, a->rest_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact copy: reads past the end are caught */
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	sio_packet_t p;
	int r = sio__packet_decode(buf, size, SIO_MAX_ATTACHMENTS, &p);
	if (r != 0) {
		CHECK(r == -EINVAL);
		free(buf);
		return 0;
	}
	CHECK(size > 0 && p.type == (sio_packet_type_t)(buf[0] - '0'));
	CHECK(p.type != SIO_PACKET_CONNECT_ERROR && p.type <= 6);
	int binary = p.type == SIO_PACKET_BINARY_EVENT ||
		     p.type == SIO_PACKET_BINARY_ACK;
	CHECK(p.attachments <= SIO_MAX_ATTACHMENTS);
	CHECK(binary || p.attachments == 0);
	CHECK(p.id >= -1 && p.id <= 999999999999999LL);

	/* the namespace: "/" when absent, else in the input, no comma */
	CHECK(p.nsp && p.nsp_len >= 1 && p.nsp[0] == '/');
	if (!inside(p.nsp, p.nsp_len, buf, size))
		CHECK(p.nsp_len == 1);
	CHECK(!memchr(p.nsp, ',', p.nsp_len));

	/* the data: valid JSON to the end of the input, whitespace aside */
	if (p.data) {
		CHECK(p.data_len > 0 && inside(p.data, p.data_len, buf, size));
		CHECK(sio__json_scan(p.data, p.data + p.data_len,
				     SIO_JSON_MAX_DEPTH) ==
		      p.data + p.data_len);
		CHECK(sio__json_scan(p.data, buf + size, SIO_JSON_MAX_DEPTH) ==
		      p.data + p.data_len);
		CHECK(sio__json_ws(p.data + p.data_len, buf + size) ==
		      buf + size);
		CHECK(sio__json_ws(p.data, p.data + 1) == p.data);
	} else {
		CHECK(p.data_len == 0);
	}
	switch (p.type) {
	case SIO_PACKET_CONNECT: CHECK(!p.data || p.data[0] == '{'); break;
	case SIO_PACKET_DISCONNECT: CHECK(!p.data); break;
	case SIO_PACKET_ACK:
	case SIO_PACKET_BINARY_ACK:
		CHECK(p.data && p.data[0] == '[' && p.id >= 0);
		CHECK(!p.name && !p.rest);
		check_args(&p);
		break;
	default: /* events */
		CHECK(p.data && p.data[0] == '[');
		CHECK(p.name && inside(p.name, p.name_len, p.data, p.data_len));
		CHECK(sio__json_scan(p.name, p.name + p.name_len, 0) ==
		      p.name + p.name_len);
		CHECK(p.rest && inside(p.rest, p.rest_len, p.data, p.data_len));
		CHECK(p.rest > p.name && p.rest_len >= 1);
		CHECK(p.rest + p.rest_len == p.data + p.data_len);
		CHECK(p.rest[p.rest_len - 1] == ']');
		check_name(&p);
		check_args(&p);
		break;
	}
	if (p.type != SIO_PACKET_EVENT && p.type != SIO_PACKET_BINARY_EVENT)
		CHECK(!p.name && p.name_len == 0 && p.rest_len == 0);

	/* the header written again, the data after it: the same packet
	 * (but "50-": no header says zero attachments) */
	if (!(binary && p.attachments == 0)) {
		size_t cap = SIO_PACKET_HEADER_MAX + p.nsp_len + p.data_len;
		char *re = malloc(cap);
		size_t n = sio__packet_header(re, p.type, p.attachments, p.nsp,
					      p.nsp_len, p.id);
		CHECK(n <= SIO_PACKET_HEADER_MAX + p.nsp_len);
		if (p.data_len)
			memcpy(re + n, p.data, p.data_len);
		sio_packet_t q;
		CHECK(sio__packet_decode(re, n + p.data_len,
					 SIO_MAX_ATTACHMENTS, &q) == 0);
		check_same(&p, &q);
		free(re);
	}
	/* fewer attachments allowed: refused exactly when over */
	if (p.attachments > 0) {
		sio_packet_t q;
		CHECK(sio__packet_decode(buf, size, p.attachments - 1, &q) ==
		      -EINVAL);
		CHECK(sio__packet_decode(buf, size, p.attachments, &q) == 0);
	}
	free(buf);
	return 0;
}

/* Tests of socketio/parser.c: sio__packet_decode() on every packet type,
 * with and without namespace, ack id and attachments, the refusals of the
 * reference parser (socket.io-parser), and sio__packet_header().
 *
 * Every input is copied into a buffer of exactly its length, so that ASan
 * catches a read past the end. */
#include "../test.h"
#include "json.h"
#include "parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The decode of `len` bytes of `s` (a copy without NUL terminator); the
 * copy is kept in *copy for the pointer checks, to be freed. */
static int decode_n(const char *s, size_t len, unsigned max, sio_packet_t *p,
		    char **copy)
{
	char *buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, s, len);
	int r = sio__packet_decode(buf, len, max, p);
	if (copy)
		*copy = buf;
	else
		free(buf);
	return r;
}

/* A range of the packet (ptr, len) equal to string `want` (NULL: the
 * pointer is NULL and the length 0). */
#define CHECK_SPAN(ptr, len, want)                                             \
	do {                                                                   \
		const char *w_ = (want);                                       \
		if (!w_) {                                                     \
			CHECK((ptr) == NULL);                                  \
			CHECK_SIZE((len), 0);                                  \
		} else if (!(ptr)) {                                           \
			TEST_FAIL("%s is NULL, expected \"%s\"", #ptr, w_);    \
		} else {                                                       \
			CHECK_MEM((ptr), (len), w_, strlen(w_));               \
		}                                                              \
	} while (0)

/* A range inside [buf, buf + n), or NULL/"/" for the namespace default. */
static int inside(const char *p, size_t len, const char *buf, size_t n)
{
	return p >= buf && p + len <= buf + n;
}

typedef struct {
	const char *in;
	sio_packet_type_t type;
	const char *nsp;
	int64_t id;
	unsigned attachments;
	const char *data, *name, *rest;
} good_t;

static const good_t good[] = {
    {"0", SIO_PACKET_CONNECT, "/", -1, 0, NULL, NULL, NULL},
    {"0/admin,", SIO_PACKET_CONNECT, "/admin", -1, 0, NULL, NULL, NULL},
    {"0{\"token\":\"x\"}", SIO_PACKET_CONNECT, "/", -1, 0, "{\"token\":\"x\"}",
     NULL, NULL},
    {"0/admin,{}", SIO_PACKET_CONNECT, "/admin", -1, 0, "{}", NULL, NULL},
    /* "40/random" on the wire: the namespace without its comma */
    {"0/random", SIO_PACKET_CONNECT, "/random", -1, 0, NULL, NULL, NULL},
    {"0/a,{ \"k\" : [1, 2] }", SIO_PACKET_CONNECT, "/a", -1, 0,
     "{ \"k\" : [1, 2] }", NULL, NULL},
    {"1", SIO_PACKET_DISCONNECT, "/", -1, 0, NULL, NULL, NULL},
    {"1/a,", SIO_PACKET_DISCONNECT, "/a", -1, 0, NULL, NULL, NULL},
    {"2[\"ev\",1]", SIO_PACKET_EVENT, "/", -1, 0, "[\"ev\",1]", "\"ev\"", "1]"},
    {"2/a,12[\"ev\"]", SIO_PACKET_EVENT, "/a", 12, 0, "[\"ev\"]", "\"ev\"",
     "]"},
    {"20[\"ev\",{\"a\":[1,2]},\"x\"]", SIO_PACKET_EVENT, "/", 0, 0,
     "[\"ev\",{\"a\":[1,2]},\"x\"]", "\"ev\"", "{\"a\":[1,2]},\"x\"]"},
    /* whitespace inside the array: the name and rest skip it */
    {"2[ \"ev\" , 1 ]", SIO_PACKET_EVENT, "/", -1, 0, "[ \"ev\" , 1 ]",
     "\"ev\"", "1 ]"},
    {"2[\"ev\" ]", SIO_PACKET_EVENT, "/", -1, 0, "[\"ev\" ]", "\"ev\"", "]"},
    /* around the JSON, as JSON.parse() allows */
    {"2 [\"ev\"] \n", SIO_PACKET_EVENT, "/", -1, 0, "[\"ev\"]", "\"ev\"", "]"},
    /* numbers as event names, as the reference parser allows */
    {"2[42,1]", SIO_PACKET_EVENT, "/", -1, 0, "[42,1]", "42", "1]"},
    {"2[-1.5e3]", SIO_PACKET_EVENT, "/", -1, 0, "[-1.5e3]", "-1.5e3", "]"},
    /* an escaped name: decoded later, see test_event_names() */
    {"2[\"\\u0061b\"]", SIO_PACKET_EVENT, "/", -1, 0, "[\"\\u0061b\"]",
     "\"\\u0061b\"", "]"},
    /* a name like a reserved one but not one */
    {"2[\"connection\"]", SIO_PACKET_EVENT, "/", -1, 0, "[\"connection\"]",
     "\"connection\"", "]"},
    {"2[\"Connect\"]", SIO_PACKET_EVENT, "/", -1, 0, "[\"Connect\"]",
     "\"Connect\"", "]"},
    {"2/a,[\"x\"]", SIO_PACKET_EVENT, "/a", -1, 0, "[\"x\"]", "\"x\"", "]"},
    /* 15 digits: the largest id */
    {"2123456789012345[\"ev\"]", SIO_PACKET_EVENT, "/", 123456789012345, 0,
     "[\"ev\"]", "\"ev\"", "]"},
    {"3/a,12[]", SIO_PACKET_ACK, "/a", 12, 0, "[]", NULL, NULL},
    {"30[1,\"a\"]", SIO_PACKET_ACK, "/", 0, 0, "[1,\"a\"]", NULL, NULL},
    {"51-[\"ev\",{\"_placeholder\":true,\"num\":0}]", SIO_PACKET_BINARY_EVENT,
     "/", -1, 1, "[\"ev\",{\"_placeholder\":true,\"num\":0}]", "\"ev\"",
     "{\"_placeholder\":true,\"num\":0}]"},
    {"52-/b,7[\"up\",{\"_placeholder\":true,\"num\":0},"
     "{\"_placeholder\":true,\"num\":1}]",
     SIO_PACKET_BINARY_EVENT, "/b", 7, 2,
     "[\"up\",{\"_placeholder\":true,\"num\":0},"
     "{\"_placeholder\":true,\"num\":1}]",
     "\"up\"",
     "{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"},
    /* the maximum, and zero (the reference parser takes both) */
    {"510-[\"ev\"]", SIO_PACKET_BINARY_EVENT, "/", -1, 10, "[\"ev\"]", "\"ev\"",
     "]"},
    {"50-[\"ev\"]", SIO_PACKET_BINARY_EVENT, "/", -1, 0, "[\"ev\"]", "\"ev\"",
     "]"},
    {"61-/a,3[{\"_placeholder\":true,\"num\":0}]", SIO_PACKET_BINARY_ACK, "/a",
     3, 1, "[{\"_placeholder\":true,\"num\":0}]", NULL, NULL},
    {"61-0[]", SIO_PACKET_BINARY_ACK, "/", 0, 1, "[]", NULL, NULL},
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		const good_t *g = &good[i];
		size_t n = strlen(g->in);
		sio_packet_t p;
		char *buf;
		int r = decode_n(g->in, n, SIO_MAX_ATTACHMENTS, &p, &buf);
		if (r != 0) {
			TEST_FAIL("decode(%s) = %d, expected 0", g->in, r);
			free(buf);
			continue;
		}
		test_checks++;
		if (p.type != g->type || p.id != g->id ||
		    p.attachments != g->attachments)
			TEST_FAIL("decode(%s): type %d id %lld attachments %u",
				  g->in, (int)p.type, (long long)p.id,
				  p.attachments);
		CHECK_SPAN(p.nsp, p.nsp_len, g->nsp);
		CHECK_SPAN(p.data, p.data_len, g->data);
		CHECK_SPAN(p.name, p.name_len, g->name);
		CHECK_SPAN(p.rest, p.rest_len, g->rest);
		/* everything points into the input, but the default "/" */
		if (strcmp(g->nsp, "/") != 0 || g->in[1] == '/')
			CHECK(inside(p.nsp, p.nsp_len, buf, n));
		if (p.data)
			CHECK(inside(p.data, p.data_len, buf, n));
		if (p.name) {
			CHECK(inside(p.name, p.name_len, buf, n));
			CHECK(inside(p.rest, p.rest_len, buf, n));
			/* the rest ends where the data ends */
			CHECK(p.rest + p.rest_len == p.data + p.data_len);
		}
		free(buf);
	}
}

/* Inputs refused with -EINVAL. */
static const char *const bad[] = {
    "",
    "7",
    "9[\"ev\"]",
    "a",
    "-1",
    /* CONNECT_ERROR comes only from servers */
    "4",
    "4{\"message\":\"x\"}",
    "4/a,{}",
    /* EVENT data: a non-empty array, its first element a non-reserved
     * string or a number */
    "2",
    "2/a,",
    "2/a",
    "2{}",
    "2\"ev\"",
    "21",
    "2[]",
    "2[ ]",
    "2[\"connect\"]",
    "2[\"connect_error\"]",
    "2[\"disconnect\"]",
    "2[\"disconnecting\"]",
    "2[\"newListener\"]",
    "2[\"removeListener\"]",
    "2/a,5[\"disconnect\",1]",
    "2[\"\\u0063onnect\"]", /* an escaped reserved name */
    /* an event name holding NUL: a C handler could not be given it (it
     * used to close the connection as "forced close", which recovery
     * keeps, rather than as a parse error) */
    "2[\"a\\u0000b\"]",
    "2[\"\\u0000\",1]",
    "2[true]",
    "2[false]",
    "2[null]",
    "2[{}]",
    "2[[\"ev\"]]",
    "51-[\"connect\"]",
    "51-[]",
    "51-{}",
    /* CONNECT data: an object or nothing */
    "0[]",
    "0\"x\"",
    "0true",
    "0/a,[]",
    /* DISCONNECT: no data */
    "1{}",
    "1[]",
    "1/a,{}",
    /* ACK: an array, with an id */
    "3[]",
    "3/a,[]",
    "3{}",
    "31{}",
    "31",
    "31\"a\"",
    "61-[]",
    /* attachments: digits and a dash, at most the maximum, binary types
     * only */
    "51[\"ev\",{\"_placeholder\":true,\"num\":0}]",
    "5-[\"ev\"]",
    "5[\"ev\"]",
    "5",
    "51",
    "511-[\"ev\"]",
    "5999999-[\"ev\"]",
    "51234567-[\"ev\"]",
    "5a-[\"ev\"]",
    "6-0[]",
    "61-",
    /* the id: digits only, at most 15 */
    "2abc[\"ev\"]",
    "21a[\"ev\"]",
    "21234567890123456[\"ev\"]",
    "31234567890123456[]",
    /* invalid JSON */
    "2[",
    "2[\"a\",]",
    "2[\"a\" 1]",
    "2[01]",
    "2[\"a\",01]",
    "2[\"\\x\"]",
    "2[\"a\",\"\\x\"]",
    "2[\"a\tb\"]",
    "2[\"a\",\"b\nc\"]",
    "2[\"a\",\"\x01\"]",
    "2[\"a\",1.]",
    "2[\"a\",.5]",
    "2[\"a\",+1]",
    "2[\"a\",tru]",
    "2[\"a\",{\"k\"}]",
    "2[\"a\",{k:1}]",
    "2[\"a\",'b']",
    "2[\"a\"",
    "2[\"a",
    "0{",
    "0{\"a\":}",
    /* trailing bytes after the JSON */
    "2[\"a\"]x",
    "2[\"a\"][]",
    "2[\"a\"] 1",
    "0{}{}",
    "0{}x",
    "3/a,1[]]",
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		sio_packet_t p;
		int r = decode_n(bad[i], strlen(bad[i]), SIO_MAX_ATTACHMENTS,
				 &p, NULL);
		if (r != -EINVAL)
			TEST_FAIL("decode(%s) = %d, expected -EINVAL", bad[i],
				  r);
		else
			test_checks++;
	}
	/* a NUL byte is not JSON whitespace */
	sio_packet_t p;
	CHECK_INT(decode_n("2[\"a\"]\0", 7, 10, &p, NULL), -EINVAL);
	CHECK_INT(decode_n("2[\"a\0\"]", 7, 10, &p, NULL), -EINVAL);
	CHECK_INT(decode_n("\0", 1, 10, &p, NULL), -EINVAL);
	/* the maximum of attachments is the caller's */
	CHECK_INT(decode_n("51-[\"a\"]", 8, 0, &p, NULL), -EINVAL);
	CHECK_INT(decode_n("53-[\"a\"]", 8, 2, &p, NULL), -EINVAL);
	CHECK_INT(decode_n("52-[\"a\"]", 8, 2, &p, NULL), 0);
	CHECK_INT(p.attachments, 2);
	CHECK_INT(decode_n("61-1[]", 6, 0, &p, NULL), -EINVAL);
}

/* EVENT data nested `depth` deep: ["a",[[...]]] */
static char *nested_event(int depth, char open, char close)
{
	char *s = malloc((size_t)depth * 8 + 16);
	size_t n = (size_t)sprintf(s, "2[\"a\",");
	for (int i = 1; i < depth; i++) {
		s[n++] = open;
		if (open == '{')
			n += (size_t)sprintf(s + n, "\"k\":");
	}
	if (open == '{')
		n += (size_t)sprintf(s + n, "1");
	for (int i = 1; i < depth; i++)
		s[n++] = close;
	s[n++] = ']';
	s[n] = '\0';
	return s;
}

static void test_depth(void)
{
	sio_packet_t p;
	char *s = nested_event(SIO_JSON_MAX_DEPTH, '[', ']');
	CHECK_INT(decode_n(s, strlen(s), 10, &p, NULL), 0);
	free(s);
	s = nested_event(SIO_JSON_MAX_DEPTH + 1, '[', ']');
	CHECK_INT(decode_n(s, strlen(s), 10, &p, NULL), -EINVAL);
	free(s);
	s = nested_event(SIO_JSON_MAX_DEPTH, '{', '}');
	CHECK_INT(decode_n(s, strlen(s), 10, &p, NULL), 0);
	free(s);
	s = nested_event(SIO_JSON_MAX_DEPTH + 1, '{', '}');
	CHECK_INT(decode_n(s, strlen(s), 10, &p, NULL), -EINVAL);
	free(s);
	CHECK_INT(SIO_JSON_MAX_DEPTH, 32);
	/* far deeper: refused without recursing that deep */
	s = nested_event(100000, '[', ']');
	CHECK_INT(decode_n(s, strlen(s), 10, &p, NULL), -EINVAL);
	free(s);
	/* CONNECT data counts too */
	char c[512];
	size_t n = 0;
	c[n++] = '0';
	for (int i = 0; i < 32; i++)
		n += (size_t)sprintf(c + n, "%s", i < 31 ? "{\"k\":" : "{}");
	for (int i = 0; i < 31; i++)
		c[n++] = '}';
	CHECK_INT(decode_n(c, n, 10, &p, NULL), 0);
	memmove(c + 6, c + 1, n - 1); /* one more level */
	memcpy(c + 1, "{\"k\":", 5);
	c[n + 5] = '}';
	CHECK_INT(decode_n(c, n + 6, 10, &p, NULL), -EINVAL);
}

/* In a binary packet every placeholder names one of its attachments
 * (socket.io-parser's reconstructPacket: "illegal attachments"). */
static void test_placeholders(void)
{
	static const char *const ok_in[] = {
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":0}]",
	    "52-[\"ev\",{\"_placeholder\":true,\"num\":1},"
	    "{\"_placeholder\":true,\"num\":0}]",
	    /* nested in arrays and objects */
	    "52-[\"ev\",{\"a\":[1,{\"b\":{\"_placeholder\":true,\"num\":1}}]}]",
	    "62-/a,4[[{\"_placeholder\":true,\"num\":1}],"
	    "{\"_placeholder\":true,\"num\":0}]",
	    /* not a placeholder: "_placeholder" not true */
	    "51-[\"ev\",{\"_placeholder\":false,\"num\":7}]",
	    "51-[\"ev\",{\"_placeholder\":1,\"num\":7}]",
	    "51-[\"ev\",{\"_placeholder\":\"true\",\"num\":7}]",
	    /* attachments need not all be named */
	    "53-[\"ev\",{\"_placeholder\":true,\"num\":2}]",
	    "52-[\"ev\"]",
	    /* the key order does not matter */
	    "51-[\"ev\",{\"num\":0,\"x\":1,\"_placeholder\":true}]",
	    /* whitespace inside */
	    "51-[\"ev\", { \"_placeholder\" : true , \"num\" : 0 } ]",
	    /* no attachments: a placeholder is a plain object, as when the
	     * reference parser does not reconstruct */
	    "2[\"ev\",{\"_placeholder\":true,\"num\":5}]",
	    "50-[\"ev\",{\"_placeholder\":true,\"num\":0}]",
	    "30[{\"_placeholder\":true,\"num\":0}]",
	    /* the name may be the placeholder-like string, it is a string */
	    "51-[\"_placeholder\",{\"_placeholder\":true,\"num\":0}]",
	};
	static const char *const bad_in[] = {
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":1}]",
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":-1}]",
	    "51-[\"ev\",{\"_placeholder\":true}]",
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":\"0\"}]",
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":null}]",
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":[0]}]",
	    "52-[\"ev\",{\"_placeholder\":true,\"num\":0},"
	    "{\"_placeholder\":true,\"num\":2}]",
	    "52-[\"ev\",{\"a\":[{\"_placeholder\":true,\"num\":9}]}]",
	    "61-/a,4[{\"_placeholder\":true,\"num\":1}]",
	    "51-[\"ev\",{\"_placeholder\":true,\"num\":4294967296}]",
	};
	for (size_t i = 0; i < sizeof(ok_in) / sizeof(*ok_in); i++) {
		sio_packet_t p;
		int r = decode_n(ok_in[i], strlen(ok_in[i]), 10, &p, NULL);
		if (r != 0)
			TEST_FAIL("decode(%s) = %d, expected 0", ok_in[i], r);
		else
			test_checks++;
	}
	for (size_t i = 0; i < sizeof(bad_in) / sizeof(*bad_in); i++) {
		sio_packet_t p;
		int r = decode_n(bad_in[i], strlen(bad_in[i]), 10, &p, NULL);
		if (r != -EINVAL)
			TEST_FAIL("decode(%s) = %d, expected -EINVAL",
				  bad_in[i], r);
		else
			test_checks++;
	}
	/* the nesting limit is the same with attachments: 32 levels with a
	 * placeholder at the bottom pass, 33 do not */
	for (int depth = SIO_JSON_MAX_DEPTH; depth <= SIO_JSON_MAX_DEPTH + 1;
	     depth++) {
		char s[1024];
		size_t n = (size_t)sprintf(s, "51-[\"a\",");
		for (int i = 2; i < depth; i++)
			s[n++] = '[';
		n +=
		    (size_t)sprintf(s + n, "{\"_placeholder\":true,\"num\":0}");
		for (int i = 2; i < depth; i++)
			s[n++] = ']';
		s[n++] = ']';
		sio_packet_t p;
		CHECK_INT(decode_n(s, n, 10, &p, NULL),
			  depth <= SIO_JSON_MAX_DEPTH ? 0 : -EINVAL);
		/* and the same wrong index is refused at the deepest level */
		s[n - depth - 1] = '1'; /* the "0" before "}" */
		if (depth == SIO_JSON_MAX_DEPTH)
			CHECK_INT(decode_n(s, n, 10, &p, NULL), -EINVAL);
	}
}

/* The event name as socket.c decodes it. */
static void test_event_names(void)
{
	sio_packet_t p;
	char *buf;
	const char *in = "2[\"\\u0061b\"]";
	if (decode_n(in, strlen(in), 10, &p, &buf) == 0) {
		char name[32];
		CHECK_INT(sio__json_string_decode(p.name, p.name + p.name_len,
						  name, sizeof(name)),
			  2);
		CHECK_STR(name, "ab");
	} else {
		TEST_FAIL("decode(%s)", in);
	}
	free(buf);
	in = "2[\"\\ud83d\\ude00 \\\"x\\\"\",1]";
	if (decode_n(in, strlen(in), 10, &p, &buf) == 0) {
		char name[32];
		CHECK_INT(sio__json_string_decode(p.name, p.name + p.name_len,
						  name, sizeof(name)),
			  8);
		CHECK_STR(name, "\xf0\x9f\x98\x80 \"x\"");
		CHECK_SPAN(p.rest, p.rest_len, "1]");
	} else {
		TEST_FAIL("decode(%s)", in);
	}
	free(buf);
	/* a long name (longer than any reserved one) is fine */
	char longname[600];
	int n = sprintf(longname, "2[\"");
	memset(longname + n, 'x', 500);
	n += 500;
	n += sprintf(longname + n, "\",2]");
	if (decode_n(longname, (size_t)n, 10, &p, &buf) == 0) {
		CHECK_SIZE(p.name_len, 502);
		CHECK_SPAN(p.rest, p.rest_len, "2]");
	} else {
		TEST_FAIL("decode(long name)");
	}
	free(buf);
}

static void check_header(int line, sio_packet_type_t type, unsigned att,
			 const char *nsp, int64_t id, const char *want)
{
	char out[SIO_PACKET_HEADER_MAX + 64];
	memset(out, 'Z', sizeof(out));
	size_t n = sio__packet_header(out, type, att, nsp, strlen(nsp), id);
	test_checks++;
	if (n != strlen(want) || memcmp(out, want, n) != 0)
		TEST_FAIL("line %d: header \"%.*s\" != \"%s\"", line, (int)n,
			  out, want);
	/* nothing written past the header but sprintf's terminator */
	for (size_t i = n + 1; i < sizeof(out); i++)
		if (out[i] != 'Z') {
			TEST_FAIL("line %d: byte %zu written", line, i);
			break;
		}
}
#define CHECK_HEADER(...) check_header(__LINE__, __VA_ARGS__)

static void test_header(void)
{
	CHECK_HEADER(SIO_PACKET_CONNECT, 0, "/", -1, "0");
	CHECK_HEADER(SIO_PACKET_CONNECT, 0, "/admin", -1, "0/admin,");
	CHECK_HEADER(SIO_PACKET_DISCONNECT, 0, "/", -1, "1");
	CHECK_HEADER(SIO_PACKET_DISCONNECT, 0, "/chat", -1, "1/chat,");
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "/", -1, "2");
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "/a", -1, "2/a,");
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "/", 12, "212");
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "/", 0, "20");
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "/a", 12, "2/a,12");
	CHECK_HEADER(SIO_PACKET_ACK, 0, "/", 0, "30");
	CHECK_HEADER(SIO_PACKET_ACK, 0, "/x", 7, "3/x,7");
	CHECK_HEADER(SIO_PACKET_CONNECT_ERROR, 0, "/", -1, "4");
	CHECK_HEADER(SIO_PACKET_CONNECT_ERROR, 0, "/a", -1, "4/a,");
	/* attachments: the type becomes the binary one */
	CHECK_HEADER(SIO_PACKET_EVENT, 1, "/", -1, "51-");
	CHECK_HEADER(SIO_PACKET_EVENT, 2, "/a", -1, "52-/a,");
	CHECK_HEADER(SIO_PACKET_EVENT, 10, "/a", 5, "510-/a,5");
	CHECK_HEADER(SIO_PACKET_ACK, 1, "/", 3, "61-3");
	CHECK_HEADER(SIO_PACKET_ACK, 1, "/a", 3, "61-/a,3");
	CHECK_HEADER(SIO_PACKET_BINARY_EVENT, 3, "/", -1, "53-");
	CHECK_HEADER(SIO_PACKET_BINARY_ACK, 4294967295u, "/", 1,
		     "64294967295-1");
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "/", INT64_MAX,
		     "29223372036854775807");
	/* a namespace "/" only is omitted; one that starts with it is not */
	CHECK_HEADER(SIO_PACKET_EVENT, 0, "//", -1, "2//,");

	/* round trip: what the header writes decodes back */
	char buf[SIO_PACKET_HEADER_MAX + 64];
	size_t n = sio__packet_header(buf, SIO_PACKET_EVENT, 2, "/room", 5, 99);
	memcpy(buf + n, "[\"e\",1]", 7);
	sio_packet_t p;
	if (decode_n(buf, n + 7, 10, &p, NULL) == 0) {
		CHECK_INT(p.type, SIO_PACKET_BINARY_EVENT);
		CHECK_INT(p.attachments, 2);
		CHECK_INT(p.id, 99);
	} else {
		TEST_FAIL("round trip");
	}
}

int main(void)
{
	test_good();
	test_bad();
	test_depth();
	test_placeholders();
	test_event_names();
	test_header();
	TEST_EXIT();
}

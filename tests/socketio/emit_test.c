/* Tests of socketio/emit.c: sio__encode() (events and acks, namespaces,
 * ids, arguments, escaped event names, recovery offsets, binary
 * attachments), sio__encode_raw() and sio__json_quote(). The encoded
 * packets are Engine.IO messages: their bytes are read with the internal
 * accessors of engineio/msg.h. */
#include "../test.h"
#include "emit.h"
#include "msg.h"
#include "parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The text message of `e` is "4" + want, a text message. */
static void check_text(int line, const sio_encoded_t *e, const char *want)
{
	test_checks++;
	if (!e->text) {
		TEST_FAIL("line %d: no text message", line);
		return;
	}
	const uint8_t *p = eio__msg_packet(e->text);
	size_t n = e->text->len;
	if (e->text->binary || n < 1 || p[0] != '4' || n - 1 != strlen(want) ||
	    memcmp(p + 1, want, n - 1) != 0)
		TEST_FAIL("line %d: encoded %s\"%.*s\" != \"4%s\"", line,
			  e->text->binary ? "(binary) " : "", (int)n, p, want);
}
#define CHECK_TEXT(e, want) check_text(__LINE__, e, want)

/* Encodes and checks the text; no attachments expected. */
static void check_encode(int line, sio_packet_type_t type, const char *nsp,
			 int64_t id, const char *event, const char *json,
			 const char *offset, const char *want)
{
	sio_args_t args = {json, 0, NULL, 0};
	sio_encoded_t e;
	int r =
	    sio__encode(&e, type, nsp, id, event, json ? &args : NULL, offset);
	test_checks++;
	if (r != 0) {
		TEST_FAIL("line %d: sio__encode = %d", line, r);
		return;
	}
	check_text(line, &e, want);
	if (e.nbins != 0 || e.bins != NULL)
		TEST_FAIL("line %d: %zu attachments", line, e.nbins);
	/* what we send, a client's decoder takes (events and acks) */
	sio_packet_t p;
	const char *text = (const char *)eio__msg_packet(e.text) + 1;
	if (sio__packet_decode(text, e.text->len - 1, SIO_MAX_ATTACHMENTS,
			       &p) != 0)
		TEST_FAIL("line %d: %s does not decode", line, want);
	sio__encoded_release(&e);
	CHECK(e.text == NULL);
}
#define CHECK_ENCODE(...) check_encode(__LINE__, __VA_ARGS__)

static void test_events(void)
{
	const sio_packet_type_t EV = SIO_PACKET_EVENT;
	CHECK_ENCODE(EV, "/", -1, "ev", NULL, NULL, "2[\"ev\"]");
	CHECK_ENCODE(EV, "/", -1, "ev", "[]", NULL, "2[\"ev\"]");
	CHECK_ENCODE(EV, "/", -1, "ev", "[ ]", NULL, "2[\"ev\"]");
	CHECK_ENCODE(EV, "/", -1, "ev", "[1,\"a\"]", NULL, "2[\"ev\",1,\"a\"]");
	CHECK_ENCODE(EV, "/", -1, "ev", "[{\"a\":[1,2]},null]", NULL,
		     "2[\"ev\",{\"a\":[1,2]},null]");
	/* whitespace around the array and after "[" goes; inside stays */
	CHECK_ENCODE(EV, "/", -1, "ev", "  [ 1 ]  ", NULL, "2[\"ev\",1 ]");
	CHECK_ENCODE(EV, "/", -1, "ev", "\n\t[\r\n1,2]\r\n", NULL,
		     "2[\"ev\",1,2]");
	/* namespaces and ids */
	CHECK_ENCODE(EV, "/chat", -1, "ev", NULL, NULL, "2/chat,[\"ev\"]");
	CHECK_ENCODE(EV, "/", 0, "ev", NULL, NULL, "20[\"ev\"]");
	CHECK_ENCODE(EV, "/", 12, "ev", "[1]", NULL, "212[\"ev\",1]");
	CHECK_ENCODE(EV, "/a", 5, "ev", "[1]", NULL, "2/a,5[\"ev\",1]");
	/* event names that need escapes */
	CHECK_ENCODE(EV, "/", -1, "a\"b", NULL, NULL, "2[\"a\\\"b\"]");
	CHECK_ENCODE(EV, "/", -1, "a\\b", NULL, NULL, "2[\"a\\\\b\"]");
	CHECK_ENCODE(EV, "/", -1, "l1\nl2\t\x01\x1f", NULL, NULL,
		     "2[\"l1\\u000al2\\u0009\\u0001\\u001f\"]");
	CHECK_ENCODE(EV, "/", -1, "\"\"\"", "[1]", NULL,
		     "2[\"\\\"\\\"\\\"\",1]");
	CHECK_ENCODE(EV, "/", -1, "/\x7f\xc3\xa9", NULL, NULL,
		     "2[\"/\x7f\xc3\xa9\"]"); /* no escape needed */
	CHECK_ENCODE(EV, "/", -1, "", NULL, NULL, "2[\"\"]");
	/* recovery offsets: a last string argument */
	CHECK_ENCODE(EV, "/", -1, "ev", NULL, "abc1", "2[\"ev\",\"abc1\"]");
	CHECK_ENCODE(EV, "/", -1, "ev", "[]", "abc1", "2[\"ev\",\"abc1\"]");
	CHECK_ENCODE(EV, "/", -1, "ev", "[1,2]", "x-_f",
		     "2[\"ev\",1,2,\"x-_f\"]");
	CHECK_ENCODE(EV, "/n", -1, "ev", "[1]", "q\"",
		     "2/n,[\"ev\",1,\"q\\\"\"]");
	/* a long name and arguments */
	char name[3000], want[4000];
	memset(name, '\n', 500);
	name[500] = '\0';
	size_t n = (size_t)sprintf(want, "2[\"");
	for (int i = 0; i < 500; i++)
		n += (size_t)sprintf(want + n, "\\u000a");
	sprintf(want + n, "\",1]");
	CHECK_ENCODE(EV, "/", -1, name, "[1]", NULL, want);
	/* an explicit length: bytes past it are not arguments */
	sio_args_t args = {"[1][2]", 3, NULL, 0};
	sio_encoded_t e;
	CHECK_INT(sio__encode(&e, EV, "/", -1, "ev", &args, NULL), 0);
	CHECK_TEXT(&e, "2[\"ev\",1]");
	sio__encoded_release(&e);
}

static void test_acks(void)
{
	const sio_packet_type_t ACK = SIO_PACKET_ACK;
	CHECK_ENCODE(ACK, "/", 3, NULL, NULL, NULL, "33[]");
	CHECK_ENCODE(ACK, "/", 3, NULL, "[]", NULL, "33[]");
	CHECK_ENCODE(ACK, "/", 0, NULL, "[1]", NULL, "30[1]");
	CHECK_ENCODE(ACK, "/", 3, NULL, "[1,\"a\"]", NULL, "33[1,\"a\"]");
	CHECK_ENCODE(ACK, "/a", 3, NULL, "[1]", NULL, "3/a,3[1]");
	CHECK_ENCODE(ACK, "/a", 123456789012345, NULL, "[null]", NULL,
		     "3/a,123456789012345[null]");
	CHECK_ENCODE(ACK, "/", 7, NULL, " [ true ] ", NULL, "37[true ]");
	CHECK_ENCODE(ACK, "/", 7, NULL, NULL, "off", "37[\"off\"]");
}

static void test_binary(void)
{
	static const uint8_t b0[] = {0x00, 0xff, 0x10};
	static const uint8_t b1[] = {'4', 'x'};
	sio_bin_t bins[3] = {{b0, sizeof(b0)}, {b1, sizeof(b1)}, {NULL, 0}};
	sio_args_t args = {"[{\"_placeholder\":true,\"num\":0},"
			   "{\"_placeholder\":true,\"num\":1},"
			   "{\"_placeholder\":true,\"num\":2}]",
			   0, bins, 3};
	sio_encoded_t e;
	CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/", -1, "up", &args, NULL),
		  0);
	CHECK_TEXT(&e, "53-[\"up\",{\"_placeholder\":true,\"num\":0},"
		       "{\"_placeholder\":true,\"num\":1},"
		       "{\"_placeholder\":true,\"num\":2}]");
	CHECK_SIZE(e.nbins, 3);
	if (e.nbins == 3) {
		for (size_t i = 0; i < 3; i++) {
			/* binary messages: the raw bytes, a binary frame */
			CHECK_INT(e.bins[i]->binary, 1);
			CHECK_MEM(eio__msg_packet(e.bins[i]), e.bins[i]->len,
				  bins[i].data, bins[i].len);
			size_t flen;
			const uint8_t *f = eio__msg_frame(e.bins[i], &flen);
			CHECK_INT(f[0], 0x82);
			CHECK_INT(f[1], bins[i].len);
			CHECK_SIZE(flen, 2 + bins[i].len);
		}
	}
	/* the attachments are copies */
	CHECK(e.nbins < 1 || eio__msg_packet(e.bins[0]) != b0);
	sio__encoded_release(&e);
	CHECK(e.bins == NULL && e.nbins == 0 && e.text == NULL);

	/* an ack with a namespace and an id */
	sio_args_t one = {"[{\"_placeholder\":true,\"num\":0}]", 0, bins, 1};
	CHECK_INT(sio__encode(&e, SIO_PACKET_ACK, "/a", 9, NULL, &one, NULL),
		  0);
	CHECK_TEXT(&e, "61-/a,9[{\"_placeholder\":true,\"num\":0}]");
	CHECK_SIZE(e.nbins, 1);
	sio__encoded_release(&e);

	/* with an id and an offset */
	CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/b", 4, "ev", &one, "o1"),
		  0);
	CHECK_TEXT(&e, "51-/b,4[\"ev\",{\"_placeholder\":true,\"num\":0},"
		       "\"o1\"]");
	sio__encoded_release(&e);

	/* ten attachments: "10-" */
	sio_bin_t ten[10];
	for (int i = 0; i < 10; i++)
		ten[i] = (sio_bin_t){b0, (size_t)i % 3};
	sio_args_t targs = {"[]", 0, ten, 10};
	CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/", -1, "t", &targs, NULL),
		  0);
	CHECK_TEXT(&e, "510-[\"t\"]");
	CHECK_SIZE(e.nbins, 10);
	for (size_t i = 0; i < e.nbins; i++)
		CHECK_SIZE(e.bins[i]->len, i % 3);
	sio__encoded_release(&e);

	/* a large attachment: a 64-bit length frame */
	size_t big = 70000;
	uint8_t *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (uint8_t)(i * 7);
	sio_bin_t bb = {data, big};
	sio_args_t bargs = {"[{\"_placeholder\":true,\"num\":0}]", 0, &bb, 1};
	CHECK_INT(
	    sio__encode(&e, SIO_PACKET_EVENT, "/", -1, "big", &bargs, NULL), 0);
	if (e.nbins == 1) {
		CHECK_MEM(eio__msg_packet(e.bins[0]), e.bins[0]->len, data,
			  big);
		size_t flen;
		const uint8_t *f = eio__msg_frame(e.bins[0], &flen);
		CHECK_INT(f[1], 127);
		CHECK_SIZE(flen, 10 + big);
	} else {
		TEST_FAIL("big attachment: %zu", e.nbins);
	}
	sio__encoded_release(&e);
	free(data);
}

static void test_invalid(void)
{
	static const char *const bad[] = {
	    "{}", "1",	"\"a\"", "",	"   ", "[",    "]",
	    "[1", "1]", "x[]",	 "[]x", "{]",  "null", "[1] x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		sio_args_t args = {bad[i], 0, NULL, 0};
		sio_encoded_t e;
		memset(&e, 0xAB, sizeof(e));
		int r = sio__encode(&e, SIO_PACKET_EVENT, "/", -1, "ev", &args,
				    NULL);
		if (r != -EINVAL)
			TEST_FAIL("encode args %s = %d, expected -EINVAL",
				  bad[i], r);
		else
			test_checks++;
		/* nothing to release, but releasing is harmless */
		CHECK(e.text == NULL && e.bins == NULL && e.nbins == 0);
		sio__encoded_release(&e);
		r = sio__encode(&e, SIO_PACKET_ACK, "/a", 1, NULL, &args, NULL);
		CHECK_INT(r, -EINVAL);
	}
	/* an explicit length that cuts the array */
	sio_args_t cut = {"[1,2]", 4, NULL, 0};
	sio_encoded_t e;
	CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/", -1, "ev", &cut, NULL),
		  -EINVAL);
	/* json NULL is no arguments, whatever the length */
	sio_args_t none = {NULL, 5, NULL, 0};
	CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/", -1, "ev", &none, NULL),
		  0);
	CHECK_TEXT(&e, "2[\"ev\"]");
	sio__encoded_release(&e);
}

static void test_raw(void)
{
	sio_encoded_t e;
	CHECK_INT(
	    sio__encode_raw(&e, SIO_PACKET_CONNECT, "/", "{\"sid\":\"abc\"}"),
	    0);
	CHECK_TEXT(&e, "0{\"sid\":\"abc\"}");
	CHECK_SIZE(e.nbins, 0);
	sio__encoded_release(&e);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_CONNECT, "/admin",
				  "{\"sid\":\"abc\"}"),
		  0);
	CHECK_TEXT(&e, "0/admin,{\"sid\":\"abc\"}");
	sio__encoded_release(&e);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_CONNECT_ERROR, "/",
				  "{\"message\":\"Invalid namespace\"}"),
		  0);
	CHECK_TEXT(&e, "4{\"message\":\"Invalid namespace\"}");
	sio__encoded_release(&e);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_CONNECT_ERROR, "/dyn-x",
				  "{\"message\":\"no\",\"data\":{\"a\":1}}"),
		  0);
	CHECK_TEXT(&e, "4/dyn-x,{\"message\":\"no\",\"data\":{\"a\":1}}");
	sio__encoded_release(&e);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_DISCONNECT, "/", NULL), 0);
	CHECK_TEXT(&e, "1");
	sio__encoded_release(&e);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_DISCONNECT, "/chat", NULL), 0);
	CHECK_TEXT(&e, "1/chat,");
	sio__encoded_release(&e);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_CONNECT, "/", NULL), 0);
	CHECK_TEXT(&e, "0");
	sio__encoded_release(&e);
	/* a long namespace */
	char nsp[400], want[500];
	nsp[0] = '/';
	memset(nsp + 1, 'n', 300);
	nsp[301] = '\0';
	snprintf(want, sizeof(want), "1%s,", nsp);
	CHECK_INT(sio__encode_raw(&e, SIO_PACKET_DISCONNECT, nsp, NULL), 0);
	CHECK_TEXT(&e, want);
	sio__encoded_release(&e);
}

static void test_quote(void)
{
	char buf[128];
	size_t n = sio__json_quote(buf, "");
	CHECK_MEM(buf, n, "\"\"", 2);
	n = sio__json_quote(buf, "abc");
	CHECK_MEM(buf, n, "\"abc\"", 5);
	n = sio__json_quote(buf, "\"\\/\b\f\n\r\t\x1f\x7f");
	const char *want = "\"\\\"\\\\/\\u0008\\u000c\\u000a\\u000d\\u0009"
			   "\\u001f\x7f\"";
	CHECK_MEM(buf, n, want, strlen(want));
	/* the worst case: six bytes per byte plus the quotes */
	char worst[8];
	memset(worst, 1, 7);
	worst[7] = '\0';
	n = sio__json_quote(buf, worst);
	CHECK_SIZE(n, 7 * 6 + 2);
}

/* Names that clients refuse (they would drop the connection): refused
 * before anything is sent, as Node's emit throws; look-alikes pass. */
static void test_reserved(void)
{
	static const char *const names[] = {"connect",	   "connect_error",
					    "disconnect",  "disconnecting",
					    "newListener", "removeListener"};
	sio_args_t args = {"[1]", 0, NULL, 0};
	sio_encoded_t e;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/", -1, names[i],
				      &args, NULL),
			  -EINVAL);
	static const char *const fine[] = {"connected", "Connect", "error",
					   "disconnect:x"};
	for (size_t i = 0; i < sizeof(fine) / sizeof(*fine); i++) {
		CHECK_INT(sio__encode(&e, SIO_PACKET_EVENT, "/", -1, fine[i],
				      &args, NULL),
			  0);
		sio__encoded_release(&e);
	}
}

int main(void)
{
	test_events();
	test_reserved();
	test_acks();
	test_binary();
	test_invalid();
	test_raw();
	test_quote();
	TEST_EXIT();
}

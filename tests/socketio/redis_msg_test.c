/* socketio/redis_msg.c: the Redis adapter's messages, with bytes made by
 * notepack.io (the msgpack encoder of @socket.io/redis-adapter and
 * @socket.io/redis-emitter) and JSON as they write it. */
#include "redis_msg.h"

#include "../test.h"

#include <errno.h>

#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

/* emitter.to("r").except("x").volatile.emit("ev", 1, Buffer [1,2],
 * {k: "é"}) */
static const char emitter_frame[] =
    "\x93\xa7\x65\x6d\x69\x74\x74\x65\x72\x83\xa4\x74\x79\x70\x65\x02\xa4\x64"
    "\x61\x74\x61\x94\xa2\x65\x76\x01\xc4\x02\x01\x02\x81\xa1\x6b\xa2\xc3\xa9"
    "\xa3\x6e\x73\x70\xa1\x2f\x83\xa5\x72\x6f\x6f\x6d\x73\x91\xa1\x72\xa5\x66"
    "\x6c\x61\x67\x73\x81\xa8\x76\x6f\x6c\x61\x74\x69\x6c\x65\xc3\xa6\x65\x78"
    "\x63\x65\x70\x74\x91\xa1\x78";

/* a Node node's io.of("/chat").emit("ev", -5, 1.5, null, true) */
static const char node_frame[] =
    "\x93\xa6\x61\x62\x63\x31\x32\x33\x83\xa4\x74\x79\x70\x65\x02\xa4\x64\x61"
    "\x74\x61\x95\xa2\x65\x76\xfb\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xc0\xc3"
    "\xa3\x6e\x73\x70\xa5\x2f\x63\x68\x61\x74\x83\xa5\x72\x6f\x6f\x6d\x73\x90"
    "\xa6\x65\x78\x63\x65\x70\x74\x90\xa5\x66\x6c\x61\x67\x73\x80";

/* a BROADCAST request (with acks), msgpack */
static const char broadcast_request[] =
    "\x85\xa3\x75\x69\x64\xa2\x6e\x31\xa9\x72\x65\x71\x75\x65\x73\x74\x49\x64"
    "\xa2\x71\x31\xa4\x74\x79\x70\x65\x07\xa6\x70\x61\x63\x6b\x65\x74\x83\xa4"
    "\x74\x79\x70\x65\x02\xa4\x64\x61\x74\x61\x92\xa3\x61\x73\x6b\xc4\x01\x07"
    "\xa3\x6e\x73\x70\xa1\x2f\xa4\x6f\x70\x74\x73\x83\xa5\x72\x6f\x6f\x6d\x73"
    "\x91\xa1\x6b\xa6\x65\x78\x63\x65\x70\x74\x90\xa5\x66\x6c\x61\x67\x73\x81"
    "\xa7\x74\x69\x6d\x65\x6f\x75\x74\xcd\x0b\xb8";

static void test_emitter_frame(void)
{
	sio_rmsg_t m;
	CHECK_INT(sio__rmsg_decode_broadcast(BYTES(emitter_frame), &m), 0);
	CHECK_STR(m.uid, "emitter");
	CHECK_STR(m.nsp, "/");
	CHECK_STR(m.event, "ev");
	CHECK_STR(m.args,
		  "[1,{\"_placeholder\":true,\"num\":0},{\"k\":\"é\"}]");
	CHECK_INT(m.args_len, strlen(m.args));
	CHECK_INT(m.nbins, 1);
	CHECK_INT(m.bins[0].len, 2);
	CHECK(m.bins[0].data[0] == 1 && m.bins[0].data[1] == 2);
	CHECK_INT(m.nrooms, 1);
	CHECK_STR(m.rooms[0], "r");
	CHECK_INT(m.nexcept, 1);
	CHECK_STR(m.except[0], "x");
	CHECK_INT(m.flags, SIO_VOLATILE);
	sio__rmsg_free(&m);
}

static void test_node_frame(void)
{
	sio_rmsg_t m;
	CHECK_INT(sio__rmsg_decode_broadcast(BYTES(node_frame), &m), 0);
	CHECK_STR(m.uid, "abc123");
	CHECK_STR(m.nsp, "/chat");
	CHECK_STR(m.args, "[-5,1.5,null,true]");
	CHECK_INT(m.nrooms + m.nexcept + m.nbins + m.flags, 0);
	sio__rmsg_free(&m);
}

/* What we publish decodes back to the same broadcast. */
static void test_round_trip(void)
{
	static const uint8_t blob[] = {0, 255, 10};
	sio_bin_t bins[] = {{blob, 3}};
	sio_args_t args = {
	    "[{\"a\":[1,-2,0.1,\"\\n\\u0001\\\"\"]},{\"_placeholder\":true,"
	    "\"num\":0},9007199254740993,1e300]",
	    0, bins, 1};
	const char *rooms[] = {"r1", "r2"}, *except[] = {"e"};
	sio_target_t to = {rooms, 2, except, 1, SIO_VOLATILE};
	uint8_t *buf;
	size_t len;
	CHECK_INT(sio__rmsg_encode_broadcast("uid123", "/n", "evt", &args, &to,
					     &buf, &len),
		  0);
	CHECK_INT(sio__rmsg_msgpack_check(buf, len), 0);
	sio_rmsg_t m;
	CHECK_INT(sio__rmsg_decode_broadcast(buf, len, &m), 0);
	CHECK_STR(m.uid, "uid123");
	CHECK_STR(m.nsp, "/n");
	CHECK_STR(m.event, "evt");
	CHECK_STR(m.args, "[{\"a\":[1,-2,0.1,\"\\n\\u0001\\\"\"]},"
			  "{\"_placeholder\":true,\"num\":0},"
			  "9007199254740993,1e+300]");
	CHECK_INT(m.nbins, 1);
	CHECK(m.nbins == 1 && m.bins[0].len == 3 &&
	      memcmp(m.bins[0].data, blob, 3) == 0);
	CHECK_INT(m.nrooms, 2);
	CHECK_STR(m.rooms[1], "r2");
	CHECK_STR(m.except[0], "e");
	CHECK_INT(m.flags, SIO_VOLATILE);
	sio__rmsg_free(&m);
	free(buf);

	/* no arguments, no target */
	CHECK_INT(
	    sio__rmsg_encode_broadcast("u", "/", "e", NULL, NULL, &buf, &len),
	    0);
	CHECK_INT(sio__rmsg_decode_broadcast(buf, len, &m), 0);
	CHECK_STR(m.args, "[]");
	sio__rmsg_free(&m);
	free(buf);

	/* a placeholder without its attachment, arguments not an array */
	sio_args_t bad = {"[{\"_placeholder\":true,\"num\":1}]", 0, bins, 1};
	CHECK_INT(
	    sio__rmsg_encode_broadcast("u", "/", "e", &bad, NULL, &buf, &len),
	    -EINVAL);
	sio_args_t obj = {"{}", 0, NULL, 0};
	CHECK_INT(
	    sio__rmsg_encode_broadcast("u", "/", "e", &obj, NULL, &buf, &len),
	    -EINVAL);
}

static void test_refused(void)
{
	sio_rmsg_t m;
	/* truncated at every length, and one byte too many */
	for (size_t n = 0; n < sizeof(emitter_frame) - 1; n++)
		CHECK_INT(sio__rmsg_decode_broadcast(
			      (const uint8_t *)emitter_frame, n, &m),
			  -EINVAL);
	char longer[sizeof(emitter_frame) + 1];
	memcpy(longer, emitter_frame, sizeof(emitter_frame));
	longer[sizeof(emitter_frame) - 1] = '\0';
	CHECK_INT(sio__rmsg_decode_broadcast((const uint8_t *)longer,
					     sizeof(emitter_frame), &m),
		  -EINVAL);
	/* an array that claims 4 billion elements in 5 bytes */
	CHECK_INT(sio__rmsg_msgpack_check(BYTES("\xdd\xff\xff\xff\xff")),
		  -EINVAL);
	/* a map that claims more than the bytes can hold */
	CHECK_INT(sio__rmsg_msgpack_check(BYTES("\xde\x00\x02\x01\x01\x01")),
		  -EINVAL);
	/* a string longer than the bytes */
	CHECK_INT(sio__rmsg_msgpack_check(BYTES("\xdb\x7f\xff\xff\xff"
						"ab")),
		  -EINVAL);
	/* nesting: 32 arrays pass, 33 do not */
	uint8_t deep[40];
	memset(deep, 0x91, sizeof(deep));
	deep[32] = 0xc0;
	CHECK_INT(sio__rmsg_msgpack_check(deep, 33), 0);
	deep[32] = 0x91;
	deep[33] = 0xc0;
	CHECK_INT(sio__rmsg_msgpack_check(deep, 34), -EINVAL);
	/* 0xc1 is never used */
	CHECK_INT(sio__rmsg_msgpack_check(BYTES("\xc1")), -EINVAL);
	/* a string argument that is not UTF-8 */
	static const char bad_utf8[] = "\x93\xa1u\x82\xa4type\x02\xa4"
				       "data\x92\xa1"
				       "e\xa2\xc3\x28\x80";
	CHECK_INT(sio__rmsg_decode_broadcast(BYTES(bad_utf8), &m), -EINVAL);
	/* not an EVENT: type 3 (ACK) */
	static const char ack_type[] = "\x93\xa1u\x82\xa4type\x03\xa4"
				       "data\x91\xa1"
				       "e\x80";
	CHECK_INT(sio__rmsg_decode_broadcast(BYTES(ack_type), &m), -EINVAL);
	/* the same as an EVENT decodes, with nsp "/" when absent */
	static const char ok_type[] = "\x93\xa1u\x82\xa4type\x02\xa4"
				      "data\x91\xa1"
				      "e\x80";
	CHECK_INT(sio__rmsg_decode_broadcast(BYTES(ok_type), &m), 0);
	CHECK_STR(m.nsp, "/");
	sio__rmsg_free(&m);
}

static void test_requests(void)
{
	sio_rmsg_t m;
	/* the emitter's socketsJoin (no uid) */
	CHECK_INT(sio__rmsg_decode_request(
		      BYTES("{\"type\":2,\"opts\":{\"rooms\":[\"a\",7],"
			    "\"except\":[\"b\"]},\"rooms\":[\"t\"]}"),
		      &m),
		  0);
	CHECK_INT(m.type, SIO_RREQ_REMOTE_JOIN);
	CHECK(m.uid == NULL);
	CHECK_INT(m.has_opts, 1);
	CHECK_INT(m.nrooms, 2);
	CHECK_STR(m.rooms[1], "7");
	CHECK_STR(m.except[0], "b");
	CHECK_INT(m.ntargets, 1);
	CHECK_STR(m.targets[0], "t");
	sio__rmsg_free(&m);

	CHECK_INT(sio__rmsg_decode_request(
		      BYTES("{\"uid\":\"n\",\"type\":4,\"opts\":{\"rooms\":[],"
			    "\"except\":[]},\"close\":true}"),
		      &m),
		  0);
	CHECK_INT(m.type, SIO_RREQ_REMOTE_DISCONNECT);
	CHECK_STR(m.uid, "n");
	CHECK_INT(m.close, 1);
	sio__rmsg_free(&m);

	CHECK_INT(sio__rmsg_decode_request(
		      BYTES("{\"uid\":\"n\",\"requestId\":\"r1\",\"type\":6,"
			    "\"data\":[\"hello\",{\"x\":0.1},[1,\"/\"]]}"),
		      &m),
		  0);
	CHECK_INT(m.type, SIO_RREQ_SERVER_SIDE_EMIT);
	CHECK_STR(m.request_id, "r1");
	CHECK_STR(m.event, "hello");
	CHECK_STR(m.args, "[{\"x\":0.1},[1,\"/\"]]");
	sio__rmsg_free(&m);

	CHECK_INT(sio__rmsg_decode_request(BYTES(broadcast_request), &m), 0);
	CHECK_INT(m.type, SIO_RREQ_BROADCAST);
	CHECK_STR(m.uid, "n1");
	CHECK_STR(m.request_id, "q1");
	CHECK_STR(m.event, "ask");
	CHECK_STR(m.args, "[{\"_placeholder\":true,\"num\":0}]");
	CHECK_INT(m.nbins, 1);
	CHECK(m.nbins == 1 && m.bins[0].len == 1 && m.bins[0].data[0] == 7);
	CHECK_INT(m.timeout_ms, 3000);
	CHECK_STR(m.rooms[0], "k");
	sio__rmsg_free(&m);

	/* the answer to a REMOTE_FETCH (no type): args is [sockets] */
	CHECK_INT(sio__rmsg_decode_request(
		      BYTES("{\"requestId\":\"f1\",\"sockets\":[{\"id\":\"x\","
			    "\"rooms\":[\"x\",\"r\"],\"data\":{}}]}"),
		      &m),
		  0);
	CHECK_INT(m.type, -1);
	CHECK_STR(m.request_id, "f1");
	CHECK_STR(m.args, "[[{\"id\":\"x\",\"rooms\":[\"x\",\"r\"],"
			  "\"data\":{}}]]");
	sio__rmsg_free(&m);
	CHECK_INT(sio__rmsg_decode_request(
		      BYTES("{\"requestId\":\"f1\",\"sockets\":7}"), &m),
		  0);
	CHECK(m.args == NULL);
	sio__rmsg_free(&m);

	/* not JSON, not msgpack, a SERVER_SIDE_EMIT without data */
	CHECK_INT(sio__rmsg_decode_request(BYTES("{\"type\":"), &m), -EINVAL);
	CHECK_INT(sio__rmsg_decode_request(BYTES("\xc1"), &m), -EINVAL);
	CHECK_INT(sio__rmsg_decode_request(BYTES("{\"type\":6}"), &m), -EINVAL);
	CHECK_INT(sio__rmsg_decode_request(BYTES("[1]"), &m), -EINVAL);
	/* a JSON request that is not UTF-8 (found by redis_msg_fuzzer) */
	CHECK_INT(sio__rmsg_decode_request(
		      BYTES("{\"type\":6,\"data\":[\"hell\x86\"]}"), &m),
		  -EINVAL);
}

static void test_encode_requests(void)
{
	char *out;
	size_t len;
	const char *rooms[] = {"a\"b"};
	sio_target_t to = {rooms, 1, NULL, 0, 0};
	CHECK_INT(sio__rmsg_encode_sockets_op("u1", SIO_RREQ_REMOTE_JOIN, &to,
					      "t", 0, &out, &len),
		  0);
	CHECK_STR(out, "{\"uid\":\"u1\",\"type\":2,\"opts\":{\"rooms\":"
		       "[\"a\\\"b\"],\"except\":[]},\"rooms\":[\"t\"]}");
	CHECK_INT(len, strlen(out));
	free(out);
	CHECK_INT(sio__rmsg_encode_sockets_op("u1", SIO_RREQ_REMOTE_DISCONNECT,
					      NULL, NULL, 1, &out, &len),
		  0);
	CHECK_STR(out, "{\"uid\":\"u1\",\"type\":4,\"opts\":{\"rooms\":[],"
		       "\"except\":[]},\"close\":true}");
	free(out);

	sio_args_t args = {"[1, {\"a\": \"/\"}]", 0, NULL, 0};
	CHECK_INT(
	    sio__rmsg_encode_server_side_emit("u1", "ev", &args, &out, &len),
	    0);
	CHECK_STR(out, "{\"uid\":\"u1\",\"type\":6,\"data\":[\"ev\",1,"
		       "{\"a\":\"/\"}]}");
	free(out);
	static const uint8_t b[] = {1};
	sio_bin_t bins[] = {{b, 1}};
	sio_args_t binary = {"[{\"_placeholder\":true,\"num\":0}]", 0, bins, 1};
	CHECK_INT(
	    sio__rmsg_encode_server_side_emit("u1", "ev", &binary, &out, &len),
	    -EINVAL);

	/* REMOTE_FETCH {uid, requestId, type: 5, opts}, as Node's */
	CHECK_INT(sio__rmsg_encode_sockets_op("u1", SIO_RREQ_REMOTE_FETCH, &to,
					      "f1", 0, &out, &len),
		  0);
	CHECK_STR(out, "{\"uid\":\"u1\",\"requestId\":\"f1\",\"type\":5,"
		       "\"opts\":{\"rooms\":[\"a\\\"b\"],\"except\":[]}}");
	free(out);

	/* BROADCAST_ACK: {type: 9, requestId, packet: first argument} */
	uint8_t *mp;
	sio_args_t answer = {"[\"yes\",2]", 0, NULL, 0};
	CHECK_INT(sio__rmsg_encode_broadcast_ack("q1", &answer, &mp, &len), 0);
	static const char want[] = "\x83\xa4type\x09\xa9requestId\xa2q1"
				   "\xa6packet\xa3yes";
	CHECK_INT(len, sizeof(want) - 1);
	CHECK(len == sizeof(want) - 1 && memcmp(mp, want, len) == 0);
	sio_rmsg_t m;
	CHECK_INT(sio__rmsg_decode_request(mp, len, &m), 0);
	CHECK_INT(m.type, SIO_RREQ_BROADCAST_ACK);
	CHECK_STR(m.request_id, "q1");
	sio__rmsg_free(&m);
	free(mp);
}

static void test_urls(void)
{
	CHECK_INT(sio_redis_url_check("redis://127.0.0.1"), 0);
	CHECK_INT(sio_redis_url_check("redis://localhost:6380/2"), 0);
	CHECK_INT(sio_redis_url_check("redis://[::1]:7000"), 0);
	CHECK_INT(sio_redis_url_check("redis://:secret@127.0.0.1:1"), 0);
	CHECK_INT(sio_redis_url_check("redis://user:p@ss@10.0.0.1"), 0);
	CHECK_INT(sio_redis_url_check("unix:/run/redis.sock"), 0);
	CHECK_INT(sio_redis_url_check("unix:///run/redis.sock"), 0);
	CHECK_INT(sio_redis_url_check("redis://redis.example"), -EINVAL);
	CHECK_INT(sio_redis_url_check("redis://127.0.0.1:0"), -EINVAL);
	CHECK_INT(sio_redis_url_check("redis://127.0.0.1:65536"), -EINVAL);
	CHECK_INT(sio_redis_url_check("redis://127.0.0.1/x"), -EINVAL);
	CHECK_INT(sio_redis_url_check("redis://[::1"), -EINVAL);
	CHECK_INT(sio_redis_url_check("http://127.0.0.1"), -EINVAL);
	CHECK_INT(sio_redis_url_check("unix:relative"), -EINVAL);
	CHECK_INT(sio_redis_url_check(NULL), -EINVAL);
}

/* The sharded adapter's messages (createShardedAdapter, ClusterAdapter) */

/* notepack of a BROADCAST with a Buffer */
static const char node_binary_broadcast[] =
    "\x84\xa3\x75\x69\x64\xb0\x61\x31\x62\x32\x63\x33\x64\x34\x65\x35\x66\x36"
    "\x30\x37\x31\x38\xa3\x6e\x73\x70\xa1\x2f\xa4\x74\x79\x70\x65\x03\xa4\x64"
    "\x61\x74\x61\x82\xa6\x70\x61\x63\x6b\x65\x74\x83\xa4\x74\x79\x70\x65\x02"
    "\xa4\x64\x61\x74\x61\x94\xa2\x65\x76\x01\xc4\x02\x01\x02\x81\xa1\x6b\xa2"
    "\xc3\xa9\xa3\x6e\x73\x70\xa1\x2f\xa4\x6f\x70\x74\x73\x83\xa5\x72\x6f\x6f"
    "\x6d\x73\x91\xa1\x72\xa6\x65\x78\x63\x65\x70\x74\x91\xa1\x78\xa5\x66\x6c"
    "\x61\x67\x73\x81\xa8\x76\x6f\x6c\x61\x74\x69\x6c\x65\xc3";

/* notepack of what we publish for the same broadcast */
static const char expected_broadcast[] =
    "\x84\xa3\x75\x69\x64\xb0\x30\x30\x31\x31\x32\x32\x33\x33\x34\x34\x35\x35"
    "\x36\x36\x37\x37\xa3\x6e\x73\x70\xa5\x2f\x63\x68\x61\x74\xa4\x74\x79\x70"
    "\x65\x03\xa4\x64\x61\x74\x61\x82\xa6\x70\x61\x63\x6b\x65\x74\x83\xa4\x74"
    "\x79\x70\x65\x02\xa4\x64\x61\x74\x61\x96\xa2\x65\x76\xa1\x78\xfb\xcb\x40"
    "\x04\x00\x00\x00\x00\x00\x00\xc0\xc3\xa3\x6e\x73\x70\xa5\x2f\x63\x68\x61"
    "\x74\xa4\x6f\x70\x74\x73\x83\xa5\x72\x6f\x6f\x6d\x73\x91\xa4\x72\x6f\x6f"
    "\x6d\xa6\x65\x78\x63\x65\x70\x74\x90\xa5\x66\x6c\x61\x67\x73\x80";

static const char expected_ssa[] =
    "\x84\xa3\x75\x69\x64\xb0\x30\x30\x31\x31\x32\x32\x33\x33\x34\x34\x35\x35"
    "\x36\x36\x37\x37\xa3\x6e\x73\x70\xa1\x2f\xa4\x74\x79\x70\x65\x0a\xa4\x64"
    "\x61\x74\x61\x82\xa9\x72\x65\x71\x75\x65\x73\x74\x49\x64\xa4\x61\x62\x63"
    "\x64\xa6\x70\x61\x63\x6b\x65\x74\xa1\x63";

static void test_sharded_binary_broadcast(void)
{
	sio_rmsg_t m;
	CHECK_INT(sio__cmsg_decode(BYTES(node_binary_broadcast), &m), 0);
	CHECK_INT(m.type, SIO_CMSG_BROADCAST);
	CHECK_STR(m.uid, "a1b2c3d4e5f60718");
	CHECK_STR(m.nsp, "/");
	CHECK_STR(m.event, "ev");
	CHECK_STR(m.args,
		  "[1,{\"_placeholder\":true,\"num\":0},{\"k\":\"é\"}]");
	CHECK_INT(m.nbins, 1);
	CHECK_INT(m.bins[0].len, 2);
	CHECK(m.bins[0].data[0] == 1 && m.bins[0].data[1] == 2);
	CHECK(m.bins[0].data > (const uint8_t *)node_binary_broadcast &&
	      m.bins[0].data < (const uint8_t *)node_binary_broadcast +
				   sizeof(node_binary_broadcast));
	CHECK_INT(m.nrooms, 1);
	CHECK_STR(m.rooms[0], "r");
	CHECK_INT(m.nexcept, 1);
	CHECK_STR(m.except[0], "x");
	CHECK_INT(m.flags, SIO_VOLATILE);
	CHECK(m.request_id == NULL);
	sio__rmsg_free(&m);
}

static void test_sharded_json(void)
{
	sio_rmsg_t m;
	/* a broadcast with acks, as JSON.stringify writes it */
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"type\":3,\"data\":{\"packet\":{\"type\":2,\"data\":"
		      "[\"ask\",\"question\"],\"nsp\":\"/\"},\"requestId\":"
		      "\"9f8e\",\"opts\":{\"rooms\":[\"k\"],\"except\":[],"
		      "\"flags\":{\"timeout\":3000}}},\"uid\":\"aa\",\"nsp\":"
		      "\"/\"}"),
		&m),
	    0);
	CHECK_INT(m.type, SIO_CMSG_BROADCAST);
	CHECK_STR(m.request_id, "9f8e");
	CHECK_STR(m.event, "ask");
	CHECK_STR(m.args, "[\"question\"]");
	CHECK_INT(m.timeout_ms, 3000);
	CHECK_INT(m.nrooms, 1);
	sio__rmsg_free(&m);
	/* fetchSockets */
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"type\":7,\"data\":{\"opts\":{\"rooms\":[\"f\"],"
		      "\"except\":[\"e\"],\"flags\":{}},\"requestId\":\"r7\"},"
		      "\"uid\":\"bb\",\"nsp\":\"/chat\"}"),
		&m),
	    0);
	CHECK_INT(m.type, SIO_CMSG_FETCH_SOCKETS);
	CHECK_STR(m.nsp, "/chat");
	CHECK_STR(m.request_id, "r7");
	CHECK(m.has_opts && m.nrooms == 1 && m.nexcept == 1);
	CHECK(m.event == NULL);
	sio__rmsg_free(&m);
	/* serverSideEmit with an ack: packet is [event, ...args] */
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"type\":9,\"data\":{\"requestId\":\"s1\",\"packet\":"
		      "[\"server-side\",\"q\",{\"n\":1}]},\"uid\":\"cc\","
		      "\"nsp\":\"/\"}"),
		&m),
	    0);
	CHECK_INT(m.type, SIO_CMSG_SERVER_SIDE_EMIT);
	CHECK_STR(m.event, "server-side");
	CHECK_STR(m.args, "[\"q\",{\"n\":1}]");
	CHECK_STR(m.request_id, "s1");
	sio__rmsg_free(&m);
	/* socketsJoin and disconnectSockets */
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"type\":4,\"data\":{\"opts\":{\"rooms\":[\"a\"],"
		      "\"except\":[],\"flags\":{}},\"rooms\":[\"t1\",\"t2\"]},"
		      "\"uid\":\"dd\",\"nsp\":\"/\"}"),
		&m),
	    0);
	CHECK_INT(m.type, SIO_CMSG_SOCKETS_JOIN);
	CHECK_INT(m.ntargets, 2);
	CHECK_STR(m.targets[1], "t2");
	sio__rmsg_free(&m);
	CHECK_INT(sio__cmsg_decode(
		      BYTES("{\"type\":6,\"data\":{\"opts\":{\"rooms\":[],"
			    "\"except\":[],\"flags\":{}},\"close\":true},"
			    "\"uid\":\"dd\",\"nsp\":\"/\"}"),
		      &m),
		  0);
	CHECK_INT(m.type, SIO_CMSG_DISCONNECT_SOCKETS);
	CHECK_INT(m.close, 1);
	sio__rmsg_free(&m);
	/* answers: args is [packet] */
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"type\":10,\"data\":{\"requestId\":\"s1\",\"packet\":"
		      "{\"x\":[1,\"é\"]}},\"uid\":\"cc\",\"nsp\":\"/\"}"),
		&m),
	    0);
	CHECK_INT(m.type, SIO_CMSG_SERVER_SIDE_EMIT_RESPONSE);
	CHECK_STR(m.request_id, "s1");
	CHECK_STR(m.args, "[{\"x\":[1,\"é\"]}]");
	sio__rmsg_free(&m);
	CHECK_INT(
	    sio__cmsg_decode(BYTES("{\"type\":12,\"data\":{\"requestId\":"
				   "\"b\"},\"uid\":\"cc\",\"nsp\":\"/\"}"),
			     &m),
	    0);
	CHECK_STR(m.args, "[null]");
	sio__rmsg_free(&m);
	/* FETCH_SOCKETS_RESPONSE: args is [sockets] */
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"type\":8,\"data\":{\"requestId\":\"f2\",\"sockets\":"
		      "[{\"id\":\"y\",\"handshake\":{}}]},\"uid\":\"cc\","
		      "\"nsp\":\"/\"}"),
		&m),
	    0);
	CHECK_INT(m.type, SIO_CMSG_FETCH_SOCKETS_RESPONSE);
	CHECK_STR(m.request_id, "f2");
	CHECK_STR(m.args, "[[{\"id\":\"y\",\"handshake\":{}}]]");
	sio__rmsg_free(&m);
	/* heartbeats (other versions send them): no data */
	CHECK_INT(sio__cmsg_decode(
		      BYTES("{\"uid\":\"ee\",\"nsp\":\"/\",\"type\":1}"), &m),
		  0);
	CHECK_INT(m.type, SIO_CMSG_INITIAL_HEARTBEAT);
	sio__rmsg_free(&m);
}

static void test_sharded_refused(void)
{
	sio_rmsg_t m;
	/* no type, an unknown one, no nsp */
	CHECK_INT(sio__cmsg_decode(BYTES("{\"uid\":\"a\",\"nsp\":\"/\"}"), &m),
		  -EINVAL);
	CHECK_INT(sio__cmsg_decode(
		      BYTES("{\"uid\":\"a\",\"nsp\":\"/\",\"type\":14}"), &m),
		  -EINVAL);
	CHECK_INT(sio__cmsg_decode(BYTES("{\"uid\":\"a\",\"type\":1}"), &m),
		  -EINVAL);
	/* a broadcast without data (found by the fuzzer), without opts, or
	 * whose packet has no event name */
	CHECK_INT(sio__cmsg_decode(
		      BYTES("{\"uid\":\"a\",\"nsp\":\"/\",\"type\":3}"), &m),
		  -EINVAL);
	CHECK_INT(sio__cmsg_decode(BYTES("{\"uid\":\"a\",\"nsp\":\"/\","
					 "\"type\":7,\"data\":null}"),
				   &m),
		  -EINVAL);
	CHECK_INT(sio__cmsg_decode(
		      BYTES("{\"uid\":\"a\",\"nsp\":\"/\",\"type\":3,\"data\":{"
			    "\"packet\":{\"type\":2,\"data\":[\"e\"]}}}"),
		      &m),
		  -EINVAL);
	CHECK_INT(
	    sio__cmsg_decode(
		BYTES("{\"uid\":\"a\",\"nsp\":\"/\",\"type\":3,\"data\":{"
		      "\"packet\":{\"type\":2,\"data\":[1]},\"opts\":{}}}"),
		&m),
	    -EINVAL);
	/* a classic broadcast frame (an array), truncated msgpack, data not
	 * an object, not JSON */
	CHECK_INT(sio__cmsg_decode(BYTES(node_frame), &m), -EINVAL);
	CHECK_INT(sio__cmsg_decode((const uint8_t *)node_binary_broadcast,
				   sizeof(node_binary_broadcast) - 2, &m),
		  -EINVAL);
	CHECK_INT(sio__cmsg_decode(BYTES("{\"uid\":\"a\",\"nsp\":\"/\","
					 "\"type\":7,\"data\":[1]}"),
				   &m),
		  -EINVAL);
	CHECK_INT(sio__cmsg_decode(BYTES("{\"uid\":"), &m), -EINVAL);
	CHECK_INT(sio__cmsg_decode((const uint8_t *)"", 0, &m), -EINVAL);
}

/* What we publish is byte for byte what notepack.io writes for the same
 * object, and decodes back. */
static void test_sharded_encode(void)
{
	const char *data =
	    "{\"packet\":{\"type\":2,\"data\":[\"ev\",\"x\",-5,2.5,null,true],"
	    "\"nsp\":\"/chat\"},\"opts\":{\"rooms\":[\"room\"],\"except\":[],"
	    "\"flags\":{}}}";
	uint8_t *out;
	size_t len;
	CHECK_INT(sio__cmsg_encode("0011223344556677", "/chat",
				   SIO_CMSG_BROADCAST, data, 0, NULL, 0, &out,
				   &len),
		  0);
	CHECK_MEM(out, len, expected_broadcast, sizeof(expected_broadcast) - 1);
	sio_rmsg_t m;
	CHECK_INT(sio__cmsg_decode(out, len, &m), 0);
	CHECK_STR(m.event, "ev");
	CHECK_STR(m.args, "[\"x\",-5,2.5,null,true]");
	CHECK_STR(m.rooms[0], "room");
	sio__rmsg_free(&m);
	free(out);

	CHECK_INT(sio__cmsg_encode("0011223344556677", "/",
				   SIO_CMSG_SERVER_SIDE_EMIT_RESPONSE,
				   "{\"requestId\":\"abcd\",\"packet\":\"c\"}",
				   0, NULL, 0, &out, &len),
		  0);
	CHECK_MEM(out, len, expected_ssa, sizeof(expected_ssa) - 1);
	free(out);

	/* binaries from placeholders, and back */
	static const uint8_t blob[] = {7, 0, 255};
	sio_bin_t bins[] = {{blob, 3}};
	CHECK_INT(
	    sio__cmsg_encode(
		"u", "/", SIO_CMSG_BROADCAST,
		"{\"packet\":{\"type\":2,\"data\":[\"b\",{\"_placeholder\":"
		"true,\"num\":0}],\"nsp\":\"/\"},\"opts\":{\"rooms\":[],"
		"\"except\":[],\"flags\":{\"volatile\":true}}}",
		0, bins, 1, &out, &len),
	    0);
	CHECK_INT(sio__cmsg_decode(out, len, &m), 0);
	CHECK_INT(m.nbins, 1);
	CHECK_MEM(m.bins[0].data, m.bins[0].len, blob, 3);
	CHECK_INT(m.flags, SIO_VOLATILE);
	sio__rmsg_free(&m);
	free(out);

	/* a placeholder without its attachment, JSON that is not */
	CHECK_INT(sio__cmsg_encode("u", "/", SIO_CMSG_BROADCAST,
				   "{\"a\":{\"_placeholder\":true,\"num\":1}}",
				   0, bins, 1, &out, &len),
		  -EINVAL);
	CHECK_INT(sio__cmsg_encode("u", "/", SIO_CMSG_BROADCAST, "{", 0, NULL,
				   0, &out, &len),
		  -EINVAL);
	/* heartbeats: no data */
	CHECK_INT(sio__cmsg_encode("u", "/", SIO_CMSG_HEARTBEAT, NULL, 0, NULL,
				   0, &out, &len),
		  0);
	CHECK_INT(sio__cmsg_decode(out, len, &m), 0);
	CHECK_INT(m.type, SIO_CMSG_HEARTBEAT);
	sio__rmsg_free(&m);
	free(out);
}

int main(void)
{
	test_emitter_frame();
	test_node_frame();
	test_round_trip();
	test_refused();
	test_requests();
	test_encode_requests();
	test_urls();
	test_sharded_binary_broadcast();
	test_sharded_json();
	test_sharded_refused();
	test_sharded_encode();
	TEST_EXIT();
}

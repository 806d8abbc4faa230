/* Tests of socketio/json.c: the strict scanner sio__json_scan() (RFC 8259
 * syntax, nesting limit, never reading at or past `end`) and
 * sio__json_string_decode().
 *
 * Inputs are copied into buffers of exactly their length (no NUL after
 * them), so that ASan catches a read past the end. */
#include "../test.h"
#include "json.h"
#include "sio.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static char *exact(const char *s, size_t n)
{
	char *b = malloc(n ? n : 1);
	if (!b)
		abort();
	memcpy(b, s, n);
	return b;
}

/* How many bytes sio__json_scan() takes of the first `n` bytes of `s` at
 * `depth`, or -1 when it refuses them. */
static long scan_n(const char *s, size_t n, int depth)
{
	char *b = exact(s, n);
	const char *e = sio__json_scan(b, b + n, depth);
	long r = e ? (long)(e - b) : -1;
	if (e && (e < b || e > b + n))
		TEST_FAIL("scan(%.*s) returned a pointer outside", (int)n, s);
	free(b);
	return r;
}

static long scan(const char *s)
{
	return scan_n(s, strlen(s), SIO_JSON_MAX_DEPTH);
}

/* Values taken whole. */
static const char *const whole[] = {
    "true",
    "false",
    "null",
    "0",
    "-0",
    "7",
    "-7",
    "1234567890",
    "1e5",
    "1E5",
    "1e+5",
    "1e-5",
    "1.5E-3",
    "-0.0",
    "0.5",
    "-12.5e-10",
    "1E+02",
    "123456789012345678901234567890", /* no range limit: syntax only */
    "\"\"",
    "\"abc\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\\u0000\"", /* a NUL escape is valid JSON */
    "\"\\u00e9\\u00E9\\uABCD\\uabcd\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud83d\"", /* a lone surrogate is valid JSON text */
    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", /* raw UTF-8 */
    "\"\x7f\"",					/* DEL is no control here */
    "\"/\"",
    "\"'\"",
    "[]",
    "{}",
    "[ ]",
    "{ }",
    "[\t\r\n ]",
    "[1]",
    "[1,2,3]",
    "[1 , 2 ,\n3]",
    "[\"a\",true,false,null,0,-1.5e3,{},[]]",
    "{\"a\":1}",
    "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
    "{ \"a\" : 1 , \"b\" : 2 }",
    "{\"\":\"\"}",
    "{\"a\":1,\"a\":2}", /* duplicate keys: valid syntax */
    "[[[[[]]]]]",
};

/* Valid values followed by more: scanned up to the end of the value. */
static const struct {
	const char *in;
	long len;
} prefix[] = {
    {"01", 1},	       {"00", 1},	{"-01", 2},  {"1 2", 1},
    {"truex", 4},      {"nullnull", 4}, {"[]]", 2},  {"{}}", 2},
    {"\"a\"\"b\"", 3}, {"1,", 1},	{"1]", 1},   {"0x10", 1},
    {"1.5.5", 3},      {"1e5e5", 3},	{"-0-0", 2}, {"[1] [2]", 3},
    {" \t\r\n1", 5}, /* leading whitespace is skipped */
    {"  [ 1 ]  ", 7},
};

/* Refused. */
static const char *const invalid[] = {
    "",
    " ",
    "\t\r\n",
    /* numbers */
    "-",
    "-a",
    "+1",
    ".5",
    "-.5",
    "1.",
    "1.e5",
    "1e",
    "1e+",
    "1E-",
    "1ex",
    "-x",
    "NaN",
    "Infinity",
    "-Infinity",
    /* literals */
    "t",
    "tru",
    "nul",
    "fals",
    "True",
    "NULL",
    "undefined",
    /* strings */
    "\"",
    "\"abc",
    "\"\\",
    "\"\\\"",
    "\"\\x\"",
    "\"\\a\"",
    "\"\\0\"",
    "\"\\'\"",
    "\"\\U0041\"",
    "\"\\u\"",
    "\"\\u1\"",
    "\"\\u12\"",
    "\"\\u123\"",
    "\"\\u12G4\"",
    "\"\\u 123\"",
    "\"a\x01\"",
    "\"a\nb\"",
    "\"a\tb\"",
    "\"\x1f\"",
    "'a'",
    /* arrays */
    "[",
    "]",
    "[1",
    "[1,",
    "[1,]",
    "[,1]",
    "[,]",
    "[1 2]",
    "[1;2]",
    "[1:2]",
    /* objects */
    "{",
    "}",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\" 1}",
    "{a:1}",
    "{'a':1}",
    "{1:2}",
    "{\"a\":1,}",
    "{,\"a\":1}",
    "{\"a\":1 \"b\":2}",
    "{\"a\":1",
    "{\"a\"",
    "{\"a\":",
    "{\"a",
    "[{]",
    "{[]}",
    "[}",
    "{]",
    /* other */
    "x",
    "\x00",
    "/* c */1",
};

static void test_scan(void)
{
	for (size_t i = 0; i < sizeof(whole) / sizeof(*whole); i++) {
		long r = scan(whole[i]);
		if (r != (long)strlen(whole[i]))
			TEST_FAIL("scan(%s) = %ld, expected %zu", whole[i], r,
				  strlen(whole[i]));
		else
			test_checks++;
	}
	for (size_t i = 0; i < sizeof(prefix) / sizeof(*prefix); i++) {
		long r = scan(prefix[i].in);
		if (r != prefix[i].len)
			TEST_FAIL("scan(%s) = %ld, expected %ld", prefix[i].in,
				  r, prefix[i].len);
		else
			test_checks++;
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		size_t n = strlen(invalid[i]);
		if (i == sizeof(invalid) / sizeof(*invalid) - 2)
			n = 1; /* the NUL byte */
		long r = scan_n(invalid[i], n, SIO_JSON_MAX_DEPTH);
		if (r != -1)
			TEST_FAIL("scan(%s) = %ld, expected refusal",
				  invalid[i], r);
		else
			test_checks++;
	}
}

/* `end` cuts values: the scanner stops there, never reading it. */
static void test_end(void)
{
	/* truncations of valid values are refused (or, for numbers, stop
	 * at the end) */
	static const char *const vals[] = {
	    "true",	   "false",   "null",	     "\"abc\"",
	    "\"\\u00e9\"", "[1,[2]]", "{\"a\":[1]}", "\"\\ud83d\\ude00\"",
	    "\"\\\\\"",
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(*vals); i++) {
		size_t n = strlen(vals[i]);
		for (size_t k = 0; k < n; k++) {
			long r = scan_n(vals[i], k, SIO_JSON_MAX_DEPTH);
			if (r != -1)
				TEST_FAIL("scan(%.*s) = %ld, expected refusal",
					  (int)k, vals[i], r);
			else
				test_checks++;
		}
		CHECK_INT(scan_n(vals[i], n, SIO_JSON_MAX_DEPTH), (long)n);
	}
	/* a number ends where the buffer does */
	CHECK_INT(scan_n("12345", 3, 1), 3);
	CHECK_INT(scan_n("1.5e3", 3, 1), 3);
	CHECK_INT(scan_n("1.5e3", 2, 1), -1); /* "1." */
	CHECK_INT(scan_n("1.5e3", 4, 1), -1); /* "1.5e" */
	CHECK_INT(scan_n("-1", 1, 1), -1);
}

static char *nest(int depth, int object)
{
	char *s = malloc((size_t)depth * 6 + 2);
	size_t n = 0;
	for (int i = 0; i < depth; i++) {
		if (object)
			n += (size_t)sprintf(s + n, "{\"k\":");
		else
			s[n++] = '[';
	}
	s[n++] = '1';
	for (int i = 0; i < depth; i++)
		s[n++] = object ? '}' : ']';
	s[n] = '\0';
	return s;
}

static void test_depth(void)
{
	/* scalars need no depth; each array or object one level */
	CHECK_INT(scan_n("1", 1, 0), 1);
	CHECK_INT(scan_n("\"a\"", 3, 0), 3);
	CHECK_INT(scan_n("true", 4, 0), 4);
	CHECK_INT(scan_n("[]", 2, 0), -1);
	CHECK_INT(scan_n("{}", 2, 0), -1);
	CHECK_INT(scan_n("[]", 2, 1), 2);
	CHECK_INT(scan_n("[[]]", 4, 1), -1);
	CHECK_INT(scan_n("[[]]", 4, 2), 4);
	CHECK_INT(scan_n("[1,[],{}]", 9, 1), -1);
	CHECK_INT(scan_n("[1,[],{}]", 9, 2), 9);
	CHECK_INT(scan_n("{\"a\":[{}]}", 10, 2), -1);
	CHECK_INT(scan_n("{\"a\":[{}]}", 10, 3), 10);
	CHECK_INT(scan_n("[]", 2, -1), -1);

	for (int object = 0; object < 2; object++) {
		char *s = nest(SIO_JSON_MAX_DEPTH, object);
		CHECK_INT(scan(s), (long)strlen(s));
		free(s);
		s = nest(SIO_JSON_MAX_DEPTH + 1, object);
		CHECK_INT(scan(s), -1);
		CHECK_INT(scan_n(s, strlen(s), SIO_JSON_MAX_DEPTH + 1),
			  (long)strlen(s));
		free(s);
	}
	/* far deeper than the limit: refused, without deep recursion */
	char *s = nest(200000, 0);
	CHECK_INT(scan(s), -1);
	free(s);
	/* siblings do not add up: only nesting counts */
	char wide[4096];
	size_t n = 0;
	wide[n++] = '[';
	for (int i = 0; i < 500; i++)
		n += (size_t)sprintf(wide + n, "%s[[]]", i ? "," : "");
	wide[n++] = ']';
	CHECK_INT(scan_n(wide, n, 3), (long)n);
	CHECK_INT(scan_n(wide, n, 2), -1);
}

static void test_ws(void)
{
	const char *s = " \t\r\n x";
	CHECK(sio__json_ws(s, s + strlen(s)) == s + 5);
	CHECK(sio__json_ws(s, s + 2) == s + 2);
	CHECK(sio__json_ws(s, s) == s);
	const char *t = "\v\f1"; /* not JSON whitespace */
	CHECK(sio__json_ws(t, t + 3) == t);
}

/* Decodes the literal `lit` (scanned first) with `cap`; checks the result
 * against want/want_len, or a refusal when want_len is -1. */
static void check_decode(int line, const char *lit, size_t cap,
			 const char *want, long want_len)
{
	size_t n = strlen(lit);
	char *b = exact(lit, n);
	const char *e = sio__json_scan(b, b + n, 1);
	if (e != b + n) {
		TEST_FAIL("line %d: %s does not scan", line, lit);
		free(b);
		return;
	}
	char *out = malloc(cap ? cap : 1);
	memset(out, 'Z', cap ? cap : 1);
	long r = sio__json_string_decode(b, b + n, out, cap);
	test_checks++;
	if (r != want_len)
		TEST_FAIL("line %d: decode(%s, cap %zu) = %ld, expected %ld",
			  line, lit, cap, r, want_len);
	else if (r >= 0 && (memcmp(out, want, (size_t)r) != 0 || out[r]))
		TEST_FAIL("line %d: decode(%s) bytes differ", line, lit);
	free(out);
	free(b);
}
#define CHECK_DECODE(lit, cap, want, len)                                      \
	check_decode(__LINE__, lit, cap, want, len)

static void test_string_decode(void)
{
	CHECK_DECODE("\"\"", 1, "", 0);
	CHECK_DECODE("\"abc\"", 16, "abc", 3);
	CHECK_DECODE("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 16, "\"\\/\b\f\n\r\t",
		     8);
	CHECK_DECODE("\"a\\/b\"", 16, "a/b", 3);
	/* \u: one, two and three bytes of UTF-8, either case */
	CHECK_DECODE("\"\\u0041\\u00e9\\u00E9\\u20ac\"", 16,
		     "A\xc3\xa9\xc3\xa9\xe2\x82\xac", 8);
	CHECK_DECODE("\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"", 32,
		     "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11);
	/* surrogate pairs: one code point, four bytes */
	CHECK_DECODE("\"\\ud83d\\ude00\"", 16, "\xf0\x9f\x98\x80", 4);
	CHECK_DECODE("\"\\uD83D\\uDE00\"", 16, "\xf0\x9f\x98\x80", 4);
	CHECK_DECODE("\"\\ud800\\udc00\"", 16, "\xf0\x90\x80\x80", 4);
	CHECK_DECODE("\"\\udbff\\udfff\"", 16, "\xf4\x8f\xbf\xbf", 4);
	CHECK_DECODE("\"x\\ud83d\\ude00y\"", 16, "x\xf0\x9f\x98\x80y", 6);
	/* lone surrogates: U+FFFD each */
	CHECK_DECODE("\"\\ud83d\"", 16, "\xef\xbf\xbd", 3);
	CHECK_DECODE("\"\\ude00\"", 16, "\xef\xbf\xbd", 3);
	CHECK_DECODE("\"\\ud83dx\"", 16, "\xef\xbf\xbdx", 4);
	CHECK_DECODE("\"\\ud83d\\u0041\"", 16,
		     "\xef\xbf\xbd"
		     "A",
		     4);
	CHECK_DECODE("\"\\ud83d\\ud83d\"", 16, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	CHECK_DECODE("\"\\ude00\\ud83d\"", 16, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	CHECK_DECODE("\"\\ud83d\\n\"", 16, "\xef\xbf\xbd\n", 4);
	CHECK_DECODE("\"\\ud83d\\ude00\\ude00\"", 16,
		     "\xf0\x9f\x98\x80\xef\xbf\xbd", 7);
	/* raw bytes pass through */
	CHECK_DECODE("\"\xc3\xa9\xf0\x9f\x98\x80\"", 16,
		     "\xc3\xa9\xf0\x9f\x98\x80", 6);
	/* NUL: refused */
	CHECK_DECODE("\"\\u0000\"", 16, NULL, -1);
	CHECK_DECODE("\"a\\u0000b\"", 16, NULL, -1);
	/* the output must hold the string and its terminator */
	CHECK_DECODE("\"abc\"", 3, NULL, -1);
	CHECK_DECODE("\"abc\"", 4, "abc", 3);
	CHECK_DECODE("\"\"", 1, "", 0);
	CHECK_DECODE("\"a\"", 1, NULL, -1);
	CHECK_DECODE("\"\\u20ac\"", 3, NULL, -1);
	CHECK_DECODE("\"\\u20ac\"", 4, "\xe2\x82\xac", 3);
	CHECK_DECODE("\"\\ud83d\\ude00\"", 4, NULL, -1);
	CHECK_DECODE("\"\\ud83d\\ude00\"", 5, "\xf0\x9f\x98\x80", 4);
	CHECK_DECODE("\"a\\ud83d\"", 4, NULL, -1);
	CHECK_DECODE("\"a\\ud83d\"", 5, "a\xef\xbf\xbd", 4);

	/* a decoded string is never longer than its literal */
	static const char *const lits[] = {
	    "\"\\u0041\"", "\"\\ud83d\"",  "\"\\ud83d\\ude00\"",
	    "\"\\n\"",	   "\"\xc3\xa9\"",
	};
	for (size_t i = 0; i < sizeof(lits) / sizeof(*lits); i++) {
		size_t n = strlen(lits[i]);
		char out[64];
		long r = sio__json_string_decode(lits[i], lits[i] + n, out,
						 sizeof(out));
		CHECK(r >= 0 && (size_t)r <= n - 2);
	}
}

/* sio_args_parse(): the arguments a handler gets, as a json-c array; NULL
 * for anything else. What the packet decoder accepts (the arguments array
 * at most SIO_JSON_MAX_DEPTH deep, whatever its deepest container) must
 * parse. */
static void check_args_parse(int line, const char *json, size_t len, int want)
{
	sio_args_t a = {json, len, NULL, 0};
	json_object *o = sio_args_parse(&a);
	test_checks++;
	if (!!o != want)
		TEST_FAIL("line %d: sio_args_parse(%.*s) %s", line,
			  (int)(len ? len : strlen(json)), json,
			  o ? "parsed" : "refused");
	if (o && !json_object_is_type(o, json_type_array))
		TEST_FAIL("line %d: not an array", line);
	json_object_put(o);
}
#define CHECK_ARGS(json, want) check_args_parse(__LINE__, json, 0, want)

static void test_args_parse(void)
{
	CHECK(sio_args_parse(NULL) == NULL);
	sio_args_t none = {NULL, 0, NULL, 0};
	CHECK(sio_args_parse(&none) == NULL);
	CHECK_ARGS("[]", 1);
	CHECK_ARGS("[1,\"a\",{\"b\":[null]}]", 1);
	CHECK_ARGS(" [ 1 ] ", 1);
	CHECK_ARGS("{}", 0);
	CHECK_ARGS("1", 0);
	CHECK_ARGS("\"a\"", 0);
	CHECK_ARGS("[1,]", 0);
	CHECK_ARGS("[", 0);
	CHECK_ARGS("[1] x", 0);
	/* an explicit length */
	check_args_parse(__LINE__, "[1][2]", 3, 1);
	check_args_parse(__LINE__, "[1,2]", 4, 0);
	json_object *o = NULL;
	sio_args_t two = {"[1,\"x\"]", 0, NULL, 0};
	o = sio_args_parse(&two);
	CHECK(o && json_object_array_length(o) == 2);
	json_object_put(o);

	/* every shape of SIO_JSON_MAX_DEPTH levels: accepted by the scanner,
	 * parsed; one more: neither */
	static const char *const bottoms[] = {"1", "{}", "[]", "{\"a\":1}",
					      "[1]"};
	for (int object = 0; object < 2; object++)
		for (size_t b = 0; b < sizeof(bottoms) / sizeof(*bottoms); b++)
			for (int depth = SIO_JSON_MAX_DEPTH - 1;
			     depth <= SIO_JSON_MAX_DEPTH + 1; depth++) {
				char s[512];
				size_t n = 0;
				/* the arguments array, then containers down to
				 * the bottom (a container itself, or not) */
				int levels =
				    depth - 1 - (bottoms[b][0] == '1' ? 0 : 1);
				s[n++] = '[';
				for (int i = 0; i < levels; i++)
					n += (size_t)sprintf(s + n, "%s",
							     object ? "{\"k\":"
								    : "[");
				n += (size_t)sprintf(s + n, "%s", bottoms[b]);
				for (int i = 0; i < levels; i++)
					s[n++] = object ? '}' : ']';
				s[n++] = ']';
				s[n] = '\0';
				int scanned =
				    sio__json_scan(s, s + n,
						   SIO_JSON_MAX_DEPTH) == s + n;
				CHECK_INT(scanned, depth <= SIO_JSON_MAX_DEPTH);
				check_args_parse(__LINE__, s, 0, scanned);
			}
}

/* sio__json_parse(): the scanner decides, json-c builds. */
static void test_json_parse(void)
{
	static const struct {
		const char *in;
		json_type type; /* json_type_null: refused (NULL) */
	} cases[] = {
	    {"[1,\"a\"]", json_type_array},
	    {" {\"a\":[true]} \n", json_type_object},
	    {"\"s\"", json_type_string},
	    /* a bare number ends where the bytes end (json-c alone would
	     * wait for more: the parse returned NULL) */
	    {"7", json_type_int},
	    {"-1.5e3", json_type_double},
	    {"true", json_type_boolean},
	    {"", json_type_null},
	    {"  ", json_type_null},
	    {"[1] x", json_type_null},
	    {"[1][2]", json_type_null},
	    {"[1,]", json_type_null},
	    {"{\"a\":1,}", json_type_null},
	    {"[01]", json_type_null},
	    {"['a']", json_type_null},
	    {"[\"a\tb\"]", json_type_null},
	    {"NaN", json_type_null},
	    {"[1 2]", json_type_null},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t n = strlen(cases[i].in);
		char *b = exact(cases[i].in, n);
		json_object *o = sio__json_parse(b, n);
		test_checks++;
		if (cases[i].type == json_type_null
			? o != NULL
			: !json_object_is_type(o, cases[i].type))
			TEST_FAIL("sio__json_parse(%s): %s", cases[i].in,
				  o ? json_object_to_json_string(o) : "NULL");
		json_object_put(o);
		free(b);
	}
	/* the bytes are taken as given (a NUL inside is not an end) */
	CHECK(sio__json_parse("[1]\0", 4) == NULL);
	/* the nesting limit, whatever is at the bottom */
	for (int depth = SIO_JSON_MAX_DEPTH; depth <= SIO_JSON_MAX_DEPTH + 1;
	     depth++) {
		char *s = nest(depth, 1); /* {"k":...1...} */
		json_object *o = sio__json_parse(s, strlen(s));
		CHECK_INT(o != NULL, depth <= SIO_JSON_MAX_DEPTH);
		json_object_put(o);
		free(s);
		s = nest(depth, 0); /* [[...1...]] */
		o = sio__json_parse(s, strlen(s));
		CHECK_INT(o != NULL, depth <= SIO_JSON_MAX_DEPTH);
		json_object_put(o);
		free(s);
	}
}

int main(void)
{
	test_scan();
	test_end();
	test_depth();
	test_ws();
	test_string_decode();
	test_args_parse();
	test_json_parse();
	TEST_EXIT();
}

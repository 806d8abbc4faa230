/* A tiny assertion helper for the C unit tests.
 *
 * Each failed check prints one line "file:line: what (values)" to stderr
 * and counts; TEST_EXIT() ends main with 0 when nothing failed, else 1
 * (automake's test driver reports PASS/FAIL per binary). Checks do not
 * abort, so one run shows every failure. */
#ifndef TESTS_TEST_H
#define TESTS_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define TEST_FAIL(...)                                                         \
	do {                                                                   \
		test_failures++;                                               \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
	} while (0)

/* A boolean condition. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		test_checks++;                                                 \
		if (!(cond))                                                   \
			TEST_FAIL("CHECK(%s) failed", #cond);                  \
	} while (0)

/* Two integers (any integer type, compared as long long). */
#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long test_a_ = (long long)(a), test_b_ = (long long)(b);  \
		test_checks++;                                                 \
		if (test_a_ != test_b_)                                        \
			TEST_FAIL("%s == %s failed: %lld != %lld", #a, #b,     \
				  test_a_, test_b_);                           \
	} while (0)

/* Two unsigned sizes. */
#define CHECK_SIZE(a, b)                                                       \
	do {                                                                   \
		unsigned long long test_a_ = (unsigned long long)(a),          \
				   test_b_ = (unsigned long long)(b);          \
		test_checks++;                                                 \
		if (test_a_ != test_b_)                                        \
			TEST_FAIL("%s == %s failed: %llu != %llu", #a, #b,     \
				  test_a_, test_b_);                           \
	} while (0)

/* Two C strings; NULL is a value of its own. */
#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *test_a_ = (a), *test_b_ = (b);                     \
		test_checks++;                                                 \
		if (!test_a_ || !test_b_ ? test_a_ != test_b_                  \
					 : strcmp(test_a_, test_b_) != 0)      \
			TEST_FAIL("%s == %s failed: \"%s\" != \"%s\"", #a, #b, \
				  test_a_ ? test_a_ : "(null)",                \
				  test_b_ ? test_b_ : "(null)");               \
	} while (0)

static inline void test_hex(FILE *f, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t show = n > 64 ? 64 : n;
	for (size_t i = 0; i < show; i++)
		fprintf(f, "%02x", b[i]);
	if (show < n)
		fprintf(f, "...(%zu bytes)", n);
}

/* Two byte ranges, equal in length and content. */
#define CHECK_MEM(a, alen, b, blen)                                            \
	do {                                                                   \
		const void *test_a_ = (a), *test_b_ = (b);                     \
		size_t test_al_ = (alen), test_bl_ = (blen);                   \
		test_checks++;                                                 \
		if (test_al_ != test_bl_ ||                                    \
		    (test_al_ && memcmp(test_a_, test_b_, test_al_) != 0)) {   \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: %s == %s failed: ", __FILE__,  \
				__LINE__, #a, #b);                             \
			test_hex(stderr, test_a_, test_al_);                   \
			fprintf(stderr, " != ");                               \
			test_hex(stderr, test_b_, test_bl_);                   \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

#define TEST_EXIT()                                                            \
	do {                                                                   \
		fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__,        \
			test_checks, test_failures);                           \
		return test_failures ? 1 : 0;                                  \
	} while (0)

#endif

/* Tests of src/ratelimit.c: the token bucket of the rate limits. */
#include "../../src/ratelimit.h"
#include "../test.h"

/* A burst of `rate` goes, the next is refused. */
static void test_burst(void)
{
	sd_bucket_t b = {0};
	for (int i = 0; i < 10; i++)
		CHECK_INT(sd_bucket_take(&b, 10, 10000, 1000), 1);
	CHECK_INT(sd_bucket_take(&b, 10, 10000, 1000), 0);
	CHECK_INT(sd_bucket_take(&b, 10, 10000, 1999), 0);
}

/* Tokens come back at rate/window: one per second for 10 per 10 s. */
static void test_refill(void)
{
	sd_bucket_t b = {0};
	for (int i = 0; i < 10; i++)
		sd_bucket_take(&b, 10, 10000, 5000);
	CHECK_INT(sd_bucket_take(&b, 10, 10000, 5999), 0);
	CHECK_INT(sd_bucket_take(&b, 10, 10000, 6000), 1);
	CHECK_INT(sd_bucket_take(&b, 10, 10000, 6000), 0);
	/* a long pause refills to the burst, never beyond */
	int n = 0;
	while (sd_bucket_take(&b, 10, 10000, 1000000))
		n++;
	CHECK_INT(n, 10);
}

/* A rate of 0 is no limit; time going backwards refills nothing. */
static void test_edges(void)
{
	sd_bucket_t b = {0};
	for (int i = 0; i < 1000; i++)
		CHECK_INT(sd_bucket_take(&b, 0, 10000, 5), 1);
	sd_bucket_t c = {0};
	CHECK_INT(sd_bucket_take(&c, 1, 10000, 50000), 1);
	CHECK_INT(sd_bucket_take(&c, 1, 10000, 40000), 0);
	CHECK_INT(sd_bucket_take(&c, 1, 10000, 50000), 0);
}

int main(void)
{
	test_burst();
	test_refill();
	test_edges();
	TEST_EXIT();
}

/* hist: a fixed-size log-linear latency histogram (nanoseconds).
 * Values below 128 ns have buckets of 1 ns; above, every power of two is
 * cut into 64 equal buckets, so a percentile is within 1/64 (1.6 %) of
 * the true value. Values from 2^40 ns (about 18 minutes) on share the last
 * bucket. Memory is fixed: no sample is kept. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_MAX_SHIFT 34 /* top bucket: 2^40 ns */
#define HIST_BUCKETS (((HIST_MAX_SHIFT + 1) << HIST_SUB_BITS) + \
		      (1 << HIST_SUB_BITS))

struct hist {
	uint64_t count;
	uint64_t min, max; /* exact, ns */
	double sum;        /* ns, for the mean */
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t ns);
/* The value at quantile q (0..1), in ns: the middle of its bucket, but
 * never outside [min, max]. 0 when the histogram is empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif

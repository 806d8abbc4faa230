/* hist: fixed-size log-linear histogram; see hist.h. */
#include "hist.h"

#include <string.h>

#define SUB (1u << HIST_SUB_BITS)

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

/* Bucket of v: below 2*SUB the value itself; above, with e the index of
 * the highest set bit and shift = e - HIST_SUB_BITS, the top
 * HIST_SUB_BITS+1 bits m = v >> shift (SUB <= m < 2*SUB) give
 * shift*SUB + m, which continues the linear range without a gap. */
static unsigned bucket_of(uint64_t v)
{
	if (v < 2 * SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = e - HIST_SUB_BITS;
	if (shift > HIST_MAX_SHIFT)
		return HIST_BUCKETS - 1;
	return shift * SUB + (unsigned)(v >> shift);
}

/* The smallest and largest value of bucket i. */
static void bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
	if (i < 2 * SUB) {
		*lo = *hi = i;
		return;
	}
	unsigned shift = i / SUB - 1;
	uint64_t m = i - shift * SUB;
	*lo = m << shift;
	*hi = ((m + 1) << shift) - 1;
}

void hist_add(struct hist *h, uint64_t ns)
{
	if (h->count == 0 || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count++;
	h->sum += (double)ns;
	h->b[bucket_of(ns)]++;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* the rank of the sample sought, 1-based: ceil(q * count) */
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo, hi;
			bucket_range(i, &lo, &hi);
			uint64_t v = lo + (hi - lo) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

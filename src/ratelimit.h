/* A token bucket: `rate` events per `window_ms`, refilled continuously,
 * with a burst of `rate`. */
#ifndef SD_RATELIMIT_H
#define SD_RATELIMIT_H

#include <stdint.h>

typedef struct sd_bucket {
	double tokens;
	uint64_t last_ms; /* monotonic time of the last refill; 0: full */
} sd_bucket_t;

/* Takes one token at monotonic time `now_ms`: returns 1 when the event
 * may go, 0 when the bucket is empty. A rate of 0 means no limit. */
int sd_bucket_take(sd_bucket_t *b, unsigned rate, unsigned window_ms,
		   uint64_t now_ms);

/* Milliseconds from `now_ms` until the bucket is full again (0: full). */
uint64_t sd_bucket_ms_to_full(const sd_bucket_t *b, unsigned rate,
			      unsigned window_ms, uint64_t now_ms);

#endif /* SD_RATELIMIT_H */

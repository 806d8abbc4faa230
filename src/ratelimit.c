#include "ratelimit.h"

int sd_bucket_take(sd_bucket_t *b, unsigned rate, unsigned window_ms,
		   uint64_t now_ms)
{
	if (rate == 0)
		return 1;
	if (b->last_ms == 0) {
		b->tokens = rate;
		b->last_ms = now_ms ? now_ms : 1;
	} else if (now_ms > b->last_ms) {
		b->tokens +=
		    window_ms ? (double)(now_ms - b->last_ms) * rate / window_ms
			      : rate;
		if (b->tokens > rate)
			b->tokens = rate;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

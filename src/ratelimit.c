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

uint64_t sd_bucket_ms_to_full(const sd_bucket_t *b, unsigned rate,
			      unsigned window_ms, uint64_t now_ms)
{
	if (rate == 0 || b->last_ms == 0)
		return 0;
	double missing = rate - b->tokens;
	uint64_t need = (uint64_t)(missing * window_ms / rate + 0.999);
	uint64_t since = now_ms > b->last_ms ? now_ms - b->last_ms : 0;
	return need > since ? need - since : 0;
}

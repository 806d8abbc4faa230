/* The service's counters and their Prometheus text exposition. */
#ifndef SD_METRICS_H
#define SD_METRICS_H

#include <eio.h>
#include <stdint.h>

struct evbuffer;

/* Disconnect reasons counted by name; anything else counts as "other". */
#define SD_METRICS_REASONS 9

typedef struct sd_metrics {
	uint64_t connects;
	uint64_t disconnects[SD_METRICS_REASONS + 1];
	uint64_t events_in;	/* events from clients */
	uint64_t emits;		/* emits by the service and the API */
	uint64_t chat_messages; /* messages accepted from clients */
	uint64_t rate_limited;	/* events refused by a rate limit */
	uint64_t auth_failures; /* connections refused by auth */
	uint64_t api_requests;	/* HTTP API requests, any answer */
} sd_metrics_t;

/* Counts a disconnect with Node's reason string. */
void sd_metrics_disconnect(sd_metrics_t *m, const char *reason);

/* Appends the Prometheus text format of `m`, the engine's counters `es`
 * and the gauges to `out`. */
void sd_metrics_render(const sd_metrics_t *m, const eio_stats_t *es,
		       size_t sockets, size_t rooms, double uptime_s,
		       struct evbuffer *out);

#endif /* SD_METRICS_H */

/* stats:listeners {count, peak}: to everyone every stats-interval when
 * it changed, and to each socket as it connects. */
#include "../common/clock.h"
#include "service.h"

#include <event2/event.h>
#include <json-c/json.h>

static struct json_object *listeners(const sd_service_t *svc, size_t count)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int64(count));
	json_object_object_add(o, "peak", json_object_new_int64(svc->peak));
	return o;
}

static void tick(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	sd_service_t *svc = ud;
	size_t count = sio_room_size(svc->nsp, NULL);
	if (count == svc->sent_count && svc->peak == svc->sent_peak)
		return;
	svc->sent_count = count;
	svc->sent_peak = svc->peak;
	sd_emit(svc, NULL, NULL, "stats:listeners", listeners(svc, count));
}

int sd_stats_start(sd_service_t *svc)
{
	if (svc->cfg->stats_interval_ms == 0)
		return 0;
	svc->stats_ev = event_new(svc->base, -1, EV_PERSIST, tick, svc);
	if (!svc->stats_ev)
		return -1;
	struct timeval tv = clock_tv(svc->cfg->stats_interval_ms);
	return event_add(svc->stats_ev, &tv);
}

void sd_stats_connected(sd_service_t *svc, sd_client_t *c)
{
	sd_emit_socket(c, "stats:listeners",
		       listeners(svc, sio_room_size(svc->nsp, NULL)));
}

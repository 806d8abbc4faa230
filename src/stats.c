/* stats:listeners {count, peak}: to everyone every stats-interval when
 * it changed, and to each socket as it connects. With --redis the count
 * is the cluster's: each node shares its own every interval and adds the
 * others' (a node not heard of for three intervals is gone); each node
 * sends the total to its own sockets. */
#include "../common/clock.h"
#include "service.h"

#include <event2/event.h>
#include <json-c/json.h>
#include <stdlib.h>

#define MAX_PEERS 1024
#define PEER_LIFE 3 /* intervals */

typedef struct sd_peer {
	uint32_t id;
	size_t count;
	uint64_t seen_ms;
} sd_peer_t;

/* The sockets of the cluster: this node's and the others' still heard
 * of (the ones gone are dropped); the peak follows. */
static size_t total(sd_service_t *svc)
{
	size_t n = sio_room_size(svc->nsp, NULL);
	uint64_t now = clock_monotonic_ms();
	uint64_t life = PEER_LIFE * (uint64_t)svc->cfg->stats_interval_ms;
	for (size_t i = 0; i < svc->npeers;) {
		if (now - svc->peers[i].seen_ms > life) {
			svc->peers[i] = svc->peers[--svc->npeers];
			continue;
		}
		n += svc->peers[i++].count;
	}
	if (n > svc->listeners_peak)
		svc->listeners_peak = n;
	return n;
}

static struct json_object *listeners(const sd_service_t *svc, size_t count)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int64(count));
	json_object_object_add(o, "peak",
			       json_object_new_int64(svc->listeners_peak));
	return o;
}

static void tick(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	sd_service_t *svc = ud;
	struct json_object *a = json_object_new_array_ext(2);
	json_object_array_add(a, json_object_new_int64(svc->id_prefix));
	json_object_array_add(
	    a, json_object_new_int64(sio_room_size(svc->nsp, NULL)));
	sd_share(svc, SD_SHARE_LISTENERS, a);
	size_t count = total(svc);
	if (count == svc->sent_count && svc->listeners_peak == svc->sent_peak)
		return;
	svc->sent_count = count;
	svc->sent_peak = svc->listeners_peak;
	sd_emit_local(svc, "stats:listeners", listeners(svc, count));
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
	sd_emit_socket(c, "stats:listeners", listeners(svc, total(svc)));
}

void sd_stats_shared(sd_service_t *svc, struct json_object *args)
{
	struct json_object *id = json_object_array_get_idx(args, 0);
	struct json_object *count = json_object_array_get_idx(args, 1);
	if (json_object_array_length(args) != 2 ||
	    !json_object_is_type(id, json_type_int) ||
	    !json_object_is_type(count, json_type_int) ||
	    json_object_get_int64(count) < 0 ||
	    json_object_get_int64(id) == svc->id_prefix)
		return;
	sd_peer_t *p = NULL;
	for (size_t i = 0; !p && i < svc->npeers; i++)
		if (svc->peers[i].id == json_object_get_int64(id))
			p = &svc->peers[i];
	if (!p) {
		sd_peer_t *n = svc->npeers < MAX_PEERS
				   ? realloc(svc->peers,
					     (svc->npeers + 1) * sizeof(*n))
				   : NULL;
		if (!n)
			return;
		svc->peers = n;
		p = &n[svc->npeers++];
		p->id = (uint32_t)json_object_get_int64(id);
	}
	p->count = (size_t)json_object_get_int64(count);
	p->seen_ms = clock_monotonic_ms();
}

void sd_stats_free(sd_service_t *svc)
{
	if (svc->stats_ev)
		event_free(svc->stats_ev);
	free(svc->peers);
}

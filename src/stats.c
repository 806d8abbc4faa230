/* stats:listeners {count, peak}: to everyone every stats-interval when
 * it changed, and to each socket as it connects. With --redis the counts
 * are the cluster's: each node shares its own every interval, the sockets
 * of "/" and of each room joined through the service, and adds the
 * others' (a node not heard of for three intervals is gone); each node
 * sends the total to its own sockets. */
#include "../common/clock.h"
#include "service.h"

#include <event2/event.h>
#include <json-c/json.h>
#include <stdlib.h>

#define MAX_PEERS 1024
#define MAX_SHARED_ROOMS 10000 /* per node and interval */
#define PEER_LIFE 3	       /* intervals */

typedef struct sd_peer {
	uint32_t id;
	size_t count;
	struct json_object *rooms; /* {room: sockets} */
	uint64_t seen_ms;
} sd_peer_t;

/* Drops the other nodes not heard of for PEER_LIFE intervals (every
 * interval: a count in between may still hold a node gone for less than
 * one more). */
static void prune(sd_service_t *svc)
{
	uint64_t now = clock_monotonic_ms();
	uint64_t life = PEER_LIFE * (uint64_t)svc->cfg->stats_interval_ms;
	for (size_t i = 0; i < svc->npeers;) {
		if (now - svc->peers[i].seen_ms <= life) {
			i++;
			continue;
		}
		uint32_t gone = svc->peers[i].id;
		json_object_put(svc->peers[i].rooms);
		svc->peers[i] = svc->peers[--svc->npeers];
		sd_presence_node_gone(svc, gone);
	}
}

/* The sockets of the cluster: this node's and the others' still heard
 * of; the peak follows. */
static size_t total(sd_service_t *svc)
{
	size_t n = sio_room_size(svc->nsp, NULL);
	for (size_t i = 0; i < svc->npeers; i++)
		n += svc->peers[i].count;
	if (n > svc->listeners_peak)
		svc->listeners_peak = n;
	return n;
}

size_t sd_room_count(sd_service_t *svc, const char *room)
{
	size_t n = sio_room_size(svc->nsp, room);
	for (size_t i = 0; i < svc->npeers; i++) {
		struct json_object *v;
		if (json_object_object_get_ex(svc->peers[i].rooms, room, &v))
			n += (size_t)json_object_get_int64(v);
	}
	return n;
}

/* {room: sockets} of the rooms this node's sockets joined through the
 * service (at most MAX_SHARED_ROOMS). */
static void add_rooms(void *ud, sio_socket_t *s)
{
	struct json_object *rooms = ud;
	const sd_client_t *c = sio_socket_data(s);
	for (const sd_member_t *m = c ? c->joined : NULL; m; m = m->next) {
		struct json_object *v;
		if (json_object_object_get_ex(rooms, m->room, &v))
			json_object_int_inc(v, 1);
		else if (json_object_object_length(rooms) < MAX_SHARED_ROOMS)
			json_object_object_add(rooms, m->room,
					       json_object_new_int64(1));
	}
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
	if (sd_clustered(svc)) {
		struct json_object *rooms = json_object_new_object();
		sio_fetch_sockets(svc->nsp, NULL, add_rooms, rooms);
		struct json_object *a = json_object_new_array_ext(3);
		json_object_array_add(a, json_object_new_int64(svc->id_prefix));
		json_object_array_add(
		    a, json_object_new_int64(sio_room_size(svc->nsp, NULL)));
		json_object_array_add(a, rooms);
		sd_share(svc, SD_SHARE_LISTENERS, a);
	}
	prune(svc);
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
	struct json_object *rooms = json_object_array_get_idx(args, 2);
	if (json_object_array_length(args) != 3 ||
	    !json_object_is_type(id, json_type_int) ||
	    !json_object_is_type(count, json_type_int) ||
	    !json_object_is_type(rooms, json_type_object) ||
	    json_object_get_int64(count) < 0 ||
	    json_object_get_int64(id) == svc->id_prefix)
		return;
	json_object_object_foreach(rooms, room, v)
	{
		(void)room;
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0)
			return;
	}
	sd_peer_t *p = NULL;
	for (size_t i = 0; !p && i < svc->npeers; i++)
		if (svc->peers[i].id == json_object_get_int64(id))
			p = &svc->peers[i];
	if (!p) {
		sd_peer_t *n =
		    svc->npeers < MAX_PEERS
			? realloc(svc->peers, (svc->npeers + 1) * sizeof(*n))
			: NULL;
		if (!n)
			return;
		svc->peers = n;
		p = &n[svc->npeers++];
		p->id = (uint32_t)json_object_get_int64(id);
		p->rooms = NULL;
	}
	p->count = (size_t)json_object_get_int64(count);
	json_object_put(p->rooms);
	p->rooms = json_object_get(rooms);
	p->seen_ms = clock_monotonic_ms();
}

void sd_stats_free(sd_service_t *svc)
{
	if (svc->stats_ev)
		event_free(svc->stats_ev);
	for (size_t i = 0; i < svc->npeers; i++)
		json_object_put(svc->peers[i].rooms);
	free(svc->peers);
}

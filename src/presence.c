/* presence:online / presence:offline across the nodes of a cluster
 * (--redis): a user is online while it has a socket on any node. Each
 * node tells the others when one of its users comes or goes (SD_SHARE_
 * PRESENCE) and keeps, per user, the other nodes it is on; the node where
 * a user's first socket in the cluster arrives (or last one leaves)
 * announces it to everyone. A node not heard of for three stats
 * intervals is gone (stats.c): each node then tells its own sockets that
 * the users who were only there are offline. On one node: the first and
 * the last socket of the user, as before. */
#include "service.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* The other nodes a user is on: key (owned) -> this. */
typedef struct remote {
	char *id;
	uint32_t *nodes;
	size_t n;
} remote_t;

static void remote_free(remote_t *r)
{
	free(r->id);
	free(r->nodes);
	free(r);
}

static int elsewhere(const sd_service_t *svc, const char *id)
{
	const remote_t *r = hmap_get(&svc->presence, id);
	return r && r->n > 0;
}

static void announce_offline(sd_service_t *svc, const char *id, int local)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "userId", json_object_new_string(id));
	sio_target_t to = {.flags = local ? SIO_LOCAL : 0};
	sd_emit_to(svc, &to, "presence:offline", o);
}

static void share(sd_service_t *svc, const sd_user_t *u, int online)
{
	struct json_object *a = json_object_new_array_ext(3);
	json_object_array_add(a, json_object_new_int64(svc->id_prefix));
	json_object_array_add(a, json_object_new_string(u->id));
	json_object_array_add(a, json_object_new_boolean(online));
	sd_share(svc, SD_SHARE_PRESENCE, a);
}

void sd_presence_came(sd_service_t *svc, sd_user_t *u)
{
	share(svc, u, 1);
	if (!elsewhere(svc, u->id))
		sd_emit(svc, NULL, NULL, "presence:online", sd_user_object(u));
}

void sd_presence_went(sd_service_t *svc, sd_user_t *u)
{
	share(svc, u, 0);
	if (!elsewhere(svc, u->id))
		announce_offline(svc, u->id, 0);
}

/* Takes node `node` out of the nodes of `r` (freed when none is left,
 * its key removed first). Returns 1 when it was the last. */
static int drop_node(sd_service_t *svc, remote_t *r, uint32_t node)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->nodes[i] == node) {
			r->nodes[i] = r->nodes[--r->n];
			break;
		}
	if (r->n)
		return 0;
	hmap_del(&svc->presence, r->id);
	remote_free(r);
	return 1;
}

void sd_presence_shared(sd_service_t *svc, struct json_object *args)
{
	struct json_object *node = json_object_array_get_idx(args, 0);
	struct json_object *user = json_object_array_get_idx(args, 1);
	struct json_object *online = json_object_array_get_idx(args, 2);
	if (json_object_array_length(args) != 3 ||
	    !json_object_is_type(node, json_type_int) ||
	    !json_object_is_type(user, json_type_string) ||
	    !json_object_is_type(online, json_type_boolean) ||
	    json_object_get_string_len(user) > SD_MAX_USER_ID)
		return;
	uint32_t id = (uint32_t)json_object_get_int64(node);
	const char *uid = json_object_get_string(user);
	remote_t *r = hmap_get(&svc->presence, uid);
	if (!json_object_get_boolean(online)) {
		if (r)
			drop_node(svc, r, id);
		return;
	}
	for (size_t i = 0; r && i < r->n; i++)
		if (r->nodes[i] == id)
			return;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))) || !(r->id = strdup(uid)) ||
		    hmap_put(&svc->presence, r->id, r) < 0) {
			if (r)
				free(r->id);
			free(r);
			return;
		}
	}
	uint32_t *n = realloc(r->nodes, (r->n + 1) * sizeof(*n));
	if (!n) {
		if (!r->n) {
			hmap_del(&svc->presence, r->id);
			remote_free(r);
		}
		return;
	}
	r->nodes = n;
	r->nodes[r->n++] = id;
}

void sd_presence_node_gone(sd_service_t *svc, uint32_t node)
{
	/* collect first: dropping edits the table */
	size_t count = svc->presence.count, k = 0, i = 0;
	remote_t **all = count ? malloc(count * sizeof(*all)) : NULL;
	hmap_entry_t *e;
	while (all && (e = hmap_next(&svc->presence, &i)))
		all[k++] = e->value;
	for (i = 0; i < k; i++) {
		char *id = strdup(all[i]->id);
		if (id && drop_node(svc, all[i], node)) {
			const sd_user_t *u = hmap_get(&svc->users, id);
			if (!u || !u->sockets)
				announce_offline(svc, id, 1);
		}
		free(id);
	}
	free(all);
}

void sd_presence_free(sd_service_t *svc)
{
	hmap_entry_t *e;
	size_t i = 0;
	while ((e = hmap_next(&svc->presence, &i)))
		remote_free(e->value);
	hmap_free(&svc->presence);
}

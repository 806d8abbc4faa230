/* Memberships: the rooms a socket joined through the service, with what
 * its going must announce. They are kept in the socket's state as well,
 * so that a socket recovered after a dropped connection is again a member
 * of its chat, video and channel rooms (announced to the others as on a
 * join) and announces its leaving when it goes for good. */
#include "service.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* The payload keys a membership may be named by (sd_member_t.key). */
static const char *const keys[] = {"room", "roomId", "videoId", "channelId",
				   "serverId"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

sd_member_t *sd_member_find(const sd_client_t *c, const char *room)
{
	for (sd_member_t *m = c->joined; m; m = m->next)
		if (strcmp(m->room, room) == 0)
			return m;
	return NULL;
}

static void member_free(sd_member_t *m)
{
	free(m->value);
	free(m);
}

/* A new membership at the head of c->joined; NULL when out of memory. */
static sd_member_t *member_add(sd_client_t *c, const char *room,
			       sd_join_kind_t kind, const char *key,
			       const char *value)
{
	size_t len = strlen(room);
	sd_member_t *m = calloc(1, sizeof(*m) + len + 1);
	if (!m || !(m->value = strdup(value))) {
		free(m);
		return NULL;
	}
	memcpy(m->room, room, len);
	m->kind = kind;
	m->key = key;
	m->next = c->joined;
	c->joined = m;
	c->njoined++;
	return m;
}

/* Frees every membership, announcing each as left when `announce`. */
static void members_drop(sd_client_t *c, int announce)
{
	while (c->joined) {
		sd_member_t *m = c->joined;
		c->joined = m->next;
		c->njoined--;
		if (announce)
			sd_announce_leave(c, m);
		member_free(m);
	}
}

/* Writes the memberships into the socket's state ("memberships", as
 * [room, kind, key, value] arrays, oldest first). Out of memory, the
 * state keeps the previous list: a recovery would restore that one. */
static void members_save(sd_client_t *c)
{
	const char *state = sio_socket_state(c->sock);
	struct json_object *st = state ? json_tokener_parse(state) : NULL;
	if (!st)
		return;
	struct json_object *list = json_object_new_array();
	size_t i = c->njoined;
	for (const sd_member_t *m = c->joined; m; m = m->next) {
		struct json_object *e = json_object_new_array();
		json_object_array_add(e, json_object_new_string(m->room));
		json_object_array_add(e, json_object_new_int(m->kind));
		json_object_array_add(e, json_object_new_string(m->key));
		json_object_array_add(e, json_object_new_string(m->value));
		json_object_array_put_idx(list, --i, e);
	}
	json_object_object_add(st, "memberships", list);
	sio_socket_set_state(c->sock, json_object_to_json_string_ext(
					  st, JSON_C_TO_STRING_PLAIN));
	json_object_put(st);
}

int sd_members_restore(sd_client_t *c, struct json_object *list)
{
	size_t n = json_object_is_type(list, json_type_array)
		       ? json_object_array_length(list)
		       : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		const char *room =
		    json_object_get_string(json_object_array_get_idx(e, 0));
		int kind = json_object_get_int(json_object_array_get_idx(e, 1));
		const char *key =
		    json_object_get_string(json_object_array_get_idx(e, 2));
		const char *value =
		    json_object_get_string(json_object_array_get_idx(e, 3));
		size_t k = 0;
		while (key && k < NKEYS && strcmp(keys[k], key) != 0)
			k++;
		/* the state is ours, but a room the socket is no longer in (or
		 * a malformed entry) is no membership */
		if (!room || !value || k == NKEYS || kind < SD_JOIN_PLAIN ||
		    kind > SD_JOIN_CHANNEL || !sio_socket_in(c->sock, room) ||
		    sd_member_find(c, room))
			continue;
		if (!member_add(c, room, kind, keys[k], value)) {
			members_drop(c, 0);
			return -1;
		}
	}
	return 0;
}

void sd_members_announce(sd_client_t *c)
{
	for (sd_member_t *m = c->joined; m; m = m->next)
		sd_announce_join(c, m);
}

const char *sd_join(sd_client_t *c, const char *room, sd_join_kind_t kind,
		    const char *key, const char *value)
{
	if (!sd_valid_room(room))
		return "invalid room";
	if (!sd_may_join(c, room))
		return "forbidden";
	sd_member_t *m = sd_member_find(c, room);
	if (m) {
		char *v;
		if (m->kind != SD_JOIN_PLAIN || kind == SD_JOIN_PLAIN)
			return NULL;
		if (!(v = strdup(value)))
			return "server error";
		free(m->value);
		m->value = v;
		m->kind = kind;
		m->key = key;
	} else {
		if (c->njoined >= c->svc->cfg->max_rooms_per_socket)
			return "too many rooms";
		if (!(m = member_add(c, room, kind, key, value)))
			return "server error";
		if (sio_socket_join(c->sock, room) < 0) {
			c->joined = m->next;
			c->njoined--;
			member_free(m);
			return "server error";
		}
	}
	members_save(c);
	sd_announce_join(c, m);
	return NULL;
}

const char *sd_leave(sd_client_t *c, const char *room)
{
	if (!sd_may_leave(c, room))
		return "forbidden";
	for (sd_member_t **pp = &c->joined; *pp; pp = &(*pp)->next) {
		sd_member_t *m = *pp;
		if (strcmp(m->room, room) != 0)
			continue;
		*pp = m->next;
		c->njoined--;
		sio_socket_leave(c->sock, m->room);
		members_save(c);
		sd_announce_leave(c, m);
		member_free(m);
		return NULL;
	}
	sio_socket_leave(c->sock, room);
	return NULL;
}

void sd_members_leave_all(sd_client_t *c)
{
	members_drop(c, 1);
}

/* Rooms, presence lists and video rooms: join:room, leave:room,
 * join-room, leave-room, presence:list, video:join, video:leave,
 * video:progress. */
#include "service.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *count_object(const char *key, const char *value,
					size_t count)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(value));
	json_object_object_add(o, "count", json_object_new_int64(count));
	return o;
}

/* The room of join:room {room} or join-room "room"; NULL when the
 * payload has none. */
static const char *room_arg(const char *event, struct json_object *arg)
{
	if (strchr(event, '-')) /* join-room, leave-room: a plain string */
		return json_object_is_type(arg, json_type_string)
			   ? json_object_get_string(arg)
			   : sd_get_string(arg, "roomId");
	return sd_get_string(arg, "room");
}

/* user-joined / user-left {user, roomId} to the others (seed 001). */
static void announce_user(sd_client_t *c, const char *room, const char *ev)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "user", sd_user_object(c->user));
	json_object_object_add(o, "roomId", json_object_new_string(room));
	sd_emit_others(c, room, ev, o);
}

static void on_join(sd_client_t *c, const char *event, struct json_object *arg,
		    sio_ack_t *ack)
{
	const char *room = room_arg(event, arg);
	int seed001 = strchr(event, '-') != NULL;
	if (!room) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	const char *err =
	    sd_join(c, room, SD_JOIN_PLAIN, seed001 ? "roomId" : "room", room);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	sd_ack_ok(ack, count_object("room", room, sd_room_count(c->svc, room)));
}

static void on_leave(sd_client_t *c, const char *event, struct json_object *arg,
		     sio_ack_t *ack)
{
	const char *room = room_arg(event, arg);
	const char *err = !room			 ? "invalid payload"
			  : !sd_valid_room(room) ? "invalid room"
						 : sd_leave(c, room);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	sd_ack_ok(ack, count_object("room", room, sd_room_count(c->svc, room)));
}

/* {videoId, count} to the room of the video membership `m`. */
static void viewers(sd_service_t *svc, const sd_member_t *m)
{
	sd_emit(svc, m->room, NULL, "video:viewers",
		count_object("videoId", m->value, sd_room_count(svc, m->room)));
}

void sd_announce_join(sd_client_t *c, const sd_member_t *m)
{
	switch (m->kind) {
	case SD_JOIN_CHAT: sd_chat_announce_join(c, m); break;
	case SD_JOIN_VIDEO: viewers(c->svc, m); break;
	case SD_JOIN_PLAIN:
		if (strcmp(m->key, "roomId") == 0)
			announce_user(c, m->room, "user-joined");
		break;
	case SD_JOIN_CHANNEL: break;
	}
}

void sd_announce_leave(sd_client_t *c, const sd_member_t *m)
{
	sd_chat_stop_typing(c, m->room);
	switch (m->kind) {
	case SD_JOIN_CHAT: sd_chat_announce_leave(c, m); break;
	case SD_JOIN_VIDEO: viewers(c->svc, m); break;
	case SD_JOIN_PLAIN:
		if (strcmp(m->key, "roomId") == 0)
			announce_user(c, m->room, "user-left");
		break;
	case SD_JOIN_CHANNEL: break;
	}
}

/* --- presence:list ---------------------------------------------------- */

typedef struct presence {
	hmap_t seen;
	struct json_object *users;
} presence_t;

/* {userId, username} into p->users unless that user is in already. */
static void list_user(presence_t *p, const char *id, const char *name)
{
	if (hmap_get(&p->seen, id))
		return;
	struct json_object *u = json_object_new_object();
	json_object_object_add(u, "userId", json_object_new_string(id));
	json_object_object_add(u, "username", json_object_new_string(name));
	/* the key lives in `u`, in p->users */
	if (hmap_put(&p->seen, sd_get_string(u, "userId"), u) == 0)
		json_object_array_add(p->users, u);
	else
		json_object_put(u);
}

static void add_user(void *ud, sio_socket_t *s)
{
	const sd_client_t *c = sio_socket_data(s);
	if (c)
		list_user(ud, c->user->id, c->user->name);
}

static int by_user_id(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;
	return strcmp(sd_get_string(*x, "userId"), sd_get_string(*y, "userId"));
}

struct json_object *sd_room_users(sd_service_t *svc, const char *room)
{
	presence_t p = {.users = json_object_new_array()};
	const char *rooms[1] = {room};
	sio_target_t to = {.rooms = rooms, .nrooms = 1};
	sio_fetch_sockets(svc->nsp, &to, add_user, &p);
	hmap_free(&p.seen);
	json_object_array_sort(p.users, by_user_id);
	return p.users;
}

/* A presence:list waiting for the cluster's sockets; `client` NULL once
 * its socket is gone (then nothing is answered). */
struct sd_pending {
	struct sd_pending *next;
	sd_client_t *client;
	sio_ack_t ack;
	char room[];
};

#define PRESENCE_TIMEOUT_MS 2000

/* The users of the sockets the cluster reported (their state: userId,
 * username; sockets of other servers without them are left out), once
 * each, sorted; with what came before a timeout. */
static void remote_users(void *ud, int err, const sio_remote_socket_t *sockets,
			 size_t n)
{
	(void)err;
	sd_pending_t *p = ud;
	sd_client_t *c = p->client;
	if (c) {
		for (sd_pending_t **pp = &c->pending; *pp; pp = &(*pp)->next)
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		presence_t l = {.users = json_object_new_array()};
		for (size_t i = 0; i < n; i++) {
			struct json_object *st =
			    json_tokener_parse(sockets[i].data_json);
			const char *id = sd_get_string(st, "userId");
			const char *name = sd_get_string(st, "username");
			if (id && name)
				list_user(&l, id, name);
			json_object_put(st);
		}
		hmap_free(&l.seen);
		json_object_array_sort(l.users, by_user_id);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "room",
				       json_object_new_string(p->room));
		json_object_object_add(o, "users", l.users);
		sd_ack_ok(&p->ack, o);
	}
	free(p);
}

void sd_pending_drop(sd_client_t *c)
{
	for (sd_pending_t *p = c->pending; p; p = p->next)
		p->client = NULL;
	c->pending = NULL;
}

static void on_presence_list(sd_client_t *c, const char *event,
			     struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	const char *room = sd_get_string(arg, "room");
	if (!room) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	if (!sd_valid_room(room)) {
		sd_ack_error(ack, "invalid room");
		return;
	}
	if (!sd_may_join(c, room)) {
		sd_ack_error(ack, "forbidden");
		return;
	}
	if (ack->id < 0)
		return; /* nobody to tell */
	size_t len = strlen(room);
	sd_pending_t *p = malloc(sizeof(*p) + len + 1);
	const char *rooms[1] = {room};
	sio_target_t to = {.rooms = rooms, .nrooms = 1};
	if (!p) {
		sd_ack_error(ack, "server error");
		return;
	}
	memcpy(p->room, room, len + 1);
	p->client = c;
	p->ack = *ack;
	if (sio_fetch_remote_sockets(c->svc->nsp, &to, PRESENCE_TIMEOUT_MS,
				     remote_users, p) < 0) {
		/* Redis unreachable: this node's users */
		free(p);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "room", json_object_new_string(room));
		json_object_object_add(o, "users", sd_room_users(c->svc, room));
		sd_ack_ok(ack, o);
		return;
	}
	ack->id = -1; /* answered later, through the copy */
	p->next = c->pending;
	c->pending = p;
}

/* --- video ------------------------------------------------------------ */

/* "video:{videoId}" for a payload's videoId; NULL when there is none or
 * it is too long. */
static const char *video_room(struct json_object *arg,
			      char room[SD_MAX_ROOM + 1], const char **id)
{
	*id = sd_get_string(arg, "videoId");
	if (!*id) { /* numbers are ids too */
		struct json_object *v;
		if (!json_object_object_get_ex(arg, "videoId", &v) ||
		    !json_object_is_type(v, json_type_int))
			return NULL;
		*id = json_object_get_string(v);
	}
	return sd_room_name(room, "video", *id) == 0 ? room : NULL;
}

static void on_video(sd_client_t *c, const char *event, struct json_object *arg,
		     sio_ack_t *ack)
{
	sd_service_t *svc = c->svc;
	char buf[SD_MAX_ROOM + 1];
	const char *id;
	const char *room = video_room(arg, buf, &id);
	if (!room) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	if (strcmp(event, "video:join") == 0) {
		const char *err =
		    sd_join(c, room, SD_JOIN_VIDEO, "videoId", id);
		if (err) {
			sd_ack_error(ack, err);
			return;
		}
	} else {
		sd_leave(c, room);
	}
	sd_ack_ok(ack, count_object("videoId", id, sd_room_count(svc, room)));
}

static void on_video_progress(sd_client_t *c, const char *event,
			      struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	char buf[SD_MAX_ROOM + 1], user_room[SD_MAX_ROOM + 1];
	const char *id;
	struct json_object *ts;
	if (!video_room(arg, buf, &id) ||
	    !json_object_object_get_ex(arg, "timestamp", &ts) ||
	    !(json_object_is_type(ts, json_type_int) ||
	      json_object_is_type(ts, json_type_double))) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "videoId", json_object_new_string(id));
	json_object_object_add(o, "timestamp", json_object_get(ts));
	if (sd_user_room(user_room, c->user->id) == 0)
		sd_emit_others(c, user_room, "video:sync", o);
	else
		json_object_put(o);
	sd_ack_ok(ack, NULL);
}

const sd_event_t sd_room_events[] = {
    {"join:room", on_join, 0},
    {"leave:room", on_leave, 0},
    {"join-room", on_join, 0},
    {"leave-room", on_leave, 0},
    {"presence:list", on_presence_list, 0},
    {"video:join", on_video, 0},
    {"video:leave", on_video, 0},
    {"video:progress", on_video_progress, 0},
    {NULL, NULL, 0},
};

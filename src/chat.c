/* Chat: chat:join, chat:leave, chat:message, chat:history, chat:typing,
 * chat:react, chat:read, and seed 001's send-message, typing-start,
 * typing-stop and add-reaction. Rooms keep their last messages; typing
 * indicators expire. */
#include "../common/clock.h"
#include "service.h"

#include <event2/event.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_EMOJI 32
#define HISTORY_PAGE 50
#define HISTORY_PAGE_MAX 100

/* --- History ---------------------------------------------------------- */

typedef struct chat_room {
	struct json_object **ring; /* history_size slots, oldest at `head` */
	size_t head, len;
	char name[];
} chat_room_t;

static void room_free(sd_service_t *svc, chat_room_t *r);

/* Makes room for the history of one more room: at --history-rooms, drops
 * that of a room nobody is in. Returns -1 when every room has members. */
static int room_evict(sd_service_t *svc)
{
	if (svc->rooms.count < svc->cfg->history_rooms)
		return 0;
	hmap_entry_t *e;
	size_t i = 0;
	while ((e = hmap_next(&svc->rooms, &i))) {
		chat_room_t *r = e->value;
		if (sio_room_size(svc->nsp, r->name) == 0) {
			hmap_del(&svc->rooms, r->name);
			room_free(svc, r);
			return 0;
		}
	}
	return -1;
}

static chat_room_t *room_get(sd_service_t *svc, const char *name, int create)
{
	chat_room_t *r = hmap_get(&svc->rooms, name);
	if (r || !create || svc->cfg->history_size == 0 || room_evict(svc) < 0)
		return r;
	size_t len = strlen(name);
	r = calloc(1, sizeof(*r) + len + 1);
	if (!r || !(r->ring = calloc(svc->cfg->history_size, sizeof(void *)))) {
		free(r);
		return NULL;
	}
	memcpy(r->name, name, len);
	if (hmap_put(&svc->rooms, r->name, r) < 0) {
		free(r->ring);
		free(r);
		return NULL;
	}
	return r;
}

static struct json_object *history_at(const sd_service_t *svc,
				      const chat_room_t *r, size_t i)
{
	return r->ring[(r->head + i) % svc->cfg->history_size];
}

static void history_add(sd_service_t *svc, const char *room,
			struct json_object *msg)
{
	chat_room_t *r = room_get(svc, room, 1);
	if (!r)
		return;
	size_t cap = svc->cfg->history_size;
	if (r->len == cap) {
		json_object_put(r->ring[r->head]);
		r->ring[r->head] = json_object_get(msg);
		r->head = (r->head + 1) % cap;
	} else {
		r->ring[(r->head + r->len++) % cap] = json_object_get(msg);
	}
}

/* Messages of `room` older than the one with id `before` (all when NULL;
 * none when that message is no longer kept: a client paging back has
 * seen the rest), at most `limit`, oldest first. */
static struct json_object *history_page(sd_service_t *svc, const char *room,
					const char *before, size_t limit)
{
	struct json_object *out = json_object_new_array();
	chat_room_t *r = room_get(svc, room, 0);
	if (!r)
		return out;
	size_t end = r->len;
	if (before) {
		for (end = 0; end < r->len; end++)
			if (strcmp(sd_get_string(history_at(svc, r, end), "id"),
				   before) == 0)
				break;
		if (end == r->len)
			end = 0;
	}
	size_t start = end > limit ? end - limit : 0;
	for (size_t i = start; i < end; i++)
		json_object_array_add(out,
				      json_object_get(history_at(svc, r, i)));
	return out;
}

static int history_has(sd_service_t *svc, const char *room, const char *id)
{
	chat_room_t *r = room_get(svc, room, 0);
	for (size_t i = 0; r && i < r->len; i++)
		if (strcmp(sd_get_string(history_at(svc, r, i), "id"), id) == 0)
			return 1;
	return 0;
}

/* --- The cluster: every node keeps the whole history ------------------ */

/* Keeps `msg` in the history of `room`, here and, with --redis, on the
 * other nodes: a client joining there gets it too. */
static void history_keep(sd_service_t *svc, const char *room,
			 struct json_object *msg)
{
	history_add(svc, room, msg);
	struct json_object *a = json_object_new_array_ext(2);
	json_object_array_add(a, json_object_new_string(room));
	json_object_array_add(a, json_object_get(msg));
	sd_share(svc, SD_SHARE_HISTORY, a);
}

void sd_chat_shared(sd_service_t *svc, struct json_object *args)
{
	struct json_object *room = json_object_array_get_idx(args, 0);
	struct json_object *msg = json_object_array_get_idx(args, 1);
	const char *name = json_object_get_string(room);
	const char *id = sd_get_string(msg, "id");
	if (json_object_array_length(args) == 2 &&
	    json_object_is_type(room, json_type_string) &&
	    sd_valid_room(name) && json_object_is_type(msg, json_type_object) &&
	    id && !history_has(svc, name, id))
		history_add(svc, name, msg);
}

size_t sd_chat_room_count(const sd_service_t *svc)
{
	return svc->rooms.count;
}

static void room_free(sd_service_t *svc, chat_room_t *r)
{
	for (size_t k = 0; k < r->len; k++)
		json_object_put(history_at(svc, r, k));
	free(r->ring);
	free(r);
}

void sd_chat_free_rooms(sd_service_t *svc)
{
	hmap_entry_t *e;
	size_t i = 0;
	while ((e = hmap_next(&svc->rooms, &i)))
		room_free(svc, e->value);
	hmap_free(&svc->rooms);
}

/* --- Payloads --------------------------------------------------------- */

/* Where a chat event goes: {room} or {videoId} (a video's chat room), or
 * seed 001's {roomId}. */
typedef struct target {
	const char *key, *value;
	char room[SD_MAX_ROOM + 1];
} target_t;

/* NULL, or the error for the client: a payload naming no room, or a
 * room name too long. */
static const char *target_of(struct json_object *arg, target_t *t)
{
	static const char *const keys[] = {"room", "videoId", "roomId"};
	for (size_t i = 0; i < 3; i++) {
		const char *v = sd_get_string(arg, keys[i]);
		if (!v)
			continue;
		t->key = keys[i];
		t->value = v;
		int n = snprintf(t->room, sizeof(t->room),
				 i == 1 ? "video:%s:chat" : "%s", v);
		return n > 0 && (size_t)n < sizeof(t->room) ? NULL
							    : "invalid room";
	}
	return "invalid payload";
}

/* A new object naming the target as the client did. */
static struct json_object *target_object(const target_t *t)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, t->key, json_object_new_string(t->value));
	return o;
}

/* The target of `arg`, answering the ack when it has none or the client
 * is not in the room. */
static int in_target(sd_client_t *c, struct json_object *arg, target_t *t,
		     sio_ack_t *ack)
{
	const char *err = target_of(arg, t);
	if (err) {
		sd_ack_error(ack, err);
		return 0;
	}
	if (!sio_socket_in(c->sock, t->room)) {
		sd_ack_error(ack, "not in room");
		return 0;
	}
	return 1;
}

/* --- Join, leave, system messages ------------------------------------- */

static void user_count(sd_service_t *svc, const char *room, const char *key,
		       const char *value)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(value));
	json_object_object_add(o, "count",
			       json_object_new_int64(sd_room_count(svc, room)));
	sd_emit(svc, room, NULL, "chat:user-count", o);
}

/* "<name> <verb>" from the system; the text is whole however long the
 * name (a cut could split a character, and clients drop invalid UTF-8). */
static struct json_object *system_message(sd_service_t *svc, const char *key,
					  const char *value, const char *name,
					  const char *verb)
{
	char id[24];
	sd_service_new_id(svc, id);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, key, json_object_new_string(value));
	json_object_object_add(o, "userId", json_object_new_string("system"));
	json_object_object_add(o, "username", json_object_new_string("system"));
	size_t size = strlen(name) + strlen(verb) + 2;
	char *text = malloc(size);
	if (text)
		snprintf(text, size, "%s %s", name, verb);
	json_object_object_add(o, "message",
			       json_object_new_string(text ? text : verb));
	free(text);
	json_object_object_add(o, "timestamp",
			       json_object_new_int64(clock_epoch_ms()));
	json_object_object_add(o, "system", json_object_new_boolean(1));
	return o;
}

static void announce(sd_client_t *c, const sd_member_t *m, const char *verb)
{
	user_count(c->svc, m->room, m->key, m->value);
	struct json_object *msg =
	    system_message(c->svc, m->key, m->value, c->user->name, verb);
	sd_emit(c->svc, m->room, sio_socket_id(c->sock), "chat:message", msg);
}

void sd_chat_announce_join(sd_client_t *c, const sd_member_t *m)
{
	announce(c, m, "joined");
}

void sd_chat_announce_leave(sd_client_t *c, const sd_member_t *m)
{
	announce(c, m, "left");
}

static void on_join(sd_client_t *c, const char *event, struct json_object *arg,
		    sio_ack_t *ack)
{
	(void)event;
	target_t t;
	const char *err = target_of(arg, &t);
	if (!err && strcmp(t.key, "roomId") == 0)
		err = "invalid payload";
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	err = sd_join(c, t.room, SD_JOIN_CHAT, t.key, t.value);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	struct json_object *o = target_object(&t);
	json_object_object_add(
	    o, "count", json_object_new_int64(sd_room_count(c->svc, t.room)));
	json_object_object_add(
	    o, "history", history_page(c->svc, t.room, NULL, HISTORY_PAGE_MAX));
	sd_ack_ok(ack, o);
}

static void on_leave(sd_client_t *c, const char *event, struct json_object *arg,
		     sio_ack_t *ack)
{
	(void)event;
	target_t t;
	const char *err = target_of(arg, &t);
	if (!err)
		err = sd_leave(c, t.room);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	sd_ack_ok(ack, target_object(&t));
}

/* --- Messages ---------------------------------------------------------- */

static void on_message(sd_client_t *c, const char *event,
		       struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	sd_service_t *svc = c->svc;
	target_t t;
	if (!in_target(c, arg, &t, ack))
		return;
	const char *text;
	const char *err = sd_message_arg(svc, arg, "message", &text);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	char id[24];
	sd_service_new_id(svc, id);
	uint64_t now = clock_epoch_ms();
	struct json_object *msg = json_object_new_object();
	json_object_object_add(msg, "id", json_object_new_string(id));
	json_object_object_add(msg, t.key, json_object_new_string(t.value));
	sd_add_user(msg, c->user);
	json_object_object_add(msg, "message", json_object_new_string(text));
	json_object_object_add(msg, "timestamp", json_object_new_int64(now));
	history_keep(svc, t.room, msg);
	svc->metrics.chat_messages++;
	sd_emit(svc, t.room, NULL, "chat:message", msg);

	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "timestamp", json_object_new_int64(now));
	sd_ack_ok(ack, o);
}

/* seed 001: the payload kept, with id, user and time added */
static void on_send_message(sd_client_t *c, const char *event,
			    struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	sd_service_t *svc = c->svc;
	target_t t;
	if (!in_target(c, arg, &t, ack))
		return;
	struct json_object *msg = sd_posted_message(c, arg, ack);
	if (!msg)
		return;
	uint64_t now = clock_epoch_ms();
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char when[32];
	gmtime_r(&secs, &tm);
	size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%03uZ", (unsigned)(now % 1000));
	json_object_object_add(msg, "createdAt", json_object_new_string(when));
	history_keep(svc, t.room, msg);
	sd_emit(svc, t.room, NULL, "new-message", json_object_get(msg));
	sd_ack_posted(ack, msg);
}

static void on_history(sd_client_t *c, const char *event,
		       struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	target_t t;
	const char *err = target_of(arg, &t);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	if (!sd_may_join(c, t.room)) {
		sd_ack_error(ack, "forbidden");
		return;
	}
	size_t limit = HISTORY_PAGE;
	struct json_object *v;
	if (json_object_object_get_ex(arg, "limit", &v)) {
		int64_t l = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || l < 1 ||
		    l > HISTORY_PAGE_MAX) {
			sd_ack_error(ack, "invalid payload");
			return;
		}
		limit = (size_t)l;
	}
	struct json_object *o = target_object(&t);
	json_object_object_add(
	    o, "messages",
	    history_page(c->svc, t.room, sd_get_string(arg, "before"), limit));
	sd_ack_ok(ack, o);
}

/* --- Reactions and read receipts --------------------------------------- */

static void on_react(sd_client_t *c, const char *event, struct json_object *arg,
		     sio_ack_t *ack)
{
	target_t t;
	if (!in_target(c, arg, &t, ack))
		return;
	const char *mid = sd_get_string(arg, "messageId");
	const char *emoji = sd_get_string(arg, "emoji");
	if (!mid || !emoji || strlen(emoji) > MAX_EMOJI) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	if (!history_has(c->svc, t.room, mid)) {
		sd_ack_error(ack, "message not found");
		return;
	}
	struct json_object *o = target_object(&t);
	json_object_object_add(o, "messageId", json_object_new_string(mid));
	json_object_object_add(o, "emoji", json_object_new_string(emoji));
	sd_add_user(o, c->user);
	int seed001 = strcmp(event, "add-reaction") == 0;
	sd_emit(c->svc, t.room, NULL,
		seed001 ? "reaction-added" : "chat:reaction", o);
	sd_ack_ok(ack, NULL);
}

static void on_read(sd_client_t *c, const char *event, struct json_object *arg,
		    sio_ack_t *ack)
{
	(void)event;
	target_t t;
	if (!in_target(c, arg, &t, ack))
		return;
	const char *mid = sd_get_string(arg, "messageId");
	if (!mid) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	struct json_object *o = target_object(&t);
	json_object_object_add(o, "messageId", json_object_new_string(mid));
	sd_add_user(o, c->user);
	json_object_object_add(o, "timestamp",
			       json_object_new_int64(clock_epoch_ms()));
	sd_emit_others(c, t.room, "chat:read", o);
	sd_ack_ok(ack, NULL);
}

/* --- Typing ------------------------------------------------------------ */

struct sd_typing {
	sd_typing_t *next;
	sd_client_t *client;
	struct event *timer;
	int seed001; /* typing-start/stop rather than chat:typing */
	const char *key;
	char *value;
	char room[];
};

static void typing_emit(sd_typing_t *ty, int on)
{
	sd_client_t *c = ty->client;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, ty->key, json_object_new_string(ty->value));
	sd_add_user(o, c->user);
	/* the socket may be disconnecting: not sd_emit_others() */
	const char *self = sio_socket_id(c->sock);
	if (ty->seed001) {
		sd_emit(c->svc, ty->room, self,
			on ? "typing-start" : "typing-stop", o);
		return;
	}
	json_object_object_add(o, "isTyping", json_object_new_boolean(on));
	sd_emit(c->svc, ty->room, self, "chat:typing", o);
}

static void typing_free(sd_typing_t *ty)
{
	event_free(ty->timer);
	free(ty->value);
	free(ty);
}

/* Removes the indicator and tells the others it stopped. */
static void typing_stop(sd_typing_t *ty)
{
	sd_client_t *c = ty->client;
	for (sd_typing_t **pp = &c->typing; *pp; pp = &(*pp)->next)
		if (*pp == ty) {
			*pp = ty->next;
			break;
		}
	typing_emit(ty, 0);
	typing_free(ty);
}

static void typing_expired(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	typing_stop(ud);
}

static sd_typing_t *typing_find(sd_client_t *c, const char *room)
{
	for (sd_typing_t *ty = c->typing; ty; ty = ty->next)
		if (strcmp(ty->room, room) == 0)
			return ty;
	return NULL;
}

static void typing_start(sd_client_t *c, const target_t *t, int seed001)
{
	sd_typing_t *ty = typing_find(c, t->room);
	if (!ty) {
		size_t len = strlen(t->room);
		ty = calloc(1, sizeof(*ty) + len + 1);
		if (!ty || !(ty->value = strdup(t->value)) ||
		    !(ty->timer =
			  evtimer_new(c->svc->base, typing_expired, ty))) {
			if (ty)
				free(ty->value);
			free(ty);
			return;
		}
		memcpy(ty->room, t->room, len);
		ty->client = c;
		ty->key = t->key;
		ty->seed001 = seed001;
		ty->next = c->typing;
		c->typing = ty;
		typing_emit(ty, 1);
	}
	struct timeval tv = clock_tv(c->svc->cfg->typing_timeout_ms);
	evtimer_add(ty->timer, &tv);
}

static void on_typing(sd_client_t *c, const char *event,
		      struct json_object *arg, sio_ack_t *ack)
{
	target_t t;
	if (!in_target(c, arg, &t, ack))
		return;
	int seed001 = strncmp(event, "typing-", 7) == 0;
	int on;
	if (seed001) {
		on = strcmp(event, "typing-start") == 0;
	} else {
		struct json_object *v;
		if (!json_object_object_get_ex(arg, "isTyping", &v) ||
		    !json_object_is_type(v, json_type_boolean)) {
			sd_ack_error(ack, "invalid payload");
			return;
		}
		on = json_object_get_boolean(v);
	}
	if (on)
		typing_start(c, &t, seed001);
	else
		sd_chat_stop_typing(c, t.room);
	sd_ack_ok(ack, NULL);
}

void sd_chat_stop_typing(sd_client_t *c, const char *room)
{
	sd_typing_t *ty = typing_find(c, room);
	if (ty)
		typing_stop(ty);
}

void sd_chat_client_gone(sd_client_t *c)
{
	while (c->typing)
		typing_stop(c->typing);
}

const sd_event_t sd_chat_events[] = {
    {"chat:join", on_join, 0},
    {"chat:leave", on_leave, 0},
    {"chat:message", on_message, SD_EVENT_MESSAGE},
    {"chat:history", on_history, 0},
    {"chat:typing", on_typing, 0},
    {"chat:react", on_react, 0},
    {"chat:read", on_read, 0},
    {"send-message", on_send_message, SD_EVENT_MESSAGE},
    {"typing-start", on_typing, 0},
    {"typing-stop", on_typing, 0},
    {"add-reaction", on_react, 0},
    {NULL, NULL, 0},
};

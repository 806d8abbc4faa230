/* Notifications: the subscriptions and unread counts of
 * notifications:subscribe, :unsubscribe, :read and :count, the delivery
 * behind POST /api/notify, and seed 004's chat servers: user:join,
 * channel:join, message:send (unread badges) and notifications:get. */
#include "../common/clock.h"
#include "service.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEPT_NOTIFICATIONS 100
#define MAX_UNREAD_CHANNELS 256 /* unread counts kept per user */

/* The id member of a payload: a non-empty string, or an integer. */
static const char *id_arg(struct json_object *arg, const char *key)
{
	struct json_object *v;
	if (!json_object_is_type(arg, json_type_object) ||
	    !json_object_object_get_ex(arg, key, &v))
		return NULL;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_string(v);
	return sd_get_string(arg, key);
}

static struct json_object *unread_object(size_t unread)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "unread", json_object_new_int64(unread));
	return o;
}

/* notifications:count {unread} to every socket of the user (`local`:
 * on this node only). */
static void push_unread(sd_service_t *svc, const sd_user_t *u, int local)
{
	char room[SD_MAX_ROOM + 1];
	if (sd_user_room(room, u->id) < 0)
		return;
	const char *rooms[1] = {room};
	sio_target_t to = {
	    .rooms = rooms, .nrooms = 1, .flags = local ? SIO_LOCAL : 0};
	sd_emit_to(svc, &to, "notifications:count", unread_object(u->unread));
}

/* --- Per-user notifications -------------------------------------------- */

static void keep(sd_user_t *u, struct json_object *n)
{
	if (!u->notifications)
		u->notifications = json_object_new_array();
	if (json_object_array_length(u->notifications) >= KEPT_NOTIFICATIONS) {
		struct json_object *old =
		    json_object_array_get_idx(u->notifications, 0);
		struct json_object *read;
		json_object_object_get_ex(old, "read", &read);
		if (!json_object_get_boolean(read))
			u->unread--;
		json_object_array_del_idx(u->notifications, 0, 1);
	}
	struct json_object *entry = json_object_new_object();
	json_object_object_add(
	    entry, "id", json_object_get(json_object_object_get(n, "id")));
	json_object_object_add(entry, "read", json_object_new_boolean(0));
	json_object_array_add(u->notifications, entry);
	u->unread++;
}

/* Marks the kept entry `e` read; 1 when it was unread. */
static int mark_read(sd_user_t *u, struct json_object *e)
{
	if (json_object_get_boolean(json_object_object_get(e, "read")))
		return 0;
	json_object_object_add(e, "read", json_object_new_boolean(1));
	u->unread--;
	return 1;
}

typedef struct gather {
	struct json_object *n;
	hmap_t seen;
	int sockets;
} gather_t;

static void gather_user(void *ud, sio_socket_t *s)
{
	gather_t *g = ud;
	sd_client_t *c = sio_socket_data(s);
	if (!c)
		return;
	g->sockets++;
	if (hmap_get(&g->seen, c->user->id) ||
	    hmap_put(&g->seen, c->user->id, c->user) < 0)
		return;
	keep(c->user, g->n);
}

/* The notification `n` (its id) kept for the users of this node's
 * sockets subscribed to `room` (channel:ID), except user `from` (may be
 * NULL), who are told their new count (`local`: by this node only).
 * Returns the sockets. */
static int keep_for_subscribers(sd_service_t *svc, const char *room,
				const char *from, struct json_object *n,
				int local)
{
	char except[SD_MAX_ROOM + 1];
	if (from && sd_user_room(except, from) < 0)
		return 0;
	gather_t g = {.n = n};
	const char *rooms[1] = {room}, *exc[1] = {except};
	sio_target_t to = {.rooms = rooms,
			   .nrooms = 1,
			   .except = exc,
			   .nexcept = from ? 1 : 0};
	sio_fetch_sockets(svc->nsp, &to, gather_user, &g);
	hmap_entry_t *e;
	size_t i = 0;
	while ((e = hmap_next(&g.seen, &i)))
		push_unread(svc, e->value, local);
	hmap_free(&g.seen);
	return g.sockets;
}

/* Tells the other nodes ([userId|null, channelId|null, from|null, id]). */
static void share_notification(sd_service_t *svc, const char *user_id,
			       const char *channel_id, const char *from,
			       const char *id)
{
	struct json_object *a = json_object_new_array_ext(4);
	const char *v[4] = {user_id, channel_id, from, id};
	for (size_t i = 0; i < 4; i++)
		json_object_array_add(a, v[i] ? json_object_new_string(v[i])
					      : NULL);
	sd_share(svc, SD_SHARE_NOTIFY, a);
}

int sd_notify(sd_service_t *svc, const char *user_id, const char *channel_id,
	      const char *from, struct json_object *notification, char id[24])
{
	char room[SD_MAX_ROOM + 1], except[SD_MAX_ROOM + 1];
	if (sd_room_name(room, user_id ? "user" : "channel",
			 user_id ? user_id : channel_id) < 0 ||
	    (from && sd_user_room(except, from) < 0))
		return -EINVAL;
	struct json_object *n = json_object_new_object();
	json_object_object_foreach(notification, k, v)
	    json_object_object_add(n, k, json_object_get(v));
	sd_service_new_id(svc, id);
	json_object_object_add(n, "id", json_object_new_string(id));
	if (!json_object_object_get_ex(n, "timestamp", NULL))
		json_object_object_add(n, "timestamp",
				       json_object_new_int64(clock_epoch_ms()));
	int reached = 0;
	if (user_id) {
		sd_user_t *u = NULL;
		if (from && strcmp(from, user_id) == 0) {
			/* never to the user who caused it */
		} else if (!(u = sd_user_get(svc, user_id, NULL))) {
			reached = -ENOMEM;
		} else {
			keep(u, n);
			/* the other nodes keep it before their clients see it
			 */
			share_notification(svc, user_id, NULL, from, id);
			reached = (int)sio_room_size(svc->nsp, room);
			int r = sd_emit(svc, room, NULL, "notification",
					json_object_get(n));
			if (r < 0)
				reached = r;
			push_unread(svc, u, 0);
			sd_user_idle(svc, u); /* kept a while if offline */
		}
	} else {
		share_notification(svc, NULL, channel_id, from, id);
		reached = keep_for_subscribers(svc, room, from, n, 0);
		int r = sd_emit(svc, room, from ? except : NULL, "notification",
				json_object_get(n));
		if (r < 0)
			reached = r;
	}
	json_object_put(n);
	return reached;
}

static void on_subscribe(sd_client_t *c, const char *event,
			 struct json_object *arg, sio_ack_t *ack)
{
	const char *id = id_arg(arg, "channelId");
	char room[SD_MAX_ROOM + 1];
	if (!id || sd_room_name(room, "channel", id) < 0) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	if (strcmp(event, "notifications:subscribe") == 0) {
		const char *err =
		    sd_join(c, room, SD_JOIN_PLAIN, "channelId", id);
		if (err) {
			sd_ack_error(ack, err);
			return;
		}
	} else {
		sd_leave(c, room);
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "channelId", json_object_new_string(id));
	sd_ack_ok(ack, o);
}

static void on_read(sd_client_t *c, const char *event, struct json_object *arg,
		    sio_ack_t *ack)
{
	(void)event;
	const char *id = id_arg(arg, "notificationId");
	if (!id) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	sd_user_t *u = c->user;
	size_t n =
	    u->notifications ? json_object_array_length(u->notifications) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e =
		    json_object_array_get_idx(u->notifications, i);
		if (strcmp(sd_get_string(e, "id"), id) != 0)
			continue;
		if (mark_read(u, e)) {
			push_unread(c->svc, u, 0);
			struct json_object *a = json_object_new_array_ext(2);
			json_object_array_add(a, json_object_new_string(u->id));
			json_object_array_add(a, json_object_new_string(id));
			sd_share(c->svc, SD_SHARE_READ, a);
		}
		sd_ack_ok(ack, unread_object(u->unread));
		return;
	}
	sd_ack_error(ack, "notification not found");
}

void sd_notify_shared(sd_service_t *svc, struct json_object *args)
{
	const char *v[4];
	int shape = sd_shared_strings(args, 4, v);
	const char *user_id = v[0], *channel_id = v[1], *from = v[2];
	char room[SD_MAX_ROOM + 1];
	if (shape < 0 || !v[3] || !user_id == !channel_id ||
	    sd_room_name(room, user_id ? "user" : "channel",
			 user_id ? user_id : channel_id) < 0)
		return;
	struct json_object *n = json_object_new_object();
	json_object_object_add(n, "id", json_object_new_string(v[3]));
	if (channel_id) {
		keep_for_subscribers(svc, room, from, n, 1);
	} else if (!from || strcmp(from, user_id) != 0) {
		sd_user_t *u = sd_user_get(svc, user_id, NULL);
		if (u) {
			keep(u, n);
			sd_user_idle(svc, u);
		}
	}
	json_object_put(n);
}

void sd_notify_shared_read(sd_service_t *svc, struct json_object *args)
{
	const char *v[2];
	if (sd_shared_strings(args, 2, v) < 0 || !v[0] || !v[1])
		return;
	sd_user_t *u = hmap_get(&svc->users, v[0]);
	size_t n = u && u->notifications
		       ? json_object_array_length(u->notifications)
		       : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e =
		    json_object_array_get_idx(u->notifications, i);
		if (strcmp(sd_get_string(e, "id"), v[1]) == 0) {
			mark_read(u, e);
			return;
		}
	}
}

static void on_count(sd_client_t *c, const char *event, struct json_object *arg,
		     sio_ack_t *ack)
{
	(void)event;
	(void)arg;
	sd_emit_socket(c, "notifications:count",
		       unread_object(c->user->unread));
	sd_ack_ok(ack, unread_object(c->user->unread));
}

/* --- Seed 004: chat servers and their unread badges --------------------- */

/* The unread count of `channel` of `server` for `u`, created at 0 when
 * absent; NULL when the user has too many or out of memory. */
static sd_unread_t *unread_entry(sd_user_t *u, const char *server,
				 const char *channel)
{
	for (size_t i = 0; i < u->nchannels; i++)
		if (strcmp(u->channels[i].server, server) == 0 &&
		    strcmp(u->channels[i].channel, channel) == 0)
			return &u->channels[i];
	if (u->nchannels >= MAX_UNREAD_CHANNELS)
		return NULL;
	sd_unread_t *n =
	    realloc(u->channels, (u->nchannels + 1) * sizeof(*u->channels));
	if (!n)
		return NULL;
	u->channels = n;
	sd_unread_t *e = &n[u->nchannels];
	e->server = strdup(server);
	e->channel = strdup(channel);
	e->count = 0;
	if (!e->server || !e->channel) {
		free(e->server);
		free(e->channel);
		return NULL;
	}
	u->nchannels++;
	return e;
}

/* The channel was read: its count goes (entries at 0 are not kept). */
static void unread_clear(sd_user_t *u, sd_unread_t *e)
{
	free(e->server);
	free(e->channel);
	*e = u->channels[--u->nchannels];
	if (u->nchannels == 0) {
		free(u->channels);
		u->channels = NULL;
	}
}

static unsigned server_unread(const sd_user_t *u, const char *server)
{
	unsigned n = 0;
	for (size_t i = 0; i < u->nchannels; i++)
		if (strcmp(u->channels[i].server, server) == 0)
			n += u->channels[i].count;
	return n;
}

static struct json_object *server_count(const sd_user_t *u, const char *server)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "serverId", json_object_new_string(server));
	json_object_object_add(o, "count",
			       json_object_new_int64(server_unread(u, server)));
	return o;
}

static void on_user_join(sd_client_t *c, const char *event,
			 struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	const char *id = id_arg(arg, "serverId");
	char room[SD_MAX_ROOM + 1];
	if (!id || sd_room_name(room, "server", id) < 0) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	const char *err = sd_join(c, room, SD_JOIN_PLAIN, "serverId", id);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "serverId", json_object_new_string(id));
	sd_ack_ok(ack, o);
}

/* User `u` opened `channel` of `server` (NULL: of every server): its
 * unread counts there go. */
static void channel_read(sd_user_t *u, const char *server, const char *channel)
{
	for (size_t i = 0; i < u->nchannels;)
		if (strcmp(u->channels[i].channel, channel) == 0 &&
		    (!server || strcmp(u->channels[i].server, server) == 0))
			unread_clear(u, &u->channels[i]);
		else
			i++;
}

void sd_notify_shared_channel_read(sd_service_t *svc, struct json_object *args)
{
	const char *v[3]; /* userId, serverId or null, channelId */
	sd_user_t *u = NULL;
	if (sd_shared_strings(args, 3, v) == 0 && v[0] && v[2] &&
	    (v[1] || !json_object_array_get_idx(args, 1)) &&
	    (u = hmap_get(&svc->users, v[0])))
		channel_read(u, v[1], v[2]);
}

static void on_channel_join(sd_client_t *c, const char *event,
			    struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	const char *id = id_arg(arg, "channelId");
	const char *server = id_arg(arg, "serverId");
	char room[SD_MAX_ROOM + 1];
	if (!id || sd_room_name(room, "channel", id) < 0) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	for (sd_member_t *m = c->joined; m; m = m->next)
		if (m->kind == SD_JOIN_CHANNEL && strcmp(m->room, room) != 0) {
			sd_leave(c, m->room); /* one channel at a time */
			break;
		}
	const char *err = sd_join(c, room, SD_JOIN_CHANNEL, "channelId", id);
	if (err) {
		sd_ack_error(ack, err);
		return;
	}
	/* the channel is read (in every server, without serverId), here and
	 * on the other nodes; with a serverId, the user's devices get the
	 * server's new count */
	sd_user_t *u = c->user;
	channel_read(u, server, id);
	struct json_object *a = json_object_new_array_ext(3);
	json_object_array_add(a, json_object_new_string(u->id));
	json_object_array_add(a,
			      server ? json_object_new_string(server) : NULL);
	json_object_array_add(a, json_object_new_string(id));
	sd_share(c->svc, SD_SHARE_CHANNEL_READ, a);
	char user_room[SD_MAX_ROOM + 1];
	if (server && sd_user_room(user_room, u->id) == 0)
		sd_emit(c->svc, user_room, NULL, "notifications:count",
			server_count(u, server));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "channelId", json_object_new_string(id));
	sd_ack_ok(ack, o);
}

typedef struct badge {
	sio_socket_t **sockets;
	size_t n, cap;
} badge_t;

static void collect(void *ud, sio_socket_t *s)
{
	badge_t *b = ud;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		sio_socket_t **n = realloc(b->sockets, cap * sizeof(*n));
		if (!n)
			return;
		b->sockets = n;
		b->cap = cap;
	}
	b->sockets[b->n++] = s;
}

/* notification:update to this node's members of the server not in the
 * channel nor user `sender`, each user counted once however many
 * sockets. */
static void badges(sd_service_t *svc, const char *sender, const char *server,
		   const char *channel)
{
	char server_room[SD_MAX_ROOM + 1], channel_room[SD_MAX_ROOM + 1],
	    self[SD_MAX_ROOM + 1];
	if (sd_room_name(server_room, "server", server) < 0 ||
	    sd_room_name(channel_room, "channel", channel) < 0 ||
	    sd_user_room(self, sender) < 0)
		return;
	const char *rooms[1] = {server_room}, *exc[2] = {channel_room, self};
	sio_target_t to = {
	    .rooms = rooms, .nrooms = 1, .except = exc, .nexcept = 2};
	badge_t b = {0};
	sio_fetch_sockets(svc->nsp, &to, collect, &b);
	hmap_t counted = {0};
	for (size_t i = 0; i < b.n; i++) {
		sd_client_t *c = sio_socket_data(b.sockets[i]);
		if (!c)
			continue;
		sd_user_t *u = c->user;
		if (!hmap_get(&counted, u->id) &&
		    hmap_put(&counted, u->id, u) == 0) {
			sd_unread_t *e = unread_entry(u, server, channel);
			if (e)
				e->count++;
		}
		struct json_object *o = server_count(u, server);
		json_object_object_add(o, "channelId",
				       json_object_new_string(channel));
		sd_emit_socket(c, "notification:update", o);
	}
	hmap_free(&counted);
	free(b.sockets);
}

void sd_notify_shared_badges(sd_service_t *svc, struct json_object *args)
{
	const char *v[3];
	if (sd_shared_strings(args, 3, v) == 0 && v[0] && v[1] && v[2])
		badges(svc, v[2], v[0], v[1]);
}

static void on_message_send(sd_client_t *c, const char *event,
			    struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	sd_service_t *svc = c->svc;
	const char *id = id_arg(arg, "channelId");
	const char *server = id_arg(arg, "serverId");
	char room[SD_MAX_ROOM + 1];
	if (!id || sd_room_name(room, "channel", id) < 0) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	if (!sio_socket_in(c->sock, room)) {
		sd_ack_error(ack, "not in room");
		return;
	}
	struct json_object *msg = sd_posted_message(c, arg, ack);
	if (!msg)
		return;
	json_object_object_add(msg, "timestamp",
			       json_object_new_int64(clock_epoch_ms()));
	sd_emit(svc, room, NULL, "message:new", json_object_get(msg));
	if (server) {
		badges(svc, c->user->id, server, id);
		struct json_object *a = json_object_new_array_ext(3);
		json_object_array_add(a, json_object_new_string(server));
		json_object_array_add(a, json_object_new_string(id));
		json_object_array_add(a, json_object_new_string(c->user->id));
		sd_share(svc, SD_SHARE_BADGES, a);
	}
	sd_ack_posted(ack, msg);
}

static void on_notifications_get(sd_client_t *c, const char *event,
				 struct json_object *arg, sio_ack_t *ack)
{
	(void)event;
	const char *server = id_arg(arg, "serverId");
	if (!server) {
		sd_ack_error(ack, "invalid payload");
		return;
	}
	sd_emit_socket(c, "notifications:count", server_count(c->user, server));
	sd_ack_ok(ack, server_count(c->user, server));
}

const sd_event_t sd_notify_events[] = {
    {"notifications:subscribe", on_subscribe, 0},
    {"notifications:unsubscribe", on_subscribe, 0},
    {"notifications:read", on_read, 0},
    {"notifications:count", on_count, 0},
    {"user:join", on_user_join, 0},
    {"channel:join", on_channel_join, 0},
    {"message:send", on_message_send, SD_EVENT_MESSAGE},
    {"notifications:get", on_notifications_get, 0},
    {NULL, NULL, 0},
};

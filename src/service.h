/* The built-in service of socketiod: the events of man/socketiod-events.7
 * on the namespace "/", through the public sio.h API only.
 *
 * This header is shared by the service's modules (identity.c, users.c,
 * rooms.c, chat.c, notify.c, relay.c, stats.c, api.c); the program sees
 * only sd_service_new(), sd_service_request() and sd_service_free(). */
#ifndef SD_SERVICE_H
#define SD_SERVICE_H

#include "../common/hmap.h"
#include "config.h"
#include "jwt.h"
#include "metrics.h"
#include "ratelimit.h"

#include <sio.h>

struct json_object;
struct event;
typedef struct sd_static sd_static_t;

typedef struct sd_user sd_user_t;
typedef struct sd_client sd_client_t;
typedef struct sd_service sd_service_t;

/* A room name from a client or a back end: at most SD_MAX_ROOM bytes; a
 * userId: short enough that its room "user:{id}" is a room name. */
#define SD_MAX_ROOM 128
#define SD_MAX_USER_ID (SD_MAX_ROOM - 5)

/* --- The service ----------------------------------------------------- */

struct sd_service {
	struct event_base *base;
	sio_server_t *srv;
	sio_nsp_t *nsp; /* "/" */
	const sd_config_t *cfg;
	sd_jwt_keys_t keys;
	uint8_t *secret; /* owned copy behind keys.secret */
	sd_static_t *files;
	hmap_t users; /* userId -> sd_user_t, while it has sockets or state */
	hmap_t rooms; /* room -> sd_room_t, chat rooms with history */
	hmap_t presence; /* userId -> the other nodes it is on (presence.c) */
	sd_metrics_t metrics;
	uint32_t id_prefix; /* random per run: ids unique across restarts */
	uint64_t next_id;
	uint64_t started_ms;
	size_t peak;		      /* most sockets at once, this node */
	size_t sent_count, sent_peak; /* the last stats:listeners */
	size_t listeners_peak;	      /* most sockets at once, cluster */
	struct sd_peer *peers;	      /* the other nodes' counts (stats.c) */
	size_t npeers;
	struct event *stats_ev;
	struct sd_route *routes; /* of the registered events */
	int draining;
};

/* Creates the service on `srv` (registering its handlers on "/") with
 * `cfg`, which must outlive it. `files` (may be NULL) serves the demo.
 * Returns NULL with *error set on a bad key, a relay event named as one of
 * the service's own, or out of memory. */
sd_service_t *sd_service_new(struct event_base *base, sio_server_t *srv,
			     const sd_config_t *cfg, sd_static_t *files,
			     const char **error);
/* Starts draining: /ready fails from now on. */
void sd_service_drain(sd_service_t *svc);
void sd_service_free(sd_service_t *svc);

/* The HTTP request callback: the API, /health, /ready, /metrics, the
 * demo; 404 for the rest (api.c). */
void sd_service_request(void *ud, eio_request_t *req);

/* A new id for a message or notification: unique in this run, and
 * across runs with high probability. `out` holds 24 bytes. */
void sd_service_new_id(sd_service_t *svc, char out[24]);

/* --- Users and their sockets (users.c, identity.c) ------------------- */

/* A user: every socket with the same userId, across devices; kept while
 * it has sockets, then while its message bucket refills, and while it
 * has notifications or unread counts for --offline-state. */
struct sd_user {
	sd_service_t *svc;
	char *id;
	char *name;
	size_t sockets;
	/* no userId was given: the id is its one socket's, and its coming
	 * and going are not announced */
	unsigned anonymous : 1;
	/* notifications kept for the user, newest last (notify.c) */
	struct json_object *notifications; /* array of {id,...,read} */
	size_t unread;
	/* unread messages per channel of a chat server (seed 004) */
	struct sd_unread *channels;
	size_t nchannels;
	sd_bucket_t messages; /* rate limit of the message events */
	struct event *linger; /* with no socket left: when to forget it */
};

/* An unread count of seed 004: messages of a channel of a server since
 * the user last opened it; entries at 0 are dropped. */
typedef struct sd_unread {
	char *server, *channel;
	unsigned count;
} sd_unread_t;

/* A room a socket joined through the service, to undo on disconnect. */
typedef enum {
	SD_JOIN_PLAIN,	 /* join:room, join-room, subscriptions */
	SD_JOIN_CHAT,	 /* chat:join: user counts and system messages */
	SD_JOIN_VIDEO,	 /* video:join: viewer counts */
	SD_JOIN_CHANNEL, /* channel:join (seed 004): one at a time */
} sd_join_kind_t;

/* A room joined through the service, remembered to announce the
 * socket's going: the payload key the client named it by ("room",
 * "videoId", "channelId") and that value. */
typedef struct sd_member {
	struct sd_member *next;
	sd_join_kind_t kind;
	const char *key;
	char *value;
	char room[];
} sd_member_t;

typedef struct sd_typing sd_typing_t;
typedef struct sd_pending sd_pending_t;

struct sd_client {
	sd_service_t *svc;
	sio_socket_t *sock;
	sd_user_t *user;
	unsigned admin : 1;
	unsigned attached : 1; /* counted in its user's sockets */
	char **allowed; /* private rooms the token's "rooms" claim lists */
	size_t nallowed;
	sd_bucket_t events;
	sd_member_t *joined;
	size_t njoined;
	sd_typing_t *typing;
	struct sd_pending *pending; /* presence:list asked of the cluster */
};

/* Connection middleware: who the socket is (auth none/optional/required,
 * JWT), refusals as CONNECT_ERROR. Saves the identity as the socket's
 * state (sio_socket_set_state()), which a recovered socket keeps. */
int sd_identity_middleware(void *ud, sio_socket_t *s, sio_error_t *err);
/* The client of a connected socket, from the identity the middleware
 * saved; its user is created when absent. NULL when out of memory. */
sd_client_t *sd_client_new(sd_service_t *svc, sio_socket_t *s);
void sd_client_free(sd_client_t *c);

/* Whether the client may join or read `room`: user:{id} only for that
 * user, admin only for admins, private rooms only when listed (or for
 * admins), a socket's own room (20 letters, digits, '-' or '_', the shape
 * of a socket id) only for that socket, whether or not it is connected. */
int sd_may_join(const sd_client_t *c, const char *room);
/* Whether the client may leave `room`: not the rooms it is given (its
 * own, its user's, admin). */
int sd_may_leave(const sd_client_t *c, const char *room);

/* The user `id`, created when absent (NULL on no memory), named `name`
 * (NULL: keep the name it has, or the id for a new user). */
sd_user_t *sd_user_get(sd_service_t *svc, const char *id, const char *name);
/* "user:{id}", the room of every socket of user `id`, into `room`; -1
 * when the id is longer than SD_MAX_USER_ID. */
int sd_user_room(char room[SD_MAX_ROOM + 1], const char *id);
/* A socket of the user connected / disconnected: presence events on the
 * first and the last (not for anonymous users); a user with no socket
 * left is freed when it has nothing to keep (above). */
void sd_user_attach(sd_service_t *svc, sd_user_t *u);
void sd_user_detach(sd_service_t *svc, sd_user_t *u);
/* {userId, username} of `u`: added to `o`, or as a new object. */
void sd_add_user(struct json_object *o, const sd_user_t *u);
struct json_object *sd_user_object(const sd_user_t *u);
/* A user with no socket (after its last went, or a notification for it
 * came): forgotten when its message bucket is full again, so that
 * reconnecting does not reset the limit, or, when it has notifications
 * or unread counts, --offline-state from now, whichever is later. */
void sd_user_idle(sd_service_t *svc, sd_user_t *u);
/* Frees every user (at the end). */
void sd_users_free(sd_service_t *svc);

/* --- Replies and emits (service.c) ----------------------------------- */

/* The first argument of an event as json-c (new reference), or NULL. */
struct json_object *sd_first_arg(const sio_args_t *args);
/* The string member `key` of `obj` when it is a non-empty string with no
 * NUL character. */
const char *sd_get_string(struct json_object *obj, const char *key);
/* A room name from a client: a non-empty string of at most SD_MAX_ROOM
 * bytes. */
int sd_valid_room(const char *room);
/* "{prefix}:{id}" into `room`; -1 when longer than SD_MAX_ROOM. */
int sd_room_name(char room[SD_MAX_ROOM + 1], const char *prefix,
		 const char *id);
/* 0 when every number in `o` is finite (JSON has no NaN or Infinity,
 * which json-c makes of 1e999), and it nests at most 32 deep; -1 if not. */
int sd_json_check(struct json_object *o);

/* The number of characters (code points) of `s`, or -1 when it is not
 * valid UTF-8 (which would make clients drop the connection if sent). */
long sd_text_chars(const char *s);

/* The chat message of member `key` of `arg` in *text, or the error for
 * the client: "message required" when absent or empty, "invalid payload"
 * when not a string, and as sd_check_message() says. */
const char *sd_message_arg(const sd_service_t *svc, struct json_object *arg,
			   const char *key, const char **text);
/* NULL when `text` is a chat message the configuration allows: valid
 * UTF-8, at most max-message-length characters; else the error for the
 * client. */
const char *sd_check_message(const sd_service_t *svc, const char *text);

/* A message posted with seed 001's send-message or seed 004's
 * message:send: the payload's members (at most SD_MAX_POSTED bytes of
 * JSON in all), with "id", "content" (the payload's content or message,
 * checked by sd_check_message()) and "user" {userId,username} set. NULL
 * after answering the ack with the error. sd_ack_posted() answers
 * {ok:true,id} and puts the message. */
#define SD_MAX_POSTED 8192
struct json_object *sd_posted_message(sd_client_t *c, struct json_object *arg,
				      sio_ack_t *ack);
void sd_ack_posted(sio_ack_t *ack, struct json_object *msg);

/* Answers the ack (if the client asked) with {ok:true} plus the members
 * of `extra` (taken: may be NULL), or {ok:false,error}. */
void sd_ack_ok(sio_ack_t *ack, struct json_object *extra);
void sd_ack_error(sio_ack_t *ack, const char *error);

/* Emits `event` with one argument `data` (taken) to the sockets of the
 * namespace in `room` (NULL: all), except those in `except` (may be
 * NULL), returning 0 or a negative errno; or, with sd_emit_socket(), to
 * one socket; or, with sd_emit_others(), to `room` without the sending
 * socket. */
int sd_emit(sd_service_t *svc, const char *room, const char *except,
	    const char *event, struct json_object *data);
/* The same to any target. */
int sd_emit_to(sd_service_t *svc, const sio_target_t *to, const char *event,
	       struct json_object *data);
/* To every socket of this node only (not the cluster's); takes data. */
void sd_emit_local(sd_service_t *svc, const char *event,
		   struct json_object *data);
void sd_emit_socket(sd_client_t *c, const char *event,
		    struct json_object *data);
void sd_emit_others(sd_client_t *c, const char *room, const char *event,
		    struct json_object *data);

/* --- Memberships (members.c) ---------------------------------------- */

/* Joins `room` after the permission check, remembering `kind`, `key`
 * and `value` (a `key` of the table in members.c) in the client and in
 * the socket's state, and announces it (sd_announce_join()). Returns NULL
 * or an error message for the client ("invalid room", "forbidden", "too
 * many rooms", "server error"). Joining again is not an error and changes
 * nothing, but a chat, video or channel join of a room joined plainly
 * makes it that kind of membership (announced as a join). */
const char *sd_join(sd_client_t *c, const char *room, sd_join_kind_t kind,
		    const char *key, const char *value);
/* Leaves `room` (nothing when not in it) and announces it; returns NULL,
 * or "forbidden" for the rooms a client may not leave (sd_may_leave()). */
const char *sd_leave(sd_client_t *c, const char *room);
/* The socket is going: every membership is announced left and freed (the
 * socket's state keeps them, for a recovery). */
void sd_members_leave_all(sd_client_t *c);
/* The memberships the socket's state lists (`list`, its "memberships"),
 * for the rooms a recovered socket is in again. -1 when out of memory. */
int sd_members_restore(sd_client_t *c, struct json_object *list);
/* Announces every membership as a join (a recovered socket is back). */
void sd_members_announce(sd_client_t *c);
/* The membership of `room`, or NULL. */
sd_member_t *sd_member_find(const sd_client_t *c, const char *room);

/* Announces that `c` joined the room of `m` (chat: count and system
 * message; video: viewers; seed 001: user-joined) or left it (its typing
 * indicator stops, and the same with "left", after it left) (rooms.c). */
void sd_announce_join(sd_client_t *c, const sd_member_t *m);
void sd_announce_leave(sd_client_t *c, const sd_member_t *m);

/* --- The cluster (share.c) -------------------------------------------- */

/* With --redis, a node tells the others what changes state they keep too
 * (server-side emits; a node keeps what happened since it started):
 *   SD_SHARE_HISTORY [room, message]  a chat message kept (chat.c)
 *   SD_SHARE_BADGES [serverId, channelId, senderUserId]  a seed-004
 *       message: the unread counts of the server's members (notify.c)
 *   SD_SHARE_LISTENERS [nodeId, count, {room: count}]  the node's
 *       sockets, in all and per room joined, every stats-interval
 *       (stats.c)
 *   SD_SHARE_PRESENCE [nodeId, userId, online]  a user's first socket on
 *       the node came, or its last went (presence.c)
 *   SD_SHARE_NOTIFY [userId|null, channelId|null, from|null, id]  a
 *       notification delivered (notify.c)
 *   SD_SHARE_READ [userId, notificationId]  one read (notify.c)
 *   SD_SHARE_CHANNEL_READ [userId, serverId|null, channelId]  a seed-004
 *       channel opened: its unread count goes (notify.c) */
#define SD_SHARE_HISTORY "socketiod:history"
#define SD_SHARE_BADGES "socketiod:badges"
#define SD_SHARE_LISTENERS "socketiod:listeners"
#define SD_SHARE_PRESENCE "socketiod:presence"
#define SD_SHARE_NOTIFY "socketiod:notify"
#define SD_SHARE_READ "socketiod:read"
#define SD_SHARE_CHANNEL_READ "socketiod:channel-read"
typedef void (*sd_shared_fn)(sd_service_t *svc, struct json_object *args);
/* 1 with --redis (a cluster, whether Redis is up or not). */
int sd_clustered(const sd_service_t *svc);
/* Sends `args` (a json-c array, taken) to the other nodes as `event`
 * (nothing on one node). */
void sd_share(sd_service_t *svc, const char *event, struct json_object *args);
/* The n members of an array of news `args` that are strings in v[i]
 * (NULL for the others); -1 when it does not have n members. */
int sd_shared_strings(struct json_object *args, size_t n, const char *v[]);
/* Registers the handler of the others' news. 0 or -ENOMEM. */
int sd_share_start(sd_service_t *svc);

/* Presence across the cluster (presence.c): a user's first socket on
 * this node came / its last went: shared, and announced to everyone when
 * the user is on no other node. */
void sd_presence_came(sd_service_t *svc, sd_user_t *u);
void sd_presence_went(sd_service_t *svc, sd_user_t *u);
/* Another node's news ([nodeId, userId, online], SD_SHARE_PRESENCE). */
void sd_presence_shared(sd_service_t *svc, struct json_object *args);
/* Node `node` is gone: this node's sockets are told that the users who
 * were only there are offline. */
void sd_presence_node_gone(sd_service_t *svc, uint32_t node);
void sd_presence_free(sd_service_t *svc);

/* --- Events ---------------------------------------------------------- */

typedef void (*sd_event_fn)(sd_client_t *c, const char *event,
			    struct json_object *arg, sio_ack_t *ack);

#define SD_EVENT_MESSAGE 1 /* counts against the per-user message rate */

typedef struct sd_event {
	const char *name;
	sd_event_fn fn;
	unsigned flags;
} sd_event_t;

/* Each module's table, ended by a {NULL} entry. */
extern const sd_event_t sd_room_events[];
extern const sd_event_t sd_chat_events[];
extern const sd_event_t sd_notify_events[];

/* Relays of the configured names (relay.c). */
void sd_relay_event(sd_client_t *c, const char *event, struct json_object *arg,
		    sio_ack_t *ack);

/* The distinct users of this node's sockets in `room`, sorted by userId,
 * as a json-c array of {userId,username} (rooms.c). */
struct json_object *sd_room_users(sd_service_t *svc, const char *room);
/* The socket of `c` is going: its presence:list requests still waiting
 * for the cluster are answered to nobody. */
void sd_pending_drop(sd_client_t *c);

/* Chat state (chat.c): history per room, typing timers. */
void sd_chat_free_rooms(sd_service_t *svc);
/* A socket is going: its typing indicators stop. */
void sd_chat_client_gone(sd_client_t *c);
/* `c` left `room`: its typing indicator there, if any, stops. */
void sd_chat_stop_typing(sd_client_t *c, const char *room);
/* `c` joined / left the chat room of `m`: user count and system message. */
void sd_chat_announce_join(sd_client_t *c, const sd_member_t *m);
void sd_chat_announce_leave(sd_client_t *c, const sd_member_t *m);
/* A message another node kept in a chat room's history ([room, msg],
 * SD_SHARE_HISTORY): kept here too, once. */
void sd_chat_shared(sd_service_t *svc, struct json_object *args);
/* Number of chat rooms with history. */
size_t sd_chat_room_count(const sd_service_t *svc);

/* Another node's seed-004 message ([serverId, channelId, senderUserId],
 * SD_SHARE_BADGES): this node's members of the server outside the channel
 * count it unread and get notification:update. */
void sd_notify_shared_badges(sd_service_t *svc, struct json_object *args);
/* Another node's notification (SD_SHARE_NOTIFY): kept for the user, or
 * for this node's subscribers of the channel (told their count); and
 * another node's read (SD_SHARE_READ). The notification itself reached
 * the sockets through the adapter. */
void sd_notify_shared(sd_service_t *svc, struct json_object *args);
void sd_notify_shared_read(sd_service_t *svc, struct json_object *args);
void sd_notify_shared_channel_read(sd_service_t *svc, struct json_object *args);
/* Notifications (notify.c): delivers one to a user or a channel's
 * subscribers, skipping `from`; returns the sockets reached or -errno. */
int sd_notify(sd_service_t *svc, const char *user_id, const char *channel_id,
	      const char *from, struct json_object *notification, char id[24]);

/* stats:listeners (stats.c) */
int sd_stats_start(sd_service_t *svc);
void sd_stats_connected(sd_service_t *svc, sd_client_t *c);
/* Another node's counts of sockets ([nodeId, count, {room: count}],
 * SD_SHARE_LISTENERS, every stats-interval): counted in stats:listeners
 * and sd_room_count() until they are three intervals old. */
void sd_stats_shared(sd_service_t *svc, struct json_object *args);
void sd_stats_free(sd_service_t *svc);
/* The sockets in `room` on this node and, as last heard (every
 * stats-interval), on the others: the counts the events report. */
size_t sd_room_count(sd_service_t *svc, const char *room);

#endif /* SD_SERVICE_H */

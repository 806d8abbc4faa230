/* The service's frame: creation, the dispatch of events (rate limits,
 * argument parsing), connections and disconnections, and the reply
 * helpers the event modules share. */
#include "service.h"
#include "../common/clock.h"
#include "static.h"

#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

/* --- Replies and emits ----------------------------------------------- */

struct json_object *sd_first_arg(const sio_args_t *args)
{
	struct json_object *all = sio_args_parse(args);
	struct json_object *first = NULL;
	if (all && json_object_array_length(all) > 0)
		first = json_object_get(json_object_array_get_idx(all, 0));
	json_object_put(all);
	return first;
}

const char *sd_get_string(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return NULL;
	const char *s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

int sd_valid_room(const char *room)
{
	return room && room[0] && strlen(room) <= SD_MAX_ROOM;
}

int sd_room_name(char room[SD_MAX_ROOM + 1], const char *prefix, const char *id)
{
	int n = snprintf(room, SD_MAX_ROOM + 1, "%s:%s", prefix, id);
	return n > 0 && n <= SD_MAX_ROOM ? 0 : -1;
}

static int json_check(struct json_object *o, int depth)
{
	if (depth > MAX_DEPTH)
		return -1;
	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o)) ? 0 : -1;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (json_check(json_object_array_get_idx(o, i),
				       depth + 1) < 0)
				return -1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			if (json_check(v, depth + 1) < 0)
				return -1;
		}
		return 0;
	}
	default: return 0;
	}
}

int sd_json_check(struct json_object *o)
{
	return json_check(o, 0);
}

/* Sends `[data]` through `send`; takes `data`. */
static const char *args_text(struct json_object *data, struct json_object **arr)
{
	*arr = json_object_new_array_ext(1);
	json_object_array_add(*arr, data);
	return json_object_to_json_string_ext(
	    *arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void ack_send(sio_ack_t *ack, struct json_object *obj)
{
	struct json_object *arr;
	sio_args_t a = {.json = args_text(obj, &arr)};
	sio_ack_send(ack, &a);
	json_object_put(arr);
}

void sd_ack_ok(sio_ack_t *ack, struct json_object *extra)
{
	if (ack->id < 0) {
		json_object_put(extra);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (extra) {
		json_object_object_foreach(extra, k, v)
		    json_object_object_add(o, k, json_object_get(v));
		json_object_put(extra);
	}
	ack_send(ack, o);
}

void sd_ack_error(sio_ack_t *ack, const char *error)
{
	if (ack->id < 0)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(error));
	ack_send(ack, o);
}

int sd_emit_to(sd_service_t *svc, const sio_target_t *to, const char *event,
	       struct json_object *data)
{
	struct json_object *arr;
	sio_args_t a = {.json = args_text(data, &arr)};
	int r = sio_emit(svc->nsp, to, event, &a);
	if (r == 0)
		svc->metrics.emits++;
	json_object_put(arr);
	return r;
}

int sd_emit(sd_service_t *svc, const char *room, const char *except,
	    const char *event, struct json_object *data)
{
	const char *rooms[1] = {room}, *exc[1] = {except};
	sio_target_t to = {.rooms = rooms,
			   .nrooms = room ? 1 : 0,
			   .except = exc,
			   .nexcept = except ? 1 : 0};
	return sd_emit_to(svc, &to, event, data);
}

void sd_emit_local(sd_service_t *svc, const char *event,
		   struct json_object *data)
{
	sio_target_t to = {.flags = SIO_LOCAL};
	sd_emit_to(svc, &to, event, data);
}

void sd_emit_socket(sd_client_t *c, const char *event, struct json_object *data)
{
	struct json_object *arr;
	sio_args_t a = {.json = args_text(data, &arr)};
	sio_socket_emit(c->sock, event, &a);
	json_object_put(arr);
}

void sd_emit_others(sd_client_t *c, const char *room, const char *event,
		    struct json_object *data)
{
	struct json_object *arr;
	sio_args_t a = {.json = args_text(data, &arr)};
	const char *rooms[1] = {room};
	sio_target_t to = {.rooms = rooms, .nrooms = 1};
	sio_socket_broadcast(c->sock, &to, event, &a);
	c->svc->metrics.emits++;
	json_object_put(arr);
}

long sd_text_chars(const char *s)
{
	size_t len = strlen(s), n = 0;
	if (!eio_utf8_valid(s, len))
		return -1;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return (long)n;
}

const char *sd_message_arg(const sd_service_t *svc, struct json_object *arg,
			   const char *key, const char **text)
{
	struct json_object *v = NULL;
	*text = NULL;
	json_object_object_get_ex(arg, key, &v);
	if (!v || (json_object_is_type(v, json_type_string) &&
		   json_object_get_string_len(v) == 0))
		return "message required"; /* absent, null or "" */
	if (!(*text = sd_get_string(arg, key)))
		return "invalid payload"; /* not a string, or NUL inside */
	return sd_check_message(svc, *text);
}

const char *sd_check_message(const sd_service_t *svc, const char *text)
{
	long n = sd_text_chars(text);
	if (n < 0)
		return "invalid payload";
	if ((unsigned long)n > svc->cfg->max_message_length)
		return "message too long";
	return NULL;
}

struct json_object *sd_posted_message(sd_client_t *c, struct json_object *arg,
				      sio_ack_t *ack)
{
	const char *text;
	const char *err = sd_message_arg(
	    c->svc, arg,
	    json_object_object_get_ex(arg, "content", NULL) ? "content"
							    : "message",
	    &text);
	size_t len = 0;
	if (!err)
		json_object_to_json_string_length(arg, JSON_C_TO_STRING_PLAIN,
						  &len);
	if (!err && len > SD_MAX_POSTED)
		err = "payload too large";
	if (err) {
		sd_ack_error(ack, err);
		return NULL;
	}
	char id[24];
	sd_service_new_id(c->svc, id);
	struct json_object *msg = json_object_new_object();
	json_object_object_foreach(arg, k, v)
	    json_object_object_add(msg, k, json_object_get(v));
	json_object_object_add(msg, "id", json_object_new_string(id));
	json_object_object_add(msg, "content", json_object_new_string(text));
	json_object_object_add(msg, "user", sd_user_object(c->user));
	c->svc->metrics.chat_messages++;
	return msg;
}

void sd_ack_posted(sio_ack_t *ack, struct json_object *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "id", json_object_get(json_object_object_get(msg, "id")));
	sd_ack_ok(ack, o);
	json_object_put(msg);
}

void sd_service_new_id(sd_service_t *svc, char out[24])
{
	snprintf(out, 24, "%08x%llx", (unsigned)svc->id_prefix,
		 (unsigned long long)++svc->next_id);
}

/* --- Dispatch -------------------------------------------------------- */

typedef struct sd_route {
	sd_service_t *svc;
	sd_event_fn fn;
	unsigned flags;
} route_t;

static void rate_limited(sd_client_t *c, sio_ack_t *ack)
{
	static const char msg[] = "Rate limit exceeded";
	c->svc->metrics.rate_limited++;
	sd_ack_error(ack, msg);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg));
	sd_emit_socket(c, "error", o);
}

static void dispatch(void *ud, sio_socket_t *s, const char *event,
		     const sio_args_t *args, sio_ack_t *ack)
{
	const route_t *r = ud;
	sd_service_t *svc = r->svc;
	const sd_config_t *cfg = svc->cfg;
	sd_client_t *c = sio_socket_data(s);
	if (!c)
		return;
	svc->metrics.events_in++;
	uint64_t now = clock_monotonic_ms();
	if (!sd_bucket_take(&c->events, cfg->event_rate, cfg->message_window_ms,
			    now) ||
	    ((r->flags & SD_EVENT_MESSAGE) &&
	     !sd_bucket_take(&c->user->messages, cfg->message_rate,
			     cfg->message_window_ms, now))) {
		rate_limited(c, ack);
		return;
	}
	struct json_object *arg = sd_first_arg(args);
	if (sd_json_check(arg) < 0)
		sd_ack_error(ack, "invalid payload");
	else
		r->fn(c, event, arg, ack);
	json_object_put(arg);
}

static const sd_event_t *const tables[] = {sd_room_events, sd_chat_events,
					   sd_notify_events};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The built-in event named `name`, or NULL. */
static const sd_event_t *builtin(const char *name)
{
	for (size_t t = 0; t < NTABLES; t++)
		for (const sd_event_t *e = tables[t]; e->name; e++)
			if (strcmp(e->name, name) == 0)
				return e;
	return NULL;
}

/* Registers every event; the routes live as long as the server. */
static int register_events(sd_service_t *svc, route_t **out)
{
	size_t n = svc->cfg->nrelay_events, i = 0;
	for (size_t t = 0; t < NTABLES; t++)
		for (const sd_event_t *e = tables[t]; e->name; e++)
			n++;
	route_t *routes = calloc(n ? n : 1, sizeof(route_t));
	if (!routes)
		return -ENOMEM;
	*out = routes;
	for (size_t t = 0; t < NTABLES; t++)
		for (const sd_event_t *e = tables[t]; e->name; e++, i++) {
			routes[i] = (route_t){svc, e->fn, e->flags};
			if (sio_nsp_on(svc->nsp, e->name, dispatch,
				       &routes[i]) < 0)
				return -ENOMEM;
		}
	for (size_t k = 0; k < svc->cfg->nrelay_events; k++, i++) {
		routes[i] = (route_t){svc, sd_relay_event, 0};
		if (sio_nsp_on(svc->nsp, svc->cfg->relay_events[k], dispatch,
			       &routes[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- Connections ----------------------------------------------------- */

static void on_connection(void *ud, sio_socket_t *s)
{
	sd_service_t *svc = ud;
	sd_client_t *c = sd_client_new(svc, s);
	if (!c) {
		sio_socket_disconnect(s, 1);
		return;
	}
	/* from here, on_disconnect() undoes it all */
	sio_socket_set_data(s, c);
	sd_user_attach(svc, c->user);
	char room[SD_MAX_ROOM + 1];
	if (sd_user_room(room, c->user->id) < 0 ||
	    sio_socket_join(s, room) < 0 ||
	    (c->admin && sio_socket_join(s, "admin") < 0)) {
		sio_socket_disconnect(s, 1);
		return;
	}
	if (sio_socket_recovered(s))
		sd_members_announce(c);
	svc->metrics.connects++;
	size_t n = sio_room_size(svc->nsp, NULL);
	if (n > svc->peak)
		svc->peak = n;
	sd_stats_connected(svc, c);
}

static void on_disconnect(void *ud, sio_socket_t *s, const char *reason)
{
	sd_service_t *svc = ud;
	sd_client_t *c = sio_socket_data(s);
	sd_metrics_disconnect(&svc->metrics, reason);
	if (!c)
		return;
	sio_socket_set_data(s, NULL);
	sd_pending_drop(c);
	sd_chat_client_gone(c);
	sd_members_leave_all(c);
	sd_user_detach(svc, c->user);
	sd_client_free(c);
}

/* --- The service ----------------------------------------------------- */

sd_service_t *sd_service_new(struct event_base *base, sio_server_t *srv,
			     const sd_config_t *cfg, sd_static_t *files,
			     const char **error)
{
	sd_service_t *svc = calloc(1, sizeof(*svc));
	*error = "out of memory";
	if (!svc)
		return NULL;
	svc->base = base;
	svc->srv = srv;
	svc->cfg = cfg;
	svc->files = files;
	svc->id_prefix = randombytes_random();
	svc->started_ms = clock_epoch_ms();
	svc->nsp = sio_of(srv, "/");
	if (cfg->jwt_secret) {
		svc->keys.secret_len = strlen(cfg->jwt_secret);
		svc->secret = (uint8_t *)strdup(cfg->jwt_secret);
		svc->keys.secret = svc->secret;
		if (!svc->secret)
			goto fail;
	}
	if (cfg->jwt_public_key) {
		if (sd_jwt_parse_ed25519(cfg->jwt_public_key, svc->keys.ed25519,
					 error) < 0)
			goto fail;
		svc->keys.has_ed25519 = 1;
	}
	static char clash[160];
	for (size_t i = 0; i < cfg->nrelay_events; i++)
		if (builtin(cfg->relay_events[i])) {
			snprintf(clash, sizeof(clash),
				 "--relay-event: '%.80s' is an event of the "
				 "service",
				 cfg->relay_events[i]);
			*error = clash;
			goto fail;
		}
	*error = "out of memory";
	if (!svc->nsp ||
	    sio_nsp_use(svc->nsp, sd_identity_middleware, svc) < 0 ||
	    sio_nsp_on_connection(svc->nsp, on_connection, svc) < 0 ||
	    sio_nsp_on_disconnect(svc->nsp, on_disconnect, svc) < 0 ||
	    register_events(svc, &svc->routes) < 0 || sd_share_start(svc) < 0 ||
	    sd_stats_start(svc) < 0)
		goto fail;
	sio_server_on_request(srv, sd_service_request, svc);
	*error = NULL;
	return svc;
fail:
	sd_service_free(svc);
	return NULL;
}

void sd_service_drain(sd_service_t *svc)
{
	svc->draining = 1;
}

void sd_service_free(sd_service_t *svc)
{
	if (!svc)
		return;
	sd_stats_free(svc);
	sd_presence_free(svc);
	sd_chat_free_rooms(svc);
	sd_users_free(svc);
	if (svc->secret)
		sodium_memzero(svc->secret, svc->keys.secret_len);
	free(svc->secret);
	free(svc->routes);
	free(svc);
}

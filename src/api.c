/* HTTP outside the Socket.IO path: the API for back ends (behind the API
 * key), /health, /ready, /metrics, and the demo files. */
#include "../common/clock.h"
#include "service.h"
#include "static.h"

#include <errno.h>
#include <event2/buffer.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY 1000000
#define MAX_DEPTH 32

static void respond(eio_request_t *req, int status, struct json_object *o,
		    const char *const *headers)
{
	const char *body = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	eio_request_respond(req, status, "application/json", headers, body,
			    strlen(body));
	json_object_put(o);
}

static void respond_error(eio_request_t *req, int status, const char *error)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(error));
	respond(req, status, o, NULL);
}

static double uptime_s(const sd_service_t *svc)
{
	return (double)(clock_epoch_ms() - svc->started_ms) / 1000.0;
}

/* Whole seconds for JSON (a double would print as 0.0879999...). */
static struct json_object *uptime_json(const sd_service_t *svc)
{
	return json_object_new_int64((clock_epoch_ms() - svc->started_ms) /
				     1000);
}

/* With --redis, adds "redis": "connected" or "connecting" to o. */
static void add_redis_state(const sd_service_t *svc, struct json_object *o)
{
	sio_redis_state_t rs = sio_server_redis_state(svc->srv);
	if (rs != SIO_REDIS_OFF)
		json_object_object_add(
		    o, "redis",
		    json_object_new_string(sio_redis_state_name(rs)));
}

/* --- /health, /ready, /metrics ------------------------------------------ */

static void health(sd_service_t *svc, eio_request_t *req)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "status",
	    json_object_new_string(svc->draining ? "draining" : "ok"));
	json_object_object_add(o, "connections",
			       json_object_new_int64(eio_server_session_count(
				   sio_server_engine(svc->srv))));
	json_object_object_add(o, "uptime", uptime_json(svc));
	add_redis_state(svc, o);
	respond(req, 200, o, NULL);
}

static void ready(sd_service_t *svc, eio_request_t *req)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ready",
			       json_object_new_boolean(!svc->draining));
	add_redis_state(svc, o); /* Redis down does not fail /ready */
	respond(req, svc->draining ? 503 : 200, o, NULL);
}

static void metrics(sd_service_t *svc, eio_request_t *req)
{
	eio_stats_t es;
	eio_server_stats(sio_server_engine(svc->srv), &es);
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		eio_request_respond(req, 500, NULL, NULL, NULL, 0);
		return;
	}
	sd_metrics_render(&svc->metrics, &es, sio_room_size(svc->nsp, NULL),
			  sd_chat_room_count(svc), uptime_s(svc), out);
	size_t len = evbuffer_get_length(out);
	eio_request_respond(req, 200,
			    "text/plain; version=0.0.4; charset=utf-8", NULL,
			    evbuffer_pullup(out, -1), len);
	evbuffer_free(out);
}

/* --- The API -------------------------------------------------------------- */

/* Compares the key in constant time whatever the lengths: both sides are
 * hashed to the same length first. */
static int key_matches(const char *given, const char *key)
{
	unsigned char a[32], b[32];
	crypto_generichash(a, sizeof(a), (const unsigned char *)given,
			   strlen(given), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)key,
			   strlen(key), NULL, 0);
	return sodium_memcmp(a, b, sizeof(a)) == 0;
}

/* 0 when the request carries the API key; otherwise answers it. */
static int authorize(sd_service_t *svc, eio_request_t *req)
{
	const char *h = eio_request_header(req, "authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		static const char *const hdr[] = {"WWW-Authenticate: Bearer",
						  NULL};
		struct json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "error", json_object_new_string("missing API key"));
		respond(req, 401, o, hdr);
		return -1;
	}
	if (!key_matches(h + 7, svc->cfg->api_key)) {
		respond_error(req, 403, "invalid API key");
		return -1;
	}
	return 0;
}

/* The JSON object of a POST body (strict JSON, UTF-8, finite numbers);
 * NULL after answering 413/415/400. */
static struct json_object *body_object(eio_request_t *req)
{
	const char *ct = eio_request_header(req, "content-type");
	size_t len;
	const uint8_t *body = eio_request_body(req, &len);
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		respond_error(req, 415, "expected application/json");
		return NULL;
	}
	if (len > MAX_BODY) {
		respond_error(req, 413, "body too large");
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
	struct json_object *o = NULL;
	if (tok) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
						JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	}
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object) ||
		  sd_json_check(o) < 0)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o)
		respond_error(req, 400, "body must be a JSON object");
	return o;
}

/* Room names of a member: a string or an array of strings, at most
 * `max`; returns how many, or -1 when malformed. */
static int room_list(struct json_object *o, const char *key, const char **out,
		     int max)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		out[0] = json_object_get_string(v);
		return 1;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > (size_t)max)
		return -1;
	int n = (int)json_object_array_length(v);
	for (int i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(v, i);
		if (!json_object_is_type(r, json_type_string))
			return -1;
		out[i] = json_object_get_string(r);
	}
	return n;
}

static void api_emit(sd_service_t *svc, eio_request_t *req,
		     struct json_object *body)
{
	const char *event = sd_get_string(body, "event");
	const char *nsp = sd_get_string(body, "namespace");
	const char *rooms[64], *except[64];
	int nrooms = room_list(body, "rooms", rooms, 64);
	int nexcept = room_list(body, "except", except, 64);
	if (!event || nrooms < 0 || nexcept < 0) {
		respond_error(req, 400,
			      "expected {event, data?, rooms?, except?}");
		return;
	}
	if (nsp && strcmp(nsp, "/") != 0) {
		respond_error(req, 404, "unknown namespace");
		return;
	}
	struct json_object *data, *args = json_object_new_array();
	if (json_object_object_get_ex(body, "data", &data))
		json_object_array_add(args, json_object_get(data));
	sio_args_t a = {
	    .json = json_object_to_json_string_ext(
		args, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)};
	sio_target_t to = {.rooms = rooms,
			   .nrooms = (size_t)nrooms,
			   .except = except,
			   .nexcept = (size_t)nexcept};
	int r = sio_emit(svc->nsp, &to, event, &a);
	json_object_put(args);
	if (r == -EINVAL) { /* the data was checked: the name is reserved */
		respond_error(req, 400, "reserved event name");
		return;
	}
	if (r < 0) {
		respond_error(req, 500, "server error");
		return;
	}
	svc->metrics.emits++;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	respond(req, 200, o, NULL);
}

static void api_notify(sd_service_t *svc, eio_request_t *req,
		       struct json_object *body)
{
	const char *user = sd_get_string(body, "userId");
	const char *channel = sd_get_string(body, "channelId");
	struct json_object *n;
	if ((!user == !channel) ||
	    !json_object_object_get_ex(body, "notification", &n) ||
	    !json_object_is_type(n, json_type_object)) {
		respond_error(req, 400,
			      "expected {userId or channelId, notification}");
		return;
	}
	char id[24];
	int reached =
	    sd_notify(svc, user, channel, sd_get_string(body, "from"), n, id);
	if (reached == -EINVAL) {
		respond_error(req, 400, "id too long");
		return;
	}
	if (reached < 0) {
		respond_error(req, 500, "server error");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "delivered", json_object_new_int(reached));
	respond(req, 200, o, NULL);
}

static void api_disconnect(sd_service_t *svc, eio_request_t *req,
			   struct json_object *body)
{
	const char *user = sd_get_string(body, "userId");
	char room[SD_MAX_ROOM + 1];
	if (!user || sd_user_room(room, user) < 0) {
		respond_error(req, 400, "expected {userId}");
		return;
	}
	const char *rooms[1] = {room};
	sio_target_t to = {.rooms = rooms, .nrooms = 1};
	size_t n = sio_room_size(svc->nsp, room);
	sio_disconnect_sockets(svc->nsp, &to, 1);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "disconnected", json_object_new_int64(n));
	respond(req, 200, o, NULL);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes `in` into `out` (size bytes); -1 when malformed or too
 * long. */
static int url_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;
	for (; *in; in++) {
		char ch = *in;
		if (ch == '%') {
			int hi = hexval(in[1]),
			    lo = hi < 0 ? -1 : hexval(in[2]);
			if (lo < 0)
				return -1;
			ch = (char)(hi << 4 | lo);
			in += 2;
		}
		if (ch == '\0' || n + 1 >= size)
			return -1;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

static void api_room(sd_service_t *svc, eio_request_t *req, const char *name)
{
	char room[256];
	if (url_decode(name, room, sizeof(room)) < 0) {
		respond_error(req, 400, "invalid room name");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "room", json_object_new_string(room));
	json_object_object_add(
	    o, "count", json_object_new_int64(sio_room_size(svc->nsp, room)));
	json_object_object_add(o, "users", sd_room_users(svc, room));
	respond(req, 200, o, NULL);
}

static void api_stats(sd_service_t *svc, eio_request_t *req)
{
	eio_stats_t es;
	eio_server_stats(sio_server_engine(svc->srv), &es);
	struct json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "connections",
	    json_object_new_int64(sio_room_size(svc->nsp, NULL)));
	json_object_object_add(o, "peak", json_object_new_int64(svc->peak));
	json_object_object_add(o, "rooms",
			       json_object_new_int64(sd_chat_room_count(svc)));
	json_object_object_add(o, "messagesIn",
			       json_object_new_int64(es.messages_in));
	json_object_object_add(o, "messagesOut",
			       json_object_new_int64(es.messages_out));
	json_object_object_add(o, "uptime", uptime_json(svc));
	add_redis_state(svc, o);
	respond(req, 200, o, NULL);
}

typedef void (*post_fn)(sd_service_t *, eio_request_t *, struct json_object *);

static void api(sd_service_t *svc, eio_request_t *req, const char *path)
{
	static const struct {
		const char *path;
		post_fn fn;
	} posts[] = {{"/api/emit", api_emit},
		     {"/api/notify", api_notify},
		     {"/api/disconnect", api_disconnect}};
	static const char *const allow_post[] = {"Allow: POST", NULL};
	static const char *const allow_get[] = {"Allow: GET, HEAD", NULL};
	const char *method = eio_request_method(req);
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	svc->metrics.api_requests++;
	if (!svc->cfg->api_key) {
		respond_error(req, 404, "not found");
		return;
	}
	if (authorize(svc, req) < 0)
		return;
	for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		if (strcmp(path, posts[i].path) != 0)
			continue;
		if (strcmp(method, "POST") != 0) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(
			    o, "error",
			    json_object_new_string("method not allowed"));
			respond(req, 405, o, allow_post);
			return;
		}
		struct json_object *body = body_object(req);
		if (body)
			posts[i].fn(svc, req, body);
		json_object_put(body);
		return;
	}
	int rooms = strncmp(path, "/api/rooms/", 11) == 0 && path[11];
	if (!rooms && strcmp(path, "/api/stats") != 0) {
		respond_error(req, 404, "not found");
		return;
	}
	if (!get) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "error", json_object_new_string("method not allowed"));
		respond(req, 405, o, allow_get);
		return;
	}
	if (rooms)
		api_room(svc, req, path + 11);
	else
		api_stats(svc, req);
}

void sd_service_request(void *ud, eio_request_t *req)
{
	sd_service_t *svc = ud;
	const char *path = eio_request_path(req);
	const char *method = eio_request_method(req);
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	if (strcmp(path, "/api") == 0 || strncmp(path, "/api/", 5) == 0)
		api(svc, req, path);
	else if (get && strcmp(path, "/health") == 0)
		health(svc, req);
	else if (get && strcmp(path, "/ready") == 0)
		ready(svc, req);
	else if (get && strcmp(path, "/metrics") == 0)
		metrics(svc, req);
	else if (!svc->files ||
		 !sd_static_serve(svc->files, req, svc->cfg->path))
		respond_error(req, 404, "not found");
}

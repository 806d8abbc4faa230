/* Who a socket is: the auth modes, JWT claims, the state kept for
 * connection-state recovery, and the room permissions that follow. */
#include "service.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_NAME 64

void sd_client_free(sd_client_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nallowed; i++)
		free(c->allowed[i]);
	free(c->allowed);
	free(c);
}

/* The identity of a socket, as its state: saved by the middleware, and
 * kept by connection-state recovery, so that a recovered socket is the
 * same user. */
static int save_identity(sio_socket_t *s, const char *id, const char *name,
			 int admin, struct json_object *rooms)
{
	struct json_object *st = json_object_new_object();
	if (!id) { /* anonymous: the user is the socket */
		id = sio_socket_id(s);
		json_object_object_add(st, "anonymous",
				       json_object_new_boolean(1));
	}
	json_object_object_add(st, "userId", json_object_new_string(id));
	json_object_object_add(st, "username", json_object_new_string(name));
	json_object_object_add(st, "admin", json_object_new_boolean(admin));
	struct json_object *allowed = json_object_new_array();
	size_t n = json_object_is_type(rooms, json_type_array)
		       ? json_object_array_length(rooms)
		       : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(rooms, i);
		if (json_object_is_type(r, json_type_string))
			json_object_array_add(allowed, json_object_get(r));
	}
	json_object_object_add(st, "rooms", allowed);
	int r = sio_socket_set_state(
	    s, json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN));
	json_object_put(st);
	return r;
}

static int has_admin_role(struct json_object *claims)
{
	const char *role = sd_get_string(claims, "role");
	if (role && strcmp(role, "admin") == 0)
		return 1;
	struct json_object *roles;
	if (!json_object_object_get_ex(claims, "roles", &roles) ||
	    !json_object_is_type(roles, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(roles); i++) {
		struct json_object *r = json_object_array_get_idx(roles, i);
		if (json_object_is_type(r, json_type_string) &&
		    strcmp(json_object_get_string(r), "admin") == 0)
			return 1;
	}
	return 0;
}

/* The token: auth.token, or an "Authorization: Bearer" header. */
static const char *find_token(sio_socket_t *s, struct json_object *auth)
{
	const char *t = sd_get_string(auth, "token");
	if (t)
		return t;
	const char *h =
	    eio_request_header(sio_socket_request(s), "authorization");
	if (h && strncasecmp(h, "Bearer ", 7) == 0 && h[7])
		return h + 7;
	return NULL;
}

/* A name from the auth payload, or NULL when absent or unusable (not
 * UTF-8, or over MAX_NAME characters). */
static const char *given(struct json_object *auth, const char *key)
{
	const char *v = sd_get_string(auth, key);
	long n = v ? sd_text_chars(v) : -1;
	return n > 0 && n <= MAX_NAME ? v : NULL;
}

/* A token's name cut to MAX_NAME characters (a signed claim may be
 * longer), into `buf`; NULL when it is not UTF-8. */
static const char *clip(const char *name, char buf[MAX_NAME * 4 + 1])
{
	if (!name || sd_text_chars(name) < 0)
		return NULL;
	size_t i = 0, chars = 0;
	while (name[i] && i < MAX_NAME * 4) {
		if (((unsigned char)name[i] & 0xC0) != 0x80 &&
		    chars++ == MAX_NAME)
			break;
		buf[i] = name[i];
		i++;
	}
	buf[i] = '\0';
	return buf;
}

static int refuse(sd_service_t *svc, sio_error_t *err, const char *message)
{
	svc->metrics.auth_failures++;
	err->message = message;
	return -1;
}

int sd_identity_middleware(void *ud, sio_socket_t *s, sio_error_t *err)
{
	sd_service_t *svc = ud;
	const sd_config_t *cfg = svc->cfg;
	struct json_object *auth = json_tokener_parse(sio_socket_auth(s));
	const char *token =
	    cfg->auth == SD_AUTH_NONE ? NULL : find_token(s, auth);
	struct json_object *claims = NULL;
	int r = -1, saved = -1;
	if (token) {
		const char *error;
		sd_jwt_check_t check = {
		    .issuer = cfg->jwt_issuer,
		    .audience = cfg->jwt_audience,
		    .leeway_s = cfg->jwt_leeway_ms / 1000,
		    .now = (int64_t)time(NULL),
		};
		if (sd_jwt_verify(token, &svc->keys, &check, &claims, &error) <
		    0) {
			r = refuse(svc, err, error);
			goto out;
		}
		const char *sub = sd_get_string(claims, "sub");
		if (!sub || strlen(sub) > SD_MAX_USER_ID ||
		    sd_text_chars(sub) < 0) {
			r = refuse(svc, err, "invalid token");
			goto out;
		}
		char buf[MAX_NAME * 4 + 1];
		const char *name = clip(sd_get_string(claims, "name"), buf);
		if (!name)
			name = clip(sd_get_string(claims, "preferred_username"),
				    buf);
		struct json_object *rooms = NULL;
		json_object_object_get_ex(claims, "rooms", &rooms);
		saved = save_identity(s, sub, name ? name : sub,
				      has_admin_role(claims), rooms);
	} else if (cfg->auth == SD_AUTH_REQUIRED) {
		r = refuse(svc, err, "authentication required");
		goto out;
	} else {
		/* anonymous: only without auth may a client name its user */
		const char *id =
		    cfg->auth == SD_AUTH_NONE ? given(auth, "userId") : NULL;
		const char *name = given(auth, "username");
		if (id && strlen(id) > SD_MAX_USER_ID)
			id = NULL;
		saved =
		    save_identity(s, id, name ? name : "anonymous", 0, NULL);
	}
	if (saved < 0) {
		err->message = "server error";
		goto out;
	}
	r = 0;
out:
	json_object_put(claims);
	json_object_put(auth);
	return r;
}

sd_client_t *sd_client_new(sd_service_t *svc, sio_socket_t *s)
{
	const char *state = sio_socket_state(s);
	struct json_object *st = state ? json_tokener_parse(state) : NULL;
	const char *id = sd_get_string(st, "userId");
	const char *name = sd_get_string(st, "username");
	struct json_object *admin = NULL, *rooms = NULL, *joined = NULL,
			   *anonymous = NULL;
	json_object_object_get_ex(st, "admin", &admin);
	json_object_object_get_ex(st, "anonymous", &anonymous);
	json_object_object_get_ex(st, "rooms", &rooms);
	sd_client_t *c = id && name ? calloc(1, sizeof(*c)) : NULL;
	if (!c)
		goto out;
	c->svc = svc;
	c->sock = s;
	c->admin = json_object_get_boolean(admin);
	size_t n = json_object_is_type(rooms, json_type_array)
		       ? json_object_array_length(rooms)
		       : 0;
	if (n && !(c->allowed = calloc(n, sizeof(char *))))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const char *r =
		    json_object_get_string(json_object_array_get_idx(rooms, i));
		if (!(c->allowed[c->nallowed++] = strdup(r ? r : "")))
			goto fail;
	}
	json_object_object_get_ex(st, "memberships", &joined);
	if (!(c->user = sd_user_get(svc, id, name)) ||
	    sd_members_restore(c, joined) < 0)
		goto fail;
	c->user->anonymous = json_object_get_boolean(anonymous);
	goto out;
fail:
	sd_client_free(c);
	c = NULL;
out:
	json_object_put(st);
	return c;
}

/* 20 characters of base64url: the shape of a socket id. */
static int sid_shaped(const char *room)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz"
				       "0123456789-_";
	return strspn(room, alphabet) == 20 && room[20] == '\0';
}

int sd_may_leave(const sd_client_t *c, const char *room)
{
	return strncmp(room, "user:", 5) != 0 && strcmp(room, "admin") != 0 &&
	       strcmp(room, sio_socket_id(c->sock)) != 0;
}

int sd_may_join(const sd_client_t *c, const char *room)
{
	const sd_config_t *cfg = c->svc->cfg;
	if (strncmp(room, "user:", 5) == 0)
		return strcmp(room + 5, c->user->id) == 0;
	if (strcmp(room, "admin") == 0)
		return c->admin;
	size_t plen = cfg->private_prefix ? strlen(cfg->private_prefix) : 0;
	if (plen && strncmp(room, cfg->private_prefix, plen) == 0) {
		if (c->admin)
			return 1;
		for (size_t i = 0; i < c->nallowed; i++)
			if (strcmp(c->allowed[i], room) == 0)
				return 1;
		return 0;
	}
	/* a socket's own room carries what is sent to it alone: refused
	 * whether its socket is connected or may still recover */
	return !sid_shaped(room) || strcmp(room, sio_socket_id(c->sock)) == 0;
}

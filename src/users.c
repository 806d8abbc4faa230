/* Users: the sockets of one userId across devices, presence events on
 * the first and the last, and what the service keeps per user. */
#include "../common/clock.h"
#include "service.h"

#include <event2/event.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int sd_user_room(char room[SD_MAX_ROOM + 1], const char *id)
{
	return sd_room_name(room, "user", id);
}

sd_user_t *sd_user_get(sd_service_t *svc, const char *id, const char *name)
{
	sd_user_t *u = hmap_get(&svc->users, id);
	if (u) {
		if (name && strcmp(u->name, name) != 0) { /* the latest wins */
			char *n = strdup(name);
			if (n) {
				free(u->name);
				u->name = n;
			}
		}
		return u;
	}
	u = calloc(1, sizeof(*u));
	if (u)
		u->svc = svc;
	if (!u || !(u->id = strdup(id)) ||
	    !(u->name = strdup(name ? name : id)) ||
	    hmap_put(&svc->users, u->id, u) < 0) {
		if (u) {
			free(u->id);
			free(u->name);
		}
		free(u);
		return NULL;
	}
	return u;
}

static void user_free(sd_user_t *u)
{
	if (u->linger)
		event_free(u->linger);
	json_object_put(u->notifications);
	for (size_t i = 0; i < u->nchannels; i++) {
		free(u->channels[i].server);
		free(u->channels[i].channel);
	}
	free(u->channels);
	free(u->id);
	free(u->name);
	free(u);
}

void sd_add_user(struct json_object *o, const sd_user_t *u)
{
	json_object_object_add(o, "userId", json_object_new_string(u->id));
	json_object_object_add(o, "username", json_object_new_string(u->name));
}

struct json_object *sd_user_object(const sd_user_t *u)
{
	struct json_object *o = json_object_new_object();
	sd_add_user(o, u);
	return o;
}

static void forget(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	sd_user_t *u = ud;
	hmap_del(&u->svc->users, u->id);
	user_free(u);
}

void sd_user_idle(sd_service_t *svc, sd_user_t *u)
{
	const sd_config_t *cfg = svc->cfg;
	if (u->sockets)
		return;
	uint64_t wait =
	    sd_bucket_ms_to_full(&u->messages, cfg->message_rate,
				 cfg->message_window_ms, clock_monotonic_ms());
	if ((u->notifications || u->nchannels) && wait < cfg->offline_state_ms)
		wait = cfg->offline_state_ms;
	if (!u->linger && wait)
		u->linger = evtimer_new(svc->base, forget, u);
	struct timeval tv = clock_tv((unsigned)wait);
	if (!wait || !u->linger || evtimer_add(u->linger, &tv) < 0)
		forget(-1, 0, u); /* nothing to keep, or no timer to keep it */
}

void sd_user_attach(sd_service_t *svc, sd_user_t *u)
{
	if (u->linger)
		evtimer_del(u->linger);
	if (u->sockets++ > 0 || u->anonymous)
		return;
	sd_presence_came(svc, u);
}

void sd_user_detach(sd_service_t *svc, sd_user_t *u)
{
	if (u->sockets > 0 && --u->sockets > 0)
		return;
	if (!u->anonymous)
		sd_presence_went(svc, u);
	sd_user_idle(svc, u);
}

void sd_users_free(sd_service_t *svc)
{
	hmap_entry_t *e;
	size_t i = 0;
	while ((e = hmap_next(&svc->users, &i)))
		user_free(e->value);
	hmap_free(&svc->users);
}

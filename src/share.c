/* What a socketiod node tells the other nodes of a cluster (--redis), so
 * that each keeps the state the others' clients make: server-side emits
 * "socketiod:..." with JSON arguments (Node.js nodes ignore them), each
 * handled on arrival by the module that owns that state. In memory, on
 * one node, nothing is sent. */
#include "service.h"

#include <json-c/json.h>
#include <string.h>

static const struct {
	const char *event;
	sd_shared_fn fn;
} handlers[] = {
    {SD_SHARE_HISTORY, sd_chat_shared},
    {SD_SHARE_BADGES, sd_notify_shared_badges},
    {SD_SHARE_LISTENERS, sd_stats_shared},
    {SD_SHARE_PRESENCE, sd_presence_shared},
    {SD_SHARE_NOTIFY, sd_notify_shared},
    {SD_SHARE_READ, sd_notify_shared_read},
    {SD_SHARE_CHANNEL_READ, sd_notify_shared_channel_read},
};
#define NHANDLERS (sizeof(handlers) / sizeof(handlers[0]))

int sd_clustered(const sd_service_t *svc)
{
	return sio_server_redis_state(svc->srv) != SIO_REDIS_OFF;
}

void sd_share(sd_service_t *svc, const char *event, struct json_object *args)
{
	if (sd_clustered(svc)) {
		sio_args_t a = {.json = json_object_to_json_string_ext(
				    args, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE)};
		sio_server_side_emit(svc->nsp, event, &a);
	}
	json_object_put(args);
}

/* Another node's news: to its handler as a json-c array; other
 * server-side events, and arguments that are not an array, are not ours.
 * Nothing is answered (no such event asks for an ack). */
static void on_server_side(void *ud, sio_nsp_t *nsp, const char *event,
			   const sio_args_t *args, sio_server_ack_t *ack)
{
	(void)nsp;
	(void)ack;
	for (size_t i = 0; i < NHANDLERS; i++) {
		if (strcmp(event, handlers[i].event) != 0)
			continue;
		struct json_object *a = sio_args_parse(args);
		if (a && sd_json_check(a) == 0)
			handlers[i].fn(ud, a);
		json_object_put(a);
		return;
	}
}

int sd_shared_strings(struct json_object *args, size_t n, const char *v[])
{
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(args, i);
		v[i] = json_object_is_type(e, json_type_string)
			   ? json_object_get_string(e)
			   : NULL;
	}
	return json_object_array_length(args) == n ? 0 : -1;
}

int sd_share_start(sd_service_t *svc)
{
	return sio_nsp_on_server_side(svc->nsp, on_server_side, svc);
}

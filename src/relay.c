/* Relays: the configured event names (location sharing, call
 * signalling, document edits, track votes) go from a member of a room to
 * the rest of it, with `from` set to the sender's userId. */
#include "service.h"

#include <json-c/json.h>

void sd_relay_event(sd_client_t *c, const char *event, struct json_object *arg,
		    sio_ack_t *ack)
{
	const char *room = sd_get_string(arg, "room");
	if (!room || !sd_valid_room(room)) {
		sd_ack_error(ack, room ? "invalid room" : "invalid payload");
		return;
	}
	if (!sio_socket_in(c->sock, room)) {
		sd_ack_error(ack, "not in room");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_foreach(arg, k, v)
	    json_object_object_add(o, k, json_object_get(v));
	json_object_object_add(o, "from", json_object_new_string(c->user->id));
	sd_emit_others(c, room, event, o);
	sd_ack_ok(ack, NULL);
}

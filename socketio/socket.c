/* Sockets: one client in one namespace. Connecting (middlewares, the
 * CONNECT answer), incoming events, rooms, emitting, disconnecting. */
#include "../common/clock.h"
#include "emit.h"
#include "internal.h"
#include "json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void send_raw(sio_client_t *c, sio_packet_type_t type, const char *nsp,
		     const char *json)
{
	sio_encoded_t enc;
	if (sio__encode_raw(&enc, type, nsp, json) == 0) {
		sio__client_send(c, &enc, 0);
		sio__encoded_release(&enc);
	}
}

/* CONNECT_ERROR {"message":M[,"data":D]} */
static void refuse(sio_client_t *c, const char *nsp, const sio_error_t *err)
{
	const char *msg = err->message ? err->message : "Not authorized";
	size_t cap = strlen(msg) * 6 + 32 +
		     (err->data_json ? strlen(err->data_json) : 0);
	char *json = malloc(cap);
	if (!json)
		return;
	size_t n = (size_t)sprintf(json, "{\"message\":");
	n += sio__json_quote(json + n, msg);
	if (err->data_json)
		n += (size_t)sprintf(json + n, ",\"data\":%s", err->data_json);
	json[n++] = '}';
	json[n] = '\0';
	send_raw(c, SIO_PACKET_CONNECT_ERROR, nsp, json);
	free(json);
}

void sio__socket_free(sio_socket_t *s)
{
	free(s->rooms);
	free(s->auth);
	free(s->state);
	free(s);
}

/* The session that the auth payload's pid and offset recover, if any. */
static sio_session_t *find_session(sio_nsp_t *nsp, const char *auth,
				   char pid[21])
{
	if (!nsp->recovery || !strstr(auth, "\"pid\""))
		return NULL;
	json_object *o = sio__json_parse(auth, strlen(auth));
	json_object *jp, *jo;
	sio_session_t *ss = NULL;
	if (json_object_object_get_ex(o, "pid", &jp) &&
	    json_object_object_get_ex(o, "offset", &jo) &&
	    json_object_is_type(jp, json_type_string) &&
	    json_object_is_type(jo, json_type_string) &&
	    json_object_get_string_len(jp) == 20) {
		snprintf(pid, 21, "%s", json_object_get_string(jp));
		ss = sio__recovery_restore(nsp->recovery, pid,
					   json_object_get_string(jo));
		if (ss && hmap_get(&nsp->sockets, sio__session_sid(ss))) {
			sio__session_free(ss); /* that id is connected */
			ss = NULL;
		}
	}
	json_object_put(o);
	return ss;
}

static void send_missed(void *ud, const sio_encoded_t *enc)
{
	sio_socket_t *s = ud;
	sio__client_send(s->client, enc, 0);
}

/* Gives `s` the id, rooms and state of the session, and the packets it
 * missed. Returns 0 or -ENOMEM. */
static int restore(sio_socket_t *s, sio_session_t *ss)
{
	sio_adapter_t *a = s->nsp->adapter;
	const char *const *rooms;
	size_t n = sio__session_rooms(ss, &rooms);
	for (size_t i = 0; i < n; i++)
		if (a->ops->join(a, s, rooms[i]) < 0)
			return -ENOMEM;
	const char *state = sio__session_state(ss);
	if (state && sio_socket_set_state(s, state) < 0)
		return -ENOMEM;
	sio__recovery_missed(ss, send_missed, s);
	s->recovered = 1;
	return 0;
}

void sio__socket_connect(sio_client_t *c, sio_nsp_t *nsp, const char *auth,
			 size_t auth_len)
{
	sio_socket_t *s = calloc(1, sizeof(*s));
	if (!s || !(s->auth = malloc(auth_len + 1))) {
		free(s);
		eio_session_close(c->eio);
		return;
	}
	memcpy(s->auth, auth, auth_len);
	s->auth[auth_len] = '\0';
	s->nsp = nsp;
	s->client = c;
	s->issued = clock_epoch_ms();
	sio_session_t *ss = find_session(nsp, s->auth, s->pid);
	if (ss) {
		memcpy(s->id, sio__session_sid(ss), sizeof(s->id));
	} else {
		do
			sio__random_id(s->id);
		while (hmap_get(&nsp->sockets, s->id));
		sio__random_id(s->pid);
	}
	/* a recovered socket skips the middlewares, as Node's default */
	for (sio_handler_t *h = ss ? NULL : nsp->h->middleware; h;
	     h = h->next) {
		sio_error_t err = {NULL, NULL};
		if (((sio_middleware_fn)h->fn)(h->ud, s, &err) != 0) {
			refuse(c, nsp->name, &err);
			sio__socket_free(s);
			return;
		}
	}
	sio_adapter_t *a = nsp->adapter;
	if (hmap_put(&nsp->sockets, s->id, s) < 0 ||
	    a->ops->join(a, s, s->id) < 0 || (ss && restore(s, ss) < 0)) {
		a->ops->leave_all(a, s);
		hmap_del(&nsp->sockets, s->id);
		sio__socket_free(s);
		sio__session_free(ss);
		eio_session_close(c->eio);
		return;
	}
	sio__session_free(ss);
	s->next_in_client = c->sockets;
	c->sockets = s;
	s->connected = 1;
	if (c->connect_timer) { /* needed until the first connect only */
		event_free(c->connect_timer);
		c->connect_timer = NULL;
	}
	char json[80];
	if (nsp->recovery)
		snprintf(json, sizeof(json), "{\"sid\":\"%s\",\"pid\":\"%s\"}",
			 s->id, s->pid);
	else
		snprintf(json, sizeof(json), "{\"sid\":\"%s\"}", s->id);
	send_raw(c, SIO_PACKET_CONNECT, nsp->name, json);
	for (sio_handler_t *h = nsp->h->connection; h && s->connected;
	     h = h->next)
		((sio_connection_fn)h->fn)(h->ud, s);
}

/* The event name as a C string: a JSON string decoded, or a number as
 * written. NULL when it does not fit or holds a NUL. */
static char *event_name(const sio_packet_t *p, char *buf, size_t cap)
{
	if (p->name[0] != '"') {
		if (p->name_len >= cap)
			return NULL;
		memcpy(buf, p->name, p->name_len);
		buf[p->name_len] = '\0';
		return buf;
	}
	return sio__json_string_decode(p->name, p->name + p->name_len, buf,
				       cap) < 0
		   ? NULL
		   : buf;
}

void sio__socket_on_event(sio_socket_t *s, const sio_packet_t *p,
			  const sio_bin_t *bins, size_t nbins)
{
	/* a decoded name is never longer than its literal; the parser has
	 * refused names holding NUL */
	char namebuf[256];
	char *heap =
	    p->name_len < sizeof(namebuf) ? NULL : malloc(p->name_len + 1);
	char *name = event_name(p, heap ? heap : namebuf,
				heap ? p->name_len + 1 : sizeof(namebuf));
	/* the arguments: "[" + the elements after the name */
	char *json = malloc(p->rest_len + 2);
	if (!name || !json) {
		free(heap);
		free(json);
		eio_session_close(s->client->eio);
		return;
	}
	json[0] = '[';
	memcpy(json + 1, p->rest, p->rest_len);
	json[p->rest_len + 1] = '\0';
	sio_args_t args = {json, p->rest_len + 1, bins, nbins};
	sio_ack_t ack = {s, p->id}; /* one for all handlers: answered once */
	const sio_handlers_t *h = s->nsp->h;
	int pass = 1;
	for (sio_handler_t *m = h->event_mw; m && pass && s->connected;
	     m = m->next)
		pass = ((sio_event_middleware_fn)m->fn)(m->ud, s, name,
							&args) == 0;
	for (sio_handler_t *e = h->events; e && pass && s->connected;
	     e = e->next)
		if (strcmp(e->event, name) == 0)
			((sio_event_fn)e->fn)(e->ud, s, name, &args, &ack);
	for (sio_handler_t *e = h->any; e && pass && s->connected; e = e->next)
		((sio_event_fn)e->fn)(e->ud, s, name, &args, &ack);
	free(json);
	free(heap);
}

/* Rooms ------------------------------------------------------------------ */

int sio_socket_join(sio_socket_t *s, const char *room)
{
	if (!s->connected)
		return -EPIPE;
	sio_adapter_t *a = s->nsp->adapter;
	return a->ops->join(a, s, room);
}

void sio_socket_leave(sio_socket_t *s, const char *room)
{
	if (s->connected)
		s->nsp->adapter->ops->leave(s->nsp->adapter, s, room);
}

int sio_socket_in(const sio_socket_t *s, const char *room)
{
	for (size_t i = 0; i < s->nrooms; i++)
		if (strcmp(s->rooms[i]->name, room) == 0)
			return 1;
	return 0;
}

size_t sio_socket_rooms(const sio_socket_t *s, const char **out, size_t max)
{
	for (size_t i = 0; i < s->nrooms && i < max; i++)
		out[i] = s->rooms[i]->name;
	return s->nrooms;
}

/* Emitting ---------------------------------------------------------------- */

int sio_socket_emit(sio_socket_t *s, const char *event, const sio_args_t *args)
{
	if (!s->connected)
		return -EPIPE;
	if (s->nsp->recovery) { /* as Node: through the adapter, kept */
		const char *self[] = {s->id};
		sio_target_t to = {self, 1, NULL, 0, 0};
		return sio__nsp_broadcast(s->nsp, &to, NULL, event, args);
	}
	sio_encoded_t enc;
	int r = sio__encode(&enc, SIO_PACKET_EVENT, s->nsp->name, -1, event,
			    args, NULL);
	if (r < 0)
		return r;
	r = sio__client_send(s->client, &enc, 0);
	sio__encoded_release(&enc);
	return r;
}

int sio_socket_broadcast(sio_socket_t *s, const sio_target_t *to,
			 const char *event, const sio_args_t *args)
{
	return sio__nsp_broadcast(s->nsp, to, s, event, args);
}

/* Disconnecting ---------------------------------------------------------- */

static void fire(sio_handler_t *h, sio_socket_t *s, const char *reason)
{
	for (; h; h = h->next)
		((sio_disconnect_fn)h->fn)(h->ud, s, reason);
}

void sio__socket_close(sio_socket_t *s, const char *reason, int notify)
{
	if (!s->connected)
		return;
	sio_nsp_t *nsp = s->nsp;
	sio_client_t *c = s->client;
	fire(nsp->h->disconnecting, s, reason);
	if (nsp->recovery && sio__recovery_reason_ok(reason))
		sio__recovery_persist(nsp->recovery, s);
	s->connected = 0;
	nsp->adapter->ops->leave_all(nsp->adapter, s);
	hmap_del(&nsp->sockets, s->id);
	for (sio_socket_t **pp = &c->sockets; *pp; pp = &(*pp)->next_in_client)
		if (*pp == s) {
			*pp = s->next_in_client;
			break;
		}
	while (s->acks) {
		sio_pending_ack_t *a = s->acks;
		s->acks = a->next;
		if (a->timer)
			event_free(a->timer);
		if (a->bcast)
			sio__broadcast_ack_lost(a->bcast, a);
		else if (a->cb)
			a->cb(a->ud, s, -ECONNRESET, NULL);
		free(a);
	}
	if (notify)
		send_raw(c, SIO_PACKET_DISCONNECT, nsp->name, NULL);
	fire(nsp->h->disconnect, s, reason);
	sio__server_reap_later(nsp->srv, s);
}

void sio_socket_disconnect(sio_socket_t *s, int close)
{
	if (!s->connected)
		return;
	if (!close) {
		sio__socket_close(s, "server namespace disconnect", 1);
		return;
	}
	sio_client_t *c = s->client;
	while (c->sockets)
		sio__socket_close(c->sockets, "server namespace disconnect", 1);
	eio_session_close(c->eio);
}

/* Accessors --------------------------------------------------------------- */

const char *sio_socket_id(const sio_socket_t *s)
{
	return s->id;
}

sio_nsp_t *sio_socket_nsp(const sio_socket_t *s)
{
	return s->nsp;
}

int sio_socket_connected(const sio_socket_t *s)
{
	return s->connected;
}

int sio_socket_recovered(const sio_socket_t *s)
{
	return s->recovered;
}

const eio_request_t *sio_socket_request(const sio_socket_t *s)
{
	return eio_session_request(s->client->eio);
}

const char *sio_socket_auth(const sio_socket_t *s)
{
	return s->auth;
}

uint64_t sio_socket_issued(const sio_socket_t *s)
{
	return s->issued;
}

char *sio_socket_handshake_json(const sio_socket_t *s)
{
	const eio_request_t *req = sio_socket_request(s);
	json_object *o = json_object_new_object();
	json_object *headers = json_object_new_object();
	json_object *query = json_object_new_object();
	const char *name, *value;
	for (size_t i = 0; eio_request_header_at(req, i, &name, &value) == 0;
	     i++)
		if (!json_object_object_get_ex(headers, name, NULL))
			json_object_object_add(headers, name,
					       json_object_new_string(value));
	/* the query, decoded, as Node's parsed _query (first of repeats) */
	for (size_t i = 0; eio_request_query_at(req, i, &name, &value) == 0;
	     i++)
		if (!json_object_object_get_ex(query, name, NULL))
			json_object_object_add(query, name,
					       json_object_new_string(value));
	time_t t = (time_t)(s->issued / 1000);
	struct tm tm;
	char when[64];
	strftime(when, sizeof(when),
		 "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)",
		 gmtime_r(&t, &tm));
	json_object *auth = sio__json_parse(s->auth, strlen(s->auth));
	json_object_object_add(o, "headers", headers);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(
	    o, "address", json_object_new_string(eio_request_address(req)));
	json_object_object_add(
	    o, "xdomain",
	    json_object_new_boolean(eio_request_header(req, "origin") != NULL));
	json_object_object_add(o, "secure", json_object_new_boolean(0));
	json_object_object_add(o, "issued",
			       json_object_new_int64((int64_t)s->issued));
	json_object_object_add(o, "url",
			       json_object_new_string(eio_request_url(req)));
	json_object_object_add(o, "query", query);
	json_object_object_add(o, "auth",
			       auth ? auth : json_object_new_object());
	const char *text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = text ? strdup(text) : NULL;
	json_object_put(o);
	return out;
}

int sio_socket_set_state(sio_socket_t *s, const char *json)
{
	char *copy = json ? strdup(json) : NULL;
	if (json && !copy)
		return -ENOMEM;
	free(s->state);
	s->state = copy;
	return 0;
}

const char *sio_socket_state(const sio_socket_t *s)
{
	return s->state;
}

void sio_socket_set_data(sio_socket_t *s, void *data)
{
	s->data = data;
}

void *sio_socket_data(const sio_socket_t *s)
{
	return s->data;
}

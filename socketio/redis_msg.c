/* The wire messages of the Redis cluster adapter (see redis_msg.h):
 * msgpack broadcast frames and JSON (or msgpack) requests, both ways. */
#include "redis_msg.h"

#include "json.h"
#include "sbuf.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checking msgpack bytes before msgpack-c allocates for them -------------- */

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Walks one object at p[0..len). Returns the bytes it takes, or -1. */
static long check_obj(const uint8_t *p, size_t len, int depth, size_t *objects)
{
	if (len == 0 || depth > SIO_RMSG_MAX_DEPTH ||
	    ++*objects > SIO_RMSG_MAX_OBJECTS)
		return -1;
	uint8_t b = p[0];
	uint64_t n = 0; /* elements (arrays: n, maps: 2n) */
	size_t head = 1, body = 0;
	int container = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
		return 1;
	} else if (b >= 0x80 && b <= 0x8f) {
		n = 2u * (b & 0x0f);
		container = 1;
	} else if (b >= 0x90 && b <= 0x9f) {
		n = b & 0x0f;
		container = 1;
	} else if (b >= 0xa0 && b <= 0xbf) {
		body = b & 0x1f;
	} else {
		static const uint8_t fixed[] = {
		    /* 0xca..0xd3: float32, float64, uint8..64, int8..64 */
		    4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
		switch (b) {
		case 0xc4: /* bin 8, 16, 32; str 8, 16, 32 */
		case 0xd9: head = 2; break;
		case 0xc5:
		case 0xda: head = 3; break;
		case 0xc6:
		case 0xdb: head = 5; break;
		case 0xc7: head = 3; break; /* ext 8, 16, 32: length, type */
		case 0xc8: head = 4; break;
		case 0xc9: head = 6; break;
		case 0xd4: return len >= 3 ? 3 : -1; /* fixext 1..16 */
		case 0xd5: return len >= 4 ? 4 : -1;
		case 0xd6: return len >= 6 ? 6 : -1;
		case 0xd7: return len >= 10 ? 10 : -1;
		case 0xd8: return len >= 18 ? 18 : -1;
		case 0xdc:
			head = 3;
			container = 1;
			break; /* array 16, 32 */
		case 0xdd:
			head = 5;
			container = 1;
			break;
		case 0xde:
			head = 3;
			container = 2;
			break; /* map 16, 32 */
		case 0xdf:
			head = 5;
			container = 2;
			break;
		default:
			if (b >= 0xca && b <= 0xd3)
				return len > fixed[b - 0xca]
					   ? (long)fixed[b - 0xca] + 1
					   : -1;
			return -1; /* 0xc1: never used */
		}
		if (len < head)
			return -1;
		int lb = b == 0xc7 ? 1 : b == 0xc8 ? 2 : b == 0xc9 ? 4 : 0;
		if (lb)
			body = (size_t)be(p + 1, lb);
		else if (container)
			n = be(p + 1, (int)head - 1) * (uint64_t)container;
		else
			body = (size_t)be(p + 1, (int)head - 1);
	}
	if (len < head)
		return -1;
	if (!container && n == 0) {
		if (body > len - head)
			return -1;
		return (long)(head + body);
	}
	/* every element takes one byte at least */
	if (n > len - head)
		return -1;
	size_t off = head;
	for (uint64_t i = 0; i < n; i++) {
		long r = check_obj(p + off, len - off, depth + 1, objects);
		if (r < 0)
			return -1;
		off += (size_t)r;
	}
	return (long)off;
}

int sio__rmsg_msgpack_check(const uint8_t *buf, size_t len)
{
	size_t objects = 0;
	long r = check_obj(buf, len, 0, &objects);
	return r >= 0 && (size_t)r == len ? 0 : -EINVAL;
}

/* A growing text buffer, and the attachments met while writing JSON -- */

typedef struct jbuf {
	sio_sbuf_t t;
	sio_bin_t *bins;
	size_t nbins, bcap;
} jbuf_t;

static void put(jbuf_t *b, const char *p, size_t n)
{
	sio__sbuf_put(&b->t, p, n);
}

static void puts_(jbuf_t *b, const char *s)
{
	sio__sbuf_puts(&b->t, s);
}

/* A JSON string literal, escaped as JSON.stringify does. */
static void put_str(jbuf_t *b, const char *p, size_t n)
{
	if (n == 0) { /* msgpack-c gives no pointer for an empty string */
		puts_(b, "\"\"");
		return;
	}
	if (!eio_utf8_valid(p, n)) {
		b->t.err = b->t.err ? b->t.err : -EINVAL;
		return;
	}
	put(b, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, p + run, i - run);
		run = i + 1;
		char esc[8];
		switch (c) {
		case '"': puts_(b, "\\\""); break;
		case '\\': puts_(b, "\\\\"); break;
		case '\b': puts_(b, "\\b"); break;
		case '\f': puts_(b, "\\f"); break;
		case '\n': puts_(b, "\\n"); break;
		case '\r': puts_(b, "\\r"); break;
		case '\t': puts_(b, "\\t"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(b, esc);
		}
	}
	put(b, p + run, n - run);
	put(b, "\"", 1);
}

/* The shortest form that reads back as the same double; null for NaN and
 * the infinities, as JSON.stringify. */
static void put_double(jbuf_t *b, double d)
{
	char tmp[40];
	if (!isfinite(d)) {
		puts_(b, "null");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	puts_(b, tmp);
}

static void put_bin(jbuf_t *b, const char *p, size_t n)
{
	if (b->t.err)
		return;
	if (b->nbins >= SIO_RMSG_MAX_BINS) {
		b->t.err = -EINVAL;
		return;
	}
	if (b->nbins == b->bcap) {
		size_t ncap = b->bcap ? b->bcap * 2 : 4;
		sio_bin_t *nb = realloc(b->bins, ncap * sizeof(*nb));
		if (!nb) {
			b->t.err = -ENOMEM;
			return;
		}
		b->bins = nb;
		b->bcap = ncap;
	}
	char ph[64];
	snprintf(ph, sizeof(ph), "{\"_placeholder\":true,\"num\":%zu}",
		 b->nbins);
	puts_(b, ph);
	b->bins[b->nbins].data = (const uint8_t *)p;
	b->bins[b->nbins].len = n;
	b->nbins++;
}

static void put_obj(jbuf_t *b, const msgpack_object *o)
{
	char tmp[32];
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: puts_(b, "null"); break;
	case MSGPACK_OBJECT_BOOLEAN:
		puts_(b, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(tmp, sizeof(tmp), "%llu",
			 (unsigned long long)o->via.u64);
		puts_(b, tmp);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(tmp, sizeof(tmp), "%lld", (long long)o->via.i64);
		puts_(b, tmp);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: put_double(b, o->via.f64); break;
	case MSGPACK_OBJECT_STR:
		put_str(b, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		put_bin(b, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		put(b, "[", 1);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				put(b, ",", 1);
			put_obj(b, &o->via.array.ptr[i]);
		}
		put(b, "]", 1);
		break;
	case MSGPACK_OBJECT_MAP:
		put(b, "{", 1);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			if (i)
				put(b, ",", 1);
			if (k->type == MSGPACK_OBJECT_STR) {
				put_str(b, k->via.str.ptr, k->via.str.size);
			} else if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
				   k->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
				put(b, "\"", 1);
				put_obj(b, k);
				put(b, "\"", 1);
			} else {
				b->t.err = b->t.err ? b->t.err : -EINVAL;
			}
			put(b, ":", 1);
			put_obj(b, &o->via.map.ptr[i].val);
		}
		put(b, "}", 1);
		break;
	default: /* ext: undefined, dates, ... */ puts_(b, "null");
	}
}

/* Decoding helpers --------------------------------------------------------- */

static char *dup_n(const char *p, size_t n)
{
	if (n == 0)
		return strdup("");
	if (memchr(p, '\0', n))
		return NULL;
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void sio__rmsg_free(sio_rmsg_t *m)
{
	free(m->uid);
	free(m->nsp);
	free(m->request_id);
	free_list(m->rooms, m->nrooms);
	free_list(m->except, m->nexcept);
	free_list(m->targets, m->ntargets);
	free(m->sid);
	free(m->room);
	free(m->event);
	free(m->args);
	free(m->bins);
	memset(m, 0, sizeof(*m));
	m->type = -1;
}

static const msgpack_object *mp_get(const msgpack_object *map, const char *key)
{
	if (!map || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	size_t kl = strlen(key);
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
		    memcmp(k->via.str.ptr, key, kl) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

/* A room name: a string, or a number as Node allows. */
static char *mp_room(const msgpack_object *o)
{
	char tmp[32];
	switch (o->type) {
	case MSGPACK_OBJECT_STR: return dup_n(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(tmp, sizeof(tmp), "%llu",
			 (unsigned long long)o->via.u64);
		return strdup(tmp);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(tmp, sizeof(tmp), "%lld", (long long)o->via.i64);
		return strdup(tmp);
	default: return NULL;
	}
}

/* A list of rooms (absent or nil: none). Returns 0 or -EINVAL/-ENOMEM. */
static int mp_rooms(const msgpack_object *o, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -EINVAL;
	if (o->via.array.size == 0)
		return 0;
	char **v = calloc(o->via.array.size, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		if (!(v[i] = mp_room(&o->via.array.ptr[i])))
			return -EINVAL;
		(*n)++;
	}
	return 0;
}

static unsigned mp_flags(const msgpack_object *flags, unsigned *timeout)
{
	unsigned f = 0;
	const msgpack_object *v = mp_get(flags, "volatile");
	if (v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean)
		f |= SIO_VOLATILE;
	v = mp_get(flags, "local");
	if (v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean)
		f |= SIO_LOCAL;
	v = mp_get(flags, "timeout");
	if (timeout && v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*timeout =
		    v->via.u64 > 86400000 ? 86400000 : (unsigned)v->via.u64;
	return f;
}

/* The attachments must be references into the input (msgpack-c does not
 * copy them); an empty one, which has no pointer, points at the input. */
static void check_bins(jbuf_t *b, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; !b->t.err && i < b->nbins; i++) {
		const uint8_t *p = b->bins[i].data;
		uintptr_t lo = (uintptr_t)buf, at = (uintptr_t)p;
		if (b->bins[i].len == 0)
			b->bins[i].data = buf;
		else if (!p || at < lo || at - lo > len ||
			 b->bins[i].len > len - (at - lo))
			b->t.err = -EINVAL;
	}
}

/* data: [event, ...args] into m->event, m->args, m->bins. The bins must
 * lie in [buf, buf + len). */
static int mp_event(sio_rmsg_t *m, const msgpack_object *data,
		    const uint8_t *buf, size_t len)
{
	if (!data || data->type != MSGPACK_OBJECT_ARRAY ||
	    data->via.array.size < 1)
		return -EINVAL;
	const msgpack_object *ev = &data->via.array.ptr[0];
	if (ev->type != MSGPACK_OBJECT_STR ||
	    (ev->via.str.size &&
	     !eio_utf8_valid(ev->via.str.ptr, ev->via.str.size)) ||
	    !(m->event = dup_n(ev->via.str.ptr, ev->via.str.size)))
		return -EINVAL;
	jbuf_t b = {0};
	put(&b, "[", 1);
	for (uint32_t i = 1; i < data->via.array.size; i++) {
		if (i > 1)
			put(&b, ",", 1);
		put_obj(&b, &data->via.array.ptr[i]);
	}
	put(&b, "]", 1);
	check_bins(&b, buf, len);
	if (b.t.err) {
		free(b.t.s);
		free(b.bins);
		return b.t.err;
	}
	m->args = b.t.s;
	m->args_len = b.t.len;
	m->bins = b.bins;
	m->nbins = b.nbins;
	return 0;
}

int sio__rmsg_decode_broadcast(const uint8_t *buf, size_t len, sio_rmsg_t *out)
{
	memset(out, 0, sizeof(*out));
	out->type = -1;
	if (sio__rmsg_msgpack_check(buf, len) < 0)
		return -EINVAL;
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	int r = -EINVAL;
	if (msgpack_unpack_next(&u, (const char *)buf, len, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		goto out;
	const msgpack_object *o = &u.data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3)
		goto out;
	const msgpack_object *uid = &o->via.array.ptr[0];
	const msgpack_object *pkt = &o->via.array.ptr[1];
	const msgpack_object *opts = &o->via.array.ptr[2];
	if (uid->type != MSGPACK_OBJECT_STR || pkt->type != MSGPACK_OBJECT_MAP)
		goto out;
	if (!(out->uid = dup_n(uid->via.str.ptr, uid->via.str.size)))
		goto out;
	const msgpack_object *type = mp_get(pkt, "type");
	if (!type || type->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    (type->via.u64 != 2 && type->via.u64 != 5))
		goto out; /* EVENT or BINARY_EVENT only */
	const msgpack_object *nsp = mp_get(pkt, "nsp");
	if (nsp && nsp->type == MSGPACK_OBJECT_STR)
		out->nsp = dup_n(nsp->via.str.ptr, nsp->via.str.size);
	else if (!nsp || nsp->type == MSGPACK_OBJECT_NIL)
		out->nsp = strdup("/");
	if (!out->nsp)
		goto out;
	if ((r = mp_event(out, mp_get(pkt, "data"), buf, len)) < 0)
		goto out;
	if (opts->type == MSGPACK_OBJECT_MAP) {
		out->has_opts = 1;
		if ((r = mp_rooms(mp_get(opts, "rooms"), &out->rooms,
				  &out->nrooms)) < 0 ||
		    (r = mp_rooms(mp_get(opts, "except"), &out->except,
				  &out->nexcept)) < 0)
			goto out;
		out->flags = mp_flags(mp_get(opts, "flags"), NULL);
	} else if (opts->type != MSGPACK_OBJECT_NIL) {
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	msgpack_unpacked_destroy(&u);
	if (r < 0)
		sio__rmsg_free(out);
	return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;
}

/* Requests, through json-c ------------------------------------------------ */

static char *js_room(json_object *o)
{
	if (json_object_is_type(o, json_type_string))
		return dup_n(json_object_get_string(o),
			     (size_t)json_object_get_string_len(o));
	if (json_object_is_type(o, json_type_int) ||
	    json_object_is_type(o, json_type_double))
		return strdup(json_object_get_string(o));
	return NULL;
}

static int js_rooms(json_object *o, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_array))
		return -EINVAL;
	size_t len = json_object_array_length(o);
	if (len == 0)
		return 0;
	char **v = calloc(len, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	for (size_t i = 0; i < len; i++) {
		if (!(v[i] = js_room(json_object_array_get_idx(o, i))))
			return -EINVAL;
		(*n)++;
	}
	return 0;
}

static json_object *js_get(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int js_event(sio_rmsg_t *m, json_object *data)
{
	if (!json_object_is_type(data, json_type_array) ||
	    json_object_array_length(data) < 1)
		return -EINVAL;
	json_object *ev = json_object_array_get_idx(data, 0);
	if (!json_object_is_type(ev, json_type_string) ||
	    !(m->event = dup_n(json_object_get_string(ev),
			       (size_t)json_object_get_string_len(ev))))
		return -EINVAL;
	json_object *rest = json_object_new_array();
	if (!rest)
		return -ENOMEM;
	size_t n = json_object_array_length(data);
	for (size_t i = 1; i < n; i++) {
		json_object *e = json_object_array_get_idx(data, i);
		if (json_object_array_add(rest, json_object_get(e)) < 0) {
			json_object_put(e);
			json_object_put(rest);
			return -ENOMEM;
		}
	}
	size_t len;
	const char *s = json_object_to_json_string_length(
	    rest, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    &len);
	m->args = s ? dup_n(s, len) : NULL;
	m->args_len = len;
	json_object_put(rest);
	return m->args ? 0 : -ENOMEM;
}

/* m->args: "[VALUE]" */
static int js_wrap(sio_rmsg_t *m, json_object *v)
{
	json_object *a = json_object_new_array();
	if (!a || json_object_array_add(a, json_object_get(v)) < 0) {
		json_object_put(v);
		json_object_put(a);
		return -ENOMEM;
	}
	size_t len;
	const char *text = json_object_to_json_string_length(
	    a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	m->args = text ? dup_n(text, len) : NULL;
	m->args_len = len;
	json_object_put(a);
	return m->args ? 0 : -ENOMEM;
}

/* The answer to a fetchSockets, {requestId, sockets: [...]}: args
 * [sockets]; no args when `sockets` is not an array. */
static int js_sockets(sio_rmsg_t *m, json_object *o)
{
	json_object *v = js_get(o, "sockets");
	return json_object_is_type(v, json_type_array) ? js_wrap(m, v) : 0;
}

/* The opts of a request or a message: rooms, except, flags. */
static int js_opts(sio_rmsg_t *m, json_object *opts)
{
	int r;
	json_object *v;
	if (!json_object_is_type(opts, json_type_object))
		return 0;
	m->has_opts = 1;
	if ((r = js_rooms(js_get(opts, "rooms"), &m->rooms, &m->nrooms)) < 0 ||
	    (r = js_rooms(js_get(opts, "except"), &m->except, &m->nexcept)) < 0)
		return r;
	json_object *flags = js_get(opts, "flags");
	if (json_object_get_boolean(js_get(flags, "volatile")))
		m->flags |= SIO_VOLATILE;
	if (json_object_get_boolean(js_get(flags, "local")))
		m->flags |= SIO_LOCAL;
	if ((v = js_get(flags, "timeout")) &&
	    json_object_is_type(v, json_type_int)) {
		int64_t t = json_object_get_int64(v);
		m->timeout_ms = t < 0	       ? 0
				: t > 86400000 ? 86400000
					       : (unsigned)t;
	}
	return 0;
}

static int js_request(sio_rmsg_t *m, json_object *o)
{
	json_object *v;
	int r;
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if ((v = js_get(o, "type")) && json_object_is_type(v, json_type_int)) {
		int64_t t = json_object_get_int64(v);
		m->type = t >= 0 && t < 100 ? (int)t : -1;
	}
	if ((v = js_get(o, "uid")) && json_object_is_type(v, json_type_string))
		if (!(m->uid = js_room(v)))
			return -EINVAL;
	if ((v = js_get(o, "requestId")) &&
	    !json_object_is_type(v, json_type_null))
		if (!(m->request_id = js_room(v)))
			return -EINVAL;
	if ((r = js_opts(m, js_get(o, "opts"))) < 0)
		return r;
	if ((v = js_get(o, "rooms")) &&
	    (r = js_rooms(v, &m->targets, &m->ntargets)) < 0)
		return r;
	if ((v = js_get(o, "sid")) && !(m->sid = js_room(v)))
		return -EINVAL;
	if ((v = js_get(o, "room")) && !(m->room = js_room(v)))
		return -EINVAL;
	m->close = json_object_get_boolean(js_get(o, "close"));
	if (m->type == SIO_RREQ_SERVER_SIDE_EMIT &&
	    (r = js_event(m, js_get(o, "data"))) < 0)
		return r;
	if (m->type == SIO_RREQ_BROADCAST &&
	    (r = js_event(m, js_get(js_get(o, "packet"), "data"))) < 0)
		return r;
	if (m->type == -1 && (r = js_sockets(m, o)) < 0)
		return r;
	return 0;
}

/* The JSON tree of a message: JSON when it starts with '{', msgpack
 * otherwise, made JSON with the binaries as placeholders (their list in
 * *bins, pointing into `buf`). Returns 0 or -EINVAL, -ENOMEM. */
static int to_tree(const uint8_t *buf, size_t len, json_object **tree,
		   sio_bin_t **bins, size_t *nbins)
{
	jbuf_t b = {0};
	const char *text = (const char *)buf;
	size_t tlen = len;
	*tree = NULL;
	*bins = NULL;
	*nbins = 0;
	if (len == 0)
		return -EINVAL;
	if (buf[0] == '{' && !eio_utf8_valid(buf, len))
		return -EINVAL; /* JSON.stringify writes UTF-8 only */
	if (buf[0] != '{') {
		if (sio__rmsg_msgpack_check(buf, len) < 0)
			return -EINVAL;
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		size_t off = 0;
		if (msgpack_unpack_next(&u, (const char *)buf, len, &off) ==
		    MSGPACK_UNPACK_SUCCESS)
			put_obj(&b, &u.data);
		else
			b.t.err = -EINVAL;
		msgpack_unpacked_destroy(&u);
		check_bins(&b, buf, len);
		if (b.t.err) {
			free(b.t.s);
			free(b.bins);
			return b.t.err;
		}
		text = b.t.s;
		tlen = b.t.len;
	}
	*tree = sio__json_parse(text, tlen);
	free(b.t.s);
	if (!*tree) {
		free(b.bins);
		return -EINVAL;
	}
	*bins = b.bins;
	*nbins = b.nbins;
	return 0;
}

/* Decodes `buf` (JSON or msgpack) into a tree and reads it with `read`
 * into *out, which takes the attachments met on the way. */
static int decode_with(const uint8_t *buf, size_t len, sio_rmsg_t *out,
		       int (*read)(sio_rmsg_t *, json_object *))
{
	memset(out, 0, sizeof(*out));
	out->type = -1;
	json_object *o;
	sio_bin_t *bins;
	size_t nbins;
	int r = to_tree(buf, len, &o, &bins, &nbins);
	if (r < 0)
		return r;
	r = read(out, o);
	json_object_put(o);
	if (r == 0) {
		out->bins = bins;
		out->nbins = nbins;
	} else {
		free(bins);
		sio__rmsg_free(out);
	}
	return r;
}

int sio__rmsg_decode_request(const uint8_t *buf, size_t len, sio_rmsg_t *out)
{
	return decode_with(buf, len, out, js_request);
}

/* The sharded adapter's messages ----------------------------------------- */

static int js_cluster(sio_rmsg_t *m, json_object *o)
{
	json_object *v;
	int r;
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if (!(v = js_get(o, "type")) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	int64_t t = json_object_get_int64(v);
	if (t < SIO_CMSG_INITIAL_HEARTBEAT || t > SIO_CMSG_ADAPTER_CLOSE)
		return -EINVAL;
	m->type = (int)t;
	if ((v = js_get(o, "uid")) && json_object_is_type(v, json_type_string))
		if (!(m->uid = js_room(v)))
			return -EINVAL;
	if (!(v = js_get(o, "nsp")) ||
	    !json_object_is_type(v, json_type_string) || !(m->nsp = js_room(v)))
		return -EINVAL;
	json_object *data = js_get(o, "data");
	if (m->type == SIO_CMSG_INITIAL_HEARTBEAT ||
	    m->type == SIO_CMSG_HEARTBEAT || m->type == SIO_CMSG_ADAPTER_CLOSE)
		return 0; /* no data */
	if (!json_object_is_type(data, json_type_object))
		return -EINVAL;
	if ((v = js_get(data, "requestId")) &&
	    !json_object_is_type(v, json_type_null))
		if (!(m->request_id = js_room(v)))
			return -EINVAL;
	if ((r = js_opts(m, js_get(data, "opts"))) < 0)
		return r;
	if ((v = js_get(data, "rooms")) &&
	    (r = js_rooms(v, &m->targets, &m->ntargets)) < 0)
		return r;
	m->close = json_object_get_boolean(js_get(data, "close"));
	if (m->type == SIO_CMSG_BROADCAST) {
		if (!m->has_opts)
			return -EINVAL;
		return js_event(m, js_get(js_get(data, "packet"), "data"));
	}
	if (m->type == SIO_CMSG_SERVER_SIDE_EMIT)
		return js_event(m, js_get(data, "packet"));
	if (m->type == SIO_CMSG_SERVER_SIDE_EMIT_RESPONSE ||
	    m->type == SIO_CMSG_BROADCAST_ACK)
		return js_wrap(m, js_get(data, "packet"));
	if (m->type == SIO_CMSG_FETCH_SOCKETS_RESPONSE)
		return js_sockets(m, data);
	return 0;
}

int sio__cmsg_decode(const uint8_t *buf, size_t len, sio_rmsg_t *out)
{
	return decode_with(buf, len, out, js_cluster);
}

/* Encoding ------------------------------------------------------------------
 */

static int pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

/* A placeholder's index, or -1 when `o` is not one. */
static long placeholder(json_object *o)
{
	json_object *ph = js_get(o, "_placeholder"), *num = js_get(o, "num");
	if (!json_object_is_type(ph, json_type_boolean) ||
	    !json_object_get_boolean(ph) ||
	    !json_object_is_type(num, json_type_int))
		return -1;
	int64_t n = json_object_get_int64(num);
	return n >= 0 && n < 1000000 ? (long)n : -2;
}

static int pack_json(msgpack_packer *pk, json_object *o, const sio_args_t *args)
{
	int r = 0;
	switch (json_object_get_type(o)) {
	case json_type_null: return msgpack_pack_nil(pk);
	case json_type_boolean:
		return json_object_get_boolean(o) ? msgpack_pack_true(pk)
						  : msgpack_pack_false(pk);
	case json_type_double:
		return msgpack_pack_double(pk, json_object_get_double(o));
	case json_type_int:
		if (json_object_get_int64(o) == INT64_MAX)
			return msgpack_pack_uint64(pk,
						   json_object_get_uint64(o));
		return msgpack_pack_int64(pk, json_object_get_int64(o));
	case json_type_string: {
		size_t n = (size_t)json_object_get_string_len(o);
		return msgpack_pack_str(pk, n) ||
		       msgpack_pack_str_body(pk, json_object_get_string(o), n);
	}
	case json_type_array: {
		size_t n = json_object_array_length(o);
		r = msgpack_pack_array(pk, n);
		for (size_t i = 0; r == 0 && i < n; i++)
			r = pack_json(pk, json_object_array_get_idx(o, i),
				      args);
		return r;
	}
	case json_type_object: {
		long ph = placeholder(o);
		if (ph != -1) {
			if (ph < 0 || !args || (size_t)ph >= args->nbins)
				return -EINVAL;
			const sio_bin_t *bin = &args->bins[ph];
			return msgpack_pack_bin(pk, bin->len) ||
			       msgpack_pack_bin_body(pk, bin->data, bin->len);
		}
		r = msgpack_pack_map(pk, (size_t)json_object_object_length(o));
		json_object_object_foreach(o, key, val)
		{
			if (r == 0)
				r = pack_str(pk, key);
			if (r == 0)
				r = pack_json(pk, val, args);
		}
		return r;
	}
	}
	return -EINVAL;
}

static json_object *parse_args(const sio_args_t *args, int *err)
{
	*err = 0;
	if (!args || !args->json)
		return NULL;
	json_object *o = sio_args_parse(args);
	if (!o)
		*err = -EINVAL;
	return o;
}

static int pack_rooms(msgpack_packer *pk, const char *const *v, size_t n)
{
	int r = msgpack_pack_array(pk, n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = pack_str(pk, v[i]);
	return r;
}

static int finish_sbuf(msgpack_sbuffer *sb, int r, uint8_t **out, size_t *len)
{
	if (r != 0) {
		msgpack_sbuffer_destroy(sb);
		return r == -EINVAL ? -EINVAL : -ENOMEM;
	}
	*out = (uint8_t *)sb->data;
	*len = sb->size;
	if (!*out) { /* never written: cannot happen, but keep free() valid */
		*out = malloc(1);
		return *out ? 0 : -ENOMEM;
	}
	return 0;
}

int sio__rmsg_encode_broadcast(const char *uid, const char *nsp,
			       const char *event, const sio_args_t *args,
			       const sio_target_t *to, uint8_t **out,
			       size_t *len)
{
	int err;
	json_object *a = parse_args(args, &err);
	if (err)
		return err;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	size_t n = a ? json_object_array_length(a) : 0;
	int r = msgpack_pack_array(&pk, 3) || pack_str(&pk, uid) ||
		msgpack_pack_map(&pk, 3) || pack_str(&pk, "type") ||
		msgpack_pack_int(&pk, 2) || pack_str(&pk, "data") ||
		msgpack_pack_array(&pk, 1 + n) || pack_str(&pk, event);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = pack_json(&pk, json_object_array_get_idx(a, i), args);
	int vol = to && (to->flags & SIO_VOLATILE);
	if (r == 0)
		r = pack_str(&pk, "nsp") || pack_str(&pk, nsp) ||
		    msgpack_pack_map(&pk, 3) || pack_str(&pk, "rooms") ||
		    pack_rooms(&pk, to ? to->rooms : NULL,
			       to ? to->nrooms : 0) ||
		    pack_str(&pk, "except") ||
		    pack_rooms(&pk, to ? to->except : NULL,
			       to ? to->nexcept : 0) ||
		    pack_str(&pk, "flags") || msgpack_pack_map(&pk, vol) ||
		    (vol &&
		     (pack_str(&pk, "volatile") || msgpack_pack_true(&pk)));
	json_object_put(a);
	return finish_sbuf(&sb, r, out, len);
}

int sio__rmsg_encode_broadcast_ack(const char *request_id,
				   const sio_args_t *args, uint8_t **out,
				   size_t *len)
{
	int err;
	json_object *a = parse_args(args, &err);
	if (err)
		return err;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	int r = msgpack_pack_map(&pk, 3) || pack_str(&pk, "type") ||
		msgpack_pack_int(&pk, SIO_RREQ_BROADCAST_ACK) ||
		pack_str(&pk, "requestId") || pack_str(&pk, request_id) ||
		pack_str(&pk, "packet");
	if (r == 0) {
		if (a && json_object_array_length(a) > 0)
			r = pack_json(&pk, json_object_array_get_idx(a, 0),
				      args);
		else
			r = msgpack_pack_nil(&pk);
	}
	json_object_put(a);
	return finish_sbuf(&sb, r, out, len);
}

static void put_rooms(jbuf_t *b, const char *const *v, size_t n)
{
	put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(b, ",", 1);
		put_str(b, v[i], strlen(v[i]));
	}
	put(b, "]", 1);
}

static int finish_jbuf(jbuf_t *b, char **out, size_t *len)
{
	free(b->bins);
	if (b->t.err) {
		free(b->t.s);
		return b->t.err;
	}
	*out = b->t.s;
	*len = b->t.len;
	return 0;
}

int sio__rmsg_encode_sockets_op(const char *uid, int type,
				const sio_target_t *to, const char *room,
				int close, char **out, size_t *len)
{
	jbuf_t b = {0};
	char tmp[32];
	puts_(&b, "{\"uid\":");
	put_str(&b, uid, strlen(uid));
	if (type == SIO_RREQ_REMOTE_FETCH) {
		puts_(&b, ",\"requestId\":");
		put_str(&b, room, strlen(room));
	}
	snprintf(tmp, sizeof(tmp), ",\"type\":%d", type);
	puts_(&b, tmp);
	puts_(&b, ",\"opts\":{\"rooms\":");
	put_rooms(&b, to ? to->rooms : NULL, to ? to->nrooms : 0);
	puts_(&b, ",\"except\":");
	put_rooms(&b, to ? to->except : NULL, to ? to->nexcept : 0);
	puts_(&b, "}");
	if (type == SIO_RREQ_REMOTE_DISCONNECT) {
		puts_(&b, close ? ",\"close\":true" : ",\"close\":false");
	} else if (type != SIO_RREQ_REMOTE_FETCH) {
		puts_(&b, ",\"rooms\":");
		put_rooms(&b, &room, 1);
	}
	puts_(&b, "}");
	return finish_jbuf(&b, out, len);
}

int sio__rmsg_encode_server_side_emit(const char *uid, const char *event,
				      const sio_args_t *args, char **out,
				      size_t *len)
{
	if (args && args->nbins)
		return -EINVAL;
	int err;
	json_object *a = parse_args(args, &err);
	if (err)
		return err;
	jbuf_t b = {0};
	puts_(&b, "{\"uid\":");
	put_str(&b, uid, strlen(uid));
	puts_(&b, ",\"type\":6,\"data\":[");
	put_str(&b, event, strlen(event));
	size_t n = a ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		put(&b, ",", 1);
		puts_(&b, json_object_to_json_string_ext(
			      json_object_array_get_idx(a, i),
			      JSON_C_TO_STRING_PLAIN |
				  JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	puts_(&b, "]}");
	json_object_put(a);
	return finish_jbuf(&b, out, len);
}

int sio__cmsg_encode(const char *uid, const char *nsp, int type,
		     const char *data, size_t data_len, const sio_bin_t *bins,
		     size_t nbins, uint8_t **out, size_t *len)
{
	json_object *d = NULL;
	if (data) {
		d = sio__json_parse(data, data_len ? data_len : strlen(data));
		if (!d)
			return -EINVAL;
	}
	sio_args_t args = {NULL, 0, bins, nbins};
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	int r = msgpack_pack_map(&pk, d ? 4 : 3) || pack_str(&pk, "uid") ||
		pack_str(&pk, uid) || pack_str(&pk, "nsp") ||
		pack_str(&pk, nsp) || pack_str(&pk, "type") ||
		msgpack_pack_int(&pk, type);
	if (r == 0 && d && (r = pack_str(&pk, "data")) == 0)
		r = pack_json(&pk, d, &args); /* -EINVAL: a placeholder */
	json_object_put(d);
	return finish_sbuf(&sb, r, out, len);
}

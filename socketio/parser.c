#include "parser.h"

#include "json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char *const reserved_events[] = {
    "connect",	     "connect_error", "disconnect",
    "disconnecting", "newListener",   "removeListener",
};

/* A string literal naming a reserved event (escapes are compared raw: an
 * escaped spelling of a reserved name is refused by the decode below). */
static int is_reserved(const char *lit, size_t len)
{
	char name[32];
	long n = sio__json_string_decode(lit, lit + len, name, sizeof(name));
	if (n < 0)
		return 0; /* longer than every reserved name */
	for (size_t i = 0;
	     i < sizeof(reserved_events) / sizeof(*reserved_events); i++)
		if (strcmp(name, reserved_events[i]) == 0)
			return 1;
	return 0;
}

/* 1 if the string literal escapes a NUL ("\u0000"), which a C string
 * cannot carry. */
static int escapes_nul(const char *lit, size_t len)
{
	for (size_t i = 1; i + 1 < len; i++) {
		if (lit[i] != '\\')
			continue;
		if (lit[i + 1] == 'u' && i + 5 < len &&
		    memcmp(lit + i + 2, "0000", 4) == 0)
			return 1;
		i++; /* skip the escaped character */
	}
	return 0;
}

/* Splits an event array into its name and the rest; checks the name. */
static int split_event(sio_packet_t *p)
{
	const char *end = p->data + p->data_len;
	const char *q = sio__json_ws(p->data + 1, end);
	if (q >= end || *q == ']')
		return -EINVAL; /* empty array */
	const char *name_end = sio__json_scan(q, end, SIO_JSON_MAX_DEPTH);
	if (!name_end)
		return -EINVAL;
	if (*q == '"') {
		if (is_reserved(q, (size_t)(name_end - q)) ||
		    escapes_nul(q, (size_t)(name_end - q)))
			return -EINVAL;
	} else if (!(*q == '-' || (*q >= '0' && *q <= '9'))) {
		return -EINVAL; /* neither a string nor a number */
	}
	p->name = q;
	p->name_len = (size_t)(name_end - q);
	const char *r = sio__json_ws(name_end, end);
	if (*r == ',')
		r = sio__json_ws(r + 1, end);
	p->rest = r;
	p->rest_len = (size_t)(end - r);
	return 0;
}

/* Every {"_placeholder":true,...} names an attachment by its index, as
 * socket.io-parser's reconstructPacket requires ("illegal attachments"). */
static int placeholders_ok(json_object *o, unsigned attachments)
{
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			if (!placeholders_ok(json_object_array_get_idx(o, i),
					     attachments))
				return 0;
		return 1;
	}
	if (!json_object_is_type(o, json_type_object))
		return 1;
	json_object *ph, *num;
	if (json_object_object_get_ex(o, "_placeholder", &ph) &&
	    json_object_is_type(ph, json_type_boolean) &&
	    json_object_get_boolean(ph))
		return json_object_object_get_ex(o, "num", &num) &&
		       (json_object_is_type(num, json_type_int) ||
			(json_object_is_type(num, json_type_double) &&
			 json_object_get_double(num) ==
			     (double)json_object_get_int64(num))) &&
		       json_object_get_int64(num) >= 0 &&
		       json_object_get_int64(num) < (int64_t)attachments;
	json_object_object_foreach(o, key, value)
	{
		(void)key;
		if (!placeholders_ok(value, attachments))
			return 0;
	}
	return 1;
}

static int attachments_ok(const sio_packet_t *p)
{
	if (p->attachments == 0 || !p->data)
		return 1;
	json_object *o = sio__json_parse(p->data, p->data_len);
	int ok = o && placeholders_ok(o, p->attachments);
	json_object_put(o);
	return ok;
}

static int valid_payload(sio_packet_t *p)
{
	char first = p->data ? p->data[0] : 0;
	switch (p->type) {
	case SIO_PACKET_CONNECT: return !p->data || first == '{';
	case SIO_PACKET_DISCONNECT: return !p->data;
	case SIO_PACKET_EVENT:
	case SIO_PACKET_BINARY_EVENT:
		return first == '[' && split_event(p) == 0;
	case SIO_PACKET_ACK:
	case SIO_PACKET_BINARY_ACK: return first == '[' && p->id >= 0;
	default: return 0;
	}
}

int sio__packet_decode(const char *buf, size_t len, unsigned max_attachments,
		       sio_packet_t *out)
{
	const char *p = buf, *end = buf + len;
	memset(out, 0, sizeof(*out));
	out->id = -1;
	if (p >= end || *p < '0' || *p > '6')
		return -EINVAL;
	out->type = (sio_packet_type_t)(*p++ - '0');
	if (out->type == SIO_PACKET_BINARY_EVENT ||
	    out->type == SIO_PACKET_BINARY_ACK) {
		unsigned n = 0;
		const char *d = p;
		while (p < end && *p >= '0' && *p <= '9' && p - d < 6)
			n = n * 10 + (unsigned)(*p++ - '0');
		if (p == d || p >= end || *p++ != '-' || n > max_attachments)
			return -EINVAL;
		out->attachments = n;
	}
	if (p < end && *p == '/') {
		out->nsp = p;
		while (p < end && *p != ',')
			p++;
		out->nsp_len = (size_t)(p - out->nsp);
		if (p < end)
			p++; /* the comma */
	} else {
		out->nsp = "/";
		out->nsp_len = 1;
	}
	if (p < end && *p >= '0' && *p <= '9') {
		int64_t id = 0;
		const char *d = p;
		while (p < end && *p >= '0' && *p <= '9') {
			if (p - d >= 15)
				return -EINVAL;
			id = id * 10 + (*p++ - '0');
		}
		out->id = id;
	}
	if (p < end) {
		const char *e = sio__json_scan(p, end, SIO_JSON_MAX_DEPTH);
		if (!e || sio__json_ws(e, end) != end)
			return -EINVAL;
		out->data = sio__json_ws(p, end);
		out->data_len = (size_t)(e - out->data);
	}
	return valid_payload(out) && attachments_ok(out) ? 0 : -EINVAL;
}

size_t sio__packet_header(char *out, sio_packet_type_t type,
			  unsigned attachments, const char *nsp, size_t nsp_len,
			  int64_t id)
{
	size_t n = 0;
	if (attachments > 0) {
		if (type == SIO_PACKET_EVENT)
			type = SIO_PACKET_BINARY_EVENT;
		else if (type == SIO_PACKET_ACK)
			type = SIO_PACKET_BINARY_ACK;
	}
	out[n++] = (char)('0' + type);
	if (attachments > 0)
		n += (size_t)sprintf(out + n, "%u-", attachments);
	if (!(nsp_len == 1 && nsp[0] == '/')) {
		memcpy(out + n, nsp, nsp_len);
		n += nsp_len;
		out[n++] = ',';
	}
	if (id >= 0)
		n += (size_t)sprintf(out + n, "%lld", (long long)id);
	return n;
}

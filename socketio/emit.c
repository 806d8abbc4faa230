#include "emit.h"

#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t sio__json_quote(char *buf, const char *s)
{
	size_t n = 0;
	buf[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)sprintf(buf + n, "\\u%04x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	return n;
}

/* The elements of a JSON array text, without the brackets. */
static int array_inner(const sio_args_t *args, const char **inner, size_t *len)
{
	*inner = "";
	*len = 0;
	if (!args || !args->json)
		return 0;
	size_t l = args->len ? args->len : strlen(args->json);
	const char *p = sio__json_ws(args->json, args->json + l);
	const char *e = args->json + l;
	while (e > p && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' ||
			 e[-1] == '\r'))
		e--;
	if (e - p < 2 || *p != '[' ||
	    sio__json_scan(p, e, SIO_JSON_MAX_DEPTH) != e)
		return -EINVAL; /* not one valid JSON array */
	p = sio__json_ws(p + 1, e - 1);
	*inner = p;
	*len = (size_t)(e - 1 - p);
	return 0;
}

static int attach(sio_encoded_t *out, const sio_args_t *args)
{
	if (!args || args->nbins == 0)
		return 0;
	out->bins = calloc(args->nbins, sizeof(*out->bins));
	if (!out->bins)
		return -ENOMEM;
	for (size_t i = 0; i < args->nbins; i++) {
		out->bins[i] =
		    eio_msg_new(1, args->bins[i].data, args->bins[i].len);
		if (!out->bins[i])
			return -ENOMEM;
		out->nbins++;
	}
	return 0;
}

/* Names clients refuse in an EVENT (socket.io-parser's isPayloadValid;
 * Node's emit throws on them). */
static int reserved(const char *event)
{
	static const char *const names[] = {"connect",	   "connect_error",
					    "disconnect",  "disconnecting",
					    "newListener", "removeListener"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(event, names[i]) == 0)
			return 1;
	return 0;
}

int sio__encode(sio_encoded_t *out, sio_packet_type_t type, const char *nsp,
		int64_t id, const char *event, const sio_args_t *args,
		const char *offset)
{
	memset(out, 0, sizeof(*out));
	if (event && reserved(event))
		return -EINVAL;
	const char *inner;
	size_t ilen;
	if (array_inner(args, &inner, &ilen) < 0)
		return -EINVAL;
	size_t nsp_len = strlen(nsp);
	size_t cap = SIO_PACKET_HEADER_MAX + nsp_len + ilen + 8 +
		     (event ? strlen(event) * 6 + 2 : 0) +
		     (offset ? strlen(offset) * 6 + 3 : 0);
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	size_t nb = args ? args->nbins : 0;
	size_t n =
	    sio__packet_header(buf, type, (unsigned)nb, nsp, nsp_len, id);
	int need_comma = 0;
	buf[n++] = '[';
	if (event) {
		n += sio__json_quote(buf + n, event);
		need_comma = 1;
	}
	if (ilen) {
		if (need_comma)
			buf[n++] = ',';
		memcpy(buf + n, inner, ilen);
		n += ilen;
		need_comma = 1;
	}
	if (offset) {
		if (need_comma)
			buf[n++] = ',';
		n += sio__json_quote(buf + n, offset);
	}
	buf[n++] = ']';
	out->text = eio_msg_new(0, buf, n);
	free(buf);
	if (!out->text || attach(out, args) < 0) {
		sio__encoded_release(out);
		return -ENOMEM;
	}
	return 0;
}

int sio__encode_raw(sio_encoded_t *out, sio_packet_type_t type, const char *nsp,
		    const char *json)
{
	memset(out, 0, sizeof(*out));
	size_t nsp_len = strlen(nsp), jlen = json ? strlen(json) : 0;
	char *buf = malloc(SIO_PACKET_HEADER_MAX + nsp_len + jlen);
	if (!buf)
		return -ENOMEM;
	size_t n = sio__packet_header(buf, type, 0, nsp, nsp_len, -1);
	memcpy(buf + n, json ? json : "", jlen);
	out->text = eio_msg_new(0, buf, n + jlen);
	free(buf);
	return out->text ? 0 : -ENOMEM;
}

void sio__encoded_release(sio_encoded_t *e)
{
	eio_msg_unref(e->text);
	for (size_t i = 0; i < e->nbins; i++)
		eio_msg_unref(e->bins[i]);
	free(e->bins);
	memset(e, 0, sizeof(*e));
}

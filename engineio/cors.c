/* CORS response headers, as Node's `cors` package sends them for the
 * options engine.io passes to it (origin and credentials). */
#include "server.h"

#include <event2/buffer.h>
#include <string.h>

/* 1 if `origin` is one of the comma-separated `list`. */
static int origin_listed(const char *list, const char *origin)
{
	size_t olen = strlen(origin);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > p && t[-1] == ' ')
			t--;
		if ((size_t)(t - p) == olen && strncmp(p, origin, olen) == 0)
			return 1;
		p = e;
	}
	return 0;
}

void eio__cors_headers(const eio_server_t *srv, const eio_request_t *req,
		       int preflight, struct evbuffer *out)
{
	const char *allowed = srv->cors_origin;
	if (!allowed)
		return;
	const char *origin = eio_request_header(req, "origin");
	int any = strcmp(allowed, "*") == 0;
	if (any)
		evbuffer_add_printf(out, "Access-Control-Allow-Origin: *\r\n");
	else if (origin && origin_listed(allowed, origin))
		evbuffer_add_printf(out, "Access-Control-Allow-Origin: %s\r\n",
				    origin);
	if (srv->opts.cors_credentials)
		evbuffer_add_printf(
		    out, "Access-Control-Allow-Credentials: true\r\n");
	const char *asked =
	    preflight
		? eio_request_header(req, "access-control-request-headers")
		: NULL;
	if (preflight) {
		evbuffer_add_printf(out, "Access-Control-Allow-Methods: "
					 "GET,HEAD,PUT,PATCH,POST,DELETE\r\n");
		if (asked)
			evbuffer_add_printf(
			    out, "Access-Control-Allow-Headers: %s\r\n", asked);
	}
	if (!any && asked)
		evbuffer_add_printf(
		    out, "Vary: Origin, Access-Control-Request-Headers\r\n");
	else if (!any)
		evbuffer_add_printf(out, "Vary: Origin\r\n");
	else if (asked)
		evbuffer_add_printf(out,
				    "Vary: Access-Control-Request-Headers\r\n");
}

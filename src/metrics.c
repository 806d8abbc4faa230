#include "metrics.h"

#include <event2/buffer.h>
#include <string.h>

static const char *const reasons[SD_METRICS_REASONS] = {
    "client namespace disconnect",
    "server namespace disconnect",
    "transport close",
    "transport error",
    "ping timeout",
    "parse error",
    "forced close",
    "forced server close",
    "server shutting down",
};

void sd_metrics_disconnect(sd_metrics_t *m, const char *reason)
{
	for (size_t i = 0; i < SD_METRICS_REASONS; i++)
		if (strcmp(reasons[i], reason) == 0) {
			m->disconnects[i]++;
			return;
		}
	m->disconnects[SD_METRICS_REASONS]++;
}

static void metric(struct evbuffer *out, const char *name, const char *type,
		   const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			    name, type);
}

static void counter(struct evbuffer *out, const char *name, const char *help,
		    uint64_t v)
{
	metric(out, name, "counter", help);
	evbuffer_add_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

void sd_metrics_render(const sd_metrics_t *m, const eio_stats_t *es,
		       size_t sockets, size_t rooms, double uptime_s,
		       struct evbuffer *out)
{
	metric(out, "socketiod_connections", "gauge",
	       "Open Engine.IO connections by transport.");
	evbuffer_add_printf(
	    out,
	    "socketiod_connections{transport=\"polling\"} %zu\n"
	    "socketiod_connections{transport=\"websocket\"} %zu\n",
	    es->polling, es->websocket);
	metric(out, "socketiod_sockets", "gauge",
	       "Sockets connected to the namespace \"/\".");
	evbuffer_add_printf(out, "socketiod_sockets %zu\n", sockets);
	metric(out, "socketiod_rooms", "gauge", "Chat rooms with history.");
	evbuffer_add_printf(out, "socketiod_rooms %zu\n", rooms);
	counter(out, "socketiod_connects_total",
		"Sockets connected since start.", m->connects);
	metric(out, "socketiod_disconnects_total", "counter",
	       "Sockets disconnected, by reason.");
	for (size_t i = 0; i <= SD_METRICS_REASONS; i++)
		evbuffer_add_printf(
		    out, "socketiod_disconnects_total{reason=\"%s\"} %llu\n",
		    i < SD_METRICS_REASONS ? reasons[i] : "other",
		    (unsigned long long)m->disconnects[i]);
	counter(out, "socketiod_packets_in_total",
		"Engine.IO messages received.", es->messages_in);
	counter(out, "socketiod_packets_out_total",
		"Engine.IO messages queued, once per recipient.",
		es->messages_out);
	counter(out, "socketiod_bytes_in_total",
		"Bytes of Engine.IO messages received.", es->bytes_in);
	counter(out, "socketiod_bytes_out_total",
		"Bytes of Engine.IO messages queued, once per recipient.",
		es->bytes_out);
	counter(out, "socketiod_handshakes_refused_total",
		"Handshakes refused by a connection limit.",
		es->handshakes_refused);
	counter(out, "socketiod_events_in_total", "Events from clients.",
		m->events_in);
	counter(out, "socketiod_broadcasts_total",
		"Emits by the service and the HTTP API.", m->emits);
	counter(out, "socketiod_chat_messages_total", "Chat messages accepted.",
		m->chat_messages);
	counter(out, "socketiod_rate_limited_total",
		"Events refused by a rate limit.", m->rate_limited);
	counter(out, "socketiod_auth_failures_total",
		"Connections refused by authentication.", m->auth_failures);
	counter(out, "socketiod_api_requests_total", "HTTP API requests.",
		m->api_requests);
	metric(out, "socketiod_uptime_seconds", "gauge",
	       "Seconds since start.");
	evbuffer_add_printf(out, "socketiod_uptime_seconds %.3f\n", uptime_s);
}

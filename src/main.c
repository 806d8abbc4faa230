/* socketiod: configuration, listeners, signals and the drain. */
#include "../common/clock.h"
#include "config.h"
#include "log.h"
#include "service.h"
#include "static.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

typedef struct daemon {
	struct event_base *base;
	sio_server_t *srv;
	sd_service_t *svc;
	const sd_config_t *cfg;
	struct event *drain_ev; /* polls for the last session to go */
	uint64_t drain_deadline;
	int draining;
} daemon_t;

static void drain_poll(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	daemon_t *d = ud;
	eio_server_t *eio = sio_server_engine(d->srv);
	/* sessions closing, and connections still writing their last bytes
	 * (close frames, close packets) */
	size_t left =
	    eio_server_session_count(eio) + eio_server_busy_connections(eio);
	if (left == 0) {
		sd_log(SD_LOG_INFO, "drained: every client is gone");
		event_base_loopbreak(d->base);
	} else if (clock_monotonic_ms() >= d->drain_deadline) {
		sd_log(SD_LOG_WARN,
		       "shutdown grace over: closing %zu connections", left);
		event_base_loopbreak(d->base);
	}
}

static void on_stop_signal(evutil_socket_t sig, short what, void *ud)
{
	(void)what;
	daemon_t *d = ud;
	if (d->draining) { /* a second signal: no more patience */
		sd_log(SD_LOG_WARN, "signal %d again: exiting now", (int)sig);
		event_base_loopbreak(d->base);
		return;
	}
	d->draining = 1;
	sd_log(SD_LOG_INFO, "signal %d: draining (grace %u ms)", (int)sig,
	       d->cfg->shutdown_grace_ms);
	sd_service_drain(d->svc);
	eio_server_shutdown(sio_server_engine(d->srv));
	d->drain_deadline = clock_monotonic_ms() + d->cfg->shutdown_grace_ms;
	/* checked from the next iterations: this one writes the closes */
	struct timeval tv = {0, 20000};
	event_add(d->drain_ev, &tv);
}

static void on_hup(evutil_socket_t sig, short what, void *ud)
{
	(void)sig;
	(void)what;
	(void)ud;
	sd_log_reopen();
	sd_log(SD_LOG_INFO, "SIGHUP: log reopened");
}

static void server_options(const sd_config_t *cfg, sio_options_t *o)
{
	sio_options_init(o);
	o->eio.path = cfg->path;
	o->eio.ping_interval_ms = cfg->ping_interval_ms;
	o->eio.ping_timeout_ms = cfg->ping_timeout_ms;
	o->eio.max_payload = cfg->max_payload;
	o->eio.transports = cfg->transports;
	o->eio.cors_origin = cfg->cors_origin;
	o->eio.max_sessions = cfg->max_connections;
	o->eio.max_sessions_per_address = cfg->max_connections_per_ip;
	o->connect_timeout_ms = cfg->connect_timeout_ms;
	o->recovery_window_ms = cfg->recovery_window_ms;
	o->redis_url = cfg->redis;
	o->redis_sharded = cfg->redis_sharded;
}

static int listen_all(daemon_t *d)
{
	const sd_config_t *cfg = d->cfg;
	eio_server_t *eio = sio_server_engine(d->srv);
	unsigned index = 0;
	for (size_t h = 0; h < cfg->nhosts; h++)
		for (size_t p = 0; p < cfg->nports; p++, index++) {
			int r = sio_server_listen(d->srv, cfg->hosts[h],
						  cfg->ports[p]);
			if (r < 0) {
				sd_log(SD_LOG_ERROR,
				       "cannot listen on %s:%u: %s",
				       cfg->hosts[h], (unsigned)cfg->ports[p],
				       strerror(-r));
				return -1;
			}
			/* the line tests and scripts wait for */
			printf("listening on %s:%u\n", cfg->hosts[h],
			       (unsigned)eio_server_port(eio, index));
			sd_log(SD_LOG_INFO, "listening on %s:%u", cfg->hosts[h],
			       (unsigned)eio_server_port(eio, index));
		}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	sd_config_t cfg;
	switch (sd_config_load(&cfg, argc, argv, environ, stdout, stderr)) {
	case SD_CONFIG_EXIT: return 0;
	case SD_CONFIG_ERROR: return 2;
	case SD_CONFIG_RUN: break;
	}
	if (cfg.redis && sio_redis_url_check(cfg.redis) < 0) {
		fprintf(stderr,
			"socketiod: --redis: %s: HOST must be an IP address or "
			"localhost (no DNS lookup), or use unix:PATH\n",
			cfg.redis);
		sd_config_free(&cfg);
		return 2;
	}
	if (sd_log_open(&cfg) < 0) {
		fprintf(stderr, "socketiod: --log-file: cannot open %s\n",
			cfg.log_file);
		sd_config_free(&cfg);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	int status = 1;
	const char *error = NULL;
	struct event *sigs[3] = {NULL};
	daemon_t d = {.cfg = &cfg};
	sio_options_t opts;
	server_options(&cfg, &opts);
	sd_static_t *files = sd_static_new(cfg.static_dir, &error);
	if (!files && cfg.static_dir) {
		sd_log(SD_LOG_ERROR, "--static-dir: %s", error);
		status = 2;
		goto out;
	}
	if (!files)
		sd_log(SD_LOG_WARN, "no demo page: %s", error);
	if (!(d.base = event_base_new()) ||
	    !(d.srv = sio_server_new(d.base, &opts)) ||
	    !(d.drain_ev = event_new(d.base, -1, EV_PERSIST, drain_poll, &d)) ||
	    !(sigs[0] = evsignal_new(d.base, SIGTERM, on_stop_signal, &d)) ||
	    !(sigs[1] = evsignal_new(d.base, SIGINT, on_stop_signal, &d)) ||
	    !(sigs[2] = evsignal_new(d.base, SIGHUP, on_hup, &d))) {
		sd_log(SD_LOG_ERROR, "out of memory");
		goto out;
	}
	if (!(d.svc = sd_service_new(d.base, d.srv, &cfg, files, &error))) {
		sd_log(SD_LOG_ERROR, "%s", error);
		status = 2;
		goto out;
	}
	for (int i = 0; i < 3; i++)
		evsignal_add(sigs[i], NULL);
	if (listen_all(&d) < 0)
		goto out;
	if (cfg.redis)
		sd_log(SD_LOG_INFO,
		       "cluster through Redis%s (connecting in "
		       "the background; /health tells)",
		       cfg.redis_sharded ? " sharded pub/sub" : "");
	sd_log(SD_LOG_INFO, "socketiod %s ready (auth %s)", SD_VERSION,
	       cfg.auth == SD_AUTH_NONE	      ? "none"
	       : cfg.auth == SD_AUTH_OPTIONAL ? "optional"
					      : "required");
	event_base_dispatch(d.base);
	status = 0;
out:
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (d.drain_ev)
		event_free(d.drain_ev);
	sio_server_free(d.srv); /* disconnect callbacks still use the service */
	sd_service_free(d.svc);
	sd_static_free(files);
	if (d.base)
		event_base_free(d.base);
	sd_log(SD_LOG_INFO, "exit %d", status);
	sd_log_close();
	sd_config_free(&cfg);
	return status;
}

/* socketiod's configuration: one table of options drives the long (and
 * short) flags, the SOCKETIOD_* environment variables, the keys of the
 * optional JSON config file, --help, and man/socketiod.8.
 * Precedence: flags > environment > file > defaults.
 *
 * Durations are milliseconds, sizes bytes, counts plain integers. */
#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
	SD_AUTH_NONE,	  /* anonymous; tokens are not looked at */
	SD_AUTH_OPTIONAL, /* anonymous allowed; a token is checked if sent */
	SD_AUTH_REQUIRED, /* a valid token is needed */
} sd_auth_mode_t;

typedef enum {
	SD_LOG_ERROR,
	SD_LOG_WARN,
	SD_LOG_INFO,
	SD_LOG_DEBUG
} sd_log_level_t;
typedef enum { SD_LOG_TEXT, SD_LOG_JSON } sd_log_format_t;

typedef struct sd_config {
	/* listeners: every host on every port */
	char **hosts; /* --host, repeatable; default "0.0.0.0" */
	size_t nhosts;
	uint16_t *ports; /* --port, repeatable; default 3000 */
	size_t nports;
	char *path;		     /* --path, default "/socket.io/" */
	unsigned ping_interval_ms;   /* --ping-interval, 25000 */
	unsigned ping_timeout_ms;    /* --ping-timeout, 20000 */
	size_t max_payload;	     /* --max-payload, 1000000 */
	unsigned connect_timeout_ms; /* --connect-timeout, 45000 */
	char *cors_origin;   /* --cors-origin, NULL: no CORS; "*" or a list */
	unsigned transports; /* --transports "polling,websocket": EIO bits */
	unsigned recovery_window_ms; /* --recovery-window, 120000; 0 off */

	sd_auth_mode_t auth;	/* --auth none|optional|required; none */
	char *jwt_secret;	/* --jwt-secret: HS256/384/512 */
	char *jwt_public_key;	/* --jwt-public-key: EdDSA (Ed25519) */
	char *jwt_issuer;	/* --jwt-issuer: required "iss" */
	char *jwt_audience;	/* --jwt-audience: required in "aud" */
	unsigned jwt_leeway_ms; /* --jwt-leeway, 30000 */
	char *private_prefix;	/* --private-prefix, "private:" */
	char *api_key;		/* --api-key: the HTTP API; NULL is off */

	unsigned message_rate;	       /* --message-rate, 10 per window */
	unsigned message_window_ms;    /* --message-window, 10000 */
	unsigned event_rate;	       /* --event-rate, 100 per window; 0 off */
	unsigned history_size;	       /* --history-size, 100 per room */
	unsigned history_rooms;	       /* --history-rooms, 1000 */
	unsigned max_rooms_per_socket; /* --max-rooms-per-socket, 100 */
	unsigned offline_state_ms;     /* --offline-state, a day */
	unsigned max_message_length;   /* --max-message-length, 500 chars */
	unsigned typing_timeout_ms;    /* --typing-timeout, 5000 */
	unsigned stats_interval_ms;    /* --stats-interval, 5000 */
	char **relay_events;	       /* --relay-event, repeatable */
	size_t nrelay_events;
	unsigned max_connections;	 /* --max-connections, 0: no limit */
	unsigned max_connections_per_ip; /* --max-connections-per-ip, 0 */

	sd_log_level_t log_level;   /* --log-level error|warn|info|debug */
	sd_log_format_t log_format; /* --log-format text|json */
	char *log_file;		    /* --log-file, NULL: stderr */
	char *static_dir;	    /* --static-dir, the installed demo */
	char *redis;		    /* --redis URL, NULL: in memory */
	int redis_sharded;	    /* --redis-sharded: sharded pub/sub */
	unsigned shutdown_grace_ms; /* --shutdown-grace, 10000 */
	char *config; /* --config or SOCKETIOD_CONFIG: the file read, or NULL */
} sd_config_t;

/* What sd_config_load() tells its caller to do. */
typedef enum {
	SD_CONFIG_RUN,	 /* start the server */
	SD_CONFIG_EXIT,	 /* --help, --version, --check-config: done, exit 0 */
	SD_CONFIG_ERROR, /* a message went to `err`; exit 2 */
} sd_config_result_t;

/* Fills *cfg from the defaults, the file named by --config or
 * SOCKETIOD_CONFIG, the environment, and the flags, in that order of
 * increasing precedence. Prints --help/--version/--check-config output to
 * `out` and errors (naming the flag, variable or key at fault) to `err`.
 * On SD_CONFIG_RUN the caller owns *cfg and frees it with
 * sd_config_free(); on the other results *cfg is left zeroed, with
 * nothing to free. `envp` is a NULL-terminated array of "NAME=value"
 * (environ; NULL for none); argv is not modified. Uses getopt_long, so
 * not thread-safe. */
sd_config_result_t sd_config_load(sd_config_t *cfg, int argc, char **argv,
				  char **envp, FILE *out, FILE *err);

/* Frees every member of *cfg and zeroes it; a zeroed *cfg is fine. */
void sd_config_free(sd_config_t *cfg);

/* The long name of option `i` of the table, in the order of --help
 * (0, 1, ... until NULL), e.g. "port": for tests and tools. */
const char *sd_config_option_name(size_t i);

#endif /* SD_CONFIG_H */

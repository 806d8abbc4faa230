/* socketiod's options: one table, and everything derived from it (the
 * getopt_long options, the SOCKETIOD_* variables, the keys of the JSON
 * file, --help and --check-config).
 *
 * Loading goes defaults, file, environment, flags: each source overwrites
 * what the one before set. A list (--host, --port, --relay-event) given by
 * a source replaces the list as a whole; on the command line, repeating
 * the flag appends to the list the first occurrence started. */
#include <config.h> /* autoconf's: PACKAGE_VERSION */

#include "config.h"
#include "eio.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DAY_MS 86400000ull
#define MILLION 1000000ull
#define ENV_PREFIX "SOCKETIOD_"
#define FILE_MAX (1u << 20) /* bytes of the config file */
#define FILE_MAX_DEPTH 8    /* nesting of the config file */
#define HELP_COLUMN 32	    /* where the help texts of --help start */
#define HELP_WIDTH 79	    /* the longest line of --help */

typedef enum {
	K_STR,	      /* char *: a string */
	K_UINT,	      /* unsigned: a count */
	K_MS,	      /* unsigned: a duration in milliseconds */
	K_SIZE,	      /* size_t: a number of bytes */
	K_ENUM,	      /* an enum: the index of its name in `choices` */
	K_LIST,	      /* char ** with a size_t count: repeatable */
	K_PORTS,      /* uint16_t * with a size_t count: repeatable */
	K_TRANSPORTS, /* unsigned: EIO_TRANSPORT_* bits */
	K_BOOL,	      /* int: a flag without argument; true or false
			 elsewhere */
	K_ACTION,     /* no argument, command line only: --help... */
} kind_t;

#define F_SECRET 1u /* --check-config shows "***" */
#define F_NOFILE 2u /* not a key of the file (--config itself) */
#define F_JOIN 4u   /* a JSON array is joined with commas */

/* What a K_ACTION option asks for; the largest one given wins. */
typedef enum {
	ACT_NONE,
	ACT_CHECK,
	ACT_VERSION,
	ACT_HELP,
} action_t;

typedef struct opt {
	const char *name; /* the long flag, the file key, the variable */
	char letter;	  /* the short flag, or 0 */
	kind_t kind;
	unsigned flags;
	const char *arg; /* the argument's name in --help */
	/* The default, as text parsed like any value (a list is
	 * comma-separated). NULL: none (a string stays NULL). */
	const char *def;
	const char *help; /* one line of --help, without the default */
	size_t off;	  /* the member of sd_config_t */
	size_t count_off; /* K_LIST, K_PORTS: the member holding the count */
	/* K_UINT, K_MS, K_SIZE: the range; K_LIST, K_PORTS: min 1 when the
	 * list may not be empty */
	unsigned long long min, max;
	const char *const *choices; /* K_ENUM: NULL-terminated names */
	action_t action;	    /* K_ACTION */
	/* K_STR: checks (and may rewrite) a value other than NULL; returns
	 * 0, or -1 with a reason in `why` */
	int (*check)(char **value, char *why, size_t n);
} opt_t;

static const char *const auth_names[] = {"none", "optional", "required", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug",
					  NULL};
static const char *const format_names[] = {"text", "json", NULL};

static int check_path(char **v, char *why, size_t n);
static int check_redis(char **v, char *why, size_t n);
static int check_dir(char **v, char *why, size_t n);

#define AT(m) .off = offsetof(sd_config_t, m)
#define LIST_AT(m, count)                                                      \
	.off = offsetof(sd_config_t, m),                                       \
	.count_off = offsetof(sd_config_t, count)

/* parse_enum() stores an int */
_Static_assert(sizeof(sd_auth_mode_t) == sizeof(int) &&
		   sizeof(sd_log_level_t) == sizeof(int) &&
		   sizeof(sd_log_format_t) == sizeof(int),
	       "an enum of sd_config_t is not an int");

/* Every option, in the order of --help and man/socketiod.8. */
static const opt_t options[] = {
    {"host", 'H', K_LIST, 0, "HOST", "0.0.0.0",
     "address to listen on; repeatable", LIST_AT(hosts, nhosts), .min = 1},
    {"port", 'p', K_PORTS, 0, "PORT", "3000",
     "TCP port to listen on, on every host; repeatable; 0 picks a free "
     "port",
     LIST_AT(ports, nports), .min = 1},
    {"path", 0, K_STR, 0, "PATH", "/socket.io/", "request path of Socket.IO",
     AT(path), .check = check_path},
    {"ping-interval", 0, K_MS, 0, "MS", "25000", "Engine.IO heartbeat interval",
     AT(ping_interval_ms), .min = 1, .max = DAY_MS},
    {"ping-timeout", 0, K_MS, 0, "MS", "20000",
     "how long a heartbeat waits for its answer", AT(ping_timeout_ms), .min = 1,
     .max = DAY_MS},
    {"max-payload", 0, K_SIZE, 0, "BYTES", "1000000",
     "largest message or polling request body accepted", AT(max_payload),
     .min = 1, .max = 1ull << 30},
    {"connect-timeout", 0, K_MS, 0, "MS", "45000",
     "time a client has to join a namespace after its handshake",
     AT(connect_timeout_ms), .min = 1, .max = DAY_MS},
    {"cors-origin", 0, K_STR, F_JOIN, "ORIGINS", NULL,
     "allowed cross-origin callers: * or a comma-separated list of origins "
     "(default: no CORS headers)",
     AT(cors_origin)},
    {"transports", 0, K_TRANSPORTS, F_JOIN, "LIST", "polling,websocket",
     "enabled transports, a comma-separated list of polling and websocket",
     AT(transports)},
    {"recovery-window", 0, K_MS, 0, "MS", "120000",
     "how long a disconnected client may recover its session and missed "
     "packets; 0 turns recovery off",
     AT(recovery_window_ms), .min = 0, .max = DAY_MS},
    {"auth", 0, K_ENUM, 0, "MODE", "none",
     "JWT authentication: none, optional (a token is checked if sent) or "
     "required; optional and required need --jwt-secret or "
     "--jwt-public-key",
     AT(auth), .choices = auth_names},
    {"jwt-secret", 0, K_STR, F_SECRET, "SECRET", NULL,
     "HMAC secret of HS256, HS384 and HS512 tokens", AT(jwt_secret)},
    {"jwt-public-key", 0, K_STR, 0, "KEY", NULL,
     "Ed25519 public key of EdDSA tokens", AT(jwt_public_key)},
    {"jwt-issuer", 0, K_STR, 0, "ISSUER", NULL,
     "issuer (iss claim) that tokens must name", AT(jwt_issuer)},
    {"jwt-audience", 0, K_STR, 0, "AUDIENCE", NULL,
     "audience that the aud claim of tokens must hold", AT(jwt_audience)},
    {"jwt-leeway", 0, K_MS, 0, "MS", "30000",
     "clock skew allowed when checking exp and nbf", AT(jwt_leeway_ms),
     .min = 0, .max = DAY_MS},
    {"private-prefix", 0, K_STR, 0, "PREFIX", "private:",
     "rooms named with this prefix are joined only with a token whose "
     "rooms claim lists them",
     AT(private_prefix)},
    {"api-key", 0, K_STR, F_SECRET, "KEY", NULL,
     "bearer key of the HTTP API for back ends (default: no API)", AT(api_key)},
    {"message-rate", 0, K_UINT, 0, "N", "10",
     "chat messages a user may send per --message-window", AT(message_rate),
     .min = 1, .max = MILLION},
    {"message-window", 0, K_MS, 0, "MS", "10000",
     "the window of --message-rate and --event-rate", AT(message_window_ms),
     .min = 1, .max = DAY_MS},
    {"event-rate", 0, K_UINT, 0, "N", "100",
     "events a socket may send per --message-window; 0 turns the limit off",
     AT(event_rate), .min = 0, .max = MILLION},
    {"history-size", 0, K_UINT, 0, "N", "100", "chat messages kept per room",
     AT(history_size), .min = 0, .max = MILLION},
    {"history-rooms", 0, K_UINT, 0, "N", "1000",
     "chat rooms whose history is kept; past it, a new room's history "
     "replaces that of a room nobody is in",
     AT(history_rooms), .min = 1, .max = MILLION},
    {"max-rooms-per-socket", 0, K_UINT, 0, "N", "100",
     "rooms a socket may join through the service's events",
     AT(max_rooms_per_socket), .min = 1, .max = MILLION},
    {"offline-state", 0, K_MS, 0, "MS", "86400000",
     "how long the notifications and unread counts of a user with no "
     "connection are kept",
     AT(offline_state_ms), .min = 0, .max = 30 * DAY_MS},
    {"max-message-length", 0, K_UINT, 0, "N", "500",
     "longest chat message, in characters", AT(max_message_length), .min = 1,
     .max = MILLION},
    {"typing-timeout", 0, K_MS, 0, "MS", "5000",
     "a typing indicator not refreshed within this time expires",
     AT(typing_timeout_ms), .min = 1, .max = DAY_MS},
    {"stats-interval", 0, K_MS, 0, "MS", "5000",
     "how often listener counts are sent when they changed",
     AT(stats_interval_ms), .min = 1, .max = DAY_MS},
    {"relay-event", 0, K_LIST, 0, "EVENT",
     "location:share,share-location,call:initiate,call:signal,"
     "document:edit,track:vote",
     "event relayed to the others in the sender's room; repeatable; an "
     "empty value relays none",
     LIST_AT(relay_events, nrelay_events)},
    {"max-connections", 0, K_UINT, 0, "N", "0",
     "connections served at once; 0 is no limit", AT(max_connections), .min = 0,
     .max = 100 * MILLION},
    {"max-connections-per-ip", 0, K_UINT, 0, "N", "0",
     "connections from one address at once; 0 is no limit",
     AT(max_connections_per_ip), .min = 0, .max = 100 * MILLION},
    {"log-level", 0, K_ENUM, 0, "LEVEL", "info", "error, warn, info or debug",
     AT(log_level), .choices = level_names},
    {"log-format", 0, K_ENUM, 0, "FORMAT", "text",
     "text, or json: one object per line", AT(log_format),
     .choices = format_names},
    {"log-file", 0, K_STR, 0, "FILE", NULL,
     "append the log to this file, reopened on SIGHUP (default: standard "
     "error)",
     AT(log_file)},
    {"static-dir", 0, K_STR, 0, "DIR", NULL,
     "serve the demo page and the client bundle from this directory "
     "(default: the demo installed with socketiod)",
     AT(static_dir), .check = check_dir},
    {"redis", 0, K_STR, 0, "URL", NULL,
     "share rooms and broadcasts with other nodes through Redis at "
     "redis://HOST[:PORT][/DB] (default: in memory, one node)",
     AT(redis), .check = check_redis},
    {"redis-sharded", 0, K_BOOL, 0, NULL, NULL,
     "with --redis: Redis 7 sharded pub/sub (SPUBLISH, SSUBSCRIBE), as "
     "createShardedAdapter of @socket.io/redis-adapter, instead of classic "
     "pub/sub (default: off; true or false in the environment and the file)",
     AT(redis_sharded)},
    {"shutdown-grace", 0, K_MS, 0, "MS", "10000",
     "the longest drain on SIGTERM or SIGINT before the exit",
     AT(shutdown_grace_ms), .min = 0, .max = DAY_MS},
    {"config", 'c', K_STR, F_NOFILE, "FILE", NULL,
     "read options from this JSON file, keyed by long option name", AT(config)},
    {"check-config", 0, K_ACTION, 0, NULL, NULL,
     "check the options, print them as JSON and exit", .action = ACT_CHECK},
    {"help", 'h', K_ACTION, 0, NULL, NULL, "print this help and exit",
     .action = ACT_HELP},
    {"version", 'V', K_ACTION, 0, NULL, NULL, "print the version and exit",
     .action = ACT_VERSION},
};

#define NOPT (sizeof(options) / sizeof(options[0]))

const char *sd_config_option_name(size_t i)
{
	return i < NOPT ? options[i].name : NULL;
}

/* Where a value comes from, in increasing precedence. */
typedef enum { SRC_DEFAULT, SRC_FILE, SRC_ENV, SRC_FLAG } source_t;

typedef struct loader {
	sd_config_t *cfg;
	FILE *err;
	const char *file; /* the config file, for messages */
	source_t src;	  /* the source being applied */
	/* which source last set each option */
	source_t set_by[NOPT];
} loader_t;

/* SOCKETIOD_<NAME> of option `o` in `buf`. */
static const char *env_name(const opt_t *o, char *buf, size_t n)
{
	size_t len = strlen(ENV_PREFIX);
	memcpy(buf, ENV_PREFIX, len);
	for (const char *p = o->name; *p && len + 1 < n; p++)
		buf[len++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	buf[len] = '\0';
	return buf;
}

/* "socketiod: WHERE: message": where names the flag, the variable or the
 * key of the file that `src` set option `o` from. Returns -1. */
static int fail_from(loader_t *l, source_t src, const opt_t *o, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
static int fail_from(loader_t *l, source_t src, const opt_t *o, const char *fmt,
		     ...)
{
	char env[64];
	va_list ap;
	fputs("socketiod: ", l->err);
	switch (src) {
	case SRC_DEFAULT:
		fprintf(l->err, "the default of --%s: ", o->name);
		break;
	case SRC_FILE:
		fprintf(l->err, "%s: key '%s': ", l->file, o->name);
		break;
	case SRC_ENV:
		fprintf(l->err, "%s: ", env_name(o, env, sizeof(env)));
		break;
	case SRC_FLAG: fprintf(l->err, "--%s: ", o->name); break;
	}
	va_start(ap, fmt);
	vfprintf(l->err, fmt, ap);
	va_end(ap);
	fputc('\n', l->err);
	return -1;
}

#define FAIL(l, o, ...) fail_from((l), (l)->src, (o), __VA_ARGS__)

static void *member(const loader_t *l, size_t off)
{
	return (char *)l->cfg + off;
}

/* Parses a plain decimal number: digits only, no sign or space. */
static int parse_number(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int out_of_memory(loader_t *l)
{
	fputs("socketiod: out of memory\n", l->err);
	return -1;
}

/* Empties a list option. */
static void list_clear(loader_t *l, const opt_t *o)
{
	size_t *count = member(l, o->count_off);
	if (o->kind == K_LIST) {
		char ***items = member(l, o->off);
		for (size_t i = 0; i < *count; i++)
			free((*items)[i]);
		free(*items);
		*items = NULL;
	} else {
		uint16_t **ports = member(l, o->off);
		free(*ports);
		*ports = NULL;
	}
	*count = 0;
}

/* Appends one item (not split at commas) to a list option. */
static int list_add(loader_t *l, const opt_t *o, const char *v)
{
	size_t *count = member(l, o->count_off);
	if (o->kind == K_PORTS) {
		uint16_t **ports = member(l, o->off);
		unsigned long long n;
		if (parse_number(v, &n) || n > 65535)
			return FAIL(l, o, "not a port number: '%s'", v);
		uint16_t *p = realloc(*ports, (*count + 1) * sizeof(*p));
		if (!p)
			return out_of_memory(l);
		p[(*count)++] = (uint16_t)n;
		*ports = p;
		return 0;
	}
	char ***items = member(l, o->off);
	if (!*v)
		return FAIL(l, o, "must not be empty");
	char *copy = strdup(v);
	char **p = copy ? realloc(*items, (*count + 1) * sizeof(*p)) : NULL;
	if (!p) {
		free(copy);
		return out_of_memory(l);
	}
	p[(*count)++] = copy;
	*items = p;
	return 0;
}

/* Sets a list option to the comma-separated `v` (a default or a
 * variable). An empty `v` is the empty list. */
static int list_set_split(loader_t *l, const opt_t *o, const char *v)
{
	list_clear(l, o);
	for (const char *p = v; *v;) {
		size_t len = strcspn(p, ",");
		if (!len)
			return FAIL(l, o, "empty item in '%s'", v);
		char *item = strndup(p, len);
		if (!item)
			return out_of_memory(l);
		int r = list_add(l, o, item);
		free(item);
		if (r)
			return r;
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
}

/* A list option that may not be empty, left empty. */
static int list_check(loader_t *l, const opt_t *o)
{
	size_t *count = member(l, o->count_off);
	if (o->min && !*count)
		return FAIL(l, o, "needs at least one value");
	return 0;
}

static int parse_transports(loader_t *l, const opt_t *o, const char *v)
{
	unsigned bits = 0;
	const char *p = v;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 7 && strncmp(p, "polling", 7) == 0)
			bits |= EIO_TRANSPORT_POLLING;
		else if (len == 9 && strncmp(p, "websocket", 9) == 0)
			bits |= EIO_TRANSPORT_WEBSOCKET;
		else if (len || *v)
			return FAIL(l, o,
				    "not a comma-separated list of polling and "
				    "websocket: '%s'",
				    v);
		if (!e)
			break;
		p = e + 1;
	}
	if (!bits)
		return FAIL(l, o, "needs at least one transport");
	*(unsigned *)member(l, o->off) = bits;
	return 0;
}

static int parse_enum(loader_t *l, const opt_t *o, const char *v)
{
	for (int i = 0; o->choices[i]; i++) {
		if (strcmp(v, o->choices[i]) == 0) {
			/* every enum of sd_config_t has the size of an int */
			memcpy(member(l, o->off), &i, sizeof(i));
			return 0;
		}
	}
	char names[128] = "";
	for (int i = 0; o->choices[i]; i++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s",
			 i ? ", " : "", o->choices[i]);
	}
	return FAIL(l, o, "not one of %s: '%s'", names, v);
}

static int parse_unsigned(loader_t *l, const opt_t *o, const char *v)
{
	static const char *const what[] = {
	    [K_UINT] = "a number",
	    [K_MS] = "a duration in milliseconds",
	    [K_SIZE] = "a size in bytes",
	};
	static const char *const unit[] = {
	    [K_UINT] = "",
	    [K_MS] = " ms",
	    [K_SIZE] = " bytes",
	};
	unsigned long long n;
	if (parse_number(v, &n))
		return FAIL(l, o, "not %s: '%s'", what[o->kind], v);
	if (n < o->min || n > o->max)
		return FAIL(l, o, "out of range (%llu to %llu%s): '%s'", o->min,
			    o->max, unit[o->kind], v);
	if (o->kind == K_SIZE)
		*(size_t *)member(l, o->off) = (size_t)n;
	else
		*(unsigned *)member(l, o->off) = (unsigned)n;
	return 0;
}

/* Sets a string option; NULL or "" unsets one without a default. */
static int set_string(loader_t *l, const opt_t *o, const char *v)
{
	char **dst = member(l, o->off);
	char *copy = NULL;
	if (v && *v) {
		copy = strdup(v);
		if (!copy)
			return out_of_memory(l);
	} else if (o->def) {
		return FAIL(l, o, "must not be empty");
	}
	char why[160];
	if (copy && o->check && o->check(&copy, why, sizeof(why))) {
		int r = FAIL(l, o, "%s: '%s'", why, v);
		free(copy);
		return r;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

/* Sets option `o` from the text `v` (a flag's argument, a variable, a
 * default); `split`: a list option takes a comma-separated list rather
 * than one item. */
static int set_text(loader_t *l, const opt_t *o, const char *v, int split)
{
	switch (o->kind) {
	case K_STR: return set_string(l, o, v);
	case K_UINT:
	case K_MS:
	case K_SIZE: return parse_unsigned(l, o, v);
	case K_ENUM: return parse_enum(l, o, v);
	case K_TRANSPORTS: return parse_transports(l, o, v);
	case K_LIST:
	case K_PORTS:
		if (split)
			return list_set_split(l, o, v) || list_check(l, o);
		/* one flag: "" is the empty list, where allowed */
		if (!*v && o->kind == K_LIST && !o->min) {
			list_clear(l, o);
			return list_check(l, o);
		}
		return list_add(l, o, v);
	case K_BOOL: {
		int b;
		if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			b = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || !*v)
			b = 0;
		else
			return FAIL(l, o, "not true or false: '%s'", v);
		memcpy(member(l, o->off), &b, sizeof(b));
		return 0;
	}
	case K_ACTION: break;
	}
	return 0;
}

/* The index of option `o`. */
static size_t opt_index(const opt_t *o)
{
	return (size_t)(o - options);
}

/* Takes option `o` for the current source: the first value a source
 * gives a list replaces the list of the sources before. */
static void claim(loader_t *l, const opt_t *o)
{
	size_t i = opt_index(o);
	if ((o->kind == K_LIST || o->kind == K_PORTS) && l->set_by[i] != l->src)
		list_clear(l, o);
	l->set_by[i] = l->src;
}

/* ------------------------------------------------------------ file */

/* The text of a JSON scalar for set_text(), or NULL when its type does
 * not suit option `o` (an integer for a number or port, a string for the
 * others). */
static const char *json_scalar_text(const opt_t *o, struct json_object *v)
{
	int numeric = o->kind == K_UINT || o->kind == K_MS ||
		      o->kind == K_SIZE || o->kind == K_PORTS;
	if (numeric && json_object_is_type(v, json_type_int))
		return json_object_to_json_string_ext(v,
						      JSON_C_TO_STRING_PLAIN);
	if (o->kind == K_BOOL)
		return json_object_is_type(v, json_type_boolean)
			   ? (json_object_get_boolean(v) ? "true" : "false")
			   : NULL;
	if (!numeric && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static const char *json_expected(const opt_t *o)
{
	switch (o->kind) {
	case K_UINT:
	case K_MS:
	case K_SIZE: return "an integer";
	case K_PORTS: return "a port number or an array of them";
	case K_BOOL: return "true or false";
	case K_LIST: return "a string or an array of strings";
	case K_STR:
		if (o->flags & F_JOIN)
			return o->def ? "a string or an array of strings"
				      : "a string, an array of strings or null";
		return o->def ? "a string" : "a string or null";
	case K_TRANSPORTS: return "a string or an array of strings";
	default: return "a string";
	}
}

/* Joins a JSON array of strings with commas into *out (to be freed). */
static int json_join(struct json_object *a, char **out)
{
	size_t n = json_object_array_length(a), len = 1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(a, i);
		if (!json_object_is_type(item, json_type_string))
			return -1;
		len += (size_t)json_object_get_string_len(item) + 1;
	}
	char *s = malloc(len);
	if (!s)
		return -2;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s,
		       json_object_get_string(json_object_array_get_idx(a, i)));
	}
	*out = s;
	return 0;
}

/* Sets option `o` from the value of its key in the file. */
static int set_json(loader_t *l, const opt_t *o, struct json_object *v)
{
	const char *text;
	if (o->kind == K_STR && !o->def &&
	    json_object_is_type(v, json_type_null))
		return set_string(l, o, NULL);
	if ((o->flags & F_JOIN) && json_object_is_type(v, json_type_array)) {
		char *s;
		int r = json_join(v, &s);
		if (r == -2)
			return out_of_memory(l);
		if (r)
			return FAIL(l, o, "expected %s", json_expected(o));
		r = set_text(l, o, s, 0);
		free(s);
		return r;
	}
	if ((o->kind == K_LIST || o->kind == K_PORTS) &&
	    json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			struct json_object *item =
			    json_object_array_get_idx(v, i);
			text = json_scalar_text(o, item);
			if (!text)
				return FAIL(l, o, "expected %s",
					    json_expected(o));
			if (list_add(l, o, text))
				return -1;
		}
		return list_check(l, o);
	}
	text = json_scalar_text(o, v);
	if (!text)
		return FAIL(l, o, "expected %s", json_expected(o));
	return set_text(l, o, text, 0);
}

static const opt_t *find_option(const char *name)
{
	for (size_t i = 0; i < NOPT; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/* Reads the whole file into a NUL-terminated buffer. */
static int read_file(loader_t *l, char **text, size_t *len)
{
	FILE *f = fopen(l->file, "re");
	if (!f) {
		fprintf(l->err, "socketiod: %s: %s\n", l->file,
			strerror(errno));
		return -1;
	}
	char *buf = malloc(FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return out_of_memory(l);
	}
	size_t n = fread(buf, 1, FILE_MAX + 1, f);
	int bad = ferror(f);
	int saved = errno;
	fclose(f);
	if (bad) {
		fprintf(l->err, "socketiod: %s: %s\n", l->file,
			strerror(saved));
		free(buf);
		return -1;
	}
	if (n > FILE_MAX) {
		fprintf(l->err, "socketiod: %s: larger than %u bytes\n",
			l->file, FILE_MAX);
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

static struct json_object *parse_file(loader_t *l)
{
	char *text;
	size_t len;
	if (read_file(l, &text, &len))
		return NULL;
	struct json_tokener *tok = json_tokener_new_ex(FILE_MAX_DEPTH);
	if (!tok) {
		free(text);
		out_of_memory(l);
		return NULL;
	}
	/* RFC 8259: no trailing commas, single quotes or bare words */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!root) {
		if (e == json_tokener_continue)
			fprintf(l->err,
				"socketiod: %s: not valid JSON: unexpected "
				"end of file\n",
				l->file);
		else
			fprintf(l->err,
				"socketiod: %s: not valid JSON: %s at byte "
				"%zu\n",
				l->file, json_tokener_error_desc(e), end);
	} else {
		while (end < len && strchr(" \t\r\n", text[end]))
			end++;
		if (end < len) {
			fprintf(l->err,
				"socketiod: %s: not valid JSON: text after "
				"the object at byte %zu\n",
				l->file, end);
			json_object_put(root);
			root = NULL;
		} else if (!json_object_is_type(root, json_type_object)) {
			fprintf(l->err, "socketiod: %s: not a JSON object\n",
				l->file);
			json_object_put(root);
			root = NULL;
		}
	}
	json_tokener_free(tok);
	free(text);
	return root;
}

static int load_file(loader_t *l)
{
	struct json_object *root = parse_file(l);
	if (!root)
		return -1;
	int r = 0;
	l->src = SRC_FILE;
	json_object_object_foreach(root, key, val)
	{
		const opt_t *o = find_option(key);
		if (!o) {
			fprintf(l->err,
				"socketiod: %s: key '%s': unknown option\n",
				l->file, key);
			r = -1;
		} else if (o->kind == K_ACTION || (o->flags & F_NOFILE)) {
			r = FAIL(l, o, "not allowed in a config file");
		} else {
			claim(l, o);
			r = set_json(l, o, val);
		}
		if (r)
			break;
	}
	json_object_put(root);
	return r;
}

/* ----------------------------------------------------- environment */

/* The value of variable `name` in `envp` (the first, as getenv). */
static const char *env_get(char **envp, const char *name)
{
	size_t len = strlen(name);
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static int load_env(loader_t *l, char **envp)
{
	char name[64];
	l->src = SRC_ENV;
	for (size_t i = 0; i < NOPT; i++) {
		const opt_t *o = &options[i];
		if (o->kind == K_ACTION || (o->flags & F_NOFILE))
			continue;
		const char *v = env_get(envp, env_name(o, name, sizeof(name)));
		if (!v)
			continue;
		claim(l, o);
		if (set_text(l, o, v, 1))
			return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- flags */

typedef struct flag {
	const opt_t *opt;
	const char *arg;
} flag_t;

/* Reads the command line into `flags` (argc entries at most) and
 * *nflags, and the last action asked for into *action; reports unknown
 * options, missing arguments and extra words. getopt_long's own messages
 * are off: ours go to `err`. */
static int scan_flags(int argc, char **argv, FILE *err, flag_t *flags,
		      size_t *nflags, action_t *action)
{
	struct option longopts[NOPT + 1];
	char shortopts[3 + 2 * NOPT];
	size_t ns = 0;
	shortopts[ns++] = '+'; /* stop at the first word, permute nothing */
	shortopts[ns++] = ':'; /* ':' for a missing argument */
	for (size_t i = 0; i < NOPT; i++) {
		const opt_t *o = &options[i];
		longopts[i] =
		    (struct option){o->name,
				    o->kind == K_ACTION || o->kind == K_BOOL
					? no_argument
					: required_argument,
				    NULL, 256 + (int)i};
		if (o->letter) {
			shortopts[ns++] = o->letter;
			if (o->kind != K_ACTION && o->kind != K_BOOL)
				shortopts[ns++] = ':';
		}
	}
	memset(&longopts[NOPT], 0, sizeof(longopts[NOPT]));
	shortopts[ns] = '\0';

	*nflags = 0;
	*action = ACT_NONE;
	opterr = 0;
	optind = 0; /* glibc: start over, for each call */
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const opt_t *o = NULL;
		if (c >= 256 && c < 256 + (int)NOPT) {
			o = &options[c - 256];
		} else {
			for (size_t i = 0; i < NOPT && c != '?' && c != ':';
			     i++)
				if (options[i].letter == c)
					o = &options[i];
		}
		if (o) {
			if (o->kind == K_ACTION && o->action > *action)
				*action = o->action;
			else if (o->kind != K_ACTION)
				flags[(*nflags)++] = (flag_t){o, optarg};
			continue;
		}
		/* an error: optopt names the option, if known */
		const char *word = argv[optind - 1];
		const opt_t *known = NULL;
		if (optopt >= 256 && optopt < 256 + (int)NOPT)
			known = &options[optopt - 256];
		for (size_t i = 0; i < NOPT && optopt && optopt < 256; i++)
			if (options[i].letter == optopt)
				known = &options[i];
		if (c == ':') {
			fprintf(err, "socketiod: --%s: needs an argument\n",
				known ? known->name : "?");
		} else if (known) {
			fprintf(err, "socketiod: --%s: takes no argument\n",
				known->name);
		} else if (optopt) {
			fprintf(err, "socketiod: -%c: unknown option\n",
				optopt);
		} else {
			size_t len = strcspn(word, "=");
			size_t matches = 0;
			for (size_t i = 0; i < NOPT && len > 2; i++)
				if (strncmp(options[i].name, word + 2,
					    len - 2) == 0)
					matches++;
			fprintf(err, "socketiod: %.*s: %s option\n", (int)len,
				word, matches > 1 ? "ambiguous" : "unknown");
		}
		return -1;
	}
	if (optind < argc) {
		fprintf(err, "socketiod: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------ the output */

/* Writes `text` wrapped at HELP_WIDTH, its lines starting at column
 * HELP_COLUMN; `col` is the column the output is at. */
static void print_wrapped(FILE *out, const char *text, size_t col)
{
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t word = strcspn(p, " ");
		if (col > HELP_COLUMN && col + 1 + word > HELP_WIDTH) {
			fputc('\n', out);
			col = 0;
		}
		if (col < HELP_COLUMN) {
			fprintf(out, "%*s", (int)(HELP_COLUMN - col), "");
			col = HELP_COLUMN;
		} else {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, word, out);
		col += word;
		p += word;
	}
	fputc('\n', out);
}

static void print_help(FILE *out)
{
	fputs("Usage: socketiod [OPTION]...\n"
	      "A Socket.IO server (Socket.IO v5, Engine.IO v4) with a built-in "
	      "service for\n"
	      "chat, presence, rooms, notifications, video and relays, an "
	      "HTTP API for back\n"
	      "ends, and health and metrics endpoints.\n\n",
	      out);
	for (size_t i = 0; i < NOPT; i++) {
		const opt_t *o = &options[i];
		char left[64], text[512];
		if (o->letter)
			snprintf(left, sizeof(left), "  -%c, --%s", o->letter,
				 o->name);
		else
			snprintf(left, sizeof(left), "      --%s", o->name);
		if (o->arg) {
			size_t len = strlen(left);
			snprintf(left + len, sizeof(left) - len, " %s", o->arg);
		}
		size_t len =
		    (size_t)snprintf(text, sizeof(text), "%s", o->help);
		if (o->def) {
			/* a list as "a, b": lines break at its spaces */
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						" (default: ");
			for (const char *p = o->def;
			     *p && len + 3 < sizeof(text); p++) {
				text[len++] = *p;
				if (*p == ',' && o->kind == K_LIST)
					text[len++] = ' ';
			}
			snprintf(text + len, sizeof(text) - len, ")");
		}
		fputs(left, out);
		size_t col = strlen(left);
		if (col + 2 > HELP_COLUMN) {
			fputc('\n', out);
			col = 0;
		}
		print_wrapped(out, text, col);
	}
	fputs("\nDurations are in milliseconds. Every option but --config, "
	      "--check-config,\n"
	      "--help and --version can also be set by the environment "
	      "variable\n"
	      "SOCKETIOD_NAME (the long name in capitals, '-' as '_'; lists "
	      "comma-separated)\n"
	      "and by the key of its long name in the JSON file of --config "
	      "(or of the\n"
	      "variable SOCKETIOD_CONFIG). Flags win over the environment, "
	      "which wins over\n"
	      "the file. See socketiod(8).\n",
	      out);
}

/* Adds option `o`'s value to the --check-config object. */
static void add_json(struct json_object *obj, const sd_config_t *cfg,
		     const opt_t *o)
{
	const void *m = (const char *)cfg + o->off;
	struct json_object *v = NULL;
	switch (o->kind) {
	case K_STR: {
		const char *s = *(char *const *)m;
		if (s)
			v = json_object_new_string(o->flags & F_SECRET ? "***"
								       : s);
		break;
	}
	case K_UINT:
	case K_MS: v = json_object_new_int64(*(const unsigned *)m); break;
	case K_SIZE:
		v = json_object_new_int64((int64_t) * (const size_t *)m);
		break;
	case K_ENUM: {
		int i;
		memcpy(&i, m, sizeof(i));
		v = json_object_new_string(o->choices[i]);
		break;
	}
	case K_LIST:
	case K_PORTS: {
		size_t n = *(const size_t *)((const char *)cfg + o->count_off);
		v = json_object_new_array();
		for (size_t i = 0; v && i < n; i++) {
			struct json_object *item =
			    o->kind == K_PORTS ? json_object_new_int(
						     (*(uint16_t *const *)m)[i])
					       : json_object_new_string(
						     (*(char **const *)m)[i]);
			json_object_array_add(v, item);
		}
		break;
	}
	case K_TRANSPORTS: {
		unsigned bits = *(const unsigned *)m;
		v = json_object_new_string(
		    bits == EIO_TRANSPORT_POLLING     ? "polling"
		    : bits == EIO_TRANSPORT_WEBSOCKET ? "websocket"
						      : "polling,websocket");
		break;
	}
	case K_BOOL: v = json_object_new_boolean(*(const int *)m); break;
	case K_ACTION: return;
	}
	json_object_object_add(obj, o->name, v);
}

/* The effective options as one JSON object, the secrets masked: what
 * the file of --config could hold. */
static int print_config(const sd_config_t *cfg, FILE *out)
{
	struct json_object *obj = json_object_new_object();
	if (!obj)
		return -1;
	for (size_t i = 0; i < NOPT; i++)
		if (!(options[i].flags & F_NOFILE))
			add_json(obj, cfg, &options[i]);
	const char *s = json_object_to_json_string_ext(
	    obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		     JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = s ? 0 : -1;
	if (s)
		fprintf(out, "%s\n", s);
	json_object_put(obj);
	return r;
}

/* --------------------------------------------------------- checks */

static int check_path(char **v, char *why, size_t n)
{
	const char *s = *v;
	if (s[0] != '/') {
		snprintf(why, n, "does not start with '/'");
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if (*p <= ' ' || *p == '?' || *p == '#' || *p == 0x7f) {
			snprintf(why, n, "not a plain URL path");
			return -1;
		}
	}
	size_t len = strlen(s);
	if (s[len - 1] != '/') {
		/* as Node: "/socket.io" serves "/socket.io/" */
		char *t = realloc(*v, len + 2);
		if (!t) {
			snprintf(why, n, "out of memory");
			return -1;
		}
		t[len] = '/';
		t[len + 1] = '\0';
		*v = t;
	}
	return 0;
}

/* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], HOST a name, an IPv4 or a
 * bracketed IPv6 address; or unix:PATH. (main() then refuses names:
 * libsocketio does no DNS lookup.) */
static int check_redis(char **v, char *why, size_t n)
{
	const char *p = *v;
	snprintf(why, n, "not a URL redis://HOST[:PORT][/DB]");
	if (strncmp(p, "unix:", 5) == 0) /* unix:/PATH or unix:///PATH */
		return p[5] == '/' ? 0 : -1;
	if (strncmp(p, "redis://", 8) != 0)
		return -1;
	p += 8;
	const char *at = NULL;
	for (const char *q = p; *q && *q != '/'; q++)
		if (*q == '@')
			at = q;
	if (at) /* the credentials */
		p = at + 1;
	size_t host;
	if (*p == '[') {
		const char *e = strchr(p, ']');
		if (!e || e == p + 1)
			return -1;
		host = (size_t)(e - p) + 1;
	} else {
		host = strcspn(p, ":/");
		for (size_t i = 0; i < host; i++)
			if (p[i] <= ' ' || strchr("@?#[]", p[i]))
				return -1;
	}
	if (!host)
		return -1;
	p += host;
	unsigned long long num;
	char digits[24];
	if (*p == ':') {
		size_t len = strcspn(++p, "/");
		if (!len || len >= sizeof(digits))
			return -1;
		memcpy(digits, p, len);
		digits[len] = '\0';
		if (parse_number(digits, &num) || num < 1 || num > 65535)
			return -1;
		p += len;
	}
	if (*p == '/' && p[1]) {
		if (parse_number(p + 1, &num) || num > INT_MAX)
			return -1;
	} else if (*p && strcmp(p, "/") != 0) {
		return -1;
	}
	return 0;
}

static int check_dir(char **v, char *why, size_t n)
{
	struct stat st;
	if (stat(*v, &st)) {
		snprintf(why, n, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, n, "not a directory");
		return -1;
	}
	return 0;
}

/* What holds only for the options together. */
static int check_all(loader_t *l)
{
	const sd_config_t *cfg = l->cfg;
	const opt_t *auth = find_option("auth");
	if (cfg->auth != SD_AUTH_NONE && !cfg->jwt_secret &&
	    !cfg->jwt_public_key)
		return fail_from(l, l->set_by[opt_index(auth)], auth,
				 "'%s' needs --jwt-secret or --jwt-public-key",
				 auth_names[cfg->auth]);
	const opt_t *sharded = find_option("redis-sharded");
	if (cfg->redis_sharded && !cfg->redis)
		return fail_from(l, l->set_by[opt_index(sharded)], sharded,
				 "needs --redis");
	return 0;
}

/* -------------------------------------------------------- loading */

static int load(loader_t *l, int argc, char **argv, char **envp, FILE *out,
		action_t *action)
{
	size_t nflags;
	flag_t *flags = calloc((size_t)argc + 1, sizeof(*flags));
	if (!flags)
		return out_of_memory(l);
	int r = scan_flags(argc, argv, l->err, flags, &nflags, action);
	if (r || *action == ACT_HELP || *action == ACT_VERSION) {
		if (!r && *action == ACT_HELP)
			print_help(out);
		else if (!r)
			fprintf(out, "socketiod " PACKAGE_VERSION "\n");
		free(flags);
		return r;
	}

	l->src = SRC_DEFAULT;
	for (size_t i = 0; i < NOPT && !r; i++)
		if (options[i].def)
			r = set_text(l, &options[i], options[i].def, 1);

	/* the file: the last --config, else SOCKETIOD_CONFIG */
	const opt_t *config = find_option("config");
	char name[64];
	const char *file = env_get(envp, env_name(config, name, sizeof(name)));
	l->src = SRC_ENV;
	for (size_t i = 0; i < nflags; i++) {
		if (flags[i].opt == config) {
			file = flags[i].arg;
			l->src = SRC_FLAG;
		}
	}
	if (!r && file && *file) {
		claim(l, config);
		r = set_string(l, config, file);
		l->file = l->cfg->config;
		if (!r)
			r = load_file(l);
	}

	if (!r)
		r = load_env(l, envp);

	l->src = SRC_FLAG;
	for (size_t i = 0; i < nflags && !r; i++) {
		if (flags[i].opt == config)
			continue;
		claim(l, flags[i].opt);
		r = set_text(l, flags[i].opt, flags[i].arg, 0);
	}
	if (!r)
		r = check_all(l);
	free(flags);
	return r;
}

sd_config_result_t sd_config_load(sd_config_t *cfg, int argc, char **argv,
				  char **envp, FILE *out, FILE *err)
{
	loader_t l = {.cfg = cfg, .err = err};
	action_t action;
	memset(cfg, 0, sizeof(*cfg));
	int r = load(&l, argc, argv, envp, out, &action);
	if (!r && action == ACT_CHECK && print_config(cfg, out))
		r = out_of_memory(&l);
	if (r || action != ACT_NONE) {
		sd_config_free(cfg);
		return r ? SD_CONFIG_ERROR : SD_CONFIG_EXIT;
	}
	return SD_CONFIG_RUN;
}

void sd_config_free(sd_config_t *cfg)
{
	loader_t l = {.cfg = cfg};
	for (size_t i = 0; i < NOPT; i++) {
		const opt_t *o = &options[i];
		if (o->kind == K_STR)
			free(*(char **)member(&l, o->off));
		else if (o->kind == K_LIST || o->kind == K_PORTS)
			list_clear(&l, o);
	}
	memset(cfg, 0, sizeof(*cfg));
}

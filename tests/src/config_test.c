/* Tests of src/config.c: the defaults, each source (flags, environment,
 * file) and their precedence, lists replaced or appended, every kind of
 * error naming its source, --check-config, --help and --version.
 *
 * The environment is an array of our own (the real one is not looked at);
 * the config files are temporary files. */
#include <config.h> /* autoconf's: PACKAGE_VERSION */

#include "../../src/config.h"
#include "../test.h"
#include "eio.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 32

static char out_text[65536], err_text[4096];

/* Runs sd_config_load() on "socketiod" followed by `args` (NULL-ended)
 * with the environment `env` (NULL-ended, or NULL for none); its output
 * and errors land in out_text and err_text. */
static sd_config_result_t load(sd_config_t *cfg, const char *const *args,
			       const char *const *env)
{
	char *argv[MAX_ARGS + 2], *saved[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = "socketiod";
	for (; args && *args && argc <= MAX_ARGS; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	memcpy(saved, argv, sizeof(argv));
	out_text[0] = err_text[0] = '\0';
	FILE *out = fmemopen(out_text, sizeof(out_text), "w");
	FILE *err = fmemopen(err_text, sizeof(err_text), "w");
	if (!out || !err)
		abort();
	sd_config_result_t r =
	    sd_config_load(cfg, argc, argv, (char **)env, out, err);
	fclose(out);
	fclose(err);
	/* argv is left as it was */
	CHECK(memcmp(saved, argv, sizeof(argv)) == 0);
	return r;
}

static char file_path[64];

/* Writes `json` to a new temporary file, named in file_path. */
static const char *write_file(const char *json)
{
	if (file_path[0])
		unlink(file_path);
	strcpy(file_path, "/tmp/socketiod-config-test-XXXXXX");
	int fd = mkstemp(file_path);
	if (fd < 0 || write(fd, json, strlen(json)) != (ssize_t)strlen(json))
		abort();
	close(fd);
	return file_path;
}

static void test_defaults(void)
{
	sd_config_t c;
	CHECK_INT(load(&c, NULL, NULL), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_STR(out_text, "");
	CHECK_SIZE(c.nhosts, 1);
	CHECK_STR(c.hosts[0], "0.0.0.0");
	CHECK_SIZE(c.nports, 1);
	CHECK_INT(c.ports[0], 3000);
	CHECK_STR(c.path, "/socket.io/");
	CHECK_INT(c.ping_interval_ms, 25000);
	CHECK_INT(c.ping_timeout_ms, 20000);
	CHECK_SIZE(c.max_payload, 1000000);
	CHECK_INT(c.connect_timeout_ms, 45000);
	CHECK_STR(c.cors_origin, NULL);
	CHECK_INT(c.transports,
		  EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET);
	CHECK_INT(c.recovery_window_ms, 120000);
	CHECK_INT(c.auth, SD_AUTH_NONE);
	CHECK_STR(c.jwt_secret, NULL);
	CHECK_STR(c.jwt_public_key, NULL);
	CHECK_STR(c.jwt_issuer, NULL);
	CHECK_STR(c.jwt_audience, NULL);
	CHECK_INT(c.jwt_leeway_ms, 30000);
	CHECK_STR(c.private_prefix, "private:");
	CHECK_STR(c.api_key, NULL);
	CHECK_INT(c.message_rate, 10);
	CHECK_INT(c.message_window_ms, 10000);
	CHECK_INT(c.event_rate, 100);
	CHECK_INT(c.history_size, 100);
	CHECK_INT(c.max_message_length, 500);
	CHECK_INT(c.typing_timeout_ms, 5000);
	CHECK_INT(c.stats_interval_ms, 5000);
	static const char *const relays[] = {"location:share", "share-location",
					     "call:initiate",  "call:signal",
					     "document:edit",  "track:vote"};
	CHECK_SIZE(c.nrelay_events, 6);
	for (size_t i = 0; i < 6 && i < c.nrelay_events; i++)
		CHECK_STR(c.relay_events[i], relays[i]);
	CHECK_INT(c.max_connections, 0);
	CHECK_INT(c.max_connections_per_ip, 0);
	CHECK_INT(c.log_level, SD_LOG_INFO);
	CHECK_INT(c.log_format, SD_LOG_TEXT);
	CHECK_STR(c.log_file, NULL);
	CHECK_STR(c.static_dir, NULL);
	CHECK_STR(c.redis, NULL);
	CHECK_INT(c.shutdown_grace_ms, 10000);
	CHECK_STR(c.config, NULL);
	sd_config_free(&c);
	CHECK(c.hosts == NULL && c.path == NULL && c.nports == 0);
	sd_config_free(&c); /* a zeroed one is fine */

	/* other SOCKETIOD_* variables, and the actions', are ignored */
	const char *env[] = {
	    "SOCKETIOD_PROT=1", "SOCKETIOD_HELP=1", "SOCKETIOD_CHECK_CONFIG=1",
	    "PORT=1",		"SOCKETIOD=1",	    NULL};
	CHECK_INT(load(&c, NULL, env), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_INT(c.ports[0], 3000);
	sd_config_free(&c);
}

static void test_flags(void)
{
	sd_config_t c;
	const char *a1[] = {"--port",
			    "4000",
			    "-p",
			    "4001",
			    "-H",
			    "127.0.0.1",
			    "--host=::1",
			    "--ping-interval=1000",
			    "--auth",
			    "required",
			    "--jwt-secret",
			    "s3cret",
			    "--path",
			    "/io",
			    "--transports",
			    "websocket",
			    "--log-level",
			    "debug",
			    "--log-format",
			    "json",
			    "--max-payload",
			    "5",
			    "--redis",
			    "redis://localhost:6380/2",
			    "--static-dir",
			    "/tmp",
			    "--port",
			    "0",
			    NULL};
	CHECK_INT(load(&c, a1, NULL), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_SIZE(c.nports, 3);
	CHECK_INT(c.ports[0], 4000);
	CHECK_INT(c.ports[1], 4001);
	CHECK_INT(c.ports[2], 0);
	CHECK_SIZE(c.nhosts, 2);
	CHECK_STR(c.hosts[0], "127.0.0.1");
	CHECK_STR(c.hosts[1], "::1");
	CHECK_INT(c.ping_interval_ms, 1000);
	CHECK_INT(c.auth, SD_AUTH_REQUIRED);
	CHECK_STR(c.jwt_secret, "s3cret");
	CHECK_STR(c.path, "/io/"); /* the slash added */
	CHECK_INT(c.transports, EIO_TRANSPORT_WEBSOCKET);
	CHECK_INT(c.log_level, SD_LOG_DEBUG);
	CHECK_INT(c.log_format, SD_LOG_JSON);
	CHECK_SIZE(c.max_payload, 5);
	CHECK_STR(c.redis, "redis://localhost:6380/2");
	CHECK_STR(c.static_dir, "/tmp");
	sd_config_free(&c);

	/* a later flag wins; "" empties the relays; 0 is "off" where allowed */
	const char *a2[] = {"--ping-timeout",
			    "1",
			    "--ping-timeout",
			    "2",
			    "--relay-event",
			    "",
			    "--event-rate",
			    "0",
			    "--recovery-window",
			    "0",
			    "--cors-origin",
			    "*",
			    NULL};
	CHECK_INT(load(&c, a2, NULL), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_INT(c.ping_timeout_ms, 2);
	CHECK_SIZE(c.nrelay_events, 0);
	CHECK_INT(c.event_rate, 0);
	CHECK_INT(c.recovery_window_ms, 0);
	CHECK_STR(c.cors_origin, "*");
	sd_config_free(&c);
}

static void test_precedence(void)
{
	sd_config_t c;
	const char *path =
	    write_file("{\"port\": [3000, 3001], \"ping-interval\": 1000,"
		       " \"ping-timeout\": 1000, \"history-size\": 7,"
		       " \"relay-event\": [\"a\", \"b\"], \"host\": \"::1\","
		       " \"redis\": \"redis://h\", \"auth\": \"optional\","
		       " \"jwt-public-key\": \"k\","
		       " \"cors-origin\": [\"http://a\", \"http://b\"],"
		       " \"transports\": [\"polling\"], \"log-file\": null}");
	char config_var[128];
	snprintf(config_var, sizeof(config_var), "SOCKETIOD_CONFIG=%s", path);

	/* the file alone, named by the variable; a scalar for a list */
	const char *env1[] = {config_var, NULL};
	CHECK_INT(load(&c, NULL, env1), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_STR(c.config, path);
	CHECK_SIZE(c.nports, 2);
	CHECK_INT(c.ports[1], 3001);
	CHECK_SIZE(c.nhosts, 1);
	CHECK_STR(c.hosts[0], "::1");
	CHECK_INT(c.ping_interval_ms, 1000);
	CHECK_INT(c.history_size, 7);
	CHECK_SIZE(c.nrelay_events, 2);
	CHECK_STR(c.relay_events[1], "b");
	CHECK_STR(c.redis, "redis://h");
	CHECK_INT(c.auth, SD_AUTH_OPTIONAL);
	CHECK_STR(c.cors_origin, "http://a,http://b");
	CHECK_INT(c.transports, EIO_TRANSPORT_POLLING);
	CHECK_INT(c.ping_timeout_ms, 1000);
	sd_config_free(&c);

	/* environment over file: lists comma-separated and replaced; an
	 * empty value unsets an option without default */
	const char *env2[] = {
	    "SOCKETIOD_PING_INTERVAL=2000", "SOCKETIOD_PORT=4000,4001,4002",
	    "SOCKETIOD_RELAY_EVENT=x,y:z",  "SOCKETIOD_REDIS=",
	    "SOCKETIOD_HOST=127.0.0.1,::1", NULL};
	const char *a2[] = {"--config", path, NULL};
	CHECK_INT(load(&c, a2, env2), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_INT(c.ping_interval_ms, 2000);
	CHECK_INT(c.ping_timeout_ms, 1000); /* still the file's */
	CHECK_SIZE(c.nports, 3);
	CHECK_INT(c.ports[0], 4000);
	CHECK_INT(c.ports[2], 4002);
	CHECK_SIZE(c.nrelay_events, 2);
	CHECK_STR(c.relay_events[0], "x");
	CHECK_STR(c.relay_events[1], "y:z");
	CHECK_STR(c.redis, NULL);
	CHECK_SIZE(c.nhosts, 2);
	CHECK_STR(c.hosts[1], "::1");
	sd_config_free(&c);

	/* flags over environment: a repeated flag replaces the list of the
	 * environment and of the file, and appends to itself */
	const char *a3[] = {"--config",
			    path,
			    "--ping-interval",
			    "3000",
			    "--port",
			    "5000",
			    "--relay-event",
			    "one",
			    "--relay-event",
			    "two",
			    "-p",
			    "5001",
			    NULL};
	CHECK_INT(load(&c, a3, env2), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_INT(c.ping_interval_ms, 3000);
	CHECK_SIZE(c.nports, 2);
	CHECK_INT(c.ports[0], 5000);
	CHECK_INT(c.ports[1], 5001);
	CHECK_SIZE(c.nrelay_events, 2);
	CHECK_STR(c.relay_events[0], "one");
	CHECK_STR(c.relay_events[1], "two");
	CHECK_SIZE(c.nhosts, 2); /* the environment's */
	sd_config_free(&c);

	/* a flag replaces the file's list without environment */
	const char *a4[] = {"-c", path, "--host", "10.0.0.1", NULL};
	CHECK_INT(load(&c, a4, NULL), SD_CONFIG_RUN);
	CHECK_SIZE(c.nhosts, 1);
	CHECK_STR(c.hosts[0], "10.0.0.1");
	CHECK_SIZE(c.nports, 2); /* the file's */
	sd_config_free(&c);

	/* --config wins over SOCKETIOD_CONFIG */
	const char *env5[] = {"SOCKETIOD_CONFIG=/nonexistent/socketiod.json",
			      NULL};
	CHECK_INT(load(&c, a4, env5), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_STR(c.config, path);
	sd_config_free(&c);

	/* the auth check sees every source together */
	const char *a6[] = {"--auth", "required", NULL};
	const char *env6[] = {"SOCKETIOD_JWT_SECRET=s", NULL};
	CHECK_INT(load(&c, a6, env6), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	sd_config_free(&c);
}

typedef struct bad {
	const char *args[6];
	const char *env[3];
	const char *file; /* the file's JSON, or NULL */
	/* the message; "%s" stands for the file's name; NULL: no error */
	const char *err;
} bad_t;

static void test_errors(void)
{
	static const bad_t bad[] = {
	    /* flags */
	    {{"--port", "x"}, {0}, 0, "--port: not a port number: 'x'"},
	    {{"-p", "65536"}, {0}, 0, "--port: not a port number: '65536'"},
	    {{"--port", "-1"}, {0}, 0, "--port: not a port number: '-1'"},
	    {{"--port"}, {0}, 0, "--port: needs an argument"},
	    {{"-p"}, {0}, 0, "--port: needs an argument"},
	    {{"--prot", "1"}, {0}, 0, "--prot: unknown option"},
	    {{"--prot=1"}, {0}, 0, "--prot: unknown option"},
	    {{"--ping", "1"}, {0}, 0, "--ping: ambiguous option"},
	    {{"-x"}, {0}, 0, "-x: unknown option"},
	    {{"--help=1"}, {0}, 0, "--help: takes no argument"},
	    {{"run"}, {0}, 0, "unexpected argument 'run'"},
	    {{"--ping-interval", "0"},
	     {0},
	     0,
	     "--ping-interval: out of range (1 to 86400000 ms): '0'"},
	    {{"--ping-timeout", "1s"},
	     {0},
	     0,
	     "--ping-timeout: not a duration in milliseconds: '1s'"},
	    {{"--max-payload", "0"},
	     {0},
	     0,
	     "--max-payload: out of range (1 to 1073741824 bytes): '0'"},
	    {{"--max-payload", "1e6"},
	     {0},
	     0,
	     "--max-payload: not a size in bytes: '1e6'"},
	    {{"--max-message-length", "0"},
	     {0},
	     0,
	     "--max-message-length: out of range (1 to 1000000): '0'"},
	    {{"--message-rate", " 5"},
	     {0},
	     0,
	     "--message-rate: not a number: ' 5'"},
	    {{"--history-size", "99999999999999999999999"},
	     {0},
	     0,
	     "--history-size: not a number: '99999999999999999999999'"},
	    {{"--log-level", "loud"},
	     {0},
	     0,
	     "--log-level: not one of error, warn, info, debug: 'loud'"},
	    {{"--auth", "Required"},
	     {0},
	     0,
	     "--auth: not one of none, optional, required: 'Required'"},
	    {{"--auth", "optional"},
	     {0},
	     0,
	     "--auth: 'optional' needs --jwt-secret or --jwt-public-key"},
	    {{"--redis-sharded"},
	     {0},
	     0,
	     "--redis-sharded: needs --redis"},
	    {{"--transports", "polling,ws"},
	     {0},
	     0,
	     "--transports: not a comma-separated list of polling and "
	     "websocket: 'polling,ws'"},
	    {{"--transports", ""},
	     {0},
	     0,
	     "--transports: needs at least one transport"},
	    {{"--transports", "polling,"},
	     {0},
	     0,
	     "--transports: not a comma-separated list of polling and "
	     "websocket: 'polling,'"},
	    {{"--path", "socket.io"},
	     {0},
	     0,
	     "--path: does not start with '/': 'socket.io'"},
	    {{"--path", "/a b"},
	     {0},
	     0,
	     "--path: not a plain URL path: '/a b'"},
	    {{"--path", ""}, {0}, 0, "--path: must not be empty"},
	    {{"--host", ""}, {0}, 0, "--host: must not be empty"},
	    {{"--private-prefix", ""},
	     {0},
	     0,
	     "--private-prefix: must not be empty"},
	    {{"--redis", "localhost:6379"},
	     {0},
	     0,
	     "--redis: not a URL redis://HOST[:PORT][/DB]: 'localhost:6379'"},
	    {{"--redis", "redis://h:99999"},
	     {0},
	     0,
	     "--redis: not a URL redis://HOST[:PORT][/DB]: "
	     "'redis://h:99999'"},
	    {{"--redis", "redis://h/x"},
	     {0},
	     0,
	     "--redis: not a URL redis://HOST[:PORT][/DB]: 'redis://h/x'"},
	    {{"--static-dir", "/nonexistent/demo"},
	     {0},
	     0,
	     "--static-dir: No such file or directory: '/nonexistent/demo'"},
	    {{"--static-dir", "/dev/null"},
	     {0},
	     0,
	     "--static-dir: not a directory: '/dev/null'"},
	    {{"--config", "/nonexistent/socketiod.json"},
	     {0},
	     0,
	     "/nonexistent/socketiod.json: No such file or directory"},
	    /* environment */
	    {{0},
	     {"SOCKETIOD_PORT=x"},
	     0,
	     "SOCKETIOD_PORT: not a port number: 'x'"},
	    {{0},
	     {"SOCKETIOD_PORT=3000,,3001"},
	     0,
	     "SOCKETIOD_PORT: empty item in '3000,,3001'"},
	    {{0},
	     {"SOCKETIOD_HOST=a,"},
	     0,
	     "SOCKETIOD_HOST: empty item in 'a,'"},
	    {{0},
	     {"SOCKETIOD_PORT="},
	     0,
	     "SOCKETIOD_PORT: needs at least one value"},
	    {{"--redis-sharded=1"},
	     {0},
	     0,
	     "--redis-sharded: takes no argument"},
	    {{0},
	     {"SOCKETIOD_REDIS_SHARDED=yes"},
	     0,
	     "SOCKETIOD_REDIS_SHARDED: not true or false: 'yes'"},
	    {{0},
	     {0},
	     "{\"redis-sharded\": \"true\"}",
	     "%s: key 'redis-sharded': expected true or false"},
	    {{0},
	     {"SOCKETIOD_LOG_FORMAT=xml"},
	     0,
	     "SOCKETIOD_LOG_FORMAT: not one of text, json: 'xml'"},
	    {{0},
	     {"SOCKETIOD_AUTH=required"},
	     0,
	     "SOCKETIOD_AUTH: 'required' needs --jwt-secret or "
	     "--jwt-public-key"},
	    {{0},
	     {"SOCKETIOD_TYPING_TIMEOUT=0"},
	     0,
	     "SOCKETIOD_TYPING_TIMEOUT: out of range (1 to 86400000 ms): '0'"},
	    {{0},
	     {"SOCKETIOD_CONFIG=/nonexistent/socketiod.json"},
	     0,
	     "/nonexistent/socketiod.json: No such file or directory"},
	    /* file */
	    {{0}, {0}, "{\"prot\": 1}", "%s: key 'prot': unknown option"},
	    {{0},
	     {0},
	     "{\"port\": 70000}",
	     "%s: key 'port': not a port number: '70000'"},
	    {{0},
	     {0},
	     "{\"port\": [1, -2]}",
	     "%s: key 'port': not a port number: '-2'"},
	    {{0},
	     {0},
	     "{\"port\": \"3000\"}",
	     "%s: key 'port': expected a port number or an array of them"},
	    {{0},
	     {0},
	     "{\"port\": []}",
	     "%s: key 'port': needs at least one value"},
	    {{0},
	     {0},
	     "{\"ping-interval\": 1.5}",
	     "%s: key 'ping-interval': expected an integer"},
	    {{0},
	     {0},
	     "{\"relay-event\": [\"a\", 1]}",
	     "%s: key 'relay-event': expected a string or an array of "
	     "strings"},
	    {{0}, {0}, "{\"path\": null}", "%s: key 'path': expected a string"},
	    {{0},
	     {0},
	     "{\"auth\": \"required\"}",
	     "%s: key 'auth': 'required' needs --jwt-secret or "
	     "--jwt-public-key"},
	    {{0},
	     {0},
	     "{\"help\": true}",
	     "%s: key 'help': not allowed in a config file"},
	    {{0},
	     {0},
	     "{\"config\": \"/x.json\"}",
	     "%s: key 'config': not allowed in a config file"},
	    {{0}, {0}, "[1]", "%s: not a JSON object"},
	    {{0}, {0}, "", "%s: not valid JSON: unexpected end of file"},
	    {{0},
	     {0},
	     "{\"port\": 1} 2",
	     "%s: not valid JSON: unexpected character at byte 12"},
	    {{0},
	     {0},
	     "{\"port\": 1,}",
	     "%s: not valid JSON: unexpected character at byte 11"},
	    {{0}, {0}, "{\"port\": 1}\n\t \n", NULL}, /* fine */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const bad_t *b = &bad[i];
		const char *args[8] = {0};
		size_t n = 0;
		char want[512];
		if (b->file) {
			args[n++] = "--config";
			args[n++] = write_file(b->file);
		}
		for (size_t j = 0; b->args[j]; j++)
			args[n++] = b->args[j];
		sd_config_t c;
		memset(&c, 0xa5, sizeof(c));
		sd_config_result_t r = load(&c, args, b->env);
		if (!b->err) {
			CHECK_INT(r, SD_CONFIG_RUN);
			CHECK_STR(err_text, "");
			sd_config_free(&c);
			continue;
		}
		strcpy(want, "socketiod: ");
		size_t len = strlen(want);
		snprintf(want + len, sizeof(want) - len, b->err, file_path);
		strcat(want, "\n");
		if (r != SD_CONFIG_ERROR || strcmp(err_text, want) != 0)
			TEST_FAIL("case %zu: %d, \"%s\", want \"%s\"", i, r,
				  err_text, want);
		CHECK_STR(out_text, "");
		/* nothing left to free */
		CHECK(c.hosts == NULL && c.ports == NULL && c.path == NULL &&
		      c.relay_events == NULL && c.config == NULL);
	}
}

/* The value of `key` in `obj`, NULL if missing. */
static struct json_object *get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	json_object_object_get_ex(obj, key, &v);
	return v;
}

/* --redis-sharded, a boolean: a flag without argument, true or false
 * in the environment and the file; flags > environment > file. It needs
 * --redis (given by the file here). */
static void test_boolean(void)
{
	sd_config_t c;
	CHECK_INT(load(&c, NULL, NULL), SD_CONFIG_RUN);
	CHECK_INT(c.redis_sharded, 0);
	sd_config_free(&c);
	const char *a1[] = {"--redis-sharded", "--redis",
			    "redis://127.0.0.1:6379", NULL};
	CHECK_INT(load(&c, a1, NULL), SD_CONFIG_RUN);
	CHECK_INT(c.redis_sharded, 1);
	sd_config_free(&c);
	const char *path = write_file("{\"redis-sharded\": true, "
				      "\"redis\": \"redis://127.0.0.1:6379\"}");
	const char *a2[] = {"--config", path, NULL};
	CHECK_INT(load(&c, a2, NULL), SD_CONFIG_RUN);
	CHECK_STR(err_text, "");
	CHECK_INT(c.redis_sharded, 1);
	sd_config_free(&c);
	const char *env_off[] = {"SOCKETIOD_REDIS_SHARDED=false", NULL};
	CHECK_INT(load(&c, a2, env_off), SD_CONFIG_RUN);
	CHECK_INT(c.redis_sharded, 0); /* the environment over the file */
	sd_config_free(&c);
	const char *a3[] = {"--config", path, "--redis-sharded", NULL};
	CHECK_INT(load(&c, a3, env_off), SD_CONFIG_RUN);
	CHECK_INT(c.redis_sharded, 1); /* the flag over both */
	sd_config_free(&c);
	const char *env_on[] = {"SOCKETIOD_REDIS_SHARDED=1", NULL};
	const char *a4[] = {"--config", path, "--check-config", NULL};
	CHECK_INT(load(&c, a4, env_on), SD_CONFIG_EXIT);
	CHECK(strstr(out_text, "\"redis-sharded\": true") != NULL);
}

static void test_check_config(void)
{
	sd_config_t c;
	const char *args[] = {"--check-config",
			      "--jwt-secret",
			      "hmac",
			      "--api-key",
			      "key",
			      "--auth",
			      "optional",
			      "--jwt-public-key",
			      "pub",
			      "-p",
			      "1",
			      "-p",
			      "2",
			      NULL};
	CHECK_INT(load(&c, args, NULL), SD_CONFIG_EXIT);
	CHECK_STR(err_text, "");
	CHECK(c.hosts == NULL && c.jwt_secret == NULL);
	struct json_object *o = json_tokener_parse(out_text);
	CHECK(o && json_object_is_type(o, json_type_object));
	if (!o)
		return;
	CHECK_STR(json_object_get_string(get(o, "jwt-secret")), "***");
	CHECK_STR(json_object_get_string(get(o, "api-key")), "***");
	CHECK_STR(json_object_get_string(get(o, "jwt-public-key")), "pub");
	CHECK(strstr(out_text, "hmac") == NULL);
	CHECK_STR(json_object_get_string(get(o, "auth")), "optional");
	CHECK_STR(json_object_get_string(get(o, "transports")),
		  "polling,websocket");
	CHECK_INT(json_object_get_int(get(o, "ping-interval")), 25000);
	CHECK_INT(json_object_get_int(get(o, "max-payload")), 1000000);
	CHECK(json_object_is_type(get(o, "redis"), json_type_null));
	struct json_object *ports = get(o, "port");
	CHECK_SIZE(json_object_array_length(ports), 2);
	CHECK_INT(json_object_get_int(json_object_array_get_idx(ports, 1)), 2);
	CHECK_SIZE(json_object_array_length(get(o, "relay-event")), 6);

	/* a key for every option of the file, and nothing else */
	size_t keys = 0;
	for (size_t i = 0; sd_config_option_name(i); i++) {
		const char *name = sd_config_option_name(i);
		int in_file = strcmp(name, "config") != 0 &&
			      strcmp(name, "check-config") != 0 &&
			      strcmp(name, "help") != 0 &&
			      strcmp(name, "version") != 0;
		if (json_object_object_get_ex(o, name, NULL) != in_file)
			TEST_FAIL("--check-config and key %s", name);
		keys += (size_t)in_file;
	}
	CHECK_SIZE((size_t)json_object_object_length(o), keys);
	json_object_put(o);

	/* the output, secrets aside, loads as a config file */
	const char *args2[] = {"--check-config", "--port", "8080",
			       "--host",	 "::1",	   NULL};
	CHECK_INT(load(&c, args2, NULL), SD_CONFIG_EXIT);
	char first[sizeof(out_text)];
	strcpy(first, out_text);
	const char *args3[] = {"--check-config", "--config", write_file(first),
			       NULL};
	CHECK_INT(load(&c, args3, NULL), SD_CONFIG_EXIT);
	CHECK_STR(err_text, "");
	CHECK_STR(out_text, first);

	/* an error is an error, and nothing is printed */
	const char *args4[] = {"--check-config", "--port", "x", NULL};
	CHECK_INT(load(&c, args4, NULL), SD_CONFIG_ERROR);
	CHECK_STR(out_text, "");
}

static void test_help_version(void)
{
	sd_config_t c;
	const char *help[] = {"--help", NULL};
	CHECK_INT(load(&c, help, NULL), SD_CONFIG_EXIT);
	CHECK_STR(err_text, "");
	CHECK(strncmp(out_text, "Usage: socketiod", 16) == 0);
	size_t n = 0;
	for (; sd_config_option_name(n); n++) {
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s ", sd_config_option_name(n));
		if (!strstr(out_text, flag)) {
			flag[strlen(flag) - 1] = '\n';
			if (!strstr(out_text, flag))
				TEST_FAIL("--help lacks --%s",
					  sd_config_option_name(n));
		}
	}
	CHECK(n > 30);
	CHECK(strstr(out_text, "SOCKETIOD_") != NULL);
	CHECK(strstr(out_text, "(default: 25000)") != NULL);
	for (const char *p = out_text; *p;) {
		size_t len = strcspn(p, "\n");
		if (len > 79)
			TEST_FAIL("--help line of %zu columns: %.*s", len,
				  (int)len, p);
		p += len + (p[len] == '\n');
	}

	/* help wins over the other flags and errors of values */
	const char *help2[] = {"--port", "x", "-h", NULL};
	CHECK_INT(load(&c, help2, NULL), SD_CONFIG_EXIT);
	CHECK(strncmp(out_text, "Usage: socketiod", 16) == 0);
	const char *env[] = {"SOCKETIOD_PORT=x", NULL};
	CHECK_INT(load(&c, help, env), SD_CONFIG_EXIT);

	const char *version[] = {"--version", NULL};
	CHECK_INT(load(&c, version, NULL), SD_CONFIG_EXIT);
	CHECK_STR(out_text, "socketiod " PACKAGE_VERSION "\n");
	CHECK_STR(err_text, "");
	const char *version2[] = {"-V", NULL};
	CHECK_INT(load(&c, version2, NULL), SD_CONFIG_EXIT);
	CHECK_STR(out_text, "socketiod " PACKAGE_VERSION "\n");
}

int main(void)
{
	test_defaults();
	test_flags();
	test_precedence();
	test_errors();
	test_boolean();
	test_check_config();
	test_help_version();
	if (file_path[0])
		unlink(file_path);
	TEST_EXIT();
}

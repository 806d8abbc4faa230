/* Tests of src/log.c: the text and JSON lines, the level filter, control
 * characters, long messages, and the reopen after a rotation. */
#include "../../src/log.h"
#include "../test.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/socketiod-log-test-XXXXXX";
static char path[128], rotated[128];

/* The whole file, to be freed ("" when missing). */
static char *slurp(const char *name)
{
	FILE *f = fopen(name, "r");
	char *buf = calloc(1, 1 << 16);
	if (!buf)
		abort();
	if (f) {
		size_t n = fread(buf, 1, (1 << 16) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* 1 if `line` starts with a time stamp as 2026-11-23T10:00:00.123Z and
 * a space. */
static int stamped(const char *line)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	for (size_t i = 0; shape[i]; i++) {
		char c = line[i];
		if (shape[i] == 'd' ? c < '0' || c > '9' : c != shape[i])
			return 0;
	}
	return 1;
}

static void test_text(void)
{
	sd_config_t cfg = {.log_file = path,
			   .log_level = SD_LOG_INFO,
			   .log_format = SD_LOG_TEXT};
	CHECK_INT(sd_log_open(&cfg), 0);
	CHECK(sd_log_enabled(SD_LOG_ERROR));
	CHECK(sd_log_enabled(SD_LOG_INFO));
	CHECK(!sd_log_enabled(SD_LOG_DEBUG));
	sd_log(SD_LOG_INFO, "listening on %s:%d", "0.0.0.0", 3000);
	sd_log(SD_LOG_DEBUG, "dropped");
	sd_log(SD_LOG_WARN, "two\nlines\tand \x01 bell\n");
	sd_log(SD_LOG_ERROR, "%s", "");

	char *text = slurp(path);
	const char *l1 = text, *l2 = strchr(l1, '\n') + 1,
		   *l3 = strchr(l2, '\n') + 1;
	CHECK(stamped(l1) && stamped(l2) && stamped(l3));
	CHECK(strncmp(l1 + 25, "info listening on 0.0.0.0:3000\n", 31) == 0);
	CHECK(strncmp(l2 + 25, "warn two\\nlines\\tand \\x01 bell\n", 31) == 0);
	CHECK_STR(l3 + 25, "error \n");
	CHECK(strstr(text, "dropped") == NULL);
	free(text);

	/* a message longer than the stack buffer is whole */
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sd_log(SD_LOG_ERROR, "<%s>", big);
	text = slurp(path);
	CHECK(strstr(text, big) != NULL);
	char *last = strrchr(text, '<');
	CHECK(last && strlen(last) == sizeof(big) - 1 + 3);
	free(text);
	sd_log_close();
}

static void test_json(void)
{
	unlink(path);
	sd_config_t cfg = {.log_file = path,
			   .log_level = SD_LOG_DEBUG,
			   .log_format = SD_LOG_JSON};
	CHECK_INT(sd_log_open(&cfg), 0);
	CHECK(sd_log_enabled(SD_LOG_DEBUG));
	sd_log(SD_LOG_DEBUG, "say \"hi\" to /socket.io/\n\x02\\");
	sd_log(SD_LOG_WARN, "plain");
	char *text = slurp(path);
	char *nl = strchr(text, '\n');
	CHECK(nl && strchr(nl + 1, '\n') == text + strlen(text) - 1);
	if (nl) {
		*nl = '\0';
		struct json_object *o = json_tokener_parse(text), *v;
		CHECK(o != NULL);
		CHECK(json_object_object_get_ex(o, "msg", &v));
		CHECK_STR(json_object_get_string(v),
			  "say \"hi\" to /socket.io/\n\x02\\");
		CHECK(json_object_object_get_ex(o, "level", &v));
		CHECK_STR(json_object_get_string(v), "debug");
		CHECK(json_object_object_get_ex(o, "time", &v));
		char stamp[64];
		snprintf(stamp, sizeof(stamp), "%s ",
			 json_object_get_string(v));
		CHECK(stamped(stamp));
		CHECK_INT(json_object_object_length(o), 3);
		json_object_put(o);
		/* the keys in this order, no escaped slashes */
		CHECK(strncmp(text, "{\"time\":\"", 9) == 0);
		CHECK(strstr(text, "\"level\":\"debug\",\"msg\":\"say") !=
		      NULL);
		CHECK(strstr(text, "\\/") == NULL);
		CHECK(strstr(nl + 1, "\"level\":\"warn\",\"msg\":\"plain\"}") !=
		      NULL);
	}
	free(text);
	sd_log_close();
}

static void test_reopen(void)
{
	unlink(path);
	sd_config_t cfg = {.log_file = path,
			   .log_level = SD_LOG_WARN,
			   .log_format = SD_LOG_TEXT};
	CHECK_INT(sd_log_open(&cfg), 0);
	sd_log(SD_LOG_WARN, "before");
	sd_log(SD_LOG_INFO, "dropped");
	CHECK_INT(rename(path, rotated), 0);
	sd_log(SD_LOG_WARN, "still the old file");
	CHECK_INT(sd_log_reopen(), 0);
	sd_log(SD_LOG_WARN, "after");
	char *old = slurp(rotated), *now = slurp(path);
	CHECK(strstr(old, "warn before\n") && strstr(old, "old file\n"));
	CHECK(strstr(old, "after") == NULL && strstr(old, "dropped") == NULL);
	CHECK(stamped(now));
	CHECK_STR(now + 25, "warn after\n");
	free(old);
	free(now);

	/* a file that cannot be reopened keeps the old one */
	char moved[160];
	snprintf(moved, sizeof(moved), "%s.d", dir);
	CHECK_INT(rename(dir, moved), 0);
	CHECK_INT(sd_log_reopen(), -ENOENT);
	sd_log(SD_LOG_ERROR, "kept");
	CHECK_INT(rename(moved, dir), 0);
	now = slurp(path);
	CHECK(strstr(now, "error kept\n") != NULL);
	free(now);
	sd_log_close();
	CHECK_INT(sd_log_reopen(), 0); /* standard error: nothing to do */

	/* a file that cannot be opened: an error, standard error stays */
	cfg.log_file = "/nonexistent/socketiod.log";
	CHECK_INT(sd_log_open(&cfg), -ENOENT);
	CHECK(!sd_log_enabled(SD_LOG_INFO)); /* the level is taken anyway */
	sd_log_close();
}

int main(void)
{
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/socketiod.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/socketiod.log.1", dir);
	test_text();
	test_json();
	test_reopen();
	unlink(path);
	unlink(rotated);
	rmdir(dir);
	TEST_EXIT();
}

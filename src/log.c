/* The log: see log.h. */
#include "log.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {
    [SD_LOG_ERROR] = "error",
    [SD_LOG_WARN] = "warn",
    [SD_LOG_INFO] = "info",
    [SD_LOG_DEBUG] = "debug",
};

static struct {
	FILE *file; /* NULL: standard error */
	char *path;
	sd_log_level_t level;
	sd_log_format_t format;
} lg = {NULL, NULL, SD_LOG_INFO, SD_LOG_TEXT};

static FILE *open_file(const char *path)
{
	FILE *f = fopen(path, "ae");
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int sd_log_open(const sd_config_t *cfg)
{
	sd_log_close();
	lg.level = cfg->log_level;
	lg.format = cfg->log_format;
	if (!cfg->log_file)
		return 0;
	char *path = strdup(cfg->log_file);
	if (!path)
		return -ENOMEM;
	FILE *f = open_file(path);
	if (!f) {
		int e = errno;
		free(path);
		return -e;
	}
	lg.file = f;
	lg.path = path;
	return 0;
}

int sd_log_reopen(void)
{
	if (!lg.file)
		return 0;
	FILE *f = open_file(lg.path);
	if (!f)
		return -errno;
	fclose(lg.file);
	lg.file = f;
	return 0;
}

void sd_log_close(void)
{
	if (lg.file)
		fclose(lg.file);
	lg.file = NULL;
	free(lg.path);
	lg.path = NULL;
}

int sd_log_enabled(sd_log_level_t level)
{
	return level <= lg.level;
}

/* "2026-11-23T10:00:00.123Z" (UTC, milliseconds) in buf[32]. */
static void timestamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* The line "time level message", the message's control characters
 * escaped, in one call: one write() on unbuffered standard error. */
static void write_text(FILE *f, const char *time, const char *level,
		       const char *msg, size_t len)
{
	char small[1024], *esc = small;
	size_t n = 0;
	if (len * 4 + 1 > sizeof(small)) {
		esc = malloc(len * 4 + 1);
		if (!esc) { /* unescaped rather than lost */
			fprintf(f, "%s %s %.*s\n", time, level, (int)len, msg);
			return;
		}
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == '\n') {
			esc[n++] = '\\';
			esc[n++] = 'n';
		} else if (c == '\t') {
			esc[n++] = '\\';
			esc[n++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc + n, 5, "\\x%02x", c);
			n += 4;
		} else {
			esc[n++] = (char)c;
		}
	}
	fprintf(f, "%s %s %.*s\n", time, level, (int)n, esc);
	if (esc != small)
		free(esc);
}

/* {"time":...,"level":...,"msg":...}; 0, or -1 when out of memory. */
static int write_json(FILE *f, const char *time, const char *level,
		      const char *msg, size_t len)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return -1;
	int r = json_object_object_add(o, "time", json_object_new_string(time));
	r |= json_object_object_add(o, "level", json_object_new_string(level));
	r |= json_object_object_add(o, "msg",
				    json_object_new_string_len(msg, (int)len));
	const char *s =
	    r ? NULL
	      : json_object_to_json_string_ext(
		    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		fprintf(f, "%s\n", s);
	json_object_put(o);
	return s ? 0 : -1;
}

void sd_log(sd_log_level_t level, const char *fmt, ...)
{
	if (!sd_log_enabled(level))
		return;
	char small[512], *msg = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n;
	if (len >= sizeof(small)) {
		char *big = malloc(len + 1);
		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, len + 1, fmt, ap);
			va_end(ap);
			msg = big;
		} else {
			len = sizeof(small) - 1; /* the truncated message */
		}
	}
	if (len && msg[len - 1] == '\n')
		len--;

	char time[32];
	timestamp(time, sizeof(time));
	FILE *f = lg.file ? lg.file : stderr;
	if (lg.format != SD_LOG_JSON ||
	    write_json(f, time, level_names[level], msg, len))
		write_text(f, time, level_names[level], msg, len);
	if (msg != small)
		free(msg);
}

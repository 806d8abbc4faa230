/* socketiod's log: one line per message, on standard error or appended to
 * --log-file, as text ("2026-11-23T10:00:00.123Z info message") or JSON
 * ({"time":"...","level":"info","msg":"message"}), per --log-format;
 * messages above --log-level are dropped.
 *
 * Single-threaded: the functions keep their state in statics and are
 * called from the event loop (not from signal handlers). */
#ifndef SD_LOG_H
#define SD_LOG_H

#include "config.h"

/* Opens the log that `cfg` describes: appends to cfg->log_file (created if
 * missing, line-buffered) or writes to standard error; copies what it
 * needs, so `cfg` may be freed afterwards. Returns 0, or a negative errno
 * when the file cannot be opened, in which case the log goes to standard
 * error (with cfg's level and format) and the caller reports the error.
 * Until it is called, messages up to info go to standard error as text. */
int sd_log_open(const sd_config_t *cfg);

/* Closes and reopens --log-file, for SIGHUP after a log rotation; a
 * no-op on standard error. Returns 0, or a negative errno when the file
 * cannot be opened, in which case the old stream stays in use. */
int sd_log_reopen(void);

/* 1 when a message at `level` would be written, 0 when it is dropped:
 * lets a caller skip building costly arguments. */
int sd_log_enabled(sd_log_level_t level);

/* Writes one line at `level`, the message formatted as by printf. A
 * trailing newline of the message is dropped; in text format the other
 * control characters are escaped (\n, \t, \xHH), so that a message is
 * always one line. */
void sd_log(sd_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Closes --log-file; later messages go to standard error. */
void sd_log_close(void);

#endif /* SD_LOG_H */

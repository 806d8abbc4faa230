/* procstat: /proc/PID/stat and /proc/PID/status readers; see procstat.h. */
#include "procstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

void procstat_read(pid_t pid, struct procstat *st)
{
	char path[64], buf[4096];
	st->ok = 0;
	st->cpu_s = 0;
	st->rss_kb = 0;
	if (pid <= 0)
		return;
	/* stat: "pid (comm) state ppid ..."; comm may hold spaces and
	 * parentheses, so the fields are counted from the last ')'. utime and
	 * stime are fields 14 and 15, the 12th and 13th after the ')'. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_file(path, buf, sizeof(buf)) != 0)
		return;
	char *p = strrchr(buf, ')');
	if (!p)
		return;
	p++;
	unsigned long long ut = 0, stt = 0;
	for (int field = 3; field <= 15 && *p; field++) {
		while (*p == ' ')
			p++;
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (field == 14)
			ut = v;
		else if (field == 15)
			stt = v;
		while (*end && *end != ' ')
			end++;
		p = end;
	}
	long tck = sysconf(_SC_CLK_TCK);
	if (tck <= 0)
		tck = 100;
	st->cpu_s = (double)(ut + stt) / (double)tck;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (read_file(path, buf, sizeof(buf)) != 0)
		return;
	char *r = strstr(buf, "\nVmRSS:");
	if (!r)
		return;
	st->rss_kb = strtol(r + 7, NULL, 10);
	st->ok = 1;
}

double procstat_self_cpu(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

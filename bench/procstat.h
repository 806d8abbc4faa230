/* procstat: a server process's CPU time and resident memory, from /proc. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <sys/types.h>

struct procstat {
	int ok;          /* 0: the process could not be read */
	double cpu_s;    /* utime + stime of /proc/PID/stat, in seconds */
	long rss_kb;     /* VmRSS of /proc/PID/status */
};

/* Reads pid's figures; st->ok tells whether that worked. */
void procstat_read(pid_t pid, struct procstat *st);

/* This process's own user + system CPU seconds (getrusage). */
double procstat_self_cpu(void);

#endif

/* floor: what one delivered WebSocket frame costs this kernel, with no
 * server around it (see usage() and bench/README.md).
 *
 * It listens on 127.0.0.1, connects N TCP clients to itself and fork()s:
 * the child keeps the client ends and reads and discards everything
 * (epoll); the parent keeps the accepted ends and, R times a second (or
 * flat out), writes one pre-encoded WebSocket text frame to each of them,
 * one write() per socket. The frame is the one a conformance server
 * writes for a `sio-bench --scenario fanout` broadcast. The parent's CPU
 * time (getrusage, user + sys) over the run divided by the frames written
 * is the floor a server's paced fan-out is measured against: a server
 * cannot deliver a frame for less than the write() that carries it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PER_SOURCE
#define PER_SOURCE 20000 /* connections per loopback source address */
#endif
#define SEQ 100          /* the seq in the frame: 3 digits, a paced run's */

static long o_clients = 1000;
static double o_rate = 20, o_duration = 10;
static long o_payload;
static int o_json;

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fprintf(f,
"usage: floor [--clients N] [--rate R] [--duration S] [--payload BYTES]\n"
"             [--json]\n"
"\n"
"The floor for fan-out on this machine: what one delivered WebSocket frame\n"
"costs the kernel, with no server around it. floor listens on 127.0.0.1,\n"
"connects N TCP clients to itself (TCP_NODELAY on the accepted ends, as\n"
"libengineio does) and forks: the child keeps the client ends and reads\n"
"and discards everything (epoll); the parent keeps the accepted ends and,\n"
"R times a second for S seconds, writes one pre-encoded WebSocket frame to\n"
"each of them, one write() per socket. The frame is what a conformance\n"
"server writes to each receiver of `sio-bench --scenario fanout`: an\n"
"unmasked text frame of 42[\"broadcast\",{\"t\":<monotonic ns>,\"seq\":100}]\n"
"(with --payload, a \"p\" field of that many x's in the object, as\n"
"sio-bench's). The parent's CPU seconds over the run (getrusage\n"
"RUSAGE_SELF, user + sys) per frame written is the floor.\n"
"\n"
"Pin it with taskset (taskset -c 1 floor ...): the child moves itself to\n"
"the CPUs the parent is not allowed on, if any, so that the reader does\n"
"not share the writer's CPU (as with a server and sio-bench pinned apart).\n"
"\n"
"Options:\n"
"  --clients N     connected sockets (default 1000; at most 1000000).\n"
"                  Beyond %d they come from 127.0.0.2, 127.0.0.3, ...\n"
"  --rate R        rounds per second, one frame to every socket each\n"
"                  (default 20); 0: rounds back to back, flat out\n"
"  --duration S    seconds of writing (default 10)\n"
"  --payload BYTES filler \"p\" field in the broadcast object (default 0:\n"
"                  none, the size sio-bench's fanout receives)\n"
"  --json          print the results as one JSON object on the last line\n"
"  --help          this text\n"
"\n"
"Results:\n"
"  frame_bytes     the frame's size on the wire (WebSocket header included)\n"
"  rounds          rounds run (a round due while the previous one still\n"
"                  runs starts as soon as it ends; those still due when\n"
"                  the duration is over are not run)\n"
"  frames          frames written in full\n"
"  missed          frames not written: the socket's send buffer was full\n"
"                  (EAGAIN: no retry, no spinning), or the round's write\n"
"                  went to finish a frame cut short earlier\n"
"  partial         writes that took only part of the bytes\n"
"  writes          write() calls made\n"
"  cpu_s           the parent's CPU seconds during the run (user + sys;\n"
"                  cpu_user_s, cpu_sys_s), the loopback receive path\n"
"                  included: the kernel runs it in the writer's context\n"
"  frames_per_cpu_s  frames / cpu_s\n"
"  us_per_frame    cpu_s / frames, in microseconds\n"
"  reader_cpu_s    the child's CPU seconds (reading and discarding)\n"
"  duration_s      the run's wall-clock seconds\n"
"\n"
"Exit status: 0 the run completed; 1 a system call failed; 2 bad\n"
"arguments.\n",
		PER_SOURCE);
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "floor: %s%s\n(floor --help lists the options)\n",
		what, arg);
	return -1;
}

static int num(const char *flag, const char *s, double min, double max,
	       double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min) || !(v <= max)) {
		fprintf(stderr, "floor: %s wants a number in %g..%g, not "
			"\"%s\"\n", flag, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], flag[32];
		if (strncmp(arg, "--", 2) != 0)
			return bad("unexpected argument ", arg);
		char *eq = strchr(arg, '=');
		size_t fl = eq ? (size_t)(eq - arg) : strlen(arg);
		if (fl >= sizeof(flag))
			return bad("unknown option ", arg);
		memcpy(flag, arg, fl);
		flag[fl] = '\0';
		if (strcmp(flag, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(flag, "--json") == 0) {
			if (eq)
				return bad("--json takes no value", "");
			o_json = 1;
			continue;
		}
		if (strcmp(flag, "--clients") && strcmp(flag, "--rate") &&
		    strcmp(flag, "--duration") && strcmp(flag, "--payload"))
			return bad("unknown option ", flag);
		const char *val;
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return bad(flag, " needs a value");
		double v;
		int r;
		if (strcmp(flag, "--clients") == 0) {
			r = num(flag, val, 1, 1000000, &v);
			o_clients = (long)v;
			if (!r && v != (double)o_clients)
				return bad("--clients wants an integer: ", val);
		} else if (strcmp(flag, "--rate") == 0) {
			r = num(flag, val, 0, 1e6, &o_rate);
		} else if (strcmp(flag, "--duration") == 0) {
			r = num(flag, val, 0.001, 86400, &o_duration);
		} else {
			r = num(flag, val, 0, 10000000, &v);
			o_payload = (long)v;
			if (!r && v != (double)o_payload)
				return bad("--payload wants an integer: ", val);
		}
		if (r)
			return -1;
	}
	return 0;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return -1;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The WebSocket text frame (unmasked, FIN) of
 * 42["broadcast",{"t":<now>,"seq":SEQ[,"p":"xx..."]}]. */
static unsigned char *make_frame(size_t *len, size_t *payload_len)
{
	char head[96];
	int hl = snprintf(head, sizeof(head),
			  "42[\"broadcast\",{\"t\":%llu,\"seq\":%d",
			  (unsigned long long)mono_ns(), SEQ);
	size_t pad = o_payload ? (size_t)o_payload + 7 : 0; /* ,"p":"" */
	size_t pl = (size_t)hl + pad + 2;
	size_t hdr = pl < 126 ? 2 : pl < 65536 ? 4 : 10;
	unsigned char *f = malloc(hdr + pl);
	if (!f)
		return NULL;
	f[0] = 0x81; /* FIN, text */
	if (hdr == 2) {
		f[1] = (unsigned char)pl;
	} else if (hdr == 4) {
		f[1] = 126;
		f[2] = (unsigned char)(pl >> 8);
		f[3] = (unsigned char)pl;
	} else {
		f[1] = 127;
		for (int i = 0; i < 8; i++)
			f[2 + i] = (unsigned char)((uint64_t)pl >> (56 - 8 * i));
	}
	unsigned char *p = f + hdr;
	memcpy(p, head, (size_t)hl);
	p += hl;
	if (o_payload) {
		memcpy(p, ",\"p\":\"", 6);
		memset(p + 6, 'x', (size_t)o_payload);
		p[6 + o_payload] = '"';
		p += pad;
	}
	memcpy(p, "}]", 2);
	*len = hdr + pl;
	*payload_len = pl;
	return f;
}

static void raise_nofile(long need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		die("getrlimit(RLIMIT_NOFILE)");
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= (rlim_t)need)
		return;
	struct rlimit want = rl;
	want.rlim_cur = (rlim_t)need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need)
		want.rlim_max = (rlim_t)need; /* needs CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return;
	want.rlim_cur = want.rlim_max = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &want) != 0)
		want = rl;
	fprintf(stderr, "floor: warning: RLIMIT_NOFILE is %llu, %ld "
		"descriptors needed\n", (unsigned long long)want.rlim_cur,
		need);
}

/* The child: move off the parent's CPUs if it can, then read and discard
 * until killed. The client ends are cl[0..n). */
static void reader(const int *cl, long n, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		die("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != parent)
		_exit(1);
	/* ^C goes to the process group: the parent stops, reports and
	 * kills the reader */
	struct sigaction ign = {.sa_handler = SIG_IGN};
	if (sigaction(SIGINT, &ign, NULL) != 0)
		die("reader: sigaction(SIGINT)");
	cpu_set_t mine, other;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 0 && sched_getaffinity(0, sizeof(mine), &mine) == 0) {
		CPU_ZERO(&other);
		for (int c = 0; c < ncpu && c < CPU_SETSIZE; c++)
			if (!CPU_ISSET(c, &mine))
				CPU_SET(c, &other);
		if (CPU_COUNT(&other) > 0 &&
		    sched_setaffinity(0, sizeof(other), &other) != 0)
			die("warning: reader: sched_setaffinity");
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		die("reader: epoll_create1");
		_exit(1);
	}
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
					 .data.fd = cl[i]};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cl[i], &ev) != 0) {
			die("reader: epoll_ctl");
			_exit(1);
		}
	}
	static char buf[65536];
	struct epoll_event evs[256];
	for (;;) {
		int k = epoll_wait(ep, evs, 256, -1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			die("reader: epoll_wait");
			_exit(1);
		}
		for (int j = 0; j < k; j++) {
			int fd = evs[j].data.fd;
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r > 0)
					continue;
				if (r == 0) { /* the parent closed it */
					if (epoll_ctl(ep, EPOLL_CTL_DEL, fd,
						      NULL) != 0)
						die("reader: epoll_ctl DEL");
					close(fd);
				} else if (errno == EINTR) {
					continue;
				} else if (errno != EAGAIN) {
					die("reader: read");
					_exit(1);
				}
				break;
			}
		}
	}
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return die("fcntl(O_NONBLOCK)");
	return 0;
}

/* Connect n clients to ls (bound to 127.0.0.1:port); cl[] and sv[] get
 * the client and the accepted ends. One connect(), one accept(), in turn:
 * the accept queue never overflows. */
static int connect_all(int ls, uint16_t port, int *cl, int *sv, long n)
{
	int one = 1;
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0)
			return die("socket");
		cl[i] = c;
		long src = i / PER_SOURCE;
		if (src > 0) {
			if (src > 250) {
				errno = EADDRNOTAVAIL;
				return die("too many clients for 127.0.0.x");
			}
#ifdef IP_BIND_ADDRESS_NO_PORT
			if (setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
				       &one, sizeof(one)) != 0)
				return die("setsockopt(IP_BIND_ADDRESS_NO_PORT)");
#endif
			struct sockaddr_in sa = {.sin_family = AF_INET};
			sa.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)src);
			if (bind(c, (struct sockaddr *)&sa, sizeof(sa)) != 0)
				return die("bind (source address)");
		}
		struct sockaddr_in to = {.sin_family = AF_INET,
					 .sin_port = htons(port)};
		to.sin_addr.s_addr = htonl(0x7f000001u);
		if (connect(c, (struct sockaddr *)&to, sizeof(to)) != 0)
			return die("connect");
		int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (s < 0)
			return die("accept4");
		sv[i] = s;
		if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)) != 0)
			return die("setsockopt(TCP_NODELAY)");
		if (set_nonblock(c) != 0)
			return -1;
	}
	return 0;
}

static double cpu_of(const struct rusage *ru, double *user, double *sys)
{
	*user = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6;
	*sys = (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
	return *user + *sys;
}

static void sleep_until(double t)
{
	struct timespec ts;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!stop) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
		if (r == 0)
			return;
		if (r != EINTR) {
			errno = r;
			die("clock_nanosleep");
			return;
		}
	}
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv) != 0)
		return 2;
	long n = o_clients;
	raise_nofile(2 * n + 64);

	size_t flen, plen;
	unsigned char *frame = make_frame(&flen, &plen);
	int *cl = malloc((size_t)n * sizeof(int));
	int *sv = malloc((size_t)n * sizeof(int));
	uint32_t *off = calloc((size_t)n, sizeof(uint32_t));
	if (!frame || !cl || !sv || !off) {
		fprintf(stderr, "floor: out of memory\n");
		return 1;
	}
	if (flen > UINT32_MAX) {
		fprintf(stderr, "floor: frame too large\n");
		return 2;
	}

	struct sigaction sa = {.sa_handler = SIG_IGN};
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return die("sigaction(SIGPIPE)"), 1;

	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return die("socket"), 1;
	struct sockaddr_in la = {.sin_family = AF_INET};
	la.sin_addr.s_addr = htonl(0x7f000001u);
	socklen_t lal = sizeof(la);
	if (bind(ls, (struct sockaddr *)&la, sizeof(la)) != 0 ||
	    listen(ls, 1024) != 0 ||
	    getsockname(ls, (struct sockaddr *)&la, &lal) != 0)
		return die("listen on 127.0.0.1"), 1;
	double t_conn = mono();
	if (connect_all(ls, ntohs(la.sin_port), cl, sv, n) != 0)
		return 1;
	t_conn = mono() - t_conn;
	if (close(ls) != 0)
		return die("close"), 1;

	if (fflush(NULL) != 0)
		return die("fflush"), 1;
	pid_t parent = getpid(), child = fork();
	if (child < 0)
		return die("fork"), 1;
	if (child == 0) {
		for (long i = 0; i < n; i++)
			close(sv[i]);
		reader(cl, n, parent);
		_exit(1);
	}
	for (long i = 0; i < n; i++)
		if (close(cl[i]) != 0)
			return die("close"), 1;

	sa.sa_handler = on_signal;
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		return die("sigaction"), 1;

	unsigned long long frames = 0, missed = 0, partial = 0, writes = 0,
			   rounds = 0;
	int failed = 0;
	struct rusage ru0, ru1;
	double u0, s0, u1, s1;
	if (getrusage(RUSAGE_SELF, &ru0) != 0)
		return die("getrusage"), 1;
	double t0 = mono(), end = t0 + o_duration, now = t0;
	for (;;) {
		if (o_rate > 0) {
			double due = t0 + (double)rounds / o_rate;
			if (due >= end)
				break;
			if (due > now)
				sleep_until(due);
		}
		now = mono();
		if (stop || now >= end)
			break;
		for (long i = 0; i < n; i++) {
			const unsigned char *p = frame + off[i];
			size_t len = flen - off[i];
			ssize_t w = write(sv[i], p, len);
			writes++;
			if (w == (ssize_t)len) {
				frames++;
				if (off[i]) { /* a frame cut short, finished */
					off[i] = 0;
					missed++; /* this round's frame */
				}
			} else if (w >= 0) {
				partial++;
				if (off[i])
					missed++;
				off[i] += (uint32_t)w;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				missed++;
			} else if (errno != EINTR) {
				die("write");
				failed = 1;
				break;
			} else {
				missed++;
			}
		}
		rounds++;
		if (failed)
			break;
	}
	if (getrusage(RUSAGE_SELF, &ru1) != 0)
		return die("getrusage"), 1;
	if (o_rate > 0 && !stop && !failed)
		sleep_until(end);
	double t1 = mono();

	/* the reader must still be there; then kill and reap it */
	int st;
	pid_t w = waitpid(child, &st, WNOHANG);
	if (w < 0)
		return die("waitpid"), 1;
	if (w == child) {
		fprintf(stderr, "floor: the reader exited early (status %d)\n",
			st);
		failed = 1;
	} else {
		if (kill(child, SIGKILL) != 0)
			return die("kill"), 1;
		while ((w = waitpid(child, &st, 0)) < 0 && errno == EINTR)
			;
		if (w < 0)
			return die("waitpid"), 1;
	}
	struct rusage ruc;
	double cu, cs, reader_cpu = 0;
	if (getrusage(RUSAGE_CHILDREN, &ruc) != 0)
		return die("getrusage(RUSAGE_CHILDREN)"), 1;
	reader_cpu = cpu_of(&ruc, &cu, &cs);
	for (long i = 0; i < n; i++)
		if (close(sv[i]) != 0)
			return die("close"), 1;

	double cpu = cpu_of(&ru1, &u1, &s1) - cpu_of(&ru0, &u0, &s0);
	double fpc = cpu > 0 ? (double)frames / cpu : 0;
	double upf = frames ? cpu * 1e6 / (double)frames : 0;
	double dur = t1 - t0;

	printf("floor: %ld clients (connected in %.2f s), rate %g/s%s, "
	       "%.2f s\n", n, t_conn, o_rate,
	       o_rate > 0 ? "" : " (flat out)", dur);
	printf("frame             %zu bytes (WebSocket header %zu + "
	       "payload %zu)\n", flen, flen - plen, plen);
	printf("rounds            %llu\n", rounds);
	printf("frames written    %llu\n", frames);
	printf("missed            %llu\n", missed);
	printf("partial writes    %llu\n", partial);
	printf("cpu               %.3f s (user %.3f, sys %.3f)\n", cpu,
	       u1 - u0, s1 - s0);
	printf("frames per CPU-s  %.0f\n", fpc);
	printf("us per frame      %.2f\n", upf);
	printf("reader cpu        %.3f s\n", reader_cpu);
	if (o_json)
		printf("{\"scenario\":\"floor\",\"clients\":%ld,\"rate\":%g,"
		       "\"duration_s\":%.3f,\"frame_bytes\":%zu,"
		       "\"payload_bytes\":%zu,\"rounds\":%llu,\"frames\":%llu,"
		       "\"missed\":%llu,\"partial\":%llu,\"writes\":%llu,"
		       "\"cpu_s\":%.4f,\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,"
		       "\"frames_per_cpu_s\":%.1f,\"us_per_frame\":%.3f,"
		       "\"reader_cpu_s\":%.3f,\"connect_s\":%.3f}\n",
		       n, o_rate, dur, flen, plen, rounds, frames, missed,
		       partial, writes, cpu, u1 - u0, s1 - s0, fpc, upf,
		       reader_cpu, t_conn);
	if (fflush(stdout) != 0)
		return die("stdout"), 1;
	free(frame);
	free(cl);
	free(sv);
	free(off);
	return failed ? 1 : 0;
}

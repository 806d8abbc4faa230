/* sio-bench: load generator for a Socket.IO v5 / Engine.IO v4 server on
 * this machine (see usage() and bench/README.md). This file: options,
 * the phases of a run (connect, run, drain, settle) and the report. */
#include "bench.h"
#include "procstat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct bench B;

#define TICK_US 1000
#define SWEEP_NS 250000000ull
#define MAX_PER_SOURCE 50000
#define CLOSE_WAIT_NS 2000000000ull

static const char *const scenario_names[] = {"idle", "echo", "fanout",
					     "churn"};
static const char *const kind_names[E_NKINDS] = {
    "socket", "connect", "handshake", "timeout", "closed", "protocol"};

/* figures taken along the way */
static struct procstat ps_start, ps_run, ps_run_end, ps_end, ps_settled;
static double self_cpu_start, self_cpu_run, self_cpu_run_end;
static uint64_t ramp_end;       /* the ramp's last handshake */
static long connected_at_run;   /* clients ready when the run began */
static uint64_t connected_at_run_total;
static long ready_at_end;
static uint64_t t_run_stopped;
static int interrupted;
static int progress;
static uint64_t next_sweep, next_progress;
static struct event *tick_ev;

static void usage(FILE *f)
{
	fprintf(f,
"usage: sio-bench --url URL --scenario idle|echo|fanout|churn [options]\n"
"\n"
"Load generator for a Socket.IO v5 (Engine.IO v4) server on this machine.\n"
"Every client connects to namespace \"/\": WebSocket upgrade of\n"
"GET PATH?EIO=4&transport=websocket (or HTTP long-polling), the Engine.IO\n"
"open packet, \"40\", the server's \"40{...}\"; it answers Engine.IO pings.\n"
"Connections come from the loopback source addresses 127.0.0.1,\n"
"127.0.0.2, ... (bind() before connect()), so that more than 64K of them\n"
"can reach one server port. A run: connect the clients (idle, echo,\n"
"fanout), run the scenario for --duration, wait up to --drain for what is\n"
"outstanding, disconnect every client (Socket.IO disconnect, then a\n"
"WebSocket close frame or the Engine.IO close packet) and wait up to 2 s\n"
"for the server to close the connections, report.\n"
"\n"
"Scenarios:\n"
"  idle    N clients connect and stay for the duration, answering pings.\n"
"          Reports the connect rate and, with --server-pid, the server's RSS\n"
"          per connection.\n"
"  echo    Each client emits 42<id>[\"message-with-ack\",\"<payload>\"] and\n"
"          times each ack (round trip, monotonic clock); the ack must repeat\n"
"          the arguments. Closed loop with --inflight emits outstanding per\n"
"          client, or --rate emits a second in all.\n"
"  fanout  N clients emit 421[\"join\",\"bench\"] and wait for the ack; one\n"
"          more client, the sender, joins too and emits\n"
"          42[\"broadcast\",\"bench\",{\"t\":<send time ns>,\"seq\":<n>}]. Each\n"
"          receiver records the delivery latency (arrival - t) of every\n"
"          broadcast; lost = broadcasts sent x receivers joined at the time -\n"
"          deliveries (counted after --drain).\n"
"  churn   N slots each loop: connect, emit 42[\"message\",\"x\"], wait for\n"
"          \"message-back\", send 41 and a close (WebSocket close frame, or\n"
"          the Engine.IO close packet over polling), wait for the server to\n"
"          close. Reports sessions per second; with --server-pid the RSS at\n"
"          start, at the end and after --settle, and whether the last is\n"
"          within 5%% of the first.\n"
"\n"
"Options (each value may also be joined to its option with '='):\n"
"  --url URL              the server: http://HOST:PORT[/PATH/] (or ws://);\n"
"                         HOST an IPv4 loopback address (127.x.x.x) or a\n"
"                         name resolving to one; PATH defaults to\n"
"                         /socket.io/. Required.\n"
"  --scenario NAME        idle, echo, fanout or churn. Required.\n"
"  --clients N            clients (churn: concurrent sessions); fanout adds\n"
"                         the sender (default 100)\n"
"  --duration S           seconds of the measured run, fractions allowed\n"
"                         (default 10)\n"
"  --rate R               echo: emits per second over all clients, round\n"
"                         robin over those with a free --inflight slot;\n"
"                         fanout: broadcasts per second, with at most R (16\n"
"                         at least) outstanding; churn: sessions started per\n"
"                         second at most. Echo and fanout: send k is due k/R\n"
"                         s into the run; one that finds no room waits and\n"
"                         goes as soon as there is room, up to R (16 at\n"
"                         least) waiting: older ones, and those still\n"
"                         waiting at the end, are not sent and count in\n"
"                         send_missed. Latency counts from the actual send.\n"
"                         0: as fast as the server answers (default 0)\n"
"  --inflight K           echo: most emits awaiting their ack per client;\n"
"                         fanout with --rate 0: most broadcasts the sender\n"
"                         has sent and not itself received (1-256; default\n"
"                         4 for echo, 16 for fanout)\n"
"  --payload BYTES        filler string length: echo: the emitted argument\n"
"                         (default 32); fanout: a \"p\" field added to each\n"
"                         broadcast object (default 0: none). At most\n"
"                         10000000.\n"
"  --transport T          websocket (default) or polling: HTTP long-polling,\n"
"                         two keep-alive connections per client (one for\n"
"                         GETs, one for POSTs)\n"
"  --sources N            use source addresses 127.0.0.1 .. 127.0.0.N round\n"
"                         robin (default: as many as the connections need,\n"
"                         counting 45%% of the ephemeral port range, at most\n"
"                         %d, per address: the kernel gives connect() the\n"
"                         ports of one parity first, and connecting slows\n"
"                         down badly past about half the range)\n"
"  --server-pid PID       read the server's CPU time (utime+stime of\n"
"                         /proc/PID/stat) and VmRSS (/proc/PID/status)\n"
"                         before, during and after the run\n"
"  --connect-rate R       idle, echo, fanout: connections started per second\n"
"                         while connecting (0: no limit; default 5000)\n"
"  --handshakes N         most connections being set up at once, from TCP\n"
"                         connect to the namespace connect (default 256)\n"
"  --handshake-timeout S  a client not connected to \"/\" after S seconds is\n"
"                         an error (default 10)\n"
"  --ramp-timeout S       longest connecting phase; after it the run starts\n"
"                         with the clients connected so far (default 60)\n"
"  --drain S              after the run, the longest wait for outstanding\n"
"                         acks, broadcasts or sessions (default 2)\n"
"  --settle S             churn with --server-pid: seconds to wait after the\n"
"                         last session closed before the settled RSS\n"
"                         reading (default 2)\n"
"  --json                 print the results as one JSON object on the last\n"
"                         line of standard output, instead of the summary\n"
"  --help                 this text\n"
"\n"
"Results (JSON names; null where they do not apply):\n"
"  scenario, transport, url, clients, sources\n"
"  connected              idle/echo/fanout: clients (not the sender)\n"
"                         connected when the run began; churn: sessions\n"
"                         that connected\n"
"  errors, error_kinds    failed or lost clients, by kind: socket (socket,\n"
"                         bind), connect (TCP), handshake (HTTP, open\n"
"                         packet, connect_error), timeout (handshake or\n"
"                         close), closed (the server closed a connected\n"
"                         client), protocol (malformed frame or packet);\n"
"                         the first of each kind is described on stderr\n"
"  duration_s             the measured run (shorter if interrupted)\n"
"  connect_s, connect_rate  the connecting phase, first connect to last\n"
"                         client connected, and clients connected per\n"
"                         second in it (churn: connections per second of\n"
"                         the run)\n"
"  connect_p50_ms, connect_p99_ms  TCP connect to namespace connected\n"
"  msgs_sent              echo: emits; fanout: broadcasts; churn: messages\n"
"  msgs_delivered         echo: acks; fanout: broadcasts received (sender's\n"
"                         own copies excluded); churn: message-backs; with\n"
"                         those arriving during --drain\n"
"  msgs_per_s             those received during the run / duration_s\n"
"  lost                   echo: emits never acknowledged; fanout: expected\n"
"                         deliveries not received\n"
"  out_of_order           fanout: deliveries whose seq was not the next one\n"
"                         the receiver expected\n"
"  unexpected, bad_payload  acks or broadcasts that match no emit; echo acks\n"
"                         whose arguments differ from the emitted ones\n"
"  send_missed            --rate sends not made for want of room\n"
"  lat_p50_ms, lat_p90_ms, lat_p99_ms, lat_max_ms, lat_mean_ms  echo: ack\n"
"                         round trip; fanout: delivery latency; churn:\n"
"                         connect start to message-back\n"
"  sessions, sessions_per_s  churn: sessions closed cleanly, and those\n"
"                         closed during the run / duration_s\n"
"  server_cpu_s           server CPU seconds during the run\n"
"  server_cpu_connect_s   server CPU seconds during the connecting phase\n"
"  server_rss_before_kb   server RSS before the first connection\n"
"  server_rss_connected_kb  ... once the clients were connected\n"
"  server_rss_kb          ... at the end of the run (churn: once every\n"
"                         session was over)\n"
"  server_rss_settled_kb  churn: ... after --settle\n"
"  rss_per_conn_bytes     (connected - before) / connected clients\n"
"  rss_within_5pct        churn: settled RSS <= 1.05 x RSS before\n"
"  close_timeouts         connections the server had not closed 2 s after\n"
"                         the final disconnect (which is not an error)\n"
"  bench_cpu_s            sio-bench's own CPU seconds during the run (near\n"
"                         duration_s: the generator may be the bottleneck)\n"
"  bench_cpu_connect_s    ... during the connecting phase\n"
"\n"
"Latencies come from a log-linear histogram (1.6%% resolution). While\n"
"standard error is a terminal, a progress line is printed there each\n"
"second. SIGINT or SIGTERM ends the run early (a second one: at once).\n"
"RLIMIT_NOFILE is raised to its hard limit (beyond it if allowed); a\n"
"warning says when that is too low for the connections.\n"
"\n"
"Exit status: 0 the run completed; 1 no client connected (or a setup\n"
"failure); 2 bad arguments.\n",
		MAX_PER_SOURCE);
}

/* --- options --------------------------------------------------------- */

static int bad(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "sio-bench: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(sio-bench --help lists the options)\n");
	return -1;
}

static int num_long(const char *flag, const char *s, long min, long max,
		    long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		char range[64];
		snprintf(range, sizeof(range), "%ld..%ld", min, max);
		fprintf(stderr, "sio-bench: %s wants an integer in %s, not "
			"\"%s\"\n", flag, range, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int num_double(const char *flag, const char *s, double min,
		      double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min) || !(v <= max)) {
		fprintf(stderr, "sio-bench: %s wants a number in %g..%g, not "
			"\"%s\"\n", flag, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* http://HOST[:PORT][/PATH] or ws://... */
static int parse_url(const char *url)
{
	const char *u = url;
	int port = 80;
	if (strncmp(u, "http://", 7) == 0)
		u += 7;
	else if (strncmp(u, "ws://", 5) == 0)
		u += 5;
	else if (strstr(u, "://"))
		return bad("--url %s: only http:// and ws:// are supported%s",
			   url, "");
	size_t hl = strcspn(u, ":/");
	if (hl == 0 || hl >= 256)
		return bad("--url %s: no host%s", url, "");
	char host[256];
	memcpy(host, u, hl);
	host[hl] = '\0';
	const char *p = u + hl;
	if (*p == ':') {
		char *end;
		long v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 1 || v > 65535 ||
		    (*end && *end != '/'))
			return bad("--url %s: bad port%s", url, "");
		port = (int)v;
		p = end;
	}
	if (*p == '\0' || strcmp(p, "/") == 0) {
		strcpy(B.path, "/socket.io/");
	} else {
		size_t pl = strcspn(p, "?#");
		if (pl + 2 > sizeof(B.path))
			return bad("--url %s: path too long%s", url, "");
		memcpy(B.path, p, pl);
		B.path[pl] = '\0';
		if (B.path[pl - 1] != '/')
			strcat(B.path, "/");
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return bad("--url %s: cannot resolve %s to an IPv4 address",
			   url, host);
	memcpy(&B.dst, res->ai_addr, sizeof(B.dst));
	freeaddrinfo(res);
	B.dst.sin_port = htons((uint16_t)port);
	if ((ntohl(B.dst.sin_addr.s_addr) >> 24) != 127)
		return bad("--url %s: %s is not a loopback address (sio-bench "
			   "connects from 127.0.0.x source addresses)",
			   url, host);
	snprintf(B.host, sizeof(B.host), "%s:%d", host, port);
	return 0;
}

static int parse_args(int argc, char **argv)
{
	const char *scenario = NULL, *transport = NULL;
	long pid = 0;
	int have_payload = 0, have_inflight = 0;
	B.clients = 100;
	B.duration = 10;
	B.inflight = 4;
	B.payload = 32;
	B.connect_rate = 5000;
	B.handshakes = 256;
	B.handshake_timeout = 10;
	B.ramp_timeout = 60;
	B.drain = 2;
	B.settle = 2;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *val = NULL, flag[64];
		if (strncmp(arg, "--", 2) != 0)
			return bad("unexpected argument \"%s\"%s", arg, "");
		char *eq = strchr(arg, '=');
		size_t fl = eq ? (size_t)(eq - arg) : strlen(arg);
		if (fl >= sizeof(flag))
			return bad("unknown option %s%s", arg, "");
		memcpy(flag, arg, fl);
		flag[fl] = '\0';
		if (strcmp(flag, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(flag, "--json") == 0) {
			if (eq)
				return bad("%s takes no value%s", flag, "");
			B.json = 1;
			continue;
		}
		static const char *const valued[] = {
		    "--url", "--scenario", "--clients", "--duration", "--rate",
		    "--inflight", "--payload", "--transport", "--sources",
		    "--server-pid", "--connect-rate", "--handshakes",
		    "--handshake-timeout", "--ramp-timeout", "--drain",
		    "--settle"};
		int known = 0;
		for (size_t k = 0; k < sizeof(valued) / sizeof(*valued); k++)
			known |= strcmp(flag, valued[k]) == 0;
		if (!known)
			return bad("unknown option %s%s", flag, "");
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return bad("%s needs a value%s", flag, "");
		int r = 0;
		if (strcmp(flag, "--url") == 0)
			B.url = val;
		else if (strcmp(flag, "--scenario") == 0)
			scenario = val;
		else if (strcmp(flag, "--transport") == 0)
			transport = val;
		else if (strcmp(flag, "--clients") == 0)
			r = num_long(flag, val, 1, 10000000, &B.clients);
		else if (strcmp(flag, "--duration") == 0)
			r = num_double(flag, val, 0, 86400 * 7, &B.duration);
		else if (strcmp(flag, "--rate") == 0)
			r = num_double(flag, val, 0, 1e9, &B.rate);
		else if (strcmp(flag, "--inflight") == 0) {
			r = num_long(flag, val, 1, 256, &B.inflight);
			have_inflight = 1;
		} else if (strcmp(flag, "--payload") == 0) {
			r = num_long(flag, val, 0, 10000000, &B.payload);
			have_payload = 1;
		} else if (strcmp(flag, "--sources") == 0)
			r = num_long(flag, val, 1, 65000, &B.sources);
		else if (strcmp(flag, "--server-pid") == 0)
			r = num_long(flag, val, 1, INT_MAX, &pid);
		else if (strcmp(flag, "--connect-rate") == 0)
			r = num_double(flag, val, 0, 1e9, &B.connect_rate);
		else if (strcmp(flag, "--handshakes") == 0)
			r = num_long(flag, val, 1, 10000000, &B.handshakes);
		else if (strcmp(flag, "--handshake-timeout") == 0)
			r = num_double(flag, val, 0.001, 86400,
				       &B.handshake_timeout);
		else if (strcmp(flag, "--ramp-timeout") == 0)
			r = num_double(flag, val, 0, 86400, &B.ramp_timeout);
		else if (strcmp(flag, "--drain") == 0)
			r = num_double(flag, val, 0, 3600, &B.drain);
		else if (strcmp(flag, "--settle") == 0)
			r = num_double(flag, val, 0, 3600, &B.settle);
		if (r)
			return -1;
	}
	if (!B.url)
		return bad("--url is required%s%s", "", "");
	if (!scenario)
		return bad("--scenario is required%s%s", "", "");
	int found = 0;
	for (int k = 0; k < 4; k++)
		if (strcmp(scenario, scenario_names[k]) == 0) {
			B.scenario = (enum scenario)k;
			found = 1;
		}
	if (!found)
		return bad("--scenario %s: not idle, echo, fanout or churn%s",
			   scenario, "");
	if (!transport || strcmp(transport, "websocket") == 0)
		B.transport = TR_WEBSOCKET;
	else if (strcmp(transport, "polling") == 0)
		B.transport = TR_POLLING;
	else
		return bad("--transport %s: not websocket or polling%s",
			   transport, "");
	if (B.scenario == SC_FANOUT && !have_payload)
		B.payload = 0;
	if (B.scenario == SC_FANOUT && !have_inflight)
		B.inflight = 16;
	B.server_pid = (pid_t)pid;
	return parse_url(B.url);
}

/* Source addresses and descriptors for the connections. */
static void plan_resources(void)
{
	long conns = B.ncl * (B.transport == TR_POLLING ? 2 : 1);
	long per_source = MAX_PER_SOURCE;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	long lo, hi;
	if (f) {
		if (fscanf(f, "%ld %ld", &lo, &hi) == 2 && hi >= lo) {
			/* connect() takes the ports of one parity first
			 * and slows down badly once they are used up */
			long range = (hi - lo + 1) * 45 / 100;
			if (range < per_source)
				per_source = range > 1 ? range : 1;
		}
		fclose(f);
	}
	if (B.sources == 0) {
		B.sources = (conns + per_source - 1) / per_source;
		if (B.sources < 1)
			B.sources = 1;
	} else if (conns > B.sources * per_source) {
		fprintf(stderr,
			"sio-bench: warning: %ld connections over %ld source "
			"address(es) is more than the %ld ephemeral ports each "
			"has: connects may fail with EADDRNOTAVAIL\n",
			conns, B.sources, per_source);
	}
	B.src_first = 0x7f000001; /* 127.0.0.1 */

	long need = conns + 64;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	struct rlimit want = rl;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
		want.rlim_cur = want.rlim_max = (rlim_t)need;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
		want = rl;
	}
	want.rlim_cur = want.rlim_max;
	if (want.rlim_cur == RLIM_INFINITY)
		want.rlim_cur = (rlim_t)need > rl.rlim_cur ? (rlim_t)need
							    : rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &want) != 0)
		want = rl;
	if (want.rlim_cur < (rlim_t)need)
		fprintf(stderr,
			"sio-bench: warning: RLIMIT_NOFILE is %llu (hard limit "
			"%llu) but %ld connections need about %ld descriptors: "
			"the connections past it will fail (raise the hard "
			"limit, e.g. ulimit -Hn, or run as root; the server "
			"needs as many)\n",
			(unsigned long long)want.rlim_cur,
			(unsigned long long)rl.rlim_max, conns, need);
}

/* --- phases ---------------------------------------------------------- */

static void begin_run(uint64_t now)
{
	procstat_read(B.server_pid, &ps_run);
	self_cpu_run = procstat_self_cpu();
	connected_at_run = 0;
	for (long i = 0; i < B.clients; i++)
		connected_at_run += B.cl[i].state == CS_READY;
	connected_at_run_total = B.connected_total;
	ramp_end = B.t_last_ready ? B.t_last_ready : now;
	B.phase = P_RUN;
	B.t_run = now;
	B.t_run_end = now + (uint64_t)(B.duration * 1e9);
	if (B.scenario != SC_CHURN && B.ready == 0 && B.handshaking == 0) {
		/* nobody to run with: report at once */
		fprintf(stderr, "sio-bench: no client connected\n");
		B.t_run_end = now;
	}
	scen_begin_run(now);
}

static void end_run(uint64_t now)
{
	t_run_stopped = now;
	scen_end_run(now);
	procstat_read(B.server_pid, &ps_run_end);
	self_cpu_run_end = procstat_self_cpu();
	B.phase = P_DRAIN;
	B.t_drain_end = now + (uint64_t)(B.drain * 1e9);
}

/* The run is over: every connected client disconnects (Socket.IO
 * disconnect, then a WebSocket close frame or the Engine.IO close), so that
 * the server closes the TCP connections first and the TIME_WAIT states
 * stay on its side; the others are dropped. */
static void finish(uint64_t now)
{
	ready_at_end = B.ready;
	B.phase = P_CLOSE;
	B.t_close_end = now + CLOSE_WAIT_NS;
	for (long i = 0; i < B.ncl; i++) {
		struct client *c = &B.cl[i];
		if (c->state == CS_READY)
			client_close(c, now);
		else if (c->state != CS_CLOSING)
			client_release(c);
	}
}

/* All closed, or the wait is over. */
static void closed(uint64_t now)
{
	for (long i = 0; i < B.ncl; i++) {
		if (B.cl[i].state != CS_FREE) {
			B.close_timeouts++;
			client_release(&B.cl[i]);
		}
	}
	procstat_read(B.server_pid, &ps_end);
	if (B.scenario == SC_CHURN && B.server_pid && B.settle > 0) {
		B.phase = P_SETTLE;
		B.t_settle_end = now + (uint64_t)(B.settle * 1e9);
		return;
	}
	ps_settled = ps_end;
	B.phase = P_DONE;
	event_base_loopbreak(B.base);
}

static void ramp_pace(uint64_t now)
{
	uint64_t allowed =
	    B.connect_rate > 0
		? (uint64_t)((double)(now - B.t0) * B.connect_rate / 1e9) + 1
		: UINT64_MAX;
	while (B.started < B.ncl && (uint64_t)B.started < allowed &&
	       B.handshaking < B.handshakes)
		client_start(&B.cl[B.started++], now);
}

static void step(uint64_t now)
{
	switch (B.phase) {
	case P_RAMP:
		ramp_pace(now);
		if ((B.started == B.ncl && B.handshaking == 0 &&
		     scen_ramp_done()) ||
		    now - B.t0 >= (uint64_t)(B.ramp_timeout * 1e9))
			begin_run(now);
		break;
	case P_RUN:
		if (now >= B.t_run_end) {
			end_run(now);
			break;
		}
		scen_pace(now);
		scen_tick(now);
		break;
	case P_DRAIN:
		if (scen_drained() || now >= B.t_drain_end)
			finish(now);
		if (B.phase != P_CLOSE)
			break;
		/* fall through */
	case P_CLOSE:
		if (B.active == 0 || now >= B.t_close_end)
			closed(now);
		break;
	case P_SETTLE:
		if (now >= B.t_settle_end) {
			procstat_read(B.server_pid, &ps_settled);
			B.phase = P_DONE;
			event_base_loopbreak(B.base);
		}
		break;
	case P_DONE:
		break;
	}
}

static uint64_t total_errors(void)
{
	uint64_t n = 0;
	for (int k = 0; k < E_NKINDS; k++)
		n += B.errors[k];
	return n;
}

static void show_progress(uint64_t now)
{
	double t = (double)(now - B.t0) / 1e9;
	if (B.phase == P_RAMP)
		fprintf(stderr,
			"[%6.1f s] connecting: %ld/%ld connected, %ld under "
			"way, %llu errors\n",
			t, B.ready, B.ncl, B.handshaking,
			(unsigned long long)total_errors());
	else if (B.phase == P_RUN)
		fprintf(stderr,
			"[%6.1f s] run %.1f/%g s: %ld connected, sent %llu, "
			"received %llu, sessions %llu, %llu errors\n",
			t, (double)(now - B.t_run) / 1e9, B.duration, B.ready,
			(unsigned long long)B.sent,
			(unsigned long long)B.delivered,
			(unsigned long long)B.sessions,
			(unsigned long long)total_errors());
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	uint64_t now = now_ns();
	step(now);
	if (now >= next_sweep) {
		client_sweep(now);
		next_sweep = now + SWEEP_NS;
	}
	if (progress && now >= next_progress) {
		show_progress(now);
		next_progress = now + 1000000000ull;
	}
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	step(now_ns());
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	uint64_t now = now_ns();
	if (interrupted++) {
		fprintf(stderr, "sio-bench: signal %d again: stopping now\n",
			(int)sig);
		event_base_loopbreak(B.base);
		return;
	}
	fprintf(stderr, "sio-bench: signal %d: ending the run\n", (int)sig);
	if (B.phase == P_RAMP)
		begin_run(now);
	if (B.phase == P_RUN) {
		B.t_run_end = now;
		end_run(now);
	}
}

/* --- report ---------------------------------------------------------- */

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void jnum(const char *name, double v, int valid, int decimals)
{
	if (!valid || !isfinite(v))
		printf(",\"%s\":null", name);
	else
		printf(",\"%s\":%.*f", name, decimals, v);
}

static void jint(const char *name, long long v, int valid)
{
	if (!valid)
		printf(",\"%s\":null", name);
	else
		printf(",\"%s\":%lld", name, v);
}

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

struct results {
	int ramp; /* the scenario has a connecting phase */
	int srv;  /* server figures available */
	long long connected;
	double duration_s, connect_s, connect_rate;
	double msgs_per_s, sessions_per_s;
	long long lost;
	int has_msgs, has_lost, has_lat;
	double cpu_run, cpu_connect, bench_cpu, bench_cpu_connect;
	double rss_per_conn;
	int has_rss_per_conn;
};

static void compute(struct results *r)
{
	memset(r, 0, sizeof(*r));
	r->ramp = B.scenario != SC_CHURN;
	r->srv = B.server_pid && ps_start.ok && ps_run.ok && ps_run_end.ok;
	uint64_t stop = t_run_stopped ? t_run_stopped : now_ns();
	r->duration_s = B.t_run ? (double)(stop - B.t_run) / 1e9 : 0;
	if (r->ramp) {
		r->connected = connected_at_run;
		r->connect_s = (double)(ramp_end - B.t0) / 1e9;
		r->connect_rate = r->connect_s > 0
				      ? (double)connected_at_run_total /
					    r->connect_s
				      : 0;
	} else {
		r->connected = (long long)B.connected_total;
		r->connect_s = r->duration_s;
		r->connect_rate = r->duration_s > 0
				      ? (double)B.connected_total /
					    r->duration_s
				      : 0;
	}
	r->has_msgs = B.scenario != SC_IDLE;
	r->msgs_per_s =
	    r->duration_s > 0 ? (double)B.delivered_run / r->duration_s : 0;
	r->sessions_per_s =
	    r->duration_s > 0 ? (double)B.sessions_run / r->duration_s : 0;
	r->has_lost = B.scenario == SC_ECHO || B.scenario == SC_FANOUT;
	if (B.scenario == SC_ECHO)
		r->lost = (long long)(B.sent - B.delivered);
	else if (B.scenario == SC_FANOUT)
		r->lost = B.expected > B.delivered
			      ? (long long)(B.expected - B.delivered)
			      : 0;
	r->has_lat = B.scenario != SC_IDLE && B.lat_hist.count > 0;
	r->cpu_run = ps_run_end.cpu_s - ps_run.cpu_s;
	r->cpu_connect = ps_run.cpu_s - ps_start.cpu_s;
	r->bench_cpu = self_cpu_run_end - self_cpu_run;
	r->bench_cpu_connect = self_cpu_run - self_cpu_start;
	r->has_rss_per_conn = r->srv && r->ramp && connected_at_run > 0;
	if (r->has_rss_per_conn)
		r->rss_per_conn = (double)(ps_run.rss_kb - ps_start.rss_kb) *
				  1024.0 / (double)connected_at_run;
}

static void report_json(const struct results *r)
{
	int churn = B.scenario == SC_CHURN, fan = B.scenario == SC_FANOUT;
	const struct hist *l = &B.lat_hist, *c = &B.conn_hist;
	printf("{\"scenario\":\"%s\",\"transport\":\"%s\",\"url\":",
	       scenario_names[B.scenario],
	       B.transport == TR_POLLING ? "polling" : "websocket");
	jstr(B.url);
	printf(",\"clients\":%ld,\"sources\":%ld", B.clients, B.sources);
	jint("connected", r->connected, 1);
	printf(",\"errors\":%llu,\"error_kinds\":{",
	       (unsigned long long)total_errors());
	for (int k = 0; k < E_NKINDS; k++)
		printf("%s\"%s\":%llu", k ? "," : "", kind_names[k],
		       (unsigned long long)B.errors[k]);
	printf("}");
	jnum("duration_s", r->duration_s, 1, 3);
	jnum("connect_s", r->connect_s, 1, 3);
	jnum("connect_rate", r->connect_rate, 1, 1);
	jnum("connect_p50_ms", ms(hist_quantile(c, 0.5)), c->count > 0, 3);
	jnum("connect_p99_ms", ms(hist_quantile(c, 0.99)), c->count > 0, 3);
	jint("msgs_sent", (long long)B.sent, r->has_msgs);
	jint("msgs_delivered", (long long)B.delivered, r->has_msgs);
	jnum("msgs_per_s", r->msgs_per_s, r->has_msgs, 1);
	jint("lost", r->lost, r->has_lost);
	jint("out_of_order", (long long)B.out_of_order, fan);
	jint("unexpected", (long long)B.unexpected, r->has_msgs);
	jint("bad_payload", (long long)B.bad_payload,
	     B.scenario == SC_ECHO);
	jint("send_missed", (long long)B.send_missed,
	     B.rate > 0 && B.scenario != SC_CHURN && r->has_msgs);
	jnum("lat_p50_ms", ms(hist_quantile(l, 0.5)), r->has_lat, 3);
	jnum("lat_p90_ms", ms(hist_quantile(l, 0.9)), r->has_lat, 3);
	jnum("lat_p99_ms", ms(hist_quantile(l, 0.99)), r->has_lat, 3);
	jnum("lat_max_ms", ms(l->max), r->has_lat, 3);
	jnum("lat_mean_ms", l->count ? l->sum / (double)l->count / 1e6 : 0,
	     r->has_lat, 3);
	jint("sessions", (long long)B.sessions, churn);
	jnum("sessions_per_s", r->sessions_per_s, churn, 1);
	jnum("server_cpu_s", r->cpu_run, r->srv, 2);
	jnum("server_cpu_connect_s", r->cpu_connect, r->srv && r->ramp, 2);
	jint("server_rss_before_kb", ps_start.rss_kb, r->srv);
	jint("server_rss_connected_kb", ps_run.rss_kb, r->srv && r->ramp);
	jint("server_rss_kb", churn ? ps_end.rss_kb : ps_run_end.rss_kb,
	     r->srv && (!churn || ps_end.ok));
	jint("server_rss_settled_kb", ps_settled.rss_kb,
	     r->srv && churn && ps_settled.ok);
	jnum("rss_per_conn_bytes", r->rss_per_conn, r->has_rss_per_conn, 0);
	if (r->srv && churn && ps_settled.ok)
		printf(",\"rss_within_5pct\":%s",
		       (double)ps_settled.rss_kb <=
			       1.05 * (double)ps_start.rss_kb
			   ? "true"
			   : "false");
	else
		printf(",\"rss_within_5pct\":null");
	jint("close_timeouts", (long long)B.close_timeouts, 1);
	jnum("bench_cpu_s", r->bench_cpu, 1, 2);
	jnum("bench_cpu_connect_s", r->bench_cpu_connect, r->ramp, 2);
	printf("}\n");
}

static void report_text(const struct results *r)
{
	const struct hist *l = &B.lat_hist, *c = &B.conn_hist;
	printf("sio-bench %s over %s: %ld clients%s, %s, %ld source "
	       "address(es)\n",
	       scenario_names[B.scenario],
	       B.transport == TR_POLLING ? "polling" : "websocket", B.clients,
	       B.scenario == SC_FANOUT ? " + 1 sender" : "", B.url,
	       B.sources);
	if (r->ramp)
		printf("connect:  %lld/%ld connected in %.2f s (%.0f/s), "
		       "handshake p50 %.2f ms p99 %.2f ms\n",
		       r->connected, B.clients, r->connect_s, r->connect_rate,
		       ms(hist_quantile(c, 0.5)), ms(hist_quantile(c, 0.99)));
	printf("run:      %.2f s", r->duration_s);
	switch (B.scenario) {
	case SC_IDLE:
		printf(", %ld still connected at the end\n", ready_at_end);
		break;
	case SC_ECHO:
		printf(", %llu emits, %llu acks (%.0f/s), lost %lld, bad "
		       "payload %llu, unexpected %llu",
		       (unsigned long long)B.sent,
		       (unsigned long long)B.delivered, r->msgs_per_s, r->lost,
		       (unsigned long long)B.bad_payload,
		       (unsigned long long)B.unexpected);
		if (B.rate > 0)
			printf(", send missed %llu",
			       (unsigned long long)B.send_missed);
		printf("\n");
		break;
	case SC_FANOUT:
		printf(", %llu broadcasts to %ld receivers, %llu delivered "
		       "(%.0f/s), lost %lld, out of order %llu, unexpected "
		       "%llu",
		       (unsigned long long)B.sent, (long)connected_at_run,
		       (unsigned long long)B.delivered, r->msgs_per_s, r->lost,
		       (unsigned long long)B.out_of_order,
		       (unsigned long long)B.unexpected);
		if (B.rate > 0)
			printf(", send missed %llu",
			       (unsigned long long)B.send_missed);
		printf("\n");
		break;
	case SC_CHURN:
		printf(", %llu sessions (%.0f/s), %llu connected, handshake "
		       "p50 %.2f ms p99 %.2f ms\n",
		       (unsigned long long)B.sessions, r->sessions_per_s,
		       (unsigned long long)B.connected_total,
		       ms(hist_quantile(c, 0.5)), ms(hist_quantile(c, 0.99)));
		break;
	}
	if (r->has_lat)
		printf("latency:  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max "
		       "%.3f ms  (%s)\n",
		       ms(hist_quantile(l, 0.5)), ms(hist_quantile(l, 0.9)),
		       ms(hist_quantile(l, 0.99)), ms(l->max),
		       B.scenario == SC_ECHO     ? "ack round trip"
		       : B.scenario == SC_FANOUT ? "delivery"
						 : "connect to message-back");
	if (r->srv) {
		printf("server:   cpu %.2f s in the run (%.0f%%)", r->cpu_run,
		       r->duration_s > 0 ? 100 * r->cpu_run / r->duration_s
					 : 0);
		if (r->ramp)
			printf(", %.2f s connecting; rss %ld kB before, %ld "
			       "kB connected, %ld kB at the end",
			       r->cpu_connect, ps_start.rss_kb, ps_run.rss_kb,
			       ps_run_end.rss_kb);
		printf("\n");
		if (r->has_rss_per_conn)
			printf("          %.0f bytes of RSS per connection\n",
			       r->rss_per_conn);
		if (B.scenario == SC_CHURN && ps_end.ok) {
			printf("          rss %ld kB at start, %ld kB at the "
			       "end",
			       ps_start.rss_kb, ps_end.rss_kb);
			if (ps_settled.ok)
				printf(", %ld kB after %g s: %s 5%% of the "
				       "start",
				       ps_settled.rss_kb, B.settle,
				       (double)ps_settled.rss_kb <=
					       1.05 * (double)ps_start.rss_kb
					   ? "within"
					   : "NOT within");
			printf("\n");
		}
	}
	printf("errors:   %llu", (unsigned long long)total_errors());
	for (int k = 0; k < E_NKINDS; k++)
		if (B.errors[k])
			printf(", %s %llu", kind_names[k],
			       (unsigned long long)B.errors[k]);
	printf("\n");
	if (B.close_timeouts)
		printf("closing:  %llu connections the server had not closed "
		       "2 s after the client's disconnect\n",
		       (unsigned long long)B.close_timeouts);
	printf("sio-bench cpu %.2f s in the run", r->bench_cpu);
	if (r->ramp)
		printf(", %.2f s connecting", r->bench_cpu_connect);
	printf("\n");
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv) != 0)
		return 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "sio-bench: libsodium failed to start\n");
		return 1;
	}
	randombytes_buf(&B.rng, sizeof(B.rng));
	B.rng |= 1;
	B.ncl = B.clients + (B.scenario == SC_FANOUT ? 1 : 0);
	plan_resources();
	if (B.server_pid) {
		procstat_read(B.server_pid, &ps_start);
		if (!ps_start.ok) {
			fprintf(stderr,
				"sio-bench: --server-pid %ld: cannot read "
				"/proc/%ld/stat and status\n",
				(long)B.server_pid, (long)B.server_pid);
			return 2;
		}
	}
	/* the changelist folds the add and delete of a write event within
	 * one loop iteration into nothing: fewer epoll_ctl calls */
	struct event_config *cfg = event_config_new();
	if (cfg) {
		event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		B.base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	B.cl = calloc((size_t)B.ncl, sizeof(*B.cl));
	if (!B.base || !B.cl) {
		fprintf(stderr, "sio-bench: out of memory\n");
		return 1;
	}
	for (long i = 0; i < B.ncl; i++)
		B.cl[i].idx = (uint32_t)i;
	if (scen_setup() != 0) {
		fprintf(stderr, "sio-bench: out of memory\n");
		return 1;
	}
	hist_init(&B.conn_hist);
	hist_init(&B.lat_hist);
	B.kick = event_new(B.base, -1, 0, on_kick, NULL);
	tick_ev = event_new(B.base, -1, EV_PERSIST, on_tick, NULL);
	struct event *sigint = evsignal_new(B.base, SIGINT, on_signal, NULL);
	struct event *sigterm = evsignal_new(B.base, SIGTERM, on_signal, NULL);
	if (!B.kick || !tick_ev || !sigint || !sigterm) {
		fprintf(stderr, "sio-bench: out of memory\n");
		return 1;
	}
	struct timeval tv = {0, TICK_US};
	event_add(tick_ev, &tv);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	progress = isatty(2);

	self_cpu_start = procstat_self_cpu();
	B.t0 = now_ns();
	if (B.scenario == SC_CHURN)
		begin_run(B.t0);
	else
		B.phase = P_RAMP;
	step(B.t0);
	event_base_dispatch(B.base);

	if (B.phase != P_DONE) /* interrupted twice */
		for (long i = 0; i < B.ncl; i++)
			client_release(&B.cl[i]);
	if (B.phase == P_RAMP || B.phase == P_RUN) {
		procstat_read(B.server_pid, &ps_run_end);
		self_cpu_run_end = procstat_self_cpu();
	}
	if (!ps_end.ok)
		ps_end = ps_run_end;

	struct results r;
	compute(&r);
	for (int k = 0; k < E_NKINDS; k++)
		if (B.first_err[k][0])
			fprintf(stderr, "sio-bench: first %s error: %s\n",
				kind_names[k], B.first_err[k]);
	if (r.duration_s > 0.5 && r.bench_cpu > 0.9 * r.duration_s)
		fprintf(stderr,
			"sio-bench: warning: the generator used %.0f%% of a "
			"core during the run: it may be the bottleneck\n",
			100 * r.bench_cpu / r.duration_s);
	if (B.json)
		report_json(&r);
	else
		report_text(&r);
	fflush(stdout);

	event_free(B.kick);
	event_free(tick_ev);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(B.base);
	return B.connected_total > 0 ? 0 : 1;
}

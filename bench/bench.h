/* sio-bench: declarations shared by its files.
 *   sio-bench.c  options, the phases of a run, the report
 *   client.c     one Socket.IO client: source address, Engine.IO and
 *                Socket.IO handshake, pings, errors
 *   ws.c         the WebSocket transport (upgrade, framing, masking)
 *   polling.c    the HTTP long-polling transport
 *   scenario.c   what the clients of each scenario send and measure
 *   hist.c       latency histogram; procstat.c: /proc figures;
 * (SHA-1 for Sec-WebSocket-Accept: engineio/sha1.c) */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "hist.h"

enum scenario { SC_IDLE, SC_ECHO, SC_FANOUT, SC_CHURN };
enum transport { TR_WEBSOCKET, TR_POLLING };

/* the phases of a run */
enum phase {
	P_RAMP,   /* idle, echo, fanout: connecting the clients */
	P_RUN,    /* the measured --duration */
	P_DRAIN,  /* no more sends; waiting for what is outstanding */
	P_CLOSE,  /* every client disconnects; the server is to close */
	P_SETTLE, /* churn: all closed, waiting --settle before the last RSS */
	P_DONE
};

/* the life of one client connection */
enum cstate {
	CS_FREE,    /* no connection */
	CS_TCP,     /* TCP connect under way (websocket: upgrade queued) */
	CS_UPGRADE, /* websocket: connected, waiting for the 101 */
	CS_OPEN,    /* waiting for the Engine.IO open packet */
	CS_CONNECT, /* "40" sent, waiting for the namespace's "40{...}" */
	CS_READY,   /* connected to namespace "/" */
	CS_CLOSING  /* disconnect sent, waiting for the server to close */
};

/* kinds of error, counted apart */
enum errkind {
	E_SOCKET,    /* socket(), bind() or bufferevent setup failed */
	E_CONNECT,   /* TCP connect failed */
	E_HANDSHAKE, /* bad HTTP answer, bad open packet, connect_error */
	E_TIMEOUT,   /* handshake or close not done in time */
	E_CLOSED,    /* the server closed or reset a connected client */
	E_PROTOCOL,  /* a malformed frame or packet */
	E_NKINDS
};

struct pollsess; /* polling.c */

struct ack_slot {
	uint32_t id; /* 0: free */
	uint64_t t;  /* send time, ns */
};

struct client {
	struct bufferevent *bev; /* websocket transport */
	struct pollsess *ps;     /* polling transport */
	struct evbuffer *frag;   /* websocket: a fragmented message so far */
	struct ack_slot *acks;   /* echo: --inflight slots */
	uint64_t t_start;        /* connect start, ns */
	uint64_t t_deadline;     /* CS_CLOSING: give up after this */
	uint32_t idx;
	uint32_t src;            /* source address, host order */
	uint32_t next_id;        /* the last ack id used */
	uint32_t next_seq;       /* fanout: the seq expected next */
	uint16_t inflight;       /* echo: acks outstanding */
	uint8_t state;           /* enum cstate */
	uint8_t tcp_up;          /* the TCP connection was established */
	uint8_t joined;          /* fanout: the join was acknowledged */
	uint8_t frag_op;         /* websocket: opcode of the fragmented one */
	uint8_t direct;          /* websocket: frames are written at once */
	uint8_t in_read;         /* websocket: in readcb, writes wait */
	unsigned char key[16];   /* websocket: Sec-WebSocket-Key, raw */
};

struct bench {
	/* options */
	enum scenario scenario;
	enum transport transport;
	long clients;
	double duration;
	double rate;
	long payload;
	long inflight;
	long sources;
	pid_t server_pid;
	int json;
	double connect_rate;
	long handshakes;
	double handshake_timeout;
	double ramp_timeout;
	double drain;
	double settle;
	const char *url;
	char host[300]; /* the Host header */
	char path[256]; /* the Engine.IO path, ending in '/' */
	struct sockaddr_in dst;
	uint32_t src_first; /* 127.0.0.1, host order */

	/* run state */
	struct event_base *base;
	struct event *kick; /* made active to start connections soon */
	struct client *cl;
	long ncl; /* clients, plus the fanout sender */
	enum phase phase;
	uint64_t t0, t_run, t_run_end, t_drain_end, t_close_end, t_settle_end;
	long src_next;
	long started;     /* ramp: connections started */
	long handshaking; /* clients in CS_TCP .. CS_CONNECT */
	long active;      /* clients not CS_FREE */
	long ready;       /* clients in CS_READY */
	uint64_t connected_total; /* handshakes completed */
	uint64_t t_last_ready;    /* when the last one completed */
	uint64_t errors[E_NKINDS];
	char first_err[E_NKINDS][320];

	struct hist conn_hist; /* connect start -> namespace connected */
	struct hist lat_hist;  /* echo RTT, fanout delivery, churn session */

	/* scenario counters */
	uint64_t sent;          /* emits sent (echo, fanout, churn) */
	uint64_t outstanding;   /* echo: acks awaited from ready clients */
	uint64_t delivered;     /* acks / broadcasts / message-backs */
	uint64_t delivered_run; /* ... of them, received during --duration */
	uint64_t expected;      /* fanout: sent x receivers joined */
	uint64_t out_of_order;  /* fanout: seq not the next expected */
	uint64_t unexpected;    /* acks or packets that match nothing */
	uint64_t bad_payload;   /* acks whose arguments differ */
	uint64_t send_missed;   /* --rate slots with nobody free to send */
	uint64_t sessions;      /* churn: sessions closed cleanly */
	uint64_t sessions_run;  /* ... during --duration */
	uint64_t close_timeouts; /* final closes the server did not finish */
	long joined;            /* fanout: receivers joined */
	long joining;           /* fanout: joins not acknowledged yet */

	uint64_t rng;
};

extern struct bench B;

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: WebSocket masks and keys (unpredictable enough for a
 * load generator; seeded from libsodium) */
static inline uint64_t bench_rand(void)
{
	uint64_t x = B.rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	B.rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* client.c */
void client_start(struct client *c, uint64_t now);
/* A bufferevent on a new socket bound to the client's source address;
 * NULL after client_fail() reported why. */
struct bufferevent *client_bufferevent(struct client *c);
void client_message(struct client *c, const char *p, size_t n, uint64_t now);
void client_send(struct client *c, const char *p, size_t n);
void client_sendv(struct client *c, const struct iovec *iov, int n);
void client_fail(struct client *c, enum errkind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void client_close(struct client *c, uint64_t now);
void client_closed(struct client *c);
void client_release(struct client *c);
void client_sweep(uint64_t now);
void client_kick(void);

/* ws.c */
int ws_connect(struct client *c);
void ws_sendv(struct client *c, int op, const struct iovec *iov, int n);
void ws_close(struct client *c);
void ws_release(struct client *c);

/* polling.c */
int poll_connect(struct client *c);
void poll_sendv(struct client *c, const struct iovec *iov, int n);
void poll_close(struct client *c);
void poll_release(struct client *c);

/* scenario.c */
int scen_setup(void);
void scen_ready(struct client *c, uint64_t now);
void scen_packet(struct client *c, const char *p, size_t n, uint64_t now);
void scen_lost(struct client *c);
void scen_released(struct client *c);
void scen_begin_run(uint64_t now);
void scen_tick(uint64_t now);
void scen_end_run(uint64_t now);
int scen_ramp_done(void);
int scen_drained(void);
void scen_pace(uint64_t now);

#endif

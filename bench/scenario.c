/* scenario: what the clients of each sio-bench scenario send, and what
 * they measure in what comes back.
 *   idle    nothing: the clients only answer pings.
 *   echo    42<id>["message-with-ack",<payload>]; the ack 43<id>[<payload>]
 *           gives the round trip. Closed loop (--inflight per client) or
 *           --rate emits a second in all, round robin over the clients
 *           that have a free slot.
 *   fanout  every client joins room "bench" (421["join","bench"]); one
 *           more client, the sender, also joins and then emits
 *           42["broadcast","bench",{"t":<ns>,"seq":<n>}] at --rate, or
 *           with --rate 0 keeps --inflight broadcasts outstanding (it
 *           sends n once it has itself received n - inflight).
 *   churn   --clients slots each loop: connect, 42["message","x"], wait
 *           for "message-back", disconnect and wait for the close. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tail;      /* echo: ["message-with-ack","xx..."] */
static size_t tail_len;
static char *ack_tail;  /* echo: ["xx..."], what the ack must hold */
static size_t ack_tail_len;
static char *pad;       /* fanout: ,"p":"xx..." */
static size_t pad_len;
static long *free_slots; /* churn: slots with no session */
static long nfree;
static struct client *sender; /* fanout */
static uint64_t sender_recv;  /* fanout: broadcasts the sender got back */
static uint64_t sched;        /* --rate: sends due so far */
static long rr;               /* echo --rate: round robin position */
static int bad_reported;

/* --rate: send k is due k / rate seconds into the run. Sends that find no
 * room wait, at most one second's worth (16 at least), and go as soon as
 * there is room; the older ones, and those still waiting at the end, count
 * in send_missed. */
static uint64_t due_at(uint64_t now)
{
	return (uint64_t)((double)(now - B.t_run) * B.rate / 1e9) + 1;
}

static uint64_t backlog_cap(void)
{
	return B.rate > 16 ? (uint64_t)B.rate : 16;
}

/* Drops the part of the backlog beyond the cap; returns what is due. */
static uint64_t due_capped(uint64_t now)
{
	uint64_t due = due_at(now), cap = backlog_cap();
	if (due > sched + cap) {
		B.send_missed += due - sched - cap;
		sched = due - cap;
	}
	return due;
}

static const char JOIN[] = "421[\"join\",\"bench\"]";
static const char MESSAGE[] = "42[\"message\",\"x\"]";
static const char BROADCAST_PREFIX[] = "2[\"broadcast\",";
static const char MESSAGE_BACK_PREFIX[] = "2[\"message-back\",";

static char *filled(const char *pre, long n, const char *post, size_t *len)
{
	size_t pl = strlen(pre), ql = strlen(post);
	char *s = malloc(pl + (size_t)n + ql + 1);
	if (!s)
		return NULL;
	memcpy(s, pre, pl);
	memset(s + pl, 'x', (size_t)n);
	memcpy(s + pl + (size_t)n, post, ql + 1);
	*len = pl + (size_t)n + ql;
	return s;
}

int scen_setup(void)
{
	switch (B.scenario) {
	case SC_ECHO: {
		tail = filled("[\"message-with-ack\",\"", B.payload, "\"]",
			      &tail_len);
		ack_tail = filled("[\"", B.payload, "\"]", &ack_tail_len);
		struct ack_slot *slots =
		    calloc((size_t)B.ncl * (size_t)B.inflight, sizeof(*slots));
		if (!tail || !ack_tail || !slots)
			return -1;
		for (long i = 0; i < B.ncl; i++)
			B.cl[i].acks = slots + i * B.inflight;
		break;
	}
	case SC_FANOUT:
		sender = &B.cl[B.clients];
		if (B.payload > 0) {
			pad = filled(",\"p\":\"", B.payload, "\"", &pad_len);
			if (!pad)
				return -1;
		} else {
			pad = "";
		}
		break;
	case SC_CHURN:
		free_slots = malloc((size_t)B.clients * sizeof(*free_slots));
		if (!free_slots)
			return -1;
		for (long i = 0; i < B.clients; i++)
			free_slots[nfree++] = B.clients - 1 - i;
		break;
	case SC_IDLE:
		break;
	}
	return 0;
}

/* --- echo ------------------------------------------------------------ */

static void echo_send(struct client *c, uint64_t now)
{
	struct ack_slot *s = NULL;
	for (long k = 0; k < B.inflight; k++)
		if (c->acks[k].id == 0) {
			s = &c->acks[k];
			break;
		}
	if (!s)
		return;
	uint32_t id = ++c->next_id;
	if (id == 0)
		id = ++c->next_id;
	s->id = id;
	s->t = now;
	c->inflight++;
	B.outstanding++;
	B.sent++;
	char head[16];
	int hl = snprintf(head, sizeof(head), "42%u", id);
	struct iovec v[2] = {{head, (size_t)hl}, {tail, tail_len}};
	client_sendv(c, v, 2);
}

static void echo_fill(struct client *c, uint64_t now)
{
	while (c->state == CS_READY && c->inflight < B.inflight)
		echo_send(c, now);
}

/* --rate: the sends due, to c alone or round robin (c NULL). */
static struct client *echo_next(void);

static void echo_catch_up(struct client *c, uint64_t now)
{
	uint64_t due = due_capped(now);
	while (sched < due) {
		struct client *to = c ? c : echo_next();
		if (!to || to->state != CS_READY || to->inflight >= B.inflight)
			break;
		echo_send(to, now);
		sched++;
	}
}

/* p: 3<id>[...] */
static void echo_ack(struct client *c, const char *p, size_t n, uint64_t now)
{
	const char *q = p + 1, *end = p + n;
	uint64_t id = 0;
	if (q == end || *q < '0' || *q > '9') {
		B.unexpected++;
		return;
	}
	while (q < end && *q >= '0' && *q <= '9' && id <= UINT32_MAX)
		id = id * 10 + (uint64_t)(*q++ - '0');
	struct ack_slot *s = NULL;
	for (long k = 0; k < B.inflight; k++)
		if (c->acks[k].id == id) {
			s = &c->acks[k];
			break;
		}
	if (!s || id == 0) {
		B.unexpected++;
		return;
	}
	hist_add(&B.lat_hist, now - s->t);
	s->id = 0;
	c->inflight--;
	B.outstanding--;
	B.delivered++;
	if (B.phase == P_RUN)
		B.delivered_run++;
	if ((size_t)(end - q) != ack_tail_len ||
	    memcmp(q, ack_tail, ack_tail_len) != 0) {
		B.bad_payload++;
		if (!bad_reported++)
			fprintf(stderr,
				"sio-bench: client %u: ack %llu holds %.*s%s "
				"(expected the emitted arguments)\n",
				c->idx, (unsigned long long)id,
				(int)(end - q > 80 ? 80 : end - q), q,
				end - q > 80 ? "..." : "");
	}
	if (B.phase == P_RUN) {
		if (B.rate == 0)
			echo_fill(c, now);
		else
			echo_catch_up(c, now);
	}
}

/* The next client with a free slot, round robin; NULL if none. */
static struct client *echo_next(void)
{
	for (long i = 0; i < B.ncl; i++) {
		struct client *c = &B.cl[rr];
		rr = (rr + 1) % B.ncl;
		if (c->state == CS_READY && c->inflight < B.inflight)
			return c;
	}
	return NULL;
}

/* --- fanout ---------------------------------------------------------- */

static void fanout_send(uint64_t now)
{
	char head[96];
	int hl = snprintf(head, sizeof(head),
			  "42[\"broadcast\",\"bench\",{\"t\":%llu,\"seq\":%llu",
			  (unsigned long long)now, (unsigned long long)B.sent);
	struct iovec v[3] = {
	    {head, (size_t)hl}, {pad, pad_len}, {(void *)"}]", 2}};
	B.sent++;
	B.expected += (uint64_t)B.joined;
	client_sendv(sender, v, 3);
}

static int sender_can_send(void)
{
	return sender->state == CS_READY && sender->joined;
}

static void fanout_fill(uint64_t now)
{
	while (sender_can_send() && B.sent - sender_recv < (uint64_t)B.inflight)
		fanout_send(now);
}

/* --rate: the broadcasts due, while fewer than one second's worth (16 at
 * least) are outstanding. */
static void fanout_catch_up(uint64_t now)
{
	uint64_t due = due_capped(now);
	while (sched < due && sender_can_send() &&
	       B.sent - sender_recv < backlog_cap()) {
		fanout_send(now);
		sched++;
	}
}

/* The unsigned number after key in [p, end); -1 if there is none. */
static int scan_u64(const char *p, const char *end, const char *key,
		    size_t kl, uint64_t *out)
{
	const char *q = p;
	while ((size_t)(end - q) > kl) {
		q = memchr(q, key[0], (size_t)(end - q) - kl);
		if (!q)
			return -1;
		if (memcmp(q, key, kl) == 0) {
			q += kl;
			if (q >= end || *q < '0' || *q > '9')
				return -1;
			uint64_t v = 0;
			while (q < end && *q >= '0' && *q <= '9')
				v = v * 10 + (uint64_t)(*q++ - '0');
			*out = v;
			return 0;
		}
		q++;
	}
	return -1;
}

/* p: 2["broadcast",{"t":...,"seq":...}] */
static void fanout_recv(struct client *c, const char *p, size_t n,
			uint64_t now)
{
	const char *end = p + n, *q = p + sizeof(BROADCAST_PREFIX) - 1;
	uint64_t t, seq;
	if (scan_u64(q, end, "\"t\":", 4, &t) != 0 ||
	    scan_u64(q, end, "\"seq\":", 6, &seq) != 0) {
		B.unexpected++;
		return;
	}
	if (c == sender) {
		sender_recv++;
		if (B.phase == P_RUN && B.rate == 0)
			fanout_fill(now);
		else if (B.phase == P_RUN)
			fanout_catch_up(now);
		return;
	}
	hist_add(&B.lat_hist, now > t ? now - t : 0);
	B.delivered++;
	if (B.phase == P_RUN)
		B.delivered_run++;
	if (seq != c->next_seq)
		B.out_of_order++;
	c->next_seq = (uint32_t)(seq + 1);
}

/* --- churn ----------------------------------------------------------- */

void scen_pace(uint64_t now)
{
	if (B.scenario != SC_CHURN || B.phase != P_RUN)
		return;
	uint64_t allowed =
	    B.rate > 0 ? (uint64_t)((double)(now - B.t_run) * B.rate / 1e9) + 1
		       : UINT64_MAX;
	/* a slot whose start fails at once comes back: try each once */
	for (long budget = nfree; budget > 0 && nfree > 0 && sched < allowed;
	     budget--) {
		struct client *c = &B.cl[free_slots[--nfree]];
		sched++;
		client_start(c, now);
	}
}

/* --- the hooks ------------------------------------------------------- */

void scen_ready(struct client *c, uint64_t now)
{
	switch (B.scenario) {
	case SC_ECHO:
		if (B.phase == P_RUN && B.rate == 0)
			echo_fill(c, now);
		break;
	case SC_FANOUT:
		c->next_id = 1;
		B.joining++;
		client_send(c, JOIN, sizeof(JOIN) - 1);
		break;
	case SC_CHURN:
		B.sent++;
		client_send(c, MESSAGE, sizeof(MESSAGE) - 1);
		break;
	case SC_IDLE:
		break;
	}
}

/* p: a Socket.IO packet less its Engine.IO "4" */
void scen_packet(struct client *c, const char *p, size_t n, uint64_t now)
{
	switch (B.scenario) {
	case SC_ECHO:
		if (p[0] == '3')
			echo_ack(c, p, n, now);
		break;
	case SC_FANOUT:
		if (p[0] == '2' && n > sizeof(BROADCAST_PREFIX) - 1 &&
		    memcmp(p, BROADCAST_PREFIX, sizeof(BROADCAST_PREFIX) - 1) ==
			0) {
			fanout_recv(c, p, n, now);
		} else if (p[0] == '3' && n > 2 && p[1] == '1' &&
			   p[2] == '[' && !c->joined && c->next_id == 1) {
			c->joined = 1;
			B.joining--;
			if (c != sender) {
				B.joined++;
				c->next_seq = (uint32_t)B.sent;
			}
			if (c == sender && B.phase == P_RUN && B.rate == 0)
				fanout_fill(now);
		} else if (p[0] == '3') {
			B.unexpected++;
		}
		break;
	case SC_CHURN:
		if (p[0] == '2' && n >= sizeof(MESSAGE_BACK_PREFIX) - 1 &&
		    memcmp(p, MESSAGE_BACK_PREFIX,
			   sizeof(MESSAGE_BACK_PREFIX) - 1) == 0) {
			hist_add(&B.lat_hist, now - c->t_start);
			B.delivered++;
			if (B.phase == P_RUN)
				B.delivered_run++;
			client_close(c, now);
		}
		break;
	case SC_IDLE:
		break;
	}
}

/* A ready client is gone. */
void scen_lost(struct client *c)
{
	if (B.scenario == SC_ECHO) {
		B.outstanding -= c->inflight; /* those are lost */
		c->inflight = 0;
		return;
	}
	if (B.scenario != SC_FANOUT)
		return;
	if (c->joined && c != sender)
		B.joined--;
	else if (!c->joined && c->next_id == 1)
		B.joining--;
	c->joined = 0;
	c->next_id = 0;
}

void scen_released(struct client *c)
{
	if (B.scenario == SC_CHURN)
		free_slots[nfree++] = c->idx;
}

void scen_begin_run(uint64_t now)
{
	sched = 0;
	if (B.rate != 0)
		return;
	if (B.scenario == SC_ECHO) {
		for (long i = 0; i < B.ncl; i++)
			echo_fill(&B.cl[i], now);
	} else if (B.scenario == SC_FANOUT) {
		fanout_fill(now);
	} else if (B.scenario == SC_CHURN) {
		scen_pace(now);
	}
}

void scen_tick(uint64_t now)
{
	if (B.rate <= 0 || B.phase != P_RUN)
		return;
	if (B.scenario == SC_ECHO)
		echo_catch_up(NULL, now);
	else if (B.scenario == SC_FANOUT)
		fanout_catch_up(now);
}

void scen_end_run(uint64_t now)
{
	if (B.rate <= 0 ||
	    (B.scenario != SC_ECHO && B.scenario != SC_FANOUT))
		return;
	double run = (double)(now - B.t_run) / 1e9;
	if (run > B.duration)
		run = B.duration;
	uint64_t total = (uint64_t)(run * B.rate); /* rounded up: */
	if ((double)total < run * B.rate)
		total++;
	if (total > sched)
		B.send_missed += total - sched;
}

int scen_ramp_done(void)
{
	return B.scenario != SC_FANOUT || B.joining == 0;
}

int scen_drained(void)
{
	switch (B.scenario) {
	case SC_ECHO:
		return B.outstanding == 0;
	case SC_FANOUT:
		return (sender_recv >= B.sent || !sender_can_send()) &&
		       B.delivered >= B.expected;
	case SC_CHURN:
		return B.active == 0;
	case SC_IDLE:
		break;
	}
	return 1;
}

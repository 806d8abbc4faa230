#include "recovery.h"
#include "../common/clock.h"

#include "../common/hmap.h"
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef struct stored {
	struct stored *next;
	char offset[24];
	uint64_t at_ms;
	sio_encoded_t enc;
	char **rooms, **except; /* the target, as room names */
	size_t nrooms, nexcept;
} stored_t;

struct sio_session {
	char pid[21];
	char sid[21];
	char **rooms;
	size_t nrooms;
	char *state;
	uint64_t at_ms;
	stored_t *after; /* the packet of the offset, while restoring */
};

struct sio_recovery {
	unsigned window_ms;
	uint64_t counter;
	char prefix[8]; /* this process's, so that offsets never repeat */
	stored_t *head, *tail;
	hmap_t sessions; /* pid -> sio_session_t */
	struct event *cleanup;
};

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **copy_strv(const char *const *v, size_t n, const char *extra)
{
	char **out = calloc(n + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n + (extra != NULL); i++) {
		out[i] = strdup(i < n ? v[i] : extra);
		if (!out[i]) {
			free_strv(out, i);
			return NULL;
		}
	}
	return out;
}

static void free_stored(stored_t *p)
{
	sio__encoded_release(&p->enc);
	free_strv(p->rooms, p->nrooms);
	free_strv(p->except, p->nexcept);
	free(p);
}

void sio__session_free(sio_session_t *ss)
{
	if (!ss)
		return;
	free_strv(ss->rooms, ss->nrooms);
	free(ss->state);
	free(ss);
}

/* Drops what is older than the window. */
static void expire(sio_recovery_t *r)
{
	uint64_t limit = clock_epoch_ms() - r->window_ms;
	while (r->head && r->head->at_ms < limit) {
		stored_t *p = r->head;
		r->head = p->next;
		if (!r->head)
			r->tail = NULL;
		free_stored(p);
	}
	size_t i = 0;
	hmap_entry_t *e;
	sio_session_t *old[64];
	size_t n = 0;
	while (n < 64 && (e = hmap_next(&r->sessions, &i)))
		if (((sio_session_t *)e->value)->at_ms < limit)
			old[n++] = e->value;
	for (size_t k = 0; k < n; k++) {
		hmap_del(&r->sessions, old[k]->pid);
		sio__session_free(old[k]);
	}
}

static void cleanup_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	expire(arg);
}

sio_recovery_t *sio__recovery_new(struct event_base *base, unsigned window_ms)
{
	sio_recovery_t *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->window_ms = window_ms;
	char id[21];
	sio__random_id(id);
	memcpy(r->prefix, id, 6);
	r->cleanup = event_new(base, -1, EV_PERSIST, cleanup_cb, r);
	struct timeval tv = {1, 0};
	if (!r->cleanup || event_add(r->cleanup, &tv) < 0) {
		sio__recovery_free(r);
		return NULL;
	}
	return r;
}

void sio__recovery_free(sio_recovery_t *r)
{
	if (!r)
		return;
	while (r->head) {
		stored_t *p = r->head;
		r->head = p->next;
		free_stored(p);
	}
	size_t i = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&r->sessions, &i)))
		sio__session_free(e->value);
	hmap_free(&r->sessions);
	if (r->cleanup)
		event_free(r->cleanup);
	free(r);
}

void sio__recovery_offset(sio_recovery_t *r, char out[24])
{
	snprintf(out, 24, "%s%llx", r->prefix,
		 (unsigned long long)++r->counter);
}

int sio__recovery_store(sio_recovery_t *r, const char *offset,
			const sio_encoded_t *enc, const sio_target_t *to,
			const char *skip)
{
	stored_t *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->offset, sizeof(p->offset), "%s", offset);
	p->at_ms = clock_epoch_ms();
	p->nrooms = to ? to->nrooms : 0;
	p->nexcept = (to ? to->nexcept : 0) + (skip != NULL);
	p->rooms = copy_strv(to ? to->rooms : NULL, p->nrooms, NULL);
	p->except =
	    copy_strv(to ? to->except : NULL, to ? to->nexcept : 0, skip);
	p->enc.text = eio_msg_ref(enc->text);
	p->enc.bins =
	    enc->nbins ? calloc(enc->nbins, sizeof(*p->enc.bins)) : NULL;
	if (!p->rooms || !p->except || (enc->nbins && !p->enc.bins)) {
		free_stored(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < enc->nbins; i++)
		p->enc.bins[p->enc.nbins++] = eio_msg_ref(enc->bins[i]);
	if (r->tail)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	return 0;
}

int sio__recovery_reason_ok(const char *reason)
{
	static const char *const ok[] = {
	    "transport error", "transport close",      "forced close",
	    "ping timeout",    "server shutting down", "forced server close",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (strcmp(reason, ok[i]) == 0)
			return 1;
	return 0;
}

void sio__recovery_persist(sio_recovery_t *r, const sio_socket_t *s)
{
	sio_session_t *ss = calloc(1, sizeof(*ss));
	if (!ss)
		return;
	memcpy(ss->pid, s->pid, sizeof(ss->pid));
	memcpy(ss->sid, s->id, sizeof(ss->sid));
	ss->at_ms = clock_epoch_ms();
	ss->rooms = calloc(s->nrooms ? s->nrooms : 1, sizeof(*ss->rooms));
	if (!ss->rooms || (s->state && !(ss->state = strdup(s->state)))) {
		sio__session_free(ss);
		return;
	}
	for (size_t i = 0; i < s->nrooms; i++) {
		if (!(ss->rooms[i] = strdup(s->rooms[i]->name))) {
			sio__session_free(ss);
			return;
		}
		ss->nrooms++;
	}
	sio__session_free(hmap_del(&r->sessions, ss->pid));
	if (hmap_put(&r->sessions, ss->pid, ss) < 0)
		sio__session_free(ss);
}

sio_session_t *sio__recovery_restore(sio_recovery_t *r, const char *pid,
				     const char *offset)
{
	expire(r);
	sio_session_t *ss = hmap_get(&r->sessions, pid);
	if (!ss)
		return NULL;
	stored_t *p = r->head;
	while (p && strcmp(p->offset, offset) != 0)
		p = p->next;
	if (!p)
		return NULL; /* too old, or never ours: a fresh connection */
	hmap_del(&r->sessions, pid);
	ss->after = p;
	return ss;
}

const char *sio__session_sid(const sio_session_t *ss)
{
	return ss->sid;
}

size_t sio__session_rooms(const sio_session_t *ss, const char *const **rooms)
{
	*rooms = (const char *const *)ss->rooms;
	return ss->nrooms;
}

const char *sio__session_state(const sio_session_t *ss)
{
	return ss->state;
}

static int has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* As Node's shouldIncludePacket: in one of the target rooms (or no rooms
 * given) and in none of the excepted ones. */
static int reaches(const stored_t *p, const sio_session_t *ss)
{
	int included = p->nrooms == 0;
	for (size_t i = 0; i < ss->nrooms; i++) {
		if (has(p->except, p->nexcept, ss->rooms[i]))
			return 0;
		if (has(p->rooms, p->nrooms, ss->rooms[i]))
			included = 1;
	}
	return included;
}

void sio__recovery_missed(const sio_session_t *ss,
			  void (*fn)(void *ud, const sio_encoded_t *enc),
			  void *ud)
{
	for (stored_t *p = ss->after->next; p; p = p->next)
		if (reaches(p, ss))
			fn(ud, &p->enc);
}

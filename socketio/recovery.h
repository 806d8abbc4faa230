/* Connection-state recovery, as Node's connectionStateRecovery with the
 * in-memory adapter: every broadcast event without ack and not volatile
 * gets an offset (appended as its last argument) and is kept for the
 * recovery window with its target; a socket that drops for a recoverable
 * reason leaves a session (id, private id, rooms, state); a client that
 * comes back with that private id and the last offset it saw gets its id,
 * rooms and state back and, first, the packets it missed. Internal. */
#ifndef SIO_RECOVERY_H
#define SIO_RECOVERY_H

#include "emit.h"
#include "sio.h"

typedef struct sio_recovery sio_recovery_t;

sio_recovery_t *sio__recovery_new(struct event_base *base, unsigned window_ms);
void sio__recovery_free(sio_recovery_t *r);

/* A fresh offset, written to `out`. */
void sio__recovery_offset(sio_recovery_t *r, char out[24]);
/* Keeps `enc` (a reference is taken) as sent to `to` (NULL: all) except
 * `skip` (a socket id or NULL). Returns 0 or -ENOMEM. */
int sio__recovery_store(sio_recovery_t *r, const char *offset,
			const sio_encoded_t *enc, const sio_target_t *to,
			const char *skip);
/* Keeps the session of a socket that dropped for a recoverable reason. */
void sio__recovery_persist(sio_recovery_t *r, const sio_socket_t *s);
/* 1 if Node would keep the session after a disconnect for `reason`. */
int sio__recovery_reason_ok(const char *reason);

/* A session found by its private id and the offset last seen; removed
 * from the store. The caller sends each missed packet (in order) with
 * sio__recovery_missed() and frees the session. */
typedef struct sio_session sio_session_t;
sio_session_t *sio__recovery_restore(sio_recovery_t *r, const char *pid,
				     const char *offset);
const char *sio__session_sid(const sio_session_t *ss);
size_t sio__session_rooms(const sio_session_t *ss, const char *const **rooms);
const char *sio__session_state(const sio_session_t *ss);
/* Calls fn for each packet the session missed, oldest first. */
void sio__recovery_missed(const sio_session_t *ss,
			  void (*fn)(void *ud, const sio_encoded_t *enc),
			  void *ud);
void sio__session_free(sio_session_t *ss);

#endif

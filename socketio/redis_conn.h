/* The connections of a server to Redis, shared by both cluster adapters
 * (adapter_redis.c: classic pub/sub; adapter_sharded.c: Redis 7 sharded
 * pub/sub). One pair per server, on its event_base, through hiredis's
 * async API: `pub` publishes and asks (PUBSUB), `sub` is in subscribe
 * mode, where it can issue nothing else. Each connection that fails or
 * drops is retried after a backoff (0.1 s doubling to 5 s); a connection
 * attempt longer than 5 s is abandoned and retried; after every (re)start
 * of `sub` the adapter's hooks subscribe again. Nothing here blocks: hosts
 * are numeric (no DNS), replies come through callbacks. Internal to
 * libsocketio. */
#ifndef SIO_REDIS_CONN_H
#define SIO_REDIS_CONN_H

#include "../common/hmap.h"
#include "internal.h"

#include <hiredis/async.h>

typedef struct sio_redis sio_redis_t;

typedef struct sio_redis_rconn {
	sio_redis_t *r;
	redisAsyncContext *ac; /* NULL: waiting to retry */
	int up;		       /* connected */
	int is_sub;
	unsigned delay_ms;   /* the next retry's */
	struct event *timer; /* retry, or connect timeout while ac && !up */
} sio_redis_rconn_t;

/* What an adapter flavour does with the connections. Called on the loop,
 * never during sio__redis_new(). */
typedef struct sio_redis_hooks {
	/* `sub` was (re)started: issue every subscription again (through
	 * sio__redis_subscribe()). */
	void (*subscribe_all)(sio_redis_t *r);
	/* A message: `key` is the pattern that matched (`pattern` set) or
	 * the channel; `payload` is valid during the call only. */
	void (*message)(sio_redis_t *r, const char *key, const char *channel,
			const char *payload, size_t len, int pattern);
	/* sio__redis_free(): forget `r` (the adapters stay, in memory). */
	void (*detach)(sio_redis_t *r);
	/* Whether the subscription to `channel` counts for the state
	 * (sio_server_redis_state() says connected once every counted one
	 * is confirmed): the lasting ones do; those that come and go with
	 * rooms do not (hiredis may drop their confirmations, see
	 * sio__redis_sunsubscribe()). The answer must not change while a
	 * subscription is in flight. */
	int (*counted)(sio_redis_t *r, const char *channel);
} sio_redis_hooks_t;

struct sio_redis {
	sio_server_t *srv;
	const sio_redis_hooks_t *hooks;
	char *host, *path; /* TCP host, or Unix socket path */
	int port;
	char *user, *pass;
	char *key;
	char uid[17]; /* this node, in every message it sends */
	sio_redis_rconn_t pub, sub;
	unsigned sub_pending; /* subscriptions not confirmed yet */
	hmap_t routes;	      /* pattern or channel -> adapter (hooks') */
	void *adapters;	      /* the hooks' list */
	int closing;
};

/* Connects in the background to `url` (see sio_redis_url_check), with
 * channel prefix `key` (NULL: "socket.io") and a random uid of `uid_len`
 * characters (at most 16; hexadecimal when `hex`, else [a-zA-Z0-9]).
 * `hooks` must outlive the result. NULL for an invalid URL or out of
 * memory. */
sio_redis_t *sio__redis_open(sio_server_t *srv, const char *url,
			     const char *key, const sio_redis_hooks_t *hooks,
			     size_t uid_len, int hex);

/* Subscribes `sub` to `channel` with `cmd` ("SUBSCRIBE", "PSUBSCRIBE" or
 * "SSUBSCRIBE"), when `sub` has a context (connected or connecting; else
 * the next start calls hooks->subscribe_all). Messages reach
 * hooks->message. */
void sio__redis_subscribe(sio_redis_t *r, const char *cmd, const char *channel);
/* Undoes SSUBSCRIBE `channel`. */
void sio__redis_sunsubscribe(sio_redis_t *r, const char *channel);

/* Publishes with `cmd` ("PUBLISH" or "SPUBLISH") on `pub`. Returns 0, or
 * -EPIPE when Redis is down (the message is lost), -ENOBUFS when more than
 * 64 MiB wait for a Redis that does not read, -ENOMEM. */
int sio__redis_publish(sio_redis_t *r, const char *cmd, const char *channel,
		       const void *data, size_t len);

/* PUBSUB `sub` (NUMSUB or SHARDNUMSUB) of `channel`: cb(ud, 0, count)
 * later, or cb(ud, -ECONNRESET, 0) when the connection went away first.
 * Returns 0, or without calling cb: -EPIPE while Redis is unreachable,
 * -ENOMEM. */
int sio__redis_numsub(sio_redis_t *r, const char *sub, const char *channel,
		      void (*cb)(void *ud, int err, unsigned count), void *ud);

/* A channel name made with printf(`fmt`, ...), in a new string; NULL
 * when out of memory. */
char *sio__redis_channel(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Incoming messages larger than this are dropped unread. */
#define SIO_REDIS_MAX_MESSAGE (16u << 20)

#endif

/* hmap: a string-keyed hash map of pointers (open addressing, linear
 * probing, backward-shift deletion: no tombstones, so lookups stay short
 * under churn).
 *
 * Keys are not copied: each key must stay valid and unchanged while its
 * entry is in the map (typically the key lives inside the value). */
#ifndef COMMON_HMAP_H
#define COMMON_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hmap_entry {
	const char *key; /* NULL: empty slot */
	uint32_t hash;
	void *value;
} hmap_entry_t;

typedef struct hmap {
	hmap_entry_t *slots;
	size_t cap; /* a power of two, or 0 before the first insert */
	size_t count;
} hmap_t;

/* An empty map needs no allocation: `hmap_t m = {0};` or hmap_init(). */
void hmap_init(hmap_t *m);
/* Frees the table (not the keys or values). */
void hmap_free(hmap_t *m);

/* The value for `key`, or NULL. */
void *hmap_get(const hmap_t *m, const char *key);
/* Inserts or replaces. Returns 0 or -ENOMEM (the map is unchanged). */
int hmap_put(hmap_t *m, const char *key, void *value);
/* Removes `key`; returns its value, or NULL if it was absent. */
void *hmap_del(hmap_t *m, const char *key);

/* Iteration: for (size_t i = 0; (e = hmap_next(m, &i)); ) ...
 * The map must not change during iteration. */
hmap_entry_t *hmap_next(const hmap_t *m, size_t *iter);

#endif

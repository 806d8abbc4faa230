#include "hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 32 bits: keys are short ids and room names. */
static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void hmap_init(hmap_t *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

void hmap_free(hmap_t *m)
{
	free(m->slots);
	hmap_init(m);
}

static size_t find_slot(const hmap_t *m, const char *key, uint32_t h)
{
	size_t mask = m->cap - 1;
	size_t i = h & mask;
	while (m->slots[i].key) {
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i; /* the empty slot where key would go */
}

void *hmap_get(const hmap_t *m, const char *key)
{
	if (m->count == 0)
		return NULL;
	size_t i = find_slot(m, key, hash_str(key));
	return m->slots[i].key ? m->slots[i].value : NULL;
}

static int grow(hmap_t *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 8;
	hmap_entry_t *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	hmap_entry_t *old = m->slots;
	size_t ocap = m->cap;
	m->slots = ns;
	m->cap = ncap;
	for (size_t j = 0; j < ocap; j++) {
		if (!old[j].key)
			continue;
		size_t i = old[j].hash & (ncap - 1);
		while (ns[i].key)
			i = (i + 1) & (ncap - 1);
		ns[i] = old[j];
	}
	free(old);
	return 0;
}

int hmap_put(hmap_t *m, const char *key, void *value)
{
	uint32_t h = hash_str(key);
	/* keep the load factor at or under 3/4 when a key is added */
	if ((m->count + 1) * 4 > m->cap * 3 &&
	    (m->cap == 0 || !m->slots[find_slot(m, key, h)].key) && grow(m) < 0)
		return -ENOMEM;
	size_t i = find_slot(m, key, h);
	if (!m->slots[i].key)
		m->count++;
	m->slots[i].key = key;
	m->slots[i].hash = h;
	m->slots[i].value = value;
	return 0;
}

void *hmap_del(hmap_t *m, const char *key)
{
	if (m->count == 0)
		return NULL;
	size_t mask = m->cap - 1;
	size_t i = find_slot(m, key, hash_str(key));
	if (!m->slots[i].key)
		return NULL;
	void *value = m->slots[i].value;
	/* backward-shift: move later members of the probe run into the hole
	 * when their home slot is not between the hole and themselves */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].key)
			break;
		size_t home = m->slots[j].hash & mask;
		int between = (i <= j) ? (i < home && home <= j)
				       : (i < home || home <= j);
		if (between)
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].key = NULL;
	m->count--;
	return value;
}

hmap_entry_t *hmap_next(const hmap_t *m, size_t *iter)
{
	while (*iter < m->cap) {
		hmap_entry_t *e = &m->slots[(*iter)++];
		if (e->key)
			return e;
	}
	return NULL;
}

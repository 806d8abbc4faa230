/* Tests of common/hmap.c: the string-keyed open-addressing map. */
#include "../../common/hmap.h"
#include "../test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys are not copied by the map: they live here. */
#define NKEYS 10000
static char keys[NKEYS][16];

static void *val(size_t i)
{
	return (void *)(uintptr_t)(i + 1); /* never NULL */
}

static void make_keys(void)
{
	for (size_t i = 0; i < NKEYS; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
}

/* The map's hash (FNV-1a 32), to build colliding keys on purpose. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static void test_empty(void)
{
	hmap_t m = {0};
	CHECK(hmap_get(&m, "a") == NULL);
	CHECK(hmap_del(&m, "a") == NULL);
	size_t it = 0;
	CHECK(hmap_next(&m, &it) == NULL);
	CHECK_SIZE(m.count, 0);
	hmap_free(&m);

	hmap_init(&m);
	CHECK(m.slots == NULL);
	CHECK_SIZE(m.cap, 0);
	CHECK_SIZE(m.count, 0);
	hmap_free(&m);
}

static void test_put_get_del(void)
{
	hmap_t m;
	hmap_init(&m);
	int a = 1, b = 2, c = 3;
	CHECK_INT(hmap_put(&m, "alpha", &a), 0);
	CHECK_INT(hmap_put(&m, "beta", &b), 0);
	CHECK_INT(hmap_put(&m, "", &c), 0); /* the empty string is a key */
	CHECK_SIZE(m.count, 3);
	CHECK(hmap_get(&m, "alpha") == &a);
	CHECK(hmap_get(&m, "beta") == &b);
	CHECK(hmap_get(&m, "") == &c);
	CHECK(hmap_get(&m, "gamma") == NULL);
	CHECK(hmap_get(&m, "alph") == NULL);
	CHECK(hmap_get(&m, "alphaa") == NULL);

	/* keys are compared by content, not by pointer */
	char copy[] = "alpha";
	CHECK(hmap_get(&m, copy) == &a);

	CHECK(hmap_del(&m, "alpha") == &a);
	CHECK_SIZE(m.count, 2);
	CHECK(hmap_get(&m, "alpha") == NULL);
	CHECK(hmap_del(&m, "alpha") == NULL);
	CHECK_SIZE(m.count, 2);
	CHECK(hmap_get(&m, "beta") == &b);
	CHECK(hmap_get(&m, "") == &c);
	CHECK(hmap_del(&m, "beta") == &b);
	CHECK(hmap_del(&m, "") == &c);
	CHECK_SIZE(m.count, 0);
	CHECK(hmap_get(&m, "beta") == NULL);
	hmap_free(&m);
	CHECK(m.slots == NULL);
	CHECK_SIZE(m.count, 0);
}

static void test_replace(void)
{
	hmap_t m = {0};
	int a = 1, b = 2;
	CHECK_INT(hmap_put(&m, "key", &a), 0);
	CHECK_INT(hmap_put(&m, "key", &b), 0);
	CHECK_SIZE(m.count, 1);
	CHECK(hmap_get(&m, "key") == &b);
	/* a replacement through another pointer with the same content */
	char other[] = "key";
	CHECK_INT(hmap_put(&m, other, &a), 0);
	CHECK_SIZE(m.count, 1);
	CHECK(hmap_get(&m, "key") == &a);
	CHECK(hmap_del(&m, "key") == &a);
	CHECK_SIZE(m.count, 0);
	CHECK(hmap_get(&m, "key") == NULL);
	hmap_free(&m);
}

static void test_growth(void)
{
	hmap_t m = {0};
	for (size_t i = 0; i < NKEYS; i++) {
		if (hmap_put(&m, keys[i], val(i)) != 0) {
			TEST_FAIL("put %s failed", keys[i]);
			break;
		}
		/* load factor at most 3/4, capacity a power of two */
		if (m.count * 4 > m.cap * 3 || (m.cap & (m.cap - 1)) != 0) {
			TEST_FAIL("after %zu puts: count %zu cap %zu", i + 1,
				  m.count, m.cap);
			break;
		}
	}
	CHECK_SIZE(m.count, NKEYS);
	size_t bad = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (hmap_get(&m, keys[i]) != val(i))
			bad++;
	CHECK_SIZE(bad, 0);
	CHECK(hmap_get(&m, "k10000") == NULL);
	CHECK(hmap_get(&m, "nope") == NULL);
	hmap_free(&m);
}

/* Insert 10000 keys, delete every other one: with backward-shift deletion
 * every remaining key must still be found, every deleted one not. */
static void test_delete_half(void)
{
	hmap_t m = {0};
	for (size_t i = 0; i < NKEYS; i++)
		CHECK_INT(hmap_put(&m, keys[i], val(i)), 0);
	size_t bad = 0;
	for (size_t i = 0; i < NKEYS; i += 2)
		if (hmap_del(&m, keys[i]) != val(i))
			bad++;
	CHECK_SIZE(bad, 0);
	CHECK_SIZE(m.count, NKEYS / 2);
	size_t missing = 0, ghost = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		void *v = hmap_get(&m, keys[i]);
		if (i % 2 == 0 && v != NULL)
			ghost++;
		if (i % 2 == 1 && v != val(i))
			missing++;
	}
	CHECK_SIZE(missing, 0);
	CHECK_SIZE(ghost, 0);
	/* no slot may be left unreachable: every occupied slot's key is
	 * found by a lookup, and the number of occupied slots is count */
	size_t occupied = 0, unreachable = 0;
	for (size_t j = 0; j < m.cap; j++) {
		if (!m.slots[j].key)
			continue;
		occupied++;
		if (hmap_get(&m, m.slots[j].key) != m.slots[j].value)
			unreachable++;
	}
	CHECK_SIZE(occupied, NKEYS / 2);
	CHECK_SIZE(unreachable, 0);
	/* delete the rest in reverse */
	for (size_t i = NKEYS; i-- > 0;)
		if (i % 2 == 1 && hmap_del(&m, keys[i]) != val(i))
			bad++;
	CHECK_SIZE(bad, 0);
	CHECK_SIZE(m.count, 0);
	for (size_t j = 0; j < m.cap; j++)
		if (m.slots[j].key)
			occupied++;
	CHECK_SIZE(occupied, NKEYS / 2);
	hmap_free(&m);
}

/* Probe runs that wrap around the end of the table (capacity 8 holds up
 * to 6 entries): deleting from such a run must shift the wrapped members
 * back, and must not move a member whose home is after the hole. */
static void test_wraparound(void)
{
	static char k7[3][16], k0[2][16], k6[1][16];
	size_t n7 = 0, n0 = 0, n6 = 0;
	for (unsigned i = 0; n7 < 3 || n0 < 2 || n6 < 1; i++) {
		char buf[16];
		snprintf(buf, sizeof(buf), "w%u", i);
		uint32_t home = fnv1a(buf) & 7;
		if (home == 7 && n7 < 3)
			memcpy(k7[n7++], buf, sizeof(buf));
		else if (home == 0 && n0 < 2)
			memcpy(k0[n0++], buf, sizeof(buf));
		else if (home == 6 && n6 < 1)
			memcpy(k6[n6++], buf, sizeof(buf));
	}
	const char *all[6] = {k6[0], k7[0], k7[1], k7[2], k0[0], k0[1]};
	/* the deletion orders to try: each key first */
	for (int first = 0; first < 6; first++) {
		hmap_t m = {0};
		for (int i = 0; i < 6; i++)
			CHECK_INT(hmap_put(&m, all[i], val((size_t)i)), 0);
		CHECK_SIZE(m.cap, 8);
		CHECK(hmap_del(&m, all[first]) == val((size_t)first));
		for (int i = 0; i < 6; i++) {
			void *v = hmap_get(&m, all[i]);
			if (i == first ? v != NULL : v != val((size_t)i))
				TEST_FAIL("wrap: deleted %s, then %s gives %p",
					  all[first], all[i], v);
		}
		/* then the others one by one, checking after each */
		for (int d = 0; d < 6; d++) {
			if (d == first)
				continue;
			CHECK(hmap_del(&m, all[d]) == val((size_t)d));
			for (int i = d + 1; i < 6; i++)
				if (i != first &&
				    hmap_get(&m, all[i]) != val((size_t)i))
					TEST_FAIL("wrap: %s lost after "
						  "deleting %s",
						  all[i], all[d]);
		}
		CHECK_SIZE(m.count, 0);
		hmap_free(&m);
	}
}

/* 100000 insertions and deletions with a live set of at most 200 keys:
 * the count follows, and the capacity stays bounded (no tombstones, no
 * unbounded growth). */
static void test_churn(void)
{
	enum { LIVE = 200, OPS = 100000 };
	hmap_t m = {0};
	static int live[NKEYS];
	memset(live, 0, sizeof(live));
	size_t nlive = 0, maxcap = 0, bad = 0;
	uint32_t rng = 12345;
	for (size_t op = 0; op < OPS; op++) {
		rng = rng * 1103515245u + 12345u;
		size_t k = (rng >> 8) % NKEYS;
		if (!live[k] && nlive < LIVE) {
			if (hmap_put(&m, keys[k], val(k)) != 0)
				bad++;
			live[k] = 1;
			nlive++;
		} else if (live[k]) {
			if (hmap_del(&m, keys[k]) != val(k))
				bad++;
			live[k] = 0;
			nlive--;
		} else {
			/* full: delete some live key instead */
			size_t j = k;
			while (!live[j])
				j = (j + 1) % NKEYS;
			if (hmap_del(&m, keys[j]) != val(j))
				bad++;
			live[j] = 0;
			nlive--;
		}
		if (m.count != nlive)
			bad++;
		if (m.cap > maxcap)
			maxcap = m.cap;
		if (op % 9973 == 0) {
			for (size_t i = 0; i < NKEYS; i++) {
				void *v = hmap_get(&m, keys[i]);
				if (live[i] ? v != val(i) : v != NULL)
					bad++;
			}
		}
	}
	CHECK_SIZE(bad, 0);
	CHECK_SIZE(m.count, nlive);
	/* 200 live entries at load <= 3/4 need 512 slots at most */
	CHECK(maxcap <= 512);
	for (size_t i = 0; i < NKEYS; i++) {
		void *v = hmap_get(&m, keys[i]);
		if (live[i] ? v != val(i) : v != NULL)
			bad++;
	}
	CHECK_SIZE(bad, 0);
	hmap_free(&m);
}

static void test_iteration(void)
{
	enum { N = 3000 };
	hmap_t m = {0};
	for (size_t i = 0; i < N; i++)
		CHECK_INT(hmap_put(&m, keys[i], val(i)), 0);
	for (size_t i = 0; i < N; i += 3)
		CHECK(hmap_del(&m, keys[i]) == val(i));
	static int seen[N];
	memset(seen, 0, sizeof(seen));
	size_t visits = 0, wrong = 0, it = 0;
	hmap_entry_t *e;
	while ((e = hmap_next(&m, &it))) {
		visits++;
		size_t v = (size_t)(uintptr_t)e->value - 1;
		if (v >= N || strcmp(e->key, keys[v]) != 0) {
			wrong++;
			continue;
		}
		seen[v]++;
	}
	CHECK_SIZE(wrong, 0);
	CHECK_SIZE(visits, m.count);
	size_t bad = 0;
	for (size_t i = 0; i < N; i++)
		if (seen[i] != (i % 3 == 0 ? 0 : 1))
			bad++;
	CHECK_SIZE(bad, 0);
	/* the iterator stays at the end */
	CHECK(hmap_next(&m, &it) == NULL);
	hmap_free(&m);
}

int main(void)
{
	make_keys();
	test_empty();
	test_put_get_del();
	test_replace();
	test_growth();
	test_delete_half();
	test_wraparound();
	test_churn();
	test_iteration();
	TEST_EXIT();
}

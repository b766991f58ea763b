/*
 * test_cap_table.c - the capability table (kernel/cap_table.c): CapId
 * format, insert/lookup/remove/take, stale and forged ids, a full table,
 * generations (reuse and wrap-around), destroy, and hold metadata.
 *
 * Objects are a test kobj type whose destroy records each call, so every
 * reference the table takes or drops is visible. Every test ends with the
 * kernel's allocation ledger back where it started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cap_table.h"
#include "fake_hal.h"
#include "kalloc.h"
#include "kernel.h"

#define TEST_IFACE 0xabcdef0123456789ull

struct tobj {
	struct kobj k;
	unsigned destroyed;   /* destroy calls */
	uint32_t refs_at_destroy;
};

static unsigned destroy_calls;

static void tobj_destroy(struct kobj *o)
{
	struct tobj *t = (struct tobj *)o;
	t->destroyed++;
	t->refs_at_destroy = o->refs;
	destroy_calls++;
}

static const struct kobj_ops tobj_ops = {
	.name = "TestObject",
	.iface = TEST_IFACE,
	.destroy = tobj_destroy,
};

static void tobj_init(struct tobj *t)
{
	memset(t, 0, sizeof(*t));
	kobj_init(&t->k, &tobj_ops);
}

static const struct cap_hold_init plain = { 0 };

static void unexpected_panic(const char *console) { fail_msg("unexpected kernel panic: %s", console); }

static int setup(void **state)
{
	(void)state;
	fake_hal_reset();
	fake_hal_set_unexpected_panic_handler(unexpected_panic);
	destroy_calls = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(kalloc_live_count(), 0);
	assert_int_equal(fake_hal_misuse_count(), 0);
	kalloc_trim();
	assert_int_equal(fake_hal_live_kernel_pages(), 0);
	return 0;
}

static uint32_t id_gen(uint32_t id) { return id >> 16; }
static uint32_t id_index(uint32_t id) { return id & 0xffffu; }

/* ------------------------------------------------------------ init */

static void test_init_capacity(void **state)
{
	(void)state;
	struct cap_table t;
	assert_int_equal(cap_table_init(&t, 0), KERR(INVALID_ARGUMENT));
	assert_int_equal(cap_table_init(&t, CAP_TABLE_MAX + 1), KERR(INVALID_ARGUMENT));
	assert_int_equal(kalloc_live_count(), 0);

	assert_int_equal(cap_table_init(&t, CAP_TABLE_MAX), 0);
	assert_int_equal(t.capacity, CAP_TABLE_MAX);
	assert_int_equal(t.used, 0);
	assert_int_equal(cap_table_free_slots(&t), CAP_TABLE_MAX);
	assert_int_equal(kalloc_live_count(), 1);
	cap_table_destroy(&t);
	assert_null(t.slots);
	assert_int_equal(kalloc_live_count(), 0);
	cap_table_destroy(&t); /* twice is harmless */
}

static void test_init_out_of_memory(void **state)
{
	(void)state;
	struct cap_table t;
	/* A 4096-slot table is several pages: its one hal_page_alloc fails. */
	fake_hal_fail_alloc_at(0);
	assert_int_equal(cap_table_init(&t, CAP_TABLE_MAX), KERR(RESOURCE_EXHAUSTED));
	assert_int_equal(fake_hal_alloc_calls(), 1);
	assert_int_equal(kalloc_live_count(), 0);
	fake_hal_fail_alloc_at(-1);
}

/* ------------------------------------------------------------ insert, lookup */

static void test_insert_lookup_and_id_format(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj o[4];
	uint32_t ids[4];
	assert_int_equal(cap_table_init(&t, 4), 0);
	for (int i = 0; i < 4; i++) {
		tobj_init(&o[i]);
		ids[i] = 0xdeadbeef;
		assert_int_equal(cap_table_insert(&t, &o[i].k, &plain, &ids[i]), 0);
		/* A fresh table hands out slots 0, 1, 2, ... with generation 1. */
		assert_int_equal(ids[i], (1u << 16) | (uint32_t)i);
		assert_int_not_equal(ids[i], CAP_ID_NONE);
		assert_int_equal(t.used, (uint32_t)i + 1);
		assert_int_equal(cap_table_free_slots(&t), 3 - (uint32_t)i);
	}
	for (int i = 0; i < 4; i++) {
		struct cap_hold *h = NULL;
		assert_int_equal(cap_table_lookup(&t, ids[i], &h), 0);
		assert_ptr_equal(h, &t.slots[i]);
		assert_ptr_equal(h->obj, &o[i].k);
		assert_int_equal(h->gen, 1);
		/* The table took the caller's reference; it added none. */
		assert_int_equal(o[i].k.refs, 1);
	}
	cap_table_destroy(&t);
	for (int i = 0; i < 4; i++)
		assert_int_equal(o[i].destroyed, 1);
}

static void test_hold_metadata(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj a, b;
	tobj_init(&a);
	tobj_init(&b);
	assert_int_equal(cap_table_init(&t, 4), 0);

	/* iface 0: the object's own interface. */
	struct cap_hold_init ia = { .badge = 0xfeedfacecafebeefull, .iface = 0, .policy = 2, .scope = 1, .grantor = 7 };
	uint32_t id_a, id_b;
	assert_int_equal(cap_table_insert(&t, &a.k, &ia, &id_a), 0);
	struct cap_hold_init ib = { .badge = 0, .iface = 0x1122334455667788ull, .policy = 1, .scope = 2, .grantor = 9 };
	assert_int_equal(cap_table_insert(&t, &b.k, &ib, &id_b), 0);

	struct cap_hold *h;
	assert_int_equal(cap_table_lookup(&t, id_a, &h), 0);
	assert_int_equal(h->badge, 0xfeedfacecafebeefull);
	assert_int_equal(h->iface, TEST_IFACE);
	assert_int_equal(h->policy, 2);
	assert_int_equal(h->scope, 1);
	assert_int_equal(h->grantor, 7);
	assert_int_equal(cap_table_lookup(&t, id_b, &h), 0);
	assert_int_equal(h->badge, 0);
	assert_int_equal(h->iface, 0x1122334455667788ull);
	assert_int_equal(h->policy, 1);
	assert_int_equal(h->scope, 2);
	assert_int_equal(h->grantor, 9);

	/* A move carries all of it out. */
	struct cap_hold out;
	memset(&out, 0, sizeof(out));
	assert_int_equal(cap_table_take(&t, id_a, &out), 0);
	assert_ptr_equal(out.obj, &a.k);
	assert_int_equal(out.badge, 0xfeedfacecafebeefull);
	assert_int_equal(out.iface, TEST_IFACE);
	assert_int_equal(out.policy, 2);
	assert_int_equal(out.scope, 1);
	assert_int_equal(out.grantor, 7);
	assert_int_equal(out.gen, 1);

	/* The reused slot carries nothing of its previous hold over. */
	struct tobj c;
	tobj_init(&c);
	uint32_t id_c;
	assert_int_equal(cap_table_insert(&t, &c.k, &plain, &id_c), 0);
	assert_int_equal(id_index(id_c), id_index(id_a));
	assert_int_equal(cap_table_lookup(&t, id_c, &h), 0);
	assert_int_equal(h->badge, 0);
	assert_int_equal(h->iface, TEST_IFACE);
	assert_int_equal(h->policy, 0);
	assert_int_equal(h->scope, 0);
	assert_int_equal(h->grantor, 0);

	cap_table_destroy(&t);
	kobj_unref(out.obj); /* the moved reference is the caller's to drop */
	assert_int_equal(a.destroyed, 1);
	assert_int_equal(b.destroyed, 1);
	assert_int_equal(c.destroyed, 1);
}

/* ------------------------------------------------------------ remove, take */

static void test_remove(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj o;
	tobj_init(&o);
	kobj_ref(&o.k); /* the test keeps one reference of its own */
	assert_int_equal(cap_table_init(&t, 2), 0);
	uint32_t id;
	assert_int_equal(cap_table_insert(&t, &o.k, &plain, &id), 0);
	assert_int_equal(o.k.refs, 2);

	assert_int_equal(cap_table_remove(&t, id), 0);
	assert_int_equal(o.k.refs, 1);
	assert_int_equal(o.destroyed, 0);
	assert_int_equal(t.used, 0);
	assert_int_equal(cap_table_free_slots(&t), 2);

	/* The id is stale for every operation now. */
	struct cap_hold *h = (struct cap_hold *)0x1;
	struct cap_hold out;
	assert_int_equal(cap_table_lookup(&t, id, &h), KERR(STALE_CAP));
	assert_ptr_equal(h, (struct cap_hold *)0x1); /* untouched on failure */
	assert_int_equal(cap_table_remove(&t, id), KERR(STALE_CAP));
	assert_int_equal(cap_table_take(&t, id, &out), KERR(STALE_CAP));
	assert_int_equal(o.k.refs, 1);

	/* The last reference: destroy runs once, with refs at 0. */
	uint32_t id2;
	assert_int_equal(cap_table_insert(&t, &o.k, &plain, &id2), 0);
	assert_int_equal(cap_table_remove(&t, id2), 0);
	assert_int_equal(o.destroyed, 1);
	assert_int_equal(o.refs_at_destroy, 0);
	cap_table_destroy(&t);
	assert_int_equal(o.destroyed, 1);
}

static void test_take_is_a_move(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj o, other;
	tobj_init(&o);
	tobj_init(&other);
	assert_int_equal(cap_table_init(&t, 3), 0);
	uint32_t id, id_other;
	assert_int_equal(cap_table_insert(&t, &other.k, &plain, &id_other), 0);
	assert_int_equal(cap_table_insert(&t, &o.k, &plain, &id), 0);
	assert_int_equal(t.used, 2);

	struct cap_hold out;
	assert_int_equal(cap_table_take(&t, id, &out), 0);
	assert_ptr_equal(out.obj, &o.k);
	assert_int_equal(o.k.refs, 1);      /* the reference moved, it was not dropped */
	assert_int_equal(o.destroyed, 0);
	assert_int_equal(t.used, 1);

	struct cap_hold *h;
	assert_int_equal(cap_table_lookup(&t, id, &h), KERR(STALE_CAP));
	assert_int_equal(cap_table_take(&t, id, &out), KERR(STALE_CAP));
	assert_int_equal(cap_table_remove(&t, id), KERR(STALE_CAP));
	assert_ptr_equal(out.obj, &o.k);    /* a failed take leaves `out` alone */
	/* The other hold is unaffected. */
	assert_int_equal(cap_table_lookup(&t, id_other, &h), 0);
	assert_ptr_equal(h->obj, &other.k);

	/* Destroying the table does not release what was moved out. */
	cap_table_destroy(&t);
	assert_int_equal(other.destroyed, 1);
	assert_int_equal(o.destroyed, 0);
	assert_int_equal(o.k.refs, 1);
	kobj_unref(out.obj);
	assert_int_equal(o.destroyed, 1);
}

/* ------------------------------------------------------------ forged ids */

static void test_forged_ids(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj o;
	tobj_init(&o);
	assert_int_equal(cap_table_init(&t, 4), 0);
	uint32_t id;
	assert_int_equal(cap_table_insert(&t, &o.k, &plain, &id), 0);
	assert_int_equal(id, (1u << 16) | 0);

	const uint32_t forged[] = {
		CAP_ID_NONE,             /* 0: generation 0, index 0 */
		(0u << 16) | 2,          /* generation 0 on a free slot */
		(1u << 16) | 4,          /* index == capacity */
		(1u << 16) | 0xffffu,    /* index far out of range */
		(1u << 16) | 1,          /* a free slot, never issued (its generation is 1) */
		(1u << 16) | 3,
		(2u << 16) | 0,          /* live slot, wrong generation */
		(0xffffu << 16) | 0,
		0xffffffffu,
		(0u << 16) | 1,          /* generation 0 on a free slot */
	};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		struct cap_hold *h = NULL;
		struct cap_hold out = { 0 };
		assert_int_equal(cap_table_lookup(&t, forged[i], &h), KERR(STALE_CAP));
		assert_null(h);
		assert_int_equal(cap_table_take(&t, forged[i], &out), KERR(STALE_CAP));
		assert_null(out.obj);
		assert_int_equal(cap_table_remove(&t, forged[i]), KERR(STALE_CAP));
	}
	/* Nothing changed. */
	struct cap_hold *h;
	assert_int_equal(t.used, 1);

	/* A table whose slots end exactly at a page boundary (whole pages from
	 * the HAL, no slab slack after them: 512 holds of 40 bytes): an index
	 * one past the end must be refused without being read (ASan or
	 * valgrind would see the read). */
	uint32_t n = 4096;
	while (n % 2 == 0 && (n / 2) * sizeof(struct cap_hold) % 4096 == 0)
		n /= 2;
	assert_true(n * sizeof(struct cap_hold) > KALLOC_MAX_SMALL && n <= CAP_TABLE_MAX);
	struct cap_table big;
	assert_int_equal(cap_table_init(&big, n), 0);
	for (uint32_t gen = 0; gen < 0x10000; gen += 0x1111) {
		assert_int_equal(cap_table_lookup(&big, (gen << 16) | n, &h), KERR(STALE_CAP));
		assert_int_equal(cap_table_remove(&big, (gen << 16) | n), KERR(STALE_CAP));
	}
	cap_table_destroy(&big);

	assert_int_equal(t.used, 1);
	assert_int_equal(o.k.refs, 1);
	assert_int_equal(cap_table_lookup(&t, id, &h), 0);
	assert_ptr_equal(h->obj, &o.k);
	cap_table_destroy(&t);
	assert_int_equal(o.destroyed, 1);
}

/* ------------------------------------------------------------ full table */

static void test_table_full(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj o[3], extra;
	uint32_t ids[3];
	tobj_init(&extra);
	assert_int_equal(cap_table_init(&t, 3), 0);
	for (int i = 0; i < 3; i++) {
		tobj_init(&o[i]);
		assert_int_equal(cap_table_insert(&t, &o[i].k, &plain, &ids[i]), 0);
	}
	assert_int_equal(cap_table_free_slots(&t), 0);

	struct cap_table before = t;
	struct cap_hold slots_before[3];
	memcpy(slots_before, t.slots, sizeof(slots_before));
	uint32_t id = 0xdeadbeef;
	struct cap_hold_init init = { .badge = 42 };
	assert_int_equal(cap_table_insert(&t, &extra.k, &init, &id), KERR(RESOURCE_EXHAUSTED));
	assert_int_equal(id, 0xdeadbeef);                 /* no id handed out */
	assert_int_equal(extra.k.refs, 1);                /* the reference stays the caller's */
	assert_int_equal(extra.destroyed, 0);
	assert_ptr_equal(t.slots, before.slots);          /* nothing changed */
	assert_int_equal(t.capacity, before.capacity);
	assert_int_equal(t.used, before.used);
	assert_int_equal(t.free_head, before.free_head);
	assert_memory_equal(slots_before, t.slots, sizeof(slots_before));
	for (int i = 0; i < 3; i++) {
		struct cap_hold *h;
		assert_int_equal(cap_table_lookup(&t, ids[i], &h), 0);
		assert_ptr_equal(h->obj, &o[i].k);
	}

	/* One removal makes exactly one slot available again. */
	assert_int_equal(cap_table_remove(&t, ids[1]), 0);
	assert_int_equal(cap_table_insert(&t, &extra.k, &init, &id), 0);
	assert_int_equal(id_index(id), 1);
	assert_int_equal(id_gen(id), 2);
	struct tobj more;
	tobj_init(&more);
	assert_int_equal(cap_table_insert(&t, &more.k, &plain, &id), KERR(RESOURCE_EXHAUSTED));
	cap_table_destroy(&t);
	kobj_unref(&more.k);
	assert_int_equal(destroy_calls, 5);
}

/* ------------------------------------------------------------ generations */

static void test_slot_reuse_bumps_generation(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj a, b;
	tobj_init(&a);
	tobj_init(&b);
	kobj_ref(&a.k);
	assert_int_equal(cap_table_init(&t, 1), 0);
	uint32_t id1, id2;
	assert_int_equal(cap_table_insert(&t, &a.k, &plain, &id1), 0);
	assert_int_equal(cap_table_remove(&t, id1), 0);
	assert_int_equal(cap_table_insert(&t, &b.k, &plain, &id2), 0);
	assert_int_equal(id_index(id2), id_index(id1));
	assert_int_equal(id_gen(id2), id_gen(id1) + 1);
	assert_int_not_equal(id2, id1);

	/* The old id does not name the new hold. */
	struct cap_hold *h;
	assert_int_equal(cap_table_lookup(&t, id1, &h), KERR(STALE_CAP));
	assert_int_equal(cap_table_remove(&t, id1), KERR(STALE_CAP));
	assert_int_equal(b.k.refs, 1);
	assert_int_equal(cap_table_lookup(&t, id2, &h), 0);
	assert_ptr_equal(h->obj, &b.k);

	/* A take (move) bumps it too. */
	struct cap_hold out;
	uint32_t id3;
	assert_int_equal(cap_table_take(&t, id2, &out), 0);
	assert_int_equal(cap_table_insert(&t, &a.k, &plain, &id3), 0);
	assert_int_equal(id_gen(id3), id_gen(id2) + 1);
	assert_int_equal(cap_table_lookup(&t, id2, &h), KERR(STALE_CAP));
	cap_table_destroy(&t);
	kobj_unref(out.obj);
	assert_int_equal(a.destroyed, 1);
	assert_int_equal(b.destroyed, 1);
}

static void test_generation_wraps_skipping_zero(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj o;
	tobj_init(&o); /* the test's reference keeps it alive across the removals */
	assert_int_equal(cap_table_init(&t, 1), 0);
	uint32_t id, first = 0, prev = 0;
	/* Generations 1, 2, ..., 0xffff, then 1 again: 65535 issues, 0 never. */
	for (uint32_t n = 0; n < 0xffffu; n++) {
		assert_int_equal(cap_table_insert(&t, kobj_ref(&o.k), &plain, &id), 0);
		assert_int_equal(id_gen(id), n + 1);
		assert_int_equal(id_index(id), 0);
		if (n == 0)
			first = id;
		prev = id;
		assert_int_equal(cap_table_remove(&t, id), 0);
	}
	assert_int_equal(id_gen(prev), 0xffff);
	assert_int_equal(cap_table_insert(&t, kobj_ref(&o.k), &plain, &id), 0);
	assert_int_equal(id_gen(id), 1);  /* wrapped, skipping 0 */
	assert_int_equal(id, first);      /* ...the aliasing point cap_table.h documents */
	struct cap_hold *h;
	assert_int_equal(cap_table_lookup(&t, prev, &h), KERR(STALE_CAP));
	assert_int_equal(cap_table_lookup(&t, (0u << 16) | 0, &h), KERR(STALE_CAP));
	assert_int_equal(o.k.refs, 2);
	cap_table_destroy(&t);
	assert_int_equal(o.k.refs, 1);
	assert_int_equal(o.destroyed, 0);
	kobj_unref(&o.k);
	assert_int_equal(o.destroyed, 1);
}

/* ------------------------------------------------------------ destroy */

static void test_destroy_releases_every_reference(void **state)
{
	(void)state;
	struct cap_table t;
	struct tobj a, b, c;
	tobj_init(&a);
	tobj_init(&b);
	tobj_init(&c);
	assert_int_equal(cap_table_init(&t, 8), 0);
	uint32_t id;
	/* a: three holds; b: one hold; c: one hold plus the test's reference. */
	assert_int_equal(cap_table_insert(&t, &a.k, &plain, &id), 0);
	assert_int_equal(cap_table_insert(&t, kobj_ref(&a.k), &plain, &id), 0);
	assert_int_equal(cap_table_insert(&t, &b.k, &plain, &id), 0);
	assert_int_equal(cap_table_insert(&t, kobj_ref(&a.k), &plain, &id), 0);
	assert_int_equal(cap_table_insert(&t, kobj_ref(&c.k), &plain, &id), 0);
	/* A removed hold must not be released a second time by destroy. */
	assert_int_equal(cap_table_remove(&t, id), 0);
	assert_int_equal(cap_table_insert(&t, kobj_ref(&c.k), &plain, &id), 0);
	assert_int_equal(a.k.refs, 3);
	assert_int_equal(c.k.refs, 2);

	cap_table_destroy(&t);
	assert_int_equal(a.destroyed, 1);
	assert_int_equal(a.refs_at_destroy, 0);
	assert_int_equal(b.destroyed, 1);
	assert_int_equal(c.destroyed, 0);
	assert_int_equal(c.k.refs, 1);
	assert_int_equal(t.capacity, 0);
	assert_null(t.slots);
	assert_int_equal(destroy_calls, 2);
	kobj_unref(&c.k);
	assert_int_equal(c.destroyed, 1);

	/* A destroyed table refuses everything. */
	struct cap_hold *h;
	struct tobj d;
	tobj_init(&d);
	assert_int_equal(cap_table_lookup(&t, id, &h), KERR(STALE_CAP));
	assert_int_equal(cap_table_insert(&t, &d.k, &plain, &id), KERR(RESOURCE_EXHAUSTED));
	kobj_unref(&d.k);
}

/* A reference count going below zero is a broken invariant: the kernel
 * panics (and the fake HAL brings the test back). */
static void test_unref_of_dead_object_panics(void **state)
{
	(void)state;
	struct tobj o;
	tobj_init(&o);
	kobj_unref(&o.k);
	assert_int_equal(o.destroyed, 1);
	fake_hal_console_clear();
	FAKE_HAL_CATCH_PANIC(kobj_unref(&o.k));
	assert_true(fake_hal_panicked());
	assert_non_null(strstr(fake_hal_console_output(), "[kernel] PANIC: assertion failed: o->refs > 0"));
	assert_int_equal(o.destroyed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_lookup_and_id_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_is_a_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_reuse_bumps_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_wraps_skipping_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_releases_every_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unref_of_dead_object_panics, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

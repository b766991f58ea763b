/*
 * proc.c - creating processes, granting them capabilities, and ending them
 * (see proc.h). Ending a process releases everything it held, in an order
 * that leaves no dangling reference: outstanding calls, then capabilities,
 * then the context and address space; then its ledger must read zero.
 */
#include "proc.h"

#include "cap/endpoint.h"
#include "cap/kcaps.h"
#include "elf.h"
#include "hal.h"
#include "invoke.h"
#include "kalloc.h"
#include "kernel.h"
#include "fmt.h"
#include "loader.h"
#include "proc_mem.h"
#include "sched.h"

/* Every process that has not exited, in creation order. Owned by the kernel. */
struct list_node proc_all = LIST_INIT(proc_all);
/* Process ids are never reused while the kernel runs. */
static uint32_t proc_next_pid = 1;
static size_t proc_live;

static uint64_t page_up(uint64_t v) { return (v + HAL_PAGE_SIZE - 1) & ~(uint64_t)(HAL_PAGE_SIZE - 1); }

/* ------------------------------------------------------------ memory */

static int charge_pages(struct proc *p, uint64_t size)
{
	uint64_t pages = size / HAL_PAGE_SIZE;
	if ((uint64_t)p->ledger.pages + (uint64_t)p->ledger.frames + pages > p->quota.memory_pages)
		return KERR(RESOURCE_EXHAUSTED);
	p->ledger.pages += (int64_t)pages;
	return 0;
}

int proc_map(struct proc *p, uint64_t size, uint32_t prot, uint64_t *uva)
{
	size = page_up(size);
	int err = charge_pages(p, size);
	if (err)
		return err;
	if ((err = hal_as_map(p->as, size, prot, uva)))
		p->ledger.pages -= (int64_t)(size / HAL_PAGE_SIZE);
	return err;
}

int proc_map_shared(struct proc *p, uint64_t size, uint32_t prot, uint64_t *uva, void **kva)
{
	size = page_up(size);
	int err = charge_pages(p, size);
	if (err)
		return err;
	if ((err = hal_as_map_shared(p->as, size, prot, uva, kva)))
		p->ledger.pages -= (int64_t)(size / HAL_PAGE_SIZE);
	return err;
}

int proc_unmap(struct proc *p, uint64_t uva, uint64_t size)
{
	size = page_up(size);
	int err = hal_as_unmap(p->as, uva, size);
	if (!err)
		p->ledger.pages -= (int64_t)(size / HAL_PAGE_SIZE);
	return err;
}

/* ------------------------------------------------------------ creation */

static void enter_timeout(struct ktimer *t)
{
	struct proc *p = list_entry(t, struct proc, wait_timer);
	int unread = ring_cq_unread(p);
	if (p->state == PROC_BLOCKED)
		sched_wake_from_enter(p, unread);
}

static void set_quota(struct proc *p, const struct proc_quota *q)
{
	p->quota.cap_slots = q->cap_slots ? q->cap_slots : PROC_DEFAULT_CAP_SLOTS;
	p->quota.outstanding_calls = q->outstanding_calls ? q->outstanding_calls : PROC_DEFAULT_OUTSTANDING_CALLS;
	p->quota.memory_pages = q->memory_pages ? q->memory_pages : PROC_DEFAULT_MEMORY_PAGES;
	p->quota.children = q->children ? q->children : PROC_DEFAULT_CHILDREN;
}

/* Bytes the CapSet region needs for `max_caps` entries and argv. */
static uint64_t capset_size(const struct proc_spec *spec)
{
	uint64_t size = sizeof(struct capos_capset) + (uint64_t)spec->max_caps * sizeof(struct capos_capset_entry);
	size += ((uint64_t)spec->argc + 1) * sizeof(uint64_t);
	for (uint32_t i = 0; i < spec->argc; i++)
		size += (uint64_t)spec->argv_len[i] + 1;
	return page_up(size);
}

/* Lay out argv after the entries: the pointer array, then the strings. */
static void capset_fill_argv(struct proc *p, const struct proc_spec *spec)
{
	uint8_t *k = (uint8_t *)p->capset;
	uint64_t off = sizeof(struct capos_capset) + (uint64_t)spec->max_caps * sizeof(struct capos_capset_entry);
	uint64_t *ptrs = (uint64_t *)(k + off);
	uint64_t str = off + ((uint64_t)spec->argc + 1) * sizeof(uint64_t);
	for (uint32_t i = 0; i < spec->argc; i++) {
		ptrs[i] = p->capset_uva + str;
		__builtin_memcpy(k + str, spec->argv[i], spec->argv_len[i]);
		k[str + spec->argv_len[i]] = '\0';
		str += (uint64_t)spec->argv_len[i] + 1;
	}
	ptrs[spec->argc] = 0;
	p->capset->argv = p->capset_uva + off;
	p->capset->argc = spec->argc;
}

static int build_image(struct proc *p, const struct proc_spec *spec)
{
	struct elf_image elf;
	struct loaded_image img;
	uint64_t stack, heap, tp;
	int err = elf_parse(spec->elf, spec->elf_len, &elf);
	if (err)
		return KERR(INVALID_ARGUMENT);
	if ((err = loader_load(p, spec->elf, &elf, &img)) || (err = loader_setup_tls(p, spec->elf, &elf, &tp)))
		return err;
	/* The stack, with an inaccessible guard page below it. */
	if ((err = proc_map(p, PROC_STACK_BYTES + HAL_PAGE_SIZE, HAL_PROT_READ | HAL_PROT_WRITE, &stack)) ||
	    (err = hal_as_protect(p->as, stack, HAL_PAGE_SIZE, 0)))
		return err;
	if ((err = proc_map(p, PROC_HEAP_BYTES, HAL_PROT_READ | HAL_PROT_WRITE, &heap)) ||
	    (err = ring_setup(p)))
		return err;

	p->capset_max = spec->max_caps;
	p->capset_bytes = capset_size(spec);
	void *kva;
	if ((err = proc_map_shared(p, p->capset_bytes, HAL_PROT_READ, &p->capset_uva, &kva)))
		return err;
	p->capset = kva;
	struct capos_capset *cs = p->capset;
	cs->magic = CAPOS_CAPSET_MAGIC;
	cs->version = CAPOS_CAPSET_VERSION;
	cs->gate = hal_gate_address(p->as);
	cs->ring = p->ring.uva;
	cs->heap_base = heap;
	cs->heap_size = PROC_HEAP_BYTES;
	cs->stack_base = stack + HAL_PAGE_SIZE;
	cs->stack_size = PROC_STACK_BYTES;
	cs->tls_image = img.tls_image;
	cs->tls_filesz = elf.has_tls ? elf.tls.filesz : 0;
	cs->tls_memsz = elf.has_tls ? elf.tls.memsz : 0;
	cs->tls_align = elf.has_tls ? elf.tls.align : 1;
	cs->pid = p->pid;
	__builtin_memcpy(cs->name, p->name, sizeof(cs->name));
	capset_fill_argv(p, spec);

	uint64_t stack_top = stack + HAL_PAGE_SIZE + PROC_STACK_BYTES;
	return hal_ctx_create(p->as, img.entry, stack_top, p->capset_uva, tp, &p->ctx);
}

/* Undo a partly built process that never ran. */
static void release_resources(struct proc *p);

int proc_create(const struct proc_spec *spec, struct proc **out)
{
	if (spec->name_len == 0 || spec->name_len >= CAPOS_CAPSET_NAME_MAX)
		return KERR(INVALID_ARGUMENT);
	if (proc_live >= PROC_MAX_LIVE)
		return KERR(RESOURCE_EXHAUSTED);
	if (spec->quota.outstanding_calls > PROC_MAX_OUTSTANDING_CALLS)
		return KERR(INVALID_ARGUMENT);
	struct proc *p = kzalloc(sizeof(*p));
	if (!p)
		return KERR(RESOURCE_EXHAUSTED);
	p->pid = proc_next_pid++;
	__builtin_memcpy(p->name, spec->name, spec->name_len);
	set_quota(p, &spec->quota);
	list_init(&p->run_link);
	list_init(&p->all_link);
	list_init(&p->calls);
	list_init(&p->waiters);
	list_init(&p->vm_regions);
	list_init(&p->frames);
	ktimer_init(&p->wait_timer, enter_timeout);
	p->refs = 1;

	int err = hal_as_create(&p->as);
	if (!err)
		err = cap_table_init(&p->caps, p->quota.cap_slots);
	if (!err)
		err = build_image(p, spec);
	if (err) {
		release_resources(p);
		kfree(p, sizeof(*p));
		return err;
	}
	list_push_back(&proc_all, &p->all_link);
	proc_live++;
	*out = p;
	return 0;
}

int proc_capset_add(struct proc *p, const char *name, uint32_t name_len, uint32_t id)
{
	struct cap_hold *h;
	if (name_len == 0 || name_len >= CAPOS_CAPSET_NAME_MAX || cap_table_lookup(&p->caps, id, &h))
		return KERR(INVALID_ARGUMENT);
	if (p->capset->cap_count >= p->capset_max)
		return KERR(RESOURCE_EXHAUSTED);
	struct capos_capset_entry *e = &p->capset->caps[p->capset->cap_count++];
	e->cap = id;
	e->iface = h->iface;
	__builtin_memcpy(e->name, name, name_len);
	e->name[name_len] = '\0';
	return 0;
}

int proc_grant(struct proc *p, const char *name, uint32_t name_len, struct kobj *obj,
               const struct cap_hold_init *init, uint32_t *id)
{
	if (name_len == 0 || name_len >= CAPOS_CAPSET_NAME_MAX)
		return KERR(INVALID_ARGUMENT);
	if (p->capset->cap_count >= p->capset_max)
		return KERR(RESOURCE_EXHAUSTED);
	uint32_t cap;
	int err = cap_table_insert(&p->caps, obj, init, &cap);
	if (err)
		return err;
	p->ledger.caps++;
	KASSERT(proc_capset_add(p, name, name_len, cap) == 0);
	if (id)
		*id = cap;
	return 0;
}

int proc_start(struct proc *p)
{
	p->state = PROC_RUNNABLE;
	sched_make_runnable(p);
	return 0;
}

/* ------------------------------------------------------------ ending */

/* Session-scoped holds granted by `pid` end with it, in every process. */
static void revoke_session_grants(uint32_t pid)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &proc_all) {
		struct proc *q = list_entry(pos, struct proc, all_link);
		for (uint32_t i = 0; q->caps.slots && i < q->caps.capacity; i++) {
			struct cap_hold *h = &q->caps.slots[i];
			if (h->obj && h->scope == CAPOS_CAP_SCOPE_SESSION && h->grantor == pid) {
				KASSERT(cap_table_remove(&q->caps, ((uint32_t)h->gen << 16) | i) == 0);
				q->ledger.caps--;
			}
		}
	}
}

static void release_resources(struct proc *p)
{
	kcall_cancel_all(p);
	endpoint_proc_ended(p);
	vm_proc_ended(p);
	frames_proc_ended(p);
	if (p->caps.slots) {
		p->ledger.caps -= p->caps.used;
		cap_table_destroy(&p->caps);
	}
	if (p->ctx) {
		hal_ctx_destroy(p->ctx);
		p->ctx = NULL;
	}
	ring_teardown(p);
	p->capset = NULL;
	if (p->as) {
		p->ledger.pages -= (int64_t)hal_as_destroy(p->as);
		p->as = NULL;
	}
}

/* The kernel debug check of issue-3 fame: an exited process holds nothing. */
static void check_ledger(struct proc *p)
{
	const struct proc_ledger *l = &p->ledger;
	if (l->caps || l->pages || l->ring_bytes || l->calls || l->frames)
		kpanic("process %u (%s) ledger not zero after exit: caps %lld pages %lld ring %lld calls %lld "
		       "frames %lld",
		       p->pid, p->name, (long long)l->caps, (long long)l->pages, (long long)l->ring_bytes,
		       (long long)l->calls, (long long)l->frames);
}

void kernel_process_ended(struct proc *p); /* boot.c: init's end ends the system */

static void proc_end(struct proc *p, enum proc_end how, int code)
{
	if (p->state == PROC_EXITED)
		return;
	sched_remove(p);
	ktimer_cancel(&p->wait_timer);
	p->state = PROC_EXITED;
	p->end = how;
	p->exit_code = code;
	release_resources(p);
	check_ledger(p);
	list_del(&p->all_link);
	proc_live--;
	revoke_session_grants(p->pid);
	/* Family: the parent may spawn again; orphans have no parent. */
	if (p->parent)
		p->parent->live_children--;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &proc_all) {
		struct proc *q = list_entry(pos, struct proc, all_link);
		if (q->parent == p)
			q->parent = NULL;
	}
	process_handle_proc_ended(p);
	kernel_process_ended(p);
	proc_unref(p);
}

void proc_exit(struct proc *p, int code) { proc_end(p, PROC_END_EXIT, code); }

void proc_kill(struct proc *p) { proc_end(p, PROC_END_KILLED, 0); }

void proc_fault(struct proc *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vstr(p->fault, sizeof(p->fault), fmt, ap);
	va_end(ap);
	if (p->state != PROC_EXITED)
		klog("process %u (%s) faulted: %s", p->pid, p->name, p->fault);
	proc_end(p, PROC_END_FAULT, -1);
}

void proc_ref(struct proc *p) { p->refs++; }

void proc_unref(struct proc *p)
{
	KASSERT(p->refs > 0);
	if (--p->refs == 0) {
		KASSERT(p->state == PROC_EXITED);
		kfree(p, sizeof(*p));
	}
}

size_t proc_live_count(void) { return proc_live; }

/*
 * ring_driver.c - the action-language interpreter (see ring_driver.h and
 * docs/fuzzing.md). The decoder (rd_run and the gen_* functions) and the
 * seed encoders (rd_enc_*, rd_sqe_*) at the end of the file must read and
 * write the same bytes in the same order: change them together.
 */
#include "ring_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capos/abi/capset.h"
#include "capos/abi/ring.h"
#include "capos/abi/syscall.h"
#include "fake_hal.h"
#include "kernel.h"

#define RD_MAX_PROCS 16
#define RD_MAX_KNOWN 64
#define RD_MAX_CALLS 16
#define RD_MAX_VALUES 16
#define RD_PENDING 256
#define RD_MAX_STEPS 2048
#define RD_MAX_CAPSET 64

/* The heap (4 MiB, from the CapSet page) is split: the first MiB is
 * "wild" (the program scribbles there and may aim buffers anywhere in it);
 * the rest is handed out in order for buffers whose answers the driver
 * checks, which nothing else touches until the driver has read them. */
#define WILD_BYTES (1u << 20)
#define WILD_SLACK (1u << 17)
/* The user_data of every SQE the driver tracks has the top bit set; the
 * values the program chooses itself never do, so a completion is never
 * taken for another's. */
#define TOKEN_TAG (1ull << 63)
#define MAX_MSG_BUILD 8192u
/* The most the kernel writes into an answer buffer: a header, the CapIds,
 * a message. */
#define MAX_ANSWER (CAPOS_MAX_MSG + 4096u)

struct pending {
	uint64_t token;     /* the SQE's user_data */
	uint64_t buf;
	uint32_t buf_len;
	uint8_t kind;       /* 0: none, CAPOS_OP_CALL or CAPOS_OP_RECV */
	bool checkable;     /* buf is the driver's alone */
	bool kernel_obj;    /* the cap is a kernel object (oracles apply) */
	uint64_t iface;     /* the interface called, when known */
	uint16_t method;
	uint64_t arg;       /* VirtualMemory.map: the size asked for */
};

/* Memory a process got: VirtualMemory mappings and frame allocations. */
struct range {
	uint64_t base, size;
};
#define RD_MAX_RANGES 8

struct known {
	uint32_t cap;
	uint64_t iface;     /* 0: unknown */
};

struct proc_rec {
	bool used;
	uint32_t pid;
	unsigned lru;
	struct hal_as *as;
	uint64_t capset_uva, ring_uva;
	uint64_t heap, heap_size, stack, stack_size;
	uint32_t ncaps;
	struct {
		uint32_t cap;
		uint64_t iface;
		bool kernel_obj;
	} caps[RD_MAX_CAPSET];
	struct known known[RD_MAX_KNOWN];
	unsigned nknown, known_next;
	uint32_t calls[RD_MAX_CALLS];
	unsigned ncalls, calls_next;
	uint64_t values[RD_MAX_VALUES];
	unsigned nvalues, values_next;
	struct range maps[RD_MAX_RANGES], frames[RD_MAX_RANGES];
	unsigned nmaps, maps_next, nframes, frames_next;
	uint32_t cq_seen;
	unsigned results_seen; /* ctx->results_set when last looked at */
	bool ring_unsafe;   /* the kernel may have written answers over the ring
	                     * (a buffer aimed at it, a raw SQE): CQEs are not
	                     * checked any more, only read */
	uint64_t bump;      /* next free byte of the checked area */
	uint64_t next_token;
	struct pending pend[RD_PENDING];
};

static struct {
	bool trace;         /* CAPOS_FUZZ_TRACE set: say what happens on stderr */
	const struct rd_config *cfg;
	struct fz *f;
	struct proc_rec procs[RD_MAX_PROCS];
	unsigned clock;
	struct capos_ring_header *ring; /* the current process's, host pointer */
	int last_template;  /* the template build_msg used last (-1: none) */
	uint64_t last_arg;  /* ... and the size it asked for (VirtualMemory.map) */
} rd;

/* ------------------------------------------------------------ helpers */

#define TRACE(...)                                    \
	do {                                          \
		if (rd.trace)                         \
			fprintf(stderr, __VA_ARGS__); \
	} while (0)

static void trace_sqe(const struct proc_rec *p, const struct capos_sqe *s)
{
	TRACE("  pid %u sqe op %u flags %#x method %u cap %#x ud %llu iface %#llx msg %#llx+%u xfer %#llx*%u "
	      "buf %#llx+%u timeout %u\n",
	      p->pid, s->opcode, s->flags, s->method, s->cap, (unsigned long long)s->user_data,
	      (unsigned long long)s->iface, (unsigned long long)s->msg, s->msg_len, (unsigned long long)s->xfer,
	      s->xfer_count, (unsigned long long)s->buf, s->buf_len, s->timeout_us);
}

static void add_known(struct proc_rec *p, uint32_t cap, uint64_t iface)
{
	for (unsigned i = 0; i < p->nknown; i++)
		if (p->known[i].cap == cap) {
			if (iface)
				p->known[i].iface = iface;
			return;
		}
	p->known[p->known_next] = (struct known){ cap, iface };
	p->known_next = (p->known_next + 1) % RD_MAX_KNOWN;
	if (p->nknown < RD_MAX_KNOWN)
		p->nknown++;
}

static void add_call(struct proc_rec *p, uint32_t id)
{
	p->calls[p->calls_next] = id;
	p->calls_next = (p->calls_next + 1) % RD_MAX_CALLS;
	if (p->ncalls < RD_MAX_CALLS)
		p->ncalls++;
}

static void add_value(struct proc_rec *p, uint64_t v)
{
	p->values[p->values_next] = v;
	p->values_next = (p->values_next + 1) % RD_MAX_VALUES;
	if (p->nvalues < RD_MAX_VALUES)
		p->nvalues++;
}

static void add_range(struct range *set, unsigned *n, unsigned *next, uint64_t base, uint64_t size)
{
	set[*next] = (struct range){ base, size };
	*next = (*next + 1) % RD_MAX_RANGES;
	if (*n < RD_MAX_RANGES)
		(*n)++;
}

static bool is_kernel_cap_name(const char *name)
{
	if (!rd.cfg->kernel_caps)
		return false;
	for (const char *const *n = rd.cfg->kernel_caps; *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

/* The CapSet entry holding `cap`, or -1. */
static int capset_index(const struct proc_rec *p, uint32_t cap)
{
	for (uint32_t i = 0; i < p->ncaps; i++)
		if (p->caps[i].cap == cap)
			return (int)i;
	return -1;
}

static uint64_t iface_of(const struct proc_rec *p, uint32_t cap)
{
	int i = capset_index(p, cap);
	if (i >= 0)
		return p->caps[i].iface;
	for (unsigned k = 0; k < p->nknown; k++)
		if (p->known[k].cap == cap)
			return p->known[k].iface;
	return 0;
}

/* ------------------------------------------------------------ which process */

/* Read the CapSet page of the process that owns ctx, as the process would. */
static struct proc_rec *find_proc(struct hal_ctx *ctx)
{
	struct capos_capset cs;
	if (fake_hal_read(ctx->as, ctx->arg, &cs, sizeof(cs)))
		fuzz_fail("ring: the kernel resumed a context whose CapSet page (%#llx) is not mapped",
		          (unsigned long long)ctx->arg);
	if (cs.magic != CAPOS_CAPSET_MAGIC || cs.version != CAPOS_CAPSET_VERSION)
		fuzz_fail("ring: the CapSet page of the resumed context has magic %#llx version %u",
		          (unsigned long long)cs.magic, cs.version);
	struct proc_rec *p = NULL, *victim = &rd.procs[0];
	for (unsigned i = 0; i < RD_MAX_PROCS; i++) {
		struct proc_rec *q = &rd.procs[i];
		if (q->used && q->pid == cs.pid && q->as == ctx->as) {
			p = q;
			break;
		}
		if (!q->used || (victim->used && q->lru < victim->lru))
			victim = q;
	}
	if (!p) {
		p = victim;
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->pid = cs.pid;
		p->as = ctx->as;
		p->capset_uva = ctx->arg;
		p->ring_uva = cs.ring;
		p->heap = cs.heap_base;
		p->heap_size = cs.heap_size;
		p->stack = cs.stack_base;
		p->stack_size = cs.stack_size;
		p->bump = WILD_BYTES;
		p->next_token = TOKEN_TAG | 1;
		p->ncaps = cs.cap_count < RD_MAX_CAPSET ? cs.cap_count : RD_MAX_CAPSET;
		for (uint32_t i = 0; i < p->ncaps; i++) {
			struct capos_capset_entry e;
			if (fake_hal_read(ctx->as, ctx->arg + offsetof(struct capos_capset, caps) + i * sizeof(e), &e,
			                  sizeof(e)))
				fuzz_fail("ring: CapSet entry %u of pid %u is not mapped", i, cs.pid);
			if (!memchr(e.name, '\0', sizeof(e.name)))
				fuzz_fail("ring: CapSet entry %u of pid %u has a name without NUL", i, cs.pid);
			p->caps[i].cap = e.cap;
			p->caps[i].iface = e.iface;
			p->caps[i].kernel_obj = is_kernel_cap_name(e.name);
			TRACE("pid %u capset[%u] = %s cap %#x iface %#llx\n", cs.pid, i, e.name, e.cap,
			      (unsigned long long)e.iface);
		}
		if (p->heap_size < 2 * WILD_BYTES)
			fuzz_fail("ring: pid %u has a heap of %llu bytes", cs.pid, (unsigned long long)p->heap_size);
	}
	p->lru = ++rd.clock;
	/* What its last system call returned: an unread count or an error. */
	if (ctx->results_set != p->results_seen) {
		p->results_seen = ctx->results_set;
		int64_t r = ctx->result;
		if (r > CAPOS_CQ_ENTRIES || (r < 0 && (r < -64 || !capos_ErrorCode_name((unsigned)-r))))
			fuzz_fail("ring: pid %u: a system call returned %lld", p->pid, (long long)r);
		TRACE("pid %u: system call returned %lld\n", p->pid, (long long)r);
	}
	rd.ring = fake_hal_user_ptr(p->as, p->ring_uva, CAPOS_RING_BYTES);
	if (!rd.ring)
		fuzz_fail("ring: pid %u's ring at %#llx is not mapped", p->pid, (unsigned long long)p->ring_uva);
	return p;
}

/* ------------------------------------------------------------ completions */

static void harvest_results_message(struct proc_rec *p, const struct pending *pd, const uint8_t *msg,
                                    uint32_t len, bool strict, int32_t result, bool exception)
{
	struct capn_reader r;
	struct capn_limits lim = { 4096, 32 };
	if (capn_reader_init_framed(&r, msg, len, &lim, NULL)) {
		if (strict)
			fuzz_fail("ring: pid %u: a kernel answer (iface %#llx method %u) is not a framed message (%s)",
			          p->pid, (unsigned long long)pd->iface, pd->method, capn_strerror(r.err));
		return;
	}
	if (exception) {
		capos_CapException_r e = capos_CapException_read_root(&r);
		unsigned code = capos_CapException_get_code(e);
		(void)capos_CapException_get_message(e);
		if (strict && (r.err || (int32_t)code != -result))
			fuzz_fail("ring: pid %u: CapException (code %u, reader error %d) for completion result %d",
			          p->pid, code, r.err, result);
		return;
	}
	capn_struct_r root = capn_reader_root(&r);
	if (strict && r.err)
		fuzz_fail("ring: pid %u: a kernel answer (iface %#llx method %u) is malformed: %s", p->pid,
		          (unsigned long long)pd->iface, pd->method, capn_strerror(r.err));
	if (pd->iface == CAPOS_VIRTUAL_MEMORY_INTERFACE_ID && pd->method == CAPOS_VIRTUAL_MEMORY_METHOD_MAP &&
	    pd->arg)
		add_range(p->maps, &p->nmaps, &p->maps_next, capn_get_u64(root, 0, 0), pd->arg);
	if (pd->iface == CAPOS_FRAME_ALLOCATOR_INTERFACE_ID &&
	    pd->method == CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE)
		add_range(p->frames, &p->nframes, &p->frames_next, capn_get_u64(root, 0, 0), capn_get_u32(root, 8, 0));
	if (root.data_bytes >= 8)
		add_value(p, capn_get_u64(root, 0, 0));
	if (root.data_bytes >= 16)
		add_value(p, capn_get_u64(root, 8, 0));
}

/* The interface of a capability an answer carries, when the call says. */
static uint64_t result_cap_iface(const struct pending *pd)
{
	switch (pd->iface) {
	case CAPOS_PROCESS_SPAWNER_INTERFACE_ID:
		return CAPOS_PROCESS_HANDLE_INTERFACE_ID;
	case CAPOS_ENDPOINT_FACTORY_INTERFACE_ID:
		return CAPOS_ENDPOINT_INTERFACE_ID;
	default:
		return 0;
	}
}

static void harvest_one(struct proc_rec *p, const struct capos_cqe *c)
{
	if (p->ring_unsafe)
		return;
	if (c->flags & ~CAPOS_CQE_EXCEPTION)
		fuzz_fail("ring: pid %u: completion with unknown flags %#x", p->pid, c->flags);
	if (c->result < 0 && !capos_ErrorCode_name((unsigned)-c->result))
		fuzz_fail("ring: pid %u: completion with result %d, which is no ErrorCode", p->pid, c->result);
	struct pending *pd = &p->pend[c->user_data % RD_PENDING];
	if (!pd->kind || pd->token != c->user_data)
		return;
	struct pending d = *pd;
	pd->kind = 0;
	bool exception = c->flags & CAPOS_CQE_EXCEPTION;
	bool strict = d.checkable && d.kernel_obj && d.kind == CAPOS_OP_CALL && rd.cfg->kernel_caps;
	if (exception && c->result >= 0)
		fuzz_fail("ring: pid %u: exception completion with result %d", p->pid, c->result);
	if (!d.buf_len || (c->result < 0 && !exception))
		return;
	if (strict && !exception && c->result == 0)
		fuzz_fail("ring: pid %u: a kernel answer into a %u-byte buffer reports 0 bytes", p->pid, d.buf_len);
	if (c->result >= 0 && (uint32_t)c->result > d.buf_len)
		fuzz_fail("ring: pid %u: completion says %d bytes were written to a %u-byte buffer", p->pid,
		          c->result, d.buf_len);
	if (!d.checkable)
		return;
	struct capos_msg_header h;
	if (d.buf_len < sizeof(h) || fake_hal_read(p->as, d.buf, &h, sizeof(h))) {
		if (strict)
			fuzz_fail("ring: pid %u: answer buffer unreadable", p->pid);
		return;
	}
	uint64_t off = CAPOS_MSG_OFFSET(h.cap_count);
	bool sane = h.cap_count <= CAPOS_MAX_XFER && off + h.msg_len <= d.buf_len && h.msg_len <= CAPOS_MAX_MSG;
	if (strict) {
		if (!sane || (!exception && off + h.msg_len != (uint64_t)c->result))
			fuzz_fail("ring: pid %u: answer header (msg_len %u, cap_count %u) does not match result %d "
			          "and buffer %u", p->pid, h.msg_len, h.cap_count, c->result, d.buf_len);
		if (exception && h.cap_count)
			fuzz_fail("ring: pid %u: an exception carries %u capabilities", p->pid, h.cap_count);
	}
	if (!sane)
		return;
	uint32_t ids[CAPOS_MAX_XFER];
	if (h.cap_count && !fake_hal_read(p->as, d.buf + sizeof(h), ids, 4u * h.cap_count))
		for (unsigned i = 0; i < h.cap_count; i++)
			add_known(p, ids[i], d.kind == CAPOS_OP_CALL ? result_cap_iface(&d) : 0);
	if (d.kind == CAPOS_OP_RECV) {
		add_call(p, h.call_id);
		add_value(p, h.badge);
		return;
	}
	static uint8_t msg[CAPOS_MAX_MSG];
	if (h.msg_len && !fake_hal_read(p->as, d.buf + off, msg, h.msg_len))
		harvest_results_message(p, &d, msg, h.msg_len, strict, c->result, exception);
	else if (strict)
		fuzz_fail("ring: pid %u: an answer with an empty message", p->pid);
}

/* Read the completions posted since the last look (not consuming them:
 * that is an action of its own, so a full CQ can happen). */
static void harvest(struct proc_rec *p)
{
	uint32_t tail = rd.ring->cq_tail;
	if (tail - p->cq_seen > CAPOS_CQ_ENTRIES)
		p->cq_seen = tail - CAPOS_CQ_ENTRIES;
	const struct capos_cqe *cq = (const struct capos_cqe *)((const uint8_t *)rd.ring + CAPOS_RING_CQ_OFFSET);
	for (; p->cq_seen != tail; p->cq_seen++) {
		struct capos_cqe c = cq[p->cq_seen % CAPOS_CQ_ENTRIES];
		TRACE("  pid %u cqe ud %llu result %d flags %#x\n", p->pid, (unsigned long long)c.user_data, c.result,
		      c.flags);
		harvest_one(p, &c);
	}
}

/* ------------------------------------------------------------ memory */

/* The checked area is full: start again, forgetting what was pending in it
 * (its buffers will be reused). */
static void bump_reset(struct proc_rec *p)
{
	p->bump = WILD_BYTES;
	for (unsigned i = 0; i < RD_PENDING; i++)
		p->pend[i].checkable = false;
}

static uint64_t bump_alloc(struct proc_rec *p, uint64_t len)
{
	len = (len + 15) & ~15ull;
	if (len > p->heap_size - WILD_BYTES)
		return 0;
	if (p->bump + len > p->heap_size)
		bump_reset(p);
	uint64_t a = p->heap + p->bump;
	p->bump += len;
	return a;
}

/* Choose where `len` bytes go and write them there if that is the
 * process's heap. *checkable: the place is the driver's alone. */
static uint64_t place(struct proc_rec *p, const void *bytes, uint64_t len, bool *checkable)
{
	struct fz *f = rd.f;
	uint64_t a;
	bool chk = false;
	unsigned sel = fz_u8(f) % 16;
	if (sel < 12) {
		a = bump_alloc(p, len ? len : 16);
		chk = a != 0;
		if (!a)
			a = p->heap;
	} else if (sel == 12) {
		/* Anything up to WILD_SLACK long placed here stays in the wild
		 * area, whatever the kernel writes into it. */
		a = p->heap + ((uint64_t)fz_u16(f) * 8) % (WILD_BYTES - WILD_SLACK);
	} else if (sel == 13) {
		switch (fz_u8(f) % 5) {
		case 0: a = p->heap - 8; break;                            /* starts in the guard gap */
		case 1: a = p->heap + p->heap_size - len / 2; break;       /* runs off the end */
		case 2: a = p->stack - HAL_PAGE_SIZE; break;               /* the stack guard page */
		case 3: a = p->heap + p->heap_size; break;                 /* just past the heap */
		default: a = p->stack + p->stack_size - 64; break;         /* the top of the stack */
		}
	} else if (sel == 14) {
		a = fz_bool(f) ? p->ring_uva + fz_u16(f) % CAPOS_RING_BYTES : p->capset_uva + fz_u8(f);
	} else {
		switch (fz_u8(f) % 4) {
		case 0: a = 0; break;
		case 1: a = FAKE_HAL_GATE; break;
		case 2: a = fz_u64(f); break;
		default: a = UINT64_MAX - fz_u8(f); break;
		}
	}
	/* Writes only ever go to the heap; elsewhere the bytes are whatever is
	 * there (the kernel must cope with that too). */
	if (bytes && len && a >= p->heap && a - p->heap < p->heap_size && len <= p->heap_size - (a - p->heap))
		fake_hal_write(p->as, a, bytes, len);
	*checkable = chk;
	return a;
}

/* ------------------------------------------------------------ choosing fields */

static uint32_t pick_cap(struct proc_rec *p)
{
	struct fz *f = rd.f;
	unsigned sel = fz_u8(f) % 16;
	if (sel >= 6 && sel <= 9 && !p->nknown)
		sel = 0;
	if (sel == 15 && !p->ncalls)
		sel = 0;
	switch (sel) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		return p->ncaps ? p->caps[fz_u8(f) % p->ncaps].cap : fz_u8(f);
	case 6: case 7: case 8: case 9:
		return p->known[fz_u8(f) % p->nknown].cap;
	case 10:
		return (p->ncaps ? p->caps[fz_u8(f) % p->ncaps].cap : fz_u8(f)) + 0x10000u; /* next generation */
	case 11:
		return (p->ncaps ? p->caps[fz_u8(f) % p->ncaps].cap : fz_u8(f)) + 1u;       /* next slot */
	case 12:
		return 0;
	case 13:
		return UINT32_MAX;
	case 14:
		return fz_u32(f);
	default:
		return p->calls[fz_u8(f) % p->ncalls];
	}
}

static uint64_t pick_iface(struct proc_rec *p, uint32_t cap)
{
	struct fz *f = rd.f;
	switch (fz_u8(f) % 8) {
	case 4:
		return iface_of(p, cap);
	case 5:
		return capos_interfaces[fz_u8(f) % capos_interface_count].id;
	case 6:
		return fz_u64(f);
	case 7:
		return p->ncaps ? p->caps[fz_u8(f) % p->ncaps].iface : 0;
	default:
		return 0;
	}
}

static uint64_t pick_value(struct proc_rec *p)
{
	struct fz *f = rd.f;
	switch (fz_u8(f) % 8) {
	case 0: return p->nvalues ? p->values[fz_u8(f) % p->nvalues] : 0;
	case 1: return p->heap + (uint64_t)fz_u8(f) * HAL_PAGE_SIZE;
	case 2: return p->ring_uva;
	case 3: return p->capset_uva;
	case 4: return p->stack;
	case 5: return (uint64_t)fz_u8(f) * HAL_PAGE_SIZE;
	case 6: return fz_u64(f);
	default: return 0;
	}
}

static uint64_t pick_size(void)
{
	struct fz *f = rd.f;
	switch (fz_u8(f) % 8) {
	case 0: return 0;
	case 1: return HAL_PAGE_SIZE;
	case 2: return (uint64_t)(1 + fz_u8(f)) * HAL_PAGE_SIZE;
	case 3: return 1 + fz_u16(f);
	case 4: return 1ull << 30;
	case 5: return UINT64_MAX - HAL_PAGE_SIZE + 1;
	case 6: return fz_u64(f);
	default: return 2 * HAL_PAGE_SIZE;
	}
}

/* An address and size for VirtualMemory.unmap/protect: mostly a piece of
 * something the process mapped, else anything. */
static void pick_vm_range(struct proc_rec *p, uint64_t *addr, uint64_t *size)
{
	struct fz *f = rd.f;
	unsigned sel = fz_u8(f);
	if (!p->nmaps || sel >= 160) {
		*addr = pick_value(p);
		*size = pick_size();
		return;
	}
	struct range r = p->maps[fz_u8(f) % p->nmaps];
	uint64_t pages = r.size / HAL_PAGE_SIZE;
	uint64_t k = pages ? fz_u8(f) % pages : 0;
	switch (sel % 6) {
	case 0: *addr = r.base; *size = r.size; break;                                     /* all of it */
	case 1: *addr = r.base; *size = HAL_PAGE_SIZE; break;                              /* its head */
	case 2: *addr = r.base + r.size - HAL_PAGE_SIZE; *size = HAL_PAGE_SIZE; break;     /* its tail */
	case 3: *addr = r.base + k * HAL_PAGE_SIZE; *size = HAL_PAGE_SIZE; break;          /* a middle page */
	case 4: *addr = r.base; *size = r.size + HAL_PAGE_SIZE; break;                     /* and beyond */
	default: *addr = r.base + k * HAL_PAGE_SIZE + 8; *size = HAL_PAGE_SIZE; break;     /* unaligned */
	}
}

/* Text for a name: one of `names` or bytes from the input. */
static void pick_name(const char *const *names, const char **s, size_t *len)
{
	struct fz *f = rd.f;
	unsigned sel = fz_u8(f);
	size_t n = 0;
	if (names)
		while (names[n])
			n++;
	if (n && sel < 192) {
		*s = names[sel % n];
		*len = strlen(*s);
		return;
	}
	*s = (const char *)fz_bytes(f, 80, len);
}

/* ------------------------------------------------------------ parameters */

static const struct {
	uint64_t iface;
	uint16_t method;
} templates[RD_T_COUNT] = {
	[RD_T_CONSOLE_WRITE] = { CAPOS_CONSOLE_INTERFACE_ID, CAPOS_CONSOLE_METHOD_WRITE },
	[RD_T_CONSOLE_WRITE_LINE] = { CAPOS_CONSOLE_INTERFACE_ID, CAPOS_CONSOLE_METHOD_WRITE_LINE },
	[RD_T_CONSOLE_READ_LINE] = { CAPOS_CONSOLE_INTERFACE_ID, CAPOS_CONSOLE_METHOD_READ_LINE },
	[RD_T_TIMER_NOW] = { CAPOS_TIMER_INTERFACE_ID, CAPOS_TIMER_METHOD_NOW },
	[RD_T_TIMER_SLEEP] = { CAPOS_TIMER_INTERFACE_ID, CAPOS_TIMER_METHOD_SLEEP },
	[RD_T_NULL_NOP] = { CAPOS_NULL_CAP_INTERFACE_ID, CAPOS_NULL_CAP_METHOD_NOP },
	[RD_T_SPAWN] = { CAPOS_PROCESS_SPAWNER_INTERFACE_ID, CAPOS_PROCESS_SPAWNER_METHOD_SPAWN },
	[RD_T_START_SERVICE] = { CAPOS_PROCESS_SPAWNER_INTERFACE_ID, 1 },
	[RD_T_SERVICES] = { CAPOS_PROCESS_SPAWNER_INTERFACE_ID, 2 },
	[RD_T_HANDLE_WAIT] = { CAPOS_PROCESS_HANDLE_INTERFACE_ID, CAPOS_PROCESS_HANDLE_METHOD_WAIT },
	[RD_T_HANDLE_KILL] = { CAPOS_PROCESS_HANDLE_INTERFACE_ID, CAPOS_PROCESS_HANDLE_METHOD_KILL },
	[RD_T_MINT] = { CAPOS_ENDPOINT_INTERFACE_ID, CAPOS_ENDPOINT_METHOD_MINT },
	[RD_T_EP_CREATE] = { CAPOS_ENDPOINT_FACTORY_INTERFACE_ID, CAPOS_ENDPOINT_FACTORY_METHOD_CREATE },
	[RD_T_ECHO] = { CAPOS_ECHO_INTERFACE_ID, CAPOS_ECHO_METHOD_ECHO },
	[RD_T_PING] = { CAPOS_ECHO_INTERFACE_ID, CAPOS_ECHO_METHOD_PING },
	[RD_T_SWAP] = { CAPOS_ECHO_INTERFACE_ID, CAPOS_ECHO_METHOD_SWAP },
	[RD_T_VM_MAP] = { CAPOS_VIRTUAL_MEMORY_INTERFACE_ID, CAPOS_VIRTUAL_MEMORY_METHOD_MAP },
	[RD_T_VM_UNMAP] = { CAPOS_VIRTUAL_MEMORY_INTERFACE_ID, CAPOS_VIRTUAL_MEMORY_METHOD_UNMAP },
	[RD_T_VM_PROTECT] = { CAPOS_VIRTUAL_MEMORY_INTERFACE_ID, CAPOS_VIRTUAL_MEMORY_METHOD_PROTECT },
	[RD_T_FRAME_ALLOC] = { CAPOS_FRAME_ALLOCATOR_INTERFACE_ID, CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE },
	[RD_T_FRAME_FREE] = { CAPOS_FRAME_ALLOCATOR_INTERFACE_ID, CAPOS_FRAME_ALLOCATOR_METHOD_FREE },
};

static int template_for(uint64_t iface, uint16_t method)
{
	for (int t = 0; t < RD_T_COUNT; t++)
		if (templates[t].iface == iface && templates[t].method == method)
			return t;
	return -1;
}

/* A struct of random shape: what a confused or hostile caller sends. */
static void build_generic(capn_struct_b s, int depth)
{
	struct fz *f = rd.f;
	for (uint32_t off = 0; off + 8 <= s.data_bytes; off += 8)
		capn_set_u64(s, off, fz_u8(f) < 128 ? fz_u8(f) : fz_u64(f), 0);
	for (uint16_t i = 0; i < s.ptr_count; i++) {
		size_t n;
		const uint8_t *b;
		switch (fz_u8(f) % 8) {
		case 0:
			break;
		case 1:
			b = fz_bytes(f, 64, &n);
			capn_set_text(s, i, (const char *)b, n);
			break;
		case 2:
			b = fz_bytes(f, 64, &n);
			capn_set_data(s, i, b, n);
			break;
		case 3:
			if (depth < 3)
				build_generic(capn_init_struct(s, i, (uint16_t)(fz_u8(f) % 3), (uint16_t)(fz_u8(f) % 4)),
				              depth + 1);
			break;
		case 4: {
			uint32_t count = fz_u8(f) % 8;
			capn_list_b l = capn_init_struct_list(s, i, count, (uint16_t)(fz_u8(f) % 3), (uint16_t)(fz_u8(f) % 3));
			for (uint32_t k = 0; k < count && depth < 3; k++)
				build_generic(capn_list_struct_at(l, k), depth + 1);
			break;
		}
		case 5:
			capn_set_cap(s, i, fz_u8(f) % 4);
			break;
		case 6: {
			uint32_t count = fz_u8(f) % 16;
			capn_list_b l = capn_init_list(s, i, (enum capn_elem_size)(fz_u8(f) % 6), count);
			for (uint32_t k = 0; k < count; k++)
				capn_list_set_u8(l, k, fz_u8(f));
			break;
		}
		default: {
			uint32_t count = fz_u8(f) % 4;
			capn_list_b l = capn_init_list(s, i, CAPN_SZ_POINTER, count);
			for (uint32_t k = 0; k < count; k++) {
				b = fz_bytes(f, 32, &n);
				capn_set_text(capn_list_ptr_elem(l, k), 0, (const char *)b, n);
			}
			break;
		}
		}
	}
}

static void build_template(struct proc_rec *p, int t, struct capn_builder *b)
{
	struct fz *f = rd.f;
	const char *s;
	size_t n;
	switch (t) {
	case RD_T_CONSOLE_WRITE:
	case RD_T_CONSOLE_WRITE_LINE: {
		const uint8_t *txt = fz_bytes(f, 200, &n);
		capos_Console_write_Params_set_text(capos_Console_write_Params_new_root(b), (const char *)txt, n);
		break;
	}
	case RD_T_CONSOLE_READ_LINE: {
		static const uint32_t max[] = { 0, 1, 16, 4096, 4097, 100 };
		unsigned sel = fz_u8(f);
		capos_Console_readLine_Params_set_maxBytes(capos_Console_readLine_Params_new_root(b),
		                                           sel < 240 ? max[sel % 6] : fz_u32(f));
		break;
	}
	case RD_T_TIMER_SLEEP: {
		static const uint64_t ns[] = { 0, 1, 1000, 1000000, 20000000, 1000000000, UINT64_MAX, 1ull << 62 };
		unsigned sel = fz_u8(f);
		capos_Timer_sleep_Params_set_ns(capos_Timer_sleep_Params_new_root(b), sel < 240 ? ns[sel % 8] : fz_u64(f));
		break;
	}
	case RD_T_SPAWN: {
		capos_ProcessSpawner_spawn_Params_b sp = capos_ProcessSpawner_spawn_Params_new_root(b);
		pick_name(NULL, &s, &n);
		if (!n) {
			s = "kid";
			n = 3;
		}
		capos_ProcessSpawner_spawn_Params_set_name(sp, s, n);
		pick_name(rd.cfg->binaries, &s, &n);
		capos_ProcessSpawner_spawn_Params_set_binary(sp, s, n);
		uint32_t ng = fz_u8(f) % 5;
		capos_CapGrant_list_b gl = capos_ProcessSpawner_spawn_Params_init_grants(sp, ng);
		for (uint32_t i = 0; i < ng; i++) {
			capos_CapGrant_b g = capos_CapGrant_list_at(gl, i);
			static const char *const gnames[] = { "console", "timer", "null", "echo", "x", NULL };
			pick_name(gnames, &s, &n);
			capos_CapGrant_set_name(g, s, n);
			capos_CapGrant_set_cap(g, pick_cap(p));
			capos_CapGrant_set_mode(g, (enum capos_TransferMode)(fz_u8(f) % 3));
			capos_CapGrant_set_scope(g, (enum capos_CapScope)(fz_u8(f) % 3));
		}
		if (fz_bool(f)) {
			capos_Quota_b q = capos_ProcessSpawner_spawn_Params_init_quota(sp);
			capos_Quota_set_capSlots(q, fz_u8(f) % 8);
			capos_Quota_set_outstandingCalls(q, fz_u8(f) % 8);
			capos_Quota_set_memoryPages(q, fz_bool(f) ? 0 : fz_u32(f) % 4096);
			capos_Quota_set_children(q, fz_u8(f) % 4);
		}
		break;
	}
#ifdef CAPOS_PROCESS_SPAWNER_METHOD_START_SERVICE
	case RD_T_START_SERVICE:
		pick_name(rd.cfg->services, &s, &n);
		capos_ProcessSpawner_startService_Params_set_name(capos_ProcessSpawner_startService_Params_new_root(b), s, n);
		break;
#endif
	case RD_T_MINT: {
		capos_Endpoint_mint_Params_b m = capos_Endpoint_mint_Params_new_root(b);
		capos_Endpoint_mint_Params_set_badge(m, fz_u8(f) < 128 ? fz_u8(f) : fz_u64(f));
		unsigned sel = fz_u8(f) % 4;
		capos_Endpoint_mint_Params_set_interfaceId(
			m, sel == 0 ? 0 : sel == 1 ? CAPOS_ECHO_INTERFACE_ID
			           : sel == 2 ? capos_interfaces[fz_u8(f) % capos_interface_count].id : fz_u64(f));
		break;
	}
	case RD_T_EP_CREATE: {
		unsigned sel = fz_u8(f) % 4;
		capos_EndpointFactory_create_Params_set_interfaceId(
			capos_EndpointFactory_create_Params_new_root(b),
			sel == 0 ? 0 : sel == 1 ? CAPOS_ECHO_INTERFACE_ID
			           : sel == 2 ? capos_interfaces[fz_u8(f) % capos_interface_count].id : fz_u64(f));
		break;
	}
	case RD_T_ECHO: {
		const uint8_t *d = fz_bytes(f, 200, &n);
		capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(b), d, n);
		break;
	}
	case RD_T_SWAP:
		capos_Echo_swap_Params_set_cap(capos_Echo_swap_Params_new_root(b), fz_u8(f) % 4);
		break;
	case RD_T_VM_MAP: {
		capos_VirtualMemory_map_Params_b m = capos_VirtualMemory_map_Params_new_root(b);
		capos_VirtualMemory_map_Params_set_hint(m, fz_bool(f) ? 0 : pick_value(p));
		rd.last_arg = pick_size();
		capos_VirtualMemory_map_Params_set_size(m, rd.last_arg);
		capos_VirtualMemory_map_Params_set_prot(m, fz_u8(f) < 240 ? fz_u8(f) % 8 : fz_u32(f));
		break;
	}
	case RD_T_VM_UNMAP: {
		capos_VirtualMemory_unmap_Params_b m = capos_VirtualMemory_unmap_Params_new_root(b);
		uint64_t addr, size;
		pick_vm_range(p, &addr, &size);
		capos_VirtualMemory_unmap_Params_set_addr(m, addr);
		capos_VirtualMemory_unmap_Params_set_size(m, size);
		break;
	}
	case RD_T_VM_PROTECT: {
		capos_VirtualMemory_protect_Params_b m = capos_VirtualMemory_protect_Params_new_root(b);
		uint64_t addr, size;
		pick_vm_range(p, &addr, &size);
		capos_VirtualMemory_protect_Params_set_addr(m, addr);
		capos_VirtualMemory_protect_Params_set_size(m, size);
		capos_VirtualMemory_protect_Params_set_prot(m, fz_u8(f) < 240 ? fz_u8(f) % 8 : fz_u32(f));
		break;
	}
	case RD_T_FRAME_ALLOC: {
		static const uint32_t counts[] = { 0, 1, 2, 16, 1u << 20, UINT32_MAX, 3, 1 };
		capos_FrameAllocator_allocate_Params_set_count(capos_FrameAllocator_allocate_Params_new_root(b),
		                                               counts[fz_u8(f) % 8]);
		break;
	}
	case RD_T_FRAME_FREE: {
		capos_FrameAllocator_free_Params_b m = capos_FrameAllocator_free_Params_new_root(b);
		unsigned sel = fz_u8(f);
		if (p->nframes && sel < 160) {
			/* One of its allocations, exactly, or nearly. */
			struct range r = p->frames[fz_u8(f) % p->nframes];
			capos_FrameAllocator_free_Params_set_base(m, r.base + (sel % 4 == 3 ? HAL_PAGE_SIZE : 0));
			capos_FrameAllocator_free_Params_set_count(m, (uint32_t)r.size - (sel % 4 == 2));
		} else {
			capos_FrameAllocator_free_Params_set_base(m, pick_value(p));
			capos_FrameAllocator_free_Params_set_count(m, fz_u8(f) % 4);
		}
		break;
	}
	default: /* no parameters: an empty root */
		capn_builder_root(b, 0, 0);
		break;
	}
}

/* Build the parameters of a CALL (or the results of a RETURN) into out;
 * returns the framed length (0: no message). */
static size_t build_msg(struct proc_rec *p, uint64_t iface, uint16_t method, uint8_t *out, size_t cap)
{
	struct fz *f = rd.f;
	unsigned sel = fz_u8(f) % 16;
	if (sel < 3)
		return 0;
	if (sel == 14) {
		size_t n;
		const uint8_t *raw = fz_bytes(f, 512, &n);
		memcpy(out, raw, n);
		return n;
	}
	static uint8_t arena[MAX_MSG_BUILD] __attribute__((aligned(8)));
	static uint8_t small[2][64] __attribute__((aligned(8)));
	struct capn_builder b;
	if (fz_u8(f) < 32) {
		/* Small first arenas: far and double-far pointers. */
		capn_builder_init(&b, small[0], 24);
		capn_builder_add_arena(&b, small[1], 40);
		capn_builder_add_arena(&b, arena, sizeof(arena));
	} else {
		capn_builder_init(&b, arena, sizeof(arena));
	}
	if (sel == 12 || sel == 13) {
		build_generic(capn_builder_root(&b, (uint16_t)(fz_u8(f) % 3), (uint16_t)(fz_u8(f) % 4)), 0);
	} else {
		unsigned tsel = fz_u8(f);
		int t = template_for(iface, method);
		if (t < 0 || tsel >= 192)
			t = (int)(tsel % RD_T_COUNT);
		rd.last_template = t;
		build_template(p, t, &b);
	}
	size_t len = 0;
	if (capn_builder_write_framed(&b, out, cap, &len))
		return 0;
	if (sel == 15 && len) {
		/* A valid message, slightly broken. */
		switch (fz_u8(f) % 4) {
		case 0: out[fz_u16(f) % len] ^= (uint8_t)(1u << (fz_u8(f) % 8)); break;
		case 1: len -= 1 + fz_u8(f) % len; break;
		case 2: out[8 + fz_u8(f) % (len > 8 ? len - 8 : 1)] = fz_u8(f); break;
		default: memset(out, 0xff, 4); break;
		}
	}
	return len;
}

static void gen_msg(struct proc_rec *p, struct capos_sqe *s, uint64_t iface, uint16_t method)
{
	static uint8_t buf[MAX_MSG_BUILD + 64] __attribute__((aligned(8)));
	struct fz *f = rd.f;
	rd.last_template = -1;
	size_t len = build_msg(p, iface, method, buf, sizeof(buf));
	if (!len)
		return;
	bool chk;
	s->msg = place(p, buf, len, &chk);
	unsigned sel = fz_u8(f);
	switch (sel < 240 ? 0 : sel % 5) {
	case 0: s->msg_len = (uint32_t)len; break;
	case 1: s->msg_len = (uint32_t)len - 1; break;
	case 2: s->msg_len = (uint32_t)len + 8; break;
	case 3: s->msg_len = CAPOS_MAX_MSG + (sel & 1); break;
	default: s->msg_len = fz_u32(f); break;
	}
}

static void gen_xfer(struct proc_rec *p, struct capos_sqe *s)
{
	struct fz *f = rd.f;
	if (fz_u8(f) % 8 != 7)
		return;
	struct capos_xfer x[4];
	unsigned n = 1 + fz_u8(f) % 4;
	for (unsigned i = 0; i < n; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].cap = pick_cap(p);
		unsigned m = fz_u8(f);
		switch (m % 4) {
		case 0: x[i].mode = CAPOS_XFER_COPY; break;
		case 1: x[i].mode = CAPOS_XFER_MOVE; break;
		case 2: x[i].mode = (uint8_t)(m >> 2); break;
		default: x[i].mode = CAPOS_XFER_COPY; x[i].reserved[m % 3] = (uint8_t)(m | 1); break;
		}
	}
	bool chk;
	s->xfer = place(p, x, n * sizeof(x[0]), &chk);
	unsigned c = fz_u8(f);
	s->xfer_count = c < 240 ? n : c % 40;
}

static void gen_buf(struct proc_rec *p, struct capos_sqe *s, struct pending *pd)
{
	struct fz *f = rd.f;
	uint32_t len;
	switch (fz_u8(f) % 8) {
	case 0: len = 0; break;
	case 1: len = sizeof(struct capos_msg_header); break;
	case 2: len = 64; break;
	case 3: len = 256; break;
	case 4: len = 4096; break;
	case 5: len = CAPOS_MAX_MSG + 256; break;
	case 6: len = fz_u16(f); break;
	default: len = fz_u32(f); break;
	}
	/* Room for what the kernel may write, whatever buf_len says. */
	bool chk;
	s->buf = place(p, NULL, len < MAX_ANSWER ? len : MAX_ANSWER, &chk);
	s->buf_len = len;
	pd->buf = s->buf;
	pd->buf_len = len;
	pd->checkable = chk;
	uint64_t ring_end = p->ring_uva + ((CAPOS_RING_BYTES + HAL_PAGE_SIZE - 1) & ~(uint64_t)(HAL_PAGE_SIZE - 1));
	if (len && s->buf < ring_end && s->buf + len > p->ring_uva)
		p->ring_unsafe = true;
}

/* One SQE of a SUBMIT; its pending record is filled in. */
static void gen_sqe(struct proc_rec *p, struct capos_sqe *s)
{
	static const uint8_t ops[16] = {
		CAPOS_OP_CALL, CAPOS_OP_CALL, CAPOS_OP_CALL, CAPOS_OP_CALL, CAPOS_OP_CALL, CAPOS_OP_CALL,
		CAPOS_OP_CALL, CAPOS_OP_CALL, CAPOS_OP_NOP, CAPOS_OP_RECV, CAPOS_OP_RECV, CAPOS_OP_RETURN,
		CAPOS_OP_RETURN, CAPOS_OP_RELEASE, CAPOS_OP_RELEASE, 0,
	};
	struct fz *f = rd.f;
	memset(s, 0, sizeof(*s));
	uint64_t token = p->next_token++;
	struct pending pd = { .token = token };
	unsigned sel = fz_u8(f) % 16;
	s->opcode = sel == 15 ? fz_u8(f) : ops[sel];
	s->user_data = token;
	switch (sel == 15 ? 0 : s->opcode) {
	case CAPOS_OP_CALL: {
		s->cap = pick_cap(p);
		s->iface = pick_iface(p, s->cap);
		unsigned m = fz_u8(f);
		s->method = m < 240 ? m % 4 : fz_u16(f);
		uint64_t iface = s->iface ? s->iface : iface_of(p, s->cap);
		gen_msg(p, s, iface, s->method);
		gen_xfer(p, s);
		gen_buf(p, s, &pd);
		unsigned t = fz_u8(f);
		if (t >= 240)
			s->timeout_us = t == 255 ? fz_u32(f) : (t - 239) * 100;
		int ci = capset_index(p, s->cap);
		pd.kind = CAPOS_OP_CALL;
		pd.kernel_obj = ci >= 0 && p->caps[ci].kernel_obj;
		pd.iface = iface;
		pd.method = s->method;
		if (rd.last_template == RD_T_VM_MAP)
			pd.arg = rd.last_arg;
		break;
	}
	case CAPOS_OP_RECV:
		s->cap = pick_cap(p);
		gen_buf(p, s, &pd);
		pd.kind = CAPOS_OP_RECV;
		break;
	case CAPOS_OP_RETURN: {
		s->cap = p->ncalls && fz_u8(f) < 224 ? p->calls[fz_u8(f) % p->ncalls] : pick_cap(p);
		bool exc = fz_u8(f) % 4 == 0;
		if (exc)
			s->flags = CAPOS_SQE_EXCEPTION;
		gen_msg(p, s, CAPOS_ECHO_INTERFACE_ID, (uint16_t)(fz_u8(f) % 3));
		gen_xfer(p, s);
		break;
	}
	case CAPOS_OP_RELEASE:
		s->cap = pick_cap(p);
		break;
	default:
		break;
	}
	/* Now and then, one field the opcode does not expect (the answer is
	 * then no longer the one the oracles know to expect). */
	if (fz_u8(f) < 16) {
		uint64_t v = fz_u64(f);
		pd.kernel_obj = false;
		switch (fz_u8(f) % 12) {
		case 0: s->opcode = (uint8_t)v; break;
		case 1: s->flags = (uint8_t)v; break;
		case 2: s->method = (uint16_t)v; break;
		case 3: s->cap = (uint32_t)v; break;
		case 4: s->user_data = v & ~TOKEN_TAG; break;
		case 5: s->iface = v; break;
		case 6: s->msg = v; break;
		case 7: s->msg_len = (uint32_t)v; break;
		case 8: s->xfer_count = (uint32_t)v; break;
		case 9: s->xfer = v; break;
		case 10: s->buf_len = (uint32_t)v; break;
		default: s->timeout_us = (uint32_t)v; break;
		}
		pd.buf_len = s->buf_len;
		pd.checkable = false;
	}
	if (pd.kind && s->user_data == token)
		p->pend[token % RD_PENDING] = pd;
	trace_sqe(p, s);
}

/* ------------------------------------------------------------ actions */

enum action {
	A_SUBMIT, A_ENTER, A_CONSUME, A_RAW_SQE, A_HEADER, A_TIMER, A_EXIT, A_BAD_SYSCALL,
	A_FAULT, A_CONSOLE, A_SCRIBBLE, A_FAIL_ALLOC,
};

/* An action byte b means actions[b % 32]. */
static const uint8_t actions[32] = {
	A_SUBMIT, A_SUBMIT, A_SUBMIT, A_SUBMIT, A_SUBMIT, A_SUBMIT, A_SUBMIT, A_SUBMIT, A_SUBMIT,
	A_SUBMIT, A_SUBMIT, A_ENTER, A_ENTER, A_ENTER, A_ENTER, A_ENTER, A_ENTER, A_CONSUME,
	A_CONSUME, A_CONSUME, A_TIMER, A_TIMER, A_TIMER, A_RAW_SQE, A_HEADER, A_EXIT, A_BAD_SYSCALL,
	A_FAULT, A_CONSOLE, A_CONSOLE, A_SCRIBBLE, A_FAIL_ALLOC,
};

static struct capos_sqe *sq_slot(uint32_t i)
{
	return (struct capos_sqe *)((uint8_t *)rd.ring + CAPOS_RING_SQ_OFFSET) + (i % CAPOS_SQ_ENTRIES);
}

static struct hal_ctx *enter(uint64_t min, uint64_t timeout)
{
	TRACE("  cap_enter(%llu, %llu)\n", (unsigned long long)min, (unsigned long long)timeout);
	struct hal_ctx *ctx = kernel_trap_syscall(CAPOS_SYS_CAP_ENTER, min, timeout, 0);
	return ctx;
}

static const char *const action_name[] = {
	"submit", "enter", "consume", "raw-sqe", "header", "timer", "exit", "bad-syscall",
	"fault", "console", "scribble", "fail-alloc",
};

static struct hal_ctx *step(struct proc_rec *p, struct hal_ctx *ctx)
{
	struct fz *f = rd.f;
	enum action a = actions[fz_u8(f) % 32];
	TRACE("pid %u: %s\n", p->pid, action_name[a]);
	switch (a) {
	case A_SUBMIT: {
		unsigned n = 1 + fz_u8(f) % 8;
		uint32_t tail = rd.ring->sq_tail;
		for (unsigned i = 0; i < n; i++) {
			struct capos_sqe s;
			gen_sqe(p, &s);
			/* Keep within one queue of the kernel's head (else that is
			 * ring corruption, which A_HEADER does on purpose). */
			if (tail - rd.ring->sq_head < CAPOS_SQ_ENTRIES)
				*sq_slot(tail++) = s;
		}
		rd.ring->sq_tail = tail;
		switch (fz_u8(f) % 4) {
		case 1: return enter(0, 0);
		case 2: return enter(n, CAPOS_WAIT_FOREVER);
		case 3: return enter(1, 1000000);
		default: return ctx;
		}
	}
	case A_ENTER: {
		static const uint64_t mins[] = { 0, 1, 2, 4, 8, 128, 129 };
		static const uint64_t timeouts[] = { 0, CAPOS_WAIT_FOREVER, 1000, 1000000, 100000000, 10000000000ull };
		unsigned ms = fz_u8(f) % 8, ts = fz_u8(f) % 8;
		uint64_t min = ms < 7 ? mins[ms] : fz_u32(f);
		uint64_t timeout = ts < 6 ? timeouts[ts] : ts == 6 ? fz_u32(f) : fz_u64(f);
		return enter(min, timeout);
	}
	case A_CONSUME: {
		unsigned b = fz_u8(f);
		if (b < 200)
			rd.ring->cq_head = rd.ring->cq_tail;
		else
			rd.ring->cq_head += b % 8;
		return ctx;
	}
	case A_RAW_SQE: {
		uint8_t raw[sizeof(struct capos_sqe)] = { 0 };
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = fz_u8(f);
		raw[offsetof(struct capos_sqe, user_data) + 7] &= 0x7f; /* never a token */
		p->ring_unsafe = true; /* its buffer may be anywhere */
		memcpy(sq_slot(rd.ring->sq_tail), raw, sizeof(raw));
		rd.ring->sq_tail++;
		return ctx;
	}
	case A_HEADER: {
		uint32_t *fields = (uint32_t *)rd.ring;
		unsigned field = fz_u8(f) % 8, how = fz_u8(f) % 4;
		switch (how) {
		case 0: fields[field]++; break;
		case 1: fields[field]--; break;
		case 2: fields[field] += field & 1 ? CAPOS_CQ_ENTRIES + 1 : CAPOS_SQ_ENTRIES + 1; break;
		default: fields[field] = fz_u32(f); break;
		}
		return ctx;
	}
	case A_TIMER: {
		static const uint64_t adv[] = { 0, 1000, 1000000, 10000000, 11000000, 1000000000 };
		unsigned s = fz_u8(f) % 8;
		fake_hal_advance(s < 6 ? adv[s] : s == 6 ? fz_u32(f) : fz_u64(f) >> 8);
		return kernel_trap_timer();
	}
	case A_EXIT:
		return kernel_trap_syscall(CAPOS_SYS_EXIT, (uint64_t)(int64_t)(int8_t)fz_u8(f), 0, 0);
	case A_BAD_SYSCALL: {
		unsigned b = fz_u8(f);
		uint64_t nr = b < 128 ? 3u + b : b < 250 ? (uint64_t)0 : fz_u64(f);
		return kernel_trap_syscall(nr, fz_u64(f), fz_u64(f), fz_u64(f));
	}
	case A_FAULT: {
		struct hal_fault fault = {
			.kind = (enum hal_fault_kind)(1 + fz_u8(f) % 6),
			.ip = fz_u32(f),
			.addr = fz_u32(f),
			.number = fz_u16(f),
			.detail = fz_bool(f) ? "fuzz" : NULL,
		};
		return kernel_trap_fault(&fault);
	}
	case A_CONSOLE: {
		unsigned b = fz_u8(f);
		if (b < 224) {
			size_t n;
			const uint8_t *txt = fz_bytes(f, 128, &n);
			fake_hal_console_feed(txt, n);
		} else {
			fake_hal_console_end();
		}
		return ctx;
	}
	case A_SCRIBBLE: {
		uint64_t off = ((uint64_t)fz_u16(f) * 16) % (WILD_BYTES - 256);
		size_t n;
		const uint8_t *bytes = fz_bytes(f, 128, &n);
		fake_hal_write(p->as, p->heap + off, bytes, n);
		return ctx;
	}
	default: { /* A_FAIL_ALLOC */
		unsigned b = fz_u8(f);
		fake_hal_fail_alloc_at(b < 128 ? (long)(b % 24) : -1);
		return ctx;
	}
	}
}

struct hal_ctx *rd_run(struct fz *f, struct hal_ctx *ctx, const struct rd_config *cfg)
{
	memset(&rd, 0, sizeof(rd));
	rd.trace = getenv("CAPOS_FUZZ_TRACE") != NULL;
	rd.cfg = cfg;
	rd.f = f;
	for (unsigned n = 0; ctx && fz_left(f) && n < RD_MAX_STEPS; n++) {
		struct proc_rec *p = find_proc(ctx);
		harvest(p);
		ctx = step(p, ctx);
	}
	fake_hal_fail_alloc_at(-1);
	return ctx;
}

/* ------------------------------------------------------------ encoders */

void rd_enc_byte(struct rd_prog *pr, uint8_t b)
{
	if (pr->len == pr->cap) {
		pr->cap = pr->cap ? pr->cap * 2 : 256;
		pr->p = realloc(pr->p, pr->cap);
		if (!pr->p)
			abort();
	}
	pr->p[pr->len++] = b;
}

static void enc_u16(struct rd_prog *pr, uint16_t v)
{
	rd_enc_byte(pr, (uint8_t)v);
	rd_enc_byte(pr, (uint8_t)(v >> 8));
}

static void enc_u32(struct rd_prog *pr, uint32_t v)
{
	enc_u16(pr, (uint16_t)v);
	enc_u16(pr, (uint16_t)(v >> 16));
}

/* The first index of actions[] that holds action a. */
static uint8_t action_byte(enum action a)
{
	for (uint8_t i = 0; i < 32; i++)
		if (actions[i] == a)
			return i;
	abort();
}

void rd_enc_submit(struct rd_prog *pr, unsigned n)
{
	rd_enc_byte(pr, action_byte(A_SUBMIT));
	rd_enc_byte(pr, (uint8_t)(n - 1));
}

void rd_enc_submit_end(struct rd_prog *pr, enum rd_enter_mode mode) { rd_enc_byte(pr, (uint8_t)mode); }

static void enc_capset_cap(struct rd_prog *pr, unsigned index)
{
	rd_enc_byte(pr, 0); /* pick_cap: a CapSet entry */
	rd_enc_byte(pr, (uint8_t)index);
}

static void enc_no_perturb(struct rd_prog *pr) { rd_enc_byte(pr, 0xff); }

static void enc_bump_buf(struct rd_prog *pr, uint32_t len)
{
	if (!len) {
		rd_enc_byte(pr, 0); /* gen_buf: length 0 */
	} else {
		rd_enc_byte(pr, 6); /* gen_buf: a 16-bit length */
		enc_u16(pr, (uint16_t)len);
	}
	rd_enc_byte(pr, 0); /* place: the checked area */
}

static void enc_text(struct rd_prog *pr, const char *t, size_t max)
{
	size_t n = t ? strlen(t) : 0;
	if (n > max)
		n = max;
	if (max <= 255)
		rd_enc_byte(pr, (uint8_t)n);
	else
		enc_u16(pr, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		rd_enc_byte(pr, (uint8_t)t[i]);
}

void rd_sqe_nop(struct rd_prog *pr)
{
	rd_enc_byte(pr, 8); /* ops[8] */
	enc_no_perturb(pr);
}

void rd_sqe_call(struct rd_prog *pr, unsigned cap_index, uint16_t method, enum rd_template t,
                 const char *arg, uint64_t num, uint32_t buf_len)
{
	rd_enc_byte(pr, 0);                      /* ops[0]: CALL */
	enc_capset_cap(pr, cap_index);
	rd_enc_byte(pr, 0);                      /* iface 0: the hold's own */
	rd_enc_byte(pr, (uint8_t)method);        /* method (< 4) */
	rd_enc_byte(pr, 3);                      /* build_msg: a template */
	rd_enc_byte(pr, 0xff);                   /* one big arena */
	/* Template t whatever the interface: a byte >= 192 that is t modulo
	 * RD_T_COUNT. */
	rd_enc_byte(pr, (uint8_t)(192 + (t + RD_T_COUNT - 192 % RD_T_COUNT) % RD_T_COUNT));
	switch (t) {
	case RD_T_CONSOLE_WRITE:
	case RD_T_CONSOLE_WRITE_LINE:
		enc_text(pr, arg, 200);
		break;
	case RD_T_CONSOLE_READ_LINE:
		rd_enc_byte(pr, 2);              /* maxBytes 16 */
		break;
	case RD_T_TIMER_SLEEP:
		rd_enc_byte(pr, (uint8_t)(num % 8)); /* index into the sleep table */
		break;
	case RD_T_SPAWN:
		rd_enc_byte(pr, 0xff);           /* name: from the input */
		enc_text(pr, arg ? arg : "kid", 80);
		rd_enc_byte(pr, 0);              /* binary: the first known one */
		rd_enc_byte(pr, (uint8_t)num);   /* grants */
		for (uint64_t i = 0; i < num; i++) {
			rd_enc_byte(pr, (uint8_t)i); /* grant name */
			enc_capset_cap(pr, (unsigned)i);
			rd_enc_byte(pr, 0);      /* copy */
			rd_enc_byte(pr, 0);      /* process scope */
		}
		rd_enc_byte(pr, 0);              /* no quota */
		break;
	case RD_T_START_SERVICE:
		rd_enc_byte(pr, (uint8_t)num);   /* a known service name */
		break;
	case RD_T_MINT:
		rd_enc_byte(pr, 0);              /* small badge ... */
		rd_enc_byte(pr, (uint8_t)num);
		rd_enc_byte(pr, 1);              /* ... for Echo */
		break;
	case RD_T_EP_CREATE:
		rd_enc_byte(pr, 1);              /* Echo */
		break;
	case RD_T_ECHO:
		enc_text(pr, arg, 200);
		break;
	case RD_T_VM_MAP:
		rd_enc_byte(pr, 1);              /* hint 0 */
		rd_enc_byte(pr, 2);              /* size: pages */
		rd_enc_byte(pr, (uint8_t)(num ? num - 1 : 0));
		rd_enc_byte(pr, 0);              /* prot ... */
		rd_enc_byte(pr, 3);              /* ... read-write */
		break;
	case RD_T_FRAME_ALLOC:
		rd_enc_byte(pr, 1);              /* one frame */
		break;
	default:
		break;
	}
	rd_enc_byte(pr, 0);                      /* place: checked area */
	rd_enc_byte(pr, 0);                      /* msg_len exact */
	rd_enc_byte(pr, 0);                      /* no transfers */
	enc_bump_buf(pr, buf_len);
	rd_enc_byte(pr, 0);                      /* no timeout */
	enc_no_perturb(pr);
}

void rd_sqe_release(struct rd_prog *pr, unsigned cap_index)
{
	rd_enc_byte(pr, 13); /* ops[13]: RELEASE */
	enc_capset_cap(pr, cap_index);
	enc_no_perturb(pr);
}

void rd_sqe_recv(struct rd_prog *pr, unsigned cap_index, uint32_t buf_len)
{
	rd_enc_byte(pr, 9); /* ops[9]: RECV */
	enc_capset_cap(pr, cap_index);
	enc_bump_buf(pr, buf_len);
	enc_no_perturb(pr);
}

void rd_sqe_return(struct rd_prog *pr, unsigned call_index, bool exception)
{
	rd_enc_byte(pr, 11); /* ops[11]: RETURN */
	rd_enc_byte(pr, 0);  /* a received call id ... */
	rd_enc_byte(pr, (uint8_t)call_index);
	rd_enc_byte(pr, exception ? 0 : 1);
	rd_enc_byte(pr, CAPOS_ECHO_METHOD_PING);
	rd_enc_byte(pr, exception ? 12 : 3); /* build_msg: generic or a template */
	rd_enc_byte(pr, 0xff);               /* one big arena */
	if (exception) {
		rd_enc_byte(pr, 1);          /* one data word ... */
		rd_enc_byte(pr, 1);          /* ... and one pointer */
		rd_enc_byte(pr, 0x80);       /* data word 0: 64 bits ... */
		enc_u32(pr, 4u << 16);       /* ... type failed, code 4 (noSuchMethod) */
		enc_u32(pr, 0);
		rd_enc_byte(pr, 1);          /* pointer 0: text */
		enc_text(pr, "no", 64);
	} else {
		rd_enc_byte(pr, 0);          /* the template for Echo.ping */
	}
	rd_enc_byte(pr, 0);                  /* place: checked area */
	rd_enc_byte(pr, 0);                  /* msg_len exact */
	rd_enc_byte(pr, 0);                  /* no transfers */
	enc_no_perturb(pr);
}

void rd_enc_enter(struct rd_prog *pr, uint32_t min, bool forever)
{
	rd_enc_byte(pr, action_byte(A_ENTER));
	rd_enc_byte(pr, 7); /* min: 32 bits follow */
	enc_u32(pr, min);
	rd_enc_byte(pr, forever ? 1 : 0);
}

void rd_enc_consume(struct rd_prog *pr)
{
	rd_enc_byte(pr, action_byte(A_CONSUME));
	rd_enc_byte(pr, 0);
}

void rd_enc_timer(struct rd_prog *pr, unsigned sel)
{
	rd_enc_byte(pr, action_byte(A_TIMER));
	rd_enc_byte(pr, (uint8_t)sel);
}

void rd_enc_exit(struct rd_prog *pr, uint8_t code)
{
	rd_enc_byte(pr, action_byte(A_EXIT));
	rd_enc_byte(pr, code);
}

void rd_enc_console(struct rd_prog *pr, const char *text)
{
	rd_enc_byte(pr, action_byte(A_CONSOLE));
	if (!text) {
		rd_enc_byte(pr, 0xff); /* end of input */
		return;
	}
	rd_enc_byte(pr, 0);
	enc_text(pr, text, 128);
}

void rd_enc_header(struct rd_prog *pr, unsigned field, unsigned how)
{
	rd_enc_byte(pr, action_byte(A_HEADER));
	rd_enc_byte(pr, (uint8_t)field);
	rd_enc_byte(pr, (uint8_t)how);
}

void rd_enc_fault(struct rd_prog *pr, unsigned kind)
{
	rd_enc_byte(pr, action_byte(A_FAULT));
	rd_enc_byte(pr, (uint8_t)(kind - 1));
	enc_u32(pr, 0x1000);
	enc_u32(pr, 0xdead);
	enc_u16(pr, 0);
	rd_enc_byte(pr, 1);
}

void rd_enc_bad_syscall(struct rd_prog *pr, uint8_t nr)
{
	rd_enc_byte(pr, action_byte(A_BAD_SYSCALL));
	rd_enc_byte(pr, nr);
	for (int i = 0; i < 24; i++)
		rd_enc_byte(pr, 0);
}

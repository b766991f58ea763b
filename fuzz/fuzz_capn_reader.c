/*
 * fuzz_capn_reader.c - the Cap'n Proto reader (schema/capnp/capn_read.c)
 * and deep copy (capn_copy_ptr in capn_build.c) on arbitrary bytes.
 *
 * The input is one framed message. Each input is read
 *
 *   1. framed in place, with the kernel's tight traversal limit for call
 *      parameters (kernel/ring.c), walked generically: every pointer,
 *      recursively (bounded depth): structs, lists of every element size
 *      (also re-read as every other list kind, which exercises the
 *      compatible-upgrade rules), text, data, capabilities, far pointers;
 *   2. the same, with each segment copied into its own heap block and read
 *      through capn_reader_init_segments, so that AddressSanitizer sees a
 *      read that leaves its segment even when it stays inside the input;
 *      the two walks must agree exactly (a digest of everything read);
 *   3. as a Manifest and as a CapException (and a few parameter structs)
 *      through the generated accessors (schema/gen/capos.capnp.h);
 *   4. deep-copied with capn_copy_ptr into a builder (arenas chosen so that
 *      far and double-far pointers happen), framed, re-read and walked:
 *      when the original read cleanly, the copy must read cleanly and give
 *      the same digest.
 *
 * Beyond ASan/UBSan, every struct, list, text and data the reader returns
 * is checked to lie inside one segment of its message, every text to be
 * NUL-terminated, and fields beyond a struct's end to read as defaults.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_DEPTH 24          /* pointer levels the generic walk follows */
#define NODE_BUDGET 20000u    /* structs and lists one walk visits */
#define LIST_HEAD 24u         /* elements walked at the start of a list ... */
#define LIST_TAIL 8u          /* ... and at its end */

/* ------------------------------------------------------------ bounds */

static void check_range(const struct capn_reader *r, const struct capn_segment *seg,
                        const void *p, uint64_t bytes, const char *what)
{
	if (!seg) {
		if (bytes)
			fuzz_fail("capn: %s of %llu bytes with no segment", what, (unsigned long long)bytes);
		return;
	}
	if (seg < r->segs || seg >= r->segs + r->nsegs)
		fuzz_fail("capn: %s refers to a segment that is not its message's", what);
	const uint8_t *b = p, *s0 = seg->data, *s1 = seg->data + (size_t)seg->words * 8u;
	if (b < s0 || b > s1 || bytes > (uint64_t)(s1 - b))
		fuzz_fail("capn: %s [%p, +%llu) leaves its segment [%p, %p)", what, p,
		          (unsigned long long)bytes, (const void *)s0, (const void *)s1);
}

static void check_struct(const struct capn_reader *r, capn_struct_r s)
{
	if (!s.data_bytes && !s.ptr_count)
		return;
	check_range(r, s.seg, s.data, s.data_bytes, "struct data");
	check_range(r, s.seg, s.ptrs, (uint64_t)s.ptr_count * 8u, "struct pointers");
	if (s.ptrs != s.data + s.data_bytes)
		fuzz_fail("capn: struct pointers do not follow its data");
}

static void check_list(const struct capn_reader *r, capn_list_r l)
{
	if (!l.count || !l.step_bits)
		return;
	check_range(r, l.seg, l.data, ((uint64_t)l.count * l.step_bits + 7u) / 8u, "list");
	if ((uint64_t)l.elem_data_bits + 64u * l.elem_ptr_count > l.step_bits)
		fuzz_fail("capn: list element (%u data bits, %u pointers) wider than its step %u",
		          l.elem_data_bits, l.elem_ptr_count, l.step_bits);
}

static void check_text(const struct capn_reader *r, capn_text t, const char *what)
{
	if (!t.str)
		fuzz_fail("capn: %s: NULL text", what);
	if (t.str[t.len] != '\0')
		fuzz_fail("capn: %s: text not NUL-terminated", what);
	/* Inside a segment, or a default (a constant outside the message). */
	for (uint32_t i = 0; i < r->nsegs; i++) {
		const uint8_t *s0 = r->segs[i].data, *s1 = s0 + (size_t)r->segs[i].words * 8u;
		if ((const uint8_t *)t.str >= s0 && (const uint8_t *)t.str < s1) {
			check_range(r, &r->segs[i], t.str, (uint64_t)t.len + 1, what);
			return;
		}
	}
	if (t.len)
		(void)strlen(t.str); /* a default: ASan checks it is a real string */
}

static void check_data(const struct capn_reader *r, capn_data d, const char *what)
{
	if (!d.ptr || !d.len)
		return;
	for (uint32_t i = 0; i < r->nsegs; i++) {
		const uint8_t *s0 = r->segs[i].data, *s1 = s0 + (size_t)r->segs[i].words * 8u;
		if (d.ptr >= s0 && d.ptr < s1) {
			check_range(r, &r->segs[i], d.ptr, d.len, what);
			return;
		}
	}
	fuzz_fail("capn: %s: %u bytes of data outside every segment", what, d.len);
}

/* ------------------------------------------------------------ the generic walk */

struct walk {
	struct capn_reader *r;
	uint64_t h;          /* digest of everything read */
	unsigned nodes;
	int real_err;        /* the first error that was not a kind probe's */
};

static void mix(struct walk *w, uint64_t v)
{
	w->h ^= v;
	w->h *= 0x100000001b3ull;
	w->h ^= w->h >> 29;
}

/* Run one read with a clean error slot; returns its error. */
#define PROBE(w, expr) ((w)->r->err = CAPN_OK, (expr), (w)->r->err)

static void note_err(struct walk *w, int err)
{
	mix(w, 0xe0000u + (unsigned)err);
	if (!w->real_err)
		w->real_err = err;
}

static void walk_ptr(struct walk *w, capn_struct_r s, uint16_t i, int depth);

static void walk_struct(struct walk *w, capn_struct_r s, int depth)
{
	if (w->nodes++ >= NODE_BUDGET)
		return;
	check_struct(w->r, s);
	mix(w, 0x5000000u + s.data_bytes);
	mix(w, s.ptr_count);
	for (uint32_t off = 0; off + 8 <= s.data_bytes; off += 8)
		mix(w, capn_get_u64(s, off, 0));
	if (s.data_bytes) {
		mix(w, capn_get_u8(s, s.data_bytes - 1, 0));
		mix(w, capn_get_bool(s, s.data_bytes * 8 - 1, false));
	}
	/* Past the end: the defaults, whatever the bytes after it say. */
	if (capn_get_u64(s, s.data_bytes, 0x1122334455667788ull) != 0x1122334455667788ull ||
	    capn_get_u32(s, s.data_bytes + 4, 77) != 77 || capn_get_bool(s, s.data_bytes * 8, true) != true)
		fuzz_fail("capn: a field past the end of a struct does not read as its default");
	if (capn_has_ptr(s, s.ptr_count) || capn_get_cap(s, s.ptr_count) != CAPN_NULL_CAP)
		fuzz_fail("capn: a pointer past the end of a struct is not null");
	for (uint16_t i = 0; i < s.ptr_count && w->nodes < NODE_BUDGET; i++)
		walk_ptr(w, s, i, depth);
}

/* Elements to visit: the first LIST_HEAD and the last LIST_TAIL. */
static uint32_t next_index(uint32_t i, uint32_t count)
{
	i++;
	if (i == LIST_HEAD && count > LIST_HEAD + LIST_TAIL)
		i = count - LIST_TAIL;
	return i;
}

static void walk_list(struct walk *w, capn_list_r l, int depth)
{
	if (w->nodes++ >= NODE_BUDGET)
		return;
	check_list(w->r, l);
	mix(w, 0x1000000u + l.elem_size);
	mix(w, l.count);
	mix(w, l.step_bits);
	mix(w, l.elem_data_bits);
	mix(w, l.elem_ptr_count);
	for (uint32_t i = 0; i < l.count && w->nodes < NODE_BUDGET; i = next_index(i, l.count)) {
		switch (l.elem_size) {
		case CAPN_SZ_VOID:
			mix(w, i);
			break;
		case CAPN_SZ_BIT:
			mix(w, capn_list_get_bool(l, i));
			break;
		case CAPN_SZ_BYTE:
			mix(w, capn_list_get_u8(l, i));
			break;
		case CAPN_SZ_2BYTES:
			mix(w, capn_list_get_u16(l, i));
			break;
		case CAPN_SZ_4BYTES:
			mix(w, capn_list_get_u32(l, i));
			break;
		case CAPN_SZ_8BYTES:
			mix(w, capn_list_get_u64(l, i));
			break;
		case CAPN_SZ_POINTER:
			walk_ptr(w, capn_list_get_struct(l, i), 0, depth + 1);
			break;
		default:
			walk_struct(w, capn_list_get_struct(l, i), depth + 1);
			break;
		}
	}
	/* An index past the end is an error and reads as zero. */
	int e = PROBE(w, (void)capn_list_get_u64(l, l.count));
	if (e != CAPN_ERR_INDEX)
		fuzz_fail("capn: list index %u of %u: error %d, not CAPN_ERR_INDEX", l.count, l.count, e);
	w->r->err = CAPN_OK;
}

/* The same pointer read as every list kind, and as text and data: whatever
 * the encoding, a read either fails or returns something in bounds. */
static void reread_list(struct walk *w, capn_struct_r s, uint16_t i)
{
	for (int kind = CAPN_LIST_VOID; kind <= CAPN_LIST_STRUCT; kind++) {
		capn_list_r l;
		if (PROBE(w, l = capn_get_list(s, i, (enum capn_list_kind)kind, NULL)))
			continue;
		check_list(w->r, l);
		if (!l.count)
			continue;
		uint32_t last = l.count - 1;
		switch (kind) {
		case CAPN_LIST_BIT: (void)capn_list_get_bool(l, last); break;
		case CAPN_LIST_BYTE: (void)capn_list_get_u8(l, last); break;
		case CAPN_LIST_2BYTES: (void)capn_list_get_u16(l, last); break;
		case CAPN_LIST_4BYTES: (void)capn_list_get_u32(l, last); break;
		case CAPN_LIST_8BYTES: (void)capn_list_get_u64(l, last); break;
		case CAPN_LIST_POINTER: {
			capn_text t = capn_list_get_text(l, last);
			check_text(w->r, t, "text list element");
			check_data(w->r, capn_list_get_data(l, 0), "data list element");
			capn_list_r inner = capn_list_get_list(l, 0, CAPN_LIST_8BYTES);
			check_list(w->r, inner);
			(void)capn_list_get_cap(l, last);
			break;
		}
		case CAPN_LIST_STRUCT:
			check_struct(w->r, capn_list_get_struct(l, last));
			break;
		default:
			break;
		}
	}
	capn_text t;
	if (!PROBE(w, t = capn_get_text(s, i, "dflt", 4)))
		check_text(w->r, t, "text");
	capn_data d;
	if (!PROBE(w, d = capn_get_data(s, i, NULL, 0)))
		check_data(w->r, d, "data");
	w->r->err = CAPN_OK;
}

static void walk_ptr(struct walk *w, capn_struct_r s, uint16_t i, int depth)
{
	if (!capn_has_ptr(s, i)) {
		mix(w, 0x70000u);
		return;
	}
	if (depth >= MAX_DEPTH) {
		mix(w, 0x70001u);
		return;
	}
	capn_struct_r c;
	int e = PROBE(w, c = capn_get_struct(s, i, NULL));
	if (!e) {
		/* A far pointer to a null landing pad reads as null, as in the
		 * reference implementation (whose hasX(), like capn_has_ptr,
		 * still says "set"); a copy makes it a plain null, and an empty
		 * struct reads the same: digest them alike. */
		if (!c.data_bytes && !c.ptr_count)
			mix(w, 0x70000u);
		else
			walk_struct(w, c, depth + 1);
		return;
	}
	if (e == CAPN_ERR_POINTER_KIND) {
		capn_list_r l;
		e = PROBE(w, l = capn_get_list(s, i, CAPN_LIST_VOID, NULL));
		if (!e) {
			walk_list(w, l, depth);
			reread_list(w, s, i);
			return;
		}
	}
	if (e == CAPN_ERR_POINTER_KIND) {
		uint32_t cap;
		e = PROBE(w, cap = capn_get_cap(s, i));
		if (!e) {
			/* Index 0xffffffff reads as CAPN_NULL_CAP, i.e. no
			 * capability, and copies as a null pointer. */
			mix(w, cap == CAPN_NULL_CAP ? 0x70000u : 0xca000000u ^ cap);
			return;
		}
	}
	w->r->err = CAPN_OK;
	note_err(w, e);
}

/* Walk a whole message from its root pointer. */
static void walk_message(struct walk *w)
{
	capn_struct_r root;
	int e = PROBE(w, root = capn_reader_root(w->r));
	if (e) {
		note_err(w, e);
		w->r->err = CAPN_OK;
		/* A root that is not a struct: walk it as a pointer anyway. */
		if (e != CAPN_ERR_POINTER_KIND || !w->r->nsegs)
			return;
	}
	if (!w->r->nsegs)
		return;
	/* The root pointer itself, viewed as the one pointer of a struct. */
	capn_struct_r holder = {
		.msg = w->r,
		.seg = &w->r->segs[0],
		.data = w->r->segs[0].data,
		.ptrs = w->r->segs[0].data,
		.ptr_count = 1,
		.nesting_left = (int16_t)w->r->nesting_limit,
	};
	walk_ptr(w, holder, 0, 0);
}

/* ------------------------------------------------------------ typed reads */

static void typed_manifest(struct capn_reader *r)
{
	capos_Manifest_r m = capos_Manifest_read_root(r);
	(void)capos_Manifest_get_version(m);
	capos_Service_list_r sl = capos_Manifest_get_services(m);
	for (uint32_t i = 0; i < capos_Service_list_len(sl) && i < 80; i++) {
		capos_Service_r s = capos_Service_list_get(sl, i);
		check_text(r, capos_Service_get_name(s), "Service.name");
		check_text(r, capos_Service_get_binary(s), "Service.binary");
		capos_ServiceGrant_list_r gl = capos_Service_get_caps(s);
		for (uint32_t j = 0; j < capos_ServiceGrant_list_len(gl) && j < 80; j++) {
			capos_ServiceGrant_r g = capos_ServiceGrant_list_get(gl, j);
			check_text(r, capos_ServiceGrant_get_name(g), "ServiceGrant.name");
			check_text(r, capos_ServiceGrant_get_interface(g), "ServiceGrant.interface");
			(void)capos_ServiceGrant_get_interfaceId(g);
			(void)capos_ServiceGrant_get_badge(g);
			(void)capos_ServiceGrant_get_policy(g);
			capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
			if (capos_ServiceGrant_source_which(src) == CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL) {
				(void)capos_ServiceGrant_source_get_kernel(src);
			} else {
				capos_ServiceExport_r se = capos_ServiceGrant_source_get_service(src);
				check_text(r, capos_ServiceExport_get_service(se), "ServiceExport.service");
				check_text(r, capos_ServiceExport_get_export(se), "ServiceExport.export");
			}
		}
		capos_Export_list_r el = capos_Service_get_exports(s);
		for (uint32_t j = 0; j < capos_Export_list_len(el) && j < 80; j++) {
			capos_Export_r e = capos_Export_list_get(el, j);
			check_text(r, capos_Export_get_name(e), "Export.name");
			check_text(r, capos_Export_get_interface(e), "Export.interface");
			(void)capos_Export_get_interfaceId(e);
		}
		capos_Quota_r q = capos_Service_get_quota(s);
		(void)capos_Quota_get_capSlots(q);
		(void)capos_Quota_get_outstandingCalls(q);
		(void)capos_Quota_get_memoryPages(q);
		(void)capos_Quota_get_children(q);
		capn_list_r args = capos_Service_get_args(s);
		for (uint32_t j = 0; j < capn_list_len(args) && j < 80; j++)
			check_text(r, capn_list_get_text(args, j), "Service.args");
#ifdef CAPOS_START_MODE_TYPE_ID
		(void)capos_Service_get_start(s);
#endif
	}
	capos_Binary_list_r bl = capos_Manifest_get_binaries(m);
	for (uint32_t i = 0; i < capos_Binary_list_len(bl) && i < 80; i++) {
		capos_Binary_r b = capos_Binary_list_get(bl, i);
		check_text(r, capos_Binary_get_name(b), "Binary.name");
		if (capos_Binary_which(b) == CAPOS_BINARY_WHICH_IMAGE)
			check_data(r, capos_Binary_get_image(b), "Binary.image");
		else
			check_text(r, capos_Binary_get_path(b), "Binary.path");
	}
	capos_File_list_r fl = capos_Manifest_get_files(m);
	for (uint32_t i = 0; i < capos_File_list_len(fl) && i < 80; i++) {
		capos_File_r f = capos_File_list_get(fl, i);
		check_text(r, capos_File_get_path(f), "File.path");
		if (capos_File_which(f) == CAPOS_FILE_WHICH_DATA)
			check_data(r, capos_File_get_data(f), "File.data");
		else
			check_text(r, capos_File_get_hostPath(f), "File.hostPath");
	}
}

static void typed_others(struct capn_reader *r)
{
	capos_CapException_r e = capos_CapException_read_root(r);
	(void)capos_CapException_get_type(e);
	(void)capos_CapException_get_code(e);
	check_text(r, capos_CapException_get_message(e), "CapException.message");

	capos_ProcessSpawner_spawn_Params_r sp = capos_ProcessSpawner_spawn_Params_read_root(r);
	check_text(r, capos_ProcessSpawner_spawn_Params_get_name(sp), "spawn.name");
	check_text(r, capos_ProcessSpawner_spawn_Params_get_binary(sp), "spawn.binary");
	capos_CapGrant_list_r gl = capos_ProcessSpawner_spawn_Params_get_grants(sp);
	for (uint32_t i = 0; i < capos_CapGrant_list_len(gl) && i < 40; i++) {
		capos_CapGrant_r g = capos_CapGrant_list_get(gl, i);
		check_text(r, capos_CapGrant_get_name(g), "CapGrant.name");
		(void)capos_CapGrant_get_cap(g);
		(void)capos_CapGrant_get_mode(g);
		(void)capos_CapGrant_get_scope(g);
	}
	capos_Quota_r q = capos_ProcessSpawner_spawn_Params_get_quota(sp);
	(void)capos_Quota_get_memoryPages(q);

	capos_Console_readLine_Results_r rl = capos_Console_readLine_Results_read_root(r);
	check_text(r, capos_Console_readLine_Results_get_line(rl), "readLine.line");
	(void)capos_Console_readLine_Results_get_eof(rl);

	capos_Echo_echo_Params_r ep = capos_Echo_echo_Params_read_root(r);
	check_data(r, capos_Echo_echo_Params_get_data(ep), "echo.data");
	capos_Echo_swap_Params_r sw = capos_Echo_swap_Params_read_root(r);
	(void)capos_Echo_swap_Params_get_cap(sw);
	capos_ProcessHandle_wait_Results_r wr = capos_ProcessHandle_wait_Results_read_root(r);
	capos_ExitStatus_r st = capos_ProcessHandle_wait_Results_get_status(wr);
	if (capos_ExitStatus_which(st) == CAPOS_EXIT_STATUS_WHICH_FAULT)
		check_text(r, capos_ExitStatus_get_fault(st), "ExitStatus.fault");
	else
		(void)capos_ExitStatus_get_code(st);
}

/* ------------------------------------------------------------ the harness */

/* What ring.c gives call parameters. */
static struct capn_limits kernel_limits(size_t len)
{
	struct capn_limits lim = { 4 * (len / 8) + 64, 32 };
	return lim;
}

static struct capn_limits roomy_limits(size_t len)
{
	struct capn_limits lim = { 64 * (len / 8) + 1024, CAPN_DEFAULT_NESTING_LIMIT };
	return lim;
}

static uint8_t copy_arena[1u << 20] __attribute__((aligned(8)));
static uint8_t copy_small[4][256] __attribute__((aligned(8)));
static uint8_t copy_out[(1u << 20) + 4096] __attribute__((aligned(8)));

/* Deep-copy the root of r into a builder whose arenas depend on `shape`,
 * frame it into copy_out; returns the framed length or 0. */
static size_t copy_message(struct capn_reader *r, unsigned shape)
{
	struct capn_builder b;
	capn_struct_b root;
	switch (shape % 3) {
	case 0: /* one big arena */
		capn_builder_init(&b, copy_arena, sizeof(copy_arena));
		break;
	case 1: /* small arenas first: far pointers */
		capn_builder_init(&b, copy_small[0], 64);
		for (int i = 1; i < 4; i++)
			capn_builder_add_arena(&b, copy_small[i], 40u + 72u * (unsigned)i);
		capn_builder_add_arena(&b, copy_arena, sizeof(copy_arena));
		break;
	default: /* a tiny first arena that only fits the root: double-far */
		capn_builder_init(&b, copy_small[0], 24);
		capn_builder_add_arena(&b, copy_small[1], 16);
		capn_builder_add_arena(&b, copy_arena, sizeof(copy_arena));
		break;
	}
	root = capn_builder_root(&b, 0, 1);
	if (capn_builder_error(&b) || !r->nsegs)
		return 0;
	capn_struct_r holder = {
		.msg = r,
		.seg = &r->segs[0],
		.data = r->segs[0].data,
		.ptrs = r->segs[0].data,
		.ptr_count = 1,
		.nesting_left = (int16_t)r->nesting_limit,
	};
	int err = capn_copy_ptr(root, 0, holder, 0);
	if (err || capn_builder_error(&b))
		return 0;
	/* The copy of the root pointer sits in a one-pointer root struct:
	 * unwrap it by framing, then reading that struct's pointer. */
	size_t len;
	if (capn_builder_write_framed(&b, copy_out, sizeof(copy_out), &len))
		return 0;
	if (len != capn_builder_framed_size(&b))
		fuzz_fail("capn: framed %zu bytes, capn_builder_framed_size says %zu", len,
		          capn_builder_framed_size(&b));
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capn_reader r, r2, rc;
	size_t consumed = 0;

	/* 1. framed, kernel limits */
	struct capn_limits lim = kernel_limits(size);
	int e = capn_reader_init_framed(&r, data, size, &lim, &consumed);
	if (e) {
		if (r.nsegs || r.err != e)
			fuzz_fail("capn: a refused message is not empty (nsegs %u, err %d/%d)", r.nsegs, r.err, e);
		capn_struct_r root = capn_reader_root(&r);
		if (root.data_bytes || root.ptr_count)
			fuzz_fail("capn: a refused message has a root");
		return 0;
	}
	if (consumed > size || consumed < 8)
		fuzz_fail("capn: consumed %zu of %zu bytes", consumed, size);
	for (uint32_t i = 0; i < r.nsegs; i++)
		if (r.segs[i].data < data || r.segs[i].data + (size_t)r.segs[i].words * 8u > data + consumed)
			fuzz_fail("capn: segment %u lies outside the framed bytes", i);
	struct walk w1 = { .r = &r, .h = 0xcbf29ce484222325ull };
	walk_message(&w1);

	/* 2. each segment in its own block, same limits: the same digest */
	uint32_t nsegs = r.nsegs;
	void *blocks[CAPN_MAX_SEGMENTS];
	const void *segs[CAPN_MAX_SEGMENTS];
	uint32_t words[CAPN_MAX_SEGMENTS];
	for (uint32_t i = 0; i < nsegs; i++) {
		size_t bytes = (size_t)r.segs[i].words * 8u;
		blocks[i] = malloc(bytes ? bytes : 1);
		if (!blocks[i])
			abort();
		if (bytes)
			memcpy(blocks[i], r.segs[i].data, bytes);
		segs[i] = blocks[i];
		words[i] = r.segs[i].words;
	}
	if (capn_reader_init_segments(&r2, segs, words, nsegs, &lim))
		fuzz_fail("capn: init_segments refused what init_framed accepted (error %d)", r2.err);
	struct walk w2 = { .r = &r2, .h = 0xcbf29ce484222325ull };
	walk_message(&w2);
	if (w1.h != w2.h || w1.real_err != w2.real_err || w1.nodes != w2.nodes)
		fuzz_fail("capn: the same message reads differently framed and split into segments "
		          "(errors %d/%d, nodes %u/%u)", w1.real_err, w2.real_err, w1.nodes, w2.nodes);

	/* 3. typed reads, roomy limits, over the separate segments */
	lim = roomy_limits(size);
	capn_reader_init_segments(&r2, segs, words, nsegs, &lim);
	typed_manifest(&r2);
	capn_reader_init_segments(&r2, segs, words, nsegs, &lim);
	typed_others(&r2);

	/* 4. deep copy: a clean original gives a clean, identical copy */
	capn_reader_init_segments(&r2, segs, words, nsegs, &lim);
	struct walk w3 = { .r = &r2, .h = 0xcbf29ce484222325ull };
	walk_message(&w3);
	capn_reader_init_segments(&r2, segs, words, nsegs, &lim);
	size_t clen = copy_message(&r2, (unsigned)size);
	if (clen && !w3.real_err && w3.nodes < NODE_BUDGET) {
		if (capn_reader_init_framed(&rc, copy_out, clen, &lim, NULL))
			fuzz_fail("capn: the framed copy does not parse (error %d)", rc.err);
		/* The copy is the root struct {ptr 0: the original root}. */
		capn_struct_r holder = capn_reader_root(&rc);
		struct walk w4 = { .r = &rc, .h = 0xcbf29ce484222325ull };
		if (holder.ptr_count != 1 || rc.err)
			fuzz_fail("capn: the copy's holder struct reads wrong (err %d)", rc.err);
		walk_ptr(&w4, holder, 0, 0);
		if (w4.real_err)
			fuzz_fail("capn: a clean message's copy does not read cleanly (error %d)", w4.real_err);
		if (w3.h != w4.h)
			fuzz_fail("capn: the deep copy reads differently from the original");
	}
	for (uint32_t i = 0; i < nsegs; i++)
		free(blocks[i]);
	return 0;
}

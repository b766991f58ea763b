/*
 * mkseeds.c - writes the generated seed inputs of every harness:
 *
 *   build/fuzz/mkseeds DIR      (make fuzz-seeds: DIR is fuzz/corpus)
 *
 * into DIR/NAME/seed-*: Cap'n Proto messages of many shapes (and far
 * pointers), manifests (with a minimal hand-made ELF, and with tiny.elf),
 * ELF images, and ring programs written with ring_driver.h's encoders.
 * The files are checked in; regenerate them after changing the action
 * language (ring_driver.c) or the ring harness's manifest (fuzz_ring.c),
 * whose CapSet layout the ring programs below assume:
 *
 *   init:   0 console, 1 timer, 2 null, 3 spawner, 4 vm, 5 frames, 6 epf, 7 echo
 *   srv:    0 log, 1 timer, 2 vm, then its exports: 3 echo, 4 con (server sides)
 *   client: 0 null, 1 console, 2 timer, 3 echo, 4 con, 5 spawner, 6 epf
 *
 * The scheduler runs init first, then srv, then client (manifest order).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "ring_driver.h"

static const char *outdir;

static void write_file(const char *harness, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/seed-%s", outdir, harness, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ------------------------------------------------------------ ELF images */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
                 uint64_t memsz, uint64_t align)
{
	put32(p, type);
	put32(p + 4, flags);
	put64(p + 8, off);
	put64(p + 16, vaddr);
	put64(p + 24, vaddr);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
	put64(p + 48, align);
}

/* A minimal static-PIE: one R+X segment holding "jmp ." (about 130
 * bytes); with `full`, also a data segment with a dynamic section, one
 * R_X86_64_RELATIVE relocation, TLS, RELRO and a non-executable stack. */
static size_t mini_elf(uint8_t *out, bool full)
{
	const unsigned nph = full ? 6 : 1;
	size_t code = 64 + 56 * nph;
	memset(out, 0, 1024);
	memcpy(out, "\x7f" "ELF", 4);
	out[4] = 2; /* 64-bit */
	out[5] = 1; /* little-endian */
	out[6] = 1; /* version */
	put16(out + 16, 3);  /* ET_DYN */
	put16(out + 18, 62); /* x86_64 */
	put32(out + 20, 1);
	put64(out + 24, code); /* entry */
	put64(out + 32, 64);   /* phoff */
	put16(out + 52, 64);
	put16(out + 54, 56);
	put16(out + 56, (uint16_t)nph);
	out[code] = 0xeb;
	out[code + 1] = 0xfe;
	size_t text_end = code + 16;
	phdr(out + 64, 1, 5, 0, 0, text_end, text_end, 0x1000); /* PT_LOAD R+X */
	if (!full)
		return text_end;
	/* Data at vaddr 0x1000: dynamic (4 entries), rela (1), tls (8), word. */
	size_t d = text_end, dyn = d, rela = d + 64, tls = rela + 24, word = tls + 8, end = word + 8;
	uint64_t dv = 0x1000;
	put64(out + dyn, 7);       /* DT_RELA */
	put64(out + dyn + 8, dv + (rela - d));
	put64(out + dyn + 16, 8);  /* DT_RELASZ */
	put64(out + dyn + 24, 24);
	put64(out + dyn + 32, 9);  /* DT_RELAENT */
	put64(out + dyn + 40, 24);
	put64(out + rela, dv + (word - d)); /* r_offset */
	put64(out + rela + 8, 8);           /* R_X86_64_RELATIVE */
	put64(out + rela + 16, code);       /* addend */
	put64(out + tls, 0x1122334455667788ull);
	phdr(out + 64 + 56, 1, 6, d, dv, end - d, end - d + 32, 0x1000);        /* PT_LOAD RW */
	phdr(out + 64 + 112, 2, 6, dyn, dv, 64, 64, 8);                         /* PT_DYNAMIC */
	phdr(out + 64 + 168, 7, 4, tls, dv + (tls - d), 8, 16, 8);              /* PT_TLS */
	phdr(out + 64 + 224, 0x6474e552, 4, d, dv, 64, 64, 1);                 /* PT_GNU_RELRO */
	phdr(out + 64 + 280, 0x6474e551, 6, 0, 0, 0, 0, 16);                   /* PT_GNU_STACK */
	return end;
}

/* ------------------------------------------------------------ manifests */

#define GK(n, i, k) { .name = (n), .iface = (i), .kernel = (k) }

static size_t manifest_one(uint8_t *out, size_t cap, const void *elf, size_t elf_len, bool rich)
{
	struct fm_service sv[3];
	memset(sv, 0, sizeof(sv));
	sv[0].name = "init";
	sv[0].binary = "prog";
	sv[0].grants[sv[0].ngrants++] = (struct fm_grant)GK("console", CAPOS_CONSOLE_INTERFACE_ID, CAPOS_KERNEL_CAP_CONSOLE);
	if (!rich)
		return fm_build(sv, 1, &(struct fm_binary){ "prog", elf, elf_len }, 1, NULL, 0, out, cap);
	sv[0].grants[sv[0].ngrants++] = (struct fm_grant)GK("timer", CAPOS_TIMER_INTERFACE_ID, CAPOS_KERNEL_CAP_TIMER);
	sv[0].grants[sv[0].ngrants++] = (struct fm_grant)GK("spawner", CAPOS_PROCESS_SPAWNER_INTERFACE_ID,
	                                                    CAPOS_KERNEL_CAP_PROCESS_SPAWNER);
	sv[0].grants[sv[0].ngrants++] = (struct fm_grant){ .name = "svc", .iface = CAPOS_ECHO_INTERFACE_ID,
	                                                   .kernel = -1, .service = "server", .export_name = "e",
	                                                   .badge = 3, .policy = CAPOS_HOLD_POLICY_MOVE_ONLY };
	sv[0].args[sv[0].nargs++] = "-x";
	sv[1].name = "server";
	sv[1].binary = "prog";
	sv[1].exports[sv[1].nexports++] = (struct fm_export){ "e", CAPOS_ECHO_INTERFACE_ID };
	sv[1].grants[sv[1].ngrants++] = (struct fm_grant)GK("null", CAPOS_NULL_CAP_INTERFACE_ID, CAPOS_KERNEL_CAP_NULL);
	sv[1].cap_slots = 4;
	sv[1].outstanding_calls = 2;
	sv[2].name = "later";
	sv[2].binary = "other";
	sv[2].by_init = true;
	sv[2].grants[sv[2].ngrants++] = (struct fm_grant)GK("vm", CAPOS_VIRTUAL_MEMORY_INTERFACE_ID,
	                                                    CAPOS_KERNEL_CAP_VIRTUAL_MEMORY);
	sv[2].grants[sv[2].ngrants++] = (struct fm_grant)GK("frames", CAPOS_FRAME_ALLOCATOR_INTERFACE_ID,
	                                                    CAPOS_KERNEL_CAP_FRAME_ALLOCATOR);
	struct fm_binary bins[2] = { { "prog", elf, elf_len }, { "other", elf, elf_len } };
	static const char hosts[] = "::1 localhost\n";
	struct fm_file files[2] = { { "/etc/hosts", hosts, sizeof(hosts) - 1 }, { "/a/b.c", "x", 1 } };
	return fm_build(sv, 3, bins, 2, files, 2, out, cap);
}

/* ------------------------------------------------------------ messages */

static size_t finish(struct capn_builder *b, uint8_t *out, size_t cap)
{
	size_t len;
	if (capn_builder_write_framed(b, out, cap, &len)) {
		fprintf(stderr, "mkseeds: a message does not build (error %d)\n", capn_builder_error(b));
		exit(1);
	}
	return len;
}

static void messages(void)
{
	static uint8_t arena[1 << 16] __attribute__((aligned(8)));
	static uint8_t small[4][64] __attribute__((aligned(8)));
	static uint8_t out[1 << 16] __attribute__((aligned(8)));
	struct capn_builder b;
	size_t n;

	capn_builder_init(&b, arena, sizeof(arena));
	capos_CapException_b e = capos_CapException_new_root(&b);
	capos_CapException_set_type(e, CAPOS_CAP_EXCEPTION_TYPE_OVERLOADED);
	capos_CapException_set_code(e, CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED);
	capos_CapException_set_message(e, "quota", 5);
	n = finish(&b, out, sizeof(out));
	write_file("capn_reader", "cap-exception", out, n);

	capn_builder_init(&b, arena, sizeof(arena));
	capos_Console_write_Params_set_text(capos_Console_write_Params_new_root(&b), "hello", 5);
	n = finish(&b, out, sizeof(out));
	write_file("capn_reader", "console-write", out, n);

	capn_builder_init(&b, arena, sizeof(arena));
	capos_ProcessSpawner_spawn_Params_b sp = capos_ProcessSpawner_spawn_Params_new_root(&b);
	capos_ProcessSpawner_spawn_Params_set_name(sp, "kid", 3);
	capos_ProcessSpawner_spawn_Params_set_binary(sp, "tiny", 4);
	capos_CapGrant_list_b gl = capos_ProcessSpawner_spawn_Params_init_grants(sp, 2);
	capos_CapGrant_set_name(capos_CapGrant_list_at(gl, 0), "console", 7);
	capos_CapGrant_set_cap(capos_CapGrant_list_at(gl, 0), 0x10000);
	capos_CapGrant_set_name(capos_CapGrant_list_at(gl, 1), "t", 1);
	capos_CapGrant_set_mode(capos_CapGrant_list_at(gl, 1), CAPOS_TRANSFER_MODE_MOVE);
	capos_Quota_set_capSlots(capos_ProcessSpawner_spawn_Params_init_quota(sp), 9);
	n = finish(&b, out, sizeof(out));
	write_file("capn_reader", "spawn-params", out, n);

	/* Every list element size, text lists, lists of lists, capabilities. */
	capn_builder_init(&b, arena, sizeof(arena));
	capn_struct_b r = capn_builder_root(&b, 2, 10);
	capn_set_u64(r, 0, 0x0123456789abcdefull, 0);
	capn_set_u64(r, 8, 42, 0);
	capn_list_b l = capn_init_list(r, 0, CAPN_SZ_BIT, 13);
	capn_list_set_bool(l, 3, true);
	capn_list_set_bool(l, 12, true);
	l = capn_init_list(r, 1, CAPN_SZ_BYTE, 5);
	capn_list_set_u8(l, 4, 9);
	l = capn_init_list(r, 2, CAPN_SZ_2BYTES, 3);
	capn_list_set_u16(l, 2, 0xbeef);
	l = capn_init_list(r, 3, CAPN_SZ_4BYTES, 2);
	capn_list_set_u32(l, 1, 7);
	l = capn_init_list(r, 4, CAPN_SZ_8BYTES, 2);
	capn_list_set_u64(l, 0, 1);
	l = capn_init_list(r, 5, CAPN_SZ_VOID, 1000);
	l = capn_init_list(r, 6, CAPN_SZ_POINTER, 3);
	capn_set_text(capn_list_ptr_elem(l, 0), 0, "a", 1);
	capn_set_data(capn_list_ptr_elem(l, 1), 0, "\1\2", 2);
	capn_list_b inner = capn_init_list(capn_list_ptr_elem(l, 2), 0, CAPN_SZ_4BYTES, 2);
	capn_list_set_u32(inner, 0, 5);
	l = capn_init_struct_list(r, 7, 3, 1, 1);
	capn_set_u64(capn_list_struct_at(l, 1), 0, 77, 0);
	capn_set_text(capn_list_struct_at(l, 2), 0, "elem", 4);
	capn_set_cap(r, 8, 2);
	capn_struct_b c = capn_init_struct(r, 9, 1, 1);
	capn_set_u64(c, 0, 5, 0);
	capn_init_struct(c, 0, 0, 0);
	n = finish(&b, out, sizeof(out));
	write_file("capn_reader", "all-lists", out, n);

	/* The same shapes spread over small arenas: far and double-far pointers. */
	capn_builder_init(&b, small[0], 24);
	for (int i = 1; i < 4; i++)
		capn_builder_add_arena(&b, small[i], 16u * (unsigned)i + 8);
	capn_builder_add_arena(&b, arena, sizeof(arena));
	r = capn_builder_root(&b, 1, 3);
	capn_set_text(r, 0, "far away", 8);
	l = capn_init_struct_list(r, 1, 2, 1, 1);
	capn_set_text(capn_list_struct_at(l, 0), 0, "x", 1);
	capn_set_cap(r, 2, 0);
	n = finish(&b, out, sizeof(out));
	write_file("capn_reader", "far-pointers", out, n);

	/* Manifests, as a reader sees them. */
	uint8_t elf[1024];
	size_t elf_len = mini_elf(elf, false);
	n = manifest_one(out, sizeof(out), elf, elf_len, true);
	write_file("capn_reader", "manifest", out, n);
}

/* ------------------------------------------------------------ ring programs */

enum { I_CONSOLE, I_TIMER, I_NULL, I_SPAWNER, I_VM, I_FRAMES, I_EPF, I_ECHO };
enum { S_LOG, S_TIMER, S_VM, S_ECHO, S_CON };

static void ring_seed(const char *name, void (*prog)(struct rd_prog *))
{
	struct rd_prog pr = { 0 };
	rd_enc_byte(&pr, 0); /* config: no trace, the default slice */
	prog(&pr);
	write_file("ring", name, pr.p, pr.len);
	free(pr.p);
}

static void p_console(struct rd_prog *pr)
{
	rd_enc_console(pr, "typed line\nsecond");
	rd_enc_submit(pr, 3);
	rd_sqe_call(pr, I_CONSOLE, CAPOS_CONSOLE_METHOD_WRITE, RD_T_CONSOLE_WRITE, "hello ", 0, 0);
	rd_sqe_call(pr, I_CONSOLE, CAPOS_CONSOLE_METHOD_WRITE_LINE, RD_T_CONSOLE_WRITE_LINE, "world", 0, 256);
	rd_sqe_call(pr, I_CONSOLE, CAPOS_CONSOLE_METHOD_READ_LINE, RD_T_CONSOLE_READ_LINE, NULL, 0, 256);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_consume(pr);
	rd_enc_submit(pr, 1);
	rd_sqe_call(pr, I_CONSOLE, CAPOS_CONSOLE_METHOD_READ_LINE, RD_T_CONSOLE_READ_LINE, NULL, 0, 256);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_console(pr, NULL);
	rd_enc_enter(pr, 1, true);
	rd_enc_exit(pr, 0);
}

static void p_timer(struct rd_prog *pr)
{
	rd_enc_submit(pr, 3);
	rd_sqe_call(pr, I_TIMER, CAPOS_TIMER_METHOD_NOW, RD_T_TIMER_NOW, NULL, 0, 128);
	rd_sqe_call(pr, I_TIMER, CAPOS_TIMER_METHOD_SLEEP, RD_T_TIMER_SLEEP, NULL, 3, 0); /* 1 ms */
	rd_sqe_call(pr, I_NULL, CAPOS_NULL_CAP_METHOD_NOP, RD_T_NULL_NOP, NULL, 0, 64);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_1MS);
	rd_enc_timer(pr, 3);
	rd_enc_timer(pr, 5);
	rd_enc_enter(pr, 3, true);
	rd_enc_consume(pr);
	rd_enc_exit(pr, 3);
}

static void p_release(struct rd_prog *pr)
{
	rd_enc_submit(pr, 4);
	rd_sqe_nop(pr);
	rd_sqe_release(pr, I_NULL);
	rd_sqe_call(pr, I_NULL, CAPOS_NULL_CAP_METHOD_NOP, RD_T_NULL_NOP, NULL, 0, 64); /* stale now */
	rd_sqe_release(pr, I_NULL);
	rd_enc_submit_end(pr, RD_ENTER_POLL);
	rd_enc_bad_syscall(pr, 5);
	rd_enc_header(pr, 3, 0); /* cq_tail + 1: the process's own business */
	rd_enc_header(pr, 1, 2); /* sq_tail far ahead: ring corruption */
	rd_enc_enter(pr, 0, false);
}

static void p_ipc(struct rd_prog *pr)
{
	/* init calls srv's Echo and waits; srv receives, returns; init reads. */
	rd_enc_submit(pr, 2);
	rd_sqe_call(pr, I_ECHO, CAPOS_ECHO_METHOD_PING, RD_T_PING, NULL, 0, 256);
	rd_sqe_call(pr, I_ECHO, CAPOS_ECHO_METHOD_ECHO, RD_T_ECHO, "payload", 0, 256);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	/* srv */
	rd_enc_submit(pr, 1);
	rd_sqe_recv(pr, S_ECHO, 4096);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_submit(pr, 2);
	rd_sqe_return(pr, 0, false);
	rd_sqe_recv(pr, S_ECHO, 4096);
	rd_enc_submit_end(pr, RD_ENTER_POLL);
	rd_enc_submit(pr, 1);
	rd_sqe_return(pr, 1, true);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_consume(pr);
	rd_enc_timer(pr, 4);
	rd_enc_exit(pr, 0);
}

static void p_spawn(struct rd_prog *pr)
{
	rd_enc_submit(pr, 2);
	rd_sqe_call(pr, I_SPAWNER, CAPOS_PROCESS_SPAWNER_METHOD_SPAWN, RD_T_SPAWN, "kid", 2, 256);
	rd_sqe_call(pr, I_SPAWNER, CAPOS_PROCESS_SPAWNER_METHOD_START_SERVICE, RD_T_START_SERVICE, NULL, 0, 256);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_submit(pr, 1);
	rd_sqe_call(pr, I_SPAWNER, CAPOS_PROCESS_SPAWNER_METHOD_SERVICES, RD_T_SERVICES, NULL, 0, 512);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_timer(pr, 3);
	rd_enc_timer(pr, 3);
	rd_enc_fault(pr, 1);
	rd_enc_timer(pr, 3);
	rd_enc_exit(pr, 7);
}

static void p_memory(struct rd_prog *pr)
{
	rd_enc_submit(pr, 4);
	rd_sqe_call(pr, I_VM, CAPOS_VIRTUAL_MEMORY_METHOD_MAP, RD_T_VM_MAP, NULL, 4, 128);
	rd_sqe_call(pr, I_FRAMES, CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE, RD_T_FRAME_ALLOC, NULL, 0, 128);
	rd_sqe_call(pr, I_EPF, CAPOS_ENDPOINT_FACTORY_METHOD_CREATE, RD_T_EP_CREATE, NULL, 0, 128);
	rd_sqe_call(pr, I_VM, CAPOS_VIRTUAL_MEMORY_METHOD_MAP, RD_T_VM_MAP, NULL, 1, 128);
	rd_enc_submit_end(pr, RD_ENTER_WAIT_ALL);
	rd_enc_consume(pr);
	rd_enc_exit(pr, 0);
}

static void rings(void)
{
	ring_seed("console", p_console);
	ring_seed("timer", p_timer);
	ring_seed("release", p_release);
	ring_seed("ipc", p_ipc);
	ring_seed("spawn", p_spawn);
	ring_seed("memory", p_memory);
}

/* ------------------------------------------------------------ the rest */

static void manifests_and_elves(void)
{
	static uint8_t out[1 << 17] __attribute__((aligned(8)));
	uint8_t elf[1024 + 2];
	size_t n;

	/* ELF: two config bytes (no failure, default quota), then the image. */
	elf[0] = elf[1] = 0;
	n = mini_elf(elf + 2, false);
	write_file("elf", "mini", elf, n + 2);
	n = mini_elf(elf + 2, true);
	write_file("elf", "mini-full", elf, n + 2);
	size_t tl = fuzz_tiny_elf_len();
	uint8_t *t = malloc(tl + 2);
	t[0] = t[1] = 0;
	memcpy(t + 2, fuzz_tiny_elf, tl);
	write_file("elf", "tiny", t, tl + 2);
	t[0] = 160 + 5; /* the sixth HAL allocation fails */
	write_file("elf", "tiny-fail5", t, tl + 2);
	t[0] = 0;
	t[1] = 5; /* a 1100-page quota */
	write_file("elf", "tiny-quota", t, tl + 2);
	free(t);

	/* Manifests: minimal, rich (exports, byInit, files, quotas), tiny.elf,
	 * and one followed by a program. */
	uint8_t mini[1024];
	size_t ml = mini_elf(mini, true);
	n = manifest_one(out, sizeof(out), mini, ml, false);
	write_file("manifest", "minimal", out, n);
	n = manifest_one(out, sizeof(out), mini, ml, true);
	write_file("manifest", "rich", out, n);
	size_t rich = n;
	struct rd_prog pr = { 0 };
	rd_enc_byte(&pr, 0); /* no failure injection */
	rd_enc_submit(&pr, 2);
	rd_sqe_call(&pr, 0, CAPOS_CONSOLE_METHOD_WRITE_LINE, RD_T_CONSOLE_WRITE_LINE, "from a fuzzed manifest", 0, 64);
	rd_sqe_call(&pr, 3, CAPOS_ECHO_METHOD_PING, RD_T_PING, NULL, 0, 64);
	rd_enc_submit_end(&pr, RD_ENTER_WAIT_ALL);
	rd_enc_submit(&pr, 1);
	rd_sqe_recv(&pr, 0, 4096);
	rd_enc_submit_end(&pr, RD_ENTER_WAIT_ALL);
	rd_enc_exit(&pr, 0);
	memcpy(out + rich, pr.p, pr.len);
	write_file("manifest", "rich-program", out, rich + pr.len);
	free(pr.p);
	n = manifest_one(out, sizeof(out), fuzz_tiny_elf, fuzz_tiny_elf_len(), true);
	write_file("manifest", "tiny-elf", out, n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	messages();
	manifests_and_elves();
	rings();
	return 0;
}

/*
 * capos/abi/capset.h - the bootstrap page: what a process knows at its first
 * instruction.
 *
 * The kernel maps it read-only into every process and passes its address in
 * rdi to the entry point. It names the capabilities the process was granted
 * (with their interface ids) and everything the runtime needs to start: the
 * gate, the ring, the heap, the stack, the TLS template and argv.
 */
#ifndef CAPOS_ABI_CAPSET_H
#define CAPOS_ABI_CAPSET_H

#include <stddef.h>
#include <stdint.h>

#define CAPOS_CAPSET_MAGIC 0x3154455350414343ull /* "CCAPSET1" */
#define CAPOS_CAPSET_VERSION 1u
#define CAPOS_CAPSET_NAME_MAX 64u /* bytes of a name, including its NUL */

struct capos_capset_entry {
	uint32_t cap;                         /*  0  CapId in this process's table */
	uint32_t reserved;                    /*  4 */
	uint64_t iface;                       /*  8  interface id */
	char name[CAPOS_CAPSET_NAME_MAX];     /* 16  NUL-terminated */
};

struct capos_capset {
	uint64_t magic;       /*   0  CAPOS_CAPSET_MAGIC */
	uint32_t version;     /*   8  CAPOS_CAPSET_VERSION */
	uint32_t cap_count;   /*  12  entries in caps[] */
	uint64_t gate;        /*  16  capos_gate_fn (syscall.h) */
	uint64_t ring;        /*  24  struct capos_ring_header * */
	uint64_t heap_base;   /*  32  initial heap: zeroed, read-write */
	uint64_t heap_size;   /*  40 */
	uint64_t stack_base;  /*  48  lowest address of the stack */
	uint64_t stack_size;  /*  56 */
	uint64_t tls_image;   /*  64  the TLS initialisation image (PT_TLS) */
	uint64_t tls_filesz;  /*  72 */
	uint64_t tls_memsz;   /*  80 */
	uint64_t tls_align;   /*  88 */
	uint64_t argv;        /*  96  const char *const argv[argc + 1] */
	uint32_t argc;        /* 104 */
	uint32_t pid;         /* 108  this process's id (for messages only) */
	char name[CAPOS_CAPSET_NAME_MAX]; /* 112  this process's name */
	uint64_t reserved[2]; /* 176 */
	struct capos_capset_entry caps[]; /* 192 */
};

_Static_assert(sizeof(struct capos_capset_entry) == 80, "capset entry layout");
_Static_assert(offsetof(struct capos_capset, name) == 112, "capset layout");
_Static_assert(offsetof(struct capos_capset, caps) == 192, "capset layout");

#endif /* CAPOS_ABI_CAPSET_H */

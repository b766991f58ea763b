/*
 * fuzz.h - what the libFuzzer harnesses in fuzz/ share (docs/fuzzing.md):
 * reading the fuzz input as a stream of choices, the fake HAL set up for
 * fuzzing (abort on misuse, a kernel panic is a crash), the checks every
 * harness makes after each input (nothing left behind), the embedded
 * tiny.elf, and building boot manifests with the generated accessors.
 *
 * Everything here sits on the public API of tests/unit/fake_hal.h and the
 * kernel's own headers; nothing in kernel/ or tests/unit/ is changed for it.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capn.h"
#include "gen/capos.capnp.h"

/* ------------------------------------------------------------ the input */

/* The fuzz input, consumed from the front. Reads past the end give zeros,
 * so every decision has a default and a short input is a valid program. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline size_t fz_left(const struct fz *f) { return f->n; }

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f) { return (uint16_t)(fz_u8(f) | (uint16_t)fz_u8(f) << 8); }
static inline uint32_t fz_u32(struct fz *f) { return fz_u16(f) | (uint32_t)fz_u16(f) << 16; }
static inline uint64_t fz_u64(struct fz *f) { return fz_u32(f) | (uint64_t)fz_u32(f) << 32; }
static inline bool fz_bool(struct fz *f) { return fz_u8(f) & 1; }

/* A number in [0, n) (n > 0), from one byte when n <= 256. */
static inline uint32_t fz_below(struct fz *f, uint32_t n)
{
	if (n <= 1)
		return 0;
	return (n <= 256 ? fz_u8(f) : n <= 65536 ? fz_u16(f) : fz_u32(f)) % n;
}

/* True with probability about k/256. */
static inline bool fz_chance(struct fz *f, unsigned k) { return fz_u8(f) < k; }

/* Up to `max` bytes of the input (fewer when it ends), without copying:
 * a length byte (or two), then the bytes. */
const uint8_t *fz_bytes(struct fz *f, size_t max, size_t *len);

/* ------------------------------------------------------------ the fake HAL */

/* Once per process: abort on any HAL misuse, and turn a kernel panic into
 * an abort that prints the console (libFuzzer then reports the input). */
void fuzz_hal_init(void);

/* After an input: abort with `where` and the console if anything is left
 * in the fake HAL (address spaces, regions, user pages, contexts, kernel
 * pages, physical frames) or the HAL was misused. Call after
 * kernel_shutdown (or kalloc_trim). */
void fuzz_check_clean(const char *where);

/* kernel_shutdown, then abort unless it returned 0, every kernel
 * capability is released, no process is alive, and fuzz_check_clean
 * passes. (The kernel's own "ledger:" lines are not looked for: processes
 * write to the same console.) */
void fuzz_shutdown_and_check(const char *where);

/* Print `why`, the kernel console and the debug channel, and abort. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Physical frames the kernel got from hal_frame_alloc and has not freed,
 * as seen by the wrappers in fuzz_common.c (which also check every free
 * against the allocation it names). */
size_t fuzz_live_frames(void);

/* ------------------------------------------------------------ tiny.elf */

/* tests/mkmanifest/tiny.c built as a static-PIE (embedded at build time). */
extern const uint8_t fuzz_tiny_elf[];
size_t fuzz_tiny_elf_len(void);

/* ------------------------------------------------------------ manifests */

#define FM_MAX_GRANTS 16
#define FM_MAX_EXPORTS 4
#define FM_MAX_ARGS 4

struct fm_grant {
	const char *name;
	uint64_t iface;       /* interface id */
	int kernel;           /* enum capos_KernelCap, or -1 for a service export */
	const char *service;  /* kernel < 0: the exporting service and export */
	const char *export_name;
	uint64_t badge;
	unsigned policy;      /* enum capos_HoldPolicy */
};

struct fm_export {
	const char *name;
	uint64_t iface;
};

struct fm_service {
	const char *name;
	const char *binary;
	struct fm_grant grants[FM_MAX_GRANTS];
	unsigned ngrants;
	struct fm_export exports[FM_MAX_EXPORTS];
	unsigned nexports;
	uint32_t cap_slots, outstanding_calls, memory_pages, children; /* 0: default */
	const char *args[FM_MAX_ARGS];
	unsigned nargs;
	bool by_init;         /* start = byInit (when the schema has it) */
};

struct fm_binary {
	const char *name;
	const void *image;
	size_t len;
};

struct fm_file {
	const char *path;
	const void *data;
	size_t len;
};

/* Build a binary-form manifest (version 1) into out[0..cap); returns its
 * framed length, or 0 if it does not fit. */
size_t fm_build(const struct fm_service *svcs, unsigned nsvcs, const struct fm_binary *bins,
                unsigned nbins, const struct fm_file *files, unsigned nfiles, void *out, size_t cap);

#endif /* FUZZ_FUZZ_H */

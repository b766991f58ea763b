/*
 * loader.h - putting a validated ELF image into a process's address space.
 */
#ifndef KERNEL_LOADER_H
#define KERNEL_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "elf.h"

struct proc;

struct loaded_image {
	uint64_t base;        /* where link-time address 0 landed */
	uint64_t entry;
	uint64_t tls_image;   /* user address of the TLS initialisation image, or 0 */
};

/* Map `elf` (already accepted by elf_parse) into p: copy the segments, apply
 * the relocations, then set each segment's protection (W^X) and make the
 * RELRO range read-only. */
int loader_load(struct proc *p, const void *image, const struct elf_image *elf,
                struct loaded_image *out);

/* Map p's initial TLS block (static TLS per the x86_64 psABI, variant II)
 * and return its thread pointer. Works without a PT_TLS segment too: the
 * thread pointer then points at a bare TCB. */
int loader_setup_tls(struct proc *p, const void *image, const struct elf_image *elf,
                     uint64_t *thread_pointer);

#endif /* KERNEL_LOADER_H */

/*
 * loader.c - loading static-PIE images (see loader.h). The image has passed
 * elf_parse, so every segment, relocation and TLS range is known to lie
 * inside the file and the loaded span.
 */
#include "loader.h"

#include "hal.h"
#include "kernel.h"
#include "proc_mem.h"

static uint64_t page_up(uint64_t v) { return (v + HAL_PAGE_SIZE - 1) & ~(uint64_t)(HAL_PAGE_SIZE - 1); }
static uint64_t page_down(uint64_t v) { return v & ~(uint64_t)(HAL_PAGE_SIZE - 1); }

int loader_load(struct proc *p, const void *image, const struct elf_image *elf,
                struct loaded_image *out)
{
	const uint8_t *file = image;
	uint64_t base;
	int err = proc_map(p, elf->span, HAL_PROT_READ | HAL_PROT_WRITE, &base);
	if (err)
		return err;

	for (uint32_t i = 0; i < elf->nsegs; i++) {
		const struct elf_segment *s = &elf->segs[i];
		if (s->filesz && (err = hal_as_write(p->as, base + s->vaddr, file + s->offset, s->filesz)))
			return err;
	}
	for (uint64_t i = 0; i < elf->rela_count; i++) {
		uint64_t where, addend;
		elf_reloc(image, elf, i, &where, &addend);
		if (where == UINT64_MAX)
			continue;
		uint64_t value = base + addend;
		if ((err = hal_as_write(p->as, base + where, &value, sizeof(value))))
			return err;
	}

	/* Protections: each segment's own; the gaps between them none. */
	uint64_t next = 0;
	for (uint32_t i = 0; i < elf->nsegs; i++) {
		const struct elf_segment *s = &elf->segs[i];
		uint64_t start = page_down(s->vaddr), end = page_up(s->vaddr + s->memsz);
		if (start > next && (err = hal_as_protect(p->as, base + next, start - next, 0)))
			return err;
		if ((err = hal_as_protect(p->as, base + start, end - start, s->prot)))
			return err;
		next = end;
	}
	if (elf->has_relro) {
		uint64_t start = page_down(elf->relro_vaddr), end = page_down(elf->relro_vaddr + elf->relro_size);
		if (end > start && (err = hal_as_protect(p->as, base + start, end - start, HAL_PROT_READ)))
			return err;
	}
	out->base = base;
	out->entry = base + elf->entry;
	out->tls_image = elf->has_tls ? base + elf->tls.vaddr : 0;
	return 0;
}

/* The thread control block at the thread pointer: its first word points to
 * itself (psABI), and 0x28 is where compilers keep the stack canary. */
#define TCB_BYTES 64u

int loader_setup_tls(struct proc *p, const void *image, const struct elf_image *elf,
                     uint64_t *thread_pointer)
{
	uint64_t align = elf->has_tls ? elf->tls.align : 1;
	uint64_t memsz = elf->has_tls ? elf->tls.memsz : 0;
	/* Variant II: the block ends at the thread pointer; the linker placed
	 * each variable at (offset in block) - roundup(memsz, align) from it.
	 * The thread pointer itself must suit both the segment's alignment and
	 * the TCB's (16), so the block may start a little above the mapping. */
	uint64_t block = (memsz + align - 1) & ~(align - 1);
	uint64_t tp_align = align > 16 ? align : 16;
	uint64_t tp_offset = (block + tp_align - 1) & ~(tp_align - 1);
	uint64_t base;
	int err = proc_map(p, page_up(tp_offset + TCB_BYTES), HAL_PROT_READ | HAL_PROT_WRITE, &base);
	if (err)
		return err;
	uint64_t tp = base + tp_offset;
	if (elf->has_tls && elf->tls.filesz) {
		const struct elf_segment *s = NULL;
		for (uint32_t i = 0; i < elf->nsegs && !s; i++)
			if (elf->tls.vaddr >= elf->segs[i].vaddr &&
			    elf->tls.vaddr - elf->segs[i].vaddr < elf->segs[i].filesz)
				s = &elf->segs[i];
		KASSERT(s); /* elf_parse checked that the image is file-backed */
		const uint8_t *src = (const uint8_t *)image + s->offset + (elf->tls.vaddr - s->vaddr);
		if ((err = hal_as_write(p->as, tp - block, src, elf->tls.filesz)))
			return err;
	}
	if ((err = hal_as_write(p->as, tp, &tp, sizeof(tp))))
		return err;
	*thread_pointer = tp;
	return 0;
}

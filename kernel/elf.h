/*
 * elf.h - parsing and validating user programs: static-PIE x86_64 ELF files.
 *
 * elf_parse checks everything the loader will later trust (header fields,
 * program headers, segment bounds and permissions, the dynamic section and
 * every relocation) without touching anything but the image. It is pure, so
 * mkmanifest runs the same checks on the host that the kernel runs at boot
 * and at spawn. Loading (mapping segments into an address space and applying
 * relocations) lives in elf_load.c.
 */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PAGE_SIZE 4096u
#define ELF_MAX_SEGMENTS 8u
/* Limits a user program must respect (docs/abi.md): its loaded span, its TLS
 * block and its relocation count. */
#define ELF_MAX_SPAN (256u * 1024u * 1024u)
#define ELF_MAX_TLS (1024u * 1024u)
#define ELF_MAX_RELOCS (1u << 20)

/* Segment permissions (the ELF PF_* bits rearranged into capOS's order). */
#define ELF_PROT_READ 1u
#define ELF_PROT_WRITE 2u
#define ELF_PROT_EXEC 4u

enum elf_error {
	ELF_OK = 0,
	ELF_ERR_TRUNCATED,     /* the file ends inside a header or segment */
	ELF_ERR_MAGIC,         /* not an ELF file */
	ELF_ERR_CLASS,         /* not 64-bit */
	ELF_ERR_ENDIAN,        /* not little-endian */
	ELF_ERR_MACHINE,       /* not x86_64 */
	ELF_ERR_TYPE,          /* not a position-independent executable (ET_DYN) */
	ELF_ERR_VERSION,       /* unknown ELF version */
	ELF_ERR_PHDR,          /* the program header table is malformed */
	ELF_ERR_SEGMENT,       /* a loadable segment is malformed or overlaps another */
	ELF_ERR_WX,            /* a segment is both writable and executable */
	ELF_ERR_DYNAMIC,       /* needs an interpreter or shared libraries */
	ELF_ERR_RELOC,         /* a relocation capOS does not apply */
	ELF_ERR_ENTRY,         /* the entry point is not in executable code */
	ELF_ERR_TLS,           /* the TLS segment is malformed or too big */
	ELF_ERR_TOO_BIG,       /* the loaded span exceeds ELF_MAX_SPAN */
	ELF_ERR_EXEC_STACK,    /* asks for an executable stack */
	ELF_ERR__COUNT
};

struct elf_segment {
	uint64_t vaddr;  /* link-time address (relative to a load base of 0) */
	uint64_t memsz;
	uint64_t offset; /* file offset of the initialised bytes */
	uint64_t filesz;
	uint32_t prot;   /* ELF_PROT_* */
};

struct elf_tls {
	uint64_t vaddr;  /* the initialisation image */
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

struct elf_image {
	uint64_t entry;      /* link-time address of the entry point */
	uint64_t span;       /* bytes from 0 to the end of the last segment, page-rounded */
	uint32_t nsegs;
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	bool has_tls;
	struct elf_tls tls;
	uint64_t rela_offset; /* file offset of the R_X86_64_RELATIVE table */
	uint64_t rela_count;
	bool has_relro;       /* [relro_vaddr, +relro_size) becomes read-only after relocation */
	uint64_t relro_vaddr;
	uint64_t relro_size;
};

int elf_parse(const void *image, size_t len, struct elf_image *out);
const char *elf_strerror(int err);

/* The link-time address relocation i patches and the value (an offset from
 * the load base) it stores there. Only valid after elf_parse succeeded. */
void elf_reloc(const void *image, const struct elf_image *img, uint64_t i,
               uint64_t *where, uint64_t *addend);

#endif /* KERNEL_ELF_H */

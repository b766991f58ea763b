/*
 * elf.c - validation of static-PIE x86_64 ELF images (see elf.h).
 *
 * The image is untrusted: every offset and size is checked against the file
 * length with overflow-safe arithmetic before anything is read through it.
 * The layouts below are the System V gABI and the x86_64 psABI; they are
 * written out here because the kernel includes no libc headers.
 */
#include "elf.h"

enum {
	EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6,
	ELFCLASS64 = 2, ELFDATA2LSB = 1, EV_CURRENT = 1,
	ET_DYN = 3, EM_X86_64 = 62,
	PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_TLS = 7,
	PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552,
	PF_X = 1, PF_W = 2, PF_R = 4,
	DT_NULL = 0, DT_NEEDED = 1, DT_PLTRELSZ = 2, DT_RELA = 7, DT_RELASZ = 8,
	DT_RELAENT = 9, DT_REL = 17, DT_TEXTREL = 22, DT_JMPREL = 23, DT_FLAGS = 30,
	DF_TEXTREL = 4,
	R_X86_64_NONE = 0, R_X86_64_RELATIVE = 8,
};

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf64_rela {
	uint64_t offset, info;
	int64_t addend;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF header layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF program header layout");
_Static_assert(sizeof(struct elf64_rela) == 24, "ELF rela layout");

static const char *const elf_error_text[ELF_ERR__COUNT] = {
	[ELF_OK] = "ok",
	[ELF_ERR_TRUNCATED] = "file truncated",
	[ELF_ERR_MAGIC] = "not an ELF file",
	[ELF_ERR_CLASS] = "not a 64-bit ELF",
	[ELF_ERR_ENDIAN] = "not little-endian",
	[ELF_ERR_MACHINE] = "not x86_64",
	[ELF_ERR_TYPE] = "not a static-PIE executable (ELF type must be ET_DYN)",
	[ELF_ERR_VERSION] = "unknown ELF version",
	[ELF_ERR_PHDR] = "malformed program header table",
	[ELF_ERR_SEGMENT] = "malformed or overlapping loadable segment",
	[ELF_ERR_WX] = "segment is both writable and executable",
	[ELF_ERR_DYNAMIC] = "dynamically linked (needs an interpreter or shared libraries)",
	[ELF_ERR_RELOC] = "relocation other than R_X86_64_RELATIVE",
	[ELF_ERR_ENTRY] = "entry point outside executable code",
	[ELF_ERR_TLS] = "malformed TLS segment",
	[ELF_ERR_TOO_BIG] = "image too big",
	[ELF_ERR_EXEC_STACK] = "asks for an executable stack",
};

const char *elf_strerror(int err)
{
	if (err < 0 || err >= ELF_ERR__COUNT)
		return "unknown ELF error";
	return elf_error_text[err];
}

/* Is [off, off+size) inside a file of `len` bytes? */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static void load(void *dst, const uint8_t *src, size_t n) { __builtin_memcpy(dst, src, n); }

static uint64_t page_up(uint64_t v) { return (v + ELF_PAGE_SIZE - 1) & ~(uint64_t)(ELF_PAGE_SIZE - 1); }
static uint64_t page_down(uint64_t v) { return v & ~(uint64_t)(ELF_PAGE_SIZE - 1); }

static int check_header(const uint8_t *p, size_t len, struct elf64_ehdr *eh)
{
	static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };
	for (size_t i = 0; i < 4; i++)
		if (i >= len || p[i] != magic[i])
			return i >= len ? ELF_ERR_TRUNCATED : ELF_ERR_MAGIC;
	if (len < sizeof(*eh))
		return ELF_ERR_TRUNCATED;
	load(eh, p, sizeof(*eh));
	if (eh->ident[EI_CLASS] != ELFCLASS64)
		return ELF_ERR_CLASS;
	if (eh->ident[EI_DATA] != ELFDATA2LSB)
		return ELF_ERR_ENDIAN;
	if (eh->ident[EI_VERSION] != EV_CURRENT || eh->version != EV_CURRENT)
		return ELF_ERR_VERSION;
	if (eh->machine != EM_X86_64)
		return ELF_ERR_MACHINE;
	if (eh->type != ET_DYN)
		return ELF_ERR_TYPE;
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phnum > 64 ||
	    !in_file(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), len))
		return ELF_ERR_PHDR;
	return ELF_OK;
}

static int add_load_segment(const struct elf64_phdr *ph, size_t len, struct elf_image *img)
{
	if (img->nsegs >= ELF_MAX_SEGMENTS)
		return ELF_ERR_SEGMENT;
	if (ph->filesz > ph->memsz || !in_file(ph->offset, ph->filesz, len))
		return ph->filesz > ph->memsz ? ELF_ERR_SEGMENT : ELF_ERR_TRUNCATED;
	if (ph->memsz == 0 || ph->vaddr > ELF_MAX_SPAN || ph->memsz > ELF_MAX_SPAN - ph->vaddr)
		return ph->memsz == 0 ? ELF_ERR_SEGMENT : ELF_ERR_TOO_BIG;
	if ((ph->flags & (PF_W | PF_X)) == (PF_W | PF_X))
		return ELF_ERR_WX;
	/* Permissions are per page: a segment may not share a page with the
	 * previous one (program headers are sorted by address, gABI). */
	if (img->nsegs) {
		const struct elf_segment *prev = &img->segs[img->nsegs - 1];
		if (page_down(ph->vaddr) < page_up(prev->vaddr + prev->memsz))
			return ELF_ERR_SEGMENT;
	}
	struct elf_segment *s = &img->segs[img->nsegs++];
	s->vaddr = ph->vaddr;
	s->memsz = ph->memsz;
	s->offset = ph->offset;
	s->filesz = ph->filesz;
	s->prot = ((ph->flags & PF_R) ? ELF_PROT_READ : 0) | ((ph->flags & PF_W) ? ELF_PROT_WRITE : 0) |
	          ((ph->flags & PF_X) ? ELF_PROT_EXEC : 0);
	img->span = page_up(ph->vaddr + ph->memsz);
	return ELF_OK;
}

/* The segment whose memory holds [vaddr, vaddr+size), or NULL. With
 * `file_backed`, the range must also lie within the segment's file bytes. */
static const struct elf_segment *segment_for(const struct elf_image *img, uint64_t vaddr,
                                             uint64_t size, bool file_backed)
{
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		uint64_t limit = file_backed ? s->filesz : s->memsz;
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= limit && size <= limit - (vaddr - s->vaddr))
			return s;
	}
	return NULL;
}

static int check_dynamic(const uint8_t *p, size_t len, const struct elf64_phdr *dyn,
                         struct elf_image *img)
{
	if (!in_file(dyn->offset, dyn->filesz, len) || dyn->filesz % 16 != 0)
		return ELF_ERR_DYNAMIC;
	uint64_t rela = 0, relasz = 0, relaent = 24, pltrelsz = 0;
	bool have_rela = false;
	for (uint64_t off = 0; off < dyn->filesz; off += 16) {
		uint64_t tag, val;
		load(&tag, p + dyn->offset + off, 8);
		load(&val, p + dyn->offset + off + 8, 8);
		if (tag == DT_NULL)
			break;
		switch (tag) {
		case DT_NEEDED:
			return ELF_ERR_DYNAMIC;
		case DT_REL:
		case DT_TEXTREL:
			return ELF_ERR_RELOC;
		case DT_FLAGS:
			if (val & DF_TEXTREL)
				return ELF_ERR_RELOC;
			break;
		case DT_RELA: rela = val; have_rela = true; break;
		case DT_RELASZ: relasz = val; break;
		case DT_RELAENT: relaent = val; break;
		case DT_PLTRELSZ: pltrelsz = val; break;
		case DT_JMPREL: break;
		default: break;
		}
	}
	if (pltrelsz != 0 || relaent != sizeof(struct elf64_rela) || relasz % relaent != 0)
		return ELF_ERR_RELOC;
	if (!have_rela || relasz == 0)
		return ELF_OK;
	if (relasz / relaent > ELF_MAX_RELOCS)
		return ELF_ERR_RELOC;
	const struct elf_segment *s = segment_for(img, rela, relasz, true);
	if (!s)
		return ELF_ERR_RELOC;
	img->rela_offset = s->offset + (rela - s->vaddr);
	img->rela_count = relasz / relaent;
	for (uint64_t i = 0; i < img->rela_count; i++) {
		struct elf64_rela r;
		load(&r, p + img->rela_offset + i * sizeof(r), sizeof(r));
		uint32_t type = (uint32_t)r.info, sym = (uint32_t)(r.info >> 32);
		if (type == R_X86_64_NONE)
			continue;
		if (type != R_X86_64_RELATIVE || sym != 0)
			return ELF_ERR_RELOC;
		const struct elf_segment *t = segment_for(img, r.offset, 8, false);
		if (!t || !(t->prot & ELF_PROT_WRITE))
			return ELF_ERR_RELOC;
	}
	return ELF_OK;
}

static int check_tls(const struct elf64_phdr *ph, struct elf_image *img)
{
	if (img->has_tls || ph->filesz > ph->memsz || ph->memsz > ELF_MAX_TLS)
		return ELF_ERR_TLS;
	uint64_t align = ph->align ? ph->align : 1;
	if ((align & (align - 1)) != 0 || align > ELF_PAGE_SIZE)
		return ELF_ERR_TLS;
	if (ph->filesz && !segment_for(img, ph->vaddr, ph->filesz, true))
		return ELF_ERR_TLS;
	img->has_tls = true;
	img->tls.vaddr = ph->vaddr;
	img->tls.filesz = ph->filesz;
	img->tls.memsz = ph->memsz;
	img->tls.align = align;
	return ELF_OK;
}

int elf_parse(const void *image, size_t len, struct elf_image *img)
{
	const uint8_t *p = image;
	struct elf64_ehdr eh;
	__builtin_memset(img, 0, sizeof(*img));
	if (!image)
		return ELF_ERR_TRUNCATED;
	int err = check_header(p, len, &eh);
	if (err)
		return err;

	/* Pass 1: loadable segments (everything else refers to them). */
	struct elf64_phdr ph;
	for (uint16_t i = 0; i < eh.phnum; i++) {
		load(&ph, p + eh.phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.type == PT_INTERP)
			return ELF_ERR_DYNAMIC;
		if (ph.type == PT_GNU_STACK && (ph.flags & PF_X))
			return ELF_ERR_EXEC_STACK;
		if (ph.type == PT_LOAD && (err = add_load_segment(&ph, len, img)))
			return err;
	}
	if (img->nsegs == 0)
		return ELF_ERR_SEGMENT;

	/* Pass 2: what refers to the loaded image. */
	for (uint16_t i = 0; i < eh.phnum; i++) {
		load(&ph, p + eh.phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.type == PT_DYNAMIC && (err = check_dynamic(p, len, &ph, img)))
			return err;
		if (ph.type == PT_TLS && (err = check_tls(&ph, img)))
			return err;
		if (ph.type == PT_GNU_RELRO) {
			const struct elf_segment *s = segment_for(img, ph.vaddr, ph.memsz, false);
			if (!s || (s->prot & ELF_PROT_EXEC))
				return ELF_ERR_SEGMENT;
			img->has_relro = true;
			img->relro_vaddr = ph.vaddr;
			img->relro_size = ph.memsz;
		}
	}

	const struct elf_segment *entry = segment_for(img, eh.entry, 1, false);
	if (!entry || !(entry->prot & ELF_PROT_EXEC))
		return ELF_ERR_ENTRY;
	img->entry = eh.entry;
	return ELF_OK;
}

void elf_reloc(const void *image, const struct elf_image *img, uint64_t i, uint64_t *where,
               uint64_t *addend)
{
	struct elf64_rela r;
	load(&r, (const uint8_t *)image + img->rela_offset + i * sizeof(r), sizeof(r));
	*where = r.offset;
	*addend = (uint32_t)r.info == R_X86_64_NONE ? 0 : (uint64_t)r.addend;
	if ((uint32_t)r.info == R_X86_64_NONE)
		*where = UINT64_MAX; /* nothing to patch */
}

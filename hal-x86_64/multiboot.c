/*
 * multiboot.c - what the boot loader tells us: the memory map, the one boot
 * module (manifest.bin, QEMU's -initrd) and the command line (-append).
 *
 * Everything is copied out at once, before the frame allocator exists, so
 * the memory the loader used for these tables may be reused afterwards; only
 * the module itself stays reserved (frame.c), because the kernel reads the
 * manifest for as long as it runs. Read through the boot page tables' direct
 * map of the first GiB, where QEMU puts all of it.
 */
#include "x86.h"

#define MB_BOOTED_MAGIC 0x2badb002u
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_MMAP_RAM 1u
#define BOOT_MAP_LIMIT (1ull << 30) /* what the boot page tables map */

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t start, end;
	uint32_t string;
	uint32_t reserved;
};

/* One memory map entry; `size` does not count itself. */
struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
};

_Static_assert(sizeof(struct mb_info) == 52, "multiboot info layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap layout");

static bool readable(uint64_t pa, uint64_t len) { return pa < BOOT_MAP_LIMIT && len <= BOOT_MAP_LIMIT - pa; }

static void copy_cmdline(uint32_t pa, struct boot_info *out)
{
	size_t n = 0;
	if (readable(pa, BOOT_CMDLINE_MAX)) {
		const char *s = phys_to_virt(pa);
		while (n + 1 < BOOT_CMDLINE_MAX && s[n])
			n++;
		__builtin_memcpy(out->cmdline, s, n);
	}
	out->cmdline[n] = '\0';
}

const char *multiboot_read(uint32_t magic, uint32_t info, struct boot_info *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	if (magic != MB_BOOTED_MAGIC)
		return "not started by a multiboot loader";
	if (!readable(info, sizeof(struct mb_info)))
		return "the multiboot information is out of reach";
	const struct mb_info *mb = phys_to_virt(info);
	if (mb->flags & MB_INFO_CMDLINE)
		copy_cmdline(mb->cmdline, out);

	if (!(mb->flags & MB_INFO_MMAP) || !readable(mb->mmap_addr, mb->mmap_length))
		return "the boot loader gave no memory map";
	uint64_t at = mb->mmap_addr, end = at + mb->mmap_length;
	while (at + sizeof(struct mb_mmap_entry) <= end) {
		const struct mb_mmap_entry *e = phys_to_virt(at);
		if (e->type == MB_MMAP_RAM && e->len && out->nram < BOOT_MAX_REGIONS)
			out->ram[out->nram++] = (struct boot_region){ e->base, e->len };
		at += (uint64_t)e->size + sizeof(e->size);
	}
	if (out->nram == 0)
		return "the memory map has no RAM";

	/* The manifest: the first module (QEMU: -initrd manifest.bin). */
	if ((mb->flags & MB_INFO_MODS) && mb->mods_count > 0 &&
	    readable(mb->mods_addr, sizeof(struct mb_module))) {
		const struct mb_module *m = phys_to_virt(mb->mods_addr);
		if (m->end > m->start && readable(m->start, m->end - m->start)) {
			out->module_start = m->start;
			out->module_end = m->end;
		}
	}
	return NULL;
}

bool boot_cmdline_has(const struct boot_info *bi, const char *word)
{
	size_t wl = 0;
	while (word[wl])
		wl++;
	for (const char *s = bi->cmdline; *s;) {
		while (*s == ' ')
			s++;
		size_t n = 0;
		while (s[n] && s[n] != ' ')
			n++;
		if (n == wl && __builtin_memcmp(s, word, n) == 0)
			return true;
		s += n;
	}
	return false;
}

/*
 * tiny_elf.c - tests/mkmanifest/tiny.c's static-PIE, embedded at build time
 * (FUZZ_TINY_ELF names the file), so that a harness binary needs nothing
 * beside itself to boot a kernel.
 */
#include "fuzz.h"

#ifndef FUZZ_TINY_ELF
#error "FUZZ_TINY_ELF must name build/tests/mkmanifest/tiny.elf"
#endif

__asm__(".section .rodata.fuzz_tiny_elf,\"a\"\n"
        ".balign 16\n"
        ".globl fuzz_tiny_elf\n"
        "fuzz_tiny_elf:\n"
        ".incbin \"" FUZZ_TINY_ELF "\"\n"
        ".globl fuzz_tiny_elf_end\n"
        "fuzz_tiny_elf_end:\n"
        ".previous\n");

extern const uint8_t fuzz_tiny_elf_end[];

size_t fuzz_tiny_elf_len(void) { return (size_t)(fuzz_tiny_elf_end - fuzz_tiny_elf); }

/*
 * boot.h - the kernel's boot state: its configuration, init, and how the
 * system ended.
 */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include "kernel.h"

struct proc;

const struct kernel_config *boot_config(void);

/* Called by proc.c when any process ends; the end of init ends the system. */
void kernel_process_ended(struct proc *p);

/* Record how the system ends (first call wins) and stop scheduling. */
void boot_end(enum kernel_exit_kind kind, int code);

#endif /* KERNEL_BOOT_H */

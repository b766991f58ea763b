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

/* The image of manifest binary `name` (ProcessSpawner.spawn), or len 0. */
capn_data boot_binary(capn_text name);
/* Start the manifest service `name` that waits for init (startService):
 * -notFound, -alreadyExists, or the process, started, with *out set. */
int boot_start_service(capn_text name, struct proc **out);
/* The services the manifest leaves for init, in manifest order. */
uint32_t boot_deferred_count(void);
capn_text boot_deferred_name(uint32_t i);

#endif /* KERNEL_BOOT_H */

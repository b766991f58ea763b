/*
 * proc_mem.h - mapping memory into a process, accounted against its ledger
 * and its memory quota.
 */
#ifndef KERNEL_PROC_MEM_H
#define KERNEL_PROC_MEM_H

#include <stdint.h>

#include "proc.h"

/* Map `size` bytes (rounded up to pages) with `prot`; -resourceExhausted
 * past the process's memory quota. */
int proc_map(struct proc *p, uint64_t size, uint32_t prot, uint64_t *uva);
/* The same, with a kernel pointer to the memory (rings, CapSet pages). */
int proc_map_shared(struct proc *p, uint64_t size, uint32_t prot, uint64_t *uva, void **kva);
int proc_unmap(struct proc *p, uint64_t uva, uint64_t size);

#endif /* KERNEL_PROC_MEM_H */

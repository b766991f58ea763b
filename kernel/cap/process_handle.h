/*
 * process_handle.h - making ProcessHandle objects (cap/process_handle.c).
 */
#ifndef KERNEL_CAP_PROCESS_HANDLE_H
#define KERNEL_CAP_PROCESS_HANDLE_H

struct kobj;
struct proc;

/* A new handle on `child` (one reference), or NULL when memory is short. */
struct kobj *process_handle_create(struct proc *child);

#endif /* KERNEL_CAP_PROCESS_HANDLE_H */

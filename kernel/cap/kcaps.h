/*
 * kcaps.h - the capabilities the kernel itself provides (schema: KernelCap),
 * looked up by the boot code when a manifest grants one.
 */
#ifndef KERNEL_CAP_KCAPS_H
#define KERNEL_CAP_KCAPS_H

struct kobj;

/* A new reference to the object behind kernel capability `kernel_cap`
 * (enum capos_KernelCap), or NULL if this kernel does not provide it. */
struct kobj *kcaps_get(unsigned kernel_cap);

struct kobj *timer_object(void);
struct kobj *null_object(void);

struct kobj *process_spawner_object(void);
struct kobj *virtual_memory_object(void);
struct kobj *frame_allocator_object(void);

/* Per-process clean-up the process's end runs (proc.c). */
struct proc;
void vm_proc_ended(struct proc *p);
void frames_proc_ended(struct proc *p);
void process_handle_proc_ended(struct proc *p);

/* At shutdown: true when no process holds a kernel capability any more. */
int kcaps_all_released(void);

#endif /* KERNEL_CAP_KCAPS_H */

/*
 * confine.c - keeping user code and the simulator away from Linux.
 *
 * User code: Syscall User Dispatch (Linux 5.11+). While user code runs, the
 * selector byte says "block", so any system call it makes raises SIGSYS and
 * trap.c faults the process, naming the call. The only exemption is the page
 * holding our signal restorer. The kernel sets the selector to "allow" on
 * every entry (switch.S, trap.c).
 *
 * The simulator: once set up, it runs under a libseccomp allowlist of the
 * system calls the host HAL needs; any other call raises SIGSYS. From user
 * code (in --fast mode, where Syscall User Dispatch is off) that faults the
 * process; from the simulator it is a bug, reported as such.
 *
 * Neither protects against a user program that deliberately jumps into the
 * simulator's code: in the simulator processes share its address space. The
 * QEMU target is where isolation is real (docs/host-hal.md).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "host.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

extern volatile uint8_t hal_host_selector;
extern char hal_host_sigreturn_page[];

#define NAMES_MAX 512
/* Names of Linux system calls, resolved once (a signal handler cannot call
 * into libseccomp safely). */
static char *syscall_names[NAMES_MAX];

const char *host_syscall_name(long nr)
{
	if (nr >= 0 && nr < NAMES_MAX && syscall_names[nr])
		return syscall_names[nr];
	return "unknown";
}

int host_confine_init(const struct host_options *opts, char *err, size_t errlen)
{
	for (long nr = 0; nr < NAMES_MAX; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
	if (!opts->confined)
		return 0;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)hal_host_sigreturn_page,
	          4096ul, &hal_host_selector) != 0) {
		snprintf(err, errlen,
		         "Syscall User Dispatch is unavailable (%s); it needs Linux 5.11 or later. "
		         "Use --fast to run unconfined.",
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* What the simulator itself calls after start-up. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(timer_settime),
	SCMP_SYS(timer_gettime), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(mremap),
	SCMP_SYS(mincore), SCMP_SYS(memfd_create), SCMP_SYS(ftruncate), SCMP_SYS(close),
	SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(getrandom),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

int host_confine(char *err, size_t errlen)
{
	if (!host_opts.seccomp)
		return 0;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* isatty() from stdio: the terminal query only. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, 0x5401 /* TCGETS */));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "cannot install the seccomp allowlist: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

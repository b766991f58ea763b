/*
 * escape-attempt - user code that issues raw Linux system calls (an inline
 * `syscall` instruction, bypassing the gate) is faulted, and nothing happens
 * on the host.
 *
 * One binary, several services. Init (no arguments) holds a console and a
 * timer, waits while the victims try, then shows it still works. Each victim
 * (argv[1] names its attempt, argv[2] is its slot: victims act 60 ms apart
 * so the transcript's order is fixed) prints what it is about to do, makes
 * one raw system call, and would print "ESCAPED" if it came back:
 *
 *   openat   openat(AT_FDCWD, "/tmp/capos-escape-attempt-marker", O_CREAT|O_WRONLY, 0644)
 *   socket   socket(AF_INET, SOCK_STREAM, 0)
 *   execve   execve("/bin/sh", {"sh", "-c", "touch /tmp/capos-escape-attempt-exec"}, {})
 *   write    write(1, "escaped\n", 8): straight to the simulator's stdout
 *
 * The kernel must fault each ("... faulted: Linux system call NAME (NR) at
 * ..."). The write attempt lives in a separate demo (escape-attempt-write,
 * which builds this same file) because --fast mode does not confine write:
 * it is on the simulator's own seccomp allowlist.
 */
#include <capos/capos.h>

#define MS 1000000ull
#define STAGGER (60 * MS)
#define MAX_SLOTS 4

#define NR_WRITE 1
#define NR_SOCKET 41
#define NR_EXECVE 59
#define NR_OPENAT 257
#define AT_FDCWD (-100)
#define O_WRONLY 01
#define O_CREAT 0100
#define AF_INET 2
#define SOCK_STREAM 1

static cap_id_t console, timer;

static long raw_syscall(long nr, long a1, long a2, long a3, long a4)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
	                 : "rcx", "r11", "memory");
	return ret;
}

static const char marker[] = "/tmp/capos-escape-attempt-marker";
static const char *const sh_argv[] = { "sh", "-c", "touch /tmp/capos-escape-attempt-exec", NULL };
static const char *const sh_envp[] = { NULL };
static const char escaped[] = "escaped\n";

static int victim(const char *what, uint64_t slot)
{
	if (timer_sleep(timer, (slot + 1) * STAGGER) != 0)
		return 2;
	long r;
	if (!strcmp(what, "openat")) {
		console_write_line(console, "escape-attempt: openat: trying openat(AT_FDCWD, "
		                            "\"/tmp/capos-escape-attempt-marker\", O_CREAT|O_WRONLY, 0644)");
		r = raw_syscall(NR_OPENAT, AT_FDCWD, (long)marker, O_CREAT | O_WRONLY, 0644);
	} else if (!strcmp(what, "socket")) {
		console_write_line(console, "escape-attempt: socket: trying socket(AF_INET, SOCK_STREAM, 0)");
		r = raw_syscall(NR_SOCKET, AF_INET, SOCK_STREAM, 0, 0);
	} else if (!strcmp(what, "execve")) {
		console_write_line(console, "escape-attempt: execve: trying execve(\"/bin/sh\", "
		                            "[\"sh\", \"-c\", \"touch /tmp/capos-escape-attempt-exec\"])");
		r = raw_syscall(NR_EXECVE, (long)"/bin/sh", (long)sh_argv, (long)sh_envp, 0);
	} else if (!strcmp(what, "write")) {
		console_write_line(console, "escape-attempt: write: trying write(1, ..., 8) to the host's stdout");
		r = raw_syscall(NR_WRITE, 1, (long)escaped, sizeof(escaped) - 1, 0);
	} else {
		console_printf(console, "escape-attempt: unknown attempt %s\n", what);
		return 4;
	}
	console_printf(console, "escape-attempt: ESCAPED: %s returned %ld\n", what, r);
	return 3;
}

int main(int argc, char **argv)
{
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	if (capset_get("timer", &timer, NULL) != 0)
		return 101;
	if (argc >= 3)
		return victim(argv[1], (uint64_t)(argv[2][0] - '0'));

	console_write_line(console, "escape-attempt: init: waiting while the victims try to reach Linux");
	int err = timer_sleep(timer, (MAX_SLOTS + 2) * STAGGER + 100 * MS);
	int werr = console_write_line(console, "escape-attempt: init: still running after the attempts; console works");
	uint64_t t = 0;
	int terr = timer_now(timer, &t);
	bool ok = !err && !werr && !terr && t >= (MAX_SLOTS + 2) * STAGGER;
	console_printf(console, "escape-attempt: init: timer works: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

/*
 * linux-bench - the Linux baseline of `make bench-ipc` (bench/README.md),
 * measured on the same machine in the same run as capOS.
 *
 *   linux-bench BATCHES PIPE_N SPAWN_N TRUE_NOSTDLIB TRUE_GLIBC
 *
 * BATCHES times, interleaved, each batch timed with CLOCK_MONOTONIC and
 * printed as "S <metric> <ns> <count>" (the driver takes the median of the
 * batch means):
 *
 *   pipe          1-byte ping-pong between two processes over two pipes
 *   pipe_1cpu     the same with both processes pinned to one CPU (capOS
 *                 runs all its processes on one host thread)
 *   futex         ping-pong between two threads on one futex word
 *   eventfd       ping-pong between two threads over two eventfds
 *   syscall       one trivial system call (getppid), the NullCap comparison
 *   spawn         posix_spawn + waitpid of a static -nostdlib binary that
 *                 only exits 0
 *   spawn_glibc   the same with a static glibc `int main(void){return 0;}`
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "linux-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int warming_up; /* batches are not reported while set */

static void report(const char *metric, uint64_t ns, uint64_t n)
{
	if (warming_up)
		return;
	printf("S %s %llu %llu\n", metric, (unsigned long long)ns, (unsigned long long)n);
	fflush(stdout);
}

/* ------------------------------------------------------------ pipes */

struct pipe_pair {
	int to_child, from_child;
	pid_t child;
};

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		die("sched_setaffinity");
}

static struct pipe_pair pipe_start(int cpu)
{
	int a[2], b[2];
	if (pipe(a) || pipe(b))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		if (cpu >= 0)
			pin(0, cpu);
		char c;
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	return (struct pipe_pair){ a[1], b[0], pid };
}

/* Close every pair before waiting for any child: a child forked later holds
 * copies of the earlier pairs' descriptors. */
static void pipe_stop(struct pipe_pair *p, int n)
{
	for (int i = 0; i < n; i++) {
		close(p[i].to_child);
		close(p[i].from_child);
	}
	for (int i = 0; i < n; i++)
		waitpid(p[i].child, NULL, 0);
}

static void pipe_batch(const char *metric, struct pipe_pair *p, uint64_t n, int cpu)
{
	cpu_set_t old;
	if (cpu >= 0) {
		if (sched_getaffinity(0, sizeof(old), &old))
			die("sched_getaffinity");
		pin(0, cpu);
	}
	char c = 'x';
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		if (write(p->to_child, &c, 1) != 1 || read(p->from_child, &c, 1) != 1)
			die("pipe ping-pong");
	uint64_t t1 = now_ns();
	if (cpu >= 0 && sched_setaffinity(0, sizeof(old), &old))
		die("sched_setaffinity");
	report(metric, t1 - t0, n);
}

/* ------------------------------------------------------------ futex */

static _Atomic int fword; /* 0: the main thread's turn, 1: the partner's, 2: stop */

static long futex(_Atomic int *w, int op, int val)
{
	return syscall(SYS_futex, (int *)w, op, val, NULL, NULL, 0);
}

static void *futex_partner(void *arg)
{
	(void)arg;
	for (;;) {
		int v;
		while ((v = atomic_load(&fword)) == 0)
			futex(&fword, FUTEX_WAIT_PRIVATE, 0);
		if (v == 2)
			return NULL;
		atomic_store(&fword, 0);
		futex(&fword, FUTEX_WAKE_PRIVATE, 1);
	}
}

static void futex_batch(uint64_t n)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		atomic_store(&fword, 1);
		futex(&fword, FUTEX_WAKE_PRIVATE, 1);
		while (atomic_load(&fword) == 1)
			futex(&fword, FUTEX_WAIT_PRIVATE, 1);
	}
	report("futex", now_ns() - t0, n);
}

/* ------------------------------------------------------------ eventfd */

static int ev_ping, ev_pong;

static void *eventfd_partner(void *arg)
{
	(void)arg;
	uint64_t v;
	for (;;) {
		if (read(ev_ping, &v, sizeof(v)) != sizeof(v))
			die("eventfd read");
		if (v > 1)
			return NULL; /* stop */
		if (write(ev_pong, &v, sizeof(v)) != sizeof(v))
			die("eventfd write");
	}
}

static void eventfd_batch(uint64_t n)
{
	uint64_t v = 1;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		if (write(ev_ping, &v, sizeof(v)) != sizeof(v) || read(ev_pong, &v, sizeof(v)) != sizeof(v))
			die("eventfd ping-pong");
	report("eventfd", now_ns() - t0, n);
}

/* ------------------------------------------------------------ a system call */

static void syscall_batch(uint64_t n)
{
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		syscall(SYS_getppid);
	report("syscall", now_ns() - t0, n);
}

/* ------------------------------------------------------------ spawn */

static void spawn_batch(const char *metric, const char *path, uint64_t n)
{
	char *argv[] = { (char *)path, NULL };
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		pid_t pid;
		int st, err = posix_spawn(&pid, path, NULL, NULL, argv, environ);
		if (err) {
			errno = err;
			die(path);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("waitpid");
	}
	report(metric, now_ns() - t0, n);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: linux-bench BATCHES PIPE_N SPAWN_N TRUE_NOSTDLIB TRUE_GLIBC\n");
		return 2;
	}
	uint64_t batches = strtoull(argv[1], NULL, 10), n = strtoull(argv[2], NULL, 10),
	         spawn_n = strtoull(argv[3], NULL, 10);
	const char *true_nostdlib = argv[4], *true_glibc = argv[5];

	cpu_set_t all;
	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity");
	int cpu = 0;
	while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &all))
		cpu++;

	struct pipe_pair pipes[2] = { pipe_start(-1), pipe_start(cpu) };
	struct pipe_pair *free_pipe = &pipes[0], *pinned_pipe = &pipes[1];
	pthread_t ft, et;
	if ((ev_ping = eventfd(0, EFD_CLOEXEC)) < 0 || (ev_pong = eventfd(0, EFD_CLOEXEC)) < 0)
		die("eventfd");
	if (pthread_create(&ft, NULL, futex_partner, NULL) || pthread_create(&et, NULL, eventfd_partner, NULL))
		die("pthread_create");

	/* Warm up. */
	warming_up = 1;
	pipe_batch("pipe", free_pipe, n / 10, -1);
	pipe_batch("pipe_1cpu", pinned_pipe, n / 10, cpu);
	futex_batch(n / 10);
	eventfd_batch(n / 10);
	syscall_batch(n / 10);
	spawn_batch("spawn", true_nostdlib, 2);
	spawn_batch("spawn_glibc", true_glibc, 2);
	warming_up = 0;

	for (uint64_t b = 0; b < batches; b++) {
		pipe_batch("pipe", free_pipe, n, -1);
		pipe_batch("pipe_1cpu", pinned_pipe, n, cpu);
		futex_batch(n);
		eventfd_batch(n);
		syscall_batch(n);
		spawn_batch("spawn", true_nostdlib, spawn_n);
		spawn_batch("spawn_glibc", true_glibc, spawn_n);
	}

	atomic_store(&fword, 2);
	futex(&fword, FUTEX_WAKE_PRIVATE, 1);
	uint64_t stop = 2;
	if (write(ev_ping, &stop, sizeof(stop)) != sizeof(stop))
		die("eventfd stop");
	pthread_join(ft, NULL);
	pthread_join(et, NULL);
	pipe_stop(pipes, 2);
	return 0;
}

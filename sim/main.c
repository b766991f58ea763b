/*
 * capos-sim - the whole of capOS as one Linux process.
 *
 * Reads a manifest (or uses the one built in), sets up the simulated CPU
 * (hal-host), boots the portable kernel on it and runs until init ends. The
 * exit status is init's exit code, or one of the HOST_EXIT_* codes of
 * hal-host/host.h for a bad manifest, a panic, a timeout, a deadlock or a
 * faulted init. docs/host-hal.md describes every option.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "kernel.h"

/* The default system, embedded at build time (default_manifest.S). */
extern const unsigned char capos_default_manifest[];
extern const unsigned char capos_default_manifest_end[];

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: capos-sim [options] [manifest.bin]\n"
	        "\n"
	        "Boot capOS inside this process. Without a manifest, boot the built-in\n"
	        "default system. The exit status is init's exit code, or:\n"
	        "  %d bad or unreadable manifest   %d kernel panic   %d --timeout reached\n"
	        "  %d deadlock (no process can run)  %d init was faulted  %d simulator error\n"
	        "\n"
	        "options:\n"
	        "  --fast            no Syscall User Dispatch: user code runs unconfined\n"
	        "                    (required under valgrind)\n"
	        "  --gate=direct     enter the kernel by a direct call (default)\n"
	        "  --gate=syscall    enter the kernel by a trapped `syscall` instruction\n"
	        "  --no-seccomp      do not confine the simulator itself\n"
	        "  --timeout SECS    end the run (status %d) after SECS seconds\n"
	        "  --trace           print one line per capability call on stderr\n"
	        "  --deterministic   virtual clock: timings, and so transcripts, repeat exactly\n"
	        "  -h, --help        this text\n",
	        HOST_EXIT_BAD_MANIFEST, HOST_EXIT_PANIC, HOST_EXIT_TIMEOUT, HOST_EXIT_DEADLOCK,
	        HOST_EXIT_INIT_FAULT, HOST_EXIT_INTERNAL, HOST_EXIT_TIMEOUT);
}

/* The whole manifest file, or NULL after printing why not. */
static void *read_manifest(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "capos-sim: cannot read manifest '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap || ferror(f))
			break;
		unsigned char *nb = cap < (256u << 20) ? realloc(buf, cap *= 2) : NULL;
		if (!nb) {
			fprintf(stderr, "capos-sim: manifest '%s' is larger than 256 MiB\n", path);
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	int bad = ferror(f);
	fclose(f);
	if (buf && (bad || n == 0)) {
		fprintf(stderr, "capos-sim: manifest '%s' is %s\n", path, bad ? "unreadable" : "empty");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int exit_status(struct kernel_exit e)
{
	switch (e.kind) {
	case KERNEL_EXIT_INIT:
		return e.code & 0xff;
	case KERNEL_EXIT_INIT_FAULT:
		return HOST_EXIT_INIT_FAULT;
	case KERNEL_EXIT_BAD_MANIFEST:
		return HOST_EXIT_BAD_MANIFEST;
	case KERNEL_EXIT_DEADLOCK:
		return HOST_EXIT_DEADLOCK;
	case KERNEL_EXIT_PANIC:
		return HOST_EXIT_PANIC;
	case KERNEL_EXIT_NO_MEMORY:
		return HOST_EXIT_INTERNAL;
	}
	return HOST_EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
	struct host_options opts = { .confined = true, .gate = HOST_GATE_DIRECT, .seccomp = true };
	struct kernel_config config = { .check_ledger = true };
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--fast")) {
			opts.confined = false;
		} else if (!strcmp(a, "--gate=direct")) {
			opts.gate = HOST_GATE_DIRECT;
		} else if (!strcmp(a, "--gate=syscall")) {
			opts.gate = HOST_GATE_SYSCALL;
		} else if (!strcmp(a, "--no-seccomp")) {
			opts.seccomp = false;
		} else if (!strcmp(a, "--trace")) {
			config.trace = true;
		} else if (!strcmp(a, "--deterministic")) {
			opts.deterministic = true;
		} else if (!strcmp(a, "--timeout") && i + 1 < argc) {
			char *end;
			opts.timeout_s = strtod(argv[++i], &end);
			if (*end || opts.timeout_s <= 0) {
				fprintf(stderr, "capos-sim: --timeout needs a positive number of seconds\n");
				return HOST_EXIT_USAGE;
			}
		} else if (a[0] == '-') {
			fprintf(stderr, "capos-sim: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return HOST_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "capos-sim: one manifest at a time\n");
			return HOST_EXIT_USAGE;
		}
	}
	if (opts.gate == HOST_GATE_SYSCALL && !opts.confined) {
		fprintf(stderr, "capos-sim: --gate=syscall needs Syscall User Dispatch (not --fast)\n");
		return HOST_EXIT_USAGE;
	}
	if (host_under_valgrind()) /* valgrind cannot run either */
		opts.seccomp = false;

	size_t len = (size_t)(capos_default_manifest_end - capos_default_manifest);
	const void *manifest = capos_default_manifest;
	void *owned = NULL;
	if (path && !(manifest = owned = read_manifest(path, &len)))
		return HOST_EXIT_BAD_MANIFEST;

	char err[256];
	if (host_init(&opts, err, sizeof(err))) {
		fprintf(stderr, "capos-sim: %s\n", err);
		free(owned);
		return HOST_EXIT_INTERNAL;
	}
	setvbuf(stdout, NULL, _IONBF, 0);

	struct hal_ctx *first = kernel_boot(manifest, len, &config);
	if (first) {
		if (host_confine(err, sizeof(err))) {
			fprintf(stderr, "capos-sim: %s\n", err);
			return HOST_EXIT_INTERNAL;
		}
		host_run(first);
	}
	int status = exit_status(kernel_exit_status());
	size_t leaked = kernel_shutdown();
	free(owned);
	if (leaked)
		return HOST_EXIT_INTERNAL; /* the kernel's ledger did not balance (it said how) */
	return status;
}

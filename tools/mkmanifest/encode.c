/*
 * encode.c - text form to Cap'n Proto binary, by the reference tool.
 *
 * The text form of a manifest is Cap'n Proto's own text format, so parsing it
 * is left to the reference implementation (`capnp encode`) rather than
 * written again here. This file runs it and turns its error report into one
 * line naming the manifest file and, when capnp gives a byte range, the line
 * and column.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkmanifest.h"

extern char **environ;

/* Append what is readable on fd to *buf; returns 0 at EOF, 1 if more may come. */
static int drain(int fd, struct bytes *buf, size_t *cap)
{
	if (buf->len + 65536 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 65536) + 65536;
		uint8_t *p = realloc(buf->data, ncap);
		if (!p)
			return -1;
		buf->data = p;
		*cap = ncap;
	}
	ssize_t n = read(fd, buf->data + buf->len, *cap - buf->len - 1);
	if (n < 0)
		return errno == EINTR ? 1 : -1;
	buf->len += (size_t)n;
	buf->data[buf->len] = 0;
	return n > 0;
}

/* Byte offset -> "line:col" in the manifest text. */
static void position(const char *path, long offset, char *out, size_t cap)
{
	struct bytes text;
	snprintf(out, cap, "?");
	if (read_file(path, 64u << 20, &text) != 0)
		return;
	long line = 1, col = 1;
	for (long i = 0; i < offset && (size_t)i < text.len; i++) {
		if (text.data[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(out, cap, "%ld:%ld", line, col);
	free_bytes(&text);
}

/* capnp reports "Exception description: 42-47: Struct has no field named 'x'."
 * or, for text it cannot tokenize, a "failed:" line. */
static void report_capnp_error(const char *path, const char *err)
{
	const char *d = strstr(err, "Exception description: ");
	if (d) {
		d += strlen("Exception description: ");
		char *end;
		long from = strtol(d, &end, 10);
		const char *msg = d;
		char pos[48] = "";
		if (end != d && *end == '-') {
			strtol(end + 1, &end, 10);
			if (*end == ':') {
				position(path, from, pos, sizeof(pos));
				msg = end + 2;
			}
		}
		int n = (int)strcspn(msg, "\n");
		if (pos[0])
			fprintf(stderr, "mkmanifest: %s:%s: %.*s\n", path, pos, n, msg);
		else
			report(path, "%.*s", n, msg);
		return;
	}
	const char *f = strstr(err, "failed: ");
	const char *msg = f ? f + strlen("failed: ") : err;
	report(path, "not a valid manifest text: %.*s", (int)strcspn(msg, "\n"), msg);
}

int encode_text_manifest(const char *capnp, const char *schema, const char *path,
                         struct bytes *out)
{
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		report(path, "cannot read: %s", strerror(errno));
		return -1;
	}
	int opipe[2], epipe[2];
	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		report(path, "pipe: %s", strerror(errno));
		close(in);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	char *argv[] = { (char *)capnp, "encode", (char *)schema, "Manifest", NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, capnp, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in);
	close(opipe[1]);
	close(epipe[1]);
	if (rc != 0) {
		report(path, "cannot run '%s' (from Debian's capnproto package): %s", capnp, strerror(rc));
		close(opipe[0]);
		close(epipe[0]);
		return -1;
	}

	struct bytes err = { 0 };
	size_t ocap = 0, ecap = 0;
	*out = (struct bytes){ 0 };
	struct pollfd fds[2] = { { opipe[0], POLLIN, 0 }, { epipe[0], POLLIN, 0 } };
	int open_fds = 2, failed = 0;
	while (open_fds > 0 && !failed) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int more = drain(fds[i].fd, i ? &err : out, i ? &ecap : &ocap);
			if (more < 0)
				failed = 1;
			if (more <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || out->len == 0) {
		if (err.len)
			report_capnp_error(path, (const char *)err.data);
		else
			report(path, "capnp encode failed (status %d)", status);
		free_bytes(out);
		free_bytes(&err);
		return -1;
	}
	free_bytes(&err);
	return 0;
}

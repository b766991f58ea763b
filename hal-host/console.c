/*
 * console.c - the console: stdout for output (the transcript), stdin for
 * input, stderr for the debug channel (--trace).
 *
 * Input is read into a buffer here whenever it is available, so that idling
 * never spins on a readable stdin that no process is reading yet; the kernel
 * takes bytes from the buffer when a readLine waits.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "hal.h"
#include "host.h"

#define INPUT_MAX 65536u

/* Console input not yet taken by the kernel. Owned by the host HAL. */
static struct {
	char buf[INPUT_MAX];
	size_t len;
	bool eof;
} input;

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* the transcript's reader went away; nothing to do */
		}
		s += n;
		len -= (size_t)n;
	}
}

void hal_console_write(const char *s, size_t len) { write_all(1, s, len); }

void hal_debug_write(const char *s, size_t len) { write_all(2, s, len); }

/* Read whatever stdin has now, without blocking. */
static void fill(void)
{
	while (!input.eof && input.len < INPUT_MAX) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		if (poll(&pfd, 1, 0) <= 0)
			return;
		ssize_t n = read(0, input.buf + input.len, INPUT_MAX - input.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			input.eof = true; /* end of input, or it cannot be read */
			return;
		}
		input.len += (size_t)n;
	}
}

size_t hal_console_read(char *buf, size_t len)
{
	fill();
	size_t n = input.len < len ? input.len : len;
	memcpy(buf, input.buf, n);
	memmove(input.buf, input.buf + n, input.len - n);
	input.len -= n;
	return n;
}

bool hal_console_eof(void) { return input.eof && input.len == 0; }

int host_console_poll_fd(void);
int host_console_poll_fd(void)
{
	fill();
	return input.eof || input.len ? -1 : 0;
}

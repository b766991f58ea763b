/*
 * console.c - the Console capability: writes go straight to the HAL console;
 * readLine calls queue in order and are answered from a line buffer filled
 * from console input on every kernel entry (console_poll).
 */
#include "console.h"

#include "hal.h"
#include "invoke.h"
#include "kernel.h"
#include "kobj.h"
#include "proc.h"

#define CONSOLE_LINE_MAX 4096u

static int console_invoke(struct kobj *obj, struct kinvoke *inv);

static const struct kobj_ops console_ops = {
	.name = "Console",
	.iface = CAPOS_CONSOLE_INTERFACE_ID,
	.invoke = console_invoke,
};

/* The console: one per system, owned by the kernel. `input` holds bytes
 * read but not yet given to a reader; `readers` the waiting readLine calls. */
static struct {
	struct kobj obj;
	char input[CONSOLE_LINE_MAX];
	uint32_t input_len;
	bool eof;
	struct list_node readers;
} console = { .obj = { &console_ops, 1 }, .readers = LIST_INIT(console.readers) };

struct kobj *console_object(void) { return &console.obj; }

void console_reset(void)
{
	console.input_len = 0;
	console.eof = false;
	list_init(&console.readers);
}

struct line_result {
	const char *text;
	uint32_t len;
	bool eof;
};

static void build_line(struct capn_builder *b, void *arg)
{
	const struct line_result *r = arg;
	capos_Console_readLine_Results_b res = capos_Console_readLine_Results_new_root(b);
	capos_Console_readLine_Results_set_line(res, r->text, r->len);
	capos_Console_readLine_Results_set_eof(res, r->eof);
}

/* Answer the first reader if a line (or the end of input) is available. */
static bool answer_one(void)
{
	struct kcall *kc = list_entry(console.readers.next, struct kcall, obj_link);
	uint32_t max = (uint32_t)kc->arg;
	uint32_t nl = 0;
	while (nl < console.input_len && console.input[nl] != '\n')
		nl++;
	bool have_line = nl < console.input_len;
	bool full = console.input_len == CONSOLE_LINE_MAX;
	if (!have_line && !full && !console.eof)
		return false;
	struct line_result r = { console.input, nl, false };
	uint32_t consumed = have_line ? nl + 1 : nl;
	if (r.len > max) {
		/* Longer than the reader wants: give `max` bytes, keep the rest. */
		r.len = max;
		consumed = max;
	}
	if (!have_line && !full && console.input_len == 0)
		r.eof = true; /* input has ended and nothing is left */
	kcall_complete(kc, build_line, &r, 0, NULL);
	for (uint32_t i = consumed; i < console.input_len; i++)
		console.input[i - consumed] = console.input[i];
	console.input_len -= consumed;
	return true;
}

void console_poll(void)
{
	if (list_empty(&console.readers))
		return; /* input stays with the HAL until someone asks for it */
	while (console.input_len < CONSOLE_LINE_MAX && !console.eof) {
		size_t n = hal_console_read(console.input + console.input_len, CONSOLE_LINE_MAX - console.input_len);
		if (n == 0) {
			console.eof = hal_console_eof();
			break;
		}
		console.input_len += (uint32_t)n;
	}
	while (!list_empty(&console.readers) && answer_one())
		;
}

bool console_waiting(void) { return !list_empty(&console.readers) && !console.eof; }

/* The most bytes a readLine answer of up to `max` bytes of text takes in
 * the caller's buffer: the message header, the framing (8), the root
 * pointer (8), the results struct (one data word for eof, one pointer) and
 * the text with its NUL, rounded up to a word. */
static uint32_t readline_answer_bound(uint32_t max)
{
	return (uint32_t)sizeof(struct capos_msg_header) + 8 + 8 + 16 + ((max + 1 + 7) & ~7u);
}

static int console_invoke(struct kobj *obj, struct kinvoke *inv)
{
	(void)obj;
	switch (inv->method) {
	case CAPOS_CONSOLE_METHOD_WRITE:
	case CAPOS_CONSOLE_METHOD_WRITE_LINE: {
		/* write and writeLine have the same parameter layout (text @0). */
		capn_text t = capos_Console_write_Params_get_text((capos_Console_write_Params_r){ inv->params });
		if (capn_reader_error(inv->params_msg))
			return KERR(BAD_MESSAGE);
		hal_console_write(t.str, t.len);
		if (inv->method == CAPOS_CONSOLE_METHOD_WRITE_LINE)
			hal_console_write("\n", 1);
		return 0;
	}
	case CAPOS_CONSOLE_METHOD_READ_LINE: {
		uint32_t max = capos_Console_readLine_Params_get_maxBytes((capos_Console_readLine_Params_r){ inv->params });
		if (capn_reader_error(inv->params_msg))
			return KERR(BAD_MESSAGE);
		if (max == 0 || max > CONSOLE_LINE_MAX)
			max = CONSOLE_LINE_MAX;
		/* Refuse now a buffer that could not take the longest answer,
		 * rather than lose a line of input when delivering it. */
		if (inv->buf_len && inv->buf_len < readline_answer_bound(max)) {
			inv->exc_msg = "result buffer too small for maxBytes";
			return KERR(TOO_LARGE);
		}
		int err;
		struct kcall *kc = kcall_create(inv, NULL, &err);
		if (!kc)
			return err;
		kc->arg = max;
		list_push_back(&console.readers, &kc->obj_link);
		console_poll();
		return KINVOKE_PENDING;
	}
	default:
		return KERR(NO_SUCH_METHOD);
	}
}

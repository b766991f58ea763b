/*
 * console.c - the Console client (schema: Console).
 */
#include "fmt.h"
#include "internal.h"

/* Messages up to this size are built on the stack; larger go to the heap. */
#define STACK_MSG 1024u
/* Write long text in pieces well under the kernel's message limit. */
#define WRITE_CHUNK 32768u

static int write_piece(cap_id_t console, uint16_t method, const char *s, size_t len)
{
	size_t need = len + 64;
	uint8_t stack_arena[STACK_MSG + 64] __attribute__((aligned(8)));
	uint8_t *arena = need <= sizeof(stack_arena) ? stack_arena : capos_malloc(need);
	if (!arena)
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	struct capn_builder b;
	capn_builder_init(&b, arena, need <= sizeof(stack_arena) ? sizeof(stack_arena) : need);
	/* write and writeLine share their parameter layout (text @0). */
	capos_Console_write_Params_set_text(capos_Console_write_Params_new_root(&b), s, len);
	uint8_t answer[64] __attribute__((aligned(8)));
	int err = capos__call_simple(console, CAPOS_CONSOLE_INTERFACE_ID, method, &b, answer, sizeof(answer), NULL, NULL);
	if (arena != stack_arena)
		capos_free(arena);
	return err;
}

int console_write(cap_id_t console, const char *s, size_t len)
{
	do {
		size_t n = len > WRITE_CHUNK ? WRITE_CHUNK : len;
		int err = write_piece(console, CAPOS_CONSOLE_METHOD_WRITE, s, n);
		if (err)
			return err;
		s += n;
		len -= n;
	} while (len);
	return 0;
}

int console_write_str(cap_id_t console, const char *s) { return console_write(console, s, strlen(s)); }

int console_write_line(cap_id_t console, const char *s)
{
	size_t len = strlen(s);
	if (len <= WRITE_CHUNK)
		return write_piece(console, CAPOS_CONSOLE_METHOD_WRITE_LINE, s, len);
	int err = console_write(console, s, len);
	return err ? err : console_write(console, "\n", 1);
}

int console_printf(cap_id_t console, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	size_t n = fmt_vstr(line, sizeof(line), fmt, ap);
	va_end(ap);
	return console_write(console, line, n);
}

int console_read_line(cap_id_t console, char *buf, size_t cap, size_t *len, bool *eof)
{
	uint8_t arena[64] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	uint32_t max = cap > 1 ? (uint32_t)(cap - 1 > 4096 ? 4096 : cap - 1) : 0;
	capos_Console_readLine_Params_set_maxBytes(capos_Console_readLine_Params_new_root(&b), max);
	size_t answer_len = max + 128;
	uint8_t *answer = capos_malloc(answer_len);
	if (!answer)
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	struct capn_reader r;
	capn_struct_r root;
	int err = capos__call_simple(console, CAPOS_CONSOLE_INTERFACE_ID, CAPOS_CONSOLE_METHOD_READ_LINE, &b,
	                             answer, answer_len, &r, &root);
	if (!err) {
		capos_Console_readLine_Results_r res = { root };
		capn_text line = capos_Console_readLine_Results_get_line(res);
		size_t n = line.len < cap ? line.len : (cap ? cap - 1 : 0);
		if (cap) {
			memcpy(buf, line.str, n);
			buf[n] = '\0';
		}
		if (len)
			*len = n;
		if (eof)
			*eof = capos_Console_readLine_Results_get_eof(res);
	}
	capos_free(answer);
	return err;
}

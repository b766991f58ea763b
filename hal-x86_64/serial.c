/*
 * serial.c - the console: COM1 (a 16550 UART) for the transcript and for
 * input, and QEMU's debug console (port 0xe9) for the debug channel.
 *
 * Output is polled (QEMU's UART drains at once). Input raises IRQ 4, whose
 * handler moves every received byte into a buffer here, so that input keeps
 * flowing into memory (the UART holds one byte) until a readLine asks.
 *
 * End of input: a serial line has none, so the byte 0x04 (EOT, what a
 * terminal sends for ^D) means "input has ended": hal_console_eof turns true
 * once the bytes before it are taken, and anything after it is ignored.
 * tools/qemu-run.sh appends it when its standard input is not a terminal,
 * so a test's input file ends exactly as it does in capos-sim. A carriage
 * return is read as a newline (a terminal in raw mode sends CR for Enter).
 */
#include "hal.h"
#include "io.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define DEBUGCON 0xe9
#define INPUT_END 0x04
#define INPUT_MAX 65536u

/* Console input not yet taken by the kernel. Owned by the HAL; filled by
 * the serial interrupt and by hal_console_read, kernel mode only. */
static struct {
	char buf[INPUT_MAX];
	uint32_t head, len;
	bool ended;
} input;

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80); /* divisor latch: 115200 baud */
	outb(COM1 + UART_DATA, 1);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8 bits, no parity, 1 stop bit */
	/* No FIFOs: turning them on flushes the receiver, and QEMU has usually
	 * delivered the first byte of input before we get here. One byte at a
	 * time is plenty for a console. */
	outb(COM1 + UART_FCR, 0);
	outb(COM1 + UART_MCR, 0x0b); /* DTR, RTS, OUT2 (gates the IRQ line) */
}

void serial_enable_irq(void)
{
	ioapic_route(4, VEC_SERIAL);
	outb(COM1 + UART_IER, 0x01); /* received data available */
}

void serial_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
			;
		outb(COM1 + UART_DATA, (uint8_t)s[i]);
	}
}

/* Move what the UART holds into the buffer (while there is room; the rest
 * waits in the UART, and QEMU reads no more input until it is taken). */
static void drain(void)
{
	while (input.len < INPUT_MAX && (inb(COM1 + UART_LSR) & LSR_DATA_READY)) {
		char c = (char)inb(COM1 + UART_DATA);
		if (input.ended)
			continue;
		if (c == INPUT_END) {
			input.ended = true;
			continue;
		}
		if (c == '\r')
			c = '\n';
		input.buf[(input.head + input.len) % INPUT_MAX] = c;
		input.len++;
	}
}

void serial_irq(void) { drain(); }

void hal_console_write(const char *s, size_t len) { serial_write(s, len); }

size_t hal_console_read(char *buf, size_t len)
{
	drain();
	size_t n = 0;
	while (n < len && input.len) {
		buf[n++] = input.buf[input.head];
		input.head = (input.head + 1) % INPUT_MAX;
		input.len--;
	}
	return n;
}

bool hal_console_eof(void) { return input.ended && input.len == 0; }

void hal_debug_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		outb(DEBUGCON, (uint8_t)s[i]);
}

/*
 * console.h - the Console kernel capability (schema: Console).
 */
#ifndef KERNEL_CAP_CONSOLE_H
#define KERNEL_CAP_CONSOLE_H

#include <stdbool.h>

struct kobj;

/* The console object (one per system). */
struct kobj *console_object(void);
/* Move console input into the line buffer and answer waiting readLine
 * calls; run on every kernel entry. */
void console_poll(void);
/* Whether some readLine waits for input that may still come. */
bool console_waiting(void);
/* Forget buffered input (shutdown). */
void console_reset(void);

#endif /* KERNEL_CAP_CONSOLE_H */

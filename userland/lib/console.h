// console.h: the library's console buffer, shared by printf.c, console.c and exit.c.
// Programs use putchar, puts, printf and console_flush from <stdio.h> instead.
#ifndef LAMINA_LIB_CONSOLE_H
#define LAMINA_LIB_CONSOLE_H

void console_putc(char c);

// Where console_flush writes instead of the console, if not NULL (set by fd.c).
extern long (*console_output)(const void *buf, unsigned long len);

#endif // LAMINA_LIB_CONSOLE_H

// console.h: the library's console buffer, shared by printf.c, console.c and exit.c.
// Programs use putchar, puts, printf and console_flush from <stdio.h> instead.
#ifndef LAMINA_LIB_CONSOLE_H
#define LAMINA_LIB_CONSOLE_H

void console_putc(char c);

#endif // LAMINA_LIB_CONSOLE_H

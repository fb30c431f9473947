/* stdlib.h: program exit, the heap, and number parsing
 * (userland/lib/exit.c, malloc.c, strtol.c). */
#ifndef LAMINA_STDLIB_H
#define LAMINA_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void exit(int status) __attribute__((noreturn));

void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);

long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int atoi(const char *s);
long atol(const char *s);

#endif /* LAMINA_STDLIB_H */

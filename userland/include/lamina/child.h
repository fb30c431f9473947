/* lamina/child.h: starting a child domain on a function of this program
 * (userland/lib/child.c), built from the exofork calls.
 *
 * The child shares this program's text and read-only data (mapped read-only) and
 * gets private copies of its data, bss and heap as they are when child_create runs,
 * and a fresh stack. It holds no device bindings: to let it print, pass it the
 * console with sys_bind_grant(child, DEVICE_CONSOLE, 0, 0).
 */
#ifndef LAMINA_CHILD_H
#define LAMINA_CHILD_H

#include <lamina/abi.h>

/* Pages of a child's stack, just below USER_STACK_TOP. */
#define CHILD_STACK_PAGES 4

/* Create a stopped child domain that will run fn(arg) and exit with its return value.
 * Start it with sys_domain_set_state(child, DOM_STATE_RUNNABLE). Returns the
 * child's id, or -errno (and then no child is left behind). */
long child_create(int (*fn)(long), long arg);

/* The steps child_create takes, for programs that build a child themselves. */

/* Give child this program's image: text and read-only data as the same frames,
 * read-only; data, bss and heap as private copies. Returns 0 or -errno. */
long child_give_image(long child);

/* Give child a private copy of the caller's page at va, with PERM_* rights perm.
 * Returns 0 or -errno. */
long child_copy_page(long child, void *va, int perm);

/* A fresh zeroed page (read, write, execute) at a scratch address for the caller to
 * fill, or NULL; then child_give_scratch moves it to va in child with PERM_* rights
 * perm (0 or -errno), without copying it. */
void *child_scratch(void);
long child_give_scratch(long child, void *va, int perm);

#endif /* LAMINA_CHILD_H */

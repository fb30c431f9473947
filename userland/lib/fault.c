// fault.c: installing a user-level fault handler (see <lamina/fault.h>).

#include <stddef.h>
#include <lamina/fault.h>
#include <lamina/syscall.h>

// The handler __fault_entry (fault.S) calls. Not static: the assembly reads it.
fault_handler_fn *__fault_handler;

// Send this domain's faults to fn through __fault_entry, mapping the exception stack
// first if needed. Returns 0 or -errno.
long
fault_handler_install(fault_handler_fn *fn)
{
  void *xstack = (void *)(FAULT_XSTACK_TOP - XSTACK_SIZE);
  long err;

  if (fn == NULL) {
    __fault_handler = NULL;
    return sys_set_fault_handler(0, NULL, NULL);
  }
  if (sys_page_query(0, xstack) == -ENOENT) {
    err = sys_page_alloc(0, xstack, 1, PERM_R | PERM_W);
    if (err < 0)
      return err;
  }
  __fault_handler = fn;
  return sys_set_fault_handler(0, __fault_entry, (void *)FAULT_XSTACK_TOP);
}

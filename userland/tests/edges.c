// edges: the edges of the user address space. Page 0 and the last user page are
// ordinary pages for the memory calls, IPC and buffers, and a range may end exactly
// at USER_VA_LIMIT but not a byte past it (docs/abi.md).
//
// Every result is a line "name = value" (tests/test_kernel_edges.py).

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define RW (PERM_R | PERM_W)
#define LAST (USER_VA_LIMIT - PAGE_SIZE)  // the last user page
#define CHILD_WINDOW (USER_VA_LIMIT - 8 * PAGE_SIZE)  // where the child takes the page

static volatile uintptr_t zero;  // 0, hidden from the compiler (a null pointer is UB in C)

// Page 0: mappable, usable, unmappable; never mapped by the loader.
static void
page_zero(void)
{
  volatile long *p = (volatile long *)zero;

  report("zero.query_at_start", sys_page_query(0, (void *)zero));
  report("zero.alloc", sys_page_alloc(0, (void *)zero, 1, RW));
  report("zero.query", sys_page_query(0, (void *)zero));
  p[0] = 1234;
  p[511] = 5678;
  report("zero.stored_and_loaded", p[0] + p[511]);
  report("zero.console_write", sys_console_write((void *)(zero + 8), 0));
  report("zero.unmap", sys_page_unmap(0, (void *)zero));
  report("zero.query_after_unmap", sys_page_query(0, (void *)zero));
}

// The last page, and ranges that end at the limit or run past it.
static void
last_page(void)
{
  char *last = (char *)LAST;

  report("last.alloc_two_ending_at_limit", sys_page_alloc(0, last - PAGE_SIZE, 2, RW));
  report("last.alloc_again", sys_page_alloc(0, last, 1, RW));
  report("last.alloc_past_limit", sys_page_alloc(0, last, 2, RW));
  report("last.alloc_at_limit", sys_page_alloc(0, (void *)USER_VA_LIMIT, 1, RW));
  report("last.query", sys_page_query(0, last));
  report("last.query_last_byte", sys_page_query(0, (void *)(USER_VA_LIMIT - 1)));
  report("last.query_at_limit", sys_page_query(0, (void *)USER_VA_LIMIT));
  memcpy(last + PAGE_SIZE - 5, "edge\n", 5);
  report("last.write_ending_at_limit", sys_console_write(last + PAGE_SIZE - 5, 5));
  report("last.write_past_limit", sys_console_write(last + PAGE_SIZE - 5, 6));
  report("last.share_to_page_zero", sys_page_map(0, last, 0, (void *)zero, PERM_R));
  report("last.seen_at_page_zero", *(volatile char *)(zero + PAGE_SIZE - 5) == 'e');
  report("last.share_to_limit", sys_page_map(0, last, 0, (void *)USER_VA_LIMIT, PERM_R));
  report("last.share_from_limit", sys_page_map(0, (void *)USER_VA_LIMIT, 0, (void *)zero, PERM_R));
  report("last.unmap_page_zero", sys_page_unmap(0, (void *)zero));
}

// A child that receives one call with a page in its window at the top of its space,
// and replies with the byte it finds at the page's end.
static int
receiver(long unused)
{
  struct ipc_msg msg;
  long caller = ipc_recv((void *)CHILD_WINDOW, &msg);

  msg.w[0] = msg.page;
  msg.w[1] = msg.page ? ((volatile char *)msg.page)[PAGE_SIZE - 5] : 0;
  sys_ipc_reply(caller, msg.w[0], msg.w[1], 0, 0, 0);
  return 0;
}

// The last page goes to a child by IPC, and is granted into its last page directly.
static void
last_page_to_a_child(void)
{
  struct ipc_msg msg = {0, {7, 0, 0, 0}, 0};
  long child = child_create(receiver, 0);

  report("child.map_into_its_last_page", sys_page_map(0, (void *)LAST, child, (void *)LAST, PERM_R));
  report("child.query_its_last_page", sys_page_query(child, (void *)LAST));
  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  report("child.send_page_at_limit", ipc_call(child, &msg, USER_VA_LIMIT | PERM_R, NULL));
  report("child.call_with_the_last_page", ipc_call(child, &msg, LAST | PERM_R, NULL));
  report("child.window_it_got", msg.w[0] == CHILD_WINDOW);
  report("child.byte_it_read", (long)msg.w[1]);
  sys_domain_destroy(child);
}

int
main(void)
{
  page_zero();
  last_page();
  last_page_to_a_child();
  return 0;
}

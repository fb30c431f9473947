// exofork: fork, the exokernel way, by hand (as JOS's dumbfork does).
//
// domain_create returns the child's id in the parent and 0 in the child, which starts
// stopped with a copy of the parent's registers and an empty address space. The
// parent gives it the program, a copy of its stack and the console, starts it, waits
// for the NOTIFY_CHILD notification, reads the child's exit status and destroys it.
//
//   $ exofork
//   child: domain_create returned 0; I am domain 2, child of 1
//   create.returned_id = 2
//   ...
//
// Every parent result is a line "name = value" (tests/test_calls_domains.py).

#include <stdio.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define CHILD_STATUS 7

// Give child a private copy of every mapped page of this domain's stack, as it is
// now: the frames above the sp of the domain_create call are the child's, unchanged.
static long
copy_stack(long child)
{
  char *bottom = (char *)(USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE);
  long err;

  for (char *va = bottom; va < (char *)USER_STACK_TOP; va += PAGE_SIZE) {
    if (sys_page_query(0, va) < 0)
      continue;
    err = child_copy_page(child, va, PERM_R | PERM_W);
    if (err < 0)
      return err;
  }
  return 0;
}

// The parent's side: fill the child, run it to its end, destroy it.
static int
parent(long child)
{
  struct domain_info info;
  struct ipc_msg msg;

  report("create.returned_id", child);
  report("child.state_before_start", domain_info_of(child).state);
  report("child.pages_before_filling", domain_info_of(child).pages);
  report("give_image", child_give_image(child));
  report("copy_stack", copy_stack(child));
  report("bind_console", sys_bind_grant(child, DEVICE_CONSOLE, 0, 0));
  report("start", sys_domain_set_state(child, DOM_STATE_RUNNABLE));
  console_flush();
  report("recv.sender", ipc_recv(NULL, &msg));
  report("recv.bits", msg.w[0]);
  report("child.state_after_exit", domain_info_of(child).state);
  report("child.exit_status", domain_info_of(child).exit_status);
  report("child.pages_after_exit", domain_info_of(child).pages);
  report("destroy", sys_domain_destroy(child));
  report("info_after_destroy", sys_domain_info(child, &info));
  return 0;
}

int
main(void)
{
  long child;

  console_flush();  // else the child's copy of the buffer would print it again
  child = sys_domain_create();
  if (child == 0) {
    printf("child: domain_create returned 0; I am domain %ld, child of %ld\n", sys_getid(),
           (long)domain_info_of(0).parent);
    return CHILD_STATUS;
  }
  if (child < 0) {
    report("create", child);
    return 1;
  }
  return parent(child);
}

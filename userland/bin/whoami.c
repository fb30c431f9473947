// whoami: print this domain's id (the getid system call) and exit 0.
//
//   $ whoami
//   whoami: domain 3

#include <stdio.h>
#include <lamina/syscall.h>

int
main(void)
{
  printf("whoami: domain %ld\n", sys_getid());
  return 0;
}

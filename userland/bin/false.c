// false: do nothing, unsuccessfully.
//
//   false [--help]

#include <stdio.h>
#include <string.h>

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "--help") == 0)
    printf("usage: false: exit with status 1\n");
  return 1;
}

// true: do nothing, successfully.
//
//   true [--help]

#include <stdio.h>
#include <string.h>

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "--help") == 0)
    printf("usage: true: exit with status 0\n");
  return 0;
}

// hello: print a greeting and every argument, one per line, then exit 0.
//
//   $ hello world 42
//   Hello from Lamina!
//   argc = 3
//   argv[0] = hello
//   argv[1] = world
//   argv[2] = 42

#include <stdio.h>

int
main(int argc, char *argv[])
{
  printf("Hello from Lamina!\n");
  printf("argc = %d\n", argc);
  for (int i = 0; i < argc; i++)
    printf("argv[%d] = %s\n", i, argv[i]);
  return 0;
}

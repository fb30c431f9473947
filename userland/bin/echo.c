// echo: print the arguments, separated by spaces, and a newline.
//
//   echo [-n] ARG...      (-n: no newline)

#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
  int newline = 1, first = 1;

  if (argc > 1 && strcmp(argv[1], "-n") == 0) {
    newline = 0;
    argv++;
    argc--;
  }
  for (int i = 1; i < argc; i++) {
    if (!first && write(STDOUT_FILENO, " ", 1) < 0)
      return 1;
    if (write(STDOUT_FILENO, argv[i], strlen(argv[i])) < 0)
      return 1;
    first = 0;
  }
  if (newline && write(STDOUT_FILENO, "\n", 1) < 0)
    return 1;
  return 0;
}

// xargs: run a command once for each line of standard input, the line as its last
// argument.
//
//   xargs COMMAND [ARGS...]
//
// As xv6's lab asks: each line read becomes one more argument, and COMMAND ARGS LINE
// runs to its end (fork, exec, wait) before the next line is read. COMMAND is found
// in /bin unless it has a slash. Exits 0, or 1 if some run of the command failed.
// Lab util has students write the loop.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/proc.h>

#define LINE_MAX_LEN 512
#define MAX_ARGV 32

// Read one line of standard input into line (without its newline). Its length, or
// -1 at the end of input with nothing read.
static long
read_line(char *line, long size)
{
  long n = 0;
  char c;

  while (n < size - 1 && read(0, &c, 1) == 1) {
    if (c == '\n')
      break;
    line[n++] = c;
  }
  line[n] = '\0';
  if (n == 0 && c != '\n')
    return -1;
  return n;
}

// Run argv to its end; 0 if it exited 0.
static int
run(char **argv)
{
  char path[LINE_MAX_LEN];
  int status = 0;
  long pid;

  snprintf(path, sizeof path, strchr(argv[0], '/') ? "%s" : "/bin/%s", argv[0]);
  pid = fork();
  if (pid == 0) {
    execv(path, argv);
    dprintf(2, "xargs: %s: cannot run it\n", argv[0]);
    _exit(127);
  }
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return 1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
  char *args[MAX_ARGV + 2], line[LINE_MAX_LEN];
  int failed = 0, n;

  argc = proc_args(argc, &argv);
  if (argc < 2 || argc - 1 > MAX_ARGV) {
    dprintf(2, "xargs: usage: xargs COMMAND [ARGS...]\n");
    return 2;
  }
  for (n = 0; n < argc - 1; n++)
    args[n] = argv[n + 1];
  /* BEGIN LAB util: (void)line; (void)failed; (void)run; (void)read_line; dprintf(2, "xargs: not implemented (lab util)\n"); return 1; */
  while (read_line(line, sizeof line) >= 0) {
    args[n] = line;
    args[n + 1] = NULL;
    failed |= run(args);
  }
  return failed;
  /* END LAB util */
}

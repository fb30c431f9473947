// kill: end processes.
//
//   kill [-9 | -SIGNAL] PID...
//
// Lamina has no signal delivery: the process and its descendants end at once
// (domain_destroy) and the killer's wait reports the signal (default SIGTERM, 15).
// The kernel lets only an ancestor end a process, so this program can end only its
// own descendants; the shell has a kill built in that can end the shell's jobs.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <lamina/abi.h>

// The signal an option such as "-9", "-KILL" or "-TERM" names; -1 if none.
static int
parse_signal(const char *opt)
{
  char *end;
  long n;

  if (strcmp(opt, "KILL") == 0)
    return SIGKILL;
  if (strcmp(opt, "TERM") == 0)
    return SIGTERM;
  if (strcmp(opt, "INT") == 0)
    return SIGINT;
  n = strtol(opt, &end, 10);
  return *opt && *end == '\0' && n >= 0 && n <= 127 ? (int)n : -1;
}

int
main(int argc, char *argv[])
{
  int sig = SIGTERM, first = 1, status = 0;
  char *end;
  long pid, err;

  if (argc > 1 && argv[1][0] == '-') {
    sig = parse_signal(argv[1] + 1);
    if (sig < 0) {
      dprintf(2, "kill: %s: unknown signal (use a number, KILL, TERM or INT)\n", argv[1]);
      return 2;
    }
    first = 2;
  }
  if (first >= argc) {
    dprintf(2, "usage: kill [-9 | -SIGNAL] PID...\n");
    return 2;
  }
  for (int i = first; i < argc; i++) {
    pid = strtol(argv[i], &end, 10);
    err = *argv[i] && *end == '\0' && pid > 0 ? kill(pid, sig) : -EINVAL;
    if (err < 0) {
      dprintf(2, "kill: %s: %s\n", argv[i], strerror((int)-err));
      status = 1;
    }
  }
  return status;
}

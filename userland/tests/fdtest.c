// fdtest: file descriptors over the file service: shared offsets after dup, a
// forked child reading on from its parent's offset, dup2 onto standard output.
//
//   fdtest -F SERVER PATH OUT     (PATH: a file of at least 16 bytes; OUT: created)
//
// Prints one "name = value" line per result (tests/reported.py reads them); the
// bytes read are printed as text.

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/proc.h>
#include <lamina/report.h>

// Read 4 bytes from fd and print them as "name = text".
static void
read4(const char *name, int fd)
{
  char buf[5] = {0};
  long n = read(fd, buf, 4);

  if (n < 0)
    report(name, n);
  else
    printf("%s = %s\n", name, buf);
}

// dup shares the offset; a forked child goes on from it; the parent's offset is
// its own.
static void
test_reads(const char *path)
{
  long fd = open(path, O_RDONLY, 0);
  long fd2, pid;
  int status = 0;

  report("open", fd);
  read4("read.first", (int)fd);
  fd2 = dup((int)fd);
  report("dup", fd2);
  read4("read.dup", (int)fd2);
  pid = fork();
  if (pid == 0) {
    read4("read.child", (int)fd);
    exit(0);
  }
  waitpid(pid, &status, 0);
  read4("read.parent_after_child", (int)fd);
  report("close", close((int)fd));
  report("close.again", close((int)fd));
  read4("read.dup_after_close", (int)fd2);
  close((int)fd2);
}

// dup2 sends what is written to standard output, printf's output included, into a
// file.
static void
test_redirect(const char *out)
{
  long fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  long saved = dup(STDOUT_FILENO);
  const char *line = "written through fd 1\n";

  report("redirect.open", fd);
  long redirected = dup2((int)fd, STDOUT_FILENO);
  write(STDOUT_FILENO, line, strlen(line));
  printf("printed through fd 1\n");
  console_flush();  // into the file, before descriptor 1 is the console again
  dup2((int)saved, STDOUT_FILENO);
  close((int)saved);
  report("redirect.dup2", redirected);
  close((int)fd);
  report("redirect.console_seek", lseek(STDOUT_FILENO, 0, SEEK_SET));
  fd = open(out, O_RDONLY, 0);
  report("redirect.size", lseek((int)fd, 0, SEEK_END));
  close((int)fd);
}

int
main(int argc, char *argv[])
{
  argc = proc_args(argc, &argv);
  if (argc != 3) {
    printf("usage: fdtest -F SERVER PATH OUT\n");
    return 2;
  }
  test_reads(argv[1]);
  test_redirect(argv[2]);
  report("bad_fd", read(9, NULL, 0));
  return 0;
}

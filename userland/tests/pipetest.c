// pipetest: pipes between processes: a child's standard output read by its parent,
// the end of input when the writer ends or is killed, -EPIPE with no reader, and
// -EIO when the other side has written nonsense into the shared page.
//
//   pipetest [BYTES]     (default 20000: several times what the ring holds)
//
// Prints one "name = value" line per result (tests/reported.py reads them).

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <lamina/pipe.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

static char buf[4096];

// The test pattern's byte at position i.
static char
pattern(long i)
{
  return (char)('a' + i % 23);
}

// The writer child: send n pattern bytes to standard output (the pipe), in uneven
// pieces, and end without closing anything.
static void
writer(long n)
{
  long done = 0, k;

  while (done < n) {
    k = n - done < 1000 ? n - done : 1000;
    for (long i = 0; i < k; i++)
      buf[i] = pattern(done + i);
    if (write(STDOUT_FILENO, buf, (size_t)k) != k)
      exit(1);
    done += k;
  }
  exit(0);
}

// A child's standard output, redirected into a pipe, reaches the parent in order;
// the parent sees the end when the child exits.
static void
test_stream(long n)
{
  int fds[2], status = 0, bad = 0;
  long pid, got, total = 0;

  report("stream.pipe", pipe(fds));
  pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    writer(n);
  }
  close(fds[1]);
  while ((got = read(fds[0], buf, sizeof buf)) > 0) {
    for (long i = 0; i < got; i++)
      bad += buf[i] != pattern(total + i);
    total += got;
  }
  report("stream.last_read", got);
  report("stream.bytes", total);
  report("stream.wrong_bytes", bad);
  waitpid(pid, &status, 0);
  report("stream.writer_status", WEXITSTATUS(status));
  report("stream.seek", lseek(fds[0], 0, SEEK_SET));
  close(fds[0]);
}

// A writer killed before it closed its end still lets the reader see the end.
static void
test_killed_writer(void)
{
  int fds[2], status = 0;
  long pid;

  pipe(fds);
  pid = fork();
  if (pid == 0) {
    write(fds[1], "x", 1);
    for (;;)
      ;  // spin, holding the write end
  }
  close(fds[1]);
  report("killed.first_read", read(fds[0], buf, sizeof buf));
  kill(pid, SIGKILL);
  report("killed.read_after_kill", read(fds[0], buf, sizeof buf));
  waitpid(pid, &status, 0);
  report("killed.signal", WTERMSIG(status));
  close(fds[0]);
}

// Writing to a pipe nobody can read is -EPIPE; reading the write end is -EBADF.
static void
test_no_reader(void)
{
  int fds[2];

  pipe(fds);
  report("noreader.read_write_end", read(fds[1], buf, 1));
  close(fds[0]);
  report("noreader.write", write(fds[1], "x", 1));
  close(fds[1]);
}

// The pipe page of this process (the one pipe it has open).
static struct pipe *
the_pipe(void)
{
  for (int i = 0; i < PIPE_SLOTS; i++) {
    struct pipe *p = (struct pipe *)(PIPE_VA + (unsigned long)i * PAGE_SIZE);
    if (sys_page_query(0, p) >= 0)
      return p;
  }
  return NULL;
}

// A holder of the other end rewrites the ring's positions in the shared page (moves
// rpos past wpos, or wpos far past rpos): the writer and the reader must refuse them
// (-EIO), never index the ring with them (before, a write went on past the page).
static void
test_hostile_positions(void)
{
  int fds[2], status = 0;
  long pid;
  struct pipe *p;

  pipe(fds);
  p = the_pipe();
  pid = fork();
  if (pid == 0) {
    p->rpos = p->wpos + 100;  // as if it had read 100 bytes never written
    for (;;)
      ;  // stay alive, holding the read end
  }
  while (p->rpos == p->wpos)
    sys_yield();
  report("hostile.write", write(fds[1], buf, sizeof buf));
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  p->rpos = 0;
  p->wpos = 1UL << 40;  // as a hostile writer would say: far more than the ring holds
  report("hostile.read", read(fds[0], buf, sizeof buf));
  close(fds[0]);
  close(fds[1]);
}

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 20000;

  test_stream(n);
  test_killed_writer();
  test_no_reader();
  test_hostile_positions();
  return 0;
}

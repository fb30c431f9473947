// exectest: execv and spawnv through the file server: refusals that leave the
// program intact, argv passed exactly, exec chains keeping the pid, descriptors and
// a pipe crossing an exec, children surviving one, and what an exec costs.
//
//   exectest -F SERVER main BAD...   the tests (BAD: files execv must refuse)
//   exectest nofs                    execv and spawnv with no file server known
//
// and the modes main runs in its children (/tests/exectest must be this program):
//   exectest args ARG...         print each argument; exit with argc
//   exectest chain N ARG...      exec itself N more times, then /bin/echo ARG...
//   exectest child FD            print what FD reads, and the pid, to stdout; exit 42
//   exectest reap PID            wait for PID (forked before an exec); exit 0
//   exectest cwd TAG             print the current directory as cwd.TAG
//
// Prints one "name = value" line per result (tests/reported.py reads them).

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/proc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define SELF "/tests/exectest"
#define ARGS_MANY 32  // MAX_ARGS: the most execv takes

static char pattern[3000];  // data the refused execs must leave as it was

// The arguments the "args" test passes: empty strings, spaces, a long one, and as
// many as execv takes. tests/test_exec.py builds the same list.
static int
many_args(char **av, char *longarg)
{
  static char names[ARGS_MANY][8];
  int n = 0;

  memset(longarg, 'x', 1000);
  longarg[1000] = '\0';
  av[n++] = "exectest";
  av[n++] = "args";
  av[n++] = "";
  av[n++] = "two words";
  av[n++] = "";
  av[n++] = longarg;
  while (n < ARGS_MANY) {
    snprintf(names[n], sizeof names[n], "a%d", n);
    av[n] = names[n];
    n++;
  }
  av[n] = NULL;
  return n;
}

// Fork a child that runs fn(arg) and exits with its result; wait for it and report
// its exit status as name. Returns the child's pid.
static long
in_child(const char *name, int (*fn)(const char *), const char *arg)
{
  int status = -1;
  long pid = fork();

  if (pid == 0)
    exit(fn(arg));
  waitpid(pid, &status, 0);
  report(name, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return pid;
}

// Each refused exec returns an error, and the program goes on as it was.
static void
test_refusals(int nbad, char **bad)
{
  char *av[ARGS_MANY + 2];
  char *heap = malloc(5000);
  long sum = 0, after = 0;

  for (unsigned i = 0; i < sizeof pattern; i++)
    pattern[i] = (char)(i * 7);
  memset(heap, 0x5a, 5000);
  for (unsigned i = 0; i < sizeof pattern; i++)
    sum += pattern[i];
  av[0] = "exectest";
  av[1] = NULL;
  report("refuse.missing", execv("/bin/no-such-program", av));
  report("refuse.directory", execv("/bin", av));
  for (int i = 0; i < nbad; i++) {
    char name[64];
    snprintf(name, sizeof name, "refuse.%s", strrchr(bad[i], '/') + 1);
    report(name, execv(bad[i], av));
  }
  for (int i = 0; i <= ARGS_MANY; i++)
    av[i] = "x";
  av[ARGS_MANY + 1] = NULL;
  report("refuse.too_many_args", execv(SELF, av));
  for (unsigned i = 0; i < sizeof pattern; i++)
    after += pattern[i];
  int heap_ok = 1;
  for (int i = 0; i < 5000; i++)
    heap_ok &= heap[i] == 0x5a;
  report("refuse.memory_intact", sum == after && heap_ok);
  free(heap);
}

// The child of test_args: exec this program with many_args.
static int
exec_many(const char *unused)
{
  static char longarg[1001];
  char *av[ARGS_MANY + 1];

  (void)unused;
  many_args(av, longarg);
  return (int)-execv(SELF, av);
}

// The child of test_chain: exec this program to run the chain.
static int
exec_chain(const char *n)
{
  char *av[] = {"exectest", "chain", (char *)n, "chain", "", "done", NULL};

  return (int)-execv(SELF, av);
}

// The child of test_relative: exec "exectest" from the current directory, /tests,
// which the new program finds kept.
static int
exec_relative(const char *unused)
{
  char *av[] = {"exectest", "cwd", "after_exec", NULL};

  (void)unused;
  report("relative.chdir", chdir("/tests"));
  return (int)-execv("exectest", av);
}

// Mode "chain N ARG...": report the pid, then exec the next link.
static int
run_chain(int argc, char **argv)
{
  int n = atoi(argv[2]);
  char name[32], next[8];

  snprintf(name, sizeof name, "chain.%d.pid", n);
  report(name, getpid());
  snprintf(name, sizeof name, "chain.%d.ppid", n);
  report(name, getppid());
  if (n == 0) {
    argv[2] = "echo";  // echo's argv[0]; then the words to print
    return (int)-execv("/bin/echo", argv + 2);
  }
  snprintf(next, sizeof next, "%d", n - 1);
  argv[2] = next;
  (void)argc;
  return (int)-execv(SELF, argv);
}

// Descriptors cross an exec: a file at its offset, and descriptor 1 redirected to a
// pipe, through which the exec'd child's printf reaches us.
static void
test_fds_and_pipe(void)
{
  char buf[256] = {0}, fdarg[8];
  int p[2], status = -1;
  long fd = open("/data.txt", O_RDONLY, 0), pid, n, got = 0;

  read((int)fd, buf, 4);
  report("fds.first_read_is_abcd", strcmp(buf, "abcd") == 0);
  report("fds.pipe", pipe(p));
  snprintf(fdarg, sizeof fdarg, "%ld", fd);
  pid = fork();
  if (pid == 0) {
    char *av[] = {"exectest", "child", fdarg, NULL};
    dup2(p[1], STDOUT_FILENO);
    close(p[0]);
    close(p[1]);
    exit((int)-execv(SELF, av));
  }
  close(p[1]);
  while ((n = read(p[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
    got += n;
  buf[got] = '\0';
  for (char *c = buf; *c; c++)
    if (*c == '\n')
      *c = '|';
  printf("fds.through_pipe = %s\n", buf);
  waitpid(pid, &status, 0);
  report("fds.child_status", WEXITSTATUS(status));
  report("fds.child_pid", pid);
  close(p[0]);
  close((int)fd);
}

// Mode "child FD": what FD reads next, and who we are, on standard output.
static int
run_child(char **argv)
{
  char buf[8] = {0};
  long n = read(atoi(argv[2]), buf, 4);

  printf("read=%s n=%ld pid=%ld ppid=%ld\n", buf, n, getpid(), getppid());
  return 42;
}

// The child of test_children: fork a grandchild that exits 7, then exec "reap".
static int
fork_then_exec(const char *unused)
{
  char pidarg[16];
  long g = fork();

  (void)unused;
  if (g == 0)
    exit(7);
  snprintf(pidarg, sizeof pidarg, "%ld", g);
  char *av[] = {"exectest", "reap", pidarg, NULL};
  return (int)-execv(SELF, av);
}

// Mode "reap PID": wait for a child forked before the exec that started us.
static int
run_reap(char **argv)
{
  int status = -1;
  long pid = atol(argv[2]);

  report("reap.wait_is_pid", waitpid(pid, &status, 0) == pid);
  report("reap.status", WEXITSTATUS(status));
  return 0;
}

// spawnv: a child running a program, with its exit status, errors, and descriptor 1
// redirected around the call.
static void
test_spawn(void)
{
  char *av[] = {"exectest", "args", "spawned", "", NULL};
  char *missing[] = {"nothing", NULL};
  char buf[128] = {0};
  int status = -1, p[2];
  long pid = spawnv(SELF, av), saved, n, got = 0;

  report("spawn.is_child", pid > getpid());
  report("spawn.wait_is_pid", waitpid(pid, &status, 0) == pid);
  report("spawn.status", WEXITSTATUS(status));
  report("spawn.missing", spawnv("/bin/no-such-program", missing));
  char *cwd[] = {"exectest", "cwd", "spawned", NULL};
  chdir("/bin");
  waitpid(spawnv(SELF, cwd), &status, 0);
  chdir("/");
  pipe(p);
  saved = dup(STDOUT_FILENO);
  dup2(p[1], STDOUT_FILENO);
  char *hello[] = {"echo", "spawned", "into", "a", "pipe", NULL};
  pid = spawnv("/bin/echo", hello);
  dup2((int)saved, STDOUT_FILENO);
  close((int)saved);
  close(p[1]);
  while ((n = read(p[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
    got += n;
  if (got > 0 && buf[got - 1] == '\n')
    buf[got - 1] = '\0';
  printf("spawn.through_pipe = %s\n", buf);
  report("spawn.pipe_child_status", waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);
  close(p[0]);
}

// The child of cost: exec /bin/true.
static int
exec_true(const char *unused)
{
  char *av[] = {"true", NULL};

  (void)unused;
  return (int)-execv("/bin/true", av);
}

// The child of cost's baseline: end at once.
static int
do_nothing(const char *unused)
{
  (void)unused;
  return 0;
}

// Virtual time (every domain's instructions: the file server's work counts, and the
// disk's latency while nothing can run) of fork + exec + wait and of spawn + wait,
// for /bin/true, and of fork + exit + wait to compare. The first exec reads the file
// from the disk; the others find it in the server's cache.
static void
test_cost(void)
{
  char *av[] = {"true", NULL};
  int status;
  unsigned long t0 = (unsigned long)sys_clock();

  in_child("cost.nothing_status", do_nothing, NULL);
  report("cost.fork_exit_wait", (long)((unsigned long)sys_clock() - t0));
  t0 = (unsigned long)sys_clock();
  in_child("cost.true_status", exec_true, NULL);
  report("cost.fork_exec_wait_cold", (long)((unsigned long)sys_clock() - t0));
  t0 = (unsigned long)sys_clock();  // again, now that the server has the file cached
  in_child("cost.true_status", exec_true, NULL);
  report("cost.fork_exec_wait", (long)((unsigned long)sys_clock() - t0));
  t0 = (unsigned long)sys_clock();
  waitpid(spawnv("/bin/true", av), &status, 0);
  report("cost.spawn_wait", (long)((unsigned long)sys_clock() - t0));
}

int
main(int argc, char **argv)
{
  argc = proc_args(argc, &argv);
  if (argc >= 2 && strcmp(argv[1], "args") == 0) {
    report("args.argc", argc);
    for (int i = 0; i < argc; i++)
      printf("args.%d = [%s]\n", i, argv[i]);
    return argc;
  }
  if (argc >= 3 && strcmp(argv[1], "chain") == 0)
    return run_chain(argc, argv);
  if (argc == 3 && strcmp(argv[1], "child") == 0)
    return run_child(argv);
  if (argc == 3 && strcmp(argv[1], "reap") == 0)
    return run_reap(argv);
  if (argc == 3 && strcmp(argv[1], "cwd") == 0) {
    char cwd[256] = "?";
    getcwd(cwd, sizeof cwd);
    printf("cwd.%s = %s\n", argv[2], cwd);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "nofs") == 0) {
    char *av[] = {"true", NULL};
    report("nofs.exec", execv("/bin/true", av));
    report("nofs.spawn", spawnv("/bin/true", av));
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "main") != 0) {
    printf("usage: exectest -F SERVER main BAD... | exectest nofs\n");
    return 2;
  }
  report("pid", getpid());
  test_refusals(argc - 2, argv + 2);
  in_child("args.status", exec_many, NULL);
  report("chain.first_pid", in_child("chain.status", exec_chain, "3"));
  in_child("relative.status", exec_relative, NULL);
  test_fds_and_pipe();
  in_child("reap.exec_status", fork_then_exec, NULL);
  test_spawn();
  test_cost();
  return 0;
}

// sh: the shell. It reads commands from standard input, a line at a time, and runs
// them as processes: fork, then execv of /bin/NAME, with pipes and redirections set
// up on the child's descriptors in between. The language is in
// <lamina/shparse.h> (userland/lib/shparse.c parses it).
//
//   sh [-i] [-c COMMANDS]
//
// -i: prompt with "$ " and announce background jobs (init passes it when a person is
// typing); -c: run COMMANDS instead of reading input. Built in (userland/lib/shjobs.c,
// with the table of background jobs): cd, pwd, exit, wait, kill (only an ancestor may
// end a process, so kill must be the shell's to end its jobs). Every job runs under a page quota that leaves the shell a reserve, so a
// fork bomb fills its own quota and not the shell's.

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>
#include <lamina/shjobs.h>
#include <lamina/shparse.h>
#include <lamina/syscall.h>

#define SH_RESERVE 256  // pages of the shell's quota no job may take
#define ARENA_SIZE 4096  // expanded words of one pipeline

static char arena[ARENA_SIZE];
static size_t arena_used;

// Expand word (with SH_EXPAND marks) into the arena. The expansion, or NULL if the
// arena is full.
static char *
expand(const char *word)
{
  char *out = arena + arena_used;
  size_t room = ARENA_SIZE - arena_used, len = 0;

  for (const char *p = word; *p; p++) {
    char piece[24];
    size_t plen;
    if (*p == SH_EXPAND) {
      p++;
      if (*p == '?')
        snprintf(piece, sizeof piece, "%d", sh_state.last_status);
      else if (*p == '$')
        snprintf(piece, sizeof piece, "%ld", getpid());
      else if (sh_state.last_background > 0)
        snprintf(piece, sizeof piece, "%ld", sh_state.last_background);
      else
        piece[0] = '\0';
    } else {
      piece[0] = *p;
      piece[1] = '\0';
    }
    plen = strlen(piece);
    if (len + plen + 1 > room)
      return NULL;
    memcpy(out + len, piece, plen);
    len += plen;
  }
  out[len] = '\0';
  arena_used += len + 1;
  return out;
}

// Expand every word of the pipeline in place. 0, or -1 if they do not fit.
static int
expand_pipeline(struct sh_pipeline *pl)
{
  arena_used = 0;
  for (int i = 0; i < pl->ncmds; i++) {
    struct sh_command *c = &pl->cmds[i];
    for (int a = 0; a < c->argc; a++)
      if ((c->argv[a] = expand(c->argv[a])) == NULL)
        return -1;
    for (int r = 0; r < c->nredirs; r++)
      if (c->redirs[r].path && (c->redirs[r].path = expand(c->redirs[r].path)) == NULL)
        return -1;
  }
  return 0;
}

// Point the command's descriptors where its redirections say. 0, or -1 after a
// message.
static int
redirect(const struct sh_command *c)
{
  static const int flags[] = {
      [SH_READ] = O_RDONLY, [SH_WRITE] = O_WRONLY | O_CREAT | O_TRUNC,
      [SH_APPEND] = O_WRONLY | O_CREAT | O_APPEND};
  long fd, err;

  for (int i = 0; i < c->nredirs; i++) {
    const struct sh_redir *r = &c->redirs[i];
    if (r->kind == SH_DUP) {
      err = dup2(r->dup_from, r->fd);
      if (err < 0) {
        dprintf(2, "sh: %d>&%d: %s\n", r->fd, r->dup_from, strerror((int)-err));
        return -1;
      }
      continue;
    }
    fd = open(r->path, flags[r->kind], 0644);
    if (fd < 0) {
      dprintf(2, "sh: %s: %s\n", r->path, strerror((int)-fd));
      return -1;
    }
    if (fd != r->fd) {
      dup2((int)fd, r->fd);
      close((int)fd);
    }
  }
  return 0;
}

// Run program argv[0] in this (forked) process: /bin/NAME, or the path itself if it
// has a slash. Does not return: on failure, exits 127 (not found) or 126.
static void
exec_command(char *argv[])
{
  char path[PROC_CWD_MAX + 64];
  long err;

  if (strchr(argv[0], '/'))
    err = path_resolve(argv[0], path, sizeof path);
  else
    err = snprintf(path, sizeof path, "/bin/%s", argv[0]) < (int)sizeof path ? 0 : -ENAMETOOLONG;
  if (err >= 0)
    err = execv(path, argv);
  if (err == -ENOENT)
    dprintf(2, "sh: %s: command not found\n", argv[0]);
  else
    dprintf(2, "sh: %s: %s\n", argv[0], fs_strerror(err));
  _exit(err == -ENOENT ? 127 : 126);
}


// Run a builtin in the shell itself, its redirections undone afterwards. Its status.
static int
run_builtin_here(int b, struct sh_command *c)
{
  int saved[3], code = 1;

  for (int fd = 0; fd < 3; fd++)
    saved[fd] = (int)dup(fd);
  if (redirect(c) == 0)
    code = sh_builtin_run(b, c->argc, c->argv);
  console_flush();
  for (int fd = 0; fd < 3; fd++) {
    if (saved[fd] >= 0) {
      dup2(saved[fd], fd);
      close(saved[fd]);
    }
  }
  return code;
}

// In a forked child: take standard input from in and output to out (-1: keep),
// redirect, and run the command. Does not return.
static void
child(struct sh_command *c, int in, int out, int spare)
{
  int b;

  if (in >= 0) {
    dup2(in, 0);
    close(in);
  }
  if (out >= 0) {
    dup2(out, 1);
    close(out);
  }
  if (spare >= 0)
    close(spare);  // the read end of the next pipe: not this command's
  if (redirect(c) < 0)
    _exit(1);
  if (c->argc == 0)
    _exit(0);  // only redirections: the files are made, nothing runs
  b = sh_builtin_index(c->argv[0]);
  if (b >= 0)
    exit(sh_builtin_run(b, c->argc, c->argv));
  exec_command(c->argv);
}

// Give the new job process pid a quota that leaves the shell SH_RESERVE pages.
static void
limit_job(long pid)
{
  struct domain_info me;

  if (sys_domain_info(0, &me) == 0 && me.page_quota > SH_RESERVE + 64)
    sys_set_quota(pid, me.page_quota - SH_RESERVE);
}

// Start the commands of pl joined by pipes; their pids into pids. The number
// started (the pipeline stops at the first failure, with a message).
static int
start_pipeline(struct sh_pipeline *pl, long pids[])
{
  int in = -1, fds[2], n;
  long pid, err;

  for (n = 0; n < pl->ncmds; n++) {
    fds[0] = fds[1] = -1;
    if (n + 1 < pl->ncmds && (err = pipe(fds)) < 0) {
      dprintf(2, "sh: pipe: %s\n", strerror((int)-err));
      break;
    }
    console_flush();
    pid = fork();
    if (pid == 0)
      child(&pl->cmds[n], in, fds[1], fds[0]);
    if (in >= 0)
      close(in);
    if (fds[1] >= 0)
      close(fds[1]);
    in = fds[0];
    if (pid < 0) {
      dprintf(2, "sh: fork: %s\n", strerror((int)-pid));
      break;
    }
    limit_job(pid);
    pids[n] = pid;
  }
  if (in >= 0)
    close(in);
  return n;
}

// Run one pipeline; its status code (for a background one, 0 once started).
static int
run_pipeline(struct sh_pipeline *pl)
{
  long pids[SH_MAX_CMDS];
  int b, n, status = 0;

  if (expand_pipeline(pl) < 0) {
    dprintf(2, "sh: words too long after expansion\n");
    return 2;
  }
  b = pl->cmds[0].argc > 0 ? sh_builtin_index(pl->cmds[0].argv[0]) : -1;
  if (pl->ncmds == 1 && !pl->background && b >= 0)
    return run_builtin_here(b, &pl->cmds[0]);
  n = start_pipeline(pl, pids);
  if (n == 0)
    return 1;
  if (pl->background) {
    sh_state.last_background = pids[n - 1];
    sh_job_add(pids[n - 1]);
    if (sh_state.interactive)
      dprintf(2, "[%ld]\n", pids[n - 1]);
    return 0;
  }
  for (int i = 0; i < n; i++)
    waitpid(pids[i], i == n - 1 ? &status : NULL, 0);
  return n < pl->ncmds ? 1 : sh_status_code(status);
}

// Run one line of input, updating $?.
static void
run_line(const char *text)
{
  static struct sh_line line;
  char err[128];

  if (sh_parse(text, &line, err, sizeof err) < 0) {
    dprintf(2, "sh: %s\n", err);
    sh_state.last_status = 2;
    return;
  }
  for (int i = 0; i < line.npipelines; i++) {
    struct sh_pipeline *pl = &line.pipelines[i];
    if ((pl->link == SH_IF_OK && sh_state.last_status != 0) || (pl->link == SH_IF_FAILED && sh_state.last_status == 0))
      continue;
    sh_state.last_status = run_pipeline(pl);
  }
}

// Read one line from standard input, a byte at a time so that what follows it is
// left for the commands that read the same input. Its length without the newline;
// -1 at the end of input with nothing read; -2 for a line too long (skipped).
static long
read_line(char *buf, size_t n)
{
  size_t len = 0;
  int too_long = 0;
  char c;

  for (;;) {
    long got = read(STDIN_FILENO, &c, 1);
    if (got <= 0) {
      if (len == 0 && !too_long)
        return -1;
      break;
    }
    if (c == '\n')
      break;
    if (len + 1 < n)
      buf[len++] = c;
    else
      too_long = 1;
  }
  buf[len] = '\0';
  return too_long ? -2 : (long)len;
}

int
main(int argc, char *argv[])
{
  static char line[SH_LINE_MAX];
  long len;

  argc = proc_args(argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-i") == 0) {
      sh_state.interactive = 1;
    } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      run_line(argv[i + 1]);
      return sh_state.last_status;
    } else {
      dprintf(2, "usage: sh [-i] [-c COMMANDS]\n");
      return 2;
    }
  }
  for (;;) {
    sh_reap_jobs();
    if (sh_state.interactive)
      write(STDERR_FILENO, "$ ", 2);
    len = read_line(line, sizeof line);
    if (len == -1)
      break;
    if (len == -2) {
      dprintf(2, "sh: line too long (at most %d bytes)\n", SH_LINE_MAX - 1);
      sh_state.last_status = 2;
      continue;
    }
    run_line(line);
  }
  return sh_state.last_status;
}

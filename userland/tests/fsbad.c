// fsbad: bad requests to the file server, sent raw with ipc_call, each of which must
// come back as an error while the server goes on serving.
//
//   fsbad SERVER
//
// Prints one line "name = RESULT" per request (an error name such as ENOENT, or a
// number), then "server alive = 0" if a plain stat of / still works afterwards
// (tests/test_fileserver.py compares the lines). It needs a regular file /bad.txt
// and leaves the file system unchanged apart from it.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/fs.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

static long server;
static char page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
// A page only ever sent read-only (the kernel leaves a page sent again to the same
// window mapped as before, so page could still be writable there).
static char ro_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

// Print a result line: an error's name, or the number.
static void
report(const char *name, long result)
{
  if (result < 0)
    printf("%s = %s\n", name, fs_errname(result));
  else
    printf("%s = %ld\n", name, result);
}

// Send a raw request with page (rights: PERM_R | PERM_W), ro_page (rights: PERM_R)
// or no page (rights: 0). Returns the server's result word, or the call's own error.
static long
raw(unsigned long code, unsigned long a, unsigned long b, unsigned long c, int rights)
{
  struct ipc_msg msg = {0, {code, a, b, c}, 0};
  unsigned long send_page = 0;
  long err;

  if (rights == (PERM_R | PERM_W))
    send_page = (unsigned long)page | PERM_R | PERM_W;
  else if (rights == PERM_R)
    send_page = (unsigned long)ro_page | PERM_R;
  err = ipc_call(server, &msg, send_page, NULL);

  return err < 0 ? err : (long)msg.w[0];
}

// Put a path into the page at byte at.
static void
path_at(unsigned long at, const char *path)
{
  strcpy(page + at, path);
}

// Requests with malformed fields: codes, pages, paths.
static void
malformed(void)
{
  report("unknown request", raw(999, 0, 0, 0, PERM_R | PERM_W));
  report("request zero", raw(0, 0, 0, 0, 0));
  report("open without a page", raw(FS_OPEN, FS_O_RDONLY, 0, 0, 0));
  memset(page, 'a', sizeof(page));
  report("open path without NUL", raw(FS_OPEN, FS_O_RDONLY, 0, 0, PERM_R | PERM_W));
  page[300] = '\0';
  report("open name too long", raw(FS_OPEN, FS_O_RDONLY, 0, 0, PERM_R | PERM_W));
  path_at(0, "");
  report("open empty path", raw(FS_OPEN, FS_O_RDONLY, 0, 0, PERM_R | PERM_W));
  path_at(0, "/no/such/file");
  report("open missing", raw(FS_OPEN, FS_O_RDONLY, 0, 0, PERM_R | PERM_W));
  path_at(0, "/bad.txt");
  report("open bad access mode", raw(FS_OPEN, 3, 0, 0, PERM_R | PERM_W));
  path_at(0, "/");
  report("open root for writing", raw(FS_OPEN, FS_O_RDWR, 0, 0, PERM_R | PERM_W));
  path_at(0, "/bad.txt/x");
  report("open under a file", raw(FS_OPEN, FS_O_RDONLY, 0, 0, PERM_R | PERM_W));
  path_at(0, "/bad.txt");
  report("open file as directory", raw(FS_OPEN, FS_O_RDONLY | FS_O_DIRECTORY, 0, 0, PERM_R | PERM_W));
  report("create existing exclusively", raw(FS_OPEN, FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0644, 0, PERM_R | PERM_W));
  path_at(0, "/bad.txt");
  memset(page + FS_PAGE_PATH2, 'b', FS_PATH_MAX + 1);
  report("rename second path without NUL", raw(FS_RENAME, 0, 0, 0, PERM_R | PERM_W));
  path_at(0, "/");
  report("rmdir root", raw(FS_RMDIR, 0, 0, 0, PERM_R | PERM_W));
  report("unlink root", raw(FS_UNLINK, 0, 0, 0, PERM_R | PERM_W));
  report("mkdir root", raw(FS_MKDIR, 0755, 0, 0, PERM_R | PERM_W));
  strcpy(ro_page, "/bad.txt");
  report("stat into a read-only page", raw(FS_STAT, 0, 0, 0, PERM_R));
}

// Requests with bad descriptors, counts and offsets.
static void
bad_descriptors(void)
{
  long fd;

  report("read descriptor 99", raw(FS_READ, 99, 16, 0, PERM_R | PERM_W));
  report("read descriptor -1", raw(FS_READ, (unsigned long)-1, 16, 0, PERM_R | PERM_W));
  report("close never opened", raw(FS_CLOSE, 3, 0, 0, 0));
  fd = fs_open(server, "/bad.txt", FS_O_RDONLY, 0);
  report("open for reading", fd);
  report("read too much", raw(FS_READ, (unsigned long)fd, PAGE_SIZE + 1, 0, PERM_R | PERM_W));
  report("read into a read-only page", raw(FS_READ, (unsigned long)fd, 16, 0, PERM_R));
  report("read without a page", raw(FS_READ, (unsigned long)fd, 16, 0, 0));
  report("write to a read-only descriptor", raw(FS_WRITE, (unsigned long)fd, 1, 0, PERM_R | PERM_W));
  report("truncate a read-only descriptor", raw(FS_FTRUNCATE, (unsigned long)fd, 0, 0, 0));
  report("readdir of a file", raw(FS_READDIR, (unsigned long)fd, 0, 0, PERM_R | PERM_W));
  report("seek bad whence", raw(FS_SEEK, (unsigned long)fd, 0, 7, 0));
  report("seek before the start", raw(FS_SEEK, (unsigned long)fd, (unsigned long)-5, FS_SEEK_SET, 0));
  report("close", fs_close(server, fd));
  report("close again", fs_close(server, fd));
}

// Open the same file until the descriptor table is full, then close them all.
static void
too_many_open(void)
{
  long fds[FS_MAX_FDS + 1];
  int n = 0;

  while (n <= FS_MAX_FDS && (fds[n] = fs_open(server, "/bad.txt", FS_O_RDONLY, 0)) >= 0)
    n++;
  report("descriptors opened", n);
  report("one more", n <= FS_MAX_FDS ? fds[n] : 0);
  for (int i = 0; i < n; i++)
    fs_close(server, fds[i]);
}

// In a child domain: use the descriptor the parent opened. Exits with -result.
static int
use_parents_fd(long fd)
{
  char buf[16];

  return (int)-fs_read(server, fd, buf, sizeof(buf));
}

// Another domain may not use this one's descriptors: a child tries.
static void
foreign_descriptor(void)
{
  long fd = fs_open(server, "/bad.txt", FS_O_RDONLY, 0);
  long child = child_create(use_parents_fd, fd);
  struct domain_info info;
  struct ipc_msg msg;

  if (child < 0 || sys_domain_set_state(child, DOM_STATE_RUNNABLE) < 0) {
    report("start child", child);
    return;
  }
  while (ipc_recv(NULL, &msg) != 0 || !(msg.w[0] & NOTIFY_CHILD) || sys_domain_info(child, &info) < 0 ||
         info.state != DOM_STATE_EXITED)
    ;
  report("another domain's descriptor", -(long)info.exit_status);
  sys_domain_destroy(child);
  fs_close(server, fd);
}

int
main(int argc, char *argv[])
{
  struct fs_stat st;

  if (argc < 2) {
    printf("usage: fsbad SERVER\n");
    return 2;
  }
  server = atol(argv[1]);
  malformed();
  bad_descriptors();
  too_many_open();
  foreign_descriptor();
  report("server alive", fs_stat(server, "/", &st));
  return 0;
}

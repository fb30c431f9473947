// fdsave.c: the descriptor table across an exec, and into a spawned child (see
// fd.h, <lamina/exec.h>).
//
// The tables are ordinary data of the old program, gone with it, so execv has them
// written into the page at FD_SAVE_VA first, and spawnv into the child's. The new
// program's library takes them back on its first use of descriptors, or before
// printf's first output (fd_startup, which console.c calls), so that output follows
// a descriptor 1 redirected before the exec. A server descriptor still belongs to
// the same domain after an exec; a spawned child, like a forked one, opens the file
// again on first use (fd.c's file_own). Pipe pages stay where they are.

#include <string.h>
#include <unistd.h>
#include <lamina/exec.h>
#include <lamina/syscall.h>
#include "fd.h"

// The page: this header, then one record per open file, each followed by its path
// (files only) and padded to 8 bytes.
#define FD_SAVE_MAGIC 0x3164657661736466UL  // "fdsaved1"
struct fd_saved {
  unsigned long magic;
  int fdtab[NOFILE];
  int nfiles;
};
struct fd_saved_file {
  int index;  // in ofiles
  int type, refs, flags, end;
  int pathlen;  // bytes of path that follow, with the NUL; 0 if none
  long owner, sfd, offset;
  struct pipe *pipe;
};

// Take back the tables saved in FD_SAVE_VA; see fd.h.
int
fd_restore(void)
{
  struct fd_saved *h = (struct fd_saved *)FD_SAVE_VA;
  char *at = (char *)(h + 1), *end = (char *)h + PAGE_SIZE;
  int ok;

  if (sys_page_query(0, h) < 0)
    return 0;
  ok = h->magic == FD_SAVE_MAGIC && h->nfiles >= 0 && h->nfiles <= NFILE;
  for (int i = 0; ok && i < h->nfiles; i++) {
    struct fd_saved_file *r = (struct fd_saved_file *)at;
    ok = at + sizeof *r <= end && r->index >= 0 && r->index < NFILE && r->pathlen >= 0 &&
         r->pathlen <= FILE_PATH_MAX && at + sizeof *r + r->pathlen <= end;
    if (!ok)
      break;
    struct ofile *f = &ofiles[r->index];
    *f = (struct ofile){r->type, r->refs, r->flags, r->owner, r->sfd, r->offset, r->pipe, r->end, ""};
    memcpy(f->path, r + 1, (size_t)r->pathlen);
    f->path[FILE_PATH_MAX - 1] = '\0';
    at += (sizeof *r + (size_t)r->pathlen + 7) & ~7UL;
  }
  for (int fd = 0; ok && fd < NOFILE; fd++)
    fdtab[fd] = h->fdtab[fd] >= 0 && h->fdtab[fd] <= NFILE ? h->fdtab[fd] : 0;
  if (!ok)
    memset(ofiles, 0, sizeof ofiles);
  sys_page_unmap(0, h);
  return ok;
}

// Take back inherited descriptors now; console.c calls this before printf's first
// output.
void
fd_startup(void)
{
  fd_init();
}

// Write the tables into the page at page. 0, or -ENOMEM if they do not fit (long
// paths in many open files).
static long
fd_save_into(void *page)
{
  struct fd_saved *h = page;
  char *at = (char *)(h + 1), *end = (char *)page + PAGE_SIZE;

  fd_init();
  memset(h, 0, sizeof *h);
  memcpy(h->fdtab, fdtab, sizeof fdtab);
  for (int i = 0; i < NFILE; i++) {
    struct ofile *f = &ofiles[i];
    struct fd_saved_file *r = (struct fd_saved_file *)at;
    int pathlen = f->type == OF_FILE ? (int)strlen(f->path) + 1 : 0;
    if (f->type == OF_FREE)
      continue;
    if (at + sizeof *r + pathlen > end)
      return -ENOMEM;
    *r = (struct fd_saved_file){i, f->type, f->refs, f->flags, f->end, pathlen, f->owner, f->sfd, f->offset, f->pipe};
    memcpy(r + 1, f->path, (size_t)pathlen);
    at += (sizeof *r + (size_t)pathlen + 7) & ~7UL;
    h->nfiles++;
  }
  h->magic = FD_SAVE_MAGIC;
  return 0;
}

// Save the tables in FD_SAVE_VA for the program an exec starts; see <unistd.h>.
long
fd_exec_save(void)
{
  void *page = (void *)FD_SAVE_VA;
  long err = 0;

  fd_init();  // takes back (and unmaps) a save not yet taken back
  if (sys_page_query(0, page) == -ENOENT)
    err = sys_page_alloc(0, page, 1, PERM_R | PERM_W);
  if (err == 0)
    err = fd_save_into(page);
  if (err < 0)
    sys_page_unmap(0, page);
  return err;
}

// Give child the tables in its FD_SAVE_VA, built in ours and then moved (the frame
// is charged to the child once we let go); see <unistd.h>.
long
fd_give(long child)
{
  long err = fd_exec_save();

  if (err == 0)
    err = sys_page_map(0, (void *)FD_SAVE_VA, child, (void *)FD_SAVE_VA, PERM_R | PERM_W);
  sys_page_unmap(0, (void *)FD_SAVE_VA);
  return err;
}

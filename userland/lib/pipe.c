// pipe.c: pipes between processes, in shared pages (see <lamina/pipe.h>).

#include <string.h>
#include <unistd.h>
#include <lamina/pipe.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

_Static_assert(sizeof(struct pipe) == PAGE_SIZE, "a pipe is one page");

// The pipe in slot i.
static struct pipe *
slot_pipe(int i)
{
  return (struct pipe *)(PIPE_VA + (unsigned long)i * PAGE_SIZE);
}

// A new pipe in the first free slot, held by this process at both ends.
struct pipe *
pipe_create(void)
{
  for (int i = 0; i < PIPE_SLOTS; i++) {
    struct pipe *p = slot_pipe(i);
    if (sys_page_query(0, p) != -ENOENT)
      continue;
    if (sys_page_alloc(0, p, 1, PERM_R | PERM_W) < 0)
      return NULL;
    p->pids[0][0] = getpid();
    p->pids[1][0] = getpid();
    return p;
  }
  return NULL;
}

// Count pid as a holder of end. 0 or -EMFILE.
long
pipe_add_holder(struct pipe *p, int end, long pid)
{
  for (int i = 0; i < PIPE_PIDS; i++) {
    if (p->pids[end][i] == 0) {
      p->pids[end][i] = pid;
      return 0;
    }
  }
  return -EMFILE;
}

// Whether pid appears as a holder of end.
static int
holds(struct pipe *p, int end, long pid)
{
  for (int i = 0; i < PIPE_PIDS; i++)
    if (p->pids[end][i] == pid)
      return 1;
  return 0;
}

// Whether some process other than an ended one holds end.
static int
end_alive(struct pipe *p, int end)
{
  struct domain_info di;
  long pid;

  for (int i = 0; i < PIPE_PIDS; i++) {
    pid = p->pids[end][i];
    if (pid != 0 && sys_domain_info(pid, &di) == 0 && di.state != DOM_STATE_EXITED)
      return 1;
  }
  return 0;
}

// Tell every other holder of end that the ring changed.
static void
wake(struct pipe *p, int end)
{
  long me = getpid();
  long pid;

  for (int i = 0; i < PIPE_PIDS; i++) {
    pid = p->pids[end][i];
    if (pid != 0 && pid != me)
      sys_notify(pid, NOTIFY_PIPE);  // an ended holder answers -ESRCH: no matter
  }
}

// Wait for the other side to move, or for a while (it may have died).
static void
wait_other_side(void)
{
  sys_timer((unsigned long)sys_clock() + PIPE_POLL);
  proc_wait_notify(NOTIFY_PIPE | NOTIFY_TIMER);
  sys_timer(0);
}

// How many bytes the ring holds, with the positions it was computed from. Every field
// of the page is the other side's to write, so each is read once and the count is
// bounded: a count past PIPE_SIZE (a reader that moved rpos past wpos, say) is a
// broken pipe, -EIO, and never an index past the ring.
static long
ring_used(struct pipe *p, unsigned long *rpos, unsigned long *wpos)
{
  *rpos = p->rpos;
  *wpos = p->wpos;
  return *wpos - *rpos > PIPE_SIZE ? -EIO : (long)(*wpos - *rpos);
}

// Read up to n bytes; see <lamina/pipe.h>.
long
pipe_read(struct pipe *p, void *buf, size_t n)
{
  unsigned long r, w, k, at, first;
  long avail;

  if (n == 0)
    return 0;
  while ((avail = ring_used(p, &r, &w)) == 0) {
    if (!end_alive(p, 1))
      return 0;
    wait_other_side();
  }
  if (avail < 0)
    return avail;
  k = (unsigned long)avail < n ? (unsigned long)avail : n;
  at = r % PIPE_SIZE;
  first = PIPE_SIZE - at < k ? PIPE_SIZE - at : k;
  memcpy(buf, p->buf + at, first);
  memcpy((char *)buf + first, p->buf, k - first);
  __sync_synchronize();  // the bytes are out before the writer may reuse them
  p->rpos = r + k;
  wake(p, 1);
  return (long)k;
}

// Write all n bytes; see <lamina/pipe.h>.
long
pipe_write(struct pipe *p, const void *buf, size_t n)
{
  unsigned long r, w, space, k, at, first;
  size_t done = 0;
  long used;

  while (done < n) {
    if (!end_alive(p, 0))
      return done > 0 ? (long)done : -EPIPE;
    used = ring_used(p, &r, &w);
    if (used < 0)
      return done > 0 ? (long)done : used;
    space = PIPE_SIZE - (unsigned long)used;
    if (space == 0) {
      wait_other_side();
      continue;
    }
    k = space < n - done ? space : n - done;
    at = w % PIPE_SIZE;
    first = PIPE_SIZE - at < k ? PIPE_SIZE - at : k;
    memcpy(p->buf + at, (const char *)buf + done, first);
    memcpy(p->buf, (const char *)buf + done + first, k - first);
    __sync_synchronize();  // the bytes are in before the reader may see them
    p->wpos = w + k;
    done += k;
    wake(p, 0);
  }
  return (long)done;
}

// Let go of end; see <lamina/pipe.h>.
void
pipe_drop(struct pipe *p, int end)
{
  long me = getpid();

  for (int i = 0; i < PIPE_PIDS; i++)
    if (p->pids[end][i] == me)
      p->pids[end][i] = 0;
  wake(p, !end);  // a reader may now see the end, a writer -EPIPE
  if (!holds(p, !end, me))
    sys_page_unmap(0, p);
}

// Share every pipe page with child, writable. 0 or -errno.
long
pipe_fork(long child)
{
  long err = sys_page_map_range(0, slot_pipe(0), child, slot_pipe(0), PIPE_SLOTS, PERM_R | PERM_W);

  return err < 0 ? err : 0;
}

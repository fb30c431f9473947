// proc.c: the process record of the Unix library OS (see <lamina/proc.h>): the
// record itself and a child's copy of it, the file server's id, and waiting for
// notifications without losing the ones another part of the library waits for.

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

static struct proc_info *const info = (struct proc_info *)PROC_INFO_VA;
static int info_mapped;  // the record is known to be there: no need to ask the kernel

// This process's record, mapped on first use. NULL if it cannot be mapped. (A fork
// child's copy of info_mapped is right too: fork gives it a record.)
struct proc_info *
proc_info(void)
{
  if (!info_mapped) {
    if (sys_page_query(0, info) == -ENOENT && sys_page_alloc(0, info, 1, PERM_R | PERM_W) < 0)
      return NULL;
    info_mapped = 1;
  }
  if (!info->ready)
    info->ready = 1;  // a fresh page is all zeros: every field starts empty
  return info;
}

// Give child a process record of its own: a copy of ours (the file server, the
// current directory, ...) without our own bookkeeping (children, counters, pending
// notifications), built in the scratch page and moved over. 0 or -errno.
long
proc_give_record(long child)
{
  struct proc_info *p = proc_info();
  struct proc_info *r = child_scratch();

  if (p == NULL || r == NULL)
    return -ENOMEM;
  memcpy(r, p, sizeof *r);
  r->cow_copies = 0;
  r->cow_reclaimed = 0;
  r->cow_marked = 0;
  r->stack_pages_added = 0;
  r->notify_pending = 0;
  memset(r->children, 0, sizeof r->children);
  memset(r->killed, 0, sizeof r->killed);
  return child_give_scratch(child, info, PERM_R | PERM_W);
}

// The file server's domain id, 0 if not known.
long
proc_fsd(void)
{
  struct proc_info *p = proc_info();

  return p ? p->fsd : 0;
}

// Name the file server.
void
proc_set_fsd(long fsd)
{
  struct proc_info *p = proc_info();

  if (p)
    p->fsd = fsd;
}

// The network server's domain id, 0 if not known.
long
proc_netd(void)
{
  struct proc_info *p = proc_info();

  return p ? p->netd : 0;
}

// Name the network server.
void
proc_set_netd(long netd)
{
  struct proc_info *p = proc_info();

  if (p)
    p->netd = netd;
}

// Take "-F ID" and "-N ID" off the front of the arguments, in either order (argv[0]
// stays). Returns the new argc.
int
proc_args(int argc, char ***argv)
{
  char **av = *argv;

  while (argc >= 3 && (strcmp(av[1], "-F") == 0 || strcmp(av[1], "-N") == 0)) {
    if (av[1][1] == 'F')
      proc_set_fsd(atol(av[2]));
    else
      proc_set_netd(atol(av[2]));
    av[2] = av[0];
    av += 2;
    argc -= 2;
  }
  *argv = av;
  return argc;
}

// Pages copied by copy-on-write faults in this process so far.
unsigned long
cow_copies(void)
{
  struct proc_info *p = proc_info();

  return p ? p->cow_copies : 0;
}

// Wait until a notification with one of bits arrives. Other bits are kept in the
// record for whoever waits for them next; a call that arrives meanwhile is refused
// with -EAGAIN (a process is not a server). Returns the wanted bits that came.
unsigned long
proc_wait_notify(unsigned long bits)
{
  struct proc_info *p = proc_info();
  unsigned long pending = p ? p->notify_pending : 0;
  struct ipc_msg msg;
  long sender;

  while ((pending & bits) == 0) {
    sender = ipc_recv(NULL, &msg);
    if (sender == 0)
      pending |= msg.w[0];
    else if (sender > 0)
      sys_ipc_reply(sender, (unsigned long)-EAGAIN, 0, 0, 0, 0);
  }
  if (p)
    p->notify_pending = pending & ~bits;
  return pending & bits;
}

// This process's id: its domain id.
long
getpid(void)
{
  return sys_getid();
}

// The parent's id, 0 for a process the kernel booted.
long
getppid(void)
{
  struct domain_info di;

  if (sys_domain_info(0, &di) < 0)
    return 0;
  return (long)di.parent;
}

// End the process with status, leaving stdio's buffer unwritten.
void
_exit(int status)
{
  sys_exit(status);
}

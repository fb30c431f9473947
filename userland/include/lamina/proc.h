/* lamina/proc.h: the process record of the Unix library OS (userland/lib/proc.c,
 * fork.c, wait.c, fd.c).
 *
 * A process is a domain. What the library needs to know about its own process lives
 * in one page at a fixed address above the stack, PROC_INFO_VA. That page is never
 * copy-on-write: the COW fault handler writes it, so fork gives the child its own
 * copy at once (the rest of memory is shared copy-on-write, see fork.c). A child
 * therefore inherits the file server's id, as it inherits everything else in memory.
 * Which pages are copy-on-write is in the page tables themselves: the mapping's
 * PERM_MARK, which the kernel keeps for the library.
 *
 * Layout above USER_STACK_TOP (after <lamina/fault.h>'s exception stack and
 * <lamina/child.h>'s scratch page):
 *   0x40003000  EXEC_PAGE_VA    execv's trampoline (<lamina/exec.h>)
 *   0x40005000  COW_SCRATCH_VA  where the COW handler builds a page's private copy
 *   0x40006000  PROC_INFO_VA    struct proc_info (it survives an exec)
 *   0x40007000  FD_SAVE_VA      the descriptor table across an exec (<lamina/exec.h>)
 */
#ifndef LAMINA_PROC_H
#define LAMINA_PROC_H

#include <lamina/abi.h>

#define COW_SCRATCH_VA (USER_STACK_TOP + 5 * PAGE_SIZE)
#define PROC_INFO_VA (USER_STACK_TOP + 6 * PAGE_SIZE)

/* Children a process can have forked and not yet waited for. */
#define PROC_MAX_CHILDREN 64

/* Bytes of the current directory's path, with its NUL (userland/lib/cwd.c). */
#define PROC_CWD_MAX 256

/* A child this process killed: destroyed domains leave no status, so how it ended
 * (a <sys/wait.h> status) is remembered here until wait reports it. */
struct proc_killed {
  long pid;  /* 0: the slot is free */
  long status;
};

/* What the library knows about its own process. */
struct proc_info {
  long ready;  /* 1 once proc_info() has set the record up */
  long fsd;  /* the file server's domain id, 0 if unknown */
  unsigned long cow_copies;  /* pages copied by copy-on-write faults in this process */
  unsigned long cow_reclaimed;  /* pages such faults took back whole: nobody else mapped them */
  unsigned long cow_marked;  /* pages this process made copy-on-write at forks */
  unsigned long stack_pages_added;  /* stack pages below a fork's stack pointer, added when touched */
  unsigned long notify_pending;  /* notification bits received but not yet wanted */
  long children[PROC_MAX_CHILDREN];  /* forked and not yet waited for; 0: free */
  struct proc_killed killed[PROC_MAX_CHILDREN];
  char cwd[PROC_CWD_MAX];  /* the current directory (cwd.c); "" means "/" */
  long netd;  /* the network server's domain id, 0 if unknown (<lamina/net.h>) */
};

/* This process's record, mapping and initialising it on first use; NULL if the
 * page cannot be mapped. */
struct proc_info *proc_info(void);

/* Give child (stopped) a process record of its own: a copy of this one without this
 * process's children, counters and pending notifications. 0 or -errno. */
long proc_give_record(long child);

/* The file server's domain id (0 if not known), and setting it. */
long proc_fsd(void);
void proc_set_fsd(long fsd);

/* The network server's domain id (0 if not known), and setting it. */
long proc_netd(void);
void proc_set_netd(long netd);

/* Take the library's own arguments off the front of argv: "-F ID" names the file
 * server (in a configuration, "-F @fsd"), "-N ID" the network server ("-N @netd");
 * either or both, in any order. Returns the new argc; *argv moves on. */
int proc_args(int argc, char ***argv);

/* Pages copied by copy-on-write faults in this process so far. */
unsigned long cow_copies(void);

/* The first address past the heap's pages (userland/lib/malloc.c): the end of the
 * program image and heap, where fork and exec find it. */
unsigned long heap_top(void);

/* Wait until a notification with one of bits arrives; returns those of bits that came
 * (bits not asked for are kept for a later call). */
unsigned long proc_wait_notify(unsigned long bits);

#endif /* LAMINA_PROC_H */

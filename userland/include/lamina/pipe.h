/* lamina/pipe.h: pipes of the Unix library OS (userland/lib/pipe.c), under the
 * file descriptors of <unistd.h> (pipe(), read, write, close).
 *
 * A pipe is one page at PIPE_VA + slot * PAGE_SIZE, shared by every process that
 * holds either end: fork maps the pipe pages into the child as the same frames,
 * writable (they are never copy-on-write). The page holds a ring buffer and the
 * pids holding each end. A reader that finds the ring empty and a writer that finds
 * it full wait for NOTIFY_PIPE, which the other side sends after every transfer to
 * the pids of the other end. A pid that has ended no longer counts, so a reader sees
 * the end of input once no live process holds the write end, even one killed before
 * it could close it; since nobody tells the reader of that death, it also wakes
 * every PIPE_POLL instructions to look (with the kernel's timer).
 */
#ifndef LAMINA_PIPE_H
#define LAMINA_PIPE_H

#include <stddef.h>
#include <lamina/abi.h>

#define PIPE_VA (USER_STACK_TOP + 16 * PAGE_SIZE)
#define PIPE_SLOTS 16  /* pipes a process can see at once */
#define PIPE_PIDS 14  /* processes that may hold one end */
#define PIPE_SIZE (PAGE_SIZE - 256)  /* bytes the ring holds */
#define PIPE_POLL 200000  /* instructions between looks for dead writers or readers */
#define NOTIFY_PIPE (1UL << NOTIFY_USER_SHIFT)

/* The shared page. rpos and wpos count every byte ever read and written. */
struct pipe {
  volatile unsigned long rpos;
  volatile unsigned long wpos;
  volatile long pids[2][PIPE_PIDS];  /* [0]: read end, [1]: write end; 0: free */
  char pad[256 - 16 - 2 * PIPE_PIDS * 8];
  char buf[PIPE_SIZE];
};

/* A new pipe, held by this process at both ends; NULL if no slot or page is free. */
struct pipe *pipe_create(void);

/* Read up to n bytes: the count, 0 once the ring is empty and no live process holds
 * the write end, or -EIO if the page's positions make no sense (a holder wrote them:
 * the page is shared writable, so nothing in it is trusted). Waits while the ring is
 * empty. */
long pipe_read(struct pipe *p, void *buf, size_t n);

/* Write all n bytes, waiting while the ring is full. The count, or -EPIPE if no
 * live process holds the read end, or -EIO as pipe_read says (then some bytes may
 * have been written). */
long pipe_write(struct pipe *p, const void *buf, size_t n);

/* This process lets go of end (0 read, 1 write); the page is unmapped once it
 * holds neither end. */
void pipe_drop(struct pipe *p, int end);

/* Count pid as a holder of end too (fork calls this for a child). 0 or -EMFILE. */
long pipe_add_holder(struct pipe *p, int end, long pid);

/* Share every pipe page of this process with child. 0 or -errno. */
long pipe_fork(long child);

#endif /* LAMINA_PIPE_H */

// fsd: the file server. It owns the disk (it is the only domain bound to it), mounts
// the ext2 file system on it, and serves the requests of other domains over IPC
// (<lamina/fsproto.h>; clients use <lamina/fs.h>) until one asks it to shut down.
//
//   fsd [-v | -q]   -v: print every request; -q: print nothing but errors (the
//                   booted shell's configs/default.toml, whose console is a user's)
//
// The server is one loop: receive a request, carry it out (userland/lib/fsserver.c on
// the ext2 core, userland/lib/ext2/), reply. The disk works asynchronously: the
// driver below queues a transfer with sys_disk_io and then waits in ipc_recv for the
// NOTIFY_DISK notification. A client's call that arrives during that wait is kept,
// with its page in a window of its own, and served after the current request, in
// arrival order. Changes stay in the block cache until a client asks for FS_SYNC or
// FS_SHUTDOWN (which unmounts), or until the write-back timer fires: the first change
// after a sync arms it, so a quiet server always writes its changes back soon. Then,
// too, the descriptors of clients that have ended are closed, as they are whenever the
// client table has no free slot for a new client.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/ext2.h>
#include <lamina/fs.h>
#include <lamina/fsserver.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

#define CACHE_BLOCKS 256  // the block cache: 1 MiB of 4 KiB blocks
#define WRITEBACK_DELAY 2000000  // instructions from the first change to its write-back
#define MAX_DEFERRED 16  // calls kept while the disk works; more get -EAGAIN

// The pages where clients' pages are mapped: window 0 for the request being received
// in the main loop, windows 1..MAX_DEFERRED for calls kept during a disk wait. They
// sit above the stack, clear of the fault handler's and child.c's pages.
#define WINDOW_BASE (USER_STACK_TOP + 16 * PAGE_SIZE)

// A call received while the disk was busy, to serve later.
struct deferred {
  long sender;
  struct ipc_msg msg;
  int win;  // the window holding its page
};

static struct fs_server server;
static struct deferred deferred[MAX_DEFERRED];  // a queue, oldest first
static int ndeferred;
static int window_used[MAX_DEFERRED + 1];
static unsigned long other_bits;  // notifications seen during disk waits, not yet handled
static int verbose;
static int quiet;  // -q: only errors

// The address of window i.
static uint8_t *
window(int i)
{
  return (uint8_t *)(WINDOW_BASE + (unsigned long)i * PAGE_SIZE);
}

// A free window for a deferred call, or -1 if all are taken.
static int
free_window(void)
{
  for (int i = 1; i <= MAX_DEFERRED; i++) {
    if (!window_used[i])
      return i;
  }
  return -1;
}

// Keep a call that arrived during a disk wait in the window it was received in (or
// refuse it with -EAGAIN if there was no window to receive it in).
static void
defer_call(long sender, struct ipc_msg *msg, int win)
{
  if (win < 0 || ndeferred == MAX_DEFERRED) {
    sys_ipc_reply(sender, (unsigned long)-EAGAIN, 0, 0, 0, 0);
    return;
  }
  window_used[win] = 1;
  deferred[ndeferred].sender = sender;
  deferred[ndeferred].msg = *msg;
  deferred[ndeferred].win = win;
  ndeferred++;
}

// Wait for the completion of the one disk request in flight, keeping the calls and
// notifications that arrive meanwhile. 0 or -errno.
static long
wait_disk(void)
{
  struct ipc_msg msg;

  for (;;) {
    int win = free_window();
    long sender = ipc_recv(win < 0 ? NULL : window(win), &msg);

    if (sender < 0)
      return sender;
    if (sender > 0) {
      defer_call(sender, &msg, win);
      continue;
    }
    if (msg.w[0] & NOTIFY_DISK) {
      other_bits |= msg.w[0] & ~(unsigned long)NOTIFY_DISK;
      return 0;
    }
    other_bits |= msg.w[0];
  }
}

// Move count sectors between the disk and buf (op: DISK_OP_READ or DISK_OP_WRITE),
// one request at a time. 0 or -errno.
static long
disk_transfer(long op, uint64_t sector, uint32_t count, void *buf)
{
  while (count > 0) {
    uint32_t n = count < DISK_IO_MAX_SECTORS ? count : DISK_IO_MAX_SECTORS;
    long err = sys_disk_io(op, sector, n, buf);

    if (err == 0)
      err = wait_disk();
    if (err < 0)
      return err;
    sector += n;
    count -= n;
    buf = (uint8_t *)buf + (size_t)n * SECTOR_SIZE;
  }
  return 0;
}

// The ext2 core's disk read. 0 or -errno.
static long
disk_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
  return disk_transfer(DISK_OP_READ, sector, count, buf);
}

// The ext2 core's disk write. 0 or -errno.
static long
disk_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
  return disk_transfer(DISK_OP_WRITE, sector, count, (void *)buf);
}

// The ext2 core's disk flush. 0 or -errno.
static long
disk_flush(void *ctx)
{
  long err = sys_disk_io(DISK_OP_FLUSH, 0, 0, NULL);

  return err < 0 ? err : wait_disk();
}

// Mount the disk, or exit saying why not.
static void
mount_disk(void)
{
  struct ext2_disk disk = {NULL, 0, disk_read, disk_write, disk_flush};
  struct ext2_statfs st;
  char why[160];
  long sectors, err;

  sectors = sys_disk_info();
  if (sectors < 0) {
    printf("fsd: no disk to serve: disk_info says %s\n", fs_errname(sectors));
    exit(1);
  }
  disk.sectors = (uint64_t)sectors;
  err = ext2_mount(&disk, CACHE_BLOCKS, &server.fs, why, sizeof(why));
  if (err < 0) {
    printf("fsd: cannot mount the disk: %s\n", why);
    exit(1);
  }
  ext2_statfs(server.fs, &st);
  if (!quiet)
    printf("fsd: mounted ext2, %u blocks of %u bytes (%u free), %u inodes (%u free)\n",
           st.blocks, st.block_size, st.free_blocks, st.inodes, st.free_inodes);
}

// Whether a client has ended (a client that ends, or is killed, does not say so):
// the server then closes its descriptors, so that files unlinked while it held them
// open are freed, and its slot in the client table is free again.
static int
client_gone(long id)
{
  struct domain_info info;

  return sys_domain_info(id, &info) < 0 || info.state == DOM_STATE_EXITED;
}

// Carry out the call msg from sender, whose page (if any) is in window win, and
// fill msg->w with the reply.
static void
serve(long sender, struct ipc_msg *msg, int win)
{
  struct fs_request req;
  unsigned long reply[IPC_WORDS];
  int was_dirty = server.dirty;
  long rights;

  req.client = sender;
  memcpy(req.w, msg->w, sizeof(req.w));
  req.page = msg->page != 0 ? window(win) : NULL;
  rights = req.page != NULL ? sys_page_query(0, req.page) : 0;
  req.page_writable = rights > 0 && (rights & PERM_W) != 0;
  if (req.w[0] == FS_SYNC || req.w[0] == FS_SHUTDOWN)
    fsserver_reap(&server);
  if (req.w[0] == FS_SHUTDOWN && sys_cap_check(sender, 0) != 1) {
    // Anyone may use the file system; only who has authority over fsd (its parent, or
    // a holder of a capability for it: configs give init one) may stop it.
    memset(reply, 0, sizeof(reply));
    reply[0] = (unsigned long)-EPERM;
  } else {
    fsserver_handle(&server, &req, reply);
  }
  if (verbose)
    printf("fsd: client %ld request %lu (%lu, %lu, %lu) -> %ld\n", sender, msg->w[0], msg->w[1],
           msg->w[2], msg->w[3], (long)reply[0]);
  if (server.dirty && !was_dirty)
    sys_timer(sys_clock() + WRITEBACK_DELAY);
  memcpy(msg->w, reply, sizeof(reply));
}

// Serve the calls kept during disk waits, oldest first, and the notifications seen
// meanwhile (the write-back timer syncs). Serving one may keep more.
static void
serve_deferred(void)
{
  while ((ndeferred > 0 || other_bits != 0) && !server.shutdown) {
    unsigned long bits = other_bits;

    other_bits = 0;
    if (bits & NOTIFY_TIMER)
      fsserver_reap(&server);
    if ((bits & NOTIFY_TIMER) && server.dirty && ext2_sync(server.fs) == 0)
      server.dirty = 0;
    if (ndeferred > 0) {
      struct deferred d = deferred[0];

      memmove(&deferred[0], &deferred[1], (size_t)(ndeferred - 1) * sizeof(deferred[0]));
      ndeferred--;
      serve(d.sender, &d.msg, d.win);
      window_used[d.win] = 0;
      sys_ipc_reply(d.sender, d.msg.w[0], d.msg.w[1], d.msg.w[2], d.msg.w[3], 0);
    }
  }
}

int
main(int argc, char *argv[])
{
  struct ipc_msg msg;
  long sender;

  server.client_gone = client_gone;
  verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
  mount_disk();
  console_flush();
  sender = -1;  // no call in hand yet (calls may have been kept while mounting)
  for (;;) {
    if (sender > 0)
      serve(sender, &msg, 0);
    else if (sender == 0)
      other_bits |= msg.w[0];
    if (ndeferred > 0 || other_bits != 0 || server.shutdown) {
      // Answer this call now, before the ones that waited behind it.
      if (sender > 0)
        sys_ipc_reply(sender, msg.w[0], msg.w[1], msg.w[2], msg.w[3], 0);
      sender = -1;
      serve_deferred();
      if (server.shutdown)
        break;
    }
    if (sender > 0)
      sender = ipc_reply_recv(sender, &msg, 0, window(0));
    else
      sender = ipc_recv(window(0), &msg);
  }
  if (!quiet)
    printf("fsd: unmounted, every change written back; shutting down\n");
  return 0;
}

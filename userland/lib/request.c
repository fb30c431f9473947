// request.c: a client's request to a server over IPC, shared by the file client
// (fsclient.c) and the network client (netclient.c); see <lamina/ipc.h>.

#include <lamina/ipc.h>
#include <lamina/syscall.h>

// Send w (and page) to server until it is not busy; see <lamina/ipc.h>.
long
ipc_request(long server, const unsigned long w[4], void *page, long busy, struct ipc_msg *reply)
{
  unsigned long send_page = page != NULL ? (unsigned long)page | PERM_R | PERM_W : 0;
  long err;

  // After a fork the page may be copy-on-write (read-only until written, see
  // fork.c), and a server may only be lent a writable page: a store makes it this
  // process's own first.
  if (page != NULL)
    *(volatile char *)page = *(volatile char *)page;
  for (;;) {
    for (int i = 0; i < 4; i++)
      reply->w[i] = w[i];  // the call overwrites the message with the answer
    err = ipc_call(server, reply, send_page, NULL);
    if (err < 0 || (long)reply->w[0] != busy)
      return err;
    sys_yield();
  }
}

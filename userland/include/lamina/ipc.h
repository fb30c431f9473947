/* lamina/ipc.h: the IPC calls that return a whole message (userland/lib/ipc.S).
 *
 * A message comes back in six registers (docs/abi.md, "IPC"): a0 is the sender's id
 * (0 for a notification) or, for a call, 0 or -errno; a1..a4 are the four words (for
 * a notification a1 holds the bits); a5 is where a page was mapped, or 0. The
 * generated sys_ipc_* stubs give back a0 only, so these wrappers store all six into
 * a struct ipc_msg. sys_ipc_reply and sys_notify return a0 only and need no wrapper.
 *
 * A page to send is named by its address ORed with the PERM_* rights to give:
 * `(unsigned long)page | PERM_R`; 0 sends none. A recv_window of NULL accepts none.
 */
#ifndef LAMINA_IPC_H
#define LAMINA_IPC_H

#include <lamina/abi.h>

/* Byte offsets of struct ipc_msg's fields, for ipc.S. */
#define IPC_MSG_STATUS 0
#define IPC_MSG_W0 8
#define IPC_MSG_W1 16
#define IPC_MSG_W2 24
#define IPC_MSG_W3 32
#define IPC_MSG_PAGE 40

#ifndef __ASSEMBLER__
#include <stddef.h>

/* One message, as the registers a0..a5 carried it. */
struct ipc_msg {
  long status_or_sender;    /* a0: sender id, 0 for a notification, or a call's 0 / -errno */
  unsigned long w[IPC_WORDS];  /* a1..a4: the words (a notification: w[0] = its bits) */
  unsigned long page;       /* a5: address where a page was mapped for us, or 0 */
};

_Static_assert(offsetof(struct ipc_msg, w) == IPC_MSG_W0, "ipc.S offsets");
_Static_assert(offsetof(struct ipc_msg, page) == IPC_MSG_PAGE, "ipc.S offsets");

/* Send msg->w (and the page send_page names, if any) to dest and wait for the reply,
 * whose words and page (mapped at recv_window) then replace *msg. Returns 0, or
 * -errno; on an error only msg->status_or_sender is written. */
long ipc_call(long dest, struct ipc_msg *msg, unsigned long send_page, void *recv_window);

/* Wait for a call or a notification and store it in *msg (a page lands at
 * recv_window). Returns the sender's id, 0 for a notification, or -errno. */
long ipc_recv(void *recv_window, struct ipc_msg *msg);

/* Reply to caller with msg->w (and send_page), then wait for the next message as
 * ipc_recv does, storing it in *msg. Returns the new sender's id, 0 for a
 * notification, or -errno (if the reply failed, nothing was received). */
long ipc_reply_recv(long caller, struct ipc_msg *msg, unsigned long send_page, void *recv_window);

/* A client's request to a server (userland/lib/request.c): call server with the words
 * w and, if page is not NULL, that page lent read-write; while the server answers
 * `busy` in w[0], yield and ask again. The answer in *reply; 0 or ipc_call's -errno. */
long ipc_request(long server, const unsigned long w[4], void *page, long busy, struct ipc_msg *reply);

#endif /* __ASSEMBLER__ */
#endif /* LAMINA_IPC_H */

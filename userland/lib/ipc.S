/* ipc.S: C wrappers for the IPC calls that return a whole message in a0..a5.
 *
 * Each wrapper moves its C arguments into the registers the kernel expects (see
 * <lamina/ipc.h> and docs/abi.md), executes ecall, and stores a0..a5 into the
 * struct ipc_msg whose address it kept in t0: the kernel saves and restores every
 * register a blocked domain does not receive a message in, so t0 survives the wait.
 */

#include <lamina/abi.h>
#include <lamina/ipc.h>

        .text

/* long ipc_call(long dest, struct ipc_msg *msg, unsigned long send_page, void *recv_window)
 * Registers for the kernel: a0 = dest, a1..a4 = msg->w, a5 = send_page, a6 = recv_window. */
        .globl ipc_call
        .type ipc_call, @function
ipc_call:
        mv      t0, a1
        mv      a5, a2
        mv      a6, a3
        ld      a1, IPC_MSG_W0(t0)
        ld      a2, IPC_MSG_W1(t0)
        ld      a3, IPC_MSG_W2(t0)
        ld      a4, IPC_MSG_W3(t0)
        li      a7, SYS_IPC_CALL
        ecall
        j       store_msg
        .size ipc_call, . - ipc_call

/* long ipc_reply_recv(long caller, struct ipc_msg *msg, unsigned long send_page, void *recv_window)
 * The same registers as ipc_call, with a0 = the caller being answered. */
        .globl ipc_reply_recv
        .type ipc_reply_recv, @function
ipc_reply_recv:
        mv      t0, a1
        mv      a5, a2
        mv      a6, a3
        ld      a1, IPC_MSG_W0(t0)
        ld      a2, IPC_MSG_W1(t0)
        ld      a3, IPC_MSG_W2(t0)
        ld      a4, IPC_MSG_W3(t0)
        li      a7, SYS_IPC_REPLY_RECV
        ecall
        j       store_msg
        .size ipc_reply_recv, . - ipc_reply_recv

/* long ipc_recv(void *recv_window, struct ipc_msg *msg)
 * Registers for the kernel: a0 = recv_window. */
        .globl ipc_recv
        .type ipc_recv, @function
ipc_recv:
        mv      t0, a1
        li      a7, SYS_IPC_RECV
        ecall
        /* fall through to store_msg */
        .size ipc_recv, . - ipc_recv

/* Store a0 into the message at t0 and, unless a0 is an error, a1..a5 too; return a0. */
store_msg:
        sd      a0, IPC_MSG_STATUS(t0)
        bltz    a0, 1f
        sd      a1, IPC_MSG_W0(t0)
        sd      a2, IPC_MSG_W1(t0)
        sd      a3, IPC_MSG_W2(t0)
        sd      a4, IPC_MSG_W3(t0)
        sd      a5, IPC_MSG_PAGE(t0)
1:      ret

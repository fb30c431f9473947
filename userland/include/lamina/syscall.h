/* lamina/syscall.h: Lamina's system calls, one C function per call.
 *
 * These are the raw calls: the stubs (usys.S, generated from kernel/abi.py like
 * everything in <lamina/abi.h>) put the call number in a7 and execute ecall; the
 * arguments travel in a0..a6 and the function returns what the kernel left in a0.
 * A negative result is an error, -errno, with the E* values from <lamina/abi.h>
 * (for example -ENOMEM). A `dom` argument of 0 means the calling domain.
 *
 * The IPC calls deliver more than a0 (message words in a1..a4, a page in a5); these
 * plain stubs return a0 only. <lamina/ipc.h> has wrappers that return the whole message.
 */
#ifndef LAMINA_SYSCALL_H
#define LAMINA_SYSCALL_H

#include <lamina/abi.h>

/* End this domain with status. Never returns. Prefer exit(), which flushes stdio. */
void sys_exit(int status) __attribute__((noreturn));

/* Give up the rest of this quantum. Returns 0. */
long sys_yield(void);

/* Write len bytes of buf to the console. Returns len, or -errno. */
long sys_console_write(const void *buf, unsigned long len);

/* Read up to len bytes of console input into buf. Returns the count, 0 at the end of
 * input, or -EAGAIN if none has arrived yet. */
long sys_console_read(void *buf, unsigned long len);

/* This domain's id (also the cheapest system call: a "null" call for benchmarks). */
long sys_getid(void);

/* Map npages fresh zeroed pages at page-aligned va in dom with PERM_* rights. 0 or -errno. */
long sys_page_alloc(long dom, void *va, unsigned long npages, int perm);

/* Share the frame at src_va in src_dom at dst_va in dst_dom with PERM_* rights. 0 or -errno. */
long sys_page_map(long src_dom, void *src_va, long dst_dom, void *dst_va, int perm);

/* Remove the mapping at va in dom. 0 or -errno. */
long sys_page_unmap(long dom, void *va);

/* The PERM_* bits of the page at va in dom, plus PAGE_OWNED and PAGE_SHARED; or -errno. */
long sys_page_query(long dom, void *va);

/* Map every page src_dom maps in npages pages from src_va at the same offset from
 * dst_va in dst_dom, its rights ANDed with mask's PERM_R/W/X and marked if mask has
 * PERM_MARK (src and dst the same range: narrowed in place; with PAGE_MOVE, each
 * source mapping is removed). Holes are skipped. The pages mapped, or -errno. */
long sys_page_map_range(long src_dom, void *src_va, long dst_dom, void *dst_va, unsigned long npages, int mask);

/* One byte per page of npages pages from va in dom into buf: 0 if nothing is mapped,
 * else its PERM_* bits with QUERY_OWNED and QUERY_SHARED. The pages mapped, or -errno. */
long sys_page_query_range(long dom, void *va, unsigned long npages, unsigned char *buf);

/* Remove every mapping in npages pages from va in dom (holes are no error). The
 * pages unmapped, or -errno. */
long sys_page_unmap_range(long dom, void *va, unsigned long npages);

/* Have the fault handler called with cause CAUSE_ALARM each time this domain has run
 * another interval of its own instructions (0: no more). 0 or -errno. */
long sys_alarm(unsigned long interval);

/* Create a child domain (exofork). Returns its id in the caller, 0 in the child, or -errno. */
long sys_domain_create(void);

/* Set all registers of dom (which must be stopped) from *regs. 0 or -errno. */
long sys_domain_set_regs(long dom, const struct user_regs *regs);

/* Put dom in run state (a DOM_STATE_* value). 0 or -errno. */
long sys_domain_set_state(long dom, long state);

/* Destroy dom and all its descendants. 0 or -errno. */
long sys_domain_destroy(long dom);

/* Fill *info with dom's state, counters and name. 0 or -errno. */
long sys_domain_info(long dom, struct domain_info *info);

/* Call dom by name (1 to DOMAIN_NAME_MAX printable characters) from now on; exec
 * and spawn name the program they load. 0 or -errno. */
long sys_domain_name(long dom, const char *name);

/* Make faults in dom run entry on the exception stack ending at xstack_top. 0 or -errno. */
long sys_set_fault_handler(long dom, void (*entry)(void), void *xstack_top);

/* Resume the code a fault interrupted, with the registers in *frame. Returns only on error. */
long sys_fault_return(const struct fault_frame *frame);

/* Send four words (and optionally a page: send_page is its address ORed with the PERM_*
 * rights to give, or 0) to dest and wait for the reply, whose page (if any) is mapped at
 * recv_window. Returns the reply's a0 (0), or -errno. */
long sys_ipc_call(long dest, unsigned long w0, unsigned long w1, unsigned long w2,
                  unsigned long w3, unsigned long send_page, void *recv_window);

/* Wait for a message (a page, if any, lands at recv_window). Returns the sender's id
 * (0 for a notification), or -errno. */
long sys_ipc_recv(void *recv_window);

/* Reply to caller with four words and optionally a page (send_page as for
 * sys_ipc_call). 0 or -errno. */
long sys_ipc_reply(long caller, unsigned long w0, unsigned long w1, unsigned long w2,
                   unsigned long w3, unsigned long send_page);

/* Reply to caller, then wait for the next message, like sys_ipc_recv. */
long sys_ipc_reply_recv(long caller, unsigned long w0, unsigned long w1, unsigned long w2,
                        unsigned long w3, unsigned long send_page, void *recv_window);

/* Set notification bits of dest (only bits at or above 1 << NOTIFY_USER_SHIFT). 0 or -errno. */
long sys_notify(long dest, unsigned long bits);

/* Give dom a proportional share of the CPU of tickets. 0 or -errno. */
long sys_set_share(long dom, unsigned long tickets);

/* Limit dom's subtree to pages frames. 0 or -errno. */
long sys_set_quota(long dom, unsigned long pages);

/* Give recipient authority over target. 0 or -errno. */
long sys_cap_grant(long target, long recipient);

/* 1 if holder has authority over dom (dom itself, an ancestor, or a capability), 0 if
 * not, or -errno. How a server decides who may manage it. */
long sys_cap_check(long holder, long dom);

/* BEGIN LAB syscall: */
/* How many frames are free and how many domains are alive, into *info. 0 or -errno. */
long sys_sysinfo(struct sysinfo *info);
/* END LAB syscall */

/* Pass on to dom the part [lo, hi) of the caller's binding of device (a DEVICE_* value). 0 or -errno. */
long sys_bind_grant(long dom, long device, unsigned long lo, unsigned long hi);

/* Queue a disk transfer of count sectors starting at sector, to or from the buffer at
 * va (op: DISK_OP_READ, DISK_OP_WRITE, DISK_OP_FLUSH). Returns 0 once queued; a
 * NOTIFY_DISK notification follows when it is done. -errno if refused. */
long sys_disk_io(long op, unsigned long sector, unsigned long count, void *va);

/* The number of sectors on the disk, or -errno (no disk binding, no disk). */
long sys_disk_info(void);

/* Virtual time now: instructions retired by the whole machine, plus idle time. */
long sys_clock(void);

/* Ask for a NOTIFY_TIMER notification when virtual time reaches deadline (0 cancels). */
long sys_timer(unsigned long deadline);

/* Transmit the Ethernet frame of len bytes (NIC_FRAME_MIN..NIC_FRAME_MAX) at buf. Returns
 * len, or -errno: -EPERM if no NIC binding covers the frame (its IP protocol and TCP/UDP
 * source port), -EAGAIN if the transmit ring is full. */
long sys_nic_send(const void *buf, unsigned long len);

/* Move the next frame the kernel queued for this domain into buf. Returns its length,
 * -EAGAIN if none is queued (a NOTIFY_NIC notification comes with each arrival), or
 * -ERANGE if it does not fit in len bytes (it stays queued). */
long sys_nic_recv(void *buf, unsigned long len);

/* The NIC's MAC address as a 48-bit number (first byte most significant), or -errno. */
long sys_nic_info(void);

#endif /* LAMINA_SYSCALL_H */

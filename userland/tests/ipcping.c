// ipcping N: a client (this domain) and a server (its child) trade IPC messages.
//
// The first call carries four words and a page the server writes into; the reply
// carries four words and a page of the server's. Then N round trips are counted,
// callers are shown to queue in arrival order, and every error of ipc_call, ipc_recv,
// ipc_reply and ipc_reply_recv is provoked. Every result is a line "name = value"
// (tests/test_calls_ipc.py).
//
//   $ ipcping 100
//   first.status = 0
//   ...
//   round_trips = 100

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/rawcall.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define CLIENT_PAGE 0x10000000UL     // the page the client lends the server
#define READ_ONLY_PAGE 0x10001000UL  // a page the client may not lend writable
#define CLIENT_WINDOW 0x10100000UL   // where the server's page lands in the client
#define SERVER_PAGE 0x20000000UL     // the page the server lends back
#define SERVER_WINDOW 0x20100000UL   // where the client's page lands in the server
#define UNMAPPED 0x30000000UL

// What the first word of a call asks the server to do.
#define OP_ECHO 1           // reply with each word plus one
#define OP_LEND_PAGE 2      // echo, write into the page received, lend SERVER_PAGE back
#define OP_REPLY_ERRORS 3   // reply with the errors of four bad replies
#define OP_EXIT 4           // exit without replying

// Print one result line with a string value.
static void
report_text(const char *name, const char *text)
{
  printf("%s = %s\n", name, text);
}

// Server side of OP_REPLY_ERRORS: try four bad replies to caller, whose errors
// become the words of the good reply that follows.
static void
bad_replies(long caller, struct ipc_msg *msg)
{
  struct ipc_msg unused;

  msg->w[0] = sys_ipc_reply(caller, 0, 0, 0, 0, UNMAPPED | PERM_R);
  msg->w[1] = sys_ipc_reply(caller, 0, 0, 0, 0, SERVER_PAGE | PERM_R | PERM_X);
  msg->w[2] = sys_ipc_reply(999, 0, 0, 0, 0, 0);
  msg->w[3] = ipc_reply_recv(caller, &unused, 0, (void *)(SERVER_WINDOW + 8));
}

// The server: answer calls until told to exit. Returns (exits with) 3.
static int
server(long unused)
{
  struct ipc_msg msg;
  unsigned long lend;
  long caller;

  sys_page_alloc(0, (void *)SERVER_PAGE, 1, PERM_R | PERM_W);
  strcpy((char *)SERVER_PAGE, "the server's page");
  caller = ipc_recv((void *)SERVER_WINDOW, &msg);
  while (caller > 0 && msg.w[0] != OP_EXIT) {
    lend = 0;
    if (msg.w[0] == OP_REPLY_ERRORS) {
      bad_replies(caller, &msg);
    } else {
      for (int i = 0; i < IPC_WORDS; i++)
        msg.w[i]++;
    }
    if (msg.w[0] == OP_LEND_PAGE + 1 && msg.page == SERVER_WINDOW) {
      strcpy((char *)SERVER_WINDOW + 64, "written by the server");
      lend = SERVER_PAGE | PERM_R;
    }
    caller = ipc_reply_recv(caller, &msg, lend, (void *)SERVER_WINDOW);
  }
  return 3;
}

// The first call: words and a page each way.
static void
first_call(long srv)
{
  struct ipc_msg msg = {0, {OP_LEND_PAGE, 20, 30, 40}, 0};

  strcpy((char *)CLIENT_PAGE, "the client's page");
  report("first.status", ipc_call(srv, &msg, CLIENT_PAGE | PERM_R | PERM_W, (void *)CLIENT_WINDOW));
  report("first.w0", msg.w[0]);
  report("first.w1", msg.w[1]);
  report("first.w2", msg.w[2]);
  report("first.w3", msg.w[3]);
  report("first.page_at_window", msg.page == CLIENT_WINDOW);
  report_text("first.page_text", (char *)CLIENT_WINDOW);
  report("first.page_rights", sys_page_query(0, (void *)CLIENT_WINDOW));
  report_text("first.server_wrote", (char *)CLIENT_PAGE + 64);
}

// n echo calls; returns how many came back right.
static long
round_trips(long srv, long n)
{
  struct ipc_msg msg;
  long good = 0;

  for (long i = 0; i < n; i++) {
    msg = (struct ipc_msg){0, {OP_ECHO, i, 2 * i, 3 * i}, 0};
    if (ipc_call(srv, &msg, 0, NULL) == 0 && msg.w[1] == (unsigned long)i + 1 &&
        msg.w[3] == 3 * (unsigned long)i + 1)
      good++;
  }
  return good;
}

// A child that calls parent with its own id as the first word, and exits.
static int
queued_caller(long parent)
{
  struct ipc_msg msg = {0, {sys_getid(), 0, 0, 0}, 0};
  unsigned long stack_page = (unsigned long)&msg & ~(unsigned long)(PAGE_SIZE - 1);

  // It offers a page of its stack; the server receives with no window, so no page moves.
  return (int)ipc_call(parent, &msg, stack_page | PERM_R, NULL);
}

// Two callers that block on us before we receive are received in arrival order.
static void
callers_queue_in_order(void)
{
  long first = child_create(queued_caller, sys_getid());
  long doomed = child_create(queued_caller, sys_getid());
  long second = child_create(queued_caller, sys_getid());
  struct ipc_msg msg;

  sys_domain_set_state(first, DOM_STATE_RUNNABLE);
  sys_domain_set_state(doomed, DOM_STATE_RUNNABLE);
  sys_domain_set_state(second, DOM_STATE_RUNNABLE);
  while (domain_info_of(first).state != DOM_STATE_BLOCKED || domain_info_of(doomed).state != DOM_STATE_BLOCKED ||
         domain_info_of(second).state != DOM_STATE_BLOCKED)
    sys_yield();
  // A caller destroyed while it waits in the queue leaves it: the next two are received.
  report("queue.destroy_waiting", sys_domain_destroy(doomed));
  report("queue.first_received", ipc_recv(NULL, &msg) == first && (long)msg.w[0] == first);
  report("queue.no_window_page", (long)msg.page);  // offered, but no window to land in
  report("queue.page_zero_after", sys_page_query(0, NULL));  // not mapped at 0 either
  report("queue.reply", sys_ipc_reply(first, 0, 0, 0, 0, 0));
  report("queue.second_received", ipc_recv(NULL, &msg) == second && (long)msg.w[0] == second);
  sys_ipc_reply(second, 0, 0, 0, 0, 0);
  sys_domain_destroy(first);
  sys_domain_destroy(second);
}

// The errors of ipc_call, ipc_recv and ipc_reply on the client's side.
static void
call_errors(long srv)
{
  struct ipc_msg msg = {0, {OP_ECHO, 0, 0, 0}, 0};
  void *window = (void *)CLIENT_WINDOW;

  report("call.self", ipc_call(sys_getid(), &msg, 0, NULL));
  report("call.no_such_domain", ipc_call(999, &msg, 0, NULL));
  report("call.page_write_only", ipc_call(srv, &msg, CLIENT_PAGE | PERM_W, NULL));
  report("call.page_unknown_rights", ipc_call(srv, &msg, CLIENT_PAGE | PERM_R | 16, NULL));
  report("call.page_unmapped", ipc_call(srv, &msg, UNMAPPED | PERM_R, NULL));
  report("call.page_wider_than_mine", ipc_call(srv, &msg, READ_ONLY_PAGE | PERM_R | PERM_W, NULL));
  report("call.window_unaligned", ipc_call(srv, &msg, 0, (char *)window + 8));
  report("recv.window_unaligned", ipc_recv((char *)window + 8, &msg));
  report("reply.not_a_caller", sys_ipc_reply(srv, 0, 0, 0, 0, 0));
  report("reply_recv.not_a_caller", ipc_reply_recv(srv, &msg, 0, NULL));
  msg = (struct ipc_msg){0, {OP_REPLY_ERRORS, 0, 0, 0}, 0};
  report("reply_errors.status", ipc_call(srv, &msg, 0, NULL));
  report("reply.page_unmapped", msg.w[0]);
  report("reply.page_wider_than_mine", msg.w[1]);
  report("reply.no_such_caller", msg.w[2]);
  report("reply_recv.window_unaligned", msg.w[3]);
}

// A server that exits while we wait for its reply, and one that has exited.
static void
dead_server(long srv)
{
  struct ipc_msg msg = {0, {OP_EXIT, 0, 0, 0}, 0};
  // ipc_call with its registers written out (docs/abi.md): words, no page, no window
  unsigned long r[8] = {(unsigned long)srv, OP_EXIT, 11, 22, 33, 0, 0, SYS_IPC_CALL};

  raw_ecall(r);
  report("call.server_exits_before_reply", (long)r[0]);
  report("call.server_exits_words", r[1] | r[2] | r[3] | r[4]);  // no reply: zeros
  report("call.server_exits_page", r[5]);                        // no page came
  report("call.server_exits_a6_a7_kept", r[6] == 0 && r[7] == SYS_IPC_CALL);
  report("server.exit_status", domain_info_of(srv).exit_status);
  report("call.exited_server", ipc_call(srv, &msg, 0, NULL));
  sys_domain_destroy(srv);
  report("call.destroyed_server", ipc_call(srv, &msg, 0, NULL));
}

// A server with no frame to spare: its quota is what it holds. A page lent to it at a
// window that needs a new page table cannot be placed: the call still arrives, with no
// page. Replies with the page's address as received and page_query of the window.
#define FAR_WINDOW 0x2000000000UL  // far from everything the server has mapped
static int
tight_server(long unused)
{
  struct ipc_msg msg;
  long caller;

  long quota;

  (void)unused;
  // set_quota takes no fewer than 16 pages (docs/abi.md): hold that many first
  for (unsigned long va = SERVER_PAGE; domain_info_of(0).pages < 16; va += PAGE_SIZE)
    sys_page_alloc(0, (void *)va, 1, PERM_R | PERM_W);
  quota = sys_set_quota(0, (long)domain_info_of(0).pages);
  caller = ipc_recv((void *)FAR_WINDOW, &msg);
  msg.w[2] = (unsigned long)quota;
  msg.w[0] = msg.page;
  msg.w[1] = (unsigned long)sys_page_query(0, (void *)FAR_WINDOW);
  ipc_reply_recv(caller, &msg, 0, NULL);
  return 0;
}

// Lend a page to a server that cannot pay for the page table its window needs.
static void
lend_to_tight_server(void)
{
  long srv = child_create(tight_server, 0);
  struct ipc_msg msg = {0, {0, 0, 0, 0}, 0};

  sys_domain_set_state(srv, DOM_STATE_RUNNABLE);
  report("tight.call", ipc_call(srv, &msg, CLIENT_PAGE | PERM_R, NULL));
  report("tight.page_received", (long)msg.w[0]);
  report("tight.window_query", (long)msg.w[1]);
  report("tight.set_quota", (long)msg.w[2]);
  sys_domain_destroy(srv);
}

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 10;
  long srv;

  sys_page_alloc(0, (void *)CLIENT_PAGE, 1, PERM_R | PERM_W);
  sys_page_alloc(0, (void *)READ_ONLY_PAGE, 1, PERM_R);
  srv = child_create(server, 0);
  sys_domain_set_state(srv, DOM_STATE_RUNNABLE);
  first_call(srv);
  report("round_trips", round_trips(srv, n));
  callers_queue_in_order();
  lend_to_tight_server();
  call_errors(srv);
  dead_server(srv);
  return 0;
}

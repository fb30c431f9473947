// ps: list the processes (domains) that exist, from domain_info.
//
//   ps
//
//     PID  PPID STATE     PAGES    INSTRUCTIONS COMMAND
//       1     0 blocked      31          210384 fsd
//
// domain_info needs no authority, so every domain is listed, servers included. The
// name is the kernel's: the program a domain was booted with, or the one exec or
// spawn last loaded into it (sys_domain_name). Ids are never reused: ps looks at every id up to its own and
// then on until 32 unused ids in a row (every later domain was created after it).

#include <stdio.h>
#include <lamina/syscall.h>

#define SCAN_GAP 32

// The name of a DOM_STATE_*.
static const char *
state_name(unsigned long state)
{
  switch (state) {
  case DOM_STATE_STOPPED: return "stopped";
  case DOM_STATE_RUNNABLE: return "runnable";
  case DOM_STATE_BLOCKED: return "blocked";
  case DOM_STATE_EXITED: return "exited";
  }
  return "?";
}

int
main(void)
{
  long me = sys_getid();
  struct domain_info di;
  int gap = 0;

  printf("%5s %5s %-9s %6s %15s %s\n", "PID", "PPID", "STATE", "PAGES", "INSTRUCTIONS", "COMMAND");
  for (long id = 1; id <= me || gap < SCAN_GAP; id++) {
    if (sys_domain_info(id, &di) < 0) {
      gap++;
      continue;
    }
    gap = 0;
    di.name[DOMAIN_NAME_MAX] = '\0';  // the kernel ends it; no harm in being sure
    printf("%5lu %5lu %-9s %6lu %15lu %s\n", (unsigned long)di.id, (unsigned long)di.parent,
           state_name(di.state), (unsigned long)di.pages, (unsigned long)di.instructions, di.name);
  }
  return 0;
}

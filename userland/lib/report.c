// report.c: result lines for the kernel-call test programs (see <lamina/report.h>).

#include <stdio.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

// Print one result line "name = value", the form tests/reported.py parses.
void
report(const char *name, long value)
{
  printf("%s = %ld\n", name, value);
}

// dom's domain_info; all zeros if the call fails (no such domain, say).
struct domain_info
domain_info_of(long dom)
{
  struct domain_info info = {0};

  sys_domain_info(dom, &info);
  return info;
}

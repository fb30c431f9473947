// sysinfo: print how many page frames are free and how many domains are alive, from
// the kernel's sysinfo call (lab syscall adds it).
//
//   sysinfo          the two numbers, a line each
//   sysinfo -e       the call's errors, as "name = value" lines (for the lab's grader)

#include <stdio.h>
#include <string.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

// Print the two numbers, or why the call failed. 0 or 1.
static int
show(void)
{
  /* BEGIN LAB syscall: printf("sysinfo: not implemented (lab syscall)\n"); return 1; */
  struct sysinfo info;
  long err = sys_sysinfo(&info);

  if (err < 0) {
    printf("sysinfo: %s\n", strerror((int)-err));
    return 1;
  }
  printf("free frames %lu\nlive domains %lu\n", info.free_frames, info.domains);
  return 0;
  /* END LAB syscall */
}

// What docs/abi.md says the call returns: 0 for a good pointer, -EFAULT for one it
// cannot write.
static int
errors(void)
{
  /* BEGIN LAB syscall: printf("sysinfo: not implemented (lab syscall)\n"); return 1; */
  struct sysinfo info;
  report("sysinfo.ok", sys_sysinfo(&info));
  report("sysinfo.null", sys_sysinfo(NULL));
  report("sysinfo.read_only", sys_sysinfo((struct sysinfo *)(void *)errors));
  report("sysinfo.beyond_user", sys_sysinfo((struct sysinfo *)USER_VA_LIMIT));
  return 0;
  /* END LAB syscall */
}

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "-e") == 0)
    return errors();
  return show();
}

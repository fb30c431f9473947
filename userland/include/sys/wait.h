/* sys/wait.h: waiting for child processes (userland/lib/wait.c).
 *
 * A status packs how a child ended, as POSIX does: an exit code in bits 8..15, or
 * the signal that ended it in bits 0..6. The kernel ends a domain killed by a fault
 * it could not handle with 139 (128 + SIGSEGV) and a destroyed one with 137
 * (128 + SIGKILL); wait reads those two exit codes as signals.
 */
#ifndef LAMINA_SYS_WAIT_H
#define LAMINA_SYS_WAIT_H

#include <lamina/abi.h>  /* ECHILD */

/* waitpid's options: return 0 at once if no child has ended yet. */
#define WNOHANG 1

#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0)
#define WTERMSIG(s) ((s) & 0x7f)

/* Wait for child pid (or any child, pid -1) to end, reap it and store how it ended
 * in *status (if status is not NULL). Returns its pid; 0 with WNOHANG if none has
 * ended yet; -ECHILD if there is no such child. Each child is reported once. */
long waitpid(long pid, int *status, int options);

/* waitpid(-1, status, 0). */
long wait(int *status);

#endif /* LAMINA_SYS_WAIT_H */

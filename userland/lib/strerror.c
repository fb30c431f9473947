// strerror.c: what an error number means, in words, for messages on stderr
// (see <string.h>). The numbers are the kernel's (<lamina/abi.h>), which are Linux's.

#include <string.h>
#include <lamina/abi.h>

// The errors the library's calls return, with the words POSIX systems print.
static const struct {
  int err;
  const char *text;
} errtexts[] = {
  {EPERM, "operation not permitted"}, {ENOENT, "no such file or directory"},
  {ESRCH, "no such process"}, {EIO, "input/output error"}, {ENOEXEC, "exec format error"},
  {EBADF, "bad file descriptor"}, {ECHILD, "no child processes"},
  {EAGAIN, "resource temporarily unavailable"}, {ENOMEM, "out of memory (or over quota)"},
  {EACCES, "permission denied"}, {EFAULT, "bad address"}, {EBUSY, "device or resource busy"},
  {EEXIST, "file exists"}, {ENODEV, "no such device (no file server?)"},
  {ENOTDIR, "not a directory"}, {EISDIR, "is a directory"}, {EINVAL, "invalid argument"},
  {ENFILE, "too many open files in the system"}, {EMFILE, "too many open files"},
  {ENOSPC, "no space left on device"},
  {ESPIPE, "illegal seek"}, {EPIPE, "broken pipe"}, {ERANGE, "result out of range"},
  {EDEADLK, "resource deadlock avoided"}, {ENAMETOOLONG, "file name too long"},
  {ENOSYS, "function not implemented"}, {ENOTEMPTY, "directory not empty"},
};

// The text of error number errnum (positive: strerror(-err) for a call's -err).
const char *
strerror(int errnum)
{
  for (size_t i = 0; i < sizeof(errtexts) / sizeof(errtexts[0]); i++)
    if (errtexts[i].err == errnum)
      return errtexts[i].text;
  return "unknown error";
}

// image.h: loading an executable into the staging area (image.c), shared by execv
// (exec.c) and spawnv (spawn.c). Programs use <unistd.h>'s execv and spawnv instead.
#ifndef LAMINA_LIB_IMAGE_H
#define LAMINA_LIB_IMAGE_H

#include <lamina/abi.h>

#define STACK_BOTTOM (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
#define IMAGE_MAX_SEGMENTS 8  // loadable segments an executable may have

// A loadable segment: [va, va + memsz) in memory, the first filesz bytes from the
// file at offset, with PERM_* rights perm.
struct segment {
  unsigned long va;
  unsigned long memsz;
  unsigned long filesz;
  unsigned long offset;
  int perm;
};

// An executable being loaded, and the stack built for it.
struct image {
  long server;  // the file server
  long fd;  // the file, open at the server
  unsigned long size;  // its size in bytes
  unsigned long entry;  // where it starts
  int nseg;
  struct segment seg[IMAGE_MAX_SEGMENTS];
  char name[DOMAIN_NAME_MAX + 1];  // what the process is called: path's last part
  long argc;
  unsigned long sp;  // the stack pointer at entry: the argv array
  int staged_segments;  // how many of seg[] have pages in the staging area
  int staged_stack;  // whether the stack has
};

// Read the executable at path through the file server, check it, and build its
// segments and a stack holding argv in the staging area (page va at va +
// EXEC_STAGE_OFFSET). 0, or -errno with nothing staged: ENOENT and the file
// server's other errors, ENODEV (no file server known), EACCES (not a regular file
// with an execute bit), ENOEXEC (not a valid RV64 executable for this system),
// E2BIG (too many arguments), ENOMEM.
long image_load(const char *path, char *const argv[], struct image *im);

// Unmap whatever is left of im's pages in the staging area.
void image_unstage(const struct image *im);

// The page-aligned bounds of a segment.
unsigned long segment_start(const struct segment *s);
unsigned long segment_end(const struct segment *s);

#endif // LAMINA_LIB_IMAGE_H

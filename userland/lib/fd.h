// fd.h: the descriptor tables, shared by fd.c (descriptors and open files) and
// fdsave.c (their trip across an exec or into a spawned child). Programs use
// <unistd.h> and <fcntl.h> instead.
#ifndef LAMINA_LIB_FD_H
#define LAMINA_LIB_FD_H

struct pipe;

#define NOFILE 16  // descriptors per process
#define NFILE 32  // open files per process
#define FILE_PATH_MAX 256  // bytes of a path kept to reopen the file after a fork

enum { OF_FREE, OF_CONSOLE, OF_FILE, OF_PIPE };

// An open file.
struct ofile {
  int type;  // OF_*
  int refs;  // descriptors naming it
  int flags;  // O_* it was opened with
  long owner;  // the process whose server descriptor sfd is
  long sfd;  // the file server's descriptor
  long offset;  // where the next read or write goes (as far as this process knows)
  struct pipe *pipe;  // OF_PIPE: the shared page
  int end;  // OF_PIPE: 0 the read end, 1 the write end
  char path[FILE_PATH_MAX];
};

extern struct ofile ofiles[NFILE];
extern int fdtab[NOFILE];  // 1 + index into ofiles; 0: closed

// Set up the tables on first use (fd.c): those an exec or a spawning parent left,
// or else descriptors 0, 1 and 2 on the console.
void fd_init(void);

// Take back the tables saved in FD_SAVE_VA and unmap the page (fdsave.c). Whether
// there were any (a damaged save counts as none).
int fd_restore(void);

#endif // LAMINA_LIB_FD_H

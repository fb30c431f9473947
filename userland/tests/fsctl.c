// fsctl: run file-service commands one after another, through the file server.
//
//   fsctl SERVER COMMAND ARGS [, COMMAND ARGS]...
//
// Commands: mkdir PATH, rmdir PATH, rm PATH, mv OLD NEW, ln OLD NEW, trunc PATH SIZE,
// stat PATH, statfs, fill PATH (write until the disk is full), hold PATH (open it and
// never close it: it stays open until this program ends), creat PATH (open with
// O_CREAT for writing, then close), sync, shutdown.
// Each prints one line "COMMAND ARGS = RESULT", the result being 0, a number, or an
// error name, so a test can read what happened. SERVER is the file server's domain
// id (in a configuration: "@fsd").

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>

static char block[FS_IO_MAX];

// Write to a new file at path until the disk is full. Returns the bytes written or
// -errno.
static long
fill(long server, const char *path)
{
  long fd = fs_open(server, path, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
  long total = 0, n;

  if (fd < 0)
    return fd;
  memset(block, 'x', sizeof(block));
  while ((n = fs_write(server, fd, block, sizeof(block))) > 0)
    total += n;
  printf("fill %s: stopped by %s\n", path, n < 0 ? fs_errname(n) : "a write of 0 bytes");
  fs_close(server, fd);
  return total;
}

// Print a struct fs_stat.
static void
print_stat(const char *path, const struct fs_stat *st)
{
  printf("stat %s: ino %u mode 0x%x links %u size %lu blocks %u\n", path, st->ino, st->mode, st->links,
         (unsigned long)st->size, st->blocks);
}

// Run one command (argv[0..argc)). Returns its result, or -EINVAL if it is unknown.
static long
command(long server, int argc, char **argv)
{
  struct fs_stat st;
  struct fs_statfs sf;
  long err;

  if (argc == 2 && strcmp(argv[0], "mkdir") == 0)
    return fs_mkdir(server, argv[1], 0755);
  if (argc == 2 && strcmp(argv[0], "rmdir") == 0)
    return fs_rmdir(server, argv[1]);
  if (argc == 2 && strcmp(argv[0], "rm") == 0)
    return fs_unlink(server, argv[1]);
  if (argc == 3 && strcmp(argv[0], "mv") == 0)
    return fs_rename(server, argv[1], argv[2]);
  if (argc == 3 && strcmp(argv[0], "ln") == 0)
    return fs_link(server, argv[1], argv[2]);
  if (argc == 3 && strcmp(argv[0], "trunc") == 0)
    return fs_truncate(server, argv[1], strtoul(argv[2], NULL, 0));
  if (argc == 2 && strcmp(argv[0], "fill") == 0)
    return fill(server, argv[1]);
  if (argc == 2 && strcmp(argv[0], "hold") == 0)  // open, and never close
    return fs_open(server, argv[1], FS_O_RDONLY, 0);
  if (argc == 2 && strcmp(argv[0], "creat") == 0) {
    err = fs_open(server, argv[1], FS_O_WRONLY | FS_O_CREAT, 0644);
    return err < 0 ? err : fs_close(server, err);
  }
  if (argc == 1 && strcmp(argv[0], "sync") == 0)
    return fs_sync(server);
  if (argc == 1 && strcmp(argv[0], "shutdown") == 0)
    return fs_shutdown(server);
  if (argc == 2 && strcmp(argv[0], "stat") == 0) {
    err = fs_stat(server, argv[1], &st);
    if (err == 0)
      print_stat(argv[1], &st);
    return err;
  }
  if (argc == 1 && strcmp(argv[0], "statfs") == 0) {
    err = fs_statfs(server, &sf);
    if (err == 0)
      printf("statfs: %u blocks of %u bytes, %u free; %u inodes, %u free\n", sf.blocks, sf.block_size,
             sf.free_blocks, sf.inodes, sf.free_inodes);
    return err;
  }
  return -EINVAL;
}

int
main(int argc, char *argv[])
{
  long server, result;
  int status = 0;

  if (argc < 3) {
    printf("usage: fsctl SERVER COMMAND ARGS [, COMMAND ARGS]...\n");
    return 2;
  }
  server = atol(argv[1]);
  for (int start = 2; start < argc;) {
    int end = start;

    while (end < argc && strcmp(argv[end], ",") != 0)
      end++;
    result = command(server, end - start, argv + start);
    for (int i = start; i < end; i++)
      printf("%s%s", argv[i], i + 1 < end ? " " : "");
    if (result < 0) {
      printf(" = %s\n", fs_errname(result));
      status = 1;
    } else {
      printf(" = %ld\n", result);
    }
    start = end + 1;
  }
  return status;
}

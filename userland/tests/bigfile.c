// bigfile: files that need the indirect blocks of ext2, as xv6's bigfile.
//
//   bigfile SERVER [BLOCKS]     (BLOCKS: the big file's size in blocks, default 300)
//
// With 1 KiB blocks, a file's first 12 blocks are direct, the next 256 hang from the
// single indirect block, the next 65,536 from the double indirect one, and beyond
// 65,804 blocks (64.3 MiB) from the triple indirect one. bigfile
//   1. writes BLOCKS blocks, each filled with its own number, and reads them back;
//   2. cuts the big file to 100 blocks;
//   3. writes one block at 70 MiB into an empty file, which then holds that block and
//      one indirect block of each level: four blocks, on a disk far smaller than the
//      file (blocks step 2 freed, so an indirect block not zeroed holds old data); the
//      bytes before it read as zeros (a hole);
//   4. removes both files: the disk's free block count must come back exactly.
// Every result is a line "name = value" (labs/fs/ and tests/test_bigfile.py).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/report.h>

#define SPARSE_AT (70UL * 1024 * 1024)

static long server;
static unsigned int block[256];  // one 1 KiB block
static unsigned int back[256];

static unsigned long
free_blocks(void)
{
  struct fs_statfs st;

  return fs_statfs(server, &st) == 0 ? st.free_blocks : 0;
}

static void
fill(unsigned long n)
{
  for (int i = 0; i < 256; i++)
    block[i] = (unsigned int)(n * 1000 + (unsigned long)i);
}

// Write `blocks` numbered blocks to path, read them back; the blocks that came back wrong.
static long
big(const char *path, unsigned long blocks)
{
  long fd = fs_open(server, path, FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0644), wrong = 0;

  if (fd < 0)
    return fd;
  for (unsigned long n = 0; n < blocks; n++) {
    fill(n);
    long put = fs_write(server, fd, block, sizeof block);
    if (put != (long)sizeof block) {
      report("big.write_failed_at", (long)n);
      report("big.write_error", put);
      fs_close(server, fd);
      return -1;
    }
  }
  for (unsigned long n = 0; n < blocks; n++) {
    fill(n);
    if (fs_pread(server, fd, back, sizeof back, n * sizeof block) != (long)sizeof back ||
        memcmp(back, block, sizeof block) != 0)
      wrong++;
  }
  fs_close(server, fd);
  return wrong;
}

// One block at SPARSE_AT in a fresh file; reports what it holds.
static void
sparse(const char *path)
{
  long fd = fs_open(server, path, FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0644);
  struct fs_stat st;
  unsigned long before = free_blocks();
  long zeros = 0;

  if (fd < 0) {
    report("sparse.open", fd);
    return;
  }
  fill(7);
  report("sparse.seek", fs_seek(server, fd, (long)SPARSE_AT, FS_SEEK_SET) == (long)SPARSE_AT);
  report("sparse.write", fs_write(server, fd, block, sizeof block));
  report("sparse.blocks_used", (long)(before - free_blocks()));
  report("sparse.readback", fs_pread(server, fd, back, sizeof back, SPARSE_AT) == (long)sizeof back &&
                                memcmp(back, block, sizeof block) == 0);
  report("sparse.hole_read", fs_pread(server, fd, back, sizeof back, 1024 * 1024));
  for (int i = 0; i < 256; i++)
    zeros += back[i] == 0;
  report("sparse.hole_zero_words", zeros);
  fs_fstat(server, fd, &st);
  report("sparse.size", (long)st.size);
  report("sparse.sectors", (long)st.blocks);
  fs_close(server, fd);
}

int
main(int argc, char *argv[])
{
  unsigned long blocks = argc > 2 ? strtoul(argv[2], NULL, 0) : 300;
  unsigned long start, after_big;
  struct fs_stat st;

  if (argc < 2) {
    printf("usage: bigfile SERVER [BLOCKS]\n");
    return 2;
  }
  server = atol(argv[1]);
  start = free_blocks();
  report("big.blocks", (long)blocks);
  report("big.wrong_blocks", big("/big", blocks));
  after_big = free_blocks();
  report("big.disk_blocks_used", (long)(start - after_big));
  fs_stat(server, "/big", &st);
  report("big.size", (long)st.size);
  report("big.sectors", (long)st.blocks);
  report("cut.truncate", fs_truncate(server, "/big", 100 * sizeof block));
  fs_stat(server, "/big", &st);
  report("cut.sectors", (long)st.blocks);
  sparse("/sparse");  // on blocks the cut freed: they hold old data, not zeros
  report("remove.big", fs_unlink(server, "/big"));
  report("remove.sparse", fs_unlink(server, "/sparse"));
  report("remove.sync", fs_sync(server));
  report("remove.blocks_not_back", (long)(start - free_blocks()));
  return 0;
}

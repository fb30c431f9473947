// ext2_cache.c: the block cache: every block the core reads or writes goes through here.
//
// A fixed set of buffers, found by block number through a hash table. A user takes a
// buffer with buf_read (or buf_get_zeroed for a block about to be filled), marks it
// with buf_dirty if it changed it, and gives it back with buf_release, as in xv6's
// bio.c. Changes stay in memory (write-back) until cache_writeback, which ext2_sync
// calls, or until a dirty buffer is the one to be reused: then every dirty buffer is
// written, in block order, with neighbouring blocks joined into one disk request.
// Reading works the other way round with cache_read_ahead: a run of blocks a reader
// will want next comes in with one request.

#include <stdlib.h>
#include <string.h>
#include "ext2fs.h"

// The staging area where runs of neighbouring blocks are joined for one request.
#define STAGING_BYTES (128 * 1024)

// Allocate nbufs buffers and an empty hash table. 0 or -ENOMEM.
long
cache_init(struct ext2_fs *fs, uint32_t nbufs)
{
  uint32_t nhash = 1;

  while (nhash < nbufs)
    nhash <<= 1;
  fs->bufs = calloc(nbufs, sizeof(struct ext2_buf));
  fs->hash = calloc(nhash, sizeof(struct ext2_buf *));
  fs->staging = malloc(STAGING_BYTES);
  if (fs->bufs == NULL || fs->hash == NULL || fs->staging == NULL)
    return -ENOMEM;
  fs->nbufs = nbufs;
  fs->hash_mask = nhash - 1;
  for (uint32_t i = 0; i < nbufs; i++) {
    fs->bufs[i].data = malloc(fs->block_size);
    if (fs->bufs[i].data == NULL)
      return -ENOMEM;
  }
  return 0;
}

// Free the cache's memory (dirty buffers are lost: sync first).
void
cache_free(struct ext2_fs *fs)
{
  if (fs->bufs != NULL) {
    for (uint32_t i = 0; i < fs->nbufs; i++)
      free(fs->bufs[i].data);
  }
  free(fs->bufs);
  free(fs->hash);
  free(fs->staging);
  fs->bufs = NULL;
  fs->hash = NULL;
  fs->staging = NULL;
}

// The buffer holding block, or NULL if it is not cached.
static struct ext2_buf *
cache_find(struct ext2_fs *fs, uint32_t block)
{
  struct ext2_buf *b = fs->hash[block & fs->hash_mask];

  while (b != NULL && !(b->valid && b->block == block))
    b = b->hash_next;
  return b;
}

// Take b out of its hash bucket.
static void
hash_remove(struct ext2_fs *fs, struct ext2_buf *b)
{
  struct ext2_buf **link = &fs->hash[b->block & fs->hash_mask];

  while (*link != NULL && *link != b)
    link = &(*link)->hash_next;
  if (*link == b)
    *link = b->hash_next;
  b->hash_next = NULL;
}

// Write `count` blocks starting at block from data. 0 or -errno.
static long
disk_write_blocks(struct ext2_fs *fs, uint32_t block, uint32_t count, const void *data)
{
  return fs->disk.write(fs->disk.ctx, (uint64_t)block * fs->sectors_per_block,
                        count * fs->sectors_per_block, data);
}

// Sort the n buffers in list by block number (insertion sort: n is small).
static void
sort_by_block(struct ext2_buf **list, uint32_t n)
{
  for (uint32_t i = 1; i < n; i++) {
    struct ext2_buf *b = list[i];
    uint32_t j = i;

    while (j > 0 && list[j - 1]->block > b->block) {
      list[j] = list[j - 1];
      j--;
    }
    list[j] = b;
  }
}

// Write the run list[0..n) of neighbouring blocks with one request, through the
// staging area (or straight from the buffer when the run is one block). 0 or -errno.
static long
write_run(struct ext2_fs *fs, struct ext2_buf **list, uint32_t n)
{
  long err;

  if (n == 1) {
    err = disk_write_blocks(fs, list[0]->block, 1, list[0]->data);
  } else {
    for (uint32_t i = 0; i < n; i++)
      memcpy(fs->staging + (size_t)i * fs->block_size, list[i]->data, fs->block_size);
    err = disk_write_blocks(fs, list[0]->block, n, fs->staging);
  }
  if (err < 0)
    return err;
  for (uint32_t i = 0; i < n; i++)
    list[i]->dirty = 0;
  return 0;
}

// Write every dirty buffer to the disk, in block order, joining neighbours. 0 or -errno.
long
cache_writeback(struct ext2_fs *fs)
{
  struct ext2_buf **list;
  uint32_t n = 0;
  uint32_t run_max = STAGING_BYTES / fs->block_size;
  long err = 0;

  list = malloc(fs->nbufs * sizeof(*list));
  if (list == NULL)
    return -ENOMEM;
  for (uint32_t i = 0; i < fs->nbufs; i++) {
    if (fs->bufs[i].valid && fs->bufs[i].dirty)
      list[n++] = &fs->bufs[i];
  }
  sort_by_block(list, n);
  for (uint32_t start = 0; start < n && err == 0;) {
    uint32_t end = start + 1;

    while (end < n && end - start < run_max && list[end]->block == list[end - 1]->block + 1)
      end++;
    err = write_run(fs, list + start, end - start);
    start = end;
  }
  free(list);
  return err;
}

// A buffer nobody is using, the least recently used one, emptied and out of the hash
// table; dirty buffers are written back first. 0 or -errno.
static long
buf_take_free(struct ext2_fs *fs, struct ext2_buf **bp)
{
  struct ext2_buf *victim = NULL;
  long err;

  for (uint32_t i = 0; i < fs->nbufs; i++) {
    struct ext2_buf *b = &fs->bufs[i];

    if (b->refs == 0 && (victim == NULL || !b->valid || b->last_use < victim->last_use)) {
      victim = b;
      if (!b->valid)
        break;
    }
  }
  if (victim == NULL)
    return -EBUSY;
  if (victim->valid && victim->dirty) {
    err = cache_writeback(fs);
    if (err < 0)
      return err;
  }
  if (victim->valid)
    hash_remove(fs, victim);
  victim->valid = 0;
  victim->dirty = 0;
  *bp = victim;
  return 0;
}

// Make the empty buffer b hold block, in use once, and findable.
static void
buf_claim(struct ext2_fs *fs, struct ext2_buf *b, uint32_t block)
{
  b->block = block;
  b->valid = 1;
  b->refs = 1;
  b->last_use = ++fs->use_clock;
  b->hash_next = fs->hash[block & fs->hash_mask];
  fs->hash[block & fs->hash_mask] = b;
}

// A buffer for block, in use once more: the cached one (1), or a free one not yet
// holding it (0: the caller fills it, then buf_claim). -EIO for a block number
// outside the file system, or buf_take_free's error.
static long
buf_hold(struct ext2_fs *fs, uint32_t block, struct ext2_buf **bp)
{
  struct ext2_buf *b;

  if (block >= fs->sb.s_blocks_count)
    return -EIO;
  b = cache_find(fs, block);
  if (b == NULL)
    return buf_take_free(fs, bp);
  b->refs++;
  b->last_use = ++fs->use_clock;
  *bp = b;
  return 1;
}

// The buffer of block, read from the disk if it is not cached; release it with
// buf_release. 0 or -errno (-EIO for a block number outside the file system).
long
buf_read(struct ext2_fs *fs, uint32_t block, struct ext2_buf **bp)
{
  long err = buf_hold(fs, block, bp);

  if (err != 0)
    return err < 0 ? err : 0;
  err = fs->disk.read(fs->disk.ctx, (uint64_t)block * fs->sectors_per_block, fs->sectors_per_block,
                      (*bp)->data);
  if (err < 0)
    return err;  // the buffer stays free: nothing valid was read into it
  buf_claim(fs, *bp, block);
  return 0;
}

// The buffer of block, filled with zeros and dirty, without reading the disk: for a
// block just allocated, or about to be overwritten whole. 0 or -errno.
long
buf_get_zeroed(struct ext2_fs *fs, uint32_t block, struct ext2_buf **bp)
{
  long err = buf_hold(fs, block, bp);

  if (err < 0)
    return err;
  if (err == 0)
    buf_claim(fs, *bp, block);
  memset((*bp)->data, 0, fs->block_size);
  (*bp)->dirty = 1;
  return 0;
}

// Note that b's data changed and must reach the disk.
void
buf_dirty(struct ext2_buf *b)
{
  b->dirty = 1;
}

// Give back a buffer taken with buf_read or buf_get_zeroed.
void
buf_release(struct ext2_buf *b)
{
  if (b->refs > 0)
    b->refs--;
}

// Drop block from the cache without writing it: it was freed, so its contents no
// longer matter (a later allocation of it starts from buf_get_zeroed).
void
buf_forget(struct ext2_fs *fs, uint32_t block)
{
  struct ext2_buf *b = cache_find(fs, block);

  if (b != NULL && b->refs == 0) {
    hash_remove(fs, b);
    b->valid = 0;
    b->dirty = 0;
  }
}

// True if block is in the cache.
int
cache_has(struct ext2_fs *fs, uint32_t block)
{
  return cache_find(fs, block) != NULL;
}

// The most blocks one request of cache_read_ahead may bring in.
uint32_t
cache_run_max(struct ext2_fs *fs)
{
  uint32_t n = STAGING_BYTES / fs->block_size;

  return n < fs->nbufs / 4 ? n : fs->nbufs / 4;
}

// Bring the n blocks from block on into the cache with one disk request (n at most
// cache_run_max; the run stops before the first block already cached). The blocks
// are not in use afterwards: read them with buf_read. 0 or -errno.
long
cache_read_ahead(struct ext2_fs *fs, uint32_t block, uint32_t n)
{
  struct ext2_buf *run[STAGING_BYTES / 1024];
  uint32_t got = 0;
  long err = 0;

  if (n > cache_run_max(fs))
    n = cache_run_max(fs);
  while (got < n && block + got < fs->sb.s_blocks_count && !cache_has(fs, block + got)) {
    err = buf_take_free(fs, &run[got]);
    if (err < 0)
      break;
    run[got++]->refs = 1;  // held, so the next buf_take_free picks another
  }
  if (err == 0 && got > 0)
    err = fs->disk.read(fs->disk.ctx, (uint64_t)block * fs->sectors_per_block, got * fs->sectors_per_block,
                        fs->staging);
  for (uint32_t i = 0; i < got; i++) {
    run[i]->refs = 0;
    if (err == 0) {
      memcpy(run[i]->data, fs->staging + (size_t)i * fs->block_size, fs->block_size);
      buf_claim(fs, run[i], block + i);
      run[i]->refs = 0;
    }
  }
  return err;
}

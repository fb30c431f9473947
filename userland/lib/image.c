// image.c: an executable, read through the file service and checked, built into the
// staging area of this address space (see image.h): the user-level half of a
// program loader, as lamina/loader.py is the boot loader's.
//
// Every page of the new program is built EXEC_STAGE_OFFSET above its final address,
// so the running program is untouched until the caller (execv, spawnv) moves the
// pages into place. Only what is needed is read: the ELF header, the program headers
// and each segment's bytes, straight into its staged pages; debugging sections stay
// on the disk. The file is refused (ENOEXEC) unless it is an RV64 little-endian
// static executable whose segments lie between page 0 and the stack, each in pages
// of its own, with its entry point in an executable segment: a bad file gives an
// error, never a broken process.

#include <stdint.h>
#include <string.h>
#include <lamina/exec.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>
#include "image.h"

// From the ELF specification (System V ABI) and the RISC-V ELF psABI.
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_RISCV 243
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PF_X 1
#define PF_W 2
#define EF_RISCV_FLOAT_ABI 0x6  // hardware floating point: the board has it off
                                // (compressed code, EF_RISCV_RVC, the board runs)
#define MAX_PHDRS 16  // program headers we are willing to read
#define STAGE_MAX_PAGES 65536  // most pages page_alloc maps at once: 256 MiB a segment

// The ELF64 file header.
struct elf_ehdr {
  unsigned char ident[16];
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint64_t entry;
  uint64_t phoff;
  uint64_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;
  uint16_t phnum;
  uint16_t shentsize;
  uint16_t shnum;
  uint16_t shstrndx;
};

// An ELF64 program header.
struct elf_phdr {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t paddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
};

_Static_assert(sizeof(struct elf_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf_phdr) == 56, "ELF64 program header");

// Where the page for va is built.
static void *
staged(unsigned long va)
{
  return (void *)(va + EXEC_STAGE_OFFSET);
}

// The first page of segment s.
unsigned long
segment_start(const struct segment *s)
{
  return s->va & ~(unsigned long)(PAGE_SIZE - 1);
}

// The end of the last page of segment s.
unsigned long
segment_end(const struct segment *s)
{
  return (s->va + s->memsz + PAGE_SIZE - 1) & ~(unsigned long)(PAGE_SIZE - 1);
}

// Open path (relative to the current directory, or absolute) for loading: it must
// be a regular file with an execute bit. 0 or -errno.
static long
image_open(const char *path, struct image *im)
{
  char abs[FS_PATH_MAX + 1];
  struct fs_stat st;
  long err;

  im->server = proc_fsd();
  if (im->server == 0)
    return -ENODEV;
  err = path_resolve(path, abs, sizeof abs);
  if (err < 0)
    return err;
  im->fd = fs_open(im->server, abs, FS_O_RDONLY, 0);
  if (im->fd < 0)
    return im->fd;
  err = fs_fstat(im->server, im->fd, &st);
  if (err >= 0 && ((st.mode & FS_S_IFMT) != FS_S_IFREG || (st.mode & 0111) == 0))
    err = -EACCES;
  if (err < 0) {
    fs_close(im->server, im->fd);
    return err;
  }
  im->size = st.size;
  return 0;
}

// Read exactly n bytes at offset off of the file into buf. 0, -ENOEXEC if the file
// ends first, or -errno.
static long
image_read(const struct image *im, unsigned long off, void *buf, size_t n)
{
  long got = fs_pread(im->server, im->fd, buf, n, off);

  if (got < 0)
    return got;
  return (size_t)got == n ? 0 : -ENOEXEC;
}

// Whether h is the header of an executable this board can run, with its program
// headers inside a file of size bytes. 0 or -ENOEXEC.
static long
check_header(const struct elf_ehdr *h, unsigned long size)
{
  if (memcmp(h->ident, "\177ELF", 4) != 0)
    return -ENOEXEC;
  if (h->ident[EI_CLASS] != ELFCLASS64 || h->ident[EI_DATA] != ELFDATA2LSB || h->ident[EI_VERSION] != EV_CURRENT)
    return -ENOEXEC;
  if (h->type != ET_EXEC || h->machine != EM_RISCV || h->version != EV_CURRENT)
    return -ENOEXEC;
  if (h->flags & EF_RISCV_FLOAT_ABI)
    return -ENOEXEC;
  if (h->phentsize != sizeof(struct elf_phdr) || h->phnum == 0 || h->phnum > MAX_PHDRS)
    return -ENOEXEC;
  if (h->phoff > size || size - h->phoff < h->phnum * sizeof(struct elf_phdr))
    return -ENOEXEC;
  return 0;
}

// Whether loadable segment ph lies inside the file and between page 0 and the stack
// (everything above is the stack's and the library's). 0 or -ENOEXEC.
static long
check_segment(const struct elf_phdr *ph, unsigned long size)
{
  if (ph->filesz > ph->memsz || ph->offset > size || size - ph->offset < ph->filesz)
    return -ENOEXEC;
  if (ph->vaddr < PAGE_SIZE || ph->vaddr > STACK_BOTTOM || STACK_BOTTOM - ph->vaddr < ph->memsz)
    return -ENOEXEC;
  if (ph->align > 1 && ((ph->align & (ph->align - 1)) != 0 || ph->vaddr % ph->align != ph->offset % ph->align))
    return -ENOEXEC;
  return 0;
}

// Whether the segments keep to pages of their own and the entry point is an
// aligned address in an executable segment. 0 or -ENOEXEC.
static long
check_layout(const struct image *im)
{
  int entry_ok = 0;

  for (int i = 0; i < im->nseg; i++) {
    const struct segment *s = &im->seg[i];
    for (int j = 0; j < i; j++)
      if (segment_start(s) < segment_end(&im->seg[j]) && segment_start(&im->seg[j]) < segment_end(s))
        return -ENOEXEC;
    if ((s->perm & PERM_X) && im->entry >= s->va && im->entry - s->va < s->memsz)
      entry_ok = 1;
  }
  return entry_ok && im->entry % 4 == 0 ? 0 : -ENOEXEC;
}

// Read and check the ELF header and program headers into im. 0 or -errno. The
// program headers usually follow the ELF header, so one read of the file's start
// brings both (one request to the file server, not two).
static long
image_headers(struct image *im)
{
  unsigned char start[sizeof(struct elf_ehdr) + MAX_PHDRS * sizeof(struct elf_phdr)];
  unsigned long got = im->size < sizeof start ? im->size : sizeof start;
  struct elf_ehdr h;
  struct elf_phdr ph[MAX_PHDRS];
  long err = got < sizeof h ? -ENOEXEC : image_read(im, 0, start, got);

  if (err == 0) {
    memcpy(&h, start, sizeof h);
    err = check_header(&h, im->size);
  }
  if (err == 0 && h.phoff + h.phnum * sizeof ph[0] <= got)
    memcpy(ph, start + h.phoff, h.phnum * sizeof ph[0]);
  else if (err == 0)
    err = image_read(im, h.phoff, ph, h.phnum * sizeof ph[0]);
  if (err < 0)
    return err;
  for (int i = 0; i < h.phnum; i++) {
    if (ph[i].type == PT_DYNAMIC || ph[i].type == PT_INTERP)
      return -ENOEXEC;  // no dynamic linking here
    if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
      continue;
    err = check_segment(&ph[i], im->size);
    if (err < 0)
      return err;
    if (im->nseg == IMAGE_MAX_SEGMENTS)
      return -ENOEXEC;
    struct segment *s = &im->seg[im->nseg++];
    s->va = ph[i].vaddr;
    s->memsz = ph[i].memsz;
    s->filesz = ph[i].filesz;
    s->offset = ph[i].offset;
    s->perm = PERM_R | ((ph[i].flags & PF_W) ? PERM_W : 0) | ((ph[i].flags & PF_X) ? PERM_X : 0);
  }
  im->entry = h.entry;
  return im->nseg > 0 ? check_layout(im) : -ENOEXEC;
}

// Build segment s in the staging area: fresh zeroed pages (so bss is zero), writable
// for the copy and with the segment's own rights besides (a page can later be mapped
// with fewer rights, never more), then the file's bytes. 0 or -errno.
static long
stage_segment(struct image *im, const struct segment *s)
{
  unsigned long pages = (segment_end(s) - segment_start(s)) / PAGE_SIZE;
  long err;

  if (pages > STAGE_MAX_PAGES)
    return -ENOMEM;
  err = sys_page_alloc(0, staged(segment_start(s)), pages, s->perm | PERM_W);
  if (err < 0)
    return err;
  im->staged_segments++;
  return s->filesz == 0 ? 0 : image_read(im, s->offset, staged(s->va), s->filesz);
}

// Build the new stack in the staging area as the boot loader lays it out: argv's
// strings at the top, below them the pointer array (pointing where the strings
// will be once the stack is in place), 16-byte aligned. 0, -E2BIG or -errno.
static long
stage_stack(struct image *im, char *const argv[])
{
  unsigned long bytes = 0, strings, table, at;
  unsigned long *pointers;
  long argc, err;

  for (argc = 0; argv != NULL && argv[argc] != NULL; argc++) {
    if (argc == MAX_ARGS)
      return -E2BIG;
    bytes += strnlen(argv[argc], MAX_ARG_BYTES) + 1;
  }
  if (bytes > MAX_ARG_BYTES)
    return -E2BIG;
  err = sys_page_alloc(0, staged(STACK_BOTTOM), USER_STACK_PAGES, PERM_R | PERM_W);
  if (err < 0)
    return err;
  im->staged_stack = 1;
  strings = USER_STACK_TOP - bytes;
  table = (strings - (unsigned long)(argc + 1) * sizeof(unsigned long)) & ~15UL;
  pointers = staged(table);
  at = strings;
  for (long i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]) + 1;
    memcpy(staged(at), argv[i], n);
    pointers[i] = at;
    at += n;
  }
  pointers[argc] = 0;
  im->argc = argc;
  im->sp = table;
  return 0;
}

// Unmap every page of [lo, hi) in the staging area that is mapped (holes: pages
// never staged, or already moved).
static void
unstage_range(unsigned long lo, unsigned long hi)
{
  if (hi > lo)
    sys_page_unmap_range(0, staged(lo), (hi - lo) / PAGE_SIZE);
}

// Unmap whatever is left of im's pages in the staging area; see image.h.
void
image_unstage(const struct image *im)
{
  for (int i = 0; i < im->staged_segments; i++)
    unstage_range(segment_start(&im->seg[i]), segment_end(&im->seg[i]));
  if (im->staged_stack)
    unstage_range(STACK_BOTTOM, USER_STACK_TOP);
}

// The name a process running path is called by (sys_domain_name): the path's last
// part, cut to DOMAIN_NAME_MAX characters, anything unprintable made '?'.
static void
image_name(const char *path, char *name)
{
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  int n = 0;

  for (; base[n] != '\0' && n < DOMAIN_NAME_MAX; n++)
    name[n] = (base[n] > ' ' && base[n] < 127) ? base[n] : '?';
  if (n == 0)
    name[n++] = '?';
  name[n] = '\0';
}

// Load path with argv into the staging area; see image.h.
long
image_load(const char *path, char *const argv[], struct image *im)
{
  long err;

  memset(im, 0, sizeof *im);
  image_name(path, im->name);
  err = image_open(path, im);
  if (err < 0)
    return err;
  err = image_headers(im);
  if (err == 0)
    err = stage_stack(im, argv);
  for (int i = 0; i < im->nseg && err == 0; i++)
    err = stage_segment(im, &im->seg[i]);
  fs_close(im->server, im->fd);
  if (err < 0)
    image_unstage(im);
  return err;
}

// memcalls: the memory calls (page_alloc, page_map, page_unmap, page_query and their
// range forms), each for success and for every error it documents, in this domain and
// in a stopped child.
//
// Every result is a line "name = value" (tests/test_calls_memory.py).

#include <stdio.h>
#include <stdlib.h>
#include <lamina/fault.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define AREA 0x10000000UL          // pages this program allocates
#define ALIAS (AREA + 0x100000)    // where it maps other names for them
#define RW (PERM_R | PERM_W)
#define STALE 0x50000000UL         // a page unmapped while its translation is cached

// The address of page n of the area, as a pointer.
static void *
area(unsigned long n)
{
  return (void *)(AREA + n * PAGE_SIZE);
}

// The address of page n of the alias area, as a pointer.
static void *
alias(unsigned long n)
{
  return (void *)(ALIAS + n * PAGE_SIZE);
}

// Pages (and page tables) this domain's subtree holds.
static long
pages_held(void)
{
  struct domain_info info;

  sys_domain_info(0, &info);
  return (long)info.pages;
}

// page_alloc: fresh zeroed pages, all or nothing.
static void
alloc(void)
{
  volatile long *p = area(0);
  long before = pages_held();

  report("page_alloc.two_pages", sys_page_alloc(0, area(0), 2, RW));
  report("page_alloc.pages_charged_at_least", pages_held() - before);
  report("page_alloc.zeroed", p[0] + p[511] + p[512] + p[1023]);
  p[0] = 41;
  report("page_alloc.writable", p[0] + 1);
  report("page_alloc.in_use", sys_page_alloc(0, area(0), 1, RW));
  report("page_alloc.partly_in_use", sys_page_alloc(0, area(1), 3, RW));
  report("page_alloc.partly_in_use_mapped_nothing", sys_page_query(0, area(2)));
  report("page_alloc.unaligned", sys_page_alloc(0, (char *)area(4) + 8, 1, RW));
  report("page_alloc.beyond_user", sys_page_alloc(0, (void *)USER_VA_LIMIT, 1, RW));
  report("page_alloc.crosses_user_limit",
         sys_page_alloc(0, (void *)(USER_VA_LIMIT - PAGE_SIZE), 2, RW));
  report("page_alloc.zero_pages", sys_page_alloc(0, area(4), 0, RW));
  report("page_alloc.too_many_pages", sys_page_alloc(0, area(4), (1UL << 16) + 1, RW));
  report("page_alloc.write_only", sys_page_alloc(0, area(4), 1, PERM_W));
  report("page_alloc.no_rights", sys_page_alloc(0, area(4), 1, 0));
  report("page_alloc.unknown_rights", sys_page_alloc(0, area(4), 1, PERM_R | 16));
  report("page_alloc.no_such_domain", sys_page_alloc(999, area(4), 1, RW));
  report("page_alloc.over_quota", sys_page_alloc(0, area(16), 1UL << 16, RW));
  report("page_alloc.read_only", sys_page_alloc(0, area(4), 1, PERM_R));
  report("page_alloc.executable", sys_page_alloc(0, area(5), 1, PERM_R | PERM_X));
  report("page_alloc.marked", sys_page_alloc(0, area(6), 1, PERM_R | PERM_MARK));
  report("page_alloc.marked_rights", sys_page_query(0, area(6)));
}

// page_query: rights plus PAGE_OWNED (dom is charged for the frame) and PAGE_SHARED.
static void
query(void)
{
  report("page_query.read_write", sys_page_query(0, area(0)));
  report("page_query.read_only", sys_page_query(0, area(4)));
  report("page_query.text", sys_page_query(0, (void *)query));
  report("page_query.inside_page", sys_page_query(0, (char *)area(0) + 123));
  report("page_query.unmapped", sys_page_query(0, area(100)));
  report("page_query.page_zero", sys_page_query(0, NULL));
  report("page_query.beyond_user", sys_page_query(0, (void *)USER_VA_LIMIT));
  report("page_query.no_such_domain", sys_page_query(999, area(0)));
}

// page_map: a second name for a frame, with rights no wider than the first.
static void
map(void)
{
  volatile long *p = area(0);
  volatile long *q = alias(0);

  report("page_map.read_only_alias", sys_page_map(0, area(0), 0, alias(0), PERM_R));
  report("page_map.alias_sees_data", q[0]);
  p[0] = 99;
  report("page_map.alias_sees_writes", q[0]);
  report("page_map.alias_rights", sys_page_query(0, alias(0)));
  report("page_map.original_rights", sys_page_query(0, area(0)));
  report("page_map.wider_than_alias", sys_page_map(0, alias(0), 0, alias(1), RW));
  report("page_map.adds_execute", sys_page_map(0, area(0), 0, alias(1), PERM_R | PERM_X));
  report("page_map.unmapped_source", sys_page_map(0, area(100), 0, alias(1), PERM_R));
  report("page_map.unaligned_source", sys_page_map(0, (char *)area(0) + 8, 0, alias(1), PERM_R));
  report("page_map.unaligned_destination", sys_page_map(0, area(0), 0, (char *)alias(1) + 8, PERM_R));
  report("page_map.destination_beyond_user",
         sys_page_map(0, area(0), 0, (void *)USER_VA_LIMIT, PERM_R));
  report("page_map.write_only", sys_page_map(0, area(0), 0, alias(1), PERM_W));
  report("page_map.no_such_source_domain", sys_page_map(999, area(0), 0, alias(1), PERM_R));
  report("page_map.no_such_destination_domain", sys_page_map(0, area(0), 999, alias(1), PERM_R));
  report("page_map.narrow_in_place", sys_page_map(0, area(1), 0, area(1), PERM_R));
  report("page_map.narrowed_rights", sys_page_query(0, area(1)));
  sys_page_map(0, area(1), 0, alias(3), PERM_R);
  report("page_map.widen_in_place", sys_page_map(0, area(1), 0, area(1), RW));
  sys_page_unmap(0, alias(3));
  report("page_map.widen_exclusive", sys_page_map(0, area(1), 0, area(1), RW));
  report("page_map.widened_rights", sys_page_query(0, area(1)));
  report("page_map.mark_in_place", sys_page_map(0, area(1), 0, area(1), PERM_R | PERM_MARK));
  report("page_map.marked_rights", sys_page_query(0, area(1)));
  report("page_map.unmark_and_widen", sys_page_map(0, area(1), 0, area(1), RW));
  report("page_map.replace_other_frame", sys_page_map(0, area(4), 0, alias(0), PERM_R));
  report("page_map.replaced_alias_sees_new_frame", q[0]);
  report("page_map.old_frame_no_longer_shared", sys_page_query(0, area(0)));
}

// page_unmap: a frame lives on while any mapping of it remains.
static void
unmap(void)
{
  volatile long *q = alias(2);
  long before;

  sys_page_map(0, area(0), 0, alias(2), PERM_R);
  report("page_unmap.original", sys_page_unmap(0, area(0)));
  report("page_unmap.original_gone", sys_page_query(0, area(0)));
  report("page_unmap.alias_keeps_data", q[0]);
  report("page_unmap.alias_now_sole_owner", sys_page_query(0, alias(2)));
  before = pages_held();
  report("page_unmap.last_mapping", sys_page_unmap(0, alias(2)));
  report("page_unmap.frame_freed", before - pages_held());
  report("page_unmap.again", sys_page_unmap(0, alias(2)));
  report("page_unmap.unaligned", sys_page_unmap(0, (char *)area(1) + 8));
  report("page_unmap.beyond_user", sys_page_unmap(0, (void *)USER_VA_LIMIT));
  report("page_unmap.no_such_domain", sys_page_unmap(999, area(1)));
}

// Eight answer bytes as one number, the first in the low byte.
static long
bytes_le(const unsigned char *b)
{
  long v = 0;

  for (int i = 7; i >= 0; i--)
    v = v << 8 | b[i];
  return v;
}

// The byte page_query_range gives page i of the region at va (npages <= 16), or -errno.
static long
query_byte(void *va, unsigned long npages, unsigned long i)
{
  unsigned char answer[16];
  long n = sys_page_query_range(0, va, npages, answer);

  return n < 0 ? n : answer[i];
}

// page_map_range, page_query_range and page_unmap_range: a region in one crossing.
// Pages 40, 41 and 43 of the area are read-write, 44 read-execute, 42 a hole.
static void
ranges(void)
{
  volatile long *p = area(40);
  unsigned char answer[8];
  long before;

  sys_page_alloc(0, area(40), 2, RW);
  sys_page_alloc(0, area(43), 1, RW);
  sys_page_alloc(0, area(44), 1, PERM_R | PERM_X);
  p[0] = 4040;
  ((volatile long *)area(41))[0] = 4141;  // alias(61) shows it, moved from area(41) by way of alias(51)
  before = pages_held();
  report("page_query_range.mapped", sys_page_query_range(0, area(40), 8, answer));
  report("page_query_range.bytes", bytes_le(answer));
  report("page_query_range.zero_pages", sys_page_query_range(0, area(40), 0, answer));
  report("page_query_range.unaligned", sys_page_query_range(0, (char *)area(40) + 8, 1, answer));
  report("page_query_range.beyond_user", sys_page_query_range(0, (void *)(USER_VA_LIMIT - PAGE_SIZE), 2, answer));
  report("page_query_range.bad_buffer", sys_page_query_range(0, area(40), 8, (void *)area(100)));
  report("page_query_range.read_only_buffer", sys_page_query_range(0, area(40), 8, (void *)area(44)));
  report("page_query_range.no_such_domain", sys_page_query_range(999, area(40), 8, answer));

  report("page_map_range.to_alias", sys_page_map_range(0, area(40), 0, alias(40), 8, PERM_R | PERM_X | PERM_MARK));
  report("page_map_range.alias_rw_page", query_byte(alias(40), 8, 0));
  report("page_map_range.alias_hole", query_byte(alias(40), 8, 2));
  report("page_map_range.alias_rx_page", query_byte(alias(40), 8, 4));
  report("page_map_range.alias_sees_data", ((volatile long *)alias(40))[0]);
  report("page_map_range.source_unchanged", query_byte(area(40), 8, 0));
  report("page_map_range.narrow_in_place", sys_page_map_range(0, area(40), 0, area(40), 8, PERM_R | PERM_X | PERM_MARK));
  report("page_map_range.narrowed", query_byte(area(40), 8, 0));
  report("page_map_range.narrowed_rx", query_byte(area(40), 8, 4));
  report("page_map_range.mask_never_widens", sys_page_map_range(0, area(40), 0, alias(50), 8, RW | PERM_X));
  report("page_map_range.kept_narrow", query_byte(alias(50), 8, 0));
  report("page_map_range.move", sys_page_map_range(0, alias(50), 0, alias(60), 8, PERM_R | PERM_X | PAGE_MOVE));
  report("page_map_range.moved_from", sys_page_query_range(0, alias(50), 8, answer));
  report("page_map_range.moved_to", query_byte(alias(60), 8, 0));
  report("page_map_range.moved_sees_data", ((volatile long *)alias(60))[0]);
  report("page_map_range.replaces", sys_page_map_range(0, area(43), 0, alias(60), 1, PERM_R));
  report("page_map_range.replaced_sees_new_frame", ((volatile long *)alias(60))[0]);
  report("page_map_range.no_new_pages", pages_held() - before);
  report("page_map_range.before_replacing_at_an_offset", ((volatile long *)alias(61))[0]);
  report("page_map_range.replaces_at_an_offset", sys_page_map_range(0, area(43), 0, alias(60), 2, PERM_R));
  report("page_map_range.offset_page_sees_new_frame", ((volatile long *)alias(61))[0]);  // area(44)'s: 0
  report("page_map_range.zero_pages", sys_page_map_range(0, area(40), 0, alias(70), 0, PERM_R));
  report("page_map_range.too_many_pages", sys_page_map_range(0, area(40), 0, alias(70), (1UL << 16) + 1, PERM_R));
  report("page_map_range.unaligned", sys_page_map_range(0, (char *)area(40) + 8, 0, alias(70), 1, PERM_R));
  report("page_map_range.beyond_user", sys_page_map_range(0, area(40), 0, (void *)(USER_VA_LIMIT - PAGE_SIZE), 2, PERM_R));
  report("page_map_range.overlapping", sys_page_map_range(0, area(40), 0, area(41), 2, PERM_R));
  // Ranges that touch but do not overlap, either way round.
  sys_page_alloc(0, area(120), 2, RW);
  report("page_map_range.adjacent_after", sys_page_map_range(0, area(120), 0, area(122), 2, PERM_R));
  report("page_map_range.adjacent_before", sys_page_map_range(0, area(122), 0, area(120), 2, PERM_R));
  sys_page_unmap_range(0, area(120), 4);
  report("page_map_range.no_read", sys_page_map_range(0, area(40), 0, alias(70), 1, PERM_W));
  report("page_map_range.unknown_mask", sys_page_map_range(0, area(40), 0, alias(70), 1, PERM_R | 64));
  report("page_map_range.move_in_place", sys_page_map_range(0, area(40), 0, area(40), 1, PERM_R | PAGE_MOVE));
  report("page_map_range.no_such_domain", sys_page_map_range(0, area(40), 999, alias(70), 1, PERM_R));

  report("page_unmap_range.removed", sys_page_unmap_range(0, alias(40), 8));
  report("page_unmap_range.again", sys_page_unmap_range(0, alias(40), 8));
  report("page_unmap_range.zero_pages", sys_page_unmap_range(0, alias(40), 0));
  report("page_unmap_range.unaligned", sys_page_unmap_range(0, (char *)alias(40) + 8, 1));
  report("page_unmap_range.no_such_domain", sys_page_unmap_range(999, alias(40), 1));
  sys_page_unmap_range(0, alias(60), 8);
  before = pages_held();
  report("page_unmap_range.last_mappings", sys_page_unmap_range(0, area(40), 8));
  report("page_unmap_range.frames_freed", before - pages_held());

  // Ranges across a leaf table's edge (2 MiB): four pages, two on each side of it.
  char *edge = (char *)AREA + 0x200000 - 2 * PAGE_SIZE, *far = (char *)AREA + 0x600000 - 2 * PAGE_SIZE;
  report("range_edge.alloc", sys_page_alloc(0, edge, 4, RW));
  ((volatile long *)edge)[0] = 11;
  ((volatile long *)(edge + 3 * PAGE_SIZE))[0] = 44;
  report("range_edge.map", sys_page_map_range(0, edge, 0, far, 4, PERM_R));
  report("range_edge.query", sys_page_query_range(0, far - PAGE_SIZE, 6, answer));
  report("range_edge.bytes", bytes_le(answer));
  report("range_edge.first_sees", ((volatile long *)far)[0]);
  report("range_edge.last_sees", ((volatile long *)(far + 3 * PAGE_SIZE))[0]);
  report("range_edge.unmap", sys_page_unmap_range(0, far - PAGE_SIZE, 6));
  report("range_edge.after", sys_page_query_range(0, far, 4, answer));
  report("range_edge.source_kept", sys_page_query_range(0, edge, 4, answer));
  sys_page_unmap_range(0, edge, 4);
}

// The same calls on a stopped child, which this domain has authority over: frames
// allocated in it are charged to it, and survive its destruction where we map them.
static void
in_child(void)
{
  volatile long *shared = alias(8);
  long child = sys_domain_create();

  if (child == 0)
    exit(0);  // never started, so never here
  report("child.page_alloc", sys_page_alloc(child, area(0), 1, RW));
  report("child.page_query", sys_page_query(child, area(0)));
  report("child.page_map_to_me", sys_page_map(child, area(0), 0, alias(8), RW));
  report("child.mapped_here_rights", sys_page_query(0, alias(8)));
  shared[0] = 7;
  report("child.page_map_from_me", sys_page_map(0, area(1), child, area(1), PERM_R));
  report("child.page_unmap", sys_page_unmap(child, area(1)));
  report("child.page_unmap_again", sys_page_unmap(child, area(1)));
  report("child.destroy", sys_domain_destroy(child));
  report("child.frame_survives_here", shared[0]);
  report("child.frame_now_mine", sys_page_query(0, alias(8)));
  report("child.page_alloc_after_destroy", sys_page_alloc(child, area(2), 1, RW));
  report("child.page_map_after_destroy", sys_page_map(0, area(1), child, area(1), PERM_R));
  report("child.page_unmap_after_destroy", sys_page_unmap(child, area(0)));
  report("child.page_query_after_destroy", sys_page_query(child, area(0)));
}

// A region shared into a stopped child in one call, as fork does it.
static void
range_in_child(void)
{
  long child = sys_domain_create();

  if (child == 0)
    exit(0);  // never started, so never here
  sys_page_alloc(0, area(80), 4, RW);
  report("child.page_map_range", sys_page_map_range(0, area(80), child, area(80), 4, PERM_R | PERM_MARK));
  report("child.range_rights", sys_page_query(child, area(82)));
  report("child.page_unmap_range", sys_page_unmap_range(child, area(80), 4));
  report("child.range_gone", sys_page_query(child, area(82)));
  report("child.range_stays_here", sys_page_query(0, area(82)));
  sys_domain_destroy(child);
}

static volatile long stale_faults;

// The fault handler of stale(): count the fault and map a zeroed page where it was.
static void
map_zeroed(struct fault_frame *f)
{
  stale_faults++;
  sys_page_alloc(0, (void *)(f->tval & ~(PAGE_SIZE - 1)), 1, RW);
}

// A domain that unmaps its own page, with the translation fresh in the hart's TLB,
// must fault on its next access (the kernel flushes the TLB): the handler maps a
// zeroed page, so the load sees 0, not what was there.
static void
stale(void)
{
  volatile long *page = (volatile long *)STALE;

  fault_handler_install(map_zeroed);
  sys_page_alloc(0, (void *)page, 1, RW);
  *page = 1234;
  report("stale.before", *page);
  report("stale.unmap_range", sys_page_unmap_range(0, (void *)page, 1));
  report("stale.after_unmap_range", *page);
  *page = 5678;
  report("stale.unmap", sys_page_unmap(0, (void *)page));
  report("stale.after_unmap", *page);
  report("stale.faults", stale_faults);
  sys_page_unmap(0, (void *)page);
}

int
main(void)
{
  alloc();
  query();
  map();
  unmap();
  ranges();
  in_child();
  range_in_child();
  stale();
  return 0;
}

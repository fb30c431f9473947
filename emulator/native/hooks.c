/*
 * The board's two hot hooks, in C: the instruction clock (a block hook) and trap entry
 * (an interrupt hook). Both share one struct hook_state with Python; its layout must
 * match HookState in emulator/hooks.py.
 *
 * Clock: Unicorn calls lamina_block_hook at the start of every translated block, before
 * the block runs. It charges the block's instructions or, once the count has reached the
 * deadline, stops the CPU instead; a stop requested there keeps the block from running,
 * so the count is exact at every stop. The hart runs RV64GC, so a block mixes 2-byte
 * (compressed) and 4-byte instructions: the hook reads the block's code through the
 * page table the hart runs under and counts instruction starts, since its size in
 * bytes alone does not say how many instructions it holds.
 *
 * Counters: Unicorn's cycle and instret CSRs return host ticks, readable from U-mode.
 * Unicorn ends a translated block after every CSR instruction, so a counter read is
 * always the last instruction of its block: the hook that charges such a block records
 * what the read must return (virtual time, or instructions retired), and the next hook
 * to run (the next block's, or a trap's) puts that value in the destination register
 * before anything can observe it. The time CSR traps in Unicorn (illegal instruction):
 * trap entry emulates the read as the hardware would have answered it.
 *
 * Trap entry: Unicorn calls lamina_trap_hook with the exception number and pc already
 * advanced by 4 (even after a 2-byte instruction). The hook retracts the instructions of
 * the current block that did not run, saves pc and a0..a7 into the shared state (the trap
 * frame: one C call each instead of one Python round trip each), calls the kernel's
 * Python handler, then writes back the argument registers it changed and the resume pc,
 * and stops the CPU if asked.
 */
#include <stdint.h>

#define REG_X0 1    /* UC_RISCV_REG_X0 in unicorn/riscv.h */
#define REG_A0 11   /* UC_RISCV_REG_X10 */
#define REG_PC 190  /* UC_RISCV_REG_PC */
#define REG_SATP 146  /* UC_RISCV_REG_SATP */
#define REG_PRIV 191  /* UC_RISCV_REG_PRIV */
#define CTL_TLB_FLUSH (11 | (1 << 30))  /* UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0) */
#define NARGS 8     /* a0..a7 */
#define X_A0 10     /* a0 is x10 */
#define CAUSE_ILLEGAL 2

#define PAGE_SHIFT 12
#define PAGE_MASK 0xFFFull
#define PTE_V 0x1
#define PTE_R 0x2
#define PTE_W 0x4
#define PTE_X 0x8
#define PTE_U 0x10
#define SATP_PPN_MASK ((1ull << 44) - 1)
#define SV39_LIMIT (1ull << 38)

/* The counter CSRs a user program may read (rdcycle, rdtime, rdinstret). */
#define CSR_CYCLE 0xC00
#define CSR_TIME 0xC01
#define CSR_INSTRET 0xC02

#define BLOCK_CACHE 512  /* blocks whose instruction counts are remembered (a power of 2) */

/* One remembered block: see block_facts. */
struct block_entry {
    uint64_t address;
    uint64_t epoch;
    uint64_t last;
    uint32_t size;
    uint32_t n;
    uint32_t system;
    uint32_t pad;
};

struct hook_state {
    uint64_t count;        /* instructions retired so far */
    uint64_t deadline;     /* stop at the first block boundary at or past this count */
    uint64_t block_start;  /* address of the block charged last */
    uint64_t block_size;   /* its size in bytes */
    uint64_t expired;      /* set when the deadline stopped the CPU */
    uint64_t cause;        /* exception number of the trap being handled */
    uint64_t pc;           /* pc of the trapping instruction */
    uint64_t resume_pc;    /* where to continue: the handler may change it */
    uint64_t a[NARGS];     /* the trap frame: a0..a7 at the trap; the handler may change them */
    uint64_t keep_running; /* the handler's answer: 0 stops the CPU */
    uint64_t stop_pc;      /* where the hart stopped: the run's end pc, without a register read */
    uint64_t block_base;   /* count before the block charged last */
    uint64_t ram_base;     /* RAM: guest physical base, host address and size, for */
    uint64_t ram_host;     /*   reading code through the page table */
    uint64_t ram_size;
    uint64_t satp;         /* the page table the hart runs under */
    uint64_t code_vpn;     /* last code page translated, plus 1 (0: none) ... */
    uint64_t code_host;    /*   ... and the host address of its frame ... */
    uint64_t code_writable;  /* ... and whether its PTE allows stores */
    uint64_t code_epoch;   /* block-cache entries of another epoch are stale */
    uint64_t idle;         /* virtual time spent idle: cycle and time = count + idle */
    uint64_t csr_pending;  /* 1 if the block charged last ends with a counter read ... */
    uint64_t csr_rd;       /*   ... into this register ... */
    uint64_t csr_value;    /*   ... that must read this value */
    uint64_t block_last;   /* address of the last instruction of the block charged last */
    struct block_entry blocks[BLOCK_CACHE];  /* what block_facts remembers */
};

typedef void (*handler_fn)(void);

/* What the trap hook is registered with: the kernel's handler and the shared state. */
struct trap_binding {
    handler_fn handler;
    struct hook_state *state;
};

typedef int (*emu_stop_fn)(void *uc);
typedef int (*reg_fn)(void *uc, int regid, void *value);
typedef int (*ctl_fn)(void *uc, int control, ...);

static emu_stop_fn emu_stop;
static reg_fn reg_read, reg_write;
static ctl_fn uc_ctl;

/* Remember Unicorn's entry points, passed in from Python: the library is not linked
 * against libunicorn, so that it uses whatever copy the Python binding loaded. */
void lamina_hooks_init(void *stop, void *read, void *write, void *ctl)
{
    emu_stop = (emu_stop_fn)stop;
    reg_read = (reg_fn)read;
    reg_write = (reg_fn)write;
    uc_ctl = (ctl_fn)ctl;
}

/* --- reading code, as the hart fetches it ----------------------------------------- */

/* The host address of the RAM word at guest physical pa, or 0 outside RAM. */
static uint8_t *ram_at(const struct hook_state *s, uint64_t pa, uint64_t length)
{
    if (!s->ram_host || pa < s->ram_base || pa - s->ram_base > s->ram_size - length)
        return 0;
    return (uint8_t *)(uintptr_t)(s->ram_host + (pa - s->ram_base));
}

/* The host address of the executable user page holding va under s->satp, or 0 if the
 * hart could not fetch from it; *writable says whether its PTE also allows stores. The
 * last page found is remembered until the page table changes (load_satp, or
 * lamina_forget_code after the kernel edits a table). */
static const uint8_t *code_page(struct hook_state *s, uint64_t va, int *writable)
{
    uint64_t vpn = va >> PAGE_SHIFT, table, pte = 0;

    if (s->code_vpn == vpn + 1) {
        *writable = (int)s->code_writable;
        return (const uint8_t *)(uintptr_t)s->code_host;
    }
    if (va >= SV39_LIMIT)
        return 0;
    table = (s->satp & SATP_PPN_MASK) << PAGE_SHIFT;
    for (int level = 2; level >= 0; level--) {
        uint8_t *slot = ram_at(s, table + 8 * ((va >> (PAGE_SHIFT + 9 * level)) & 511), 8);
        if (!slot)
            return 0;
        pte = *(uint64_t *)slot;
        if (!(pte & PTE_V))
            return 0;
        if (pte & (PTE_R | PTE_X))
            break;  /* a leaf */
        if (level == 0)
            return 0;
        table = (pte >> 10) << PAGE_SHIFT;
    }
    if ((pte & (PTE_X | PTE_U)) != (PTE_X | PTE_U))
        return 0;  /* not fetchable; a superpage is never built, so this is level 0 */
    uint8_t *frame = ram_at(s, (pte >> 10) << PAGE_SHIFT, 1ull << PAGE_SHIFT);
    if (!frame)
        return 0;
    s->code_vpn = vpn + 1;
    s->code_host = (uint64_t)(uintptr_t)frame;
    s->code_writable = (pte & PTE_W) != 0;
    *writable = (int)s->code_writable;
    return frame;
}

/* The 16-bit parcel at va (instructions start on 2-byte boundaries, so a parcel never
 * crosses a page); -1 if it cannot be fetched. */
static int64_t parcel_at(struct hook_state *s, uint64_t va)
{
    int writable;
    const uint8_t *page = code_page(s, va, &writable);

    if (!page)
        return -1;
    return *(const uint16_t *)(page + (va & PAGE_MASK));
}

/* The length in bytes of the instruction whose first parcel is p: 4 if its low two bits
 * are 11, else 2 (a compressed instruction). Lamina's hart has no longer encodings. */
static inline uint64_t insn_length(uint64_t p)
{
    return (p & 3) == 3 ? 4 : 2;
}

/* True if the parcel p begins fence.i (MISC-MEM, funct3 1): the program says it has
 * changed code, so counts remembered for blocks are dropped. */
static inline int is_fence_i(uint64_t p)
{
    return (p & 0x707F) == 0x100F;
}

/* What the clock needs to know of a block of code. */
struct block_facts {
    uint64_t n;          /* instructions starting in it */
    uint64_t last;       /* address of the last of them */
    uint32_t system;     /* the last one's opcode is SYSTEM (maybe a counter read) */
    uint32_t cacheable;  /* no byte of it can change without a page-table change */
};

/* Count the instructions that start in [start, end) by walking their starts, a page at
 * a time. If the code cannot be read (a board given no RAM: bare test machines only),
 * count 4-byte ones. Code on a writable page, or ending in fence.i, is not cacheable. */
static void scan_block(struct hook_state *s, uint64_t start, uint64_t end, struct block_facts *f)
{
    uint64_t va = start, p = 0;

    f->n = 0;
    f->last = start;
    f->cacheable = 1;
    while (va < end) {
        int writable;
        const uint8_t *page = code_page(s, va, &writable);
        if (!page) {
            f->n += (end - va + 3) / 4;
            f->cacheable = 0;
            f->last = 1;  /* unknown: no pc is odd, so retract never takes it for the last */
            break;
        }
        f->cacheable &= !writable;
        uint64_t stop = (va | PAGE_MASK) + 1;  /* the end of this page */
        if (stop > end)
            stop = end;
        const uint8_t *at = page + (va & PAGE_MASK);
        while (va < stop) {  /* a 4-byte instruction may run onto the next page: fine */
            p = *(const uint16_t *)at;
            uint64_t length = insn_length(p);
            f->last = va;
            va += length;
            at += length;
            f->n++;
        }
    }
    f->system = (p & 0x7F) == 0x73;
    if (is_fence_i(p)) {
        f->cacheable = 0;
        s->code_epoch++;  /* every remembered block may be stale now */
    }
}

/* The facts of the block at [address, address + size), from the block cache when they
 * are still good. Reading guest code costs about a third of the hart's speed on a tight
 * loop; a cached block costs a compare. An entry is good for one code epoch, which
 * ends whenever the page table changes or the hart switches address spaces, and only
 * code on pages no PTE of this space lets it write is cached. (A program that changes
 * its code through a second, writable mapping of the same frame must execute fence.i
 * before it runs the new code, as the RISC-V spec requires; fence.i ends the epoch.) */
static void block_facts(struct hook_state *s, uint64_t address, uint64_t size, struct block_facts *f)
{
    struct block_entry *e = &s->blocks[(address >> 1) & (BLOCK_CACHE - 1)];

    if (e->epoch == s->code_epoch && e->address == address && e->size == size) {
        f->n = e->n;
        f->last = e->last;
        f->system = e->system;
        return;
    }
    scan_block(s, address, address + size, f);
    if (f->cacheable) {
        e->address = address;
        e->size = (uint32_t)size;
        e->n = (uint32_t)f->n;
        e->last = f->last;
        e->system = f->system;
        e->epoch = s->code_epoch;
    }
}

/* --- the counter CSRs ------------------------------------------------------------- */

/* If the instruction at va reads a counter CSR without writing it (csrrs/csrrc/csrrsi/
 * csrrci with rs1 or uimm 0: rdcycle, rdtime, rdinstret), its CSR number; else 0. */
static uint64_t counter_read(struct hook_state *s, uint64_t va)
{
    int64_t lo = parcel_at(s, va), hi;

    if (lo < 0 || insn_length((uint64_t)lo) != 4 || (lo & 0x7F) != 0x73)
        return 0;
    hi = parcel_at(s, va + 2);  /* may sit on the next page */
    if (hi < 0)
        return 0;
    uint64_t insn = (uint64_t)lo | ((uint64_t)hi << 16);
    uint64_t funct3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31, csr = insn >> 20;
    if ((funct3 & 3) < 2 || rs1 != 0)
        return 0;  /* csrrw/csrrwi, or a write: Unicorn makes those illegal itself */
    return (csr == CSR_CYCLE || csr == CSR_TIME || csr == CSR_INSTRET) ? csr : 0;
}

/* What counter csr reads after `retired` instructions: instret counts instructions,
 * cycle and time are virtual time (instructions plus idle time). */
static uint64_t counter_value(const struct hook_state *s, uint64_t csr, uint64_t retired)
{
    return csr == CSR_INSTRET ? retired : retired + s->idle;
}

/* Put a recorded counter read's value in its register: the read has executed. */
void lamina_settle_counter(void *uc, struct hook_state *s)
{
    if (!s->csr_pending)
        return;
    s->csr_pending = 0;
    if (s->csr_rd)
        reg_write(uc, REG_X0 + (int)s->csr_rd, &s->csr_value);
}

/* --- context switches ------------------------------------------------------------- */

/* Context switch, first half: copy x1..x31 of the hart into regs[1..31]. */
void lamina_save_regs(void *uc, uint64_t *regs)
{
    for (int i = 1; i < 32; i++)
        reg_read(uc, REG_X0 + i, &regs[i]);
}

/* The page table or memory the hart fetches from may have changed: forget the code page
 * and the blocks remembered for counting. */
void lamina_forget_code(struct hook_state *s)
{
    s->code_vpn = 0;
    s->code_epoch++;
}

/* Switch to the page table satp (written in M-mode: Unicorn checks CSR writes against
 * the emulated privilege) and flush the TLB, which Unicorn would otherwise keep across
 * the change. */
static void load_satp(void *uc, struct hook_state *s, uint64_t satp)
{
    uint64_t machine = 3, user = 0;

    reg_write(uc, REG_PRIV, &machine);
    reg_write(uc, REG_SATP, &satp);
    reg_write(uc, REG_PRIV, &user);
    uc_ctl(uc, CTL_TLB_FLUSH);
    s->satp = satp;
    lamina_forget_code(s);
}

/* Context switch, second half: load x1..x31 from regs and switch to the page table satp. */
void lamina_load_regs(void *uc, struct hook_state *s, const uint64_t *regs, uint64_t satp)
{
    for (int i = 1; i < 32; i++)
        reg_write(uc, REG_X0 + i, (void *)&regs[i]);
    load_satp(uc, s, satp);
}

/* A direct switch from inside a trap handler, in one call: save the trapped context into
 * old (a0..a7 from the trap frame, which holds them now; its pc, in old[0], is the resume
 * pc), load new's registers and page table, and make new's a0..a7 and pc (new[0]) the
 * trap frame and resume pc. The hart's a0..a7 and pc are left alone: the trap hook
 * writes back on its way out every trap-frame register that differs, and the pc. */
void lamina_switch_in_trap(void *uc, struct hook_state *s, uint64_t *old, const uint64_t *new, uint64_t satp)
{
    for (int i = 1; i < 32; i++) {
        if (i >= X_A0 && i < X_A0 + NARGS) {  /* a0..a7: in the trap frame */
            old[i] = s->a[i - X_A0];
            s->a[i - X_A0] = new[i];
        } else {
            reg_read(uc, REG_X0 + i, &old[i]);
            reg_write(uc, REG_X0 + i, (void *)&new[i]);
        }
    }
    old[0] = s->resume_pc;
    s->resume_pc = new[0];
    load_satp(uc, s, satp);
}

/* --- the clock -------------------------------------------------------------------- */

/* Block hook: settle a counter read that ended the last block, then stop at the
 * deadline, else charge the block about to run. */
void lamina_block_hook(void *uc, uint64_t address, uint32_t size, struct hook_state *s)
{
    struct block_facts f;
    uint64_t csr;

    lamina_settle_counter(uc, s);
    if (s->count >= s->deadline) {
        s->expired = 1;
        s->stop_pc = address;  /* the block does not run */
        emu_stop(uc);
        return;
    }
    block_facts(s, address, size, &f);
    s->block_base = s->count;
    s->count += f.n;
    s->block_start = address;
    s->block_size = size;
    s->block_last = f.last;
    if (f.system && (csr = counter_read(s, f.last))) {
        /* it reads the counter once the n - 1 instructions before it have retired */
        s->csr_pending = 1;
        s->csr_rd = ((uint64_t)parcel_at(s, f.last) >> 7) & 31;
        s->csr_value = counter_value(s, csr, s->count - 1);
    }
}

/* Uncount the trapping instruction at pc and the rest of its block: they did not run.
 * A counter read recorded for the block did not run either, if the trap is inside it. */
void lamina_retract(struct hook_state *s, uint64_t pc)
{
    uint64_t end = s->block_start + s->block_size;
    struct block_facts f;

    if (pc == s->block_last && pc >= s->block_start && pc < end) {
        s->count -= 1;  /* the block's last instruction (an ecall always is): no need to scan */
        s->block_size = pc - s->block_start;
        s->csr_pending = 0;
    } else if (s->block_start <= pc && pc < end) {
        scan_block(s, s->block_start, pc, &f);
        s->count = s->block_base + f.n;
        s->block_size = pc - s->block_start;
        s->csr_pending = 0;
    }
}

/* If the trap at pc is a read of the time CSR (which Unicorn does not have), perform it
 * as the hardware would: rd gets virtual time, the instruction retires, and the hart
 * goes on after it. Returns 1 if it did. */
static int emulate_time_read(void *uc, struct hook_state *s, uint64_t pc)
{
    if (s->cause != CAUSE_ILLEGAL || counter_read(s, pc) != CSR_TIME)
        return 0;
    uint64_t rd = (((uint64_t)parcel_at(s, pc)) >> 7) & 31, value = counter_value(s, CSR_TIME, s->count);
    if (rd)
        reg_write(uc, REG_X0 + (int)rd, &value);
    s->count += 1;
    pc += 4;
    reg_write(uc, REG_PC, &pc);
    return 1;
}

/* Interrupt hook: architectural trap entry, then the kernel's handler, then return. */
void lamina_trap_hook(void *uc, uint32_t intno, struct trap_binding *b)
{
    struct hook_state *s = b->state;
    uint64_t next_pc, saved[NARGS];

    reg_read(uc, REG_PC, &next_pc);
    s->pc = next_pc - 4;  /* Unicorn adds 4 even after a 2-byte instruction */
    s->cause = intno;
    s->resume_pc = s->pc;
    lamina_retract(s, s->pc);
    lamina_settle_counter(uc, s);  /* a read that ended the block before the trap */
    if (emulate_time_read(uc, s, s->pc))
        return;
    for (int i = 0; i < NARGS; i++) {
        reg_read(uc, REG_A0 + i, &s->a[i]);
        saved[i] = s->a[i];
    }
    s->keep_running = 1;
    b->handler();
    for (int i = 0; i < NARGS; i++)
        if (s->a[i] != saved[i])
            reg_write(uc, REG_A0 + i, &s->a[i]);
    if (s->resume_pc != next_pc)
        reg_write(uc, REG_PC, &s->resume_pc);
    if (!s->keep_running) {
        s->stop_pc = s->resume_pc;
        emu_stop(uc);
    }
}

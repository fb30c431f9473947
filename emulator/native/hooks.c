/*
 * The board's two hot hooks, in C: the instruction clock (a block hook) and trap entry
 * (an interrupt hook). Both share one struct hook_state with Python; its layout must
 * match HookState in emulator/hooks.py.
 *
 * Clock: Unicorn calls lamina_block_hook at the start of every translated block, before
 * the block runs. It charges the block's instructions (all 4 bytes long: Lamina's code
 * has no compressed instructions) or, once the count has reached the deadline, stops the
 * CPU instead; a stop requested there keeps the block from running, so the count is
 * exact at every stop.
 *
 * Trap entry: Unicorn calls lamina_trap_hook with the exception number and pc already
 * advanced by 4. The hook retracts the instructions of the current block that did not
 * run, saves pc and a0..a7 into the shared state (the trap frame: one C call each
 * instead of one Python round trip each), calls the kernel's Python handler, then
 * writes back the argument registers it changed and the resume pc, and stops the CPU
 * if asked.
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

/* Context switch, first half: copy x1..x31 of the hart into regs[1..31]. */
void lamina_save_regs(void *uc, uint64_t *regs)
{
    for (int i = 1; i < 32; i++)
        reg_read(uc, REG_X0 + i, &regs[i]);
}

/* Switch to the page table satp (written in M-mode: Unicorn checks CSR writes against
 * the emulated privilege) and flush the TLB, which Unicorn would otherwise keep across
 * the change. */
static void load_satp(void *uc, uint64_t satp)
{
    uint64_t machine = 3, user = 0;

    reg_write(uc, REG_PRIV, &machine);
    reg_write(uc, REG_SATP, &satp);
    reg_write(uc, REG_PRIV, &user);
    uc_ctl(uc, CTL_TLB_FLUSH);
}

/* Context switch, second half: load x1..x31 from regs and switch to the page table satp. */
void lamina_load_regs(void *uc, const uint64_t *regs, uint64_t satp)
{
    for (int i = 1; i < 32; i++)
        reg_write(uc, REG_X0 + i, (void *)&regs[i]);
    load_satp(uc, satp);
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
    load_satp(uc, satp);
}

/* Block hook: stop at the deadline, else charge the block about to run. */
void lamina_block_hook(void *uc, uint64_t address, uint32_t size, struct hook_state *s)
{
    if (s->count >= s->deadline) {
        s->expired = 1;
        s->stop_pc = address;  /* the block does not run */
        emu_stop(uc);
        return;
    }
    s->count += size >> 2;
    s->block_start = address;
    s->block_size = size;
}

/* Uncount the trapping instruction at pc and the rest of its block: they did not run. */
void lamina_retract(struct hook_state *s, uint64_t pc)
{
    uint64_t end = s->block_start + s->block_size;

    if (s->block_start <= pc && pc < end) {
        s->count -= (end - pc) >> 2;
        s->block_size = pc - s->block_start;
    }
}

/* Interrupt hook: architectural trap entry, then the kernel's handler, then return. */
void lamina_trap_hook(void *uc, uint32_t intno, struct trap_binding *b)
{
    struct hook_state *s = b->state;
    uint64_t next_pc, saved[NARGS];

    reg_read(uc, REG_PC, &next_pc);
    s->pc = next_pc - 4;
    s->cause = intno;
    s->resume_pc = s->pc;
    lamina_retract(s, s->pc);
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

/*
 * The board's instruction clock, as a native Unicorn block hook.
 *
 * Unicorn calls this at the start of every translated block, before the block runs.
 * It charges the block's instructions (all 4 bytes long: Lamina's code has no
 * compressed instructions) to a counter and, once the counter has reached the
 * deadline, stops the CPU instead. Stopping here means the block does not run, so
 * it is not charged: the count is exact at every stop.
 *
 * The layout of struct clock_state must match ClockState in emulator/clock.py.
 */
#include <stdint.h>

struct clock_state {
    uint64_t count;        // instructions charged so far
    uint64_t deadline;     // stop at the first block boundary at or past this count
    uint64_t block_start;  // address of the block charged last
    uint64_t block_size;   // its size in bytes
    uint64_t expired;      // set when a stop was requested by the deadline
};

typedef int (*emu_stop_fn)(void *uc);

static emu_stop_fn emu_stop;

// Remember Unicorn's uc_emu_stop, passed in from Python (the library is not linked
// against libunicorn, so that it loads whatever copy the binding uses).
void lamina_clock_init(void *stop)
{
    emu_stop = (emu_stop_fn)stop;
}

// Block hook: stop at the deadline, else charge the block about to run.
void lamina_clock_block(void *uc, uint64_t address, uint32_t size, struct clock_state *s)
{
    if (s->count >= s->deadline) {
        s->expired = 1;
        emu_stop(uc);
        return;
    }
    s->count += size >> 2;
    s->block_start = address;
    s->block_size = size;
}

// Time base and instruction counter on SysTick.
//
// SysTick counts CPU clock ticks of QEMU's virtual time. It free-runs with the
// largest period (2^24 ticks) and its interrupt adds the period to a 64-bit
// base, so the interrupt costs a handful of instructions every 0.67 s (25 MHz).
// board_sleep_until() shortens the period to wake up on time.
#include "board.h"
#include "py/mphal.h"
#include "py/runtime.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)

#define CSR_ENABLE (1u << 0)
#define CSR_TICKINT (1u << 1)
#define CSR_CLKSOURCE_CPU (1u << 2)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)

#define PERIOD_MAX (1u << 24)
// Shorter remaining sleeps are busy-waited: reprogramming costs ticks too.
#define SLEEP_MIN_TICKS (256u)

// The time base, updated by SysTick_Handler (the field offsets are used there).
typedef struct {
    uint32_t period; // ticks per SysTick interrupt
    uint32_t interrupts; // SysTick interrupts so far
    uint64_t base; // ticks before the current period
} systick_state_t;

static volatile systick_state_t systick_state;
static uint32_t wfi_count;

// Instructions SysTick_Handler retires per call: subtracted from the
// instruction count so that a measurement does not depend on how many of
// these interrupts fall into it (board.spin() and tests/board check this).
#define SYSTICK_HANDLER_INSTRUCTIONS (13)

// Written in assembly (Thumb-1, for every core) so that its instruction count
// does not depend on the compiler: base += period; interrupts += 1.
__attribute__((naked)) void SysTick_Handler(void) {
    __asm volatile (
        ".syntax unified\n"
        "ldr r0, =systick_state\n"
        "ldr r1, [r0, #0]\n"
        "ldr r2, [r0, #8]\n"
        "ldr r3, [r0, #12]\n"
        "adds r2, r2, r1\n"
        "movs r1, #0\n"
        "adcs r3, r1\n"
        "str r2, [r0, #8]\n"
        "str r3, [r0, #12]\n"
        "ldr r1, [r0, #4]\n"
        "adds r1, #1\n"
        "str r1, [r0, #4]\n"
        "bx lr\n"
        ".ltorg\n"
        );
}

static void systick_start(uint32_t period) {
    SYST_CSR = 0;
    systick_state.period = period;
    SYST_RVR = period - 1;
    SYST_CVR = 0; // clears the counter; it loads the period at the next tick
    SCB_ICSR = ICSR_PENDSTCLR;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE_CPU;
}

void systick_init(void) {
    systick_state.base = 0;
    systick_state.interrupts = 0;
    systick_start(PERIOD_MAX);
}

// Interrupts must be disabled.
static uint64_t ticks_locked(uint32_t *interrupts) {
    uint64_t base = systick_state.base;
    uint32_t period = systick_state.period;
    uint32_t count = SYST_CVR;
    *interrupts = systick_state.interrupts;
    if (SCB_ICSR & ICSR_PENDSTSET) {
        // Wrapped after the interrupts were disabled: account for it here.
        base += period;
        *interrupts += 1;
        count = SYST_CVR;
    }
    // The counter runs period-1 .. 1, then 0 when the interrupt fires.
    uint32_t elapsed = count == 0 ? 0 : period - count;
    return base + elapsed;
}

uint64_t board_ticks(void) {
    uint32_t irq_state = board_disable_irq();
    uint32_t interrupts;
    uint64_t ticks = ticks_locked(&interrupts);
    board_restore_irq(irq_state);
    return ticks;
}

uint64_t board_instructions(void) {
    uint32_t irq_state = board_disable_irq();
    uint32_t interrupts;
    uint64_t ticks = ticks_locked(&interrupts);
    board_restore_irq(irq_state);
    // ticks = floor(k * ticks-per-instruction) after k instructions, so
    // k = ceil(ticks * instructions-per-tick). Exact on the M4 (40 ns ticks).
    // On the M0 QEMU's SysTick period is 62.5 ns, which its timer keeps on a
    // whole-ns grid: at some phases a reading is one tick off either way, so
    // counts there are exact to +-1 instruction (no rounding rule avoids it).
    uint64_t instructions = (ticks * BOARD_INSTRUCTIONS_PER_TICK_NUM + BOARD_INSTRUCTIONS_PER_TICK_DEN - 1)
        / BOARD_INSTRUCTIONS_PER_TICK_DEN;
    return instructions - (uint64_t)interrupts * SYSTICK_HANDLER_INSTRUCTIONS;
}

// Interrupts must be disabled. Restarts the counter with a new period,
// continuing the tick count from now.
static void systick_set_period(uint32_t period) {
    uint32_t interrupts;
    uint64_t now = ticks_locked(&interrupts);
    SYST_CSR = 0;
    systick_state.base = now;
    systick_state.interrupts = interrupts;
    systick_start(period);
}

static inline void wait_for_interrupt(void) {
    wfi_count += 1;
    __asm volatile ("dsb\n wfi" : : : "memory");
}

void board_sleep_until(uint64_t target_ticks, bool handle_events) {
    for (;;) {
        if (handle_events) {
            mp_handle_pending(true);
        }
        uint32_t irq_state = board_disable_irq();
        uint32_t interrupts;
        uint64_t now = ticks_locked(&interrupts);
        if (now >= target_ticks) {
            if (systick_state.period != PERIOD_MAX) {
                systick_set_period(PERIOD_MAX);
            }
            board_restore_irq(irq_state);
            return;
        }
        uint64_t remaining = target_ticks - now;
        if (remaining < SLEEP_MIN_TICKS) {
            board_restore_irq(irq_state);
            continue;
        }
        uint32_t period = remaining < PERIOD_MAX ? (uint32_t)remaining : PERIOD_MAX;
        if (period != systick_state.period) {
            systick_set_period(period);
        }
        // WFI wakes on a pending interrupt even with PRIMASK set; the handler
        // runs once interrupts are restored.
        wait_for_interrupt();
        board_restore_irq(irq_state);
    }
}

void board_wait_for_interrupt(void) {
    uint32_t irq_state = board_disable_irq();
    SYST_CSR &= ~CSR_ENABLE;
    wait_for_interrupt();
    SYST_CSR |= CSR_ENABLE;
    board_restore_irq(irq_state);
}

void board_idle(void) {
    wait_for_interrupt();
}

uint32_t board_wfi_count(void) {
    return wfi_count;
}

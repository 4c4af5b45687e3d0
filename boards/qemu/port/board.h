// Interface between the board-independent port code and each board's drivers,
// and the time base / instruction counter other C code (e.g. the tinyml
// profiler) may use.
#ifndef TINYML_BOARDS_QEMU_BOARD_H
#define TINYML_BOARDS_QEMU_BOARD_H

#include <stdbool.h>
#include <stdint.h>
#include "board_config.h"

// Retired-instruction count since the time base started. Exact when QEMU runs
// with -icount shift=7,align=off,sleep=off and the CPU has not slept in
// between: the difference of two readings is the number of instructions the
// code between them retired (time-base interrupts excluded).
uint64_t board_instructions(void);

// SysTick ticks (CPU clock cycles of virtual time) since the time base started.
uint64_t board_ticks(void);

// Sleeps with WFI until board_ticks() reaches target; handles pending
// MicroPython events (so Ctrl-C interrupts the sleep) when handle_events.
void board_sleep_until(uint64_t target_ticks, bool handle_events);

// Waits with WFI for any interrupt, the time base paused (under
// -icount sleep=off a running SysTick would make QEMU spin).
void board_wait_for_interrupt(void);

// One WFI, the time base running: returns at the next interrupt.
void board_idle(void);

// Number of WFI instructions executed by the sleep functions above.
uint32_t board_wfi_count(void);

// Time base (systick.c).
void systick_init(void);

// UART driver of the board.
void board_uart_init(void);
void board_uart_tx(uint8_t c);
void board_uart_irq_handler(void);

// Called by the UART driver, in interrupt context, for each received byte.
void mphal_rx_byte(uint8_t c);

// Resets the whole (emulated) machine.
void board_reset(void) __attribute__((noreturn));

// Why the board last reset, with machine.reset_cause()'s numbering (as on
// the ESP32): power-on, a reset requested by software (machine.reset), or
// waking from machine.deepsleep.
#define BOARD_PWRON_RESET (1)
#define BOARD_HARD_RESET (2)
#define BOARD_WDT_RESET (3)
#define BOARD_DEEPSLEEP_RESET (4)
#define BOARD_SOFT_RESET (5)
int board_reset_cause(void);
// Resets the machine, recording `cause` for board_reset_cause() after the reboot.
void board_reset_with_cause(int cause) __attribute__((noreturn));

static inline uint32_t board_disable_irq(void) {
    uint32_t primask;
    __asm volatile ("mrs %0, primask\n cpsid i" : "=r" (primask) : : "memory");
    return primask;
}

static inline void board_restore_irq(uint32_t primask) {
    __asm volatile ("msr primask, %0" : : "r" (primask) : "memory");
}

#endif

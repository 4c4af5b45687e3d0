// Console I/O and time functions required by the MicroPython core.
#include "board.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "py/stream.h"

#define TICKS_PER_MS (BOARD_CPU_HZ / 1000)
#define TICKS_PER_US (BOARD_CPU_HZ / 1000000)

// Received bytes, filled by the UART interrupt.
static uint8_t rx_buffer[BOARD_RX_BUFFER_SIZE];
static volatile uint32_t rx_head; // written by the interrupt
static volatile uint32_t rx_tail; // written by the reader

void mphal_rx_byte(uint8_t c) {
    if (c == mp_interrupt_char) {
        mp_sched_keyboard_interrupt();
        return;
    }
    uint32_t next = (rx_head + 1) % BOARD_RX_BUFFER_SIZE;
    if (next != rx_tail) {
        rx_buffer[rx_head] = c;
        rx_head = next;
    }
}

int mp_hal_stdin_rx_chr(void) {
    for (;;) {
        if (rx_tail != rx_head) {
            uint8_t c = rx_buffer[rx_tail];
            rx_tail = (rx_tail + 1) % BOARD_RX_BUFFER_SIZE;
            return c;
        }
        mp_handle_pending(true);
        uint32_t irq_state = board_disable_irq();
        if (rx_tail == rx_head) {
            board_wait_for_interrupt();
        }
        board_restore_irq(irq_state);
    }
}

uintptr_t mp_hal_stdio_poll(uintptr_t poll_flags) {
    uintptr_t ret = 0;
    if ((poll_flags & MP_STREAM_POLL_RD) && rx_tail != rx_head) {
        ret |= MP_STREAM_POLL_RD;
    }
    if (poll_flags & MP_STREAM_POLL_WR) {
        ret |= MP_STREAM_POLL_WR;
    }
    return ret;
}

mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        board_uart_tx((uint8_t)str[i]);
    }
    return len;
}

mp_uint_t mp_hal_ticks_ms(void) {
    return (mp_uint_t)(board_ticks() / TICKS_PER_MS);
}

mp_uint_t mp_hal_ticks_us(void) {
    return (mp_uint_t)(board_ticks() / TICKS_PER_US);
}

uint64_t mp_hal_time_ns(void) {
    return board_ticks() * 1000u / TICKS_PER_US;
}

void mp_hal_delay_ms(mp_uint_t ms) {
    board_sleep_until(board_ticks() + (uint64_t)ms * TICKS_PER_MS, true);
}

void mp_hal_delay_us(mp_uint_t us) {
    board_sleep_until(board_ticks() + (uint64_t)us * TICKS_PER_US, false);
}

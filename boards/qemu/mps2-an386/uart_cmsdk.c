// Console on the CMSDK APB UART0 of the MPS2 boards (QEMU "cmsdk-apb-uart").
#include "board.h"

#define UART0_BASE (0x40004000u)

typedef struct {
    volatile uint32_t data;
    volatile uint32_t state;
    volatile uint32_t ctrl;
    volatile uint32_t intstatus;
    volatile uint32_t bauddiv;
} cmsdk_uart_t;

#define UART0 ((cmsdk_uart_t *)UART0_BASE)

#define STATE_TX_FULL (1u << 0)
#define STATE_RX_FULL (1u << 1)
#define CTRL_TX_ENABLE (1u << 0)
#define CTRL_RX_ENABLE (1u << 1)
#define CTRL_RX_IRQ_ENABLE (1u << 3)
#define INT_RX (1u << 1)

void board_uart_init(void) {
    // QEMU ignores the rate but rejects divisors below 16.
    UART0->bauddiv = BOARD_CPU_HZ / 115200;
    UART0->ctrl = CTRL_TX_ENABLE | CTRL_RX_ENABLE | CTRL_RX_IRQ_ENABLE;
}

void board_uart_tx(uint8_t c) {
    while (UART0->state & STATE_TX_FULL) {
    }
    UART0->data = c;
}

void board_uart_irq_handler(void) {
    // Acknowledge first: a byte arriving after the last check below raises
    // the interrupt again. (Acknowledging last could swallow that byte's
    // interrupt, and with the 1-byte receive register full QEMU would then
    // deliver nothing more: the console would hang.)
    UART0->intstatus = INT_RX;
    while (UART0->state & STATE_RX_FULL) {
        mphal_rx_byte((uint8_t)UART0->data);
    }
}

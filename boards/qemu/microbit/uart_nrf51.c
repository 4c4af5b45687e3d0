// Console on the nRF51 UART0 (QEMU "nrf51_soc.uart").
#include "board.h"

#define UART0_BASE (0x40002000u)
#define REG(offset) (*(volatile uint32_t *)(UART0_BASE + (offset)))

#define TASKS_STARTRX REG(0x000)
#define TASKS_STARTTX REG(0x008)
#define EVENTS_RXDRDY REG(0x108)
#define EVENTS_TXDRDY REG(0x11C)
#define INTENSET REG(0x304)
#define ENABLE REG(0x500)
#define RXD REG(0x518)
#define TXD REG(0x51C)
#define BAUDRATE REG(0x524)

#define INT_RXDRDY (1u << 2)

void board_uart_init(void) {
    BAUDRATE = 0x01D7E000u; // 115200 baud
    ENABLE = 4;
    TASKS_STARTTX = 1;
    TASKS_STARTRX = 1;
    INTENSET = INT_RXDRDY;
}

void board_uart_tx(uint8_t c) {
    EVENTS_TXDRDY = 0;
    TXD = c;
    while (EVENTS_TXDRDY == 0) {
    }
}

void board_uart_irq_handler(void) {
    while (EVENTS_RXDRDY) {
        EVENTS_RXDRDY = 0;
        mphal_rx_byte((uint8_t)RXD);
    }
}

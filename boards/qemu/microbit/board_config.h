// Configuration of the BBC micro:bit v1 board (QEMU -M microbit).
#define BOARD_NAME "microbit"
#define MICROPY_HW_BOARD_NAME "QEMU micro:bit"
#define MICROPY_HW_MCU_NAME "nRF51822 Cortex-M0"
#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_CORE_FEATURES)
// 16 KB of RAM: keep the heap and the parser small.
#define BOARD_SMALL_RAM (1)

// SysTick runs from the 16 MHz CPU clock. Under -icount shift=7 every retired
// instruction advances virtual time by 128 ns = 2.048 ticks, so
// instructions = ticks * 62.5 / 128 = ticks * 125 / 256.
#define BOARD_CPU_HZ (16000000)
#define BOARD_INSTRUCTIONS_PER_TICK_NUM (125)
#define BOARD_INSTRUCTIONS_PER_TICK_DEN (256)

// nRF51 UART0 interrupt (peripheral id 2).
#define BOARD_UART_IRQN (2)
#define BOARD_RX_BUFFER_SIZE (128)

#define BOARD_UNIQUE_ID "qemu-nrf51"

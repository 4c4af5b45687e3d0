// Configuration of the mps2-an386 board (QEMU -M mps2-an386).
#define BOARD_NAME "mps2-an386"
#define MICROPY_HW_BOARD_NAME "QEMU mps2-an386"
#define MICROPY_HW_MCU_NAME "Cortex-M4F"
#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)

// SysTick runs from the 25 MHz CPU clock. Under -icount shift=7 every retired
// instruction advances virtual time by 128 ns = 3.2 ticks, so
// instructions = ticks * 40 / 128 = ticks * 5 / 16.
#define BOARD_CPU_HZ (25000000)
#define BOARD_INSTRUCTIONS_PER_TICK_NUM (5)
#define BOARD_INSTRUCTIONS_PER_TICK_DEN (16)

// CMSDK UART0 receive interrupt.
#define BOARD_UART_IRQN (0)
#define BOARD_RX_BUFFER_SIZE (1024)

// QEMU models no per-device identifier; this one names the board.
#define BOARD_UNIQUE_ID "qemu-an386"

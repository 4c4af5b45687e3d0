// Vector table, reset handler and fault handlers shared by every board.
#include <string.h>
#include "board.h"
#include "semihosting.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void SysTick_Handler(void);

void Reset_Handler(void) {
    memcpy(&_sdata, &_sidata, (char *)&_edata - (char *)&_sdata);
    memset(&_sbss, 0, (char *)&_ebss - (char *)&_sbss);
    #if defined(__ARM_FP)
    // Grant full access to coprocessors 10 and 11 (the FPU) before any float code.
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile ("dsb\n isb");
    #endif
    main();
    semihosting_exit(0);
}

static void print_str(const char *s) {
    while (*s) {
        board_uart_tx((uint8_t)*s++);
    }
}

static void print_hex(uint32_t value) {
    static const char digits[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4) {
        board_uart_tx((uint8_t)digits[(value >> shift) & 0xF]);
    }
}

// A fault is a firmware bug: report where it happened and end the QEMU run
// with a distinctive exit code rather than hang a scripted run.
void board_fault(uint32_t *frame, const char *name) {
    print_str("\r\nFATAL: ");
    print_str(name);
    print_str(" pc=0x");
    print_hex(frame[6]);
    print_str(" lr=0x");
    print_hex(frame[5]);
    print_str("\r\n");
    semihosting_exit(120);
}

#define FAULT_HANDLER(handler, name) \
    __attribute__((naked)) void handler(void) { \
        __asm volatile ( \
            "movs r0, #4\n" \
            "mov r1, lr\n" \
            "tst r0, r1\n" \
            "beq 1f\n" \
            "mrs r0, psp\n" \
            "b 2f\n" \
            "1: mrs r0, msp\n" \
            "2: ldr r1, =" #name "_str\n" \
            "ldr r2, =board_fault\n" \
            "bx r2\n" \
            ".ltorg\n"); \
    }

const char HardFault_str[] = "HardFault";
FAULT_HANDLER(HardFault_Handler, HardFault)
const char OtherFault_str[] = "unexpected exception";
FAULT_HANDLER(Default_Handler, OtherFault)

void board_reset(void) {
    board_reset_with_cause(BOARD_SOFT_RESET);
}

// Four words above the stack (linker_common.ld) that no reset clears: a magic
// number and the cause of the next reset. Power-on RAM in QEMU is zero, so
// without the magic the reset was a power-on.
extern uint32_t _board_noinit[4];
#define RESET_MAGIC (0x7E5E7CA5u)
static int boot_cause;

int board_reset_cause(void) {
    if (boot_cause == 0) {  // .bss: zero until read once after each boot
        boot_cause = _board_noinit[0] == RESET_MAGIC ? (int)_board_noinit[1] : BOARD_PWRON_RESET;
        _board_noinit[0] = 0;
    }
    return boot_cause;
}

void board_reset_with_cause(int cause) {
    board_reset_cause();  // this boot's cause stays readable until the reset
    _board_noinit[1] = (uint32_t)cause;
    _board_noinit[0] = RESET_MAGIC;
    __asm volatile ("dsb" ::: "memory");
    // SCB AIRCR: VECTKEY | SYSRESETREQ.
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u;
    for (;;) {
    }
}

#define NUM_EXTERNAL_IRQS (32)

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used))
const vector_t board_vector_table[16 + NUM_EXTERNAL_IRQS] = {
    (vector_t)&_estack,
    Reset_Handler,
    [2 ... 15] = Default_Handler,
    [3] = HardFault_Handler,
    [15] = SysTick_Handler,
    [16 ... 16 + NUM_EXTERNAL_IRQS - 1] = Default_Handler,
    [16 + BOARD_UART_IRQN] = board_uart_irq_handler,
};

void board_enable_irq_line(unsigned irqn) {
    *(volatile uint32_t *)(0xE000E100u + 4 * (irqn / 32)) = 1u << (irqn % 32);
}

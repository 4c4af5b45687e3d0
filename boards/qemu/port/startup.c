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

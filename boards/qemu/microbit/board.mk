# BBC micro:bit v1: nRF51822, Cortex-M0, 256 KB flash, 16 KB RAM.
CFLAGS_MCU = -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
COPT ?= -Os
BOARD_SRC_C = $(BOARD)/uart_nrf51.c
GCHELPER_S = shared/runtime/gchelper_thumb1.s
QEMU_MACHINE = microbit
# MicroPython (~180 KB here) plus the whole tinyml engine overflow the 256 KB
# flash: no built-in tinyml by default. Use the armv6m natmod, or build it in
# with fewer operators: USER_C_MODULES=<project root> CFLAGS_EXTRA=-DTML_OP_<NAME>=0.
BOARD_BUILTIN_TINYML ?= 0

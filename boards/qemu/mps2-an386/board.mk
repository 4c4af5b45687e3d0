# Arm MPS2 FPGA image AN386: Cortex-M4 with single-precision FPU.
CFLAGS_MCU = -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
COPT ?= -O2 -ffp-contract=off
BOARD_SRC_C = $(BOARD)/uart_cmsdk.c
GCHELPER_S = shared/runtime/gchelper_thumb2.s
QEMU_MACHINE = mps2-an386

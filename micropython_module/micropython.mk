# User C module `tinyml` for a firmware build (GNU make ports).
#
#   make -C ports/<port> USER_C_MODULES=/path/to/project-root
#
# MicroPython's py/py.mk includes $(USER_C_MODULES)/*/micropython.mk, so
# USER_C_MODULES is the directory that holds micropython_module/ (the project
# root). CMake ports take USER_C_MODULES=.../micropython_module/micropython.cmake.
#
# The firmware needs memoryview, the array module and float support
# (MICROPY_PY_BUILTINS_MEMORYVIEW, MICROPY_PY_ARRAY, MICROPY_FLOAT_IMPL != NONE).
# Operators can be left out with CFLAGS_EXTRA=-DTML_OP_<NAME>=0 (engine/tml_config.h).

TINYML_MOD_DIR := $(USERMOD_DIR)
TML_ENGINE_DIR := $(TINYML_MOD_DIR)/engine
include $(TML_ENGINE_DIR)/sources.mk

# Only the binding defines qstrs; the engine is plain C.
SRC_USERMOD_C += $(TINYML_MOD_DIR)/binding/modtinyml.c
SRC_USERMOD_LIB_C += $(TML_ENGINE_SRC)
CFLAGS_USERMOD += -I$(TML_ENGINE_INC)

# Float results must be bit-exact with TFLM. For tinyml's own objects only, and
# after the port's flags (a target-specific append comes last on the command
# line): no fused multiply-add, and double constants stay double even in ports
# built with -fsingle-precision-constant (QuantizeMultiplier is double math on
# purpose, so the port's -Wdouble-promotion does not apply either).
TINYML_OBJ_DIR := $(BUILD)/$(patsubst $(USER_C_MODULES)/%,%,$(TINYML_MOD_DIR))
$(TINYML_OBJ_DIR)/%.o: CFLAGS += -ffp-contract=off -fno-single-precision-constant \
	-Wno-double-promotion -Wno-float-conversion

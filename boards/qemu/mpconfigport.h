// MicroPython configuration of the QEMU boards. Board specifics come from
// <board>/board_config.h. The MicroPython tree used here has no extmod/
// sources: os, time, machine and the file system are this port's own.
#include <stdint.h>
#include "board_config.h"

#define MICROPY_ENABLE_GC (1)
#define MICROPY_ENABLE_FINALISER (1)
#define MICROPY_ENABLE_COMPILER (1)
#define MICROPY_HELPER_REPL (1)
#define MICROPY_REPL_AUTO_INDENT (1)
#define MICROPY_KBD_EXCEPTION (1)
#define MICROPY_ENABLE_EXTERNAL_IMPORT (1)
#define MICROPY_STACK_CHECK (1)
#define MICROPY_LONGINT_IMPL (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_FLOAT)
#define MICROPY_USE_INTERNAL_PRINTF (1)
#define MICROPY_ALLOC_PATH_MAX (128)

// Native modules (.mpy with machine code) for this architecture: the thumb
// emitter selects the .mpy architecture (armv7emsp on the M4F, armv6m on
// the M0) and brings @micropython.native along.
// A firmware built for one frozen model may leave them out (-DBOARD_NATIVE_MPY=0,
// 14 KB of flash on the M0).
#ifndef BOARD_NATIVE_MPY
#define BOARD_NATIVE_MPY (1)
#endif
#define MICROPY_PERSISTENT_CODE_LOAD (1)
#define MICROPY_EMIT_THUMB (BOARD_NATIVE_MPY)
// The thumb emitter assumes ARMv7-M unless told otherwise; on the Cortex-M0
// its code for @micropython.native/viper would hard-fault.
#if defined(__ARM_ARCH_6M__)
#define MICROPY_EMIT_THUMB_ARMV7M (0)
#endif
#define MICROPY_EMIT_INLINE_THUMB (0)
#define MICROPY_MAKE_POINTER_CALLABLE(p) ((void *)((mp_uint_t)(p) | 1))

// Files come from the semihosting directory (shfs.c): the port supplies
// open(), mp_import_stat() and mp_reader_new_file().
#define MICROPY_READER_VFS (1)
#define MICROPY_VFS (0)
#define MICROPY_PY_IO (1)

#define MICROPY_PY_SYS_PLATFORM "qemu"
#define MICROPY_PY_SYS_STDFILES (1)
#define MICROPY_PY_SYS_EXIT (1)
#define MICROPY_PY_SYS_PS1_PS2 (1)
#define MICROPY_PY_MICROPYTHON_MEM_INFO (1)
#define MICROPY_PY_ERRNO (1)
#define MICROPY_PY_ERRNO_ERRORCODE (1)
#define MICROPY_PY_STRUCT (1)
#define MICROPY_PY_ARRAY (1)
#define MICROPY_PY_COLLECTIONS (1)
#define MICROPY_PY_MATH (1)
#define MICROPY_PY_GC (1)
#define MICROPY_PY_BUILTINS_BYTEARRAY (1)
#define MICROPY_PY_BUILTINS_MEMORYVIEW (1)
#define MICROPY_PY_BUILTINS_INPUT (1)

// Modules implemented in extmod/ (absent from this tree), or by this port.
#define MICROPY_PY_OS (0)
#define MICROPY_PY_TIME (0)
#define MICROPY_PY_MACHINE (0)
#define MICROPY_PY_SELECT (0)
#define MICROPY_PY_JSON (0)
#define MICROPY_PY_RE (0)
#define MICROPY_PY_BINASCII (0)
#define MICROPY_PY_HASHLIB (0)
#define MICROPY_PY_CRYPTOLIB (0)
#define MICROPY_PY_RANDOM (0)
#define MICROPY_PY_HEAPQ (0)
#define MICROPY_PY_UCTYPES (0)
#define MICROPY_PY_DEFLATE (0)
#define MICROPY_PY_FRAMEBUF (0)
#define MICROPY_PY_PLATFORM (0)
#define MICROPY_PY_ASYNCIO (0)
#define MICROPY_PY_VFS (0)
#define MICROPY_PY_OS_DUPTERM (0)

#if defined(BOARD_SMALL_RAM)
#define MICROPY_ALLOC_PARSE_CHUNK_INIT (16)
#define MICROPY_ALLOC_PARSE_RULE_INC (8)
#define MICROPY_ALLOC_PARSE_RESULT_INC (8)
#define MICROPY_ALLOC_LEXER_INDENT_INIT (8)
#define MICROPY_ALLOC_GC_STACK_SIZE (32)
#define MICROPY_REPL_EVENT_DRIVEN (0)
#define MICROPY_READLINE_HISTORY_SIZE (2)
#endif

// Wait for any interrupt while blocked in MicroPython code (e.g. in input()).
#define MICROPY_EVENT_POLL_HOOK \
    do { \
        extern void mp_handle_pending(bool); \
        mp_handle_pending(true); \
    } while (0);

typedef int32_t mp_int_t;
typedef uint32_t mp_uint_t;
typedef long mp_off_t;
#define MP_SSIZE_MAX (0x7fffffff)

#define MP_STATE_PORT MP_STATE_VM

#include <alloca.h>

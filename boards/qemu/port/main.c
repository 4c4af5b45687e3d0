// Entry point: boot, soft-reset loop, REPL or scripted run.
//
// QEMU's semihosting command line (-semihosting-config ...,arg=firmware,arg=PATH)
// selects the mode: with a script PATH (in the semihosting directory) the
// firmware runs it and ends the QEMU run with its exit status (0, the
// SystemExit code, or 1 after an uncaught exception); without, it runs
// main.py if present and then the REPL on the UART.
#include <string.h>
#include "board.h"
#include "semihosting.h"
#include "shfs.h"
#include "py/builtin.h"
#include "py/compile.h"
#include "py/gc.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "py/stackctrl.h"
#include "shared/readline/readline.h"
#include "shared/runtime/gchelper.h"
#include "shared/runtime/pyexec.h"

extern uint8_t _heap_start, _heap_end, _sstack, _estack;

// Headroom below the stack limit for the exception handling that follows a
// detected overflow.
#define STACK_MARGIN (512)

static char command_line[MICROPY_ALLOC_PATH_MAX + 64];

// The script argument of the command line, or NULL.
static const char *script_argument(void) {
    if (semihosting_get_cmdline(command_line, sizeof(command_line)) != 0) {
        return NULL;
    }
    char *space = strchr(command_line, ' ');
    if (space == NULL) {
        return NULL;
    }
    while (*space == ' ') {
        ++space;
    }
    return *space ? space : NULL;
}

static int exit_status_of(mp_obj_t exception) {
    if (!mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exception)), MP_OBJ_FROM_PTR(&mp_type_SystemExit))) {
        mp_obj_print_exception(&mp_plat_print, exception);
        return 1;
    }
    mp_obj_t value = mp_obj_exception_get_value(exception);
    if (value == mp_const_none) {
        return 0;
    }
    mp_int_t code;
    if (mp_obj_get_int_maybe(value, &code)) {
        return (int)code;
    }
    mp_obj_print(value, PRINT_STR);
    mp_print_str(&mp_plat_print, "\n");
    return 1;
}

static int run_script(const char *path) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_lexer_t *lex = mp_lexer_new_from_file(qstr_from_str(path));
        qstr source_name = lex->source_name;
        mp_parse_tree_t parse_tree = mp_parse(lex, MP_PARSE_FILE_INPUT);
        mp_obj_t module_fun = mp_compile(&parse_tree, source_name, false);
        mp_hal_set_interrupt_char(CHAR_CTRL_C);
        mp_call_function_0(module_fun);
        mp_hal_set_interrupt_char(-1);
        mp_handle_pending(true);
        nlr_pop();
        return 0;
    }
    mp_hal_set_interrupt_char(-1);
    return exit_status_of(MP_OBJ_FROM_PTR(nlr.ret_val));
}

int main(void) {
    board_uart_init();
    extern void board_enable_irq_line(unsigned irqn);
    board_enable_irq_line(BOARD_UART_IRQN);
    systick_init();
    const char *script = script_argument();

    for (;;) {
        mp_stack_set_top(&_estack);
        mp_stack_set_limit((mp_uint_t)(&_estack - &_sstack) - STACK_MARGIN);
        gc_init(&_heap_start, &_heap_end);
        mp_init();
        shfs_init();
        readline_init0();

        if (script != NULL) {
            int status = run_script(script);
            gc_sweep_all();
            mp_deinit();
            semihosting_exit(status);
        }

        if (pyexec_mode_kind == PYEXEC_MODE_FRIENDLY_REPL && mp_import_stat("main.py") == MP_IMPORT_STAT_FILE) {
            int ret = pyexec_file("main.py");
            if (ret & PYEXEC_FORCED_EXIT) {
                goto soft_reset;
            }
        }
        for (;;) {
            if (pyexec_mode_kind == PYEXEC_MODE_RAW_REPL) {
                if (pyexec_raw_repl() != 0) {
                    break;
                }
            } else {
                if (pyexec_friendly_repl() != 0) {
                    break;
                }
            }
        }
    soft_reset:
        // mpremote waits for exactly "soft reboot\r\n"; mp_printf cooks "\n".
        mp_printf(&mp_plat_print, "MPY: soft reboot\n");
        gc_sweep_all();
        mp_deinit();
    }
}

void gc_collect(void) {
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

void nlr_jump_fail(void *val) {
    mp_printf(&mp_plat_print, "FATAL: uncaught exception %p\n", val);
    semihosting_exit(121);
}

void __assert_func(const char *file, int line, const char *func, const char *expr) {
    mp_printf(&mp_plat_print, "FATAL: assertion '%s' failed, %s:%d\n", expr, file, line);
    semihosting_exit(122);
}

// libm reports errors through errno; a plain variable keeps newlib's 1 KB
// reentrancy structure out of RAM.
static int board_errno;
int *__errno(void) {
    return &board_errno;
}

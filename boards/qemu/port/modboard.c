// The board module: facts about the emulated board and the deterministic
// cost counter (see board.h).
#include "board.h"
#include "semihosting.h"
#include "py/objstr.h"
#include "py/runtime.h"

static const MP_DEFINE_STR_OBJ(board_name_obj, BOARD_NAME);

static mp_obj_t board_instructions_fn(void) {
    return mp_obj_new_int_from_ull(board_instructions());
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_instructions_obj, board_instructions_fn);

static mp_obj_t board_ticks_fn(void) {
    return mp_obj_new_int_from_ull(board_ticks());
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_ticks_obj, board_ticks_fn);

static mp_obj_t board_wfi_count_fn(void) {
    return mp_obj_new_int_from_uint(board_wfi_count());
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_wfi_count_obj, board_wfi_count_fn);

// Ends the QEMU run with an exit code (scripted runs).
static mp_obj_t board_exit_fn(size_t n_args, const mp_obj_t *args) {
    semihosting_exit(n_args > 0 ? (int)mp_obj_get_int(args[0]) : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(board_exit_obj, 0, 1, board_exit_fn);

// Self-check of the instruction counter: runs a loop of exactly 2 * n
// instructions (n >= 1) and returns what board_instructions() measured around it.
static mp_obj_t board_spin_fn(mp_obj_t n_in) {
    mp_int_t count = mp_obj_get_int(n_in);
    if (count < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("n must be >= 1"));
    }
    uint32_t n = (uint32_t)count;
    uint64_t t0 = board_instructions();
    __asm volatile (".syntax unified\n1: subs %0, #1\n bne 1b" : "+r" (n));
    uint64_t t1 = board_instructions();
    return mp_obj_new_int((mp_int_t)(t1 - t0));
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_spin_obj, board_spin_fn);

static const mp_rom_map_elem_t board_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_spin), MP_ROM_PTR(&board_spin_obj) },
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_board) },
    { MP_ROM_QSTR(MP_QSTR_name), MP_ROM_PTR(&board_name_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpu_hz), MP_ROM_INT(BOARD_CPU_HZ) },
    { MP_ROM_QSTR(MP_QSTR_instructions), MP_ROM_PTR(&board_instructions_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks), MP_ROM_PTR(&board_ticks_obj) },
    { MP_ROM_QSTR(MP_QSTR_wfi_count), MP_ROM_PTR(&board_wfi_count_obj) },
    { MP_ROM_QSTR(MP_QSTR_exit), MP_ROM_PTR(&board_exit_obj) },
};
static MP_DEFINE_CONST_DICT(board_module_globals, board_module_globals_table);

const mp_obj_module_t board_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&board_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_board, board_module);

// The machine module: what an emulated board without pins can offer.
#include "board.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "shared/runtime/pyexec.h"

// QEMU's clock cannot be changed: the set frequency is only remembered.
static mp_int_t machine_cpu_hz = BOARD_CPU_HZ;

static mp_obj_t machine_freq(size_t n_args, const mp_obj_t *args) {
    if (n_args == 0) {
        return mp_obj_new_int(machine_cpu_hz);
    }
    mp_int_t hz = mp_obj_get_int(args[0]);
    if (hz <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("frequency must be positive"));
    }
    machine_cpu_hz = hz;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(machine_freq_obj, 0, 1, machine_freq);

static mp_obj_t machine_idle(void) {
    board_idle();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(machine_idle_obj, machine_idle);

static void sleep_ms_or_forever(size_t n_args, const mp_obj_t *args) {
    if (n_args == 0) {
        board_wait_for_interrupt();
        mp_handle_pending(true);
    } else {
        mp_int_t ms = mp_obj_get_int(args[0]);
        if (ms > 0) {
            board_sleep_until(board_ticks() + (uint64_t)ms * (BOARD_CPU_HZ / 1000), true);
        }
    }
}

static mp_obj_t machine_lightsleep(size_t n_args, const mp_obj_t *args) {
    sleep_ms_or_forever(n_args, args);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(machine_lightsleep_obj, 0, 1, machine_lightsleep);

// Like real boards, waking from deep sleep is a reset (reset_cause() then
// says DEEPSLEEP_RESET).
static mp_obj_t machine_deepsleep(size_t n_args, const mp_obj_t *args) {
    sleep_ms_or_forever(n_args, args);
    board_reset_with_cause(BOARD_DEEPSLEEP_RESET);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(machine_deepsleep_obj, 0, 1, machine_deepsleep);

static mp_obj_t machine_reset(void) {
    board_reset();
}
static MP_DEFINE_CONST_FUN_OBJ_0(machine_reset_obj, machine_reset);

static mp_obj_t machine_reset_cause(void) {
    return MP_OBJ_NEW_SMALL_INT(board_reset_cause());
}
static MP_DEFINE_CONST_FUN_OBJ_0(machine_reset_cause_obj, machine_reset_cause);

static mp_obj_t machine_soft_reset(void) {
    pyexec_system_exit = PYEXEC_FORCED_EXIT;
    mp_raise_type(&mp_type_SystemExit);
}
static MP_DEFINE_CONST_FUN_OBJ_0(machine_soft_reset_obj, machine_soft_reset);

static mp_obj_t machine_unique_id(void) {
    return mp_obj_new_bytes((const byte *)BOARD_UNIQUE_ID, sizeof(BOARD_UNIQUE_ID) - 1);
}
static MP_DEFINE_CONST_FUN_OBJ_0(machine_unique_id_obj, machine_unique_id);

static mp_obj_t machine_instructions(void) {
    return mp_obj_new_int_from_ull(board_instructions());
}
static MP_DEFINE_CONST_FUN_OBJ_0(machine_instructions_obj, machine_instructions);

static const mp_rom_map_elem_t machine_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_machine) },
    { MP_ROM_QSTR(MP_QSTR_freq), MP_ROM_PTR(&machine_freq_obj) },
    { MP_ROM_QSTR(MP_QSTR_idle), MP_ROM_PTR(&machine_idle_obj) },
    { MP_ROM_QSTR(MP_QSTR_lightsleep), MP_ROM_PTR(&machine_lightsleep_obj) },
    { MP_ROM_QSTR(MP_QSTR_deepsleep), MP_ROM_PTR(&machine_deepsleep_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&machine_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_soft_reset), MP_ROM_PTR(&machine_soft_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset_cause), MP_ROM_PTR(&machine_reset_cause_obj) },
    { MP_ROM_QSTR(MP_QSTR_PWRON_RESET), MP_ROM_INT(BOARD_PWRON_RESET) },
    { MP_ROM_QSTR(MP_QSTR_HARD_RESET), MP_ROM_INT(BOARD_HARD_RESET) },
    { MP_ROM_QSTR(MP_QSTR_WDT_RESET), MP_ROM_INT(BOARD_WDT_RESET) },
    { MP_ROM_QSTR(MP_QSTR_DEEPSLEEP_RESET), MP_ROM_INT(BOARD_DEEPSLEEP_RESET) },
    { MP_ROM_QSTR(MP_QSTR_SOFT_RESET), MP_ROM_INT(BOARD_SOFT_RESET) },
    { MP_ROM_QSTR(MP_QSTR_unique_id), MP_ROM_PTR(&machine_unique_id_obj) },
    { MP_ROM_QSTR(MP_QSTR_instructions), MP_ROM_PTR(&machine_instructions_obj) },
};
static MP_DEFINE_CONST_DICT(machine_module_globals, machine_module_globals_table);

const mp_obj_module_t board_machine_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&machine_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_machine, board_machine_module);

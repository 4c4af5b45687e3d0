// The os module, over the semihosting file system (shfs.h).
#include <string.h>
#include "shfs.h"
#include "py/mperrno.h"
#include "py/objstr.h"
#include "py/runtime.h"

static void resolve_arg(mp_obj_t path_in, shfs_path_t *path) {
    shfs_resolve(mp_obj_str_get_str(path_in), path);
}

static mp_obj_t os_getcwd(void) {
    return mp_obj_new_str(shfs_getcwd(), strlen(shfs_getcwd()));
}
static MP_DEFINE_CONST_FUN_OBJ_0(os_getcwd_obj, os_getcwd);

static mp_obj_t os_chdir(mp_obj_t path_in) {
    shfs_path_t path;
    resolve_arg(path_in, &path);
    shfs_chdir(&path);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(os_chdir_obj, os_chdir);

static mp_obj_t os_ilistdir(size_t n_args, const mp_obj_t *args) {
    shfs_path_t path;
    resolve_arg(n_args > 0 ? args[0] : MP_OBJ_NEW_QSTR(MP_QSTR_), &path);
    return mp_getiter(shfs_ilistdir(&path), NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(os_ilistdir_obj, 0, 1, os_ilistdir);

static mp_obj_t os_listdir(size_t n_args, const mp_obj_t *args) {
    shfs_path_t path;
    resolve_arg(n_args > 0 ? args[0] : MP_OBJ_NEW_QSTR(MP_QSTR_), &path);
    mp_obj_t entries = shfs_ilistdir(&path);
    size_t len;
    mp_obj_t *items;
    mp_obj_list_get(entries, &len, &items);
    for (size_t i = 0; i < len; ++i) {
        mp_obj_t *fields;
        mp_obj_tuple_get(items[i], NULL, &fields);
        items[i] = fields[0];
    }
    return entries;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(os_listdir_obj, 0, 1, os_listdir);

static mp_obj_t os_stat(mp_obj_t path_in) {
    shfs_path_t path;
    resolve_arg(path_in, &path);
    uint32_t size = 0;
    shfs_kind_t kind = shfs_kind(&path, &size);
    if (kind == SHFS_NONE) {
        mp_raise_OSError(MP_ENOENT);
    }
    mp_obj_t fields[10];
    fields[0] = MP_OBJ_NEW_SMALL_INT(kind == SHFS_DIR ? 0x4000 : 0x8000); // st_mode
    for (int i = 1; i < 10; ++i) {
        fields[i] = MP_OBJ_NEW_SMALL_INT(0); // ino, dev, nlink, uid, gid, size, times
    }
    fields[6] = mp_obj_new_int_from_uint(size);
    return mp_obj_new_tuple(10, fields);
}
static MP_DEFINE_CONST_FUN_OBJ_1(os_stat_obj, os_stat);

static mp_obj_t os_remove(mp_obj_t path_in) {
    shfs_path_t path;
    resolve_arg(path_in, &path);
    shfs_remove(&path);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(os_remove_obj, os_remove);

static mp_obj_t os_rename(mp_obj_t from_in, mp_obj_t to_in) {
    shfs_path_t from, to;
    resolve_arg(from_in, &from);
    resolve_arg(to_in, &to);
    shfs_rename(&from, &to);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(os_rename_obj, os_rename);

static mp_obj_t os_mkdir(mp_obj_t path_in) {
    shfs_path_t path;
    resolve_arg(path_in, &path);
    shfs_mkdir(&path);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(os_mkdir_obj, os_mkdir);

static mp_obj_t os_rmdir(mp_obj_t path_in) {
    shfs_path_t path;
    resolve_arg(path_in, &path);
    shfs_rmdir(&path);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(os_rmdir_obj, os_rmdir);

static mp_obj_t os_sync(void) {
    return mp_const_none; // every write goes straight to the host
}
static MP_DEFINE_CONST_FUN_OBJ_0(os_sync_obj, os_sync);

static const mp_rom_map_elem_t os_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_os) },
    { MP_ROM_QSTR(MP_QSTR_sep), MP_ROM_QSTR(MP_QSTR__slash_) },
    { MP_ROM_QSTR(MP_QSTR_getcwd), MP_ROM_PTR(&os_getcwd_obj) },
    { MP_ROM_QSTR(MP_QSTR_chdir), MP_ROM_PTR(&os_chdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_ilistdir), MP_ROM_PTR(&os_ilistdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_listdir), MP_ROM_PTR(&os_listdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_stat), MP_ROM_PTR(&os_stat_obj) },
    { MP_ROM_QSTR(MP_QSTR_remove), MP_ROM_PTR(&os_remove_obj) },
    { MP_ROM_QSTR(MP_QSTR_rename), MP_ROM_PTR(&os_rename_obj) },
    { MP_ROM_QSTR(MP_QSTR_mkdir), MP_ROM_PTR(&os_mkdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_rmdir), MP_ROM_PTR(&os_rmdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_sync), MP_ROM_PTR(&os_sync_obj) },
};
static MP_DEFINE_CONST_DICT(os_module_globals, os_module_globals_table);

const mp_obj_module_t board_os_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&os_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_os, board_os_module);

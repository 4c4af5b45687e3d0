/*
 * Entry point of the native .mpy module. It sits in its own object, linked
 * first, because on armv6m the module's first instruction is a 16-bit branch
 * to mpy_init that reaches only 2 KB; the real work is tinyml_natmod_init in
 * modtinyml.c.
 */
#include "py/dynruntime.h"

mp_obj_t tinyml_natmod_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return tinyml_natmod_init(self, n_args, n_kw, args);
}

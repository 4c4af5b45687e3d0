#ifndef TINYML_BOARDS_QEMU_MPHALPORT_H
#define TINYML_BOARDS_QEMU_MPHALPORT_H

#include "shared/runtime/interrupt_char.h"

// No pins on these boards; defined so that py/mphal.h does not pull in
// extmod/virtpin.h.
#define mp_hal_pin_obj_t void *

static inline mp_uint_t mp_hal_ticks_cpu(void) {
    extern uint64_t board_ticks(void);
    return (mp_uint_t)board_ticks();
}

#endif

/*
 * MAXIMUM with broadcasting: the larger of the two stored values, element by
 * element (float32, int8, int16, int32); shared with the other extremum in
 * broadcast.h (tml_extremum_*).
 */
#include "broadcast.h"

static tml_status maximum_eval(tml_model *m, tml_node *node) {
    return tml_extremum_eval(m, node, true);
}

const tml_kernel tml_kernel_MAXIMUM = {
    .name = "MAXIMUM",
    .builtin = 55,
    .max_version = 4, /* v2: int8, v3: 5-D/6-D broadcast, v4: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(tml_bcast),
    .prepare = tml_extremum_prepare,
    .eval = maximum_eval,
};

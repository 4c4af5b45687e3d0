/*
 * The memory planner: places every activation, variable tensor and kernel
 * scratch buffer in the arena so that buffers alive at the same time never
 * overlap, using as few bytes as it can.
 */
#ifndef TML_PLAN_H
#define TML_PLAN_H

#include "tinyml.h"

/* Workspace tml_plan needs for a model of this size. */
size_t tml_plan_workspace_bytes(int num_tensors, int num_nodes);

/* Sets the arena offsets of tensors and node memory (in their data, scratch
 * and persistent pointers, until tml_set_arena), m->arena_bytes,
 * m->scratch_bytes and m->lower_bound_bytes. `work` is scratch memory of at
 * least tml_plan_workspace_bytes, TML_ALIGN-aligned. */
tml_status tml_plan(tml_model *m, void *work, size_t work_len);

#endif /* TML_PLAN_H */

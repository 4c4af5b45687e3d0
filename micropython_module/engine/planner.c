/*
 * Arena planning.
 *
 * Each buffer has a size and a lifetime [first, last] in steps: graph inputs
 * and variable tensors exist from step 0, node i runs at step i + 1, graph
 * outputs and variables live to the end. Two buffers may share bytes only if
 * their lifetimes are disjoint.
 *
 * Placing buffers optimally is NP-hard; TFLM places them greedily, largest
 * first, each at the lowest offset free during its lifetime. We run that same
 * first-fit placement under several orders and keep the smallest result. The
 * liveness lower bound (the most bytes alive at any one step) tells how far
 * from optimal a plan is; it is reported, not assumed.
 *
 * Outputs of in-place nodes (node->in_place) share their input's buffer when
 * the input is dead afterwards, or always for views (TML_IN_PLACE_VIEW, e.g.
 * RESHAPE), whose output bytes equal the input's.
 */
#include <string.h>

#include "tml_kernel.h"
#include "tml_plan.h"

#define SIZE_ALIGN 4u

typedef struct {
    uint32_t size;
    uint32_t offset;
    uint16_t first;
    uint16_t last;
    uint8_t align;
} plan_buffer;

typedef struct {
    plan_buffer *buffers;
    int16_t *order;     /* buffer indices in placement order */
    int16_t *placed;    /* placed buffers overlapping in time, sorted by offset */
    int16_t *buffer_of; /* tensor -> buffer, -1 if the tensor is not planned */
    int count;
} plan;

/* At most one buffer per tensor, and two per node (persistent and scratch). */
static size_t max_buffers(int num_tensors, int num_nodes) {
    return (size_t)num_tensors + 2 * (size_t)num_nodes;
}

size_t tml_plan_workspace_bytes(int num_tensors, int num_nodes) {
    size_t n = max_buffers(num_tensors, num_nodes);
    return n * sizeof(plan_buffer) + 2 * n * sizeof(int16_t) + (size_t)num_tensors * sizeof(int16_t) + 4 * TML_ALIGN;
}

static uint32_t round_size(uint32_t n) {
    return (n + SIZE_ALIGN - 1) & ~(SIZE_ALIGN - 1);
}

static bool overlaps(const plan_buffer *a, const plan_buffer *b) {
    return a->first <= b->last && b->first <= a->last;
}

/* Placement priorities: the orders tried. Each returns true if a goes before b. */

static bool larger_first(const plan_buffer *a, const plan_buffer *b) {
    if (a->size != b->size) {
        return a->size > b->size;
    }
    return a->first < b->first;
}

static bool longer_first(const plan_buffer *a, const plan_buffer *b) {
    uint32_t la = (uint32_t)(a->last - a->first), lb = (uint32_t)(b->last - b->first);
    if (la != lb) {
        return la > lb;
    }
    return a->size > b->size;
}

static bool area_first(const plan_buffer *a, const plan_buffer *b) {
    uint64_t aa = (uint64_t)a->size * (uint32_t)(a->last - a->first + 1);
    uint64_t ab = (uint64_t)b->size * (uint32_t)(b->last - b->first + 1);
    if (aa != ab) {
        return aa > ab;
    }
    return a->size > b->size;
}

static bool earlier_first(const plan_buffer *a, const plan_buffer *b) {
    if (a->first != b->first) {
        return a->first < b->first;
    }
    return a->size > b->size;
}

enum { ORDER_LARGER, ORDER_AREA, ORDER_LONGER, ORDER_EARLIER, NUM_ORDERS };

/* A switch, not a table of function pointers: native modules get no data
 * relocations. */
static bool before(int order, const plan_buffer *a, const plan_buffer *b) {
    switch (order) {
        case ORDER_LARGER:
            return larger_first(a, b);
        case ORDER_AREA:
            return area_first(a, b);
        case ORDER_LONGER:
            return longer_first(a, b);
        default:
            return earlier_first(a, b);
    }
}

/* Insertion sort: plans have at most a few hundred buffers, and a stable sort
 * keeps the result independent of the platform. */
static void sort_order(plan *p, int order) {
    for (int i = 0; i < p->count; i++) {
        p->order[i] = (int16_t)i;
    }
    for (int i = 1; i < p->count; i++) {
        int16_t v = p->order[i];
        int j = i - 1;
        while (j >= 0 && before(order, &p->buffers[v], &p->buffers[p->order[j]])) {
            p->order[j + 1] = p->order[j];
            j--;
        }
        p->order[j + 1] = v;
    }
}

/* First-fit placement in p->order; returns the arena size it needs. */
static uint32_t place_all(plan *p) {
    uint32_t total = 0;
    for (int k = 0; k < p->count; k++) {
        plan_buffer *b = &p->buffers[p->order[k]];
        /* Buffers already placed that are alive at the same time, by offset. */
        int n = 0;
        for (int j = 0; j < k; j++) {
            const plan_buffer *o = &p->buffers[p->order[j]];
            if (!overlaps(b, o)) {
                continue;
            }
            int pos = n++;
            while (pos > 0 && p->buffers[p->placed[pos - 1]].offset > o->offset) {
                p->placed[pos] = p->placed[pos - 1];
                pos--;
            }
            p->placed[pos] = p->order[j];
        }
        uint32_t candidate = 0;
        for (int j = 0; j < n; j++) {
            const plan_buffer *o = &p->buffers[p->placed[j]];
            candidate = (candidate + b->align - 1) & ~(uint32_t)(b->align - 1);
            if (candidate + b->size <= o->offset) {
                break; /* fits in the gap before o */
            }
            if (o->offset + o->size > candidate) {
                candidate = o->offset + o->size;
            }
        }
        candidate = (candidate + b->align - 1) & ~(uint32_t)(b->align - 1);
        b->offset = candidate;
        if (candidate + b->size > total) {
            total = candidate + b->size;
        }
    }
    return total;
}

static uint32_t lower_bound(const plan *p, int steps) {
    uint32_t best = 0;
    for (int s = 0; s <= steps; s++) {
        uint32_t live = 0;
        for (int i = 0; i < p->count; i++) {
            if (p->buffers[i].first <= s && s <= p->buffers[i].last) {
                live += p->buffers[i].size;
            }
        }
        if (live > best) {
            best = live;
        }
    }
    return best;
}

static int add_buffer(plan *p, uint32_t bytes, int first, int last, size_t elem_size) {
    plan_buffer *b = &p->buffers[p->count];
    b->size = round_size(bytes);
    b->first = (uint16_t)first;
    b->last = (uint16_t)last;
    b->align = elem_size > 4 ? 8 : 4;
    b->offset = 0;
    return p->count++;
}

static bool is_graph_tensor(const int16_t *list, int n, int tensor) {
    for (int i = 0; i < n; i++) {
        if (list[i] == tensor) {
            return true;
        }
    }
    return false;
}

/* Last step at which tensor t is read or must stay alive. */
static int last_use(const tml_model *m, int t) {
    int end = m->num_nodes + 1;
    if (is_graph_tensor(m->output_tensors, m->num_outputs, t)) {
        return end;
    }
    int last = -1;
    for (int i = 0; i < m->num_nodes; i++) {
        const tml_node *n = &m->nodes[i];
        for (int j = 0; j < n->num_inputs; j++) {
            if (n->inputs[j] == t) {
                last = i + 1;
            }
        }
    }
    return last;
}

tml_status tml_plan(tml_model *m, void *work, size_t work_len) {
    if (work_len < tml_plan_workspace_bytes(m->num_tensors, m->num_nodes)) {
        return tml_fail(m, TML_ERR_ARENA, "planner workspace too small");
    }
    size_t cap = max_buffers(m->num_tensors, m->num_nodes);
    plan p;
    p.buffers = (plan_buffer *)work;
    p.order = (int16_t *)(p.buffers + cap);
    p.placed = p.order + cap;
    p.buffer_of = p.placed + cap;
    p.count = 0;
    int end = m->num_nodes + 1;

    for (int t = 0; t < m->num_tensors; t++) {
        p.buffer_of[t] = -1;
    }
    for (int t = 0; t < m->num_tensors; t++) {
        const tml_tensor *r = &m->tensors[t];
        if (r->kind == TML_TENSOR_VARIABLE) {
            p.buffer_of[t] = (int16_t)add_buffer(&p, r->bytes, 0, end, tml_dtype_size(r->type));
        }
    }
    /* Graph inputs exist before the first node runs. */
    for (int i = 0; i < m->num_inputs; i++) {
        int t = m->input_tensors[i];
        const tml_tensor *r = &m->tensors[t];
        if (r->kind == TML_TENSOR_ACTIVATION && p.buffer_of[t] < 0) {
            int last = last_use(m, t);
            p.buffer_of[t] = (int16_t)add_buffer(&p, r->bytes, 0, last < 0 ? 0 : last, tml_dtype_size(r->type));
        }
    }
    /* Node outputs, in execution order, and node scratch. */
    for (int i = 0; i < m->num_nodes; i++) {
        tml_node *n = &m->nodes[i];
        int step = i + 1;
        for (int j = 0; j < n->num_outputs; j++) {
            int t = n->inputs[n->num_inputs + j];
            const tml_tensor *r = &m->tensors[t];
            if (r->kind != TML_TENSOR_ACTIVATION || p.buffer_of[t] >= 0) {
                continue;
            }
            int last = last_use(m, t);
            if (last < step) {
                last = step; /* written but never read: still needs its bytes while the node runs */
            }
            int src = n->num_inputs > 0 ? n->inputs[0] : -1;
            if (j == 0 && n->in_place && src >= 0 && p.buffer_of[src] >= 0 &&
                m->tensors[src].kind == TML_TENSOR_ACTIVATION && m->tensors[src].bytes == r->bytes) {
                plan_buffer *b = &p.buffers[p.buffer_of[src]];
                bool input_dead = b->last <= step && !is_graph_tensor(m->output_tensors, m->num_outputs, src);
                if (n->in_place == TML_IN_PLACE_VIEW || input_dead) {
                    if (last > b->last) {
                        b->last = (uint16_t)last;
                    }
                    p.buffer_of[t] = p.buffer_of[src];
                    continue;
                }
            }
            p.buffer_of[t] = (int16_t)add_buffer(&p, r->bytes, step, last, tml_dtype_size(r->type));
        }
    }
    /* Activations nothing writes (read before any node produces them). */
    for (int t = 0; t < m->num_tensors; t++) {
        const tml_tensor *r = &m->tensors[t];
        if (r->kind == TML_TENSOR_ACTIVATION && p.buffer_of[t] < 0) {
            int last = last_use(m, t);
            p.buffer_of[t] = (int16_t)add_buffer(&p, r->bytes, 0, last < 0 ? 0 : last, tml_dtype_size(r->type));
        }
    }
    /* Node memory kept across invokes lives as long as the model. */
    int first_persistent = p.count;
    for (int i = 0; i < m->num_nodes; i++) {
        if (m->nodes[i].persistent_bytes) {
            add_buffer(&p, m->nodes[i].persistent_bytes, 0, end, 8);
        }
    }
    uint32_t scratch_total = 0;
    for (int i = 0; i < m->num_nodes; i++) {
        if (m->nodes[i].scratch_bytes) {
            add_buffer(&p, m->nodes[i].scratch_bytes, i + 1, i + 1, 8);
            scratch_total += round_size(m->nodes[i].scratch_bytes);
        }
    }

    int best_order = 0;
    uint32_t best_total = 0xFFFFFFFFu;
    for (int k = 0; k < NUM_ORDERS; k++) {
        sort_order(&p, k);
        uint32_t total = place_all(&p);
        if (total < best_total) {
            best_total = total;
            best_order = k;
        }
    }
    sort_order(&p, best_order);
    place_all(&p);

    /* Offsets go where the arena pointers will be (tml_set_arena adds the base). */
    for (int t = 0; t < m->num_tensors; t++) {
        if (p.buffer_of[t] >= 0) {
            m->tensors[t].data = (void *)(uintptr_t)p.buffers[p.buffer_of[t]].offset;
        }
    }
    int b = first_persistent;
    for (int i = 0; i < m->num_nodes; i++) {
        if (m->nodes[i].persistent_bytes) {
            m->nodes[i].persistent = (void *)(uintptr_t)p.buffers[b++].offset;
        }
    }
    for (int i = 0; i < m->num_nodes; i++) {
        if (m->nodes[i].scratch_bytes) {
            m->nodes[i].scratch = (void *)(uintptr_t)p.buffers[b++].offset;
        }
    }
    m->arena_bytes = best_total;
    m->scratch_bytes = scratch_total;
    m->lower_bound_bytes = lower_bound(&p, end);
    return TML_OK;
}

/*
 * Host runner: runs a model through the engine exactly as a board would, for
 * tests and tools on the PC.
 *
 *   tml_run MODEL.tflite IN0.bin [IN1.bin ...] --out-dir DIR [--repeat N]
 *   tml_run MODEL.tflite --plan
 *   tml_run --ops
 *
 * Inputs are raw little-endian bytes in the model's input types. Writes
 * DIR/output0.bin ..., prints one JSON line with the memory figures, the
 * outputs' types and shapes, and the mean invoke time. Exit 1 with the
 * engine's message on stderr on any error.
 *
 * --plan prints, instead of running, the memory plan tml_prepare laid out: one
 * JSON line with the arena size, the liveness lower bound, the arena offset and
 * bytes of every activation and variable tensor, and each node's tensors
 * (inputs, -1 for an optional one left out, then outputs) and its scratch and
 * persistent buffers (offset and bytes).
 *
 * --ops prints the operators this build carries, one JSON line: a list of
 * {"name", "max_version", "typed_input", "types": [dtype names], "hybrid"}
 * from the kernel records (tml_supported_op, tml_supported_op_types).
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinyml.h"
#include "tml_kernel.h" /* node records, for --plan */

static void die(const char *what, const char *detail) {
    fprintf(stderr, "%s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void *alloc_aligned(size_t alignment, size_t n) {
    void *p = NULL;
    return posix_memalign(&p, alignment, n ? n : 1) == 0 ? p : NULL;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        die("cannot open", path);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* 16-byte aligned, as a model in flash or on the heap would be. */
    unsigned char *buf = alloc_aligned(16, (size_t)(n > 0 ? (n + 15) / 16 * 16 : 16));
    if (buf == NULL || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
        die("cannot read", path);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void print_shape(const tml_tensor *t) {
    printf("{\"dtype\":\"%s\",\"shape\":[", tml_dtype_name(t->type));
    for (int d = 0; d < t->ndim; d++) {
        printf("%s%d", d ? "," : "", (int)t->dims[d]);
    }
    printf("]}");
}

static const char *kind_name(uint8_t kind) {
    return kind == TML_TENSOR_VARIABLE ? "variable" : "activation";
}

/* Between tml_prepare and tml_set_arena, arena pointers hold the planner's offsets. */
static void print_plan(const tml_model *m) {
    printf("{\"arena_bytes\":%zu,\"scratch_bytes\":%zu,\"lower_bound_bytes\":%zu,\"tensors\":[",
        m->arena_bytes, m->scratch_bytes, m->lower_bound_bytes);
    int first = 1;
    for (int t = 0; t < m->num_tensors; t++) {
        const tml_tensor *r = &m->tensors[t];
        if (r->kind != TML_TENSOR_ACTIVATION && r->kind != TML_TENSOR_VARIABLE) {
            continue;
        }
        printf("%s{\"index\":%d,\"kind\":\"%s\",\"offset\":%lu,\"bytes\":%u}", first ? "" : ",", t,
            kind_name(r->kind), (unsigned long)(uintptr_t)r->data, (unsigned)r->bytes);
        first = 0;
    }
    printf("],\"inputs\":[");
    for (int i = 0; i < m->num_inputs; i++) {
        printf("%s%d", i ? "," : "", m->input_tensors[i]);
    }
    printf("],\"outputs\":[");
    for (int i = 0; i < m->num_outputs; i++) {
        printf("%s%d", i ? "," : "", m->output_tensors[i]);
    }
    printf("],\"nodes\":[");
    for (int i = 0; i < m->num_nodes; i++) {
        const tml_node *n = &m->nodes[i];
        printf("%s{\"op\":\"%s\",\"inputs\":[", i ? "," : "", n->kernel->name);
        for (int j = 0; j < n->num_inputs; j++) {
            printf("%s%d", j ? "," : "", n->inputs[j]);
        }
        printf("],\"outputs\":[");
        for (int j = 0; j < n->num_outputs; j++) {
            printf("%s%d", j ? "," : "", n->inputs[n->num_inputs + j]);
        }
        printf("],\"scratch_offset\":%lu,\"scratch_bytes\":%u,\"persistent_offset\":%lu,"
               "\"persistent_bytes\":%u}",
            (unsigned long)(uintptr_t)n->scratch, (unsigned)n->scratch_bytes,
            (unsigned long)(uintptr_t)n->persistent, (unsigned)n->persistent_bytes);
    }
    printf("]}\n");
}

static void print_ops(void) {
    printf("[");
    const char *name;
    int max_version;
    for (int i = 0; (name = tml_supported_op(i, &max_version)) != NULL; i++) {
        int typed_input = 0;
        uint32_t types = tml_supported_op_types(i, &typed_input);
        printf("%s{\"name\":\"%s\",\"max_version\":%d,\"typed_input\":%d,\"types\":[", i ? "," : "", name,
            max_version, typed_input);
        int first = 1;
        for (int t = 0; t < 31; t++) {
            if (types & TML_TYPE_BIT(t)) {
                printf("%s\"%s\"", first ? "" : ",", tml_dtype_name(t));
                first = 0;
            }
        }
        printf("],\"hybrid\":%s}", (types & TML_TYPES_HYBRID) ? "true" : "false");
    }
    printf("]\n");
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--ops") == 0) {
        print_ops();
        return 0;
    }
    const char *model_path = NULL, *out_dir = NULL;
    const char *inputs[64];
    int num_inputs = 0, repeat = 1, plan_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out-dir") == 0 && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--plan") == 0) {
            plan_only = 1;
        } else if (model_path == NULL) {
            model_path = argv[i];
        } else if (num_inputs < 64) {
            inputs[num_inputs++] = argv[i];
        }
    }
    if (model_path == NULL) {
        die("usage: tml_run MODEL.tflite IN0.bin [IN1.bin ...] --out-dir DIR [--repeat N] | --plan | tml_run --ops", NULL);
    }
    size_t model_len;
    unsigned char *model_bytes = read_file(model_path, &model_len);
    tml_model m;
    if (tml_load(&m, model_bytes, model_len) != TML_OK) {
        die(m.error, NULL);
    }
    void *state = alloc_aligned(TML_ALIGN, (m.state_bytes + TML_ALIGN - 1) / TML_ALIGN * TML_ALIGN);
    if (tml_prepare(&m, state, m.state_bytes) != TML_OK) {
        die(m.error, NULL);
    }
    if (plan_only) {
        print_plan(&m);
        free(state);
        free(model_bytes);
        return 0;
    }
    size_t arena_len = m.arena_bytes ? m.arena_bytes : 1;
    void *arena = alloc_aligned(TML_ALIGN, (arena_len + TML_ALIGN - 1) / TML_ALIGN * TML_ALIGN);
    if (tml_set_arena(&m, arena, m.arena_bytes) != TML_OK) {
        die(m.error, NULL);
    }
    if (num_inputs != m.num_inputs) {
        fprintf(stderr, "model has %d inputs, %d given\n", m.num_inputs, num_inputs);
        return 1;
    }
    for (int i = 0; i < num_inputs; i++) {
        size_t len;
        unsigned char *data = read_file(inputs[i], &len);
        tml_tensor *t = tml_input(&m, i);
        if (len != t->bytes) {
            fprintf(stderr, "input %d: %s has %zu bytes, the model expects %u (%s, %u elements)\n", i, inputs[i], len,
                (unsigned)t->bytes, tml_dtype_name(t->type), (unsigned)(t->bytes / tml_dtype_size(t->type)));
            return 1;
        }
        memcpy(t->data, data, len);
        free(data);
    }
    double start = now_us();
    for (int r = 0; r < (repeat > 0 ? repeat : 1); r++) {
        if (tml_invoke(&m) != TML_OK) {
            die(m.error, NULL);
        }
    }
    double invoke_us = (now_us() - start) / (repeat > 0 ? repeat : 1);
    for (int i = 0; out_dir && i < m.num_outputs; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/output%d.bin", out_dir, i);
        FILE *f = fopen(path, "wb");
        tml_tensor *t = tml_output(&m, i);
        if (f == NULL || fwrite(t->data, 1, t->bytes, f) != t->bytes) {
            die("cannot write", path);
        }
        fclose(f);
    }
    printf("{\"arena_bytes\":%zu,\"state_bytes\":%zu,\"lower_bound_bytes\":%zu,\"invoke_us\":%.3f,\"inputs\":[",
        m.arena_bytes, m.state_used_bytes, m.lower_bound_bytes, invoke_us);
    for (int i = 0; i < m.num_inputs; i++) {
        printf("%s", i ? "," : "");
        print_shape(tml_input(&m, i));
    }
    printf("],\"outputs\":[");
    for (int i = 0; i < m.num_outputs; i++) {
        printf("%s", i ? "," : "");
        print_shape(tml_output(&m, i));
    }
    printf("]}\n");
    free(arena);
    free(state);
    free(model_bytes);
    return 0;
}

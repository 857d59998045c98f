/* Private to src/int8: the memory plan of the activation tensors, as TensorFlow Lite Micro
 * makes it. The int8 engine places its buffers with it, and the model of TFLM's tensor arena
 * (tflm_arena.c) takes its head section from it, so both agree by construction. */
#ifndef QAT_INT8_PLAN_H
#define QAT_INT8_PLAN_H

#include <stddef.h>

#include "qat/error.h"
#include "qat/ir.h"

/* TFLM's MicroArenaBufferAlignment(): every planned buffer's size and offset, and both ends
 * of the arena, are multiples of it. */
#define QAT_I8_ARENA_ALIGN 16

/* Buffer lifetimes numbered as TFLM's AllocationInfoBuilder numbers them: the graph input
 * is created at step 0; node i's output is created at step i + 1; every tensor node i reads
 * is last used at step i + 1; the graph output lives until step n_nodes. first[t] and
 * last[t] are -1 for a tensor nothing creates (constants, and tensors no node writes). */
void qat_i8_lifetimes(const qat_ir *ir, int *first, int *last);

typedef struct qat_i8_buffer {
    size_t size;      /* bytes, a multiple of QAT_I8_ARENA_ALIGN */
    int first, last;  /* steps during which it is live, inclusive */
    size_t offset;    /* out: where the plan puts it */
} qat_i8_buffer;

/* TFLM's GreedyMemoryPlanner (memory_planner/greedy_memory_planner.cc): buffers taken in
 * decreasing size, equal sizes in the order given; the first at offset 0; each next one in
 * the first gap, walking the placed buffers that are live at the same time in offset order,
 * that holds it, else after the last of them. Sets every offset and *high_water, the arena
 * the plan needs (0 for no buffers). Only allocation can fail. */
qat_status qat_i8_plan(qat_i8_buffer *b, int n, size_t *high_water, qat_error *e);

/* The plan of an IR's activations, with qat_i8_lifetimes and qat_i8_plan: a buffer for each
 * non-constant tensor — for TFLM (tflm = 1) each one with bytes, even one no node writes
 * (TFLM plans those too, with lifetime −1); for the engine (tflm = 0) each one some node
 * writes or the input. offset (n_tensors entries; NULL: not wanted) gets each planned
 * tensor's offset, SIZE_MAX for the others; *n_buffers how many were planned. */
qat_status qat_i8_plan_ir(const qat_ir *ir, int tflm, size_t *offset, size_t *high_water,
                          int *n_buffers, qat_error *e);

#endif

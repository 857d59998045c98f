/* The memory plan of the activation tensors: TFLM's lifetimes and its greedy planner. */
#include "plan.h"

#include <stdint.h>
#include <stdlib.h>

void qat_i8_lifetimes(const qat_ir *ir, int *first, int *last) {
    for (int t = 0; t < ir->n_tensors; t++) first[t] = last[t] = -1;
    first[ir->input] = last[ir->input] = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        const qat_ir_node *n = &ir->nodes[i];
        if (first[n->out] < 0) first[n->out] = i + 1;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) last[n->in[k]] = i + 1;
        last[n->out] = i + 1;
    }
    if (first[ir->output] < 0) first[ir->output] = ir->n_nodes;
    last[ir->output] = ir->n_nodes;
}

static int live_together(const qat_i8_buffer *a, const qat_i8_buffer *b) {
    return !(a->first > b->last || b->first > a->last);
}

/* Where b goes: walk the placed buffers (a list in offset order from *head, linked by
 * next[]) that are live with it; stop at the first gap between the end reached so far and
 * the next one's start that holds b. */
static size_t place(const qat_i8_buffer *all, const int *next, int head, const qat_i8_buffer *b) {
    size_t at = 0;
    for (int j = head; j >= 0; j = next[j]) {
        const qat_i8_buffer *q = &all[j];
        if (!live_together(q, b)) continue;
        if (q->offset >= at && q->offset - at >= b->size) break;
        if (q->offset + q->size > at) at = q->offset + q->size;
    }
    return at;
}

/* Links buffer i into the offset-ordered list, after every entry at the same offset. */
static void link_in(const qat_i8_buffer *all, int *next, int *head, int i) {
    if (all[*head].offset > all[i].offset) {
        next[i] = *head;
        *head = i;
        return;
    }
    int j = *head;
    while (next[j] >= 0 && all[next[j]].offset <= all[i].offset) j = next[j];
    next[i] = next[j];
    next[j] = i;
}

qat_status qat_i8_plan(qat_i8_buffer *b, int n, size_t *high_water, qat_error *e) {
    *high_water = 0;
    if (n <= 0) return QAT_OK;
    int *order = malloc((size_t)n * 2 * sizeof *order);
    if (!order) return qat_error_set(e, QAT_ERR_NOMEM, "memory plan: out of memory");
    int *next = order + n;
    for (int i = 0; i < n; i++) { /* stable: by decreasing size, ties in the given order */
        int k = i;
        for (; k > 0 && b[order[k - 1]].size < b[i].size; k--) order[k] = order[k - 1];
        order[k] = i;
    }
    int head = order[0];
    b[head].offset = 0;
    next[head] = -1;
    for (int k = 1; k < n; k++) {
        b[order[k]].offset = place(b, next, head, &b[order[k]]);
        link_in(b, next, &head, order[k]);
    }
    for (int i = 0; i < n; i++)
        if (b[i].offset + b[i].size > *high_water) *high_water = b[i].offset + b[i].size;
    free(order);
    return QAT_OK;
}

qat_status qat_i8_plan_ir(const qat_ir *ir, int tflm, size_t *offset, size_t *high_water,
                          int *n_buffers, qat_error *e) {
    size_t n = (size_t)(ir->n_tensors ? ir->n_tensors : 1);
    qat_i8_buffer *bufs = malloc(n * sizeof *bufs);
    int *first = malloc(n * 3 * sizeof *first);
    if (!bufs || !first) {
        free(bufs), free(first);
        return qat_error_set(e, QAT_ERR_NOMEM, "int8 memory plan: out of memory");
    }
    int *last = first + n, *tensor = last + n, nb = 0;
    qat_i8_lifetimes(ir, first, last);
    for (int t = 0; t < ir->n_tensors; t++) {
        const qat_ir_tensor *x = &ir->tensors[t];
        size_t bytes = qat_ir_tensor_count(x) * qat_ir_type_size(x->type);
        if (x->data || (tflm ? bytes == 0 : first[t] < 0)) continue;
        size_t size = (bytes + QAT_I8_ARENA_ALIGN - 1) / QAT_I8_ARENA_ALIGN * QAT_I8_ARENA_ALIGN;
        tensor[nb] = t;
        bufs[nb++] = (qat_i8_buffer){size, first[t], last[t], 0};
    }
    qat_status st = qat_i8_plan(bufs, nb, high_water, e);
    for (int t = 0; offset && t < ir->n_tensors; t++) offset[t] = SIZE_MAX;
    for (int i = 0; offset && !st && i < nb; i++) offset[tensor[i]] = bufs[i].offset;
    *n_buffers = nb;
    free(bufs);
    free(first);
    return st;
}

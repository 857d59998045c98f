/* Element-wise activations. ReLU: y = max(x, 0), dx += dy·[x > 0].
 * ReLU6: y = min(max(x, 0), 6), dx += dy·[0 < x < 6]. */
#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "op_impl.h"
#include "qat/ops.h"

static int unary(qat_graph *g, qat_op op, const char *name, int x) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    int ndim = X->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, X->dim, sizeof dim);
    return qat_op_node(g, op, name, 1, &x, ndim, dim);
}

int qat_relu(qat_graph *g, const char *name, int x) {
    return unary(g, QAT_OP_RELU, name, x);
}

int qat_relu6(qat_graph *g, const char *name, int x) {
    return unary(g, QAT_OP_RELU6, name, x);
}

/* Both directions are selects, not branches: a ReLU's input signs are a coin toss, and a
 * mispredicted branch per value cost more than the arithmetic. gcc keeps a branch for the
 * scalar `x > 0 ? x : 0` (maxss differs from it only in operand order, which SSE's
 * max(x, 0) / min(v, hi) get right: x > 0 ? x : 0 and v < hi ? v : hi, NaN and −0 included),
 * so four values go at a time through SSE2 (every x86-64 has it), the same numbers as the
 * scalar tail. */
static void clamp_forward(qat_graph *g, qat_node *n, const qat_pass *p, float hi) {
    const float *x = qat_in(g, n, 0)->val;
    float *y = n->val;
    size_t len = qat_node_len(n, p->batch), i = 0;
#if defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps(), top = _mm_set1_ps(hi);
    for (; i + 4 <= len; i += 4)
        _mm_storeu_ps(y + i, _mm_min_ps(_mm_max_ps(_mm_loadu_ps(x + i), zero), top));
#endif
    for (; i < len; i++) {
        float v = x[i] > 0 ? x[i] : 0.0f;
        y[i] = v < hi ? v : hi;
    }
}

static void clamp_backward(qat_graph *g, qat_node *n, const qat_pass *p, float hi) {
    qat_node *X = qat_in(g, n, 0);
    const float *x = X->val, *dy = n->grad;
    float *dx = X->grad;
    size_t len = qat_node_len(n, p->batch), i = 0;
#if defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps(), top = _mm_set1_ps(hi);
    for (; i + 4 <= len; i += 4) {
        __m128 v = _mm_loadu_ps(x + i);
        __m128 pass = _mm_and_ps(_mm_cmpgt_ps(v, zero), _mm_cmplt_ps(v, top));
        _mm_storeu_ps(dx + i, _mm_add_ps(_mm_loadu_ps(dx + i),
                                         _mm_and_ps(pass, _mm_loadu_ps(dy + i))));
    }
#endif
    for (; i < len; i++) dx[i] += x[i] > 0 && x[i] < hi ? dy[i] : 0.0f;
}

void qat_relu_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_forward(g, n, p, INFINITY);
}

void qat_relu_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_backward(g, n, p, INFINITY);
}

void qat_relu6_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_forward(g, n, p, 6.0f);
}

void qat_relu6_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_backward(g, n, p, 6.0f);
}

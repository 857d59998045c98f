/* MaxPool1D, window = stride = pool, channels last. 'same' pads as TensorFlow does
 * (total max((T'−1)·pool + pool − T, 0), left half rounded down); padded cells never win.
 * Forward keeps the argmax; backward routes dy to it. */
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "op_impl.h"
#include "qat/ops.h"

int qat_maxpool1d(qat_graph *g, const char *name, int x, int pool, qat_padding pad) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    QAT_ASSERT(X->ndim == 2 && pool > 0);
    int T = X->dim[0], tout = pad == QAT_PAD_VALID ? T / pool : (T + pool - 1) / pool;
    QAT_ASSERT(tout > 0);
    int dim[2] = {tout, X->dim[1]};
    int id = qat_op_node(g, QAT_OP_MAXPOOL1D, name, 1, &x, 2, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    int total = (tout - 1) * pool + pool - T;
    *QAT_NODE_PARAMS(qat_maxpool1d_params, n, QAT_OP_MAXPOOL1D) =
        (qat_maxpool1d_params){pool, pad == QAT_PAD_SAME && total > 0 ? total / 2 : 0};
    n->aux_sample = n->size * sizeof(int32_t);
    return id;
}

/* One window tap: where x[c] > v[c], v[c] = x[c] and a[c] = at + c. Selects, not
 * branches: which tap wins is a coin toss, and a mispredicted branch per value cost more
 * than the rest; four channels at a time through SSE2 (every x86-64 has it). */
static void tap(const float *x, int32_t at, int C, float *v, int32_t *a) {
    int c = 0;
#if defined(__SSE2__)
    const __m128i step = _mm_set_epi32(3, 2, 1, 0);
    for (; c + 4 <= C; c += 4) {
        __m128 xv = _mm_loadu_ps(x + c), vv = _mm_loadu_ps(v + c);
        __m128 gt = _mm_cmpgt_ps(xv, vv);
        __m128i g = _mm_castps_si128(gt), idx = _mm_add_epi32(_mm_set1_epi32(at + c), step);
        __m128i av = _mm_loadu_si128((const __m128i *)(a + c));
        _mm_storeu_ps(v + c, _mm_or_ps(_mm_and_ps(gt, xv), _mm_andnot_ps(gt, vv)));
        _mm_storeu_si128((__m128i *)(a + c), _mm_or_si128(_mm_and_si128(g, idx),
                                                          _mm_andnot_si128(g, av)));
    }
#endif
    for (; c < C; c++) {
        int gt = x[c] > v[c];
        v[c] = gt ? x[c] : v[c];
        a[c] = gt ? at + c : a[c];
    }
}

/* Channels innermost: each window tap is one contiguous row compared against the running
 * maximum of every channel at once. */
void qat_maxpool1d_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_node *X = qat_in(g, n, 0);
    const qat_maxpool1d_params *mp = QAT_NODE_PARAMS(qat_maxpool1d_params, n, QAT_OP_MAXPOOL1D);
    int T = X->dim[0], C = X->dim[1], tout = n->dim[0], pool = mp->pool, pad = mp->pad_left;
    int32_t *arg = (int32_t *)n->aux;
    for (int b = 0; b < p->batch; b++)
        for (int t = 0; t < tout; t++) {
            int lo = t * pool - pad, hi = lo + pool;
            lo = lo < 0 ? 0 : lo;
            hi = hi > T ? T : hi;
            size_t o = ((size_t)b * tout + t) * C;
            float *v = n->val + o;
            int32_t *a = arg + o;
            for (int c = 0; c < C; c++) {
                a[c] = (b * T + lo) * C + c;
                v[c] = X->val[a[c]];
            }
            for (int ti = lo + 1; ti < hi; ti++) /* selects, not branches (random order) */
                tap(X->val + ((size_t)b * T + ti) * C, (b * T + ti) * C, C, v, a);
        }
}

void qat_maxpool1d_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *X = qat_in(g, n, 0);
    if (!X->needs_grad) return;
    const int32_t *arg = (const int32_t *)n->aux;
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) X->grad[arg[i]] += n->grad[i];
}

/* Empirical bias correction (quant.h qat_qmodel_bias_correct): the mean of each operator's
 * pre-activation output over the calibration set, quantized against float, matched by its
 * bias, operator after operator. */
#include <stdlib.h>
#include <string.h>

#include "qat/quant.h"

/* The bias value the operator's mean is matched with: the bias param, or β when a batch
 * norm is folded in (b' = β + (b − μ)·m moves with β one for one); NULL when it has neither
 * (a separable conv's depthwise half, a layer without bias). */
static float *bias_of(qat_qmodel *qm, const qat_qlayer *q) {
    qat_graph *g = &qm->m.g;
    if (q->bn >= 0) return g->nodes[qm->m.layer[q->bn].beta].val;
    if (q->b_real >= 0 && g->nodes[q->b_real].op == QAT_OP_PARAM) return g->nodes[q->b_real].val;
    return NULL;
}

/* Per-channel means of operator q's pre-activation output over d, in the pass mode given
 * (calibrate: the float model; else the quantized one), running the graph only that far. */
static void channel_means(qat_qmodel *qm, const qat_qlayer *q, const qat_dataset *d,
                          int calibrate, double *mean) {
    qat_graph *g = &qm->m.g;
    const qat_node *y = &g->nodes[q->node];
    int c = y->dim[y->ndim - 1];
    long rows = 0;
    for (int k = 0; k < c; k++) mean[k] = 0;
    for (int start = 0; start < d->n; start += g->max_batch) {
        int b = d->n - start < g->max_batch ? d->n - start : g->max_batch;
        qat_pass p = {.batch = b, .calibrate = calibrate};
        qat_dataset_read(d, start, b, g->nodes[qm->m.input].val);
        qat_graph_forward(g, &p, q->node + 1);
        size_t r = qat_node_len(y, b) / (size_t)c;
        for (size_t i = 0; i < r; i++)
            for (int k = 0; k < c; k++) mean[k] += y->val[i * (size_t)c + (size_t)k];
        rows += (long)r;
    }
    for (int k = 0; k < c; k++) mean[k] /= rows > 0 ? (double)rows : 1;
}

/* The channels of every operator's output, in order: where its means start in one array. */
static size_t layout(const qat_qmodel *qm, size_t *at) {
    size_t total = 0;
    for (int i = 0; i < qm->n_q; i++) {
        const qat_node *y = &qm->m.g.nodes[qm->q[i].node];
        at[i] = total;
        total += (size_t)y->dim[y->ndim - 1];
    }
    return total;
}

qat_status qat_qmodel_bias_correct(qat_qmodel *qm, const qat_dataset *d, int *corrected,
                                   qat_error *e) {
    qat_graph *g = &qm->m.g;
    *corrected = 0;
    size_t at[QAT_MAX_LAYERS], total = layout(qm, at);
    /* The float means first: the biases the float passes read are the ones corrected. The
     * float passes run in calibration mode, where the observers would move: their ranges
     * (min/max, or what MSE / KL chose) are put back. */
    float *state = malloc((g->n_state + 1) * sizeof(float));
    double *f = malloc(2 * (total + 1) * sizeof(double)), *z = f ? f + total + 1 : NULL;
    if (!state || !f) {
        free(state);
        free(f);
        return qat_error_set(e, QAT_ERR_NOMEM, "bias correction: out of memory");
    }
    memcpy(state, g->state, g->n_state * sizeof(float));
    for (int i = 0; i < qm->n_q; i++)
        if (qm->q[i].w_fq >= 0 && bias_of(qm, &qm->q[i])) channel_means(qm, &qm->q[i], d, 1, f + at[i]);
    memcpy(g->state, state, g->n_state * sizeof(float));
    for (int i = 0; i < qm->n_q; i++) { /* then each operator after the ones before it */
        const qat_qlayer *q = &qm->q[i];
        float *bias = q->w_fq >= 0 ? bias_of(qm, q) : NULL;
        if (!bias) continue;
        channel_means(qm, q, d, 0, z + at[i]);
        const qat_node *y = &g->nodes[q->node];
        for (int k = 0; k < y->dim[y->ndim - 1]; k++) bias[k] += (float)(f[at[i] + k] - z[at[i] + k]);
        ++*corrected;
    }
    free(state);
    free(f);
    return QAT_OK;
}

/* Learned quantization ranges (LSQ, PACT; quant.h): the step-size gradient rule and starting
 * the learned parameters from the calibrated model. The fake-quant ops use them
 * (fake_quant.c). */
#include <math.h>

#include "qat/quant.h"
#include "fq_state.h"

const char *qat_act_quantizer_name(qat_act_quantizer k) {
    static const char *const names[] = {"observer", "lsq", "pact"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_ACTQ_COUNT, "act quantizer names");
    return (unsigned)k < QAT_ACTQ_COUNT ? names[k] : "unknown";
}

const char *qat_weight_quantizer_name(qat_weight_quantizer k) {
    static const char *const names[] = {"max", "lsq"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_WQ_COUNT, "weight quantizer names");
    return (unsigned)k < QAT_WQ_COUNT ? names[k] : "unknown";
}

/* LSQ (Esser et al. 2020, eq. 3) with the levels relative to the zero point, -Qn = qmin − zp
 * and Qp = qmax − zp: v = x/s; −Qn if v ≤ −Qn, Qp if v ≥ Qp, else round(v) − v with the
 * forward pass's rounding (half away from zero). */
double qat_lsq_step_grad(float x, float s, int32_t zp, int qmin, int qmax) {
    double v = (double)x / s, lo = (double)(qmin - zp), hi = (double)(qmax - zp);
    if (v <= lo) return lo;
    if (v >= hi) return hi;
    return (double)(qat_quantize_float(x, s, zp, qmin, qmax) - zp) - v;
}

/* 1/√(N·Qp): the step's gradient brought to the scale of the values' (LSQ §2.2). */
double qat_lsq_grad_scale(size_t n, int qp) {
    return 1.0 / sqrt((double)n * (double)(qp > 0 ? qp : 1));
}

static void start_act(qat_graph *g, qat_node *n) {
    const qat_fake_quant_params *q = QAT_NODE_PARAMS_CONST(qat_fake_quant_params, n, QAT_OP_FAKE_QUANT);
    float scale;
    int32_t zp;
    qat_fq_act_qparams(g, (int)(n - g->nodes), &scale, &zp); /* the observer's: not started */
    g->nodes[n->in[1]].val[0] =
        q->quantizer == QAT_ACTQ_PACT ? (float)(q->qmax - zp) * scale : scale;
    g->state[n->offset + OBS_LEARNING] = 1;
}

/* LSQ's initial step 2·mean|w| / √Qp for each scale group (Esser et al. §2.1), from the
 * kernel of the last forward pass. */
static void start_weights(qat_graph *g, qat_node *n) {
    const qat_fq_weight_params *wp = QAT_NODE_PARAMS_CONST(qat_fq_weight_params, n, QAT_OP_FQ_WEIGHT);
    int rows, row;
    qat_weight_layout(n, wp->per_channel, &rows, &row);
    const float *w = g->nodes[n->in[0]].val;
    for (int c = 0; c < qat_weight_group_count(wp->per_channel, rows, row); c++) {
        qat_weight_group gr = qat_weight_group_of(wp->per_channel, rows, row, c);
        double sum = 0;
        for (size_t i = 0, k = gr.first; i < gr.count; i++, k += gr.stride) sum += fabs(w[k]);
        g->nodes[n->in[1]].val[c] = (float)(2 * sum / (double)gr.count / sqrt((double)wp->qmax));
    }
    g->state[n->offset] = 1;
}

void qat_qmodel_learn_init(qat_qmodel *qm) {
    qat_graph *g = &qm->m.g;
    for (int i = 0; i < g->n_nodes; i++) {
        qat_node *n = &g->nodes[i];
        if (n->op == QAT_OP_FAKE_QUANT && n->n_in == 2) start_act(g, n);
        if (n->op == QAT_OP_FQ_WEIGHT && n->n_in == 2) start_weights(g, n);
    }
}

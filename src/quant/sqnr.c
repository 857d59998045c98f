/* Per-tensor quantization error, float model against the int8 engine (see quant.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/int8.h"
#include "qat/quant.h"

typedef struct probe {
    int tensor;        /* IR tensor */
    int node;          /* float model node with the same values */
    double sig, noise; /* Σf², Σ(f − q̂)² */
} probe;

typedef struct tracer {
    const qat_ir *ir;
    const qat_graph *g;
    probe *p;
    int n;
} tracer;

static void on_tensor(void *ctx, int node, int tensor, const void *data) {
    (void)node;
    tracer *t = ctx;
    for (int k = 0; k < t->n; k++) {
        probe *p = &t->p[k];
        if (p->tensor != tensor) continue;
        const qat_ir_tensor *it = &t->ir->tensors[tensor];
        const float *f = t->g->nodes[p->node].val;
        const int8_t *q = data;
        size_t n = qat_ir_tensor_count(it);
        float s = it->q.scale[0];
        int32_t zp = it->q.zero_point[0];
        for (size_t i = 0; i < n; i++) {
            double d = f[i] - (double)s * (q[i] - zp);
            p->sig += (double)f[i] * f[i];
            p->noise += d * d;
        }
    }
}

static int tensor_named(const qat_ir *ir, const char *name) {
    for (int i = 0; i < ir->n_tensors; i++)
        if (!strcmp(ir->tensors[i].name, name) && ir->tensors[i].type == QAT_IR_INT8) return i;
    return -1;
}

/* The IR tensors worth measuring and their float counterparts: input and every layer. */
static int probes(const qat_ir *ir, const qat_qmodel *qm, const qat_model *fm, probe *p) {
    int n = 0;
    p[n++] = (probe){ir->input, fm->input, 0, 0};
    for (int i = 0; i < qm->n_q; i++) {
        const qat_qlayer *q = &qm->q[i];
        if (q->depthwise_half) continue; /* its layer's tensor is the pointwise half's */
        int t = tensor_named(ir, qm->m.spec[q->spec].name);
        if (t >= 0) p[n++] = (probe){t, fm->layer[q->last].out, 0, 0};
    }
    return n;
}

qat_status qat_sqnr(const qat_ir *ir, const qat_qmodel *qm, qat_model *fm, const qat_dataset *d,
                    qat_tensor_sqnr *out, int *n, qat_error *e) {
    probe p[QAT_MAX_LAYERS + 1];
    qat_i8_engine eng;
    qat_status st = qat_i8_prepare(&eng, ir, "SQNR measurement", e);
    if (st) return st;
    const qat_ir_tensor *in = &ir->tensors[ir->input], *o = &ir->tensors[ir->output];
    QAT_ASSERT(in->type == QAT_IR_INT8);
    size_t per = qat_ir_tensor_count(in); /* one sample: (window, channels) or (H, W, C) */
    int8_t *x = malloc(per), *y = malloc(qat_ir_tensor_count(o));
    float *xi = malloc(per * sizeof *xi);
    if (!x || !y || !xi) {
        free(x);
        free(y);
        free(xi);
        qat_i8_free(&eng);
        return qat_error_set(e, QAT_ERR_NOMEM, "SQNR: out of memory");
    }
    tracer t = {ir, &fm->g, p, probes(ir, qm, fm, p)};
    for (int i = 0; i < d->n; i++) {
        qat_dataset_read(d, i, 1, xi);
        qat_pass pass = {.batch = 1};
        memcpy(fm->g.nodes[fm->input].val, xi, per * sizeof(float));
        qat_graph_forward(&fm->g, &pass, fm->logits + 1);
        qat_i8_quantize(xi, per, in->q.scale[0], in->q.zero_point[0], x);
        qat_i8_invoke_traced(&eng, x, y, on_tensor, &t);
    }
    for (int k = 0; k < t.n; k++) {
        snprintf(out[k].name, sizeof out[k].name, "%s", ir->tensors[p[k].tensor].name);
        out[k].sqnr_db = qat_sqnr_db(p[k].sig, p[k].noise);
    }
    *n = t.n;
    free(x);
    free(y);
    free(xi);
    qat_i8_free(&eng);
    return QAT_OK;
}

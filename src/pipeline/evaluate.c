/* The report's computed figures (evaluate.h): confusion matrices, weight histograms, the
 * model table's rows. */
#include "qat/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* ---------------------------------------------------------------- confusion matrices */

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static void tally(qat_confusion *c, const qat_dataset *t, const int *pred) {
    int k = t->n_classes, right = 0;
    for (int i = 0; i < t->n; i++) {
        c->count[t->y[i] * k + pred[i]]++;
        right += pred[i] == t->y[i];
    }
    c->accuracy = t->n ? (double)right / t->n : 0;
}

/* Float predictions with the float model, int8 ones with the integer engine on the QAT IR. */
static qat_status confusion(qat_pipeline *p, qat_evaluation *ev, qat_error *e) {
    const qat_dataset *t = &p->test;
    int k = t->n_classes;
    int *pred = malloc(((size_t)t->n + 1) * sizeof(int));
    float *prob = malloc(((size_t)t->n * k + 1) * sizeof(float));
    qat_status st = pred && prob ? QAT_OK : QAT_ERR_NOMEM;
    for (int m = 0; m < (p->quantized ? 2 : 1) && !st; m++) {
        ev->confusion[m].n_classes = k;
        if (!(ev->confusion[m].count = calloc((size_t)k * k, sizeof(int)))) st = QAT_ERR_NOMEM;
    }
    if (st) st = qat_error_set(e, QAT_ERR_NOMEM, "evaluating the models: out of memory");
    if (!st) {
        qat_model_predict_data(&p->model, t, prob);
        for (int i = 0; i < t->n; i++) pred[i] = argmax(prob + (size_t)i * k, k);
        tally(&ev->confusion[QAT_EVAL_FLOAT32], t, pred);
    }
    if (!st && p->quantized) {
        double acc;
        st = qat_int8_evaluate(&p->ir_qat, t, pred, NULL, &acc, NULL, e);
        if (!st) tally(&ev->confusion[QAT_EVAL_INT8_QAT], t, pred);
    }
    free(pred);
    free(prob);
    return st;
}

/* ---------------------------------------------------------------- weight histograms */

/* The float model's kernel of layer i, batch norm folded in when one follows (as exported:
 * w' = w·γ/√(σ²+ε) per output channel). */
static float *float_kernel(const qat_model *m, int i, size_t *n) {
    const qat_graph *g = &m->g;
    const qat_node *W = &g->nodes[m->layer[i].w];
    float *w = malloc(W->size * sizeof(float) + 1);
    if (!w) return NULL;
    memcpy(w, W->val, W->size * sizeof(float));
    *n = W->size;
    if (i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM) {
        const qat_model_layer *lb = &m->layer[i + 1];
        /* a depthwise kernel's channels are its last axis, any other's its rows */
        int last = g->nodes[m->layer[i].linear].op == QAT_OP_DEPTHWISE_CONV2D;
        int c = last ? W->dim[W->ndim - 1] : W->dim[0];
        const float *mu = g->state + g->nodes[lb->out].offset, *var = mu + c;
        for (int o = 0; o < c; o++) {
            float gamma = lb->gamma >= 0 ? g->nodes[lb->gamma].val[o] : 1.0f;
            qat_bn_fold_kernel_channel(w, W->size, c, last, o, gamma,
                                       qat_bn_inv_std(var[o], m->spec[i + 1].epsilon), w);
        }
    }
    return w;
}

/* The int8 kernel "<layer>/kernel" of an IR, dequantized with its scales (*w NULL if
 * absent); -1 when out of memory. */
static int int8_kernel(const qat_ir *ir, const char *layer, float **w, size_t *n) {
    char name[QAT_IR_NAME_MAX + QAT_NAME_MAX];
    snprintf(name, sizeof name, "%s/kernel", layer);
    for (int t = 0; t < ir->n_tensors; t++) {
        const qat_ir_tensor *T = &ir->tensors[t];
        if (strcmp(T->name, name) || T->type != QAT_IR_INT8 || !T->data || T->q.n < 1) continue;
        size_t count = qat_ir_tensor_count(T), inner = 1;
        for (int d = T->q.axis + 1; d < T->ndim; d++) inner *= (size_t)T->dim[d];
        if (!(*w = malloc(count * sizeof(float) + 1))) return -1;
        const int8_t *q = T->data;
        for (size_t j = 0; j < count; j++) {
            int c = T->q.n > 1 ? (int)((j / inner) % (size_t)T->dim[T->q.axis]) : 0;
            int32_t zp = T->q.zero_point ? T->q.zero_point[c] : 0;
            (*w)[j] = T->q.scale[c] * (float)(q[j] - zp);
        }
        *n = count;
        return 0;
    }
    *w = NULL;
    return 0;
}

static int bin_of(double v, double r) {
    int b = (int)floor((v + r) / (2 * r) * QAT_HIST_BINS);
    return b < 0 ? 0 : b >= QAT_HIST_BINS ? QAT_HIST_BINS - 1 : b;
}

/* Bins a (float) and b (int8, may be NULL) over ±max|w| of both. */
static void histogram(qat_weight_hist *h, const float *a, size_t na, const float *b, size_t nb) {
    double r = 0;
    for (size_t i = 0; i < na; i++) r = fmax(r, fabs(a[i]));
    for (size_t i = 0; b && i < nb; i++) r = fmax(r, fabs(b[i]));
    if (!(r > 0)) r = 1;
    h->range = r;
    h->has_int8 = b != NULL;
    for (size_t i = 0; i < na; i++) h->float_count[bin_of(a[i], r)]++;
    for (size_t i = 0; b && i < nb; i++) h->int8_count[bin_of(b[i], r)]++;
}

/* One histogram per conv/dense layer of the float model, against the QAT IR's kernels. */
static qat_status histograms(const qat_pipeline *p, qat_evaluation *ev, qat_error *e) {
    const qat_model *m = &p->model;
    if (!(ev->hist = calloc((size_t)m->n_layers + 1, sizeof *ev->hist)))
        return qat_error_set(e, QAT_ERR_NOMEM, "evaluating the models: out of memory");
    for (int i = 0; i < m->n_layers; i++) {
        if (m->layer[i].w < 0) continue;
        size_t na = 0, nb = 0;
        float *a = float_kernel(m, i, &na), *b = NULL;
        int nomem = !a || int8_kernel(&p->ir_qat, m->spec[i].name, &b, &nb);
        if (!nomem) {
            qat_weight_hist *h = &ev->hist[ev->n_hist++];
            h->layer = m->spec[i].name;
            histogram(h, a, na, b, nb);
        }
        free(a);
        free(b);
        if (nomem) return qat_error_set(e, QAT_ERR_NOMEM, "evaluating the models: out of memory");
    }
    return QAT_OK;
}

qat_status qat_pipeline_evaluate(qat_pipeline *p, qat_evaluation *ev, qat_error *e) {
    *ev = (qat_evaluation){0};
    qat_status st = confusion(p, ev, e);
    if (!st && p->quantized) st = histograms(p, ev, e);
    if (st) qat_evaluation_free(ev);
    return st;
}

void qat_evaluation_free(qat_evaluation *ev) {
    for (int m = 0; m < QAT_EVAL_MODEL_COUNT; m++) free(ev->confusion[m].count);
    free(ev->hist);
    *ev = (qat_evaluation){0};
}

/* ---------------------------------------------------------------- the model table */

qat_layer_row qat_model_layer_row(const qat_model *m, int i) {
    const qat_layer_spec *s = &m->spec[i];
    const qat_node *out = &m->g.nodes[m->layer[i].out];
    int affine = qat_layer_has_kernel(s->kind);
    qat_layer_row r = {.name = s->name, .type = qat_layer_kind_name(s->kind),
                       .activation = affine ? qat_activation_name(s->activation) : NULL,
                       .ndim = out->ndim, .parameters = qat_model_layer_params(m, i)};
    memcpy(r.dim, out->dim, sizeof r.dim);
    return r;
}

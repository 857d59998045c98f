/* int8 inference speed of 2-D models in qatrain's integer engine.
 *
 *   make build/bench/bench_int8_2d && build/bench/bench_int8_2d
 *
 * Two models with random weights (the speed does not depend on them), each quantized and
 * lowered exactly as the pipeline does (PTQ calibration on random inputs, qat_lower):
 *   lab:       28×28×1 → conv2d 16 3×3 relu → maxpool 2 → conv2d 32 3×3 relu → maxpool 2
 *              → flatten → dense 10
 *   separable: 32×32×1 → conv2d 16 3×3 s2 SAME → batchnorm → relu6 → separable 32 3×3 SAME
 *              (depthwise 3×3, 1×1 conv2d 32) → batchnorm → relu6 → global avgpool → dense 10
 * µs per image, batch 1, median of 7 rounds; the engine runs one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/clock.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"

#define ROUNDS 7
#define CAL 32

static qat_model_layer *add(qat_model *m, const char *name, qat_layer_kind kind,
                            qat_activation act) {
    qat_layer_spec *s = &m->spec[m->n_layers];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->kind = kind;
    s->activation = act;
    s->epsilon = 1e-3;
    s->momentum = 0.99;
    qat_model_layer *l = &m->layer[m->n_layers++];
    *l = (qat_model_layer){-1, -1, -1, -1, -1, -1, -1};
    return l;
}

static int param(qat_graph *g, const char *layer, const char *what, int ndim, const int *dim) {
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/%s", layer, what);
    return qat_graph_param(g, nm, ndim, dim);
}

/* A conv2d (depthwise when dw) layer; kind is what the quantizer reads (not batchnorm). */
static int conv(qat_model *m, int x, const char *name, int dw, int o, int k, int stride,
                qat_padding pad, qat_activation act) {
    qat_graph *g = &m->g;
    int cin = g->nodes[x].dim[2];
    qat_model_layer *l = add(m, name, QAT_LAYER_CONV1D, act);
    int wd[4] = {dw ? 1 : o, k, k, dw ? cin * o : cin}, bd[1] = {dw ? cin * o : o};
    l->w = param(g, name, "kernel", 4, wd);
    l->b = param(g, name, "bias", 1, bd);
    qat_conv2d_params cp = {stride, stride, pad, dw ? o : 1, 0, 0};
    l->linear = dw ? qat_depthwise_conv2d(g, name, x, l->w, l->b, &cp)
                   : qat_conv2d(g, name, x, l->w, l->b, &cp);
    return l->out = act == QAT_ACT_RELU ? qat_relu(g, name, l->linear) : l->linear;
}

static int bn_relu6(qat_model *m, int x, const char *bn, const char *r6) {
    qat_model_layer *l = add(m, bn, QAT_LAYER_BATCHNORM, QAT_ACT_NONE);
    int cd[1] = {m->g.nodes[x].dim[2]};
    l->gamma = param(&m->g, bn, "gamma", 1, cd);
    l->beta = param(&m->g, bn, "beta", 1, cd);
    x = l->out = qat_batchnorm(&m->g, bn, x, l->gamma, l->beta, 0.99, 1e-3);
    return add(m, r6, QAT_LAYER_RELU6, QAT_ACT_NONE)->out = qat_relu6(&m->g, r6, x);
}

static int pool(qat_model *m, int x, const char *name, int global) {
    qat_pool2d_params pp = {2, 2, 2, 2, QAT_PAD_VALID, 0, 0};
    return add(m, name, QAT_LAYER_FLATTEN, QAT_ACT_NONE)->out =
               global ? qat_global_avgpool(&m->g, name, x) : qat_maxpool2d(&m->g, name, x, &pp);
}

/* [flatten →] dense 10 (global average pooling gives the dense its (C) input directly) */
static void finish(qat_model *m, int x, int h, int w) {
    qat_graph *g = &m->g;
    if (g->nodes[x].ndim > 1)
        x = add(m, "flatten", QAT_LAYER_FLATTEN, QAT_ACT_NONE)->out = qat_flatten(g, "flatten", x);
    qat_model_layer *l = add(m, "fc", QAT_LAYER_DENSE, QAT_ACT_SOFTMAX);
    int wd[2] = {10, (int)g->nodes[x].size}, bd[1] = {10};
    l->w = param(g, "fc", "kernel", 2, wd);
    l->b = param(g, "fc", "bias", 1, bd);
    m->logits = l->out = l->linear = qat_dense(g, "fc", x, l->w, l->b);
    m->loss = qat_softmax_xent(g, "loss", m->logits);
    m->window = h * w;
    m->channels = 1;
    m->n_classes = 10;
}

static void build(qat_model *m, int separable) {
    memset(m, 0, sizeof *m);
    qat_graph_init(&m->g);
    int n = separable ? 32 : 28, in[3] = {n, n, 1};
    int x = m->input = qat_graph_input(&m->g, "input", 3, in);
    if (!separable) {
        x = conv(m, x, "conv1", 0, 16, 3, 1, QAT_PAD_VALID, QAT_ACT_RELU);
        x = pool(m, x, "pool1", 0);
        x = conv(m, x, "conv2", 0, 32, 3, 1, QAT_PAD_VALID, QAT_ACT_RELU);
        x = pool(m, x, "pool2", 0);
    } else {
        x = conv(m, x, "conv1", 0, 16, 3, 2, QAT_PAD_SAME, QAT_ACT_NONE);
        x = bn_relu6(m, x, "bn1", "relu1");
        x = conv(m, x, "sep/depthwise", 1, 1, 3, 1, QAT_PAD_SAME, QAT_ACT_NONE);
        x = conv(m, x, "sep", 0, 32, 1, 1, QAT_PAD_VALID, QAT_ACT_NONE);
        x = bn_relu6(m, x, "bn2", "relu2");
        x = pool(m, x, "gap", 1);
    }
    finish(m, x, n, n);
}

static void fill(float *v, size_t n, unsigned *seed, float lo, float hi) {
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = lo + (hi - lo) * (float)((*seed >> 8) & 0xffff) / 65536.0f;
    }
}

static int bench(const char *what, int separable) {
    static qat_model fm;
    static qat_qmodel qm;
    qat_error e = {0};
    build(&fm, separable);
    if (qat_graph_compile(&fm.g, CAL, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    unsigned seed = 7;
    fill(fm.g.params, fm.g.n_params, &seed, -0.2f, 0.2f);
    qat_quant_config qc = {.ptq_observer = QAT_OBS_MINMAX, .per_channel_conv = 1,
                           .weight_bits = 8, .act_bits = 8};
    if (qat_qmodel_build(&qm, &fm, &qc, CAL, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    size_t per = qm.m.g.nodes[qm.m.input].size;
    float *x = malloc(per * CAL * sizeof(float));
    if (!x) return 1;
    fill(x, per * CAL, &seed, 0, 1);
    qat_dataset d = {.n = CAL, .x = x};
    qat_qmodel_calibrate(&qm, &d, QAT_OBS_MINMAX);
    qat_ir ir;
    qat_i8_engine eng;
    if (qat_lower(&qm, QAT_LOWER_INT8, &ir, &e) || qat_i8_prepare(&eng, &ir, &e))
        return fprintf(stderr, "%s\n", e.msg), 1;
    int8_t *xq = malloc(per * CAL), y[16];
    if (!xq) return 1;
    const qat_ir_tensor *in = &ir.tensors[ir.input];
    qat_i8_quantize(x, per * CAL, in->q.scale[0], in->q.zero_point[0], xq);
    double t[ROUNDS];
    int reps = separable ? 2000 : 1000;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = qat_clock();
        for (int k = 0; k < reps; k++) qat_i8_invoke(&eng, xq + (size_t)(k % CAL) * per, y);
        t[r] = (qat_clock() - t0) / reps;
    }
    printf("%-10s int8 engine: %8.1f us/image  (%d IR ops, batch 1, median of %d rounds)\n", what,
           1e6 * qat_median(t, ROUNDS), ir.n_nodes, ROUNDS);
    free(x);
    free(xq);
    qat_i8_free(&eng);
    qat_ir_free(&ir);
    qat_qmodel_free(&qm);
    qat_graph_free(&fm.g);
    return 0;
}

int main(void) {
    return bench("lab conv2d", 0) || bench("separable", 1);
}

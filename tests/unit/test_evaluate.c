/* What report.html shows from the models (evaluate.h), on a lesson shortened to seconds with
 * Conv1D + BatchNorm + ReLU6 first: the confusion matrices agree with the pipeline's own test
 * accuracies and the test split's class counts; each weight histogram counts every weight of
 * its kernel, the float one folded with its batch norm as the definition says; the model
 * table's rows add up to the model's parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/evaluate.h"
#include "stacks.h"

static qat_pipeline p;
static qat_evaluation ev;

static int setup(void **s) {
    (void)s;
    static qat_config cfg;
    qat_error e = {0};
    qat_test_lesson_bn_relu6(&cfg, 0.99);
    cfg.data.samples_per_class = 60;
    cfg.train.epochs = 3;
    cfg.quant.epochs = 2;
    cfg.prune.enabled = 0;
    qat_pipeline_init(&p, &cfg);
    if (qat_pipeline_data(&p, &e) || qat_pipeline_build(&p, &e) ||
        qat_pipeline_train(&p, NULL, NULL, &e) || qat_pipeline_quantize(&p, NULL, NULL, &e) ||
        qat_pipeline_evaluate(&p, &ev, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **s) {
    (void)s;
    qat_evaluation_free(&ev);
    qat_pipeline_free(&p);
    return 0;
}

/* Rows: each true class has its test samples; the diagonal gives the accuracy the pipeline
 * measured on its own (float evaluation, integer engine). */
static void check_confusion(const qat_confusion *c, double accuracy) {
    int k = p.test.n_classes;
    assert_int_equal(c->n_classes, k);
    assert_non_null(c->count);
    long right = 0;
    for (int y = 0; y < k; y++) {
        long row = 0, want = 0;
        for (int x = 0; x < k; x++) row += c->count[y * k + x];
        for (int i = 0; i < p.test.n; i++) want += p.test.y[i] == y;
        assert_int_equal(row, want);
        right += c->count[y * k + y];
    }
    assert_true(fabs(c->accuracy - (double)right / p.test.n) < 1e-12);
    assert_true(fabs(c->accuracy - accuracy) < 1e-12);
}

static void test_confusion(void **s) {
    (void)s;
    check_confusion(&ev.confusion[QAT_EVAL_FLOAT32], p.test_accuracy);
    check_confusion(&ev.confusion[QAT_EVAL_INT8_QAT], p.qat_accuracy);
}

/* The float kernel of layer i as exported: w·γ/√(σ²+ε) per output channel when a batch
 * norm follows (its moving mean then its moving variance in the graph's state). */
static float *exported_kernel(const qat_model *m, int i, size_t *n) {
    const qat_graph *g = &m->g;
    const qat_node *W = &g->nodes[m->layer[i].w];
    float *w = malloc(W->size * sizeof(float));
    assert_non_null(w);
    memcpy(w, W->val, W->size * sizeof(float));
    *n = W->size;
    if (i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM) {
        const qat_model_layer *b = &m->layer[i + 1];
        int c = W->dim[0];
        const float *var = g->state + g->nodes[b->out].offset + c;
        for (size_t j = 0; j < W->size; j++) {
            int o = (int)(j / (W->size / (size_t)c));
            double gamma = b->gamma >= 0 ? g->nodes[b->gamma].val[o] : 1.0;
            w[j] = (float)(w[j] * gamma / sqrt(var[o] + m->spec[i + 1].epsilon));
        }
    }
    return w;
}

static void test_weight_histograms(void **s) {
    (void)s;
    const qat_model *m = &p.model;
    int n = 0, folded = 0;
    for (int i = 0; i < m->n_layers; i++) {
        if (m->layer[i].w < 0) continue;
        assert_true(n < ev.n_hist);
        const qat_weight_hist *h = &ev.hist[n++];
        assert_string_equal(h->layer, m->spec[i].name);
        assert_true(h->has_int8);
        size_t nw;
        float *w = exported_kernel(m, i, &nw);
        folded += i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM;
        long want[QAT_HIST_BINS] = {0}, total = 0;
        double big = 0;
        for (size_t j = 0; j < nw; j++) {
            double at = (w[j] + h->range) / (2 * h->range) * QAT_HIST_BINS; /* its bin, 0-based */
            want[at < 0 ? 0 : at >= QAT_HIST_BINS ? QAT_HIST_BINS - 1 : (int)at]++;
            big = fmax(big, fabs(w[j]));
        }
        assert_true(h->range >= big * (1 - 1e-6));
        /* relative rounding of the fold may move a weight on a bin's edge by one bin */
        long moved = 0;
        for (int b = 0; b < QAT_HIST_BINS; b++) {
            moved += labs(want[b] - h->float_count[b]);
            total += h->int8_count[b];
        }
        assert_true(moved <= 2);
        assert_int_equal(total, (long)nw);
        free(w);
    }
    assert_int_equal(n, ev.n_hist);
    assert_true(folded >= 1); /* the stack's conv1 is followed by bn1 */
}

static void test_layer_rows(void **s) {
    (void)s;
    const qat_model *m = &p.model;
    long params = 0;
    for (int i = 0; i < m->n_layers; i++) {
        qat_layer_row r = qat_model_layer_row(m, i);
        qat_layer_kind k = m->spec[i].kind;
        assert_string_equal(r.name, m->spec[i].name);
        assert_string_equal(r.type, qat_layer_kind_name(k));
        assert_true((r.activation != NULL) == (k == QAT_LAYER_CONV1D || k == QAT_LAYER_DENSE));
        assert_true(r.ndim >= 1);
        params += r.parameters;
    }
    assert_int_equal(params, (long)m->g.n_params);
    qat_layer_row last = qat_model_layer_row(m, m->n_layers - 1);
    assert_int_equal(last.dim[last.ndim - 1], p.test.n_classes);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confusion),
        cmocka_unit_test(test_weight_histograms),
        cmocka_unit_test(test_layer_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

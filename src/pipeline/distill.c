/* Knowledge distillation in the pipeline ([distill]; train_config.h): the teacher model and
 * the training callback that gives each batch its softened probabilities. */
#include <stdlib.h>
#include <string.h>

#include "qat/checkpoint.h"
#include "qat/config.h"
#include "qat/ops.h"
#include "phase.h"

/* The teacher's softmax(logits / T) for a batch, run in chunks of its own batch size. */
static void soft_targets(void *vctx, const float *x, int batch, float *soft) {
    const qat_distill_ctx *c = vctx;
    qat_model *t = c->teacher;
    qat_graph *g = &t->g;
    size_t per = g->nodes[t->input].size;
    int k = t->n_classes;
    for (int s = 0; s < batch; s += g->max_batch) {
        int n = batch - s < g->max_batch ? batch - s : g->max_batch;
        memcpy(g->nodes[t->input].val, x + (size_t)s * per, (size_t)n * per * sizeof(float));
        qat_pass p = {.batch = n};
        qat_graph_forward(g, &p, t->logits + 1);
        for (int i = 0; i < n; i++)
            qat_softmax_t(g->nodes[t->logits].val + (size_t)i * k, k, c->temperature,
                          soft + (size_t)(s + i) * k);
    }
}

void qat_distill_callbacks(qat_pipeline *p, int quantized, qat_train_callbacks *cb,
                           qat_distill_ctx *ctx) {
    const qat_distill_config *d = &p->cfg.distill;
    if (!qat_distill_on(d) || !(quantized ? d->on_qat : d->on_float)) return;
    *ctx = (qat_distill_ctx){d->self ? &p->model : &p->teacher, (float)d->temperature};
    cb->soft_targets = soft_targets;
    cb->soft_ctx = ctx;
    cb->distill_alpha = (float)d->alpha;
    cb->distill_t = (float)d->temperature;
}

/* The teacher config's window, channels and classes against this run's. */
static qat_status same_task(const qat_config *s, const qat_config *t, qat_error *e) {
    const qat_data_config *a = &s->data, *b = &t->data;
    int same = a->window == b->window && a->channels == b->channels &&
               a->height == b->height && a->width == b->width && a->n_classes == b->n_classes;
    for (int c = 0; same && c < a->n_classes; c++) same = !strcmp(a->classes[c], b->classes[c]);
    if (same) return QAT_OK;
    return qat_error_set(e, QAT_ERR_CONFIG, "%s: [distill] teacher: its input (window %d, %d "
                         "channels) or classes differ from this run's (window %d, %d channels, "
                         "%d classes); a teacher must see the same inputs and classes",
                         s->path, b->window, b->channels, a->window, a->channels, a->n_classes);
}

/* Trains the teacher by its own [train] on this run's (normalised) training split. */
static qat_status train_teacher(qat_pipeline *p, const qat_config *t, qat_error *e) {
    qat_epoch_stats *h = calloc((size_t)t->train.epochs, sizeof *h);
    if (!h) return qat_error_set(e, QAT_ERR_NOMEM, "distillation: out of memory");
    qat_train_log log = {.history = h};
    qat_rng init;
    qat_rng_seed(&init, p->cfg.seed, QAT_STREAM_INIT);
    qat_model_init(&p->teacher, &init);
    qat_status st = qat_train(&p->teacher, &t->train, &p->train, qat_pipeline_val(p),
                              p->cfg.seed + 7, &log, NULL, e);
    free(h);
    return st;
}

qat_status qat_distill_prepare(qat_pipeline *p, qat_error *e) {
    const qat_distill_config *d = &p->cfg.distill;
    if (!d->teacher[0] || p->teacher_built) return QAT_OK;
    qat_config *t = malloc(sizeof *t);
    if (!t) return qat_error_set(e, QAT_ERR_NOMEM, "distillation: out of memory");
    qat_status st = qat_config_load(d->teacher, t, e);
    if (!st) st = same_task(&p->cfg, t, e);
    int b = p->cfg.train.batch > p->cfg.quant.batch ? p->cfg.train.batch : p->cfg.quant.batch;
    b = b > t->train.batch ? b : t->train.batch;
    qat_shape in = qat_input_shape(p->cfg.data.height, p->cfg.data.width, p->cfg.data.window,
                                   p->cfg.data.channels);
    if (!st) st = qat_model_build_shape(&p->teacher, t->layers, t->n_layers, &in,
                                        p->cfg.data.n_classes, b, 0, e);
    if (!st) {
        p->teacher_built = 1;
        p->teacher.norm = p->model.norm;
    }
    if (!st && d->checkpoint[0]) {
        st = qat_checkpoint_load(&p->teacher, d->checkpoint, e);
        if (!st && (p->teacher.norm.kind != p->model.norm.kind ||
                    memcmp(p->teacher.norm.min, p->model.norm.min, sizeof p->model.norm.min) ||
                    memcmp(p->teacher.norm.max, p->model.norm.max, sizeof p->model.norm.max)))
            st = qat_error_set(e, QAT_ERR_FORMAT, "%s: the teacher was trained on other data (its "
                               "input normalisation differs from this run's training split)",
                               d->checkpoint);
    } else if (!st) {
        st = train_teacher(p, t, e);
    }
    free(t);
    return st;
}

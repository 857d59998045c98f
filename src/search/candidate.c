/* One candidate of the search on data (search.h): the exact check against the target before
 * training, and the short training with its validation scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/hash.h"
#include "qat/model.h"
#include "qat/search.h"
#include "qat/train.h"

#define CHECK_SAMPLES 16 /* calibration samples for the check (ranges do not change sizes) */
#define EVAL_BATCH 64

uint64_t qat_candidate_seed(uint64_t run_seed, const char *text) {
    return qat_hash64(run_seed, text, strlen(text));
}

/* The genome's model, its parameters initialised from seed. */
static qat_status build(const qat_search_data *d, const qat_genome *g, uint64_t seed,
                        qat_model *m, qat_error *e) {
    qat_layer_spec layers[QAT_MAX_LAYERS];
    int n;
    qat_status st = qat_genome_layers(d->sp, g, layers, &n, e);
    int batch = d->train.batch > EVAL_BATCH ? d->train.batch : EVAL_BATCH;
    if (!st) st = qat_model_build_shape(m, layers, n, &d->sp->in, d->sp->n_classes, batch, 0, e);
    if (st) return st;
    qat_rng init;
    qat_rng_seed(&init, seed, QAT_STREAM_INIT);
    qat_model_init(m, &init);
    return QAT_OK;
}

/* m's int8 PTQ model calibrated on `calib` with `observer`, lowered into ir. */
static qat_status lower(const qat_search_data *d, qat_model *m, const qat_dataset *calib,
                        qat_observer_kind observer, qat_ir *ir, qat_error *e) {
    qat_qmodel qm;
    memset(&qm, 0, sizeof qm);
    qat_status st = qat_qmodel_build(&qm, m, d->quant, EVAL_BATCH, e);
    if (st) return st;
    st = qat_qmodel_calibrate(&qm, calib, observer, e);
    if (!st && d->quant->bias_correction) {
        int corrected;
        st = qat_qmodel_bias_correct(&qm, calib, &corrected, e);
    }
    if (!st) st = qat_lower(&qm, QAT_LOWER_INT8, ir, e);
    qat_qmodel_free(&qm);
    return st;
}

/* Flash, arena, MACs and parameters of m and its lowered ir, against the limits. */
static qat_status measure(const qat_search_data *d, const qat_model *m, const qat_ir *ir,
                          qat_candidate_cost *c, qat_error *e) {
    qat_target_check t;
    qat_status st = qat_target_measure(ir, m, d->description, &d->limits, &t, e);
    if (!st) *c = (qat_candidate_cost){t.flash_bytes, t.arena_bytes, t.macs, t.params, t.fits};
    return st;
}

qat_status qat_candidate_check(const qat_search_data *d, const qat_genome *g,
                               qat_candidate_cost *c, qat_error *e) {
    qat_model m;
    qat_ir ir;
    memset(&m, 0, sizeof m);
    qat_ir_init(&ir);
    qat_dataset head = *d->calib;
    head.n = head.n < CHECK_SAMPLES ? head.n : CHECK_SAMPLES;
    qat_status st = build(d, g, d->seed, &m, e);
    if (!st) st = lower(d, &m, &head, QAT_OBS_MINMAX, &ir, e);
    if (!st) st = measure(d, &m, &ir, c, e);
    qat_ir_free(&ir);
    qat_model_free(&m);
    return st;
}

static int correct(double accuracy, int n) {
    return (int)lround(accuracy * n);
}

qat_status qat_candidate_train(const qat_search_data *d, qat_candidate *c, qat_error *e) {
    uint64_t seed = qat_candidate_seed(d->seed, c->text);
    qat_model m;
    qat_ir ir;
    memset(&m, 0, sizeof m);
    qat_ir_init(&ir);
    qat_epoch_stats *h = calloc((size_t)d->train.epochs, sizeof *h);
    qat_train_log log = {.history = h};
    qat_status st = h ? build(d, &c->g, seed, &m, e)
                      : qat_error_set(e, QAT_ERR_NOMEM, "search: out of memory");
    if (!st) st = qat_train(&m, &d->train, d->train_set, d->val, seed, &log, NULL, e);
    if (!st) {
        double loss, acc;
        qat_model_evaluate(&m, d->val, &loss, &acc);
        c->val_n = d->val->n;
        c->val_float_correct = correct(acc, d->val->n);
        c->epochs_run = log.epochs_run;
        st = lower(d, &m, d->calib, d->quant->ptq_observer, &ir, e);
    }
    if (!st) {
        double acc;
        st = qat_int8_evaluate(&ir, d->val, NULL, NULL, &acc, NULL, e);
        c->val_int8_correct = correct(acc, d->val->n);
    }
    if (!st) st = measure(d, &m, &ir, &c->cost, e);
    c->evaluated = !st;
    qat_ir_free(&ir);
    qat_model_free(&m);
    free(h);
    return st;
}

/* history.csv, report.json and timing.json (see report.h; layout documented in README). */
#include "qat/report.h"

#include <math.h>

#include "qat/io.h"
#include "qat/json.h"

qat_status qat_report_history_csv(const qat_train_log *log, const qat_quant_config *staged,
                                  const char *path, qat_error *e) {
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    fprintf(a.f, "epoch,loss,accuracy,val_loss,val_accuracy,lr%s\n",
            staged ? ",weight_bits,act_bits" : "");
    for (int i = 0; i < log->epochs_run; i++) {
        const qat_epoch_stats *s = &log->history[i];
        fprintf(a.f, "%d,%.6f,%.6f,%.6f,%.6f,%.6g", s->epoch, s->loss, s->accuracy, s->val_loss,
                s->val_accuracy, s->lr);
        int wb, ab;
        if (staged) qat_quant_stage_bits(staged, s->epoch, &wb, &ab);
        if (staged) fprintf(a.f, ",%d,%d", wb, ab);
        fputc('\n', a.f);
    }
    return qat_afile_commit(&a, e);
}

/* Progressive / delayed quantization, when configured: the steps as [epoch, bits] pairs. */
static void schedule_array(qat_json *j, const char *key, const qat_bits_schedule *s) {
    qat_json_array(j, key);
    for (int k = 0; k < s->n; k++) {
        qat_json_array(j, NULL);
        qat_json_int(j, NULL, s->epoch[k]);
        qat_json_int(j, NULL, s->bits[k]);
        qat_json_close(j);
    }
    qat_json_close(j);
}

static void schedule_section(qat_json *j, const qat_quant_config *q) {
    qat_json_object(j, "qat_schedule");
    schedule_array(j, "weight_bits_schedule", &q->weight_schedule);
    schedule_array(j, "act_bits_schedule", &q->act_schedule);
    qat_json_int(j, "weight_quant_start_epoch", q->weight_start_epoch);
    qat_json_int(j, "act_quant_start_epoch", q->act_start_epoch);
    qat_json_close(j);
}

/* Where the test split came from, in words report.json and report.html share. */
static const char *test_from(const qat_data_config *d) {
    if (d->test_index[0]) return "test_index";
    for (int i = 0; i < d->n_sources; i++)
        if (d->sources[i].use == QAT_USE_TEST) return "sources";
    return qat_data_has_test_file(d) ? "test file" : "test_split";
}

/* A channel list of units (as many as are set). */
static void units_array(qat_json *j, const char *key, const qat_unit *u, int channels) {
    qat_json_array(j, key);
    for (int k = 0; k < channels && u[k]; k++) qat_json_str(j, NULL, qat_unit_name(u[k]));
    qat_json_close(j);
}

/* Each CSV source: its use, units and how many samples went to each split. */
static void sources_section(qat_json *j, const qat_pipeline *p) {
    const qat_data_config *d = &p->cfg.data;
    qat_json_array(j, "sources");
    for (int s = 0; s < d->n_sources; s++) {
        qat_json_object(j, NULL);
        qat_json_str(j, "name", d->sources[s].name);
        qat_json_str(j, "use", qat_source_use_name(d->sources[s].use));
        units_array(j, "units", d->sources[s].units, d->channels);
        qat_json_int(j, "train_samples", p->source_counts[s][QAT_PART_TRAIN]);
        qat_json_int(j, "validation_samples", p->source_counts[s][QAT_PART_VAL]);
        qat_json_int(j, "test_samples", p->source_counts[s][QAT_PART_TEST]);
        qat_json_close(j);
    }
    qat_json_close(j);
}

static void augment_section(qat_json *j, const qat_augment *a) {
    qat_json_object(j, "augment");
    qat_json_num(j, "rotate_deg", a->rotate_deg);
    qat_json_num(j, "scale", a->scale);
    qat_json_num(j, "time_warp", a->time_warp);
    qat_json_int(j, "shift", a->shift);
    qat_json_num(j, "noise", a->noise);
    qat_json_num(j, "bias", a->bias);
    qat_json_close(j);
}

static void data_section(qat_json *j, const qat_pipeline *p) {
    const qat_data_config *d = &p->cfg.data;
    const qat_norm *nm = &p->model.norm;
    qat_json_object(j, "data");
    qat_json_str(j, "source", qat_data_source_name(d->source));
    qat_json_array(j, "classes");
    for (int i = 0; i < d->n_classes; i++) qat_json_str(j, NULL, d->classes[i]);
    qat_json_close(j);
    qat_json_int(j, "window", d->window);
    if (d->height > 0) { /* images: window = height × width positions */
        qat_json_int(j, "height", d->height);
        qat_json_int(j, "width", d->width);
    }
    qat_json_int(j, "channels", d->channels);
    qat_json_num(j, "rate_hz", d->rate_hz);
    qat_json_int(j, "train_samples", p->train.n);
    qat_json_int(j, "validation_samples", qat_pipeline_val(p)->n);
    qat_json_int(j, "test_samples", p->test.n);
    qat_json_bool(j, "validation_is_test", p->val_is_test);
    qat_json_str(j, "test_from", test_from(d));
    if (!p->val_is_test)
        qat_json_str(j, "validation_from", d->val_index[0] ? "val_index"
                     : qat_val_select_name(p->cfg.train.val_select));
    qat_json_u64(j, "split_seed", d->has_split_seed ? d->split_seed : p->cfg.seed);
    if (d->n_sources) sources_section(j, p);
    if (d->units[0]) units_array(j, "units", d->units, d->channels);
    if (qat_augment_active(&p->cfg.train.augment)) augment_section(j, &p->cfg.train.augment);
    qat_json_object(j, "normalization");
    qat_json_str(j, "kind", qat_norm_kind_name(nm->kind));
    qat_json_array(j, "min");
    for (int i = 0; i < nm->channels; i++) qat_json_num(j, NULL, nm->min[i]);
    qat_json_close(j);
    qat_json_array(j, "max");
    for (int i = 0; i < nm->channels; i++) qat_json_num(j, NULL, nm->max[i]);
    qat_json_close(j);
    qat_json_close(j);
    qat_json_close(j);
}

/* The window of a 2-D layer: kernel or pool, strides, padding (and the depth multiplier). */
static void layer_2d(qat_json *j, const qat_layer_spec *s) {
    int pool = s->kind == QAT_LAYER_MAXPOOL2D || s->kind == QAT_LAYER_AVGPOOL2D;
    qat_json_array(j, pool ? "pool" : "kernel");
    qat_json_int(j, NULL, pool ? s->pool_h : s->kernel_h);
    qat_json_int(j, NULL, pool ? s->pool_w : s->kernel_w);
    qat_json_close(j);
    qat_json_array(j, "strides");
    qat_json_int(j, NULL, s->stride_h);
    qat_json_int(j, NULL, s->stride_w);
    qat_json_close(j);
    qat_json_str(j, "padding", qat_padding_name(s->padding));
    if (s->kind == QAT_LAYER_DEPTHWISE_CONV2D || s->kind == QAT_LAYER_SEPARABLE_CONV2D)
        qat_json_int(j, "depth_multiplier", s->depth_multiplier);
}

static void model_section(qat_json *j, const qat_model *m) {
    qat_json_object(j, "model");
    qat_json_int(j, "parameters", (long)m->g.n_params);
    qat_json_int(j, "macs", qat_model_macs(m));
    qat_json_array(j, "layers");
    for (int i = 0; i < m->n_layers; i++) {
        qat_layer_row r = qat_model_layer_row(m, i);
        qat_json_object(j, NULL);
        qat_json_str(j, "name", r.name);
        qat_json_str(j, "type", r.type);
        if (r.activation) qat_json_str(j, "activation", r.activation);
        if (qat_layer_is_2d(m->spec[i].kind)) layer_2d(j, &m->spec[i]);
        qat_json_array(j, "output_shape");
        for (int d = 0; d < r.ndim; d++) qat_json_int(j, NULL, r.dim[d]);
        qat_json_close(j);
        qat_json_int(j, "parameters", r.parameters);
        qat_json_close(j);
    }
    qat_json_close(j);
    qat_json_close(j);
}

static void training_section(qat_json *j, const qat_pipeline *p) {
    const qat_train_config *t = &p->cfg.train;
    const qat_train_log *log = &p->log;
    qat_json_object(j, "training");
    qat_json_str(j, "optimizer", qat_optimizer_name(t->optimizer));
    qat_json_num(j, "lr", t->lr);
    qat_json_int(j, "batch", t->batch);
    qat_json_int(j, "epochs", t->epochs);
    qat_json_int(j, "epochs_run", log->epochs_run);
    qat_json_int(j, "best_epoch", log->best_epoch);
    qat_json_bool(j, "stopped_early", log->stopped_early);
    qat_json_bool(j, "restored_best", log->restored_best);
    if (log->epochs_run > 0) {
        const qat_epoch_stats *s = &log->history[log->epochs_run - 1];
        qat_json_object(j, "last_epoch");
        qat_json_num(j, "loss", s->loss);
        qat_json_num(j, "accuracy", s->accuracy);
        qat_json_num(j, "val_loss", s->val_loss);
        qat_json_num(j, "val_accuracy", s->val_accuracy);
        qat_json_num(j, "lr", s->lr);
        qat_json_close(j);
    }
    qat_json_close(j);
}

/* Exported size of each conv/dense operator, after folding: (weights, biases). */
static void affine_sizes(const qat_model *m, long *params, long *f32, long *dr, long *i8) {
    *params = *f32 = *dr = *i8 = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const qat_model_layer *l = &m->layer[i];
        if (l->w < 0) continue;
        /* one bias per output channel (depthwise: C·M); separable adds its depthwise half */
        const qat_node *y = &m->g.nodes[l->linear];
        long w = (long)m->g.nodes[l->w].size, b = y->dim[y->ndim - 1];
        if (l->dw >= 0) w += (long)m->g.nodes[l->dw].size;
        *params += w + b;
        *f32 += 4 * (w + b);
        *dr += (w >= 1024 ? w : 4 * w) + 4 * b; /* the converter's 1024-element threshold */
        *i8 += w + 4 * b;
    }
}

int qat_report_variants(const qat_pipeline *p, qat_variant_stats out[QAT_VARIANT_COUNT]) {
    static const char *const keys[] = {"float32", "dynamic_range", "int8_ptq", "int8_qat",
                                       "int8_qat_pruned"};
    static const char *const labels[] = {"Float32", "Dynamic range", "Int8 PTQ", "Int8 QAT",
                                         "Int8 QAT+pruned"};
    _Static_assert(sizeof keys / sizeof keys[0] == QAT_VARIANT_COUNT, "variant keys");
    _Static_assert(sizeof labels / sizeof labels[0] == QAT_VARIANT_COUNT, "variant labels");
    long params, f32, dr, i8, macs = qat_model_macs(&p->model), pp = 0, pf, pd, pi8 = 0;
    affine_sizes(&p->model, &params, &f32, &dr, &i8);
    if (p->pruned) affine_sizes(&p->pmodel, &pp, &pf, &pd, &pi8); /* smaller when structured */
    long bytes[] = {f32, dr, i8, i8, pi8};
    long arena[] = {4 * (long)p->arena_ptq, 4 * (long)p->arena_ptq, (long)p->arena_ptq,
                    (long)p->arena_qat, (long)p->arena_pruned};
    double acc[] = {p->test_accuracy, p->dr_accuracy, p->ptq_accuracy, p->qat_accuracy,
                    p->prune_main.accuracy};
    int n = p->pruned ? QAT_VARIANT_COUNT : p->quantized ? QAT_VARIANT_INT8_PRUNED : 1;
    for (int v = 0; v < n; v++)
        out[v] = (qat_variant_stats){.key = keys[v], .label = labels[v],
                                     .parameters = v == QAT_VARIANT_INT8_PRUNED ? pp : params,
                                     .weight_bytes = bytes[v], .arena_bytes = arena[v],
                                     .macs = v == QAT_VARIANT_INT8_PRUNED ? qat_model_macs(&p->pmodel) : macs,
                                     .accuracy = acc[v], .latency_us = p->latency_us[v],
                                     .tflite_bytes = p->tflite_bytes[v], .gzip_bytes = p->gzip_bytes[v],
                                     .sparsity = v == QAT_VARIANT_INT8_PRUNED ? p->prune_main.sparsity : 0,
                                     .runs_on_tflm = v != QAT_VARIANT_DYNAMIC_RANGE};
    return n;
}

static qat_lab_row lab_row(const char *label, const char *file, long bytes, double acc,
                           double us) {
    qat_lab_row r = {.label = label, .bytes = bytes, .accuracy = acc, .latency_us = us};
    snprintf(r.file, sizeof r.file, "%s", file);
    return r;
}

int qat_report_lab(const qat_pipeline *p, qat_lab_row out[QAT_LAB_ROWS]) {
    const long *b = p->tflite_bytes;
    const double *us = p->latency_us;
    int n = 0, u8 = p->cfg.quant.uint8_io;
    out[n++] = lab_row("Float32 (baseline)", "model_float32.tflite", b[QAT_VARIANT_FLOAT32],
                       p->test_accuracy, us[QAT_VARIANT_FLOAT32]);
    if (!p->quantized) return n;
    out[n++] = lab_row("Float16", "model_float16.tflite", p->fp16_tflite_bytes,
                       p->fp16_accuracy, us[QAT_VARIANT_FLOAT32]);
    out[n++] = lab_row("Dynamic range", "model_dynamic_range.tflite",
                       b[QAT_VARIANT_DYNAMIC_RANGE], p->dr_accuracy, us[QAT_VARIANT_DYNAMIC_RANGE]);
    out[n++] = u8 ? lab_row("Full int8 (uint8 I/O)", "model_ptq_uint8_io.tflite",
                            p->uint8_io[QAT_UINT8_PTQ].tflite_bytes,
                            p->uint8_io[QAT_UINT8_PTQ].accuracy, us[QAT_VARIANT_INT8_PTQ])
                  : lab_row("Full int8", "model_ptq_int8.tflite", b[QAT_VARIANT_INT8_PTQ],
                            p->ptq_accuracy, us[QAT_VARIANT_INT8_PTQ]);
    out[n++] = lab_row("QAT int8", "model_int8.tflite", b[QAT_VARIANT_INT8_QAT],
                       p->qat_accuracy, us[QAT_VARIANT_INT8_QAT]);
    if (p->pruned)
        out[n++] = lab_row("QAT int8, pruned", "model_pruned_int8.tflite",
                           b[QAT_VARIANT_INT8_PRUNED], p->prune_main.accuracy,
                           us[QAT_VARIANT_INT8_PRUNED]);
    return n;
}

int qat_report_prune_runs(const qat_pipeline *p, const qat_prune_result *out[QAT_PRUNE_RUNS_MAX]) {
    if (!p->pruned) return 0;
    out[0] = &p->prune_main;
    for (int i = 0; i < p->n_sweep; i++) out[i + 1] = &p->sweep[i];
    return 1 + p->n_sweep;
}

static void sqnr_section(qat_json *j, const qat_pipeline *p) {
    qat_json_array(j, "tensor_sqnr_db");
    for (int i = 0; i < p->n_sqnr; i++) {
        qat_json_object(j, NULL);
        qat_json_str(j, "tensor", p->sqnr_ptq[i].name);
        qat_json_num(j, "ptq", p->sqnr_ptq[i].sqnr_db);
        qat_json_num(j, "qat", p->sqnr_qat[i].sqnr_db);
        qat_json_close(j);
    }
    qat_json_close(j);
}

static void prune_result(qat_json *j, const qat_prune_result *r) {
    qat_json_object(j, NULL);
    qat_json_num(j, "target_sparsity", r->target);
    qat_json_num(j, "sparsity", r->sparsity);
    qat_json_num(j, "float_accuracy", r->float_accuracy);
    qat_json_num(j, "int8_accuracy", r->accuracy);
    qat_json_int(j, "tflite_bytes", r->tflite_bytes);
    qat_json_int(j, "gzip_bytes", r->gzip_bytes);
    qat_json_int(j, "pruned_nonzero_in_int8", r->lost_zeros);
    qat_json_int(j, "kept_rounding_to_zero", r->extra_zeros);
    qat_json_close(j);
}

static void pruning_section(qat_json *j, const qat_pipeline *p) {
    const qat_prune_config *c = &p->cfg.prune;
    qat_json_object(j, "pruning");
    qat_json_str(j, "schedule", qat_prune_schedule_name(c->schedule));
    qat_json_num(j, "initial_sparsity", c->initial_sparsity);
    qat_json_num(j, "final_sparsity", c->final_sparsity);
    qat_json_int(j, "epochs", c->epochs);
    qat_json_int(j, "frequency", c->frequency);
    qat_json_num(j, "power", c->power);
    qat_json_int(j, "block", c->block);
    qat_json_bool(j, "structured", c->structured);
    const qat_prune_result *runs[QAT_PRUNE_RUNS_MAX];
    int n = qat_report_prune_runs(p, runs);
    qat_json_array(j, "runs");
    for (int i = 0; i < n; i++) prune_result(j, runs[i]);
    qat_json_close(j);
    qat_json_close(j);
}

/* The uint8-I/O exports ([quant] uint8_io) beside the table, as the float16 model: each file,
 * its sizes and the int8 engine's test accuracy. */
static void uint8_io_results(qat_json *j, const qat_pipeline *p) {
    static const char *const keys[] = {[QAT_UINT8_QAT] = "int8_qat_uint8_io",
                                       [QAT_UINT8_PTQ] = "int8_ptq_uint8_io"};
    _Static_assert(sizeof keys / sizeof keys[0] == QAT_UINT8_COUNT, "uint8 model keys");
    for (int m = 0; m < QAT_UINT8_COUNT; m++) {
        const qat_uint8_export *x = &p->uint8_io[m];
        char file[64];
        snprintf(file, sizeof file, "model_%s.tflite", qat_uint8_model_stem((qat_uint8_model)m));
        qat_json_object(j, keys[m]);
        qat_json_str(j, "file", file);
        qat_json_num(j, "test_accuracy", x->accuracy);
        if (x->tflite_bytes) qat_json_int(j, "tflite_bytes", x->tflite_bytes);
        if (x->gzip_bytes) qat_json_int(j, "gzip_bytes", x->gzip_bytes);
        qat_json_bool(j, "runs_on_tflite_micro", 1); /* QUANTIZE uint8 <-> int8 is in TFLM */
        qat_json_close(j);
    }
}

static void results_section(qat_json *j, const qat_pipeline *p) {
    qat_variant_stats v[QAT_VARIANT_COUNT];
    int n = qat_report_variants(p, v);
    qat_json_object(j, "results");
    if (p->quantized) { /* not a column of the lesson's table, but one of its experiments */
        qat_json_object(j, "float16");
        qat_json_num(j, "test_accuracy", p->fp16_accuracy);
        if (p->fp16_tflite_bytes) qat_json_int(j, "tflite_bytes", p->fp16_tflite_bytes);
        if (p->fp16_gzip_bytes) qat_json_int(j, "gzip_bytes", p->fp16_gzip_bytes);
        qat_json_bool(j, "runs_on_tflite_micro", 0); /* its DEQUANTIZE from float16 is not in TFLM */
        qat_json_close(j);
        if (p->cfg.quant.uint8_io) uint8_io_results(j, p);
    }
    for (int i = 0; i < n; i++) {
        qat_json_object(j, v[i].key);
        qat_json_num(j, "test_accuracy", v[i].accuracy);
        if (i == QAT_VARIANT_FLOAT32) qat_json_num(j, "test_loss", p->test_loss);
        qat_json_int(j, "parameters", v[i].parameters);
        qat_json_int(j, "weight_bytes", v[i].weight_bytes);
        if (v[i].tflite_bytes) qat_json_int(j, "tflite_bytes", v[i].tflite_bytes);
        if (v[i].gzip_bytes) qat_json_int(j, "gzip_bytes", v[i].gzip_bytes);
        if (i == QAT_VARIANT_INT8_PRUNED) qat_json_num(j, "sparsity", v[i].sparsity);
        qat_json_bool(j, "runs_on_tflite_micro", v[i].runs_on_tflm);
        if (p->quantized) qat_json_int(j, "arena_bytes", v[i].arena_bytes);
        qat_json_int(j, "macs", v[i].macs);
        if (i == QAT_VARIANT_INT8_PTQ) {
            qat_json_int(j, "calibration_samples", p->calib.n);
            qat_json_str(j, "calibration_select", qat_calib_select_name(p->cfg.quant.calib_select));
            qat_json_str(j, "activation_calibration", qat_observer_name(p->cfg.quant.ptq_observer));
            qat_json_str(j, "weight_calibration", p->cfg.quant.weight_mse ? "mse" : "max");
            qat_json_int(j, "bias_corrected_layers", p->bias_corrected);
        }
        if (i == QAT_VARIANT_INT8_QAT) {
            qat_json_num(j, "fake_quant_accuracy", p->qat_sim_accuracy);
            qat_json_int(j, "prediction_disagreements", p->sim_disagreements);
        }
        qat_json_close(j);
    }
    qat_json_close(j);
}

/* A quantity's 2-, 4- and 8-bit columns (an exact SQNR, +inf, is written null). */
static void bits_array(qat_json *j, const char *key, const double *v) {
    qat_json_array(j, key);
    for (int b = 0; b < QAT_SENS_BITS; b++) qat_json_num(j, NULL, v[b]);
    qat_json_close(j);
}

static void sensitivity_section(qat_json *j, const qat_pipeline *p) {
    const qat_sensitivity *s = p->sensitivity;
    qat_json_object(j, "sensitivity");
    qat_json_str(j, "data", p->sensitivity_on);
    qat_json_int(j, "samples", s->samples);
    qat_json_num(j, "float_accuracy", s->float_accuracy);
    qat_json_array(j, "weight_bits");
    for (int b = 2; b <= 8; b *= 2) qat_json_int(j, NULL, b);
    qat_json_close(j);
    qat_json_array(j, "layers");
    for (int i = 0; i < s->n; i++) {
        qat_json_object(j, NULL);
        qat_json_str(j, "layer", s->layer[i].name);
        qat_json_int(j, "weights", s->layer[i].weights);
        bits_array(j, "accuracy", s->layer[i].accuracy);
        bits_array(j, "logits_sqnr_db", s->layer[i].sqnr_db);
        qat_json_close(j);
    }
    qat_json_close(j);
    qat_json_object(j, "all_layers");
    bits_array(j, "accuracy", s->all_accuracy);
    bits_array(j, "logits_sqnr_db", s->all_sqnr_db);
    qat_json_close(j);
    qat_json_close(j);
}

/* [quant] auto_bits: the goal, each layer's chosen bits, packed bytes and accuracy against
 * all-8-bit (PTQ, on the sensitivity's data). */
static void auto_bits_section(qat_json *j, const qat_pipeline *p) {
    const qat_quant_config *q = &p->cfg.quant;
    const qat_sensitivity *s = p->sensitivity;
    qat_json_object(j, "auto_bits");
    qat_json_str(j, "goal", q->auto_bits == 2 ? "size" : "accuracy");
    if (q->auto_bits == 2) qat_json_int(j, "weight_bytes_budget", q->auto_weight_bytes);
    else qat_json_num(j, "accuracy_budget", q->auto_budget / 100);
    qat_json_array(j, "layers");
    for (int i = 0; i < s->n; i++) {
        qat_json_object(j, NULL);
        qat_json_str(j, "layer", s->layer[i].name);
        qat_json_int(j, "weight_bits", p->auto_bits[i]);
        qat_json_close(j);
    }
    qat_json_close(j);
    qat_json_int(j, "packed_weight_bytes", qat_auto_bits_bytes(s, p->auto_bits));
    qat_json_int(j, "packed_weight_bytes_8bit", qat_auto_bits_bytes(s, NULL));
    qat_json_num(j, "ptq_accuracy", p->auto_accuracy);
    qat_json_num(j, "ptq_accuracy_8bit", p->auto_base);
    qat_json_str(j, "config", "mixed_precision.ini");
    qat_json_close(j);
}

/* One QAT stage's diagnostics: what was checked, then each finding with its remedy. */
static void diagnosis_object(qat_json *j, const char *key, const qat_diagnosis *d) {
    qat_json_object(j, key);
    qat_json_int(j, "samples", d->samples);
    qat_json_int(j, "activations", d->activations);
    qat_json_int(j, "kernels", d->kernels);
    qat_json_int(j, "batchnorms", d->batchnorms);
    qat_json_array(j, "findings");
    for (int i = 0; i < d->n; i++) {
        const qat_diag_finding *f = &d->f[i];
        qat_json_object(j, NULL);
        qat_json_str(j, "kind", qat_diag_kind_name(f->kind));
        qat_json_str(j, "tensor", f->tensor);
        qat_json_num(j, "value", f->value);
        qat_json_str(j, "detail", f->detail);
        qat_json_str(j, "remedy", qat_diag_remedy(f->kind));
        qat_json_close(j);
    }
    qat_json_close(j);
    qat_json_int(j, "dropped", d->dropped);
    qat_json_close(j);
}

static void diagnostics_section(qat_json *j, const qat_pipeline *p) {
    qat_json_object(j, "qat_diagnostics");
    diagnosis_object(j, "qat", &p->diag_qat);
    if (p->pruned) diagnosis_object(j, "pruned_qat", &p->diag_pqat);
    qat_json_close(j);
}

/* A limit or its absence (null). */
static void limit(qat_json *j, const char *key, long v) {
    if (v > 0) qat_json_int(j, key, v);
    else qat_json_num(j, key, NAN); /* null */
}

/* The target's limits and each int8 model against them, with the headroom left. */
static void target_section(qat_json *j, const qat_pipeline *p, const qat_target_row *r, int n) {
    const qat_target_profile *pr = qat_target_profile_at(p->cfg.target.profile);
    qat_target_limits l = qat_target_limits_of(&p->cfg.target);
    qat_json_object(j, "target");
    qat_json_str(j, "profile", pr ? pr->name : "none");
    qat_json_object(j, "limits");
    limit(j, "flash_bytes", l.flash_bytes);
    limit(j, "arena_bytes", l.arena_bytes);
    limit(j, "macs", l.macs);
    limit(j, "params", l.params);
    qat_json_close(j);
    qat_json_array(j, "models");
    for (int i = 0; i < n; i++) {
        const qat_target_check *c = &r[i].c;
        qat_json_object(j, NULL);
        qat_json_str(j, "model", r[i].key);
        qat_json_str(j, "file", r[i].file);
        qat_json_int(j, "flash_bytes", c->flash_bytes);
        qat_json_int(j, "arena_bytes", c->arena_bytes);
        qat_json_int(j, "macs", c->macs);
        qat_json_int(j, "params", c->params);
        qat_json_bool(j, "fits", c->fits);
        qat_json_object(j, "headroom"); /* limit − use; negative: over */
        if (l.flash_bytes > 0) qat_json_int(j, "flash_bytes", l.flash_bytes - c->flash_bytes);
        if (l.arena_bytes > 0) qat_json_int(j, "arena_bytes", l.arena_bytes - c->arena_bytes);
        if (l.macs > 0) qat_json_int(j, "macs", l.macs - c->macs);
        if (l.params > 0) qat_json_int(j, "params", l.params - c->params);
        qat_json_close(j);
        qat_json_close(j);
    }
    qat_json_close(j);
    qat_json_close(j);
}

qat_status qat_report_json(const qat_pipeline *p, const char *path, qat_error *e) {
    qat_target_row rows[QAT_TARGET_ROWS];
    int n_rows = 0;
    qat_status st = QAT_OK;
    if (p->quantized && qat_target_set(&p->cfg.target) &&
        (st = qat_report_target(p, rows, &n_rows, e)))
        return st;
    qat_afile a;
    st = qat_afile_open(&a, path, e);
    if (st) return st;
    qat_json j;
    qat_json_begin(&j, a.f);
    qat_json_str(&j, "qatrain", QAT_VERSION);
    qat_json_str(&j, "config", p->cfg.path);
    qat_json_u64(&j, "seed", p->cfg.seed);
    data_section(&j, p);
    qat_json_array(&j, "warnings");
    for (int i = 0; i < p->n_warnings; i++) qat_json_str(&j, NULL, p->warnings[i]);
    qat_json_close(&j);
    if (p->searched) qat_report_search_json(&j, p);
    model_section(&j, &p->model);
    training_section(&j, p);
    results_section(&j, p);
    if (p->quantized && qat_quant_staged(&p->cfg.quant)) schedule_section(&j, &p->cfg.quant);
    if (p->quantized && (p->cfg.quant.act_quantizer || p->cfg.quant.weight_quantizer)) {
        qat_json_object(&j, "qat_quantizers"); /* learned ranges (LSQ, PACT) */
        qat_json_str(&j, "activations", qat_act_quantizer_name(p->cfg.quant.act_quantizer));
        qat_json_str(&j, "weights", qat_weight_quantizer_name(p->cfg.quant.weight_quantizer));
        qat_json_close(&j);
    }
    if (p->quantized) qat_report_stages_json(&j, p);
    if (p->quantized) sqnr_section(&j, p);
    if (p->quantized) diagnostics_section(&j, p);
    if (p->quantized && p->sensitivity) sensitivity_section(&j, p);
    if (p->quantized && p->cfg.quant.auto_bits) auto_bits_section(&j, p);
    const qat_distill_config *dc = &p->cfg.distill;
    if (qat_distill_on(dc)) {
        qat_json_object(&j, "distillation");
        qat_json_str(&j, "teacher", dc->self ? "self" : dc->teacher);
        qat_json_str(&j, "teacher_checkpoint", dc->self ? "" : dc->checkpoint);
        qat_json_num(&j, "temperature", dc->temperature);
        qat_json_num(&j, "alpha", dc->alpha);
        qat_json_array(&j, "stages");
        if (dc->on_float) qat_json_str(&j, NULL, "float");
        if (dc->on_qat) qat_json_str(&j, NULL, "qat");
        qat_json_close(&j);
        qat_json_close(&j);
    }
    if (p->quantized && qat_target_set(&p->cfg.target)) target_section(&j, p, rows, n_rows);
    if (p->pruned) pruning_section(&j, p);
    qat_json_end(&j);
    return qat_afile_commit(&a, e);
}

qat_status qat_report_timing_json(const qat_pipeline *p, const char *path, qat_error *e) {
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    qat_json j;
    qat_json_begin(&j, a.f);
    qat_json_str(&j, "gemm_kernel", p->gemm_kernel ? p->gemm_kernel : "");
    qat_json_object(&j, "stage_seconds"); /* the report's own time is not in here */
    for (int k = 0; k < QAT_STAGE_COUNT; k++)
        qat_json_num(&j, qat_stage_name((qat_stage)k), p->stage_seconds[k]);
    qat_json_close(&j);
    qat_json_num(&j, "train_seconds", p->log.seconds);
    qat_json_array(&j, "epoch_seconds");
    for (int i = 0; i < p->log.epochs_run; i++) qat_json_num(&j, NULL, p->log.history[i].seconds);
    qat_json_close(&j);
    if (p->quantized) {
        qat_json_num(&j, "qat_seconds", p->qat_log.seconds);
        qat_variant_stats v[QAT_VARIANT_COUNT];
        int n = qat_report_variants(p, v);
        qat_json_object(&j, "latency_us");
        for (int i = 0; i < n; i++) qat_json_num(&j, v[i].key, v[i].latency_us);
        qat_json_close(&j);
    }
    qat_json_end(&j);
    return qat_afile_commit(&a, e);
}

const char *qat_stage_name(qat_stage s) {
    static const char *const names[] = {
        [QAT_STAGE_DATA] = "data", [QAT_STAGE_FLOAT] = "float", [QAT_STAGE_QUANTIZE] = "quantize",
        [QAT_STAGE_PRUNE] = "prune", [QAT_STAGE_MEASURE] = "measure", [QAT_STAGE_EXPORT] = "export",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_STAGE_COUNT, "stage names");
    return (unsigned)s < QAT_STAGE_COUNT ? names[s] : "unknown";
}

static double cv_column(const qat_cv_fold *f, int column) {
    return column == 0 ? f->float_acc : column == 1 ? f->ptq_acc : f->qat_acc;
}

double qat_cv_mean(const qat_cv_fold *f, int n, int column) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += cv_column(&f[i], column);
    return n ? sum / n : 0.0;
}

qat_status qat_report_cross_validation_csv(const qat_cv_fold *f, int n, const char *path,
                                           qat_error *e) {
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    fprintf(a.f, "held_out,train_samples,test_samples,float32,int8_ptq,int8_qat\n");
    int quantized = n > 0 && f[0].quantized;
    for (int i = 0; i < n; i++) {
        fprintf(a.f, "%s,%d,%d", f[i].source, f[i].n_train, f[i].n_test);
        for (int c = 0; c < 3; c++)
            if (c && !quantized) fputs(",", a.f);
            else fprintf(a.f, ",%.6f", cv_column(&f[i], c));
        fputs("\n", a.f);
    }
    fputs("mean,,", a.f);
    for (int c = 0; c < 3; c++)
        if (c && !quantized) fputs(",", a.f);
        else fprintf(a.f, ",%.6f", qat_cv_mean(f, n, c));
    fputs("\n", a.f);
    return qat_afile_commit(&a, e);
}

/* report.html (report.h): one page from the pipeline's results, its evaluation
 * (evaluate.h) and the SVGs gnuplot drew (plots.h), which are inlined, each with its ids
 * prefixed ("q3-gpPt1") so that five of them can share one document. Without the plots the
 * page has its tables and the caller gets plots.c's one warning line. */
#include "qat/report.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots.h"
#include "qat/io.h"

typedef struct page {
    const qat_pipeline *p;
    const qat_evaluation *ev;
    qat_variant_stats v[QAT_VARIANT_COUNT];
    int n_v;
    qat_plots plots;
} page;

/* ---------------------------------------------------------------- HTML helpers */

static void esc(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* 12,195 */
static void put_long(FILE *f, long v) {
    char d[32];
    int n = snprintf(d, sizeof d, "%ld", v < 0 ? -v : v);
    if (v < 0) fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) fputc(',', f);
        fputc(d[i], f);
    }
}

static int starts(const char *s, const char *prefix) {
    return !strncmp(s, prefix, strlen(prefix));
}

/* Length of the attribute opening at s whose id (or reference to one) needs the prefix:
 * ` id="`, `:href="#`, `url(#` (either quote); 0 elsewhere. prev is the character before s. */
static size_t id_opening(const char *s, char prev) {
    if ((prev == ' ' || prev == '\t' || prev == '\n') && (starts(s, "id=\"") || starts(s, "id='")))
        return 4;
    if (prev == ':' && (starts(s, "href=\"#") || starts(s, "href='#"))) return 7;
    return starts(s, "url(#") ? 5 : 0;
}

/* Copies a gnuplot SVG from its <svg> element on, without gnuplot's generic <title> and
 * <desc> elements (tooltips such as "gnuplot_plot_1a"), every id and reference to one
 * prefixed with "q<n>-": ids must be unique in a document and every gnuplot SVG defines
 * the same ones. */
static void put_svg(FILE *f, const char *svg, int n) {
    const char *s = strstr(svg, "<svg");
    for (char prev = ' '; s && *s; prev = s[-1]) {
        const char *close = starts(s, "<title>") ? "</title>" : starts(s, "<desc>") ? "</desc>" : NULL;
        const char *end = close ? strstr(s, close) : NULL;
        size_t k = id_opening(s, prev);
        if (end) {
            s = end + strlen(close);
            s += *s == '\n';
        } else if (k) {
            fwrite(s, 1, k, f);
            fprintf(f, "q%d-", n);
            s += k;
        } else {
            fputc(*s++, f);
        }
    }
}

static const char CSS[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:#1d2329;max-width:1000px;margin:2em auto;padding:0 1.2em}\n"
    "h1{font-size:1.7em;margin:0 0 .1em}\n"
    "h2{font-size:1.25em;margin:2.2em 0 .6em;padding-bottom:.25em;border-bottom:1px solid #d5dbe1}\n"
    ".meta{color:#5b6670;margin:0 0 1.5em}\n"
    "table{border-collapse:collapse;margin:.6em 0 1em;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:.32em .65em;border-bottom:1px solid #e3e7eb;text-align:right;vertical-align:top}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "thead th{border-bottom:2px solid #9aa5b1;vertical-align:bottom}\n"
    "table.kv td{text-align:left}\n"
    "table.layers td:nth-child(-n+3),table.layers th:nth-child(-n+3){text-align:left}\n"
    "table.kv th{font-weight:600;white-space:nowrap;padding-right:1.5em}\n"
    "td.best{font-weight:600}\n"
    "ul.notes{color:#47525c;font-size:.93em;padding-left:1.2em}\n"
    ".warn{background:#fff4e5;border:1px solid #f0c36d;padding:.5em .9em;border-radius:4px}\n"
    "figure{margin:1em 0 1.5em}\n"
    "figure svg{display:block;max-width:100%;height:auto}\n"
    "figcaption{color:#47525c;font-size:.93em;margin-top:.4em}\n"
    "code{font-size:.92em;background:#f2f4f6;padding:0 .25em;border-radius:3px}\n"
    "footer{margin-top:3em;color:#7a858f;font-size:.85em}\n";

static void head(FILE *f, const qat_pipeline *p) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>qatrain report: ",
          f);
    esc(f, p->cfg.path[0] ? p->cfg.path : "built-in config");
    fprintf(f, " (seed %llu)</title>\n<style>\n%s</style>\n</head>\n<body>\n", (unsigned long long)p->cfg.seed, CSS);
    fputs("<h1>qatrain report</h1>\n<p class=\"meta\">config <code>", f);
    esc(f, p->cfg.path[0] ? p->cfg.path : "(built-in)");
    fprintf(f, "</code> &middot; seed %llu &middot; qatrain " QAT_VERSION "</p>\n",
            (unsigned long long)p->cfg.seed);
}

/* ---------------------------------------------------------------- sections */

static void kv(FILE *f, const char *key) {
    fprintf(f, "<tr><th>%s</th><td>", key);
}

static void run_data(FILE *f, const qat_pipeline *p) {
    const qat_data_config *d = &p->cfg.data;
    kv(f, "data");
    fprintf(f, "%s, %d classes (", qat_data_source_name(d->source), d->n_classes);
    for (int c = 0; c < d->n_classes; c++) {
        if (c) fputs(", ", f);
        esc(f, d->classes[c]);
    }
    if (d->height > 0) fprintf(f, "); images of %d &times; %d &times; %d", d->height, d->width, d->channels);
    else fprintf(f, "); windows of %d steps &times; %d axes at %g Hz", d->window, d->channels, d->rate_hz);
    fprintf(f, "; train %d / validation %d / test %d samples%s%s%s</td></tr>\n", p->train.n,
            qat_pipeline_val(p)->n, p->test.n,
            p->val_is_test ? " (validation is the test split, as in the lesson)" : "",
            !p->val_is_test && p->cfg.train.val_select == QAT_VAL_LAST
                ? " (validation: the training file's last part, as Keras's validation_split)" : "",
            qat_data_has_test_file(d) ? "; the test split is the data set's own test file" : "");
    if (d->n_sources) {
        kv(f, "sources");
        for (int s = 0; s < d->n_sources; s++) {
            fputs(s ? "; " : "", f);
            esc(f, d->sources[s].name);
            fprintf(f, " (use %s): train %d / validation %d / test %d",
                    qat_source_use_name(d->sources[s].use), p->source_counts[s][QAT_PART_TRAIN],
                    p->source_counts[s][QAT_PART_VAL], p->source_counts[s][QAT_PART_TEST]);
        }
        fputs("</td></tr>\n", f);
    }
    for (int i = 0; i < p->n_warnings; i++) {
        kv(f, "warning");
        esc(f, p->warnings[i]);
        fputs("</td></tr>\n", f);
    }
}

static void run_training(FILE *f, const qat_pipeline *p) {
    const qat_train_config *t = &p->cfg.train;
    const qat_train_log *l = &p->log;
    kv(f, "model");
    put_long(f, (long)p->model.g.n_params);
    fputs(" parameters, ", f);
    put_long(f, qat_model_macs(&p->model));
    fprintf(f, " MACs per inference, %d layers (listed at the end)</td></tr>\n", p->model.n_layers);
    kv(f, "float training");
    fprintf(f, "%s, lr %g, batch %d: %d of %d epochs", qat_optimizer_name(t->optimizer), t->lr,
            t->batch, l->epochs_run, t->epochs);
    if (l->stopped_early) fputs(", stopped early", f);
    if (l->restored_best) fprintf(f, ", best epoch %d restored", l->best_epoch);
    fputs("</td></tr>\n", f);
}

/* "; weight bits by QAT epoch 1:8, 11:6, 21:4" when scheduled. */
static void schedule_text(FILE *f, const char *what, const qat_bits_schedule *s) {
    for (int k = 0; k < s->n; k++)
        fprintf(f, "%s%d:%d", k ? ", " : what, s->epoch[k], s->bits[k]);
}

static void run_quant(FILE *f, const qat_pipeline *p) {
    const qat_quant_config *q = &p->cfg.quant;
    kv(f, "quantization");
    fprintf(f, "PTQ: %s observer on %d calibration samples from the training split; "
            "QAT: %s observer, %d epochs at lr %g, batch %d; weights %d-bit (%s conv, %s dense), "
            "activations %d-bit",
            qat_observer_name(q->ptq_observer), p->calib.n, qat_observer_name(q->qat_observer),
            p->qat_log.epochs_run, q->lr, q->batch, q->weight_bits,
            q->per_channel_conv ? "per-channel" : "per-tensor",
            q->per_channel_dense ? "per-channel" : "per-tensor", q->act_bits);
    schedule_text(f, "; weight bits by QAT epoch ", &q->weight_schedule);
    schedule_text(f, "; activation bits by QAT epoch ", &q->act_schedule);
    if (q->act_quantizer != QAT_ACTQ_OBSERVER)
        fprintf(f, "; activation ranges learned (%s)", q->act_quantizer == QAT_ACTQ_LSQ ? "LSQ" : "PACT");
    if (q->weight_quantizer == QAT_WQ_LSQ) fputs("; weight scales learned (LSQ)", f);
    if (q->weight_start_epoch > 1) fprintf(f, "; weights quantized from epoch %d", q->weight_start_epoch);
    if (q->act_start_epoch > 1) fprintf(f, "; activations quantized from epoch %d", q->act_start_epoch);
    fputs("</td></tr>\n", f);
}

static void run_prune(FILE *f, const qat_pipeline *p) {
    const qat_prune_config *c = &p->cfg.prune;
    kv(f, "pruning");
    fprintf(f, "%s%s, %g %% &rarr; %g %% over %d epochs, then QAT keeping the masks",
            c->structured ? "structured, " : "", qat_prune_schedule_name(c->schedule),
            100 * c->initial_sparsity, 100 * c->final_sparsity, c->epochs);
    for (int i = 0; i < p->n_sweep; i++) fprintf(f, "%s%g %%", i ? ", " : "; sweep ", 100 * p->sweep[i].target);
    const char *sep = "; pruned in blocks of ";
    for (int i = 0; i < p->cfg.n_layers; i++) {
        const qat_layer_spec *l = &p->cfg.layers[i];
        int block = qat_prune_block_of(l, c);
        if (!l->prune || block < 2) continue;
        fprintf(f, "%s%d (", sep, block);
        esc(f, l->name);
        fputs(")", f);
        sep = ", ";
    }
    fputs("</td></tr>\n", f);
}

static void section_run(FILE *f, const qat_pipeline *p) {
    fputs("<h2>Run</h2>\n<table class=\"kv\">\n", f);
    run_data(f, p);
    run_training(f, p);
    if (p->quantized) run_quant(f, p);
    if (p->pruned) run_prune(f, p);
    fputs("</table>\n", f);
}

/* A row of the comparison table: one field of qat_variant_stats (at `field`) per column. */
static void row_long(FILE *f, const page *g, const char *label, size_t field, int zero_is_none) {
    fprintf(f, "<tr><td>%s</td>", label);
    for (int i = 0; i < g->n_v; i++) {
        long v = *(const long *)((const char *)&g->v[i] + field);
        fputs("<td>", f);
        if (zero_is_none && v == 0) fputs("&ndash;", f);
        else put_long(f, v);
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

static void row_pct(FILE *f, const page *g, const char *label, size_t field, int digits) {
    fprintf(f, "<tr><td>%s</td>", label);
    for (int i = 0; i < g->n_v; i++)
        fprintf(f, "<td>%.*f</td>", digits, 100 * *(const double *)((const char *)&g->v[i] + field));
    fputs("</tr>\n", f);
}

#define FIELD(name) offsetof(qat_variant_stats, name)

static void comparison_rows(FILE *f, const page *g) {
    row_pct(f, g, "test accuracy (%)", FIELD(accuracy), 2);
    row_long(f, g, "<code>.tflite</code> bytes", FIELD(tflite_bytes), 1);
    row_long(f, g, "gzip -9 bytes", FIELD(gzip_bytes), 1);
    row_long(f, g, "activation memory (bytes)", FIELD(arena_bytes), 1);
    row_long(f, g, "MACs per inference", FIELD(macs), 0);
    row_pct(f, g, "sparsity (%)", FIELD(sparsity), 1);
    row_long(f, g, "parameters (BN folded)", FIELD(parameters), 0);
    row_long(f, g, "weight bytes", FIELD(weight_bytes), 0);
    fputs("<tr><td>runs on TFLite Micro</td>", f);
    for (int i = 0; i < g->n_v; i++) fputs(g->v[i].runs_on_tflm ? "<td>yes</td>" : "<td>no</td>", f);
    fputs("</tr>\n", f);
}

static void comparison_notes(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<ul class=\"notes\">\n", f);
    if (p->quantized) {
        fprintf(f, "<li>Int8 columns: the integer engine (TFLite Micro's arithmetic) on the test "
                "split, %d samples (one sample is %.2f points). QAT's fake-quant graph scores "
                "%.2f %% and disagrees with the integer engine on %d of them.</li>\n",
                p->test.n, p->test.n ? 100.0 / p->test.n : 0.0, 100 * p->qat_sim_accuracy,
                p->sim_disagreements);
        fputs("<li><b>Dynamic range: TFLite Micro cannot run it</b> (hybrid int8-weight / float "
              "kernels); for a microcontroller deploy <code>model_int8.tflite</code> (Int8 QAT).</li>\n", f);
        fputs("<li>Activation memory: qatrain's memory plan of the activations (float: 4 bytes a "
              "value), which TFLite Micro plans the same way; its tensor arena adds its runtime "
              "structures: <code>model_int8_info.h</code> and <code>qatrain inspect</code> give the "
              "whole arena for 32- and 64-bit builds.</li>\n", f);
    }
    if (p->pruned)
        fputs("<li><b>Unstructured sparsity makes the file compress better, not smaller or "
              "faster</b>: TFLite stores and multiplies the zeros, so the <code>.tflite</code> "
              "size and the MACs stay; only the gzip size drops.</li>\n", f);
    fputs("<li>Host latency is a wall-clock figure that changes from run to run: see "
          "<code>timing.json</code>.</li>\n</ul>\n", f);
}

static void section_comparison(FILE *f, const page *g) {
    fputs("<h2>Comparison</h2>\n<table>\n<thead><tr><th></th>", f);
    for (int i = 0; i < g->n_v; i++) {
        fputs("<th>", f);
        esc(f, g->v[i].label);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    comparison_rows(f, g);
    fputs("</tbody>\n</table>\n", f);
    comparison_notes(f, g);
}

static void figure(FILE *f, const page *g, qat_plot plot, const char *caption) {
    if (!g->plots.svg[plot]) return;
    fputs("<figure>\n", f);
    put_svg(f, g->plots.svg[plot], plot + 1);
    fprintf(f, "\n<figcaption>%s</figcaption>\n</figure>\n", caption);
}

static void section_curves(FILE *f, const page *g) {
    fputs("<h2>Training curves</h2>\n", f);
    figure(f, g, QAT_PLOT_CURVES,
           "Loss (top) and accuracy (bottom) per epoch, training (solid) and validation "
           "(dashed), for each training phase that ran. QAT and pruning both start from the "
           "trained float model; the pruned model's QAT starts from the pruned model. Training "
           "figures are means over the epoch's batches with dropout on.");
    fprintf(f, "<p class=\"meta\">Validation data: %s. Per-epoch figures are also in "
            "<code>history.csv</code>%s.</p>\n",
            g->p->val_is_test ? "the test split (the lesson's setting)"
                              : "a held-out part of the training split",
            g->p->quantized ? " and <code>qat_history.csv</code>" : "");
}

static void sweep_row(FILE *f, const qat_prune_result *r, const char *run) {
    fprintf(f, "<tr><td>%s</td><td>%g %%</td><td>%.1f</td><td>%.2f</td><td>%.2f</td><td>", run,
            100 * r->target, 100 * r->sparsity, 100 * r->float_accuracy, 100 * r->accuracy);
    put_long(f, r->tflite_bytes);
    fputs("</td><td>", f);
    put_long(f, r->gzip_bytes);
    fprintf(f, "</td><td>%ld</td></tr>\n", r->lost_zeros);
}

static void sweep_table(FILE *f, const qat_pipeline *p) {
    const qat_prune_result *runs[QAT_PRUNE_RUNS_MAX];
    int n = qat_report_prune_runs(p, runs);
    fputs("<table>\n<thead><tr><th>run</th><th>target</th><th>sparsity (%)</th>"
          "<th>float, pruned (%)</th><th>int8 QAT (%)</th><th><code>.tflite</code> bytes</th>"
          "<th>gzip -9 bytes</th><th>pruned &ne; 0 in int8</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < n; i++) sweep_row(f, runs[i], i ? "sweep" : "configured");
    fputs("</tbody>\n</table>\n", f);
}

static void section_sweep(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<h2>Sparsity</h2>\n", f);
    figure(f, g, QAT_PLOT_SWEEP,
           "Test accuracy against the measured sparsity of the pruned kernels: int8 QAT "
           "(integer engine) and the float model right after pruning, before its QAT; 0 % is "
           "the unpruned model (Int8 QAT, float32). Right axis: the int8 <code>.tflite</code> "
           "and its gzip -9 size in KiB &mdash; the file does not shrink, it only compresses better.");
    sweep_table(f, p);
}

static void section_weights(FILE *f, const page *g) {
    const qat_quant_config *q = &g->p->cfg.quant;
    char cap[900];
    if (!g->plots.svg[QAT_PLOT_WEIGHTS]) return; /* a figure only */
    snprintf(cap, sizeof cap,
             "Weight histograms of each conv/dense kernel, %d bins over &plusmn;max|w|: the "
             "float model's kernel (shaded; batch norm folded in where one follows, as "
             "exported) against the QAT model's int8 kernel dequantized with its scales (line; "
             "%s for conv, %s for dense). The int8 kernel comes from the QAT model, which "
             "trained %d more epochs, so the two differ by that training as well as by rounding.",
             QAT_HIST_BINS, q->per_channel_conv ? "per channel" : "per tensor",
             q->per_channel_dense ? "per channel" : "per tensor", g->p->qat_log.epochs_run);
    fputs("<h2>Weights: float vs int8</h2>\n", f);
    figure(f, g, QAT_PLOT_WEIGHTS, cap);
}

static void section_confusion(FILE *f, const page *g) {
    char cap[600];
    int n = snprintf(cap, sizeof cap,
                     "Confusion matrices on the test split (%d samples): rows are the true "
                     "class, columns the predicted one; cells give sample counts, shaded by "
                     "the fraction of the true class. Float32 accuracy %.2f %%",
                     g->p->test.n, 100 * g->ev->confusion[QAT_EVAL_FLOAT32].accuracy);
    const qat_confusion *q = &g->ev->confusion[QAT_EVAL_INT8_QAT];
    if (q->count) snprintf(cap + n, sizeof cap - (size_t)n, "; int8 QAT (integer engine) %.2f %%.", 100 * q->accuracy);
    else snprintf(cap + n, sizeof cap - (size_t)n, ".");
    fputs("<h2>Confusion matrices</h2>\n", f);
    figure(f, g, QAT_PLOT_CONFUSION, cap);
    if (!g->plots.svg[QAT_PLOT_CONFUSION]) fprintf(f, "<p>%s</p>\n", cap);
}

static void put_db(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "<td>%.1f</td>", v);
    else fputs("<td>exact</td>", f);
}

static void section_sqnr(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<h2>Quantization error per tensor</h2>\n", f);
    figure(f, g, QAT_PLOT_SQNR,
           "SQNR = 10&middot;log<sub>10</sub>(&Sigma;f&sup2; / &Sigma;(f &minus; q&#770;)&sup2;) "
           "of each int8 activation tensor on the calibration set: PTQ against the float model, "
           "QAT against its own weights run in float. Higher is better; 6 dB is one bit. An "
           "exact tensor has no bar.");
    fputs("<table>\n<thead><tr><th>tensor</th><th>PTQ (dB)</th><th>QAT (dB)</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < p->n_sqnr; i++) {
        fputs("<tr><td>", f);
        esc(f, p->sqnr_ptq[i].name);
        fputs("</td>", f);
        put_db(f, p->sqnr_ptq[i].sqnr_db);
        put_db(f, p->sqnr_qat[i].sqnr_db);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void diagnosis_rows(FILE *f, const char *stage, const qat_diagnosis *d) {
    for (int i = 0; i < d->n; i++) {
        const qat_diag_finding *x = &d->f[i];
        fprintf(f, "<tr><td>%s</td><td>%s</td><td>", stage, qat_diag_kind_name(x->kind));
        esc(f, x->tensor);
        fputs("</td><td>", f);
        esc(f, x->detail);
        fputs("</td><td>", f);
        esc(f, qat_diag_remedy(x->kind));
        fputs("</td></tr>\n", f);
    }
}

/* A use against its limit: "16,752 (4,177,552 left)". */
static void limit_cell(FILE *f, long used, long limit) {
    fputs("<td>", f);
    put_long(f, used);
    if (limit > 0) {
        fputs(" (", f);
        put_long(f, labs(limit - used));
        fputs(used <= limit ? " left)" : " <strong>over</strong>)", f);
    }
    fputs("</td>", f);
}

/* Each int8 model against [target] (target.h). */
static void section_target(FILE *f, const qat_pipeline *p) {
    qat_target_row r[QAT_TARGET_ROWS];
    int n;
    qat_error e;
    fputs("<h2>Target</h2>\n", f);
    if (qat_report_target(p, r, &n, &e)) {
        fputs("<p>Not checked: ", f);
        esc(f, e.msg);
        fputs("</p>\n", f);
        return;
    }
    const qat_target_profile *pr = qat_target_profile_at(p->cfg.target.profile);
    qat_target_limits l = qat_target_limits_of(&p->cfg.target);
    fprintf(f, "<p>%s. Flash: the <code>.tflite</code>; arena: TFLite Micro's recommended tensor "
            "arena on a 32-bit MCU (the firmware header's figure)%s.</p>\n",
            p->cfg.target.profile ? pr->device : "Explicit limits",
            p->cfg.target.profile ? "; a device's totals also hold the firmware" : "");
    fputs("<table>\n<thead><tr><th>model</th><th>flash (B)</th><th>arena (B)</th><th>MACs</th>"
          "<th>parameters</th><th>fits</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "<tr><td><code>%s</code></td>", r[i].file);
        limit_cell(f, r[i].c.flash_bytes, l.flash_bytes);
        limit_cell(f, r[i].c.arena_bytes, l.arena_bytes);
        limit_cell(f, r[i].c.macs, l.macs);
        limit_cell(f, r[i].c.params, l.params);
        fprintf(f, "<td>%s</td></tr>\n", r[i].c.fits ? "yes" : "<strong>no</strong>");
    }
    fputs("</tbody>\n</table>\n", f);
}

/* [quant] sensitivity: which layer hurts (quant.h qat_sensitivity_analyse). */
static void section_sensitivity(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    const qat_sensitivity *s = p->sensitivity;
    fputs("<h2>Which layer hurts</h2>\n", f);
    fprintf(f, "<p>Each conv / dense layer's weights quantized alone (every other layer float) "
            "and then all of them, on the %s (%d samples; never the test split); float: %.2f "
            "%%.</p>\n", p->sensitivity_on, s->samples, 100 * s->float_accuracy);
    figure(f, g, QAT_PLOT_SENSITIVITY, "Accuracy with only that layer's weights quantized.");
    fputs("<table>\n<thead><tr><th>layer</th><th>weights</th><th>accuracy at 2 / 4 / 8 bits (%)"
          "</th><th>logits SQNR at 2 / 4 / 8 bits (dB)</th>", f);
    if (p->cfg.quant.auto_bits) fputs("<th>chosen bits</th>", f);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int i = 0; i <= s->n; i++) {
        const double *a = i < s->n ? s->layer[i].accuracy : s->all_accuracy,
                     *d = i < s->n ? s->layer[i].sqnr_db : s->all_sqnr_db;
        fputs("<tr><td>", f);
        esc(f, i < s->n ? s->layer[i].name : "all layers");
        fputs("</td><td>", f);
        if (i < s->n) put_long(f, s->layer[i].weights);
        fprintf(f, "</td><td>%.2f / %.2f / %.2f</td><td>%.1f / %.1f / %.1f</td>", 100 * a[0],
                100 * a[1], 100 * a[2], d[0], d[1], d[2]);
        if (p->cfg.quant.auto_bits) {
            if (i < s->n) fprintf(f, "<td>%d</td>", p->auto_bits[i]);
            else fputs("<td></td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* The progressive pipeline's stage table (with a [target]). */
static void section_stages(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<h2>Stage by stage</h2>\n<p>Each optimisation stage's int8 model against the "
          "target (test split; flash the file, arena TFLite Micro's on a 32-bit MCU).", f);
    if (p->stopped_early) fputs(" The QAT model fit: no pruning stage (<code>stop_when_met</code>).", f);
    fputs("</p>\n", f);
    figure(f, g, QAT_PLOT_STAGES, "Flash, arena and accuracy after each stage.");
    fputs("<table>\n<thead><tr><th>stage</th><th>int8 model</th><th>float (%)</th><th>int8 (%)"
          "</th><th>flash (B)</th><th>arena (B)</th><th>MACs</th><th>fits</th></tr></thead>\n"
          "<tbody>\n", f);
    for (int i = 0; i < p->n_stages; i++) {
        const qat_stage_row *r = &p->stages[i];
        fprintf(f, "<tr><td>%s</td><td><code>%s</code></td><td>%.2f</td><td>%.2f</td><td>%ld</td>"
                "<td>%ld</td><td>%ld</td><td>%s</td></tr>\n", qat_stage_kind_name(r->kind), r->file,
                100 * r->float_accuracy, 100 * r->int8_accuracy, r->c.flash_bytes, r->c.arena_bytes,
                r->c.macs, r->c.fits ? "yes" : "<strong>no</strong>");
    }
    fputs("</tbody>\n</table>\n", f);
}

/* [search]: the candidates against flash, and the Pareto front as a table. */
static void section_search(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    const qat_search_config *s = &p->cfg.search;
    const qat_search_result *r = &p->search;
    fputs("<h2>Architecture search</h2>\n", f);
    fprintf(f, "<p>%d candidates trained (%d epochs at most, early stopping after %d) and scored "
            "on the validation split; %d more drawn were over the target and never trained. "
            "Fitness: %s on %s accuracy. The winner, <code>", r->n, s->epochs, s->patience,
            r->rejected, qat_search_fitness_name(s->fitness), qat_search_accuracy_name(s->accuracy));
    esc(f, r->all[r->best].text);
    fputs("</code>, is the model of this report; <code>search_best.ini</code> holds it as a "
          "config.</p>\n", f);
    figure(f, g, QAT_PLOT_SEARCH, "Every candidate's validation accuracy against its flash.");
    fputs("<table>\n<thead><tr><th>Pareto front (by flash)</th><th>flash (B)</th><th>arena (B)"
          "</th><th>MACs</th><th>parameters</th><th>validation float / int8 (%)</th></tr>"
          "</thead>\n<tbody>\n", f);
    for (int k = 0; k < r->n_front; k++) {
        const qat_candidate *c = &r->all[r->front[k]];
        fputs("<tr><td><code>", f);
        esc(f, c->text);
        fprintf(f, "</code>%s</td><td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td><td>%.2f / "
                "%.2f</td></tr>\n", r->front[k] == r->best ? " (winner)" : "", c->cost.flash_bytes,
                c->cost.arena_bytes, c->cost.macs, c->cost.params,
                100.0 * c->val_float_correct / c->val_n, 100.0 * c->val_int8_correct / c->val_n);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* What the QAT diagnostics found (diagnose.h), with a remedy each. */
static void section_diagnostics(FILE *f, const qat_pipeline *p) {
    const qat_diagnosis *q = &p->diag_qat, *pq = p->pruned ? &p->diag_pqat : NULL;
    fprintf(f, "<h2>QAT diagnostics</h2>\n<p>Each QAT model on the %d training samples: "
            "collapsed or often-clipped activation ranges, dead filters, kernels whose scale a few "
            "weights set, batch norms whose folded statistics no longer fit the data.", q->samples);
    if (!q->n && !(pq && pq->n)) {
        fputs(" Nothing to report.</p>\n", f);
        return;
    }
    fputs("</p>\n<table>\n<thead><tr><th>model</th><th>finding</th><th>tensor</th><th>what</th>"
          "<th>try</th></tr></thead>\n<tbody>\n", f);
    diagnosis_rows(f, "QAT", q);
    if (pq) diagnosis_rows(f, "pruned QAT", pq);
    fputs("</tbody>\n</table>\n", f);
}

static void layer_row(FILE *f, const qat_layer_row *r) {
    fputs("<tr><td>", f);
    esc(f, r->name);
    fprintf(f, "</td><td>%s</td><td>%s</td><td>(", r->type, r->activation ? r->activation : "");
    for (int d = 0; d < r->ndim; d++) fprintf(f, "%s%d", d ? ", " : "", r->dim[d]);
    fputs(")</td><td>", f);
    put_long(f, r->parameters);
    fputs("</td></tr>\n", f);
}

static void section_layers(FILE *f, const qat_model *m) {
    fputs("<h2>Model</h2>\n<table class=\"layers\">\n<thead><tr><th>layer</th><th>type</th><th>activation</th>"
          "<th>output shape</th><th>parameters</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < m->n_layers; i++) {
        qat_layer_row r = qat_model_layer_row(m, i);
        layer_row(f, &r);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* The quantization lab's table (size, accuracy, reduction against float32) and its plot of
 * accuracy against size. Host times change from run to run: timing.json has them. */
static void section_lab(FILE *f, const page *g) {
    qat_lab_row r[QAT_LAB_ROWS];
    int n = qat_report_lab(g->p, r);
    fputs("<h2>The quantization lab's comparison</h2>\n<table>\n<thead><tr><th>Model type</th>"
          "<th>file</th><th>Size (KB)</th><th>Accuracy</th><th>Size reduction</th></tr></thead>"
          "\n<tbody>\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "<tr><td>%s</td><td><code>%s</code></td><td>%.2f</td><td>%.4f</td>"
                "<td>%.2f&times;</td></tr>\n", r[i].label, r[i].file, r[i].bytes / 1024.0,
                r[i].accuracy, r[i].bytes ? (double)r[0].bytes / r[i].bytes : 0.0);
    fputs("</tbody>\n</table>\n", f);
    figure(f, g, QAT_PLOT_LAB,
           "Test accuracy against file size for every model the lab compares: the lab's "
           "&ldquo;Pareto frontier&rdquo;. Int8 accuracies are the integer engine's.");
}

static void body(FILE *f, const page *g, const char *warning) {
    const qat_pipeline *p = g->p;
    if (warning[0]) {
        fputs("<p class=\"warn\">", f);
        esc(f, warning);
        fputs("</p>\n", f);
    }
    section_comparison(f, g);
    if (p->quantized) section_lab(f, g);
    section_run(f, p);
    section_curves(f, g);
    if (p->pruned) section_sweep(f, g);
    if (p->quantized) section_weights(f, g);
    section_confusion(f, g);
    if (p->quantized) section_sqnr(f, g);
    if (p->quantized && p->sensitivity) section_sensitivity(f, g);
    if (p->quantized) section_diagnostics(f, p);
    if (p->quantized && qat_target_set(&p->cfg.target)) section_target(f, p);
    if (p->quantized && p->n_stages && qat_target_set(&p->cfg.target)) section_stages(f, g);
    if (p->searched) section_search(f, g);
    section_layers(f, &p->model);
    fputs("<footer>Written by qatrain " QAT_VERSION " with the same bytes for the same config "
          "and seed; the figures are in <code>report.json</code>, wall-clock times in "
          "<code>timing.json</code>.</footer>\n</body>\n</html>\n", f);
}

/* ---------------------------------------------------------------- entry point */

qat_status qat_report_html(const qat_pipeline *p, const qat_evaluation *ev, const char *path,
                           char warning[QAT_REPORT_WARNING_MAX], qat_error *e) {
    page g = {.p = p, .ev = ev};
    g.n_v = qat_report_variants(p, g.v);
    qat_error pe = {0};
    qat_status st = qat_plots_draw(p, ev, &g.plots, warning, &pe);
    if (st) qat_error_set(e, st, "%s: %s", path, pe.msg);
    qat_afile a;
    if (!st) st = qat_afile_open(&a, path, e);
    if (!st) {
        head(a.f, p);
        body(a.f, &g, warning);
        st = qat_afile_commit(&a, e);
    }
    qat_plots_free(&g.plots);
    return st;
}

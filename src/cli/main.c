/* qatrain — the command line: parses arguments, calls the library, prints (main() is in
 * entry.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <errno.h>

#include "cli.h"
#include "qat/clock.h"
#include "qat/config.h"
#include "qat/hash.h"
#include "qat/outdir.h"
#include "qat/pipeline.h"
#include "qat/report.h"

#define EXIT_BAD_INPUT 2
#define MAX_SETS 64

static const char USAGE[] =
    "usage: qatrain CONFIG [options]\n"
    "       qatrain inspect FILE.tflite\n"
    "       qatrain run FILE.tflite INPUT.npy [OUTPUT.npy]\n"
    "\n"
    "Trains the model CONFIG describes (an INI file; configs/gesture_cnn.ini is the lesson)\n"
    "and writes history.csv, report.json, float.ckpt and timing.json to the output folder.\n"
    "\n"
    "options:\n"
    "  --out DIR         output folder (overrides [run] out)\n"
    "  --seed N          random seed (overrides [run] seed)\n"
    "  --set S.K=V       set key K of section S, e.g. --set train.epochs=10 or\n"
    "                    --set layer.conv1.filters=8 (repeatable)\n"
    "  --write-data DIR  write the dataset in the lessons' layout (DIR/<class>/*.npy), then exit\n"
    "  --init CKPT       start from this float checkpoint (float.ckpt of an earlier run with\n"
    "                    the same layers and data) instead of training the float model\n"
    "  --resume          continue a run stopped by Ctrl-C / SIGTERM from OUT/resume.ckpt\n"
    "                    (same config and options; the final files are those of an\n"
    "                    uninterrupted run, byte for byte)\n"
    "  --jobs            [search]: write each generation's candidates as job folders in\n"
    "                    OUT/search-jobs and their commands to OUT/search-jobs/jobs.txt, then\n"
    "                    exit 3; run the jobs (e.g. parallel < OUT/search-jobs/jobs.txt) and the\n"
    "                    same command again until it goes on to train the winner (exit 0)\n"
    "  --evaluate DIR    run one search job (a folder jobs.txt names) and write DIR/result.txt\n"
    "  --quiet           print nothing but errors\n"
    "  --help            this text\n"
    "  --version         the version\n"
    "\n"
    "inspect prints a .tflite's tensors (shapes, types, scales, zero points), operators,\n"
    "the op list for a TFLite Micro resolver and the tensor-arena estimate. run executes an\n"
    "int8 .tflite with qatrain's integer engine (TFLite Micro's arithmetic) on every sample\n"
    "of INPUT.npy (int8, uint8 or float32, matching the model input) and writes the raw\n"
    "outputs (default OUTPUT.npy: INPUT_out.npy).\n";

typedef struct options {
    const char *config, *out, *seed, *write_data, *init, *evaluate;
    const char *sets[MAX_SETS];
    int n_sets, quiet, resume, jobs;
    const char *argv0;
} options;

int qat_cli_fail(const char *msg) {
    fprintf(stderr, "qatrain: %s\n", msg);
    return EXIT_BAD_INPUT;
}

#define fail qat_cli_fail

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv, options *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(USAGE, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("qatrain %s\n", QAT_VERSION);
            return 0;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--resume")) {
            o->resume = 1;
        } else if (!strcmp(a, "--jobs")) {
            o->jobs = 1;
        } else if (!strcmp(a, "--out") || !strcmp(a, "--seed") || !strcmp(a, "--set") ||
                   !strcmp(a, "--write-data") || !strcmp(a, "--init") || !strcmp(a, "--evaluate")) {
            if (!has_value) {
                fprintf(stderr, "qatrain: %s needs a value (see --help)\n", a);
                return EXIT_BAD_INPUT;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) o->out = v;
            else if (!strcmp(a, "--seed")) o->seed = v;
            else if (!strcmp(a, "--write-data")) o->write_data = v;
            else if (!strcmp(a, "--init")) o->init = v;
            else if (!strcmp(a, "--evaluate")) o->evaluate = v;
            else if (o->n_sets == MAX_SETS) return fail("too many --set options");
            else o->sets[o->n_sets++] = v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "qatrain: unknown option '%s' (see --help)\n", a);
            return EXIT_BAD_INPUT;
        } else if (o->config) {
            fprintf(stderr, "qatrain: more than one config given ('%s' and '%s')\n", o->config, a);
            return EXIT_BAD_INPUT;
        } else {
            o->config = a;
        }
    }
    if (!o->config) return fail("no config given (usage: qatrain CONFIG [options]; see --help)");
    return -1;
}

/* The config file, then --set, --seed and --out, then the cross-key checks. */
static qat_status load_config(const options *o, qat_config *cfg, qat_error *e) {
    qat_status st = qat_config_load(o->config, cfg, e);
    for (int i = 0; !st && i < o->n_sets; i++) st = qat_config_set(cfg, o->sets[i], e);
    if (!st && o->seed) st = qat_config_set_option(cfg, "--seed", "run.seed", o->seed, e);
    if (!st && o->out) {
        if (strlen(o->out) >= sizeof cfg->out_dir) return qat_error_set(e, QAT_ERR_CONFIG, "--out: path too long");
        strcpy(cfg->out_dir, o->out);
    }
    return st ? st : qat_config_validate(cfg, e);
}

/* Set by SIGINT / SIGTERM: training stops after its current step and saves its state. The
 * one global of the program, because a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    stop_requested = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends the program at once */
}

typedef struct view {
    int tty, quiet;
    long steps, stop_at; /* steps seen; the test hook's interruption point (0: none) */
} view;

static void progress(void *ctx, const qat_progress *p) {
    view *v = ctx;
    if (!p->done && v->stop_at && ++v->steps == v->stop_at) stop_requested = 1;
    if (v->quiet) return;
    if (p->done) {
        const qat_epoch_stats *s = p->done;
        printf("%sepoch %3d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.2fs%s\n",
               v->tty ? "\r" : "", s->epoch, p->epochs, s->loss, s->accuracy, s->val_loss,
               s->val_accuracy, s->seconds, v->tty ? "\033[K" : "");
        fflush(stdout);
        return;
    }
    if (!v->tty) return;
    int width = 24, fill = p->step * width / p->steps;
    printf("\repoch %3d/%d [%.*s%*s] %d/%d  loss %.4f  acc %.4f\033[K", p->epoch, p->epochs, fill,
           "========================", width - fill, "", p->step, p->steps, p->loss, p->accuracy);
    fflush(stdout);
}

/* The quantization lab's table, as the lab prints it, with the host time per image. */
static void lab_table(const qat_pipeline *p) {
    qat_lab_row r[QAT_LAB_ROWS];
    int n = qat_report_lab(p, r);
    printf("  %-24s %10s %10s %15s %16s\n", "Model type", "Size (KB)", "Accuracy",
           "Size reduction", "Host time (us)");
    for (int i = 0; i < n; i++)
        printf("  %-24s %10.2f %10.4f %14.2fx %16.1f\n", r[i].label, r[i].bytes / 1024.0,
               r[i].accuracy, r[i].bytes ? (double)r[0].bytes / r[i].bytes : 0.0,
               r[i].latency_us);
    printf("\n");
}

static void table(const qat_pipeline *p) {
    qat_variant_stats v[QAT_VARIANT_COUNT];
    int n = qat_report_variants(p, v);
    printf("\n  %-22s", "");
    for (int i = 0; i < n; i++) printf("%16s", v[i].label);
    printf("\n  %-22s", "parameters");
    for (int i = 0; i < n; i++) printf("%16ld", v[i].parameters);
    printf("\n  %-22s", "weight bytes");
    for (int i = 0; i < n; i++) printf("%16ld", v[i].weight_bytes);
    printf("\n  %-22s", "activations (bytes)");
    for (int i = 0; i < n; i++) printf("%16ld", v[i].arena_bytes);
    printf("\n  %-22s", "MACs per inference");
    for (int i = 0; i < n; i++) printf("%16ld", v[i].macs);
    printf("\n  %-22s", "host latency (us)");
    for (int i = 0; i < n; i++) printf("%16.1f", v[i].latency_us);
    printf("\n  %-22s", ".tflite bytes");
    for (int i = 0; i < n; i++) printf("%16ld", v[i].tflite_bytes);
    printf("\n  %-22s", "gzip bytes");
    for (int i = 0; i < n; i++) printf("%16ld", v[i].gzip_bytes);
    printf("\n  %-22s", "sparsity (%)");
    for (int i = 0; i < n; i++) printf("%16.1f", 100 * v[i].sparsity);
    printf("\n  %-22s", "test accuracy (%)");
    for (int i = 0; i < n; i++) printf("%16.2f", 100 * v[i].accuracy);
    printf("\n\n  Float16 (weights stored as half floats): %.2f %%, %ld bytes (gzip %ld).\n",
           100 * p->fp16_accuracy, p->fp16_tflite_bytes, p->fp16_gzip_bytes);
    for (int m = 0; p->cfg.quant.uint8_io && m < QAT_UINT8_COUNT; m++)
        printf("  Full int8, uint8 input and output: model_%s.tflite %.2f %%, %ld bytes (gzip %ld).\n",
               qat_uint8_model_stem((qat_uint8_model)m), 100 * p->uint8_io[m].accuracy,
               p->uint8_io[m].tflite_bytes, p->uint8_io[m].gzip_bytes);
    printf("  Dynamic range: TFLite Micro cannot run it (hybrid int8-weight / float kernels);"
           "\n  for a microcontroller deploy model_int8.tflite (Int8 QAT).\n");
    if (p->pruned && !p->cfg.prune.structured)
        printf("  Unstructured sparsity makes the file compress better, not smaller or faster: TFLite\n"
               "  stores and multiplies the zeros ([prune] structured = true removes filters instead).\n");
    printf("\n");
}

/* [quant] sensitivity: which layer hurts, accuracy and logits' SQNR with only its weights
 * quantized. */
static void sensitivity(const qat_pipeline *p) {
    const qat_sensitivity *s = p->sensitivity;
    printf("  sensitivity (%s, %d samples; float %.2f %%): only this layer's weights quantized\n"
           "  %-20s %8s  %22s  %22s\n", p->sensitivity_on, s->samples, 100 * s->float_accuracy,
           "layer", "weights", "accuracy % at 2/4/8 bits", "logits SQNR dB 2/4/8");
    long total = 0;
    for (int i = 0; i < s->n; i++) total += s->layer[i].weights;
    for (int i = 0; i <= s->n; i++) {
        const double *a = i < s->n ? s->layer[i].accuracy : s->all_accuracy,
                     *d = i < s->n ? s->layer[i].sqnr_db : s->all_sqnr_db;
        printf("  %-20s %8ld  %6.2f %6.2f %6.2f   %6.1f %6.1f %6.1f\n",
               i < s->n ? s->layer[i].name : "(all layers)", i < s->n ? s->layer[i].weights : total,
               100 * a[0], 100 * a[1], 100 * a[2], d[0], d[1], d[2]);
    }
}

/* [quant] auto_bits: the chosen bits and what they cost and save. */
static void auto_bits(const qat_pipeline *p) {
    const qat_sensitivity *s = p->sensitivity;
    printf("  mixed precision (auto_bits):");
    for (int i = 0; i < s->n; i++) printf(" %s %d%s", s->layer[i].name, p->auto_bits[i], i + 1 < s->n ? "," : "");
    printf("\n    packed weights %ld B (8-bit: %ld B), PTQ %.2f %% (8-bit: %.2f %%) on the %s;\n"
           "    written to mixed_precision.ini\n", qat_auto_bits_bytes(s, p->auto_bits),
           qat_auto_bits_bytes(s, NULL), 100 * p->auto_accuracy, 100 * p->auto_base,
           p->sensitivity_on);
}

/* The QAT diagnostics of one stage: each finding and its remedy, or that there are none. */
static void diagnosis(const char *stage, const qat_diagnosis *d) {
    printf("  QAT diagnostics of the %s model (%d training samples, %d activations, %d kernels, %d batch "
           "norms): %s\n", stage, d->samples, d->activations, d->kernels, d->batchnorms,
           d->n ? "" : "nothing to report");
    for (int i = 0; i < d->n; i++)
        printf("    %s %s: %s\n      try: %s\n", qat_diag_kind_name(d->f[i].kind), d->f[i].tensor,
               d->f[i].detail, qat_diag_remedy(d->f[i].kind));
    if (d->dropped) printf("    (%d more findings not listed)\n", d->dropped);
}

/* "flash 16752 B (4177552 left)" or "(1312 over)"; nothing more without a limit. */
static void against(const char *what, long used, long limit, const char *unit, const char *sep) {
    printf(" %s %ld%s", what, used, unit);
    if (limit > 0) printf(" (%ld %s)", labs(limit - used), used <= limit ? "left" : "over");
    fputs(sep, stdout);
}

/* Each int8 model against [target]: flash, arena, MACs, parameters and whether it fits. */
static void target(const qat_pipeline *p) {
    qat_target_row r[QAT_TARGET_ROWS];
    int n;
    qat_error e;
    if (qat_report_target(p, r, &n, &e)) {
        printf("  target: not checked (%s)\n", e.msg);
        return;
    }
    const qat_target_profile *pr = qat_target_profile_at(p->cfg.target.profile);
    qat_target_limits l = qat_target_limits_of(&p->cfg.target);
    printf("  target      %s (arena: TFLite Micro's recommended one on a 32-bit MCU%s)\n",
           p->cfg.target.profile ? pr->device : "explicit limits",
           p->cfg.target.profile ? "; the device's totals also hold the firmware" : "");
    for (int i = 0; i < n; i++) {
        printf("    %-25s", r[i].file);
        against("flash", r[i].c.flash_bytes, l.flash_bytes, " B", ",");
        against("arena", r[i].c.arena_bytes, l.arena_bytes, " B", ",");
        against("MACs", r[i].c.macs, l.macs, "", ",");
        against("params", r[i].c.params, l.params, "", ":");
        printf(" %s\n", r[i].c.fits ? "fits" : "does NOT fit");
    }
}

/* The progressive pipeline's stage table: each stage's int8 model against [target]. */
static void stages(const qat_pipeline *p) {
    printf("  stages      %-14s %-26s %8s %8s %8s %8s %9s  %s\n", "", "int8 model", "float %",
           "int8 %", "flash B", "arena B", "MACs", "target");
    for (int i = 0; i < p->n_stages; i++) {
        const qat_stage_row *r = &p->stages[i];
        printf("              %-14s %-26s %8.2f %8.2f %8ld %8ld %9ld  %s\n",
               qat_stage_kind_name(r->kind), r->file, 100 * r->float_accuracy,
               100 * r->int8_accuracy, r->c.flash_bytes, r->c.arena_bytes, r->c.macs,
               r->c.fits ? "fits" : "does NOT fit");
    }
    if (p->stopped_early) printf("              (the QAT model fits: pruning skipped, [target] stop_when_met)\n");
}

static void summary(const qat_pipeline *p) {
    const qat_model *m = &p->model;
    printf("\nqatrain %s: %s\n", QAT_VERSION, p->cfg.path);
    printf("  data        %s, %d classes, train %d / val %d / test %d samples%s\n",
           qat_data_source_name(p->cfg.data.source), p->cfg.data.n_classes, p->train.n, qat_pipeline_val(p)->n,
           p->test.n, p->val_is_test ? " (validation = test, as the lesson)" : "");
    printf("  model       %zu parameters, %ld MACs per inference\n", m->g.n_params,
           qat_model_macs(m));
    printf("  training    %d epochs in %.2f s (GEMM kernel: %s)%s\n", p->log.epochs_run,
           p->log.seconds, p->gemm_kernel, p->log.stopped_early ? ", stopped early" : "");
    printf("  float32     test accuracy %.2f %%  (loss %.4f)\n", 100 * p->test_accuracy,
           p->test_loss);
    if (p->quantized) {
        table(p);
        lab_table(p);
        printf("  quantization error per int8 tensor (SQNR, dB; calibration set):\n  %-22s%15s%15s\n",
               "tensor", "PTQ", "QAT");
        for (int i = 0; i < p->n_sqnr; i++)
            printf("  %-22s%15.1f%15.1f\n", p->sqnr_ptq[i].name, p->sqnr_ptq[i].sqnr_db,
                   p->sqnr_qat[i].sqnr_db);
        printf("\n  int8 columns: the integer engine on the test split; QAT's fake-quant graph "
               "scores %.2f %% and\n  disagrees with the int8 engine on %d of %d test samples\n",
               100 * p->qat_sim_accuracy, p->sim_disagreements, p->test.n);
        if (p->sensitivity) sensitivity(p);
        if (p->cfg.quant.auto_bits) auto_bits(p);
        diagnosis("QAT", &p->diag_qat);
        if (p->pruned) diagnosis("pruned QAT", &p->diag_pqat);
        if (qat_target_set(&p->cfg.target)) target(p);
        if (qat_target_set(&p->cfg.target)) stages(p);
    }
    printf("  written to  %s/: report.json, history.csv, float.ckpt, model_float32.tflite, ...%s\n",
           p->cfg.out_dir, p->quantized ? " model_int8.tflite (for TFLite Micro), model_int8.{h,c}" : "");
}

/* A test hook's value from the environment (0 when unset). */
static long test_hook(const char *name) {
    const char *v = getenv(name);
    return v ? strtol(v, NULL, 10) : 0;
}

/* The dataset in the lessons' layout, staged and swapped in as a set like a run's outputs:
 * a failure, Ctrl-C or SIGTERM before the swap leaves DIR as it was. */
static int write_data(const qat_config *cfg, const char *dir, int quiet, qat_error *e) {
    if (cfg->data.height > 0) /* the lesson layout holds (T, C) recordings */
        return fail("--write-data: the npy folder layout holds 1-D (window, channels) samples; "
                    "2-D images (height, width) are not written yet");
    qat_dataset all = {0};
    char warning[1];
    qat_outdir od;
    qat_status st = qat_data_load(&cfg->data, cfg->seed, &all, e);
    if (!st) st = qat_data_validate(&cfg->data, &all, NULL, warning, sizeof warning, e);
    if (!st) st = qat_outdir_open(&od, dir, e);
    else od = (qat_outdir){.fd = -1, .staging_fd = -1};
    od.fail_at = test_hook("QATRAIN_TEST_FAIL_COMMIT_AT");
    if (!st) st = qat_data_write_npy_dir(&all, od.staging, e);
    if (!st && test_hook("QATRAIN_TEST_SIGTERM_WRITE_DATA")) raise(SIGTERM); /* tests: a real one */
    if (!st && stop_requested)
        st = qat_error_set(e, QAT_ERR_INTERRUPTED, "%s: interrupted; the folder is as it was", dir);
    if (!st) st = qat_outdir_commit(&od, e);
    qat_outdir_discard(&od, st ? e : NULL);
    if (!st && !quiet) printf("wrote %d samples to %s/<class>/*.npy\n", all.n, dir);
    qat_dataset_free(&all);
    if (st == QAT_ERR_INTERRUPTED) {
        fprintf(stderr, "qatrain: %s\n", e->msg);
        return 130;
    }
    return st ? fail(e->msg) : 0;
}

/* inspect / run; returns -1 when argv is not one of them. */
static int tflite_command(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "inspect") && strcmp(argv[1], "run"))) return -1;
    if (!strcmp(argv[1], "inspect")) {
        if (argc != 3) return fail("usage: qatrain inspect FILE.tflite");
        return qat_cmd_inspect(argv[2]);
    }
    if (argc != 4 && argc != 5) return fail("usage: qatrain run FILE.tflite INPUT.npy [OUTPUT.npy]");
    return qat_cmd_run(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
}

/* Which run this is, for --resume: the config file's bytes and every option that changes
 * results (all but --out, --quiet and --resume). */
static qat_status run_id(const options *o, uint64_t *id, qat_error *e) {
    void *text;
    size_t n;
    qat_status st = qat_read_file(o->config, &text, &n, e);
    if (st) return st;
    uint64_t h = qat_hash64(0, text, n);
    free(text);
    for (int i = 0; i < o->n_sets; i++) h = qat_hash64(h, o->sets[i], strlen(o->sets[i]) + 1);
    if (o->seed) h = qat_hash64(h, o->seed, strlen(o->seed) + 1);
    if (o->init) h = qat_hash64(h, o->init, strlen(o->init) + 1);
    *id = h;
    return QAT_OK;
}

/* Adds the time since *t to the stage's, and restarts the clock (timing.json). */
static void lap(qat_pipeline *p, qat_stage stage, double *t) {
    double now = qat_clock();
    p->stage_seconds[stage] += now - *t;
    *t = now;
}

/* Every output file goes to the output folder's staging folder first; the set is swapped
 * in only when all were written (include/qat/outdir.h): a failure midway (a full disk)
 * leaves an earlier run's files as they were, never half this run's and half the last's. */
static qat_status write_outputs(qat_pipeline *p, const qat_config *cfg, int quiet, qat_error *e) {
    char html[QAT_PATH_MAX], warning[QAT_REPORT_WARNING_MAX];
    qat_outdir od;
    qat_status st = qat_outdir_open(&od, cfg->out_dir, e);
    od.fail_at = test_hook("QATRAIN_TEST_FAIL_COMMIT_AT");
    snprintf(p->cfg.out_dir, sizeof p->cfg.out_dir, "%s", od.staging);
    double t = qat_clock();
    if (!st) st = qat_pipeline_export(p, e);
    lap(p, QAT_STAGE_EXPORT, &t);
    if (!st) st = qat_pipeline_write(p, e);
    if (!st) st = qat_path_join(html, sizeof html, od.staging, "report.html", e);
    qat_evaluation ev = {0};
    if (!st) st = qat_pipeline_evaluate(p, &ev, e);
    if (!st) st = qat_report_html(p, &ev, html, warning, e); /* without gnuplot: tables, a warning */
    qat_evaluation_free(&ev);
    if (!st && warning[0] && !quiet) fprintf(stderr, "qatrain: warning: %s\n", warning);
    snprintf(p->cfg.out_dir, sizeof p->cfg.out_dir, "%s", cfg->out_dir);
    if (!st) st = qat_outdir_commit(&od, e);
    qat_outdir_discard(&od, st ? e : NULL);
    return st;
}

/* The pipeline's warnings not printed yet, one line each. */
static void print_warnings(const qat_pipeline *p, int *printed, int quiet) {
    for (; *printed < p->n_warnings; ++*printed)
        if (!quiet) fprintf(stderr, "qatrain: warning: %s\n", p->warnings[*printed]);
}

/* Training stopped on a signal: save its state for --resume and exit 130 (as a shell does). */
static int interrupted(qat_pipeline *p, qat_resume *saved, const char *path, const options *o) {
    qat_error e = {0};
    qat_status st = qat_resume_write(p, path, &e);
    qat_pipeline_free(p);
    qat_resume_free(saved);
    if (st) return fail(e.msg);
    fprintf(stderr, "qatrain: interrupted: training state saved to %s; continue with: qatrain %s "
                    "--resume (and the same options)\n", path, o->config);
    return 130;
}

/* What qatrain printed, checked once at the end rather than after every printf: a write to
 * stdout or stderr that failed (a full disk, `> /dev/full`, a closed descriptor) makes a run
 * that otherwise succeeded exit 2, with one line on stderr if stderr still takes it. The
 * files the command wrote are whole (each written atomically), only what it printed is lost. */
static int check_printed(int rc) {
    errno = 0;
    const int out_failed = fflush(stdout) != 0 || ferror(stdout);
    const int why = errno;
    const int err_failed = fflush(stderr) != 0 || ferror(stderr);
    clearerr(stdout); /* a second call in the same process starts clean */
    clearerr(stderr);
    if (rc != 0 || (!out_failed && !err_failed)) return rc;
    if (out_failed)
        fprintf(stderr, "qatrain: cannot write to standard output (%s): the printed results are incomplete\n",
                why ? strerror(why) : "write error");
    return EXIT_BAD_INPUT;
}

static int cli_main(int argc, char **argv);

int qat_cli_main(int argc, char **argv) {
    return check_printed(cli_main(argc, argv));
}

/* The cross-validation table: accuracy on each held-out source, and the mean. */
static void cv_table(const qat_cv_fold *f, int n) {
    int q = n > 0 && f[0].quantized;
    printf("\nleave-one-source-out: test accuracy on the held-out source (trained on the others)\n"
           "  %-16s %7s %6s %9s %9s %9s\n", "held out", "train", "test", "float32",
           q ? "int8 PTQ" : "", q ? "int8 QAT" : "");
    for (int i = 0; i < n; i++) {
        printf("  %-16s %7d %6d %8.2f%%", f[i].source, f[i].n_train, f[i].n_test,
               100 * f[i].float_acc);
        if (q) printf(" %8.2f%% %8.2f%%", 100 * f[i].ptq_acc, 100 * f[i].qat_acc);
        printf("\n");
    }
    printf("  %-16s %7s %6s %8.2f%%", "mean", "", "", 100 * qat_cv_mean(f, n, 0));
    if (q) printf(" %8.2f%% %8.2f%%", 100 * qat_cv_mean(f, n, 1), 100 * qat_cv_mean(f, n, 2));
    printf("\n");
}

/* One shell word: 'text', each ' written as '\''. */
static void put_quoted(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) *s == '\'' ? (void)fputs("'\\''", f) : (void)fputc(*s, f);
    fputc('\'', f);
}

/* The command that evaluates one search job, without its folder: from this folder, this
 * program, the config as given (its path is written into each .tflite, whose bytes count)
 * and every option that changes results. Owned by the caller (NULL: out of memory). */
static char *job_command(const options *o) {
    char *buf = NULL, cwd[QAT_PATH_MAX], exe[2 * QAT_PATH_MAX + 2];
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    if (strchr(o->argv0, '/') && o->argv0[0] != '/') /* relative: from here */
        snprintf(exe, sizeof exe, "%s/%s", cwd, o->argv0);
    else
        snprintf(exe, sizeof exe, "%s", o->argv0); /* absolute, or found on PATH */
    fputs("cd ", f);
    put_quoted(f, cwd);
    fputs(" && ", f);
    put_quoted(f, exe);
    fputc(' ', f);
    put_quoted(f, o->config);
    for (int i = 0; i < o->n_sets; i++) fputs(" --set ", f), put_quoted(f, o->sets[i]);
    if (o->seed) fputs(" --seed ", f), put_quoted(f, o->seed);
    if (o->out) fputs(" --out ", f), put_quoted(f, o->out);
    fputs(" --quiet", f);
    return fclose(f) ? (free(buf), NULL) : buf;
}

#define EXIT_JOBS_PENDING 3

/* [search]: the architecture search, before the model is built. Returns -1 to go on, else
 * the exit status (EXIT_JOBS_PENDING: job folders to run first). */
static int search(const options *o, qat_pipeline *p, qat_status *st, qat_error *e) {
    const qat_search_config *s = &p->cfg.search;
    char dir[QAT_PATH_MAX], *cmd = NULL;
    if (o->jobs && !(*st = qat_path_join(dir, sizeof dir, p->cfg.out_dir, "search-jobs", e)) &&
        !(*st = qat_mkdir_p(p->cfg.out_dir, e)) && !(cmd = job_command(o)))
        *st = qat_error_set(e, QAT_ERR_NOMEM, "search: out of memory");
    if (*st) return -1;
    if (!o->quiet)
        printf("architecture search: population %d, %d generations, %s fitness on %s validation "
               "accuracy%s\n", s->population, s->generations, qat_search_fitness_name(s->fitness),
               qat_search_accuracy_name(s->accuracy), o->jobs ? " (job folders)" : "");
    double t0 = qat_clock();
    *st = qat_pipeline_search(p, o->jobs ? dir : NULL, cmd, e);
    p->search_seconds = qat_clock() - t0;
    free(cmd);
    if (*st == QAT_ERR_INTERRUPTED) { /* Ctrl-C: as a shell does; nothing to resume from */
        fprintf(stderr, "qatrain: interrupted during the architecture search: nothing written "
                        "(run again: the search starts over and finds the same winner)\n");
        return 130;
    }
    if (*st) return -1;
    const qat_search_result *r = &p->search;
    if (r->pending) {
        if (!o->quiet)
            printf("search: generation %d needs %d candidates trained: run the lines of %s/jobs.txt\n"
                   "(e.g. parallel < %s/jobs.txt), then this command again\n",
                   r->generations_done + 1, r->pending, dir, dir);
        return EXIT_JOBS_PENDING;
    }
    if (!o->quiet) {
        const qat_candidate *w = &r->all[r->best];
        printf("search: %d candidates trained, %d rejected before training by [target], %.1f s; "
               "winner %s\n  (validation float %.2f %%, int8 %.2f %%; flash %ld B, arena %ld B)\n",
               r->n, r->rejected, p->search_seconds, w->text, 100.0 * w->val_float_correct / w->val_n,
               100.0 * w->val_int8_correct / w->val_n, w->cost.flash_bytes, w->cost.arena_bytes);
    }
    return -1;
}

/* --evaluate DIR: one search job; returns the exit status. */
static int evaluate_job(const options *o, const qat_config *cfg) {
    static qat_pipeline p;
    qat_error e = {0};
    qat_pipeline_init(&p, cfg);
    qat_status st = cfg->search.enabled ? QAT_OK
                    : qat_error_set(&e, QAT_ERR_CONFIG, "--evaluate: %s has no [search] enabled",
                                    o->config);
    if (!st) st = qat_pipeline_data(&p, &e);
    if (!st) st = qat_pipeline_search_job(&p, o->evaluate, &e);
    qat_pipeline_free(&p);
    return st ? fail(e.msg) : 0;
}

/* One whole run of cfg: data, training, quantization, pruning, outputs; r (if not NULL) gets
 * its sample counts and test accuracies (a cross-validation fold). Returns the exit status. */
static int run(const options *o, const qat_config *cfg, qat_cv_fold *r) {
    qat_error e = {0};
    static qat_pipeline p;
    static qat_resume saved;
    qat_pipeline_init(&p, cfg);
    p.stop = &stop_requested;
    const char *hook = getenv("QATRAIN_TEST_INTERRUPT_AT_STEP"); /* tests: a deterministic Ctrl-C */
    view v = {isatty(STDOUT_FILENO), o->quiet, 0, hook ? strtol(hook, NULL, 10) : 0};
    char resume_path[QAT_PATH_MAX];
    qat_status st = qat_path_join(resume_path, sizeof resume_path, cfg->out_dir, "resume.ckpt", &e);
    if (!st) st = run_id(o, &p.run_id, &e);
    if (!st) st = qat_inputs_digest(cfg, o->init, &p.inputs, &e);
    if (!st && o->resume && access(resume_path, F_OK) != 0)
        st = qat_error_set(&e, QAT_ERR_IO, "%s: no interrupted run to resume here (run without "
                           "--resume to start one)", resume_path);
    if (!st && o->resume) {
        st = qat_resume_read(&saved, resume_path, p.run_id, &e);
        if (!st) st = qat_inputs_compare(&saved.inputs, &p.inputs, cfg, &e);
        p.resume_from = st ? NULL : &saved;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int warned = 0;
    double t = qat_clock();
    if (!st) st = qat_pipeline_data(&p, &e);
    print_warnings(&p, &warned, o->quiet);
    if (!st && cfg->search.enabled) {
        int rc = search(o, &p, &st, &e);
        print_warnings(&p, &warned, o->quiet);
        if (rc >= 0) {
            qat_pipeline_free(&p);
            return rc;
        }
    }
    if (!st) st = qat_pipeline_build(&p, &e);
    if (!st && o->init) st = qat_pipeline_load_float(&p, o->init, &e);
    /* Only now, for resume.ckpt: bad data or a wrong --init leave no folder behind. */
    if (!st) st = qat_mkdir_p(cfg->out_dir, &e);
    lap(&p, QAT_STAGE_DATA, &t);
    if (!st && !o->init) st = qat_pipeline_train(&p, progress, &v, &e);
    lap(&p, QAT_STAGE_FLOAT, &t);
    if (!st && cfg->quant.enabled) {
        if (!o->quiet) printf("quantization-aware training (%d epochs)\n", cfg->quant.epochs);
        st = qat_pipeline_quantize(&p, progress, &v, &e);
        print_warnings(&p, &warned, o->quiet);
    }
    if (!st && p.quantized) st = qat_pipeline_stage(&p, QAT_PSTAGE_ARCHITECTURE, &e);
    if (!st && p.quantized) st = qat_pipeline_stage(&p, QAT_PSTAGE_QAT, &e);
    lap(&p, QAT_STAGE_QUANTIZE, &t);
    if (!st && cfg->prune.enabled && qat_pipeline_target_met(&p)) {
        p.stopped_early = 1;
        if (!o->quiet) printf("the QAT model fits [target]: no pruning stage ([target] stop_when_met)\n");
    } else if (!st && cfg->prune.enabled) {
        if (!o->quiet)
            printf("pruning %.0f %% -> %.0f %% over %d epochs, then QAT keeping the masks (%d epochs)\n",
                   100 * cfg->prune.initial_sparsity, 100 * cfg->prune.final_sparsity,
                   cfg->prune.epochs, cfg->quant.epochs);
        st = qat_pipeline_prune(&p, progress, &v, &e);
        if (!st && p.pruned) st = qat_pipeline_stage(&p, QAT_PSTAGE_PRUNING, &e);
    }
    lap(&p, QAT_STAGE_PRUNE, &t);
    if (p.interrupted) return interrupted(&p, &saved, resume_path, o);
    /* Past training a signal changes nothing: the remaining stages take well under a second,
     * and finishing them beats leaving an unfinished folder. */
    if (!st) st = qat_pipeline_measure(&p, &e);
    lap(&p, QAT_STAGE_MEASURE, &t);
    if (!st) st = write_outputs(&p, cfg, o->quiet, &e);
    if (!st) qat_outdir_remove_file(cfg->out_dir, "resume.ckpt"); /* finished: nothing to resume */
    qat_resume_free(&saved);
    if (!st && !o->quiet) summary(&p);
    if (!st && r)
        *r = (qat_cv_fold){r->source, p.train.n, p.test.n, p.quantized, p.test_accuracy,
                           p.ptq_accuracy, p.qat_accuracy};
    qat_pipeline_free(&p);
    return st ? fail(e.msg) : 0;
}

/* Leave-one-source-out: for each source in turn, a whole run in OUT/holdout-NAME with that
 * source as the test split and all the others training; then OUT/cross_validation.csv and
 * the table (per held-out source and the mean). */
static int cross_validate(const options *o, const qat_config *cfg) {
    if (o->resume || o->init)
        return fail("--resume and --init take one run; [data] cross_validate makes one per "
                    "source (run a fold alone with --set data.cross_validate=none and "
                    "--set source.NAME.use=test)");
    static qat_config fold;
    qat_cv_fold folds[QAT_MAX_SOURCES];
    int n = cfg->data.n_sources;
    for (int k = 0; k < n; k++) {
        fold = *cfg;
        fold.data.cross_validate = QAT_CV_NONE;
        for (int s = 0; s < n; s++) fold.data.sources[s].use = s == k ? QAT_USE_TEST : QAT_USE_TRAIN;
        char sub[QAT_NAME_MAX + 16];
        snprintf(sub, sizeof sub, "holdout-%s", cfg->data.sources[k].name);
        qat_error e = {0};
        if (qat_path_join(fold.out_dir, sizeof fold.out_dir, cfg->out_dir, sub, &e))
            return fail(e.msg);
        if (!o->quiet) printf("== fold %d of %d: test on source %s, train on the others\n", k + 1, n,
                              cfg->data.sources[k].name);
        folds[k] = (qat_cv_fold){.source = cfg->data.sources[k].name};
        int rc = run(o, &fold, &folds[k]);
        if (rc) return rc;
    }
    char path[QAT_PATH_MAX];
    qat_error e = {0};
    qat_status st = qat_mkdir_p(cfg->out_dir, &e);
    if (!st) st = qat_path_join(path, sizeof path, cfg->out_dir, "cross_validation.csv", &e);
    if (!st) st = qat_report_cross_validation_csv(folds, n, path, &e);
    if (st) return fail(e.msg);
    if (!o->quiet) cv_table(folds, n);
    return 0;
}

static int cli_main(int argc, char **argv) {
    stop_requested = 0; /* a second call in the same process starts unstopped */
    int cmd = tflite_command(argc, argv);
    if (cmd >= 0) return cmd;
    options o = {.argv0 = argv[0]};
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) return rc;
    qat_error e = {0};
    static qat_config cfg; /* large: keep it off the stack */
    if (load_config(&o, &cfg, &e)) return fail(e.msg);
    if (o.write_data) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        return write_data(&cfg, o.write_data, o.quiet, &e);
    }
    if (cfg.data.cross_validate == QAT_CV_LEAVE_ONE_SOURCE_OUT) return cross_validate(&o, &cfg);
    if ((o.jobs || o.evaluate) && !cfg.search.enabled)
        return fail("--jobs and --evaluate run a [search]; this config has none enabled");
    if (cfg.search.enabled && o.init)
        return fail("--init: a [search] chooses the layers; give --init to a run of the config it "
                    "writes (search_best.ini)");
    if (o.evaluate) return evaluate_job(&o, &cfg);
    return run(&o, &cfg, NULL);
}

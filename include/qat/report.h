/* qatrain — what a run leaves behind for people and scripts.
 *
 * history.csv   epoch,loss,accuracy,val_loss,val_accuracy,lr — one row per epoch; a QAT
 *               history under progressive / delayed quantization (staged: the quant config,
 *               else NULL) adds weight_bits,act_bits (qat_quant_stage_bits: 32 = not yet
 *               quantized)
 * report.json   the run's results; its layout is an interface (README documents it)
 * timing.json   wall-clock figures: the one output that differs between identical runs */
#ifndef QAT_REPORT_H
#define QAT_REPORT_H

#include "qat/evaluate.h"
#include "qat/pipeline.h"
#include "qat/train.h"

#define QAT_VERSION "0.1.0"

typedef struct qat_variant_stats {
    const char *key;    /* report.json key: "float32", "dynamic_range", "int8_ptq", "int8_qat",
                           "int8_qat_pruned" */
    const char *label;  /* table heading */
    long parameters;    /* in the exported model: batch norm folded, biases included */
    long weight_bytes;  /* constant bytes of kernels and biases */
    long arena_bytes;   /* activation memory: the int8 memory plan (x4 for float) */
    long macs;          /* per inference */
    double accuracy;    /* test accuracy; int8 columns from the integer engine */
    long tflite_bytes;  /* the exported file (0 before export) */
    long gzip_bytes;    /* ... gzip -9 */
    double sparsity;    /* pruned fraction of the prunable kernels (0 unless pruned) */
    int runs_on_tflm;   /* TFLite Micro runs float32 and full-int8 models, not hybrid ops */
    double latency_us;  /* host latency per inference (timing only, not in report.json) */
} qat_variant_stats;

/* Fills the table's columns (only FLOAT32 when the run was not quantized); returns the
 * number of columns filled. */
int qat_report_variants(const qat_pipeline *p, qat_variant_stats out[QAT_VARIANT_COUNT]);

/* The int8 models (PTQ, QAT, pruned QAT: those that ran) against the run's [target]
 * (target.h): what each takes and whether it fits. */
#define QAT_TARGET_ROWS 3
typedef struct qat_target_row {
    const char *key;    /* report.json's variant key */
    const char *file;   /* model_*.tflite */
    qat_target_check c;
} qat_target_row;
qat_status qat_report_target(const qat_pipeline *p, qat_target_row rows[QAT_TARGET_ROWS], int *n,
                             qat_error *e);

/* The quantization lab's comparison (LAB03's "model type, size, accuracy, size reduction"),
 * one row per file it compares: float32, float16, dynamic range, full int8 (the PTQ model;
 * its uint8-I/O file when [quant] uint8_io), QAT int8 and, when pruned, the pruned int8
 * model. Only float32 before quantization. The size reduction is float32's bytes / bytes. */
#define QAT_LAB_ROWS 6
typedef struct qat_lab_row {
    const char *label;  /* the lab's model type */
    char file[40];      /* model_*.tflite */
    long bytes;         /* the file */
    double accuracy;    /* test split; int8 rows from the integer engine */
    double latency_us;  /* host, one image (timing only: float16 and dynamic range are run
                           with the float kernels, as the float32 row) */
} qat_lab_row;
int qat_report_lab(const qat_pipeline *p, qat_lab_row out[QAT_LAB_ROWS]);

/* The pruning runs in the order the report lists them: the configured sparsity, then the
 * sweep's; returns how many (0 unless pruned). */
#define QAT_PRUNE_RUNS_MAX (QAT_MAX_SWEEP + 1)
int qat_report_prune_runs(const qat_pipeline *p, const qat_prune_result *out[QAT_PRUNE_RUNS_MAX]);

qat_status qat_report_history_csv(const qat_train_log *log, const qat_quant_config *staged,
                                  const char *path, qat_error *e);
qat_status qat_report_json(const qat_pipeline *p, const char *path, qat_error *e);
/* [search] (src/report/search.c): search.csv — every candidate the search trained, in the
 * order it first trained them (generation, genome, params, macs, flash_bytes, arena_bytes,
 * epochs, validation accuracy float and int8 in %, fitness, on_front, winner) — or with
 * front_only the non-dominated set by flash (search_front.csv); report.json's "search". */
qat_status qat_report_search_csv(const qat_pipeline *p, const char *path, int front_only,
                                 qat_error *e);
struct qat_json;
void qat_report_search_json(struct qat_json *j, const qat_pipeline *p);
/* report.json's "stages" (each stage's int8 model: file, float and int8 test accuracy,
 * flash, arena, MACs, parameters, fits) and "stopped_early" (src/report/stages.c). */
void qat_report_stages_json(struct qat_json *j, const qat_pipeline *p);
qat_status qat_report_timing_json(const qat_pipeline *p, const char *path, qat_error *e);

/* report.html: one self-contained page (no script, no network, plots as inline SVG) with
 * the comparison table, the run's settings, the sparsity sweep, SQNR and layer tables and,
 * drawn by gnuplot with scripts/plots.gp, training curves, accuracy against sparsity, float
 * vs int8 weight histograms, confusion matrices and per-tensor SQNR. Byte-identical for the
 * same config and seed (no timestamps, no latency: that is in timing.json). The figures
 * computed from the models and data come in ev (qat_pipeline_evaluate); the page only
 * formats them and p's results.
 * Environment: QAT_GNUPLOT (the gnuplot program; default "gnuplot" on PATH) and QAT_SCRIPTS
 * (the folder holding plots.gp; default <folder of the executable>/../scripts, else
 * ./scripts); src/report/plots.c says more. When gnuplot or the script is missing or
 * gnuplot fails, the page is still written, without plots, and `warning` gets one line
 * saying so (otherwise it is ""). The status is an error only when report.html could not be
 * written or memory ran out. Never prints. */
/* One fold of a leave-one-source-out cross-validation: the held-out source and its run's
 * test accuracies (PTQ and QAT: the integer engine's). */
typedef struct qat_cv_fold {
    const char *source;      /* the held-out source's name (borrowed) */
    int n_train, n_test;
    int quantized;           /* the int8 columns hold numbers */
    double float_acc, ptq_acc, qat_acc;
} qat_cv_fold;

/* The mean over the folds (each held-out source weighs the same) of one column: 0 float,
 * 1 PTQ, 2 QAT. */
double qat_cv_mean(const qat_cv_fold *f, int n, int column);
/* cross_validation.csv: held_out,train_samples,test_samples,float32,int8_ptq,int8_qat — one
 * row per fold, then "mean" (accuracies as fractions, %.6f; int8 columns empty when not
 * quantized). Written atomically. */
qat_status qat_report_cross_validation_csv(const qat_cv_fold *f, int n, const char *path,
                                           qat_error *e);

#define QAT_REPORT_WARNING_MAX 256
qat_status qat_report_html(const qat_pipeline *p, const qat_evaluation *ev, const char *path,
                           char warning[QAT_REPORT_WARNING_MAX], qat_error *e);

#endif

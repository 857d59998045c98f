/* qatrain — what a run leaves behind for people and scripts.
 *
 * history.csv   epoch,loss,accuracy,val_loss,val_accuracy,lr — one row per epoch
 * report.json   the run's results; its layout is an interface (README documents it)
 * timing.json   wall-clock figures: the one output that differs between identical runs */
#ifndef QAT_REPORT_H
#define QAT_REPORT_H

#include "qat/pipeline.h"
#include "qat/train.h"

#define QAT_VERSION "0.1.0"

typedef struct qat_variant_stats {
    const char *key;    /* report.json key: "float32", "dynamic_range", "int8_ptq", "int8_qat",
                           "int8_qat_pruned" */
    const char *label;  /* table heading */
    long parameters;    /* in the exported model: batch norm folded, biases included */
    long weight_bytes;  /* constant bytes of kernels and biases */
    long arena_bytes;   /* tensor-arena estimate from the int8 memory plan (x4 for float) */
    long macs;          /* per inference */
    double accuracy;    /* test accuracy; int8 columns from the integer engine */
    long tflite_bytes;  /* the exported file (0 before export) */
    long gzip_bytes;    /* ... gzip -9 */
    double sparsity;    /* pruned fraction of the prunable kernels (0 unless pruned) */
    double latency_us;  /* host latency per inference (timing only, not in report.json) */
} qat_variant_stats;

/* Fills the table's columns (only FLOAT32 when the run was not quantized); returns the
 * number of columns filled. */
int qat_report_variants(const qat_pipeline *p, qat_variant_stats out[QAT_VARIANT_COUNT]);

qat_status qat_report_history_csv(const qat_train_log *log, const char *path, qat_error *e);
qat_status qat_report_json(const qat_pipeline *p, const char *path, qat_error *e);
qat_status qat_report_timing_json(const qat_pipeline *p, const char *path, qat_error *e);

#endif

/* qatrain — what report.html shows that has to be computed from the models and the data:
 * confusion matrices on the test split and the float-vs-int8 weight histograms, as plain
 * results the report only formats (it never runs a model); and the model table's rows, one
 * description per layer that report.json and report.html both print. */
#ifndef QAT_EVALUATE_H
#define QAT_EVALUATE_H

#include "qat/pipeline.h"

#define QAT_HIST_BINS 61

/* Test-split predictions against the truth. */
typedef struct qat_confusion {
    int n_classes;
    int *count;      /* [true · n_classes + predicted] (owned); NULL when not evaluated */
    double accuracy; /* the accuracy these predictions give */
} qat_confusion;

/* One conv/dense kernel as exported: the float model's (batch norm folded in where one
 * follows) and the QAT model's int8 kernel dequantized with its scales, each counted in
 * QAT_HIST_BINS equal bins over [-range, range], range = max |w| of both (1 when all are 0). */
typedef struct qat_weight_hist {
    const char *layer; /* the layer's name (borrowed from the pipeline's model) */
    double range;
    long float_count[QAT_HIST_BINS];
    long int8_count[QAT_HIST_BINS];
    int has_int8;      /* 0 when the QAT model has no int8 kernel for the layer */
} qat_weight_hist;

typedef enum qat_eval_model {
    QAT_EVAL_FLOAT32,  /* the float model */
    QAT_EVAL_INT8_QAT, /* the QAT model's int8 IR on the integer engine (when quantized) */
    QAT_EVAL_MODEL_COUNT
} qat_eval_model;

typedef struct qat_evaluation {
    qat_confusion confusion[QAT_EVAL_MODEL_COUNT];
    int n_hist;            /* one per conv/dense layer when quantized, else 0 */
    qat_weight_hist *hist; /* (owned) */
} qat_evaluation;

/* Runs the float model and the int8 engine on p's test split and reads the kernels; p is
 * not const because running a model uses its graph. *ev is zeroed on failure (out of
 * memory, or the int8 engine's error). Free with qat_evaluation_free. */
qat_status qat_pipeline_evaluate(qat_pipeline *p, qat_evaluation *ev, qat_error *e);
void qat_evaluation_free(qat_evaluation *ev);

/* A row of the model table: what report.json's "layers" and report.html's table give. */
typedef struct qat_layer_row {
    const char *name;       /* borrowed from the model */
    const char *type;       /* qat_layer_kind_name */
    const char *activation; /* NULL for a layer without one (only conv and dense have it) */
    int ndim;
    int dim[QAT_MAX_DIM];   /* output shape per sample */
    long parameters;
} qat_layer_row;

qat_layer_row qat_model_layer_row(const qat_model *m, int i);

#endif

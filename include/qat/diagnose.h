/* qatrain — QAT diagnostics: what went wrong in a quantized model, with a remedy each.
 *
 * Run on a fake-quant model after a QAT stage, over samples of the training split (never the
 * test split), in inference mode (nothing moves). Each check and its threshold:
 *   collapsed_range  an activation tensor whose values fall on at most QAT_DIAG_FEW_LEVELS of
 *                    its integer levels over the data: it carries almost no information
 *   saturation       an activation tensor with more than QAT_DIAG_CLIPPED of its values
 *                    clipped: beyond the representable range by more than half a step
 *   dead_channels    output channels whose kernel is all zero or below QAT_DIAG_DEAD times
 *                    the layer's largest channel (dead filters: their output is the bias)
 *   weight_outliers  a kernel whose typical weight (RMS) spans fewer than QAT_DIAG_WEIGHT_LEVELS
 *                    integer levels of its scale group: a few large weights set the scale and
 *                    the rest round to a handful of values (checked at 4 bits and more: at 2
 *                    and 3 bits every kernel has that few levels by design)
 *   bn_drift         a folded batch norm whose running statistics no longer describe the data:
 *                    some channel's pre-BN mean is more than QAT_DIAG_BN_SHIFT of its running
 *                    standard deviation away from the running mean, or its standard deviation
 *                    is off by more than a factor QAT_DIAG_BN_SCALE (the folded bias and scale
 *                    then shift and stretch that channel's output) */
#ifndef QAT_DIAGNOSE_H
#define QAT_DIAGNOSE_H

#include "qat/data.h"
#include "qat/quant.h"

#define QAT_DIAG_FEW_LEVELS 4
#define QAT_DIAG_CLIPPED 0.01
#define QAT_DIAG_DEAD 1e-3
#define QAT_DIAG_WEIGHT_LEVELS 2.0
#define QAT_DIAG_WEIGHT_MIN_QMAX 7 /* 4-bit weights */
#define QAT_DIAG_BN_SHIFT 0.5
#define QAT_DIAG_BN_SCALE 2.0
#define QAT_DIAG_MAX 32
#define QAT_DIAG_DETAIL_MAX 160

typedef enum qat_diag_kind {
    QAT_DIAG_COLLAPSED_RANGE,
    QAT_DIAG_SATURATION,
    QAT_DIAG_DEAD_CHANNELS,
    QAT_DIAG_WEIGHT_OUTLIERS,
    QAT_DIAG_BN_DRIFT,
    QAT_DIAG_KIND_COUNT
} qat_diag_kind;

typedef struct qat_diag_finding {
    qat_diag_kind kind;
    char tensor[QAT_NODE_NAME_MAX]; /* the layer (or "input") */
    double value;                   /* levels used, clipped fraction, dead channels, levels
                                       per RMS weight, or the largest BN shift (in σ) */
    char detail[QAT_DIAG_DETAIL_MAX];
} qat_diag_finding;

typedef struct qat_diagnosis {
    int n;                          /* findings (at most QAT_DIAG_MAX; `dropped` beyond) */
    int dropped;
    qat_diag_finding f[QAT_DIAG_MAX];
    int activations, kernels, batchnorms, samples; /* what was checked */
} qat_diagnosis;

/* Checks qm over the samples of d (normalised; the training split's). Leaves qm's
 * parameters and state untouched; QAT_ERR_NOMEM when its counters cannot be allocated. */
qat_status qat_diagnose(qat_qmodel *qm, const qat_dataset *d, qat_diagnosis *out, qat_error *e);
/* "collapsed_range", ...: report.json's names. */
const char *qat_diag_kind_name(qat_diag_kind k);
/* What to try, one sentence. */
const char *qat_diag_remedy(qat_diag_kind k);

#endif

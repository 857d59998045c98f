/* report.html's plots (report-internal): gnuplot draws them with scripts/plots.gp from the
 * pipeline's results and evaluation; plots.c says where gnuplot and the script are sought
 * and how it runs. */
#ifndef QAT_REPORT_PLOTS_H
#define QAT_REPORT_PLOTS_H

#include "qat/report.h"

typedef enum qat_plot {
    QAT_PLOT_CURVES,    /* training curves of every phase that ran */
    QAT_PLOT_SWEEP,     /* accuracy and file size against sparsity (when pruned) */
    QAT_PLOT_WEIGHTS,   /* float vs int8 weight histograms (when quantized) */
    QAT_PLOT_CONFUSION, /* confusion matrices */
    QAT_PLOT_SQNR,      /* per-tensor SQNR (when quantized) */
    QAT_PLOT_LAB,       /* accuracy against file size of the lab's models (when quantized) */
    QAT_PLOT_SENSITIVITY, /* accuracy with one layer quantized, per bit width ([quant] sensitivity) */
    QAT_PLOT_SEARCH,    /* the search's candidates: validation accuracy against flash ([search]) */
    QAT_PLOT_STAGES,    /* the stage table: flash, arena and accuracy per stage ([target]) */
    QAT_PLOT_COUNT
} qat_plot;

typedef struct qat_plots {
    char *svg[QAT_PLOT_COUNT]; /* gnuplot's SVG documents (owned), NULL when not drawn */
} qat_plots;

/* Draws what p and ev call for. Without gnuplot or plots.gp, or when gnuplot fails, fewer
 * (or no) plots and one line in warning (else ""); the status is an error only when memory
 * ran out. Free with qat_plots_free. */
qat_status qat_plots_draw(const qat_pipeline *p, const qat_evaluation *ev, qat_plots *out,
                          char warning[QAT_REPORT_WARNING_MAX], qat_error *e);
void qat_plots_free(qat_plots *pl);

#endif

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

qat_status qat_report_history_csv(const qat_train_log *log, const char *path, qat_error *e);
qat_status qat_report_json(const qat_pipeline *p, const char *path, qat_error *e);
qat_status qat_report_timing_json(const qat_pipeline *p, const char *path, qat_error *e);

#endif

/* Pruning schedules, as TFMOT's PolynomialDecay and ConstantSparsity define them. */
#include <math.h>

#include "qat/prune.h"

double qat_prune_sparsity_at(const qat_prune_config *c, long end_step, long step, int *update) {
    long begin = c->begin_step, end = end_step > begin ? end_step : begin + 1;
    *update = step >= begin && step <= end && (step - begin) % c->frequency == 0;
    if (step < begin) {
        *update = 0;
        return 0;
    }
    if (c->schedule == QAT_PRUNE_CONSTANT) return c->final_sparsity;
    double progress = (double)(step - begin) / (double)(end - begin);
    progress = progress < 0 ? 0 : progress > 1 ? 1 : progress;
    return c->final_sparsity +
           (c->initial_sparsity - c->final_sparsity) * pow(1 - progress, c->power);
}

const char *qat_prune_schedule_name(qat_prune_schedule s) {
    static const char *const names[] = {[QAT_PRUNE_POLYNOMIAL] = "polynomial",
                                        [QAT_PRUNE_CONSTANT] = "constant"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_PRUNE_SCHEDULE_COUNT, "schedule names");
    return (unsigned)s < QAT_PRUNE_SCHEDULE_COUNT ? names[s] : "?";
}

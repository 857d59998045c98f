/* Units of recorded channels: each unit is a multiple of its quantity's base unit (m/s² for
 * acceleration, rad/s for angular rate), and a conversion is the ratio of two multiples. */
#include "qat/data.h"

typedef struct unit_def {
    int quantity; /* 1 acceleration, 2 angular rate */
    double base;  /* one of this unit in the base unit */
} unit_def;

static unit_def unit_of(qat_unit u) {
    static const unit_def defs[] = {
        [QAT_UNIT_NONE] = {0, 1.0},
        [QAT_UNIT_G] = {1, 9.80665}, /* standard gravity, exact by definition (CGPM 1901) */
        [QAT_UNIT_MS2] = {1, 1.0},
        [QAT_UNIT_MG] = {1, 9.80665e-3},
        [QAT_UNIT_DEG_S] = {2, 3.14159265358979323846 / 180.0},
        [QAT_UNIT_RAD_S] = {2, 1.0},
    };
    _Static_assert(sizeof defs / sizeof defs[0] == QAT_UNIT_COUNT, "unit table");
    return (unsigned)u < QAT_UNIT_COUNT ? defs[u] : defs[QAT_UNIT_NONE];
}

double qat_unit_factor(qat_unit from, qat_unit to) {
    if (from == QAT_UNIT_NONE || to == QAT_UNIT_NONE) return 1.0;
    unit_def a = unit_of(from), b = unit_of(to);
    return a.quantity == b.quantity ? a.base / b.base : 0.0;
}

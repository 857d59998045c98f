/* The scale / zero-point / rounding rules every quantized value in qatrain goes through
 * (see quant.h). Fake-quant nodes and lowering call these same functions, which is what
 * makes the simulation exact. */
#include <math.h>

#include "qat/quant.h"

void qat_weight_range(int bits, int *qmin, int *qmax) {
    *qmax = (1 << (bits - 1)) - 1;
    *qmin = -*qmax;
}

void qat_act_range(int bits, int *qmin, int *qmax) {
    *qmax = (1 << (bits - 1)) - 1;
    *qmin = -*qmax - 1;
}

void qat_act_qparams(float rmin, float rmax, int qmin, int qmax, float *scale, int32_t *zp) {
    rmin = rmin < 0 ? rmin : 0;
    rmax = rmax > 0 ? rmax : 0;
    if (!(rmax - rmin > 0) || !isfinite(rmax - rmin)) {
        *scale = 1.0f;
        *zp = qmin;
        return;
    }
    float s = (rmax - rmin) / (float)(qmax - qmin);
    float zf = (float)qmin - rmin / s;
    *scale = s;
    *zp = zf <= (float)qmin ? qmin : zf >= (float)qmax ? qmax : (int32_t)qat_round_away(zf);
}

float qat_weight_scale(float maxabs, int qmax) {
    return maxabs > 0 ? (float)((double)maxabs / qmax) : 1.0f;
}

static int32_t clamp(double q, int qmin, int qmax) {
    return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

float qat_bias_scale(float s_in, float s_w) {
    return (float)((double)s_in * (double)s_w);
}

int32_t qat_quantize_bias(float b, float scale) {
    return clamp(qat_round_away((double)b / (double)scale), INT32_MIN, INT32_MAX);
}

const char *qat_calib_select_name(qat_calib_select k) {
    static const char *const names[] = {[QAT_CALIB_STRATIFIED] = "stratified",
                                        [QAT_CALIB_FIRST] = "first"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_CALIB_SELECT_COUNT, "calib names");
    return (unsigned)k < QAT_CALIB_SELECT_COUNT ? names[k] : "?";
}

const char *qat_observer_name(qat_observer_kind k) {
    static const char *const names[] = {
        [QAT_OBS_MINMAX] = "minmax", [QAT_OBS_EMA] = "ema", [QAT_OBS_PERCENTILE] = "percentile",
        [QAT_OBS_MSE] = "mse",       [QAT_OBS_KL] = "kl"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_OBS_COUNT, "observer names");
    return (unsigned)k < QAT_OBS_COUNT ? names[k] : "?";
}

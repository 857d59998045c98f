/* int8 inference speed of 2-D models in qatrain's integer engine.
 *
 *   make build/bench/bench_int8_2d && build/bench/bench_int8_2d
 *
 * Two models with random weights (the speed does not depend on them), each quantized and
 * lowered exactly as the pipeline does (PTQ calibration on random inputs, qat_lower): the
 * lab's CNN and the advanced chapter's separable block (tests/common/model2d.h).
 * µs per image, batch 1, median of 7 rounds; the engine runs one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/clock.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"

#include "../tests/common/model2d.h"

#define ROUNDS 7
#define CAL 32

static int bench(const char *what, int separable) {
    static qat_model fm;
    static qat_qmodel qm;
    qat_error e = {0};
    if (separable) qat_m2d_separable(&fm, 0);
    else qat_m2d_lab(&fm);
    if (qat_graph_compile(&fm.g, CAL, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    qat_m2d_init(&fm, 7);
    unsigned seed = 8;
    qat_quant_config qc = {.ptq_observer = QAT_OBS_MINMAX, .per_channel_conv = 1,
                           .weight_bits = 8, .act_bits = 8};
    if (qat_qmodel_build(&qm, &fm, &qc, CAL, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    size_t per = qm.m.g.nodes[qm.m.input].size;
    float *x = malloc(per * CAL * sizeof(float));
    if (!x) return 1;
    qat_m2d_fill(x, per * CAL, &seed, 0, 1);
    qat_dataset d = {.n = CAL, .window = qm.m.window, .channels = qm.m.channels, .x = x};
    if (qat_qmodel_calibrate(&qm, &d, QAT_OBS_MINMAX, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    qat_ir ir;
    qat_i8_engine eng;
    if (qat_lower(&qm, QAT_LOWER_INT8, &ir, &e) || qat_i8_prepare(&eng, &ir, what, &e))
        return fprintf(stderr, "%s\n", e.msg), 1;
    int8_t *xq = malloc(per * CAL), y[16];
    if (!xq) return 1;
    const qat_ir_tensor *in = &ir.tensors[ir.input];
    qat_i8_quantize(x, per * CAL, in->q.scale[0], in->q.zero_point[0], xq);
    double t[ROUNDS];
    int reps = separable ? 2000 : 1000;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = qat_clock();
        for (int k = 0; k < reps; k++) qat_i8_invoke(&eng, xq + (size_t)(k % CAL) * per, y);
        t[r] = (qat_clock() - t0) / reps;
    }
    printf("%-10s int8 engine: %8.1f us/image  (%d IR ops, batch 1, median of %d rounds)\n", what,
           1e6 * qat_median(t, ROUNDS), ir.n_nodes, ROUNDS);
    free(x);
    free(xq);
    qat_i8_free(&eng);
    qat_ir_free(&ir);
    qat_qmodel_free(&qm);
    qat_graph_free(&fm.g);
    return 0;
}

int main(void) {
    return bench("lab conv2d", 0) || bench("separable", 1);
}

/* Automatic mixed precision (quant.h qat_auto_bits): per-layer weight bits from {8, 4, 2}
 * chosen greedily from the sensitivity table, each step checked on the whole model. */
#include <math.h>

#include "qat/quant.h"

static const int BITS[QAT_SENS_BITS] = {2, 4, 8};

/* The table's column of a bit width. */
static int column(int bits) {
    return bits == 2 ? 0 : bits == 4 ? 1 : 2;
}

/* Packed weight bytes of an assignment: Σ weights · bits / 8 (what a runtime storing each
 * layer at its bits would hold; TFLite stores every width as int8). */
long qat_auto_bits_bytes(const qat_sensitivity *s, const int *bits) {
    long b = 0;
    for (int i = 0; i < s->n; i++) b += (s->layer[i].weights * (bits ? bits[i] : 8) + 7) / 8;
    return b;
}

/* The next move: the layer whose step down (8 → 4 or 4 → 2) costs the least accuracy, alone,
 * per byte it saves; -1 when none is left. Ties go to the earlier layer. */
static int cheapest(const qat_sensitivity *s, const int *bits, const int *stuck) {
    int best = -1;
    double best_cost = INFINITY;
    for (int i = 0; i < s->n; i++) {
        if (stuck[i] || bits[i] == 2 || s->layer[i].depthwise_half) continue;
        int now = column(bits[i]), next = now - 1;
        double drop = s->layer[i].accuracy[now] - s->layer[i].accuracy[next];
        double saved = (double)s->layer[i].weights * (BITS[now] - BITS[next]) / 8;
        double cost = (drop > 0 ? drop : 0) / saved;
        if (cost < best_cost) best_cost = cost, best = i;
    }
    return best;
}

void qat_auto_bits(const qat_sensitivity *s, const qat_auto_goal *goal, qat_auto_eval_fn eval,
                   void *ctx, int *bits, double *accuracy) {
    int stuck[QAT_MAX_LAYERS] = {0};
    for (int i = 0; i < s->n; i++) bits[i] = 8;
    double base = eval(ctx, bits), acc = base;
    for (int i; (i = cheapest(s, bits, stuck)) >= 0;) {
        if (goal->weight_bytes > 0 && qat_auto_bits_bytes(s, bits) <= goal->weight_bytes) break;
        int was = bits[i];
        bits[i] = was == 8 ? 4 : 2;
        double a = eval(ctx, bits);
        if (goal->weight_bytes <= 0 && a < base - goal->budget - 1e-9) { /* over: undo */
            bits[i] = was;
            stuck[i] = 1;
            continue;
        }
        acc = a;
    }
    *accuracy = acc;
}

/* Finite-difference gradient checks for graph ops, precise enough that a backward off by
 * 1 % fails: any one input's or parameter's gradient scaled by 0.99 (or 1.01) is caught.
 *
 * The loss is L = Σ_i r_i · out_i, summed in double, with fixed dyadic weights r_i of both
 * signs (or node `out` itself when it is the scalar loss). For every element v of every node
 * in check[], the numerical derivative is Richardson's extrapolation of central differences,
 *   D(s) = (L(v + s) − L(v − s)) / 2s,   n = D(h/2) + (D(h/2) − D(h)) / 3,
 * whose truncation error is O(h⁴) instead of O(h²), so h can stay large enough for float32
 * rounding noise to vanish (each step is the one float32 actually takes). Before every
 * forward the pass rng is re-seeded (dropout draws the same mask) and the graph's state
 * block (running statistics, observer ranges, masks) is restored, so L depends on the
 * checked values only — also in training passes that update that state.
 *
 * h is the caller's: linear ops take a large one; curved ones a small one; and test points
 * must lie further than h from every kink (ReLU at 0 and 6, max-pool ties).
 *
 * Errors, per checked node (analytic a, numerical n):
 *   norm error     ‖a − n‖₂ / ‖n‖₂                      (a uniform ×0.99 gives exactly 0.01)
 *   element error  max_i |a_i − n_i| / (|n_i| + 0.1·rms(n))   (local errors: one edge, one row)
 * Tolerances (measured noise in gradcheck.c): QAT_GC_TOL_NORM and QAT_GC_TOL_ELEM. */
#ifndef QAT_TEST_GRADCHECK_H
#define QAT_TEST_GRADCHECK_H

#include "qat/graph.h"

#define QAT_GC_TOL_NORM 1e-3
#define QAT_GC_TOL_ELEM 3e-3

typedef struct qat_gc_result {
    double norm_err; /* worst over the checked nodes */
    double elem_err; /* worst over the checked nodes */
    double min_norm; /* smallest ‖n‖₂: a node whose gradient is 0 checks nothing */
} qat_gc_result;

qat_gc_result qat_gradcheck(qat_graph *g, qat_pass *p, int out, const int *check, int n_check,
                            double h);

/* The check above against the tolerances, every node's gradient non-zero. On failure it
 * prints each node's errors to stderr and returns 0. QAT_GRADCHECK_VERBOSE=1 in the
 * environment prints them always (how the noise in gradcheck.c was measured). */
int qat_gradcheck_ok(qat_graph *g, qat_pass *p, int out, const int *check, int n_check, double h);

/* Fills a node's values (all batch rows) with uniform values in [lo, hi), seeded. */
void qat_fill_uniform(qat_node *n, int batch, unsigned seed, float lo, float hi);

/* Fills a node's values with distinct multiples of `step` (shuffled, seeded), centred on
 * 0 and never on it: points `step`/2 or more from 0 and from each other (kinks, ties). */
void qat_fill_spaced(qat_node *n, int batch, unsigned seed, float step);

#endif

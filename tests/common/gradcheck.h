/* Finite-difference gradient checks for graph ops. */
#ifndef QAT_TEST_GRADCHECK_H
#define QAT_TEST_GRADCHECK_H

#include "qat/graph.h"

/* Loss L = Σ_i r_i · out_i with fixed pseudo-random r (or node `out` itself when it is the
 * scalar loss). Compares dL/dv from backward with central differences for every element
 * of each node in check[0..n_check), re-seeding the pass rng before every forward so that
 * stochastic ops (dropout) see the same draws. Returns the largest relative error
 * |a − n| / max(|a| + |n|, floor). */
double qat_gradcheck(qat_graph *g, qat_pass *p, int out, const int *check, int n_check,
                     double eps);

/* Fills a node's values (all batch rows) with uniform values in [lo, hi), seeded. */
void qat_fill_uniform(qat_node *n, int batch, unsigned seed, float lo, float hi);

#endif

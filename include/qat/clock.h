/* qatrain — wall-clock time for training logs, latency figures and benchmarks. */
#ifndef QAT_CLOCK_H
#define QAT_CLOCK_H

/* Seconds on a monotonic clock (an arbitrary origin: subtract two readings). */
double qat_clock(void);
/* The median of v[0..n) (sorts v). */
double qat_median(double *v, int n);

#endif

/* Many samples through the engine on several threads (int8.h: qat_i8_run_batch). Each
 * thread has its own engine (arena, scratch) over the shared read-only IR and takes one
 * contiguous block of samples; sample i's output goes to slot i whichever thread ran it, so
 * the outputs do not depend on the number of threads. */
#include "qat/int8.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 8
#define MIN_PER_THREAD 32 /* fewer samples than this per thread: not worth a thread */

int qat_i8_threads(void) {
    const char *env = getenv("QATRAIN_THREADS");
    long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

typedef struct worker {
    const qat_ir *ir;
    qat_i8_isa isa;
    const char *source;
    int thread;                      /* its number, for fill */
    size_t first, count;             /* samples [first, first + count) */
    qat_i8_fill_fn fill;
    void *ctx;
    unsigned char *outputs;          /* all samples' slots */
    size_t in_bytes, out_bytes;
    qat_status status;
    qat_error e;
} worker;

static void *run_block(void *arg) {
    worker *w = arg;
    qat_i8_engine eng;
    unsigned char *x = malloc(w->in_bytes ? w->in_bytes : 1);
    if (!x) {
        w->status = qat_error_set(&w->e, QAT_ERR_NOMEM, "%s: out of memory", w->source);
        return NULL;
    }
    if ((w->status = qat_i8_prepare_isa(&eng, w->ir, w->isa, w->source, &w->e))) {
        free(x);
        return NULL;
    }
    for (size_t i = w->first; i < w->first + w->count; i++) {
        w->fill(w->ctx, w->thread, i, x);
        qat_i8_invoke(&eng, x, w->outputs + i * w->out_bytes);
    }
    qat_i8_free(&eng);
    free(x);
    return NULL;
}

qat_status qat_i8_run_batch(const qat_ir *ir, size_t n, qat_i8_fill_fn fill, void *ctx,
                            void *outputs, int threads, const char *source, qat_error *e) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    while (threads > 1 && n / (size_t)threads < MIN_PER_THREAD) threads--;
    worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    const qat_i8_isa isa = qat_i8_isa_used();
    const qat_ir_tensor *in = &ir->tensors[ir->input], *out = &ir->tensors[ir->output];
    for (int t = 0; t < threads; t++) {
        const size_t a = n * (size_t)t / (size_t)threads, b = n * (size_t)(t + 1) / (size_t)threads;
        w[t] = (worker){.ir = ir, .isa = isa, .source = source, .thread = t, .first = a, .count = b - a,
                        .fill = fill, .ctx = ctx, .outputs = outputs,
                        .in_bytes = qat_ir_tensor_count(in) * qat_ir_type_size(in->type),
                        .out_bytes = qat_ir_tensor_count(out) * qat_ir_type_size(out->type)};
    }
    /* the caller's thread runs the first block; a thread that cannot start runs inline */
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, run_block, &w[t]) == 0;
    run_block(&w[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else run_block(&w[t]);
    }
    for (int t = 0; t < threads; t++)
        if (w[t].status) {
            *e = w[t].e;
            return w[t].status;
        }
    return QAT_OK;
}

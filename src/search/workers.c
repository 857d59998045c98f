/* A batch of candidates trained on several threads (search.h qat_candidate_train_batch).
 * Each candidate's result depends on its genome and the run's seed only, and is written to
 * its own slot, so the batch comes out the same whatever the number of threads or the order
 * they finish in. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "qat/search.h"

#define MAX_WORKERS 64

typedef struct pool {
    const qat_search_data *d;
    qat_candidate *batch;
    int n, next;
    pthread_mutex_t lock;
    qat_status *st; /* per candidate */
    qat_error *err; /* per candidate */
} pool;

static int take(pool *p) {
    pthread_mutex_lock(&p->lock);
    int i = p->next < p->n && !(p->d->stop && *p->d->stop) ? p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    return i;
}

static void *work(void *arg) {
    pool *p = arg;
    for (int i; (i = take(p)) >= 0;) p->st[i] = qat_candidate_train(p->d, &p->batch[i], &p->err[i]);
    return NULL;
}

qat_status qat_candidate_train_batch(const qat_search_data *d, qat_candidate *batch, int n,
                                     qat_error *e) {
    pool p = {d, batch, n, 0, PTHREAD_MUTEX_INITIALIZER, calloc((size_t)n + 1, sizeof(qat_status)),
              calloc((size_t)n + 1, sizeof(qat_error))};
    if (!p.st || !p.err) {
        free(p.st);
        free(p.err);
        return qat_error_set(e, QAT_ERR_NOMEM, "search: out of memory");
    }
    int threads = d->workers < n ? d->workers : n, started[MAX_WORKERS] = {0};
    pthread_t tid[MAX_WORKERS];
    if (threads > MAX_WORKERS) threads = MAX_WORKERS;
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&tid[t], NULL, work, &p) == 0;
    work(&p); /* the caller's thread works too; a thread that could not start is not missed */
    for (int t = 1; t < threads; t++)
        if (started[t]) pthread_join(tid[t], NULL);
    qat_status st = QAT_OK;
    for (int i = 0; i < n && !st; i++)
        if ((st = p.st[i]) && e) *e = p.err[i];
    if (!st && p.next < n)
        st = qat_error_set(e, QAT_ERR_INTERRUPTED, "search: interrupted");
    pthread_mutex_destroy(&p.lock);
    free(p.st);
    free(p.err);
    return st;
}

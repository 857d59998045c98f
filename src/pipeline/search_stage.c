/* The architecture search as a pipeline stage (pipeline.h qat_pipeline_search): the
 * candidates see the run's training and validation splits and its calibration set, never
 * the test split; the winner's layers become the run's. */
#include <string.h>

#include "qat/int8.h"
#include "qat/pipeline.h"
#include "qat/search_jobs.h"

#define EVAL_BATCH 64

/* The callbacks' context: candidates are checked here, and trained here or as jobs. */
typedef struct stage {
    qat_search_data d;
    qat_search_jobs *jobs; /* NULL: trained in this process */
} stage;

static qat_status check(void *ctx, const qat_genome *g, qat_candidate_cost *c, qat_error *e) {
    return qat_candidate_check(&((stage *)ctx)->d, g, c, e);
}

static qat_status train(void *ctx, qat_candidate *batch, int n, qat_error *e) {
    stage *s = ctx;
    return s->jobs ? qat_search_jobs_train(s->jobs, batch, n, e)
                   : qat_candidate_train_batch(&s->d, batch, n, e);
}

/* The search's view of the run: its data, the candidates' training recipe, the target. */
static qat_status search_data(qat_pipeline *p, qat_search_space *sp, qat_search_data *d,
                              char *desc, size_t cap, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_status st = qat_pipeline_calibration(p, e);
    if (st) return st;
    *sp = (qat_search_space){&c->search, qat_input_shape(c->data.height, c->data.width,
                                                         c->data.window, c->data.channels),
                             c->data.n_classes};
    qat_pipeline_describe(p, desc, cap);
    qat_train_config t = c->train;
    t.epochs = c->search.epochs;
    t.early_stop_patience = c->search.patience;
    t.restore_best = 1;
    t.batch = c->search.batch;
    int workers = c->search.workers > 0 ? c->search.workers : qat_i8_threads();
    *d = (qat_search_data){sp, t, &c->quant, &p->train, qat_pipeline_val(p), &p->calib,
                           qat_target_limits_of(&c->target), desc, c->seed, workers, p->stop};
    return QAT_OK;
}

qat_status qat_pipeline_search(qat_pipeline *p, const char *jobs_dir, const char *job_command,
                               qat_error *e) {
    qat_search_space sp;
    stage s = {.jobs = NULL};
    char desc[QAT_PATH_MAX + 64];
    qat_status st = search_data(p, &sp, &s.d, desc, sizeof desc, e);
    if (st) return st;
    qat_search_jobs jobs = {.command = job_command, .seed = p->cfg.seed};
    if (jobs_dir) {
        if (strlen(jobs_dir) >= sizeof jobs.dir)
            return qat_error_set(e, QAT_ERR_IO, "%s: path too long", jobs_dir);
        strcpy(jobs.dir, jobs_dir);
        s.jobs = &jobs;
    }
    qat_search_result_free(&p->search);
    st = qat_search_run(&sp, p->cfg.seed, s.d.limits.flash_bytes, s.d.limits.arena_bytes, check,
                        train, &s, &p->search, e);
    if (st || p->search.pending) return st;
    const qat_candidate *w = &p->search.all[p->search.best];
    if ((st = qat_genome_layers(&sp, &w->g, p->cfg.layers, &p->cfg.n_layers, e))) return st;
    p->searched = 1;
    return QAT_OK;
}

qat_status qat_pipeline_search_job(qat_pipeline *p, const char *dir, qat_error *e) {
    qat_search_space sp;
    qat_search_data d;
    char desc[QAT_PATH_MAX + 64], path[QAT_PATH_MAX];
    qat_candidate c;
    memset(&c, 0, sizeof c);
    qat_status st = search_data(p, &sp, &d, desc, sizeof desc, e);
    if (!st) st = qat_search_job_genome(dir, &c.g, c.text, e);
    if (!st) {
        char canon[QAT_GENOME_TEXT];
        qat_genome_format(&c.g, canon, sizeof canon);
        if (strcmp(canon, c.text))
            st = qat_error_set(e, QAT_ERR_FORMAT, "%s/genome.txt: '%s' is written '%s' by the "
                               "search", dir, c.text, canon);
    }
    if (!st) st = qat_candidate_train(&d, &c, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "result.txt", e);
    if (!st) st = qat_search_result_write(path, &c, e);
    return st;
}

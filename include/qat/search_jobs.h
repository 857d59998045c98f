/* qatrain — the architecture search beyond one machine: each generation's candidates as
 * independent job folders, a plain job list (one shell command per line) for GNU parallel,
 * xargs or a Slurm array, and the results read back so the search continues. No scheduler of
 * our own.
 *
 *   DIR/jobs.txt               the commands still to run (rewritten each time the search
 *                              stops for results)
 *   DIR/cand-<seed>/genome.txt the candidate (search.h text form)
 *   DIR/cand-<seed>/result.txt what its job measured, written atomically by the job
 *
 * A folder is named by the candidate's training seed (the run's seed and its genome), so a
 * result is found again whichever generation asks for it, and the search that reads them is
 * the in-process one, byte for byte. */
#ifndef QAT_SEARCH_JOBS_H
#define QAT_SEARCH_JOBS_H

#include "qat/io.h"
#include "qat/search.h"

typedef struct qat_search_jobs {
    char dir[QAT_PATH_MAX];
    const char *command; /* the job command without its folder (shell-quoted words) */
    uint64_t seed;       /* the run's */
    int pending;         /* jobs listed by the last call */
} qat_search_jobs;

/* A qat_search_train_fn (ctx: qat_search_jobs): each candidate with a result in its folder
 * is filled from it; the others get their folder and a line "COMMAND --evaluate FOLDER" in
 * DIR/jobs.txt and stay unevaluated. A result that is not the genome's is QAT_ERR_FORMAT. */
qat_status qat_search_jobs_train(void *ctx, qat_candidate *batch, int n, qat_error *e);
/* The job side: the genome in folder dir (genome.txt), and its text. */
qat_status qat_search_job_genome(const char *dir, qat_genome *g, char *text, qat_error *e);
/* A candidate's result.txt, written atomically. */
qat_status qat_search_result_write(const char *path, const qat_candidate *c, qat_error *e);

#endif

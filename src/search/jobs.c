/* The search's candidates as job folders (search_jobs.h): one folder per distinct genome,
 * named by its training seed, holding genome.txt (what to train) and, once a job ran,
 * result.txt (what it measured); DIR/jobs.txt lists one shell command per folder still to
 * run, for GNU parallel, xargs or a Slurm array. The search reads the results back in the
 * order it asks for them, so it is the search an in-process run makes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qat/io.h"
#include "qat/search_jobs.h"

/* dir/cand-<16 hex digits of the genome's seed>. */
static qat_status folder(const qat_search_jobs *j, const char *text, char *out, size_t cap,
                         qat_error *e) {
    char name[32];
    snprintf(name, sizeof name, "cand-%016" PRIx64, qat_candidate_seed(j->seed, text));
    return qat_path_join(out, cap, j->dir, name, e);
}

/* Creates path as a folder, or accepts the folder that is there; anything else (a file, a
 * symbolic link) is an error: nothing is written through it. */
static qat_status real_folder(const char *path, qat_error *e) {
    struct stat s;
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot create the folder (%s)", path, strerror(errno));
    if (lstat(path, &s) != 0 || !S_ISDIR(s.st_mode))
        return qat_error_set(e, QAT_ERR_IO, "%s: not a folder (a file or a link is in the way)", path);
    return QAT_OK;
}

static qat_status write_text(const char *path, const char *text, qat_error *e) {
    return qat_write_file(path, text, strlen(text), e);
}

qat_status qat_search_result_write(const char *path, const qat_candidate *c, qat_error *e) {
    char buf[1024];
    snprintf(buf, sizeof buf,
             "genome %s\nflash_bytes %ld\narena_bytes %ld\nmacs %ld\nparams %ld\nfits %d\n"
             "epochs_run %d\nval_n %d\nval_float_correct %d\nval_int8_correct %d\n",
             c->text, c->cost.flash_bytes, c->cost.arena_bytes, c->cost.macs, c->cost.params,
             c->cost.fits, c->epochs_run, c->val_n, c->val_float_correct, c->val_int8_correct);
    return write_text(path, buf, e);
}

/* Reads "key value" lines into c; the genome line must be c's. */
static qat_status read_result(const char *path, qat_candidate *c, qat_error *e) {
    void *data;
    size_t n;
    qat_status st = qat_read_file_max(path, 4096, &data, &n, e);
    if (st) return st;
    char *s = data, genome[QAT_GENOME_TEXT + 8] = "";
    s[n] = 0; /* qat_read_file_max leaves room for one more byte */
    int got = sscanf(s, "genome %[^\n]\nflash_bytes %ld\narena_bytes %ld\nmacs %ld\nparams %ld\n"
                        "fits %d\nepochs_run %d\nval_n %d\nval_float_correct %d\nval_int8_correct %d",
                     genome, &c->cost.flash_bytes, &c->cost.arena_bytes, &c->cost.macs,
                     &c->cost.params, &c->cost.fits, &c->epochs_run, &c->val_n,
                     &c->val_float_correct, &c->val_int8_correct);
    free(data);
    if (got != 10 || strcmp(genome, c->text) || c->val_n <= 0 || c->val_float_correct < 0 ||
        c->val_float_correct > c->val_n || c->val_int8_correct < 0 || c->val_int8_correct > c->val_n)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: not the result of genome '%s' (remove the "
                             "file and run its job again)", path, c->text);
    c->evaluated = 1;
    return QAT_OK;
}

/* One shell word: 'text' with each ' written as '\''. */
static void quote(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) *s == '\'' ? (void)fputs("'\\''", f) : (void)fputc(*s, f);
    fputc('\'', f);
}

qat_status qat_search_jobs_train(void *ctx, qat_candidate *batch, int n, qat_error *e) {
    qat_search_jobs *j = ctx;
    char path[QAT_PATH_MAX], dir[QAT_PATH_MAX];
    qat_afile list;
    qat_status st = real_folder(j->dir, e);
    if (!st) st = qat_path_join(path, sizeof path, j->dir, "jobs.txt", e);
    if (!st) st = qat_afile_open(&list, path, e);
    if (st) return st;
    j->pending = 0;
    for (int i = 0; i < n && !st; i++) {
        qat_candidate *c = &batch[i];
        st = folder(j, c->text, dir, sizeof dir, e);
        if (!st) st = qat_path_join(path, sizeof path, dir, "result.txt", e);
        if (st) break;
        struct stat s;
        if (lstat(path, &s) == 0) {
            st = read_result(path, c, e);
            continue;
        }
        st = real_folder(dir, e);
        if (!st) st = qat_path_join(path, sizeof path, dir, "genome.txt", e);
        char line[QAT_GENOME_TEXT + 1];
        snprintf(line, sizeof line, "%s\n", c->text);
        if (!st) st = write_text(path, line, e);
        if (st) break;
        fprintf(list.f, "%s --evaluate ", j->command);
        quote(list.f, dir);
        fputc('\n', list.f);
        j->pending++;
    }
    if (st) {
        qat_afile_abort(&list);
        return st;
    }
    return qat_afile_commit(&list, e);
}

qat_status qat_search_job_genome(const char *dir, qat_genome *g, char *text, qat_error *e) {
    char path[QAT_PATH_MAX];
    void *data;
    size_t n;
    qat_status st = qat_path_join(path, sizeof path, dir, "genome.txt", e);
    if (!st) st = qat_read_file_max(path, QAT_GENOME_TEXT, &data, &n, e);
    if (st) return st;
    char *s = data;
    s[n] = 0;
    if (n > 0 && s[n - 1] == '\n') s[--n] = 0;
    snprintf(text, QAT_GENOME_TEXT, "%s", s);
    free(data);
    st = qat_genome_parse(text, g, e);
    if (st) return qat_error_set(e, QAT_ERR_FORMAT, "%s: %s", path, e ? e->msg : "not a genome");
    return QAT_OK;
}

/* The files a run reads besides its config, digested (size and 64-bit hash) so that --resume
 * can tell an input changed since the interruption (see pipeline.h). */
#include <stdlib.h>
#include <string.h>

#include "qat/hash.h"
#include "qat/io.h"

#include "phase.h"

void qat_inputs_free(qat_inputs *in) {
    for (int i = 0; i < in->n; i++) free(in->files[i].name);
    free(in->files);
    memset(in, 0, sizeof *in);
}

qat_status qat_inputs_push(qat_inputs *in, qat_input_role role, const char *name, uint64_t size,
                           uint64_t hash, qat_error *e) {
    if (in->n == in->cap) {
        int cap = in->cap ? 2 * in->cap : 16;
        qat_input_file *f = realloc(in->files, (size_t)cap * sizeof *f);
        if (!f) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory listing inputs", name);
        in->files = f;
        in->cap = cap;
    }
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory listing inputs", name);
    memcpy(copy, name, len);
    in->files[in->n++] = (qat_input_file){role, copy, size, hash};
    return QAT_OK;
}

/* Size and hash of a file's contents, read in blocks (no allocation). A file that cannot be
 * opened (missing, a named pipe, a folder...) is refused here, before anything trains: the
 * stage that reads it may come minutes later (a masks file is read after training). */
static qat_status digest_file(const char *path, uint64_t *size, uint64_t *hash, qat_error *e) {
    unsigned char buf[1 << 14];
    FILE *f;
    uint64_t n = 0, h = 0;
    qat_status st = qat_input_open(path, 0, &f, NULL, e);
    if (st) return st;
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;) {
        h = qat_hash64(h, buf, got);
        n += (uint64_t)got;
    }
    if (ferror(f)) st = qat_error_set(e, QAT_ERR_IO, "%s: read failed", path);
    fclose(f);
    *size = n;
    *hash = h;
    return st;
}

/* The folder a role's names are relative to. */
static const char *root(qat_input_role role, const qat_config *cfg) {
    switch (role) {
    case QAT_INPUT_DATA_NPY: return cfg->data.dir;
    case QAT_INPUT_DATA_CSV:
    case QAT_INPUT_MASKS: return cfg->base_dir;
    default: return "";
    }
}

/* A resolved path as its role names it: relative to the role's folder when it lies inside. */
static const char *relative(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return n && strncmp(path, dir, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

static qat_status add(qat_inputs *in, qat_input_role role, const char *name, const qat_config *cfg,
                      qat_error *e) {
    char path[QAT_PATH_MAX];
    uint64_t size = 0, hash = 0;
    qat_status st = qat_path_join(path, sizeof path, root(role, cfg), name, e);
    if (!st) st = digest_file(path, &size, &hash, e);
    return st ? st : qat_inputs_push(in, role, name, size, hash, e);
}

/* Every .npy of every class folder, in loading order; a folder that cannot be listed adds
 * nothing (loading the data reports it). */
static qat_status add_npy(qat_inputs *in, const qat_config *cfg, qat_error *e) {
    qat_status st = QAT_OK;
    for (int c = 0; !st && c < cfg->data.n_classes; c++) {
        char **names, name[QAT_PATH_MAX];
        int n;
        qat_error why = {0};
        st = qat_data_npy_list(&cfg->data, c, &names, &n, &why);
        if (st) {
            if (st != QAT_ERR_NOMEM) st = QAT_OK;
            else *e = why;
            continue;
        }
        for (int i = 0; !st && i < n; i++)
            if (qat_path_join(name, sizeof name, cfg->data.classes[c], names[i], NULL) == QAT_OK)
                st = add(in, QAT_INPUT_DATA_NPY, name, cfg, e);
        qat_data_names_free(names, n);
    }
    return st;
}

qat_status qat_inputs_digest(const qat_config *cfg, const char *init, qat_inputs *out,
                             qat_error *e) {
    memset(out, 0, sizeof *out);
    qat_status st = QAT_OK;
    if (cfg->data.source == QAT_DATA_NPY) st = add_npy(out, cfg, e);
    if (cfg->data.source == QAT_DATA_IDX || cfg->data.source == QAT_DATA_NPY_IMAGES) {
        char paths[4][QAT_PATH_MAX];
        int n = 0;
        st = qat_data_image_files(&cfg->data, paths, &n, e);
        for (int i = 0; !st && i < n; i++) st = add(out, QAT_INPUT_DATA_IMAGES, paths[i], cfg, e);
    }
    for (int i = 0; !st && cfg->data.source == QAT_DATA_CSV && i < cfg->data.n_csv; i++)
        st = add(out, QAT_INPUT_DATA_CSV, relative(cfg->data.csv[i].path, cfg->base_dir), cfg, e);
    const char *index[3] = {cfg->data.train_index, cfg->data.val_index, cfg->data.test_index};
    for (int k = 0; !st && k < 3; k++)
        if (index[k][0]) st = add(out, QAT_INPUT_INDEX, index[k], cfg, e);
    if (!st && cfg->prune.enabled && cfg->prune.masks[0])
        st = add(out, QAT_INPUT_MASKS, relative(cfg->prune.masks, cfg->base_dir), cfg, e);
    if (!st && init) st = add(out, QAT_INPUT_INIT, init, cfg, e);
    if (!st && cfg->distill.teacher[0]) st = add(out, QAT_INPUT_TEACHER, cfg->distill.teacher, cfg, e);
    if (!st && cfg->distill.teacher[0] && cfg->distill.checkpoint[0])
        st = add(out, QAT_INPUT_TEACHER, cfg->distill.checkpoint, cfg, e);
    if (st) qat_inputs_free(out);
    return st;
}

static int find(const qat_inputs *in, const qat_input_file *f) {
    for (int i = 0; i < in->n; i++)
        if (in->files[i].role == f->role && !strcmp(in->files[i].name, f->name)) return i;
    return -1;
}

static qat_status refuse(const qat_input_file *f, const qat_config *cfg, const char *what,
                         qat_error *e) {
    char path[QAT_PATH_MAX];
    if (qat_path_join(path, sizeof path, root(f->role, cfg), f->name, NULL))
        snprintf(path, sizeof path, "%s", f->name);
    return qat_error_set(e, QAT_ERR_FORMAT, "%s: %s since the interrupted run: --resume cannot "
                         "continue it (run without --resume to start again)", path, what);
}

qat_status qat_inputs_compare(const qat_inputs *saved, const qat_inputs *now,
                              const qat_config *cfg, qat_error *e) {
    for (int i = 0; i < saved->n || i < now->n; i++) {
        const qat_input_file *s = i < saved->n ? &saved->files[i] : NULL;
        const qat_input_file *n = i < now->n ? &now->files[i] : NULL;
        if (s && n && s->role == n->role && !strcmp(s->name, n->name)) {
            if (s->size != n->size || s->hash != n->hash) return refuse(n, cfg, "changed", e);
        } else if (s && (!n || find(now, s) < 0)) {
            return refuse(s, cfg, "removed", e);
        } else {
            return refuse(n, cfg, "added", e);
        }
    }
    return QAT_OK;
}

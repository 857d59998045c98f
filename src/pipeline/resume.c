/* Training phases, interruption and resume.cpkt (see pipeline.h and phase.h).
 *   "QATRESUM"  u64 version (2)  u64 run id
 *   u64 input files; each: u64 role, u64 name length, the name, u64 size, u64 hash
 *   u64 finished phases
 *   per finished phase: the model (u64 n_params, u64 n_state, floats) and its log
 *   the interrupted phase's snapshot (train.h): counters, random streams, sample order,
 *   model, optimiser moments, best weights, history
 *   u32 crc32 (zlib) of every byte before it; little-endian throughout */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "phase.h"
#include "qat/io.h"

#define VERSION 2u
static const char MAGIC[8] = {'Q', 'A', 'T', 'R', 'E', 'S', 'U', 'M'};

/* ---- phases ---- */

static void record_free(qat_phase_record *r) {
    free(r->params);
    free(r->state);
    free(r->history);
    memset(r, 0, sizeof *r);
}

void qat_resume_free(qat_resume *r) {
    qat_inputs_free(&r->inputs);
    for (int i = 0; i < r->n_done; i++) record_free(&r->done[i]);
    qat_train_snapshot_free(&r->current);
    memset(r, 0, sizeof *r);
}

static qat_status record_push(qat_pipeline *p, const qat_model *m, const qat_train_log *log,
                              int epochs, qat_error *e) {
    QAT_ASSERT(p->state.n_done < QAT_MAX_PHASES);
    qat_phase_record *r = &p->state.done[p->state.n_done];
    const qat_graph *g = &m->g;
    *r = (qat_phase_record){g->n_params, g->n_state, malloc((g->n_params + 1) * sizeof(float)),
                            malloc((g->n_state + 1) * sizeof(float)), epochs,
                            malloc(((size_t)epochs + 1) * sizeof *r->history), *log};
    r->log.history = NULL;
    if (!r->params || !r->state || !r->history) {
        record_free(r);
        return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory recording a phase");
    }
    memcpy(r->params, g->params, g->n_params * sizeof(float));
    memcpy(r->state, g->state, g->n_state * sizeof(float));
    memcpy(r->history, log->history, (size_t)epochs * sizeof *r->history);
    p->state.n_done++;
    return QAT_OK;
}

static qat_status replay(const qat_phase_record *r, qat_model *m, qat_train_log *log, int epochs,
                         qat_error *e) {
    if (r->n_params != m->g.n_params || r->n_state != m->g.n_state || r->epochs != epochs)
        return qat_error_set(e, QAT_ERR_FORMAT, "resume: a finished phase does not fit this model");
    memcpy(m->g.params, r->params, r->n_params * sizeof(float));
    memcpy(m->g.state, r->state, r->n_state * sizeof(float));
    qat_epoch_stats *history = log->history;
    *log = r->log;
    log->history = history;
    memcpy(history, r->history, (size_t)epochs * sizeof *history);
    return QAT_OK;
}

void qat_phase_stages(qat_train_callbacks *cb, qat_qmodel_schedule *sch) {
    if (!qat_quant_staged(sch->qc)) return; /* every epoch final: the trainer as ever */
    cb->before_epoch = qat_qmodel_stage_epoch;
    cb->epoch_ctx = sch;
}

void qat_phase_final_stage(const qat_qmodel_schedule *sch) {
    qat_quant_stage s;
    qat_quant_stage_at(sch->qc, 0, &s);
    qat_qmodel_set_stage(sch->qm, &s);
}

qat_status qat_phase_train(qat_pipeline *p, qat_model *m, const qat_train_config *t,
                           uint64_t seed, qat_train_log *log, qat_train_callbacks cb,
                           qat_error *e) {
    int k = p->phase++;
    const qat_resume *from = p->resume_from;
    qat_status st;
    if (from && k < from->n_done) {
        st = replay(&from->done[k], m, log, t->epochs, e);
    } else {
        cb.stop = p->stop;
        cb.save = &p->state.current;
        cb.resume = from && k == from->n_done ? &from->current : NULL;
        st = qat_train(m, t, &p->train, qat_pipeline_val(p), seed, log, &cb, e);
        if (st == QAT_ERR_INTERRUPTED) p->interrupted = 1;
    }
    return st ? st : record_push(p, m, log, t->epochs, e);
}

/* ---- the file ---- */

typedef struct out {
    FILE *f;
    uLong crc;
} out;

static void put(out *o, const void *p, size_t n) {
    fwrite(p, 1, n, o->f);
    o->crc = crc32(o->crc, p, (uInt)n);
}

static void put_u64(out *o, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(o, b, 8);
}

static void put_i64(out *o, long v) { put_u64(o, (uint64_t)(int64_t)v); }

static void put_f64(out *o, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u64(o, u);
}

static void put_floats(out *o, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                              (unsigned char)(u >> 24)};
        put(o, b, 4);
    }
}

static void put_log(out *o, const qat_train_log *l, const qat_epoch_stats *h, int epochs) {
    put_i64(o, epochs);
    for (int i = 0; i < epochs; i++) {
        put_i64(o, h[i].epoch);
        double d[7] = {h[i].loss, h[i].accuracy, h[i].val_loss, h[i].val_accuracy, h[i].lr,
                       h[i].seconds, 0};
        for (int k = 0; k < 6; k++) put_f64(o, d[k]);
    }
    long c[4] = {l->epochs_run, l->best_epoch, l->stopped_early, l->restored_best};
    for (int k = 0; k < 4; k++) put_i64(o, c[k]);
    put_f64(o, l->seconds);
}

static void put_rng(out *o, const qat_rng *r) {
    put_u64(o, r->state);
    put_u64(o, r->inc);
}

static void put_snapshot(out *o, const qat_train_snapshot *s) {
    long c[8] = {s->epoch, s->step, s->global_step, s->hits, s->plateau_wait, s->stop_wait,
                 s->opt_t, s->has_best};
    for (int k = 0; k < 8; k++) put_i64(o, c[k]);
    double d[4] = {s->sum, s->lr, s->plateau_best, s->stop_best};
    for (int k = 0; k < 4; k++) put_f64(o, d[k]);
    put_rng(o, &s->shuffle);
    put_rng(o, &s->dropout);
    put_i64(o, s->n_order);
    for (int i = 0; i < s->n_order; i++) put_i64(o, s->order[i]);
    put_u64(o, s->n_params);
    put_u64(o, s->n_state);
    put_floats(o, s->params, s->n_params);
    put_floats(o, s->state, s->n_state);
    put_floats(o, s->m, s->n_params);
    put_floats(o, s->v, s->n_params);
    if (s->has_best) {
        put_floats(o, s->best_params, s->n_params);
        put_floats(o, s->best_state, s->n_state);
    }
    put_log(o, &s->log, s->history, s->epochs);
}

qat_status qat_resume_write(const qat_pipeline *p, const char *path, qat_error *e) {
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    out o = {a.f, crc32(0L, Z_NULL, 0)};
    put(&o, MAGIC, 8);
    put_u64(&o, VERSION);
    put_u64(&o, p->run_id);
    put_i64(&o, p->inputs.n);
    for (int i = 0; i < p->inputs.n; i++) {
        const qat_input_file *f = &p->inputs.files[i];
        size_t len = strlen(f->name);
        put_u64(&o, f->role);
        put_u64(&o, len);
        put(&o, f->name, len);
        put_u64(&o, f->size);
        put_u64(&o, f->hash);
    }
    put_i64(&o, p->state.n_done);
    for (int i = 0; i < p->state.n_done; i++) {
        const qat_phase_record *r = &p->state.done[i];
        put_u64(&o, r->n_params);
        put_u64(&o, r->n_state);
        put_floats(&o, r->params, r->n_params);
        put_floats(&o, r->state, r->n_state);
        put_log(&o, &r->log, r->history, r->epochs);
    }
    put_snapshot(&o, &p->state.current);
    uLong body = o.crc;
    put_u64(&o, body);
    return qat_afile_commit(&a, e);
}

/* ---- reading: a bounds-checked cursor; any failure is "truncated or corrupt" ---- */

typedef struct in {
    const unsigned char *p;
    size_t n, at;
    int bad;
    int nomem; /* an allocation failed (also sets bad) */
} in;

static uint64_t get_u64(in *c) {
    if (c->bad || c->n - c->at < 8) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)c->p[c->at + i] << (8 * i);
    c->at += 8;
    return v;
}

/* A count that must fit in [0, max] (guards every allocation size). */
static long get_count(in *c, long max) {
    int64_t v = (int64_t)get_u64(c);
    if (v < 0 || v > max) c->bad = 1;
    return c->bad ? 0 : (long)v;
}

static double get_f64(in *c) {
    uint64_t u = get_u64(c);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static float *get_floats(in *c, size_t n) {
    if (c->bad || (c->n - c->at) / 4 < n) {
        c->bad = 1;
        return NULL;
    }
    float *v = malloc((n + 1) * sizeof(float));
    if (!v) {
        c->bad = c->nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *b = c->p + c->at + 4 * i;
        uint32_t u = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&v[i], &u, 4);
    }
    c->at += 4 * n;
    return v;
}

#define BIG (1L << 28) /* no count in a resume file is anywhere near this */

/* Whether n records of `size` bytes can still follow: checked before allocating for them,
 * so a forged count cannot make the reader allocate or loop for what is not there. */
static int fits(in *c, long n, size_t size) {
    if (!c->bad && (c->n - c->at) / size < (size_t)n) c->bad = 1;
    return !c->bad;
}

static qat_epoch_stats *get_log(in *c, qat_train_log *l, int *epochs) {
    *epochs = (int)get_count(c, 1000000);
    if (!fits(c, *epochs, 7 * 8)) return NULL;
    qat_epoch_stats *h = calloc((size_t)*epochs + 1, sizeof *h);
    if (!h) {
        c->bad = c->nomem = 1;
        return NULL;
    }
    for (int i = 0; i < *epochs && !c->bad; i++) {
        h[i].epoch = (int)get_count(c, 1000000);
        h[i].loss = get_f64(c);
        h[i].accuracy = get_f64(c);
        h[i].val_loss = get_f64(c);
        h[i].val_accuracy = get_f64(c);
        h[i].lr = get_f64(c);
        h[i].seconds = get_f64(c);
    }
    memset(l, 0, sizeof *l);
    l->epochs_run = (int)get_count(c, *epochs);
    l->best_epoch = (int)get_count(c, *epochs);
    l->stopped_early = (int)get_count(c, 1);
    l->restored_best = (int)get_count(c, 1);
    l->seconds = get_f64(c);
    return h;
}

/* The input records; a name is at most a path and holds no NUL. */
static void get_inputs(in *c, qat_inputs *l) {
    long n = get_count(c, BIG);
    if (!fits(c, n, 4 * 8)) return;
    for (long i = 0; i < n && !c->bad; i++) {
        qat_input_role role = (qat_input_role)get_count(c, QAT_INPUT_ROLE_COUNT - 1);
        long len = get_count(c, QAT_PATH_MAX - 1);
        char name[QAT_PATH_MAX];
        if (!fits(c, len, 1)) return;
        memcpy(name, c->p + c->at, (size_t)len);
        name[len] = 0;
        c->at += (size_t)len;
        uint64_t size = get_u64(c), hash = get_u64(c);
        if (!len || memchr(name, 0, (size_t)len)) c->bad = 1;
        if (!c->bad && qat_inputs_push(l, role, name, size, hash, NULL))
            c->bad = c->nomem = 1;
    }
}

static void get_rng(in *c, qat_rng *r) {
    r->state = get_u64(c);
    r->inc = get_u64(c);
}

static void get_snapshot(in *c, qat_train_snapshot *s) {
    s->epoch = (int)get_count(c, 1000000);
    s->step = (int)get_count(c, BIG);
    s->global_step = get_count(c, BIG);
    s->hits = (int)get_count(c, BIG);
    s->plateau_wait = (int)get_count(c, BIG);
    s->stop_wait = (int)get_count(c, BIG);
    s->opt_t = get_count(c, BIG);
    s->has_best = (int)get_count(c, 1);
    s->sum = get_f64(c);
    s->lr = get_f64(c);
    s->plateau_best = get_f64(c);
    s->stop_best = get_f64(c);
    get_rng(c, &s->shuffle);
    get_rng(c, &s->dropout);
    s->n_order = (int)get_count(c, BIG);
    if (fits(c, s->n_order, 8) && !(s->order = malloc((size_t)s->n_order * sizeof(int) + 1)))
        c->bad = c->nomem = 1;
    for (int i = 0; s->order && !c->bad && i < s->n_order; i++)
        s->order[i] = (int)get_count(c, s->n_order - 1);
    if (!s->order) c->bad = 1;
    s->n_params = (size_t)get_count(c, BIG);
    s->n_state = (size_t)get_count(c, BIG);
    s->params = get_floats(c, s->n_params);
    s->state = get_floats(c, s->n_state);
    s->m = get_floats(c, s->n_params);
    s->v = get_floats(c, s->n_params);
    if (s->has_best) {
        s->best_params = get_floats(c, s->n_params);
        s->best_state = get_floats(c, s->n_state);
    }
    s->history = get_log(c, &s->log, &s->epochs);
}

qat_status qat_resume_read(qat_resume *r, const char *path, uint64_t run_id, qat_error *e) {
    void *data;
    size_t n;
    memset(r, 0, sizeof *r);
    qat_status st = qat_read_file(path, &data, &n, e);
    if (st) return st;
    in c = {data, n, 8, 0, 0};
    if (n < 8 || memcmp(data, MAGIC, 8)) {
        free(data);
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: not a qatrain resume file (bad magic)", path);
    }
    uint64_t version = get_u64(&c), hash = get_u64(&c);
    if (!c.bad && version != VERSION)
        st = qat_error_set(e, QAT_ERR_FORMAT, "%s: resume file version %llu (%s qatrain's); this "
                           "one reads version %u only: run without --resume to start again", path,
                           (unsigned long long)version, version < VERSION ? "an older" : "another",
                           VERSION);
    else if (!c.bad && hash != run_id)
        st = qat_error_set(e, QAT_ERR_FORMAT, "%s: saved by a run with another config file or "
                           "other options (resume with the same ones)", path);
    if (!st) {
        get_inputs(&c, &r->inputs);
        r->n_done = (int)get_count(&c, QAT_MAX_PHASES - 1);
        for (int i = 0; i < r->n_done && !c.bad; i++) {
            qat_phase_record *p = &r->done[i];
            p->n_params = (size_t)get_count(&c, BIG);
            p->n_state = (size_t)get_count(&c, BIG);
            p->params = get_floats(&c, p->n_params);
            p->state = get_floats(&c, p->n_state);
            p->history = get_log(&c, &p->log, &p->epochs);
        }
        get_snapshot(&c, &r->current);
        size_t body = c.at;
        uint64_t crc = get_u64(&c);
        if (c.nomem)
            st = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory reading the resume file", path);
        else if (c.bad || c.at != n)
            st = qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated or corrupt resume file", path);
        else if (crc != (uint64_t)crc32(0L, data, (uInt)body))
            st = qat_error_set(e, QAT_ERR_FORMAT, "%s: checksum mismatch (file corrupted)", path);
    }
    if (st) qat_resume_free(r);
    else r->run_id = hash;
    free(data);
    return st;
}

/* report.html's plots (plots.h).
 *
 * The figures' data go as small text files (their layout is described at the top of
 * scripts/plots.gp) into a private temporary folder, mkdtemp("$TMPDIR/qatrain-plots-XXXXXX")
 * (/tmp when TMPDIR is unset). gnuplot runs there through the process module (process.h) —
 * `gnuplot -d -e VARS /abs/path/plots.gp` (-d: no ~/.gnuplot), no input, its stderr's last
 * line going into the warning when it fails, killed after 60 s — so every path it reads and
 * writes is relative and none leaks into an SVG. The SVGs are read back and the folder is
 * removed.
 *
 * Where gnuplot is: $QAT_GNUPLOT when set — a path, or a name looked up on PATH (the tests set
 * QAT_GNUPLOT=/nonexistent to check the page without plots) — else "gnuplot" on PATH.
 * Where plots.gp is: in $QAT_SCRIPTS when set (and only there), else in
 * <folder of /proc/self/exe>/../scripts (build/qatrain → the repository's scripts/), else in
 * ./scripts. */
#include "plots.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qat/io.h"
#include "qat/process.h"

#define GNUPLOT_TIMEOUT_MS 60000
#define NO_PLOTS "report.html has tables but no plots"
#define MAX_PHASES 4
#define SVG_MAX_BYTES (16u << 20) /* a plot is tens of kilobytes; larger is not gnuplot's */
#define MAX_POINTS (QAT_PRUNE_RUNS_MAX + 1) /* and the unpruned model */

static const char *const plot_file[QAT_PLOT_COUNT] = {"curves.svg", "sweep.svg", "weights.svg",
                                                       "confusion.svg", "sqnr.svg", "lab.svg",
                                                       "sensitivity.svg", "search.svg", "stages.svg"};
_Static_assert(sizeof plot_file / sizeof plot_file[0] == QAT_PLOT_COUNT, "plot files");

/* What the plots are drawn from, and what came of it. */
typedef struct job {
    const qat_pipeline *p;
    const qat_evaluation *ev;
    qat_plots *out;
    int nomem; /* an allocation failed: an error, not a warning */
} job;

/* A training phase with a curve: its id in plots.gp and its log. */
typedef struct phase {
    const char *id;
    const qat_train_log *log;
} phase;

/* One point of the accuracy-against-sparsity plot. */
typedef struct sweep_point {
    double sparsity, accuracy, float_accuracy;
    long tflite, gzip;
} sweep_point;

/* ---------------------------------------------------------------- what the plots show */

static int phases(const qat_pipeline *p, phase out[MAX_PHASES]) {
    const phase all[MAX_PHASES] = {{"float", &p->log},
                                   {"qat", p->quantized ? &p->qat_log : NULL},
                                   {"prune", p->pruned ? &p->prune_log : NULL},
                                   {"pqat", p->pruned ? &p->pqat_log : NULL}};
    int n = 0;
    for (int i = 0; i < MAX_PHASES; i++)
        if (all[i].log && all[i].log->epochs_run > 0 && all[i].log->history) out[n++] = all[i];
    return n;
}

/* The unpruned QAT model at sparsity 0, the configured pruned model and the sweep, in
 * order of sparsity (stable). */
static int sweep_points(const qat_pipeline *p, sweep_point out[MAX_POINTS]) {
    out[0] = (sweep_point){0, p->qat_accuracy, p->test_accuracy,
                           p->tflite_bytes[QAT_VARIANT_INT8_QAT], p->gzip_bytes[QAT_VARIANT_INT8_QAT]};
    const qat_prune_result *runs[QAT_PRUNE_RUNS_MAX];
    int n = 1, nr = qat_report_prune_runs(p, runs);
    for (int i = 0; i < nr && n < MAX_POINTS; i++) {
        const qat_prune_result *r = runs[i];
        sweep_point s = {r->sparsity, r->accuracy, r->float_accuracy, r->tflite_bytes, r->gzip_bytes};
        int j = n++;
        for (; j > 0 && out[j - 1].sparsity > s.sparsity; j--) out[j] = out[j - 1];
        out[j] = s;
    }
    return n;
}

/* ---------------------------------------------------------------- data files for gnuplot */

static FILE *data_file(const char *dir, const char *name) {
    char path[QAT_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, "w");
}

static int data_close(FILE *f) {
    int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* A name as one double-quoted field (config names are [A-Za-z0-9_-]; be safe anyway). */
static void put_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) fputc(*s == '"' || (unsigned char)*s < 32 ? '\'' : *s, f);
    fputc('"', f);
}

static void put_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, " %.6g", v);
    else fputs(" ?", f); /* gnuplot's missing value (plots.gp) */
}

/* A QAT phase (its curve shows the bits each epoch simulated). */
static int is_qat(const phase *ph) {
    return !strcmp(ph->id, "qat") || !strcmp(ph->id, "pqat");
}

static int write_curves(const char *dir, const phase *ph, int n, const qat_quant_config *q) {
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "curve_%s.dat", ph[i].id);
        FILE *f = data_file(dir, name);
        if (!f) return -1;
        fprintf(f, "epoch loss accuracy val_loss val_accuracy weight_bits act_bits\n");
        for (int j = 0; j < ph[i].log->epochs_run; j++) {
            const qat_epoch_stats *s = &ph[i].log->history[j];
            int wb = 32, ab = 32; /* float training */
            if (is_qat(&ph[i])) qat_quant_stage_bits(q, s->epoch, &wb, &ab);
            fprintf(f, "%d", s->epoch);
            put_num(f, s->loss);
            put_num(f, 100 * s->accuracy);
            put_num(f, s->val_loss);
            put_num(f, 100 * s->val_accuracy);
            fprintf(f, " %d %d\n", wb, ab);
        }
        if (data_close(f)) return -1;
    }
    return 0;
}

static int write_sweep(const char *dir, const qat_pipeline *p) {
    sweep_point s[MAX_POINTS];
    int n = sweep_points(p, s);
    FILE *f = data_file(dir, "sweep.dat");
    if (!f) return -1;
    fprintf(f, "sparsity int8_accuracy float_accuracy tflite_kib gzip_kib\n");
    for (int i = 0; i < n; i++) {
        put_num(f, 100 * s[i].sparsity);
        put_num(f, 100 * s[i].accuracy);
        put_num(f, 100 * s[i].float_accuracy);
        put_num(f, s[i].tflite / 1024.0);
        put_num(f, s[i].gzip / 1024.0);
        fputc('\n', f);
    }
    return data_close(f);
}

/* hist_<idx>.dat: the bins' centres, the float and the int8 counts ("?" without int8). */
static int write_hist(const char *dir, int idx, const qat_weight_hist *h) {
    double r = h->range;
    char name[32];
    snprintf(name, sizeof name, "hist_%d.dat", idx);
    FILE *f = data_file(dir, name);
    if (!f) return -1;
    fputs("\"value\" ", f);
    put_field(f, h->layer);
    fputs(" \"int8\"\n", f);
    for (int i = 0; i < QAT_HIST_BINS; i++) {
        fprintf(f, "%.6g %ld", -r + (i + 0.5) * 2 * r / QAT_HIST_BINS, h->float_count[i]);
        if (h->has_int8) fprintf(f, " %ld\n", h->int8_count[i]);
        else fputs(" ?\n", f);
    }
    return data_close(f);
}

static int write_weights(const char *dir, const qat_evaluation *ev) {
    for (int i = 0; i < ev->n_hist; i++)
        if (write_hist(dir, i + 1, &ev->hist[i])) return -1;
    return 0;
}

static int write_confusion(const char *dir, const char *name, const qat_confusion *c) {
    int k = c->n_classes;
    const int *cm = c->count;
    FILE *f = data_file(dir, name);
    if (!f) return -1;
    fprintf(f, "predicted true fraction count\n");
    for (int y = 0; y < k; y++) {
        long row = 0;
        for (int x = 0; x < k; x++) row += cm[y * k + x];
        for (int x = 0; x < k; x++)
            fprintf(f, "%d %d %.6g %d\n", x, y, row ? (double)cm[y * k + x] / row : 0.0, cm[y * k + x]);
    }
    return data_close(f);
}

static int write_classes(const char *dir, const qat_pipeline *p) {
    FILE *f = data_file(dir, "classes.dat");
    if (!f) return -1;
    fprintf(f, "index name\n");
    for (int c = 0; c < p->test.n_classes; c++) {
        fprintf(f, "%d ", c);
        put_field(f, p->cfg.data.classes[c]);
        fputc('\n', f);
    }
    return data_close(f);
}

static int write_sqnr(const char *dir, const qat_pipeline *p) {
    FILE *f = data_file(dir, "sqnr.dat");
    if (!f) return -1;
    fprintf(f, "tensor ptq qat\n");
    for (int i = 0; i < p->n_sqnr; i++) {
        put_field(f, p->sqnr_ptq[i].name);
        put_num(f, p->sqnr_ptq[i].sqnr_db);
        put_num(f, p->sqnr_qat[i].sqnr_db);
        fputc('\n', f);
    }
    return data_close(f);
}

/* sensitivity.dat: "LAYER" and its accuracy (%) alone at 2, 4, 8 bits; the last row all layers. */
static int write_sensitivity(const char *dir, const qat_pipeline *p) {
    const qat_sensitivity *s = p->sensitivity;
    FILE *f = data_file(dir, "sensitivity.dat");
    if (!f) return -1;
    fprintf(f, "layer bits2 bits4 bits8\n");
    for (int i = 0; i <= s->n; i++) {
        const double *a = i < s->n ? s->layer[i].accuracy : s->all_accuracy;
        put_field(f, i < s->n ? s->layer[i].name : "all layers");
        for (int b = 0; b < QAT_SENS_BITS; b++) put_num(f, 100 * a[b]);
        fputc('\n', f);
    }
    return data_close(f);
}

/* search.dat: every candidate's flash (KB), arena (KB), validation accuracy (%, the one the
 * fitness uses) and on_front / winner (0 or 1). */
static int write_search(const char *dir, const qat_pipeline *p) {
    const qat_search_result *r = &p->search;
    FILE *f = data_file(dir, "search.dat");
    if (!f) return -1;
    fprintf(f, "flash_kb arena_kb accuracy front winner\n");
    for (int i = 0; i < r->n; i++) {
        const qat_candidate *c = &r->all[i];
        int front = 0;
        for (int k = 0; k < r->n_front; k++) front |= r->front[k] == i;
        put_num(f, c->cost.flash_bytes / 1024.0);
        put_num(f, c->cost.arena_bytes / 1024.0);
        put_num(f, 100 * qat_candidate_accuracy(&p->cfg.search, c));
        fprintf(f, " %d %d\n", front, i == r->best);
    }
    return data_close(f);
}

/* stages.dat: "STAGE" flash_KB arena_KB float% int8% per stage. */
static int write_stages(const char *dir, const qat_pipeline *p) {
    FILE *f = data_file(dir, "stages.dat");
    if (!f) return -1;
    fprintf(f, "stage flash_kb arena_kb float int8\n");
    for (int i = 0; i < p->n_stages; i++) {
        const qat_stage_row *r = &p->stages[i];
        put_field(f, qat_stage_kind_name(r->kind));
        put_num(f, r->c.flash_bytes / 1024.0);
        put_num(f, r->c.arena_bytes / 1024.0);
        put_num(f, 100 * r->float_accuracy);
        put_num(f, 100 * r->int8_accuracy);
        fputc('\n', f);
    }
    return data_close(f);
}

static int write_lab(const char *dir, const qat_pipeline *p) {
    qat_lab_row r[QAT_LAB_ROWS];
    int n = qat_report_lab(p, r);
    FILE *f = data_file(dir, "lab.dat");
    if (!f) return -1;
    fprintf(f, "model file_kb accuracy\n");
    for (int i = 0; i < n; i++) {
        put_field(f, r[i].label);
        put_num(f, r[i].bytes / 1024.0);
        put_num(f, 100 * r[i].accuracy);
        fputc('\n', f);
    }
    return data_close(f);
}

/* The stage table is drawn for a run with a target. */
static int stage_plot(const qat_pipeline *p) {
    return p->quantized && p->n_stages > 0 && qat_target_set(&p->cfg.target);
}

/* Every data file; vars gets the -e definitions plots.gp reads. */
static int write_data(const job *g, const char *dir, char *vars, size_t cap) {
    const qat_pipeline *p = g->p;
    phase ph[MAX_PHASES];
    int np = phases(p, ph), nl = 0;
    char ids[64] = "";
    for (int i = 0; i < np; i++) snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? " " : "", ph[i].id);
    const qat_evaluation *ev = g->ev;
    if (write_curves(dir, ph, np, &p->cfg.quant) || write_classes(dir, p) ||
        write_confusion(dir, "conf_float.dat", &ev->confusion[QAT_EVAL_FLOAT32]))
        return -1;
    if (p->quantized && (write_confusion(dir, "conf_int8.dat", &ev->confusion[QAT_EVAL_INT8_QAT]) ||
                         write_sqnr(dir, p) || write_weights(dir, ev) || write_lab(dir, p)))
        return -1;
    nl = p->quantized ? ev->n_hist : 0;
    if (p->pruned && write_sweep(dir, p)) return -1;
    if (p->quantized && p->sensitivity && write_sensitivity(dir, p)) return -1;
    if (p->searched && write_search(dir, p)) return -1;
    int st = stage_plot(p);
    if (st && write_stages(dir, p)) return -1;
    snprintf(vars, cap, "phases='%s'; nlayers=%d; quantized=%d; pruned=%d; nclasses=%d; "
             "staged=%d; sensitivity=%d; search=%d; stages=%d", ids, nl, p->quantized, p->pruned,
             p->test.n_classes, p->quantized && qat_quant_staged(&p->cfg.quant),
             p->quantized && p->sensitivity, p->searched, st);
    return 0;
}

/* ---------------------------------------------------------------- finding and running gnuplot */

/* $QAT_GNUPLOT or "gnuplot", as an absolute path (caller frees), or NULL. */
static char *find_gnuplot(int *nomem) {
    const char *name = getenv("QAT_GNUPLOT");
    return qat_process_find(name && *name ? name : "gnuplot", nomem);
}

/* dir/name as an absolute path (caller frees), or NULL when it is not readable, the working
 * folder is unknown, or out of memory (then *nomem is set). */
static char *readable(const char *dir, const char *name, int *nomem) {
    char path[QAT_PATH_MAX + 16], cwd[QAT_PATH_MAX], full[2 * QAT_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, R_OK) != 0 || !getcwd(cwd, sizeof cwd) ||
        qat_path_join(full, sizeof full, cwd, path, NULL))
        return NULL;
    size_t n = strlen(full) + 1;
    char *out = malloc(n);
    if (out) memcpy(out, full, n);
    else *nomem = 1;
    return out;
}

static char *script_in(const char *dir, int *nomem) {
    return readable(dir, "plots.gp", nomem);
}

/* plots.gp as an absolute path (caller frees), or NULL; `where` says where it was sought. */
static char *find_script(char *where, size_t cap, int *nomem) {
    const char *env = getenv("QAT_SCRIPTS");
    if (env && *env) {
        snprintf(where, cap, "$QAT_SCRIPTS (%s)", env);
        return script_in(env, nomem);
    }
    snprintf(where, cap, "<qatrain's folder>/../scripts or ./scripts");
    char exe[QAT_PATH_MAX], dir[QAT_PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *found = NULL;
    if (n > 0) {
        exe[n] = 0;
        qat_path_dir(dir, QAT_PATH_MAX, exe);
        strcat(dir, "/../scripts");
        found = script_in(dir, nomem);
    }
    return found || *nomem ? found : script_in("scripts", nomem);
}

/* Why a finished gnuplot run failed (its last error line when it wrote one), or "" when it
 * exited 0. */
static void failure(const qat_process_result *r, char *why, size_t cap) {
    char line[160];
    qat_process_last_line(r->err, line, sizeof line);
    why[0] = 0;
    if (r->outcome == QAT_PROCESS_NOT_STARTED)
        snprintf(why, cap, "cannot start it: %s", strerror(r->start_errno));
    else if (r->outcome == QAT_PROCESS_TIMED_OUT)
        snprintf(why, cap, "it did not finish in %d s", GNUPLOT_TIMEOUT_MS / 1000);
    else if (r->outcome == QAT_PROCESS_EXITED && r->exit_status == 0)
        return;
    else if (line[0])
        snprintf(why, cap, "%s", line);
    else if (r->outcome == QAT_PROCESS_EXITED)
        snprintf(why, cap, "exit status %d", r->exit_status);
    else
        snprintf(why, cap, "killed by signal %d", r->signal);
}

/* 0 when gnuplot ran in dir and exited 0; else why gets the reason (and *nomem is set when
 * that was memory). */
static int run_gnuplot(const char *gp, const char *script, const char *dir, const char *vars,
                       char *why, size_t cap, int *nomem) {
    const char *argv[] = {gp, "-d", "-e", vars, script, NULL};
    qat_process_result r;
    qat_error e = {0};
    if (qat_process_run(argv, dir, NULL, 0, GNUPLOT_TIMEOUT_MS, &r, &e)) {
        *nomem = e.status == QAT_ERR_NOMEM;
        snprintf(why, cap, "%.150s", e.msg);
        return -1;
    }
    failure(&r, why, cap);
    qat_process_result_free(&r);
    return why[0] ? -1 : 0;
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char path[QAT_PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Reads the SVGs gnuplot wrote; returns how many of the expected ones are missing. */
static int load_svgs(job *g, const char *dir) {
    const qat_pipeline *p = g->p;
    phase ph[MAX_PHASES];
    int want[QAT_PLOT_COUNT] = {phases(p, ph) > 0, p->pruned, p->quantized, 1, p->quantized,
                                p->quantized, p->quantized && p->sensitivity, p->searched,
                                stage_plot(p)};
    int missing = 0;
    for (int i = 0; i < QAT_PLOT_COUNT; i++) {
        char path[QAT_PATH_MAX + 32];
        size_t n;
        void *data = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, plot_file[i]);
        qat_error e = {0};
        if (want[i] && qat_read_file_max(path, SVG_MAX_BYTES, &data, &n, &e) == QAT_OK &&
            strstr(data, "<svg"))
            g->out->svg[i] = data;
        else
            free(data);
        if (e.status == QAT_ERR_NOMEM) g->nomem = 1;
        missing += want[i] && !g->out->svg[i];
    }
    return missing;
}

/* In the temporary folder: data, gnuplot, SVGs. Any failure is a warning. */
static void plots_in(job *g, const char *gp, const char *script, const char *dir, char *warning) {
    char vars[256], why[200];
    if (write_data(g, dir, vars, sizeof vars)) {
        snprintf(warning, QAT_REPORT_WARNING_MAX,
                 "cannot write the plots' data to a temporary folder: " NO_PLOTS);
    } else if (run_gnuplot(gp, script, dir, vars, why, sizeof why, &g->nomem)) {
        snprintf(warning, QAT_REPORT_WARNING_MAX, "gnuplot failed (%.150s): " NO_PLOTS, why);
    } else {
        int missing = load_svgs(g, dir);
        if (missing)
            snprintf(warning, QAT_REPORT_WARNING_MAX,
                     "gnuplot drew no SVG for %d of the plots: report.html lacks them", missing);
    }
}

static void draw_plots(job *g, char *warning) {
    char *gp = find_gnuplot(&g->nomem), where[QAT_PATH_MAX + 32];
    char *script = gp ? find_script(where, sizeof where, &g->nomem) : NULL;
    const char *tmp = getenv("TMPDIR");
    char dir[QAT_PATH_MAX];
    if (!tmp || !*tmp) tmp = "/tmp";
    if (g->nomem) {
        /* reported by the caller */
    } else if (!gp) {
        snprintf(warning, QAT_REPORT_WARNING_MAX,
                 "gnuplot not found: " NO_PLOTS " (apt-get install gnuplot-nox)");
    } else if (!script) {
        snprintf(warning, QAT_REPORT_WARNING_MAX, "plots.gp not found in %.150s: " NO_PLOTS, where);
    } else if (snprintf(dir, sizeof dir, "%s/qatrain-plots-XXXXXX", tmp) >= (int)sizeof dir ||
               !mkdtemp(dir)) {
        snprintf(warning, QAT_REPORT_WARNING_MAX, "cannot create a temporary folder in %.120s: " NO_PLOTS, tmp);
    } else {
        plots_in(g, gp, script, dir, warning);
        remove_dir(dir);
    }
    free(gp);
    free(script);
}

qat_status qat_plots_draw(const qat_pipeline *p, const qat_evaluation *ev, qat_plots *out,
                          char warning[QAT_REPORT_WARNING_MAX], qat_error *e) {
    job g = {.p = p, .ev = ev, .out = out};
    *out = (qat_plots){0};
    warning[0] = 0;
    draw_plots(&g, warning);
    if (!g.nomem) return QAT_OK;
    qat_plots_free(out);
    return qat_error_set(e, QAT_ERR_NOMEM, "out of memory drawing the plots");
}

void qat_plots_free(qat_plots *pl) {
    for (int i = 0; i < QAT_PLOT_COUNT; i++) free(pl->svg[i]);
    *pl = (qat_plots){0};
}

/* report.html (report.h): the page's tables are written here, its plots drawn by gnuplot.
 *
 * Plots. The figures' data go as small text files (their layout is described at the top of
 * scripts/plots.gp) into a private temporary folder, mkdtemp("$TMPDIR/qatrain-plots-XXXXXX")
 * (/tmp when TMPDIR is unset). gnuplot runs with that folder as its working directory —
 * fork/exec of `gnuplot -d -e VARS /abs/path/plots.gp` (-d: no ~/.gnuplot), stdin and stdout
 * /dev/null, stderr to a file in the folder (its first line goes into the warning when
 * gnuplot fails), killed after 60 s — so every path it reads and writes is relative and none
 * leaks into an SVG. The SVGs are read back and inlined, each with its ids prefixed
 * ("q3-gpPt1") so that five of them can share one document, and the folder is removed.
 *
 * Where gnuplot is: $QAT_GNUPLOT when set — a path, or a name looked up on PATH (the tests set
 * QAT_GNUPLOT=/nonexistent to check the page without plots) — else "gnuplot" on PATH.
 * Where plots.gp is: in $QAT_SCRIPTS when set (and only there), else in
 * <folder of /proc/self/exe>/../scripts (build/qatrain → the repository's scripts/), else in
 * ./scripts.
 * Without gnuplot or the script, or when gnuplot fails, the page has its tables and no plots
 * and the caller gets one warning line. */
#include "qat/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qat/io.h"

#define HIST_BINS 61
#define GNUPLOT_TIMEOUT_MS 60000
#define NO_PLOTS "report.html has tables but no plots"
#define MAX_PHASES 4
#define MAX_POINTS (QAT_MAX_SWEEP + 2)

enum { PLOT_CURVES, PLOT_SWEEP, PLOT_WEIGHTS, PLOT_CONFUSION, PLOT_SQNR, PLOT_COUNT };
static const char *const plot_file[PLOT_COUNT] = {"curves.svg", "sweep.svg", "weights.svg",
                                                  "confusion.svg", "sqnr.svg"};

typedef struct page {
    qat_pipeline *p;
    qat_variant_stats v[QAT_VARIANT_COUNT];
    int n_v;
    int *cm[2];            /* confusion [true · k + predicted]: float32, int8 QAT (or NULL) */
    double cm_acc[2];      /* the accuracies they give */
    char *svg[PLOT_COUNT]; /* inlined as is; NULL when not drawn */
    int nomem;             /* an allocation for the plots failed: an error, not a warning */
} page;

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

/* ---------------------------------------------------------------- confusion matrices */

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static double tally(int *cm, const qat_dataset *t, const int *pred) {
    int k = t->n_classes, right = 0;
    for (int i = 0; i < t->n; i++) {
        cm[t->y[i] * k + pred[i]]++;
        right += pred[i] == t->y[i];
    }
    return t->n ? (double)right / t->n : 0;
}

/* Float predictions with the float model, int8 ones with the integer engine on the QAT IR. */
static qat_status confusion(page *g, qat_error *e) {
    qat_pipeline *p = g->p;
    const qat_dataset *t = &p->test;
    int k = t->n_classes;
    int *pred = malloc(((size_t)t->n + 1) * sizeof(int));
    float *prob = malloc(((size_t)t->n * k + 1) * sizeof(float));
    g->cm[0] = calloc((size_t)k * k, sizeof(int));
    g->cm[1] = p->quantized ? calloc((size_t)k * k, sizeof(int)) : NULL;
    qat_status st = QAT_OK;
    if (!pred || !prob || !g->cm[0] || (p->quantized && !g->cm[1]))
        st = qat_error_set(e, QAT_ERR_NOMEM, "report.html: out of memory");
    if (!st) {
        qat_model_predict(&p->model, t->x, t->n, prob);
        for (int i = 0; i < t->n; i++) pred[i] = argmax(prob + (size_t)i * k, k);
        g->cm_acc[0] = tally(g->cm[0], t, pred);
    }
    if (!st && p->quantized) {
        double acc;
        st = qat_int8_evaluate(&p->ir_qat, t, pred, NULL, &acc, NULL, e);
        if (!st) g->cm_acc[1] = tally(g->cm[1], t, pred);
    }
    free(pred);
    free(prob);
    return st;
}

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
    int n = 1;
    for (int i = -1; i < p->n_sweep && n < MAX_POINTS; i++) {
        const qat_prune_result *r = i < 0 ? &p->prune_main : &p->sweep[i];
        sweep_point s = {r->sparsity, r->accuracy, r->float_accuracy, r->tflite_bytes, r->gzip_bytes};
        int j = n++;
        for (; j > 0 && out[j - 1].sparsity > s.sparsity; j--) out[j] = out[j - 1];
        out[j] = s;
    }
    return n;
}

/* The float model's kernel of layer i, batch norm folded in when one follows (as exported:
 * w' = w·γ/√(σ²+ε) per output channel). */
static float *float_kernel(const qat_model *m, int i, size_t *n) {
    const qat_graph *g = &m->g;
    const qat_node *W = &g->nodes[m->layer[i].w];
    float *w = malloc(W->size * sizeof(float) + 1);
    if (!w) return NULL;
    memcpy(w, W->val, W->size * sizeof(float));
    *n = W->size;
    if (i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM) {
        const qat_model_layer *lb = &m->layer[i + 1];
        int c = W->dim[0];
        size_t row = W->size / (size_t)c;
        const float *mu = g->state + g->nodes[lb->out].offset, *var = mu + c;
        for (int o = 0; o < c; o++) {
            float gamma = lb->gamma >= 0 ? g->nodes[lb->gamma].val[o] : 1.0f;
            qat_bn_fold_kernel(w + o * row, row, gamma,
                               qat_bn_inv_std(var[o], m->spec[i + 1].epsilon), w + o * row);
        }
    }
    return w;
}

/* The int8 kernel "<layer>/kernel" of an IR, dequantized with its scales (*w NULL if
 * absent); -1 when out of memory. */
static int int8_kernel(const qat_ir *ir, const char *layer, float **w, size_t *n) {
    char name[QAT_IR_NAME_MAX + QAT_NAME_MAX];
    snprintf(name, sizeof name, "%s/kernel", layer);
    for (int t = 0; t < ir->n_tensors; t++) {
        const qat_ir_tensor *T = &ir->tensors[t];
        if (strcmp(T->name, name) || T->type != QAT_IR_INT8 || !T->data || T->q.n < 1) continue;
        size_t count = qat_ir_tensor_count(T), inner = 1;
        for (int d = T->q.axis + 1; d < T->ndim; d++) inner *= (size_t)T->dim[d];
        if (!(*w = malloc(count * sizeof(float) + 1))) return -1;
        const int8_t *q = T->data;
        for (size_t j = 0; j < count; j++) {
            int c = T->q.n > 1 ? (int)((j / inner) % (size_t)T->dim[T->q.axis]) : 0;
            int32_t zp = T->q.zero_point ? T->q.zero_point[c] : 0;
            (*w)[j] = T->q.scale[c] * (float)(q[j] - zp);
        }
        *n = count;
        return 0;
    }
    *w = NULL;
    return 0;
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

static int write_curves(const char *dir, const phase *ph, int n) {
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "curve_%s.dat", ph[i].id);
        FILE *f = data_file(dir, name);
        if (!f) return -1;
        fprintf(f, "epoch loss accuracy val_loss val_accuracy\n");
        for (int j = 0; j < ph[i].log->epochs_run; j++) {
            const qat_epoch_stats *s = &ph[i].log->history[j];
            fprintf(f, "%d", s->epoch);
            put_num(f, s->loss);
            put_num(f, 100 * s->accuracy);
            put_num(f, s->val_loss);
            put_num(f, 100 * s->val_accuracy);
            fputc('\n', f);
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

static int bin_of(double v, double r) {
    int b = (int)floor((v + r) / (2 * r) * HIST_BINS);
    return b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
}

/* hist_<idx>.dat: HIST_BINS bins over ±max|w| of both kernels; "?" when b is NULL. */
static int write_hist(const char *dir, int idx, const char *layer, const float *a, size_t na,
                      const float *b, size_t nb) {
    double r = 0;
    for (size_t i = 0; i < na; i++) r = fmax(r, fabs(a[i]));
    for (size_t i = 0; b && i < nb; i++) r = fmax(r, fabs(b[i]));
    if (!(r > 0)) r = 1;
    long ca[HIST_BINS] = {0}, cb[HIST_BINS] = {0};
    for (size_t i = 0; i < na; i++) ca[bin_of(a[i], r)]++;
    for (size_t i = 0; b && i < nb; i++) cb[bin_of(b[i], r)]++;
    char name[32];
    snprintf(name, sizeof name, "hist_%d.dat", idx);
    FILE *f = data_file(dir, name);
    if (!f) return -1;
    fputs("\"value\" ", f);
    put_field(f, layer);
    fputs(" \"int8\"\n", f);
    for (int i = 0; i < HIST_BINS; i++) {
        fprintf(f, "%.6g %ld", -r + (i + 0.5) * 2 * r / HIST_BINS, ca[i]);
        if (b) fprintf(f, " %ld\n", cb[i]);
        else fputs(" ?\n", f);
    }
    return data_close(f);
}

/* One histogram per conv/dense layer; returns how many (or -1, with g->nomem set when
 * memory ran out). */
static int write_weights(const char *dir, page *g) {
    const qat_model *m = &g->p->model;
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        if (m->layer[i].w < 0) continue;
        size_t na = 0, nb = 0;
        float *a = float_kernel(m, i, &na), *b = NULL;
        if (!a || int8_kernel(&g->p->ir_qat, m->spec[i].name, &b, &nb)) g->nomem = 1;
        int bad = g->nomem || write_hist(dir, ++n, m->spec[i].name, a, na, b, nb);
        free(a);
        free(b);
        if (bad) return -1;
    }
    return n;
}

static int write_confusion(const char *dir, const char *name, const int *cm, const qat_dataset *t) {
    int k = t->n_classes;
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

/* Every data file; vars gets the -e definitions plots.gp reads. */
static int write_data(page *g, const char *dir, char *vars, size_t cap) {
    const qat_pipeline *p = g->p;
    phase ph[MAX_PHASES];
    int np = phases(p, ph), nl = 0;
    char ids[64] = "";
    for (int i = 0; i < np; i++) snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? " " : "", ph[i].id);
    if (write_curves(dir, ph, np) || write_classes(dir, p) ||
        write_confusion(dir, "conf_float.dat", g->cm[0], &p->test))
        return -1;
    if (p->quantized && (write_confusion(dir, "conf_int8.dat", g->cm[1], &p->test) ||
                         write_sqnr(dir, p) || (nl = write_weights(dir, g)) < 0))
        return -1;
    if (p->pruned && write_sweep(dir, p)) return -1;
    snprintf(vars, cap, "phases='%s'; nlayers=%d; quantized=%d; pruned=%d; nclasses=%d", ids,
             nl, p->quantized, p->pruned, p->test.n_classes);
    return 0;
}

/* ---------------------------------------------------------------- finding and running gnuplot */

/* path made absolute against the working directory (gnuplot runs elsewhere); caller frees.
 * NULL when the directory is unknown, or out of memory (then *nomem is set). */
static char *absolute(const char *path, int *nomem) {
    char cwd[QAT_PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) return NULL;
    size_t n = (path[0] == '/' ? 0 : strlen(cwd) + 1) + strlen(path) + 1;
    char *out = malloc(n);
    if (!out) *nomem = 1;
    else if (path[0] == '/') memcpy(out, path, n);
    else snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

static int is_program(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* $QAT_GNUPLOT or "gnuplot", as an absolute path (caller frees), or NULL. */
static char *find_gnuplot(int *nomem) {
    const char *name = getenv("QAT_GNUPLOT");
    if (!name || !*name) name = "gnuplot";
    if (strchr(name, '/')) return is_program(name) ? absolute(name, nomem) : NULL;
    const char *path = getenv("PATH");
    for (const char *s = path ? path : "/usr/bin:/bin"; s;) {
        const char *colon = strchr(s, ':');
        int len = colon ? (int)(colon - s) : (int)strlen(s);
        char cand[QAT_PATH_MAX];
        if (snprintf(cand, sizeof cand, "%.*s/%s", len, len ? s : ".", name) < (int)sizeof cand &&
            is_program(cand))
            return absolute(cand, nomem);
        s = colon ? colon + 1 : NULL;
    }
    return NULL;
}

static char *script_in(const char *dir, int *nomem) {
    char path[QAT_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/plots.gp", dir);
    return access(path, R_OK) == 0 ? absolute(path, nomem) : NULL;
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

/* In the child, before exec: only async-signal-safe calls. */
static void exec_gnuplot(const char *dir, char *const argv[]) {
    if (chdir(dir) != 0) _exit(126);
    int in = open("/dev/null", O_RDWR);
    int err = open("gnuplot.err", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || err < 0 || dup2(in, 0) < 0 || dup2(in, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

/* Waits for the child at most GNUPLOT_TIMEOUT_MS; kills it after that. */
static int wait_child(pid_t pid, int *status) {
    const struct timespec tick = {0, 1000 * 1000}; /* 1 ms: a fast gnuplot is not kept waiting */
    for (int ms = 0;; ms++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return -1;
        if (ms >= GNUPLOT_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
            return -1;
        }
        nanosleep(&tick, NULL);
    }
}

/* The last line gnuplot wrote on stderr (the error that stopped it), trimmed, into why. */
static void last_error_line(const char *dir, char *why, size_t cap) {
    char path[QAT_PATH_MAX + 32], line[256];
    snprintf(path, sizeof path, "%s/gnuplot.err", dir);
    FILE *f = fopen(path, "r");
    why[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        const char *t = line + strspn(line, " \t");
        if (t[strspn(t, " \t^")]) snprintf(why, cap, "%s", t); /* not a blank or caret line */
    }
    if (f) fclose(f);
}

/* 0 when gnuplot ran and exited 0; else why gets the reason. */
static int run_gnuplot(const char *gp, const char *script, const char *dir, const char *vars,
                       char *why, size_t cap) {
    char *argv[] = {(char *)gp, "-d", "-e", (char *)vars, (char *)script, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, cap, "cannot start it: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) exec_gnuplot(dir, argv);
    int status = 0;
    if (wait_child(pid, &status)) {
        snprintf(why, cap, "it did not finish in %d s", GNUPLOT_TIMEOUT_MS / 1000);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char line[160];
    last_error_line(dir, line, sizeof line);
    if (line[0]) snprintf(why, cap, "%s", line);
    else if (WIFEXITED(status)) snprintf(why, cap, "exit status %d", WEXITSTATUS(status));
    else snprintf(why, cap, "killed by signal %d", WTERMSIG(status));
    return -1;
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
static int load_svgs(page *g, const char *dir) {
    const qat_pipeline *p = g->p;
    phase ph[MAX_PHASES];
    int want[PLOT_COUNT] = {phases(p, ph) > 0, p->pruned, p->quantized, 1, p->quantized};
    int missing = 0;
    for (int i = 0; i < PLOT_COUNT; i++) {
        char path[QAT_PATH_MAX + 32];
        size_t n;
        void *data = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, plot_file[i]);
        qat_error e = {0};
        if (want[i] && qat_read_file(path, &data, &n, &e) == QAT_OK && strstr(data, "<svg"))
            g->svg[i] = data;
        else
            free(data);
        if (e.status == QAT_ERR_NOMEM) g->nomem = 1;
        missing += want[i] && !g->svg[i];
    }
    return missing;
}

/* In the temporary folder: data, gnuplot, SVGs. Any failure is a warning. */
static void plots_in(page *g, const char *gp, const char *script, const char *dir, char *warning) {
    char vars[256], why[200];
    if (write_data(g, dir, vars, sizeof vars)) {
        snprintf(warning, QAT_REPORT_WARNING_MAX,
                 "cannot write the plots' data to a temporary folder: " NO_PLOTS);
    } else if (run_gnuplot(gp, script, dir, vars, why, sizeof why)) {
        snprintf(warning, QAT_REPORT_WARNING_MAX, "gnuplot failed (%.150s): " NO_PLOTS, why);
    } else {
        int missing = load_svgs(g, dir);
        if (missing)
            snprintf(warning, QAT_REPORT_WARNING_MAX,
                     "gnuplot drew no SVG for %d of the plots: report.html lacks them", missing);
    }
}

static void draw_plots(page *g, char *warning) {
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

/* ---------------------------------------------------------------- HTML helpers */

static void esc(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* 12,195 */
static void put_long(FILE *f, long v) {
    char d[32];
    int n = snprintf(d, sizeof d, "%ld", v < 0 ? -v : v);
    if (v < 0) fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) fputc(',', f);
        fputc(d[i], f);
    }
}

static int starts(const char *s, const char *prefix) {
    return !strncmp(s, prefix, strlen(prefix));
}

/* Length of the attribute opening at s whose id (or reference to one) needs the prefix:
 * ` id="`, `:href="#`, `url(#` (either quote); 0 elsewhere. prev is the character before s. */
static size_t id_opening(const char *s, char prev) {
    if ((prev == ' ' || prev == '\t' || prev == '\n') && (starts(s, "id=\"") || starts(s, "id='")))
        return 4;
    if (prev == ':' && (starts(s, "href=\"#") || starts(s, "href='#"))) return 7;
    return starts(s, "url(#") ? 5 : 0;
}

/* Copies a gnuplot SVG from its <svg> element on, without gnuplot's generic <title> and
 * <desc> elements (tooltips such as "gnuplot_plot_1a"), every id and reference to one
 * prefixed with "q<n>-": ids must be unique in a document and every gnuplot SVG defines
 * the same ones. */
static void put_svg(FILE *f, const char *svg, int n) {
    const char *s = strstr(svg, "<svg");
    for (char prev = ' '; s && *s; prev = s[-1]) {
        const char *close = starts(s, "<title>") ? "</title>" : starts(s, "<desc>") ? "</desc>" : NULL;
        const char *end = close ? strstr(s, close) : NULL;
        size_t k = id_opening(s, prev);
        if (end) {
            s = end + strlen(close);
            s += *s == '\n';
        } else if (k) {
            fwrite(s, 1, k, f);
            fprintf(f, "q%d-", n);
            s += k;
        } else {
            fputc(*s++, f);
        }
    }
}

static const char CSS[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:#1d2329;max-width:1000px;margin:2em auto;padding:0 1.2em}\n"
    "h1{font-size:1.7em;margin:0 0 .1em}\n"
    "h2{font-size:1.25em;margin:2.2em 0 .6em;padding-bottom:.25em;border-bottom:1px solid #d5dbe1}\n"
    ".meta{color:#5b6670;margin:0 0 1.5em}\n"
    "table{border-collapse:collapse;margin:.6em 0 1em;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:.32em .65em;border-bottom:1px solid #e3e7eb;text-align:right;vertical-align:top}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "thead th{border-bottom:2px solid #9aa5b1;vertical-align:bottom}\n"
    "table.kv td{text-align:left}\n"
    "table.layers td:nth-child(-n+3),table.layers th:nth-child(-n+3){text-align:left}\n"
    "table.kv th{font-weight:600;white-space:nowrap;padding-right:1.5em}\n"
    "td.best{font-weight:600}\n"
    "ul.notes{color:#47525c;font-size:.93em;padding-left:1.2em}\n"
    ".warn{background:#fff4e5;border:1px solid #f0c36d;padding:.5em .9em;border-radius:4px}\n"
    "figure{margin:1em 0 1.5em}\n"
    "figure svg{display:block;max-width:100%;height:auto}\n"
    "figcaption{color:#47525c;font-size:.93em;margin-top:.4em}\n"
    "code{font-size:.92em;background:#f2f4f6;padding:0 .25em;border-radius:3px}\n"
    "footer{margin-top:3em;color:#7a858f;font-size:.85em}\n";

static void head(FILE *f, const qat_pipeline *p) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>qatrain report: ",
          f);
    esc(f, p->cfg.path[0] ? p->cfg.path : "built-in config");
    fprintf(f, " (seed %llu)</title>\n<style>\n%s</style>\n</head>\n<body>\n", (unsigned long long)p->cfg.seed, CSS);
    fputs("<h1>qatrain report</h1>\n<p class=\"meta\">config <code>", f);
    esc(f, p->cfg.path[0] ? p->cfg.path : "(built-in)");
    fprintf(f, "</code> &middot; seed %llu &middot; qatrain " QAT_VERSION "</p>\n",
            (unsigned long long)p->cfg.seed);
}

/* ---------------------------------------------------------------- sections */

static void kv(FILE *f, const char *key) {
    fprintf(f, "<tr><th>%s</th><td>", key);
}

static void run_data(FILE *f, const qat_pipeline *p) {
    const qat_data_config *d = &p->cfg.data;
    kv(f, "data");
    fprintf(f, "%s, %d classes (", qat_data_source_name(d->source), d->n_classes);
    for (int c = 0; c < d->n_classes; c++) {
        if (c) fputs(", ", f);
        esc(f, d->classes[c]);
    }
    if (d->height > 0) fprintf(f, "); images of %d &times; %d &times; %d", d->height, d->width, d->channels);
    else fprintf(f, "); windows of %d steps &times; %d axes at %g Hz", d->window, d->channels, d->rate_hz);
    fprintf(f, "; train %d / validation %d / test %d samples%s</td></tr>\n", p->train.n, p->val.n, p->test.n,
            p->val_is_test ? " (validation is the test split, as in the lesson)" : "");
}

static void run_training(FILE *f, const qat_pipeline *p) {
    const qat_train_config *t = &p->cfg.train;
    const qat_train_log *l = &p->log;
    kv(f, "model");
    put_long(f, (long)p->model.g.n_params);
    fputs(" parameters, ", f);
    put_long(f, qat_model_macs(&p->model));
    fprintf(f, " MACs per inference, %d layers (listed at the end)</td></tr>\n", p->model.n_layers);
    kv(f, "float training");
    fprintf(f, "%s, lr %g, batch %d: %d of %d epochs", qat_optimizer_name(t->optimizer), t->lr,
            t->batch, l->epochs_run, t->epochs);
    if (l->stopped_early) fputs(", stopped early", f);
    if (l->restored_best) fprintf(f, ", best epoch %d restored", l->best_epoch);
    fputs("</td></tr>\n", f);
}

static void run_quant(FILE *f, const qat_pipeline *p) {
    const qat_quant_config *q = &p->cfg.quant;
    kv(f, "quantization");
    fprintf(f, "PTQ: %s observer on %d calibration samples from the training split; "
            "QAT: %s observer, %d epochs at lr %g, batch %d; weights %d-bit (%s conv, %s dense), "
            "activations %d-bit</td></tr>\n",
            qat_observer_name(q->ptq_observer), p->calib.n, qat_observer_name(q->qat_observer),
            p->qat_log.epochs_run, q->lr, q->batch, q->weight_bits,
            q->per_channel_conv ? "per-channel" : "per-tensor",
            q->per_channel_dense ? "per-channel" : "per-tensor", q->act_bits);
}

static void run_prune(FILE *f, const qat_pipeline *p) {
    const qat_prune_config *c = &p->cfg.prune;
    kv(f, "pruning");
    fprintf(f, "%s%s, %g %% &rarr; %g %% over %d epochs, then QAT keeping the masks",
            c->structured ? "structured, " : "", qat_prune_schedule_name(c->schedule),
            100 * c->initial_sparsity, 100 * c->final_sparsity, c->epochs);
    for (int i = 0; i < p->n_sweep; i++) fprintf(f, "%s%g %%", i ? ", " : "; sweep ", 100 * p->sweep[i].target);
    const char *sep = "; pruned in blocks of ";
    for (int i = 0; i < p->cfg.n_layers; i++) {
        const qat_layer_spec *l = &p->cfg.layers[i];
        int block = qat_prune_block_of(l, c);
        if (!l->prune || block < 2) continue;
        fprintf(f, "%s%d (", sep, block);
        esc(f, l->name);
        fputs(")", f);
        sep = ", ";
    }
    fputs("</td></tr>\n", f);
}

static void section_run(FILE *f, const qat_pipeline *p) {
    fputs("<h2>Run</h2>\n<table class=\"kv\">\n", f);
    run_data(f, p);
    run_training(f, p);
    if (p->quantized) run_quant(f, p);
    if (p->pruned) run_prune(f, p);
    fputs("</table>\n", f);
}

static void row_long(FILE *f, const char *label, const long *v, int n, int zero_is_none) {
    fprintf(f, "<tr><td>%s</td>", label);
    for (int i = 0; i < n; i++) {
        fputs("<td>", f);
        if (zero_is_none && v[i] == 0) fputs("&ndash;", f);
        else put_long(f, v[i]);
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

static void row_pct(FILE *f, const char *label, const double *v, int n, int digits) {
    fprintf(f, "<tr><td>%s</td>", label);
    for (int i = 0; i < n; i++) fprintf(f, "<td>%.*f</td>", digits, 100 * v[i]);
    fputs("</tr>\n", f);
}

static void comparison_rows(FILE *f, const page *g) {
    const qat_variant_stats *v = g->v;
    int n = g->n_v;
    long tfl[QAT_VARIANT_COUNT], gz[QAT_VARIANT_COUNT], arena[QAT_VARIANT_COUNT],
        macs[QAT_VARIANT_COUNT], params[QAT_VARIANT_COUNT], wb[QAT_VARIANT_COUNT];
    double acc[QAT_VARIANT_COUNT], sp[QAT_VARIANT_COUNT];
    for (int i = 0; i < n; i++) {
        tfl[i] = v[i].tflite_bytes, gz[i] = v[i].gzip_bytes, arena[i] = v[i].arena_bytes;
        macs[i] = v[i].macs, params[i] = v[i].parameters, wb[i] = v[i].weight_bytes;
        acc[i] = v[i].accuracy, sp[i] = v[i].sparsity;
    }
    row_pct(f, "test accuracy (%)", acc, n, 2);
    row_long(f, "<code>.tflite</code> bytes", tfl, n, 1);
    row_long(f, "gzip -9 bytes", gz, n, 1);
    row_long(f, "activation memory (bytes)", arena, n, 1);
    row_long(f, "MACs per inference", macs, n, 0);
    row_pct(f, "sparsity (%)", sp, n, 1);
    row_long(f, "parameters (BN folded)", params, n, 0);
    row_long(f, "weight bytes", wb, n, 0);
    fputs("<tr><td>runs on TFLite Micro</td>", f);
    for (int i = 0; i < n; i++) fputs(i == QAT_VARIANT_DYNAMIC_RANGE ? "<td>no</td>" : "<td>yes</td>", f);
    fputs("</tr>\n", f);
}

static void comparison_notes(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<ul class=\"notes\">\n", f);
    if (p->quantized) {
        fprintf(f, "<li>Int8 columns: the integer engine (TFLite Micro's arithmetic) on the test "
                "split, %d samples (one sample is %.2f points). QAT's fake-quant graph scores "
                "%.2f %% and disagrees with the integer engine on %d of them.</li>\n",
                p->test.n, p->test.n ? 100.0 / p->test.n : 0.0, 100 * p->qat_sim_accuracy,
                p->sim_disagreements);
        fputs("<li><b>Dynamic range: TFLite Micro cannot run it</b> (hybrid int8-weight / float "
              "kernels); for a microcontroller deploy <code>model_int8.tflite</code> (Int8 QAT).</li>\n", f);
        fputs("<li>Activation memory: qatrain's memory plan of the activations (float: 4 bytes a "
              "value), which TFLite Micro plans the same way; its tensor arena adds its runtime "
              "structures: <code>model_int8_info.h</code> and <code>qatrain inspect</code> give the "
              "whole arena for 32- and 64-bit builds.</li>\n", f);
    }
    if (p->pruned)
        fputs("<li><b>Unstructured sparsity makes the file compress better, not smaller or "
              "faster</b>: TFLite stores and multiplies the zeros, so the <code>.tflite</code> "
              "size and the MACs stay; only the gzip size drops.</li>\n", f);
    fputs("<li>Host latency is a wall-clock figure that changes from run to run: see "
          "<code>timing.json</code>.</li>\n</ul>\n", f);
}

static void section_comparison(FILE *f, const page *g) {
    fputs("<h2>Comparison</h2>\n<table>\n<thead><tr><th></th>", f);
    for (int i = 0; i < g->n_v; i++) {
        fputs("<th>", f);
        esc(f, g->v[i].label);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    comparison_rows(f, g);
    fputs("</tbody>\n</table>\n", f);
    comparison_notes(f, g);
}

static void figure(FILE *f, const page *g, int plot, const char *caption) {
    if (!g->svg[plot]) return;
    fputs("<figure>\n", f);
    put_svg(f, g->svg[plot], plot + 1);
    fprintf(f, "\n<figcaption>%s</figcaption>\n</figure>\n", caption);
}

static void section_curves(FILE *f, const page *g) {
    fputs("<h2>Training curves</h2>\n", f);
    figure(f, g, PLOT_CURVES,
           "Loss (top) and accuracy (bottom) per epoch, training (solid) and validation "
           "(dashed), for each training phase that ran. QAT and pruning both start from the "
           "trained float model; the pruned model's QAT starts from the pruned model. Training "
           "figures are means over the epoch's batches with dropout on.");
    fprintf(f, "<p class=\"meta\">Validation data: %s. Per-epoch figures are also in "
            "<code>history.csv</code>%s.</p>\n",
            g->p->val_is_test ? "the test split (the lesson's setting)"
                              : "a held-out part of the training split",
            g->p->quantized ? " and <code>qat_history.csv</code>" : "");
}

static void sweep_table(FILE *f, const qat_pipeline *p) {
    fputs("<table>\n<thead><tr><th>run</th><th>target</th><th>sparsity (%)</th>"
          "<th>float, pruned (%)</th><th>int8 QAT (%)</th><th><code>.tflite</code> bytes</th>"
          "<th>gzip -9 bytes</th><th>pruned &ne; 0 in int8</th></tr></thead>\n<tbody>\n", f);
    for (int i = -1; i < p->n_sweep; i++) {
        const qat_prune_result *r = i < 0 ? &p->prune_main : &p->sweep[i];
        fprintf(f, "<tr><td>%s</td><td>%g %%</td><td>%.1f</td><td>%.2f</td><td>%.2f</td><td>",
                i < 0 ? "configured" : "sweep", 100 * r->target, 100 * r->sparsity,
                100 * r->float_accuracy, 100 * r->accuracy);
        put_long(f, r->tflite_bytes);
        fputs("</td><td>", f);
        put_long(f, r->gzip_bytes);
        fprintf(f, "</td><td>%ld</td></tr>\n", r->lost_zeros);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void section_sweep(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<h2>Sparsity</h2>\n", f);
    figure(f, g, PLOT_SWEEP,
           "Test accuracy against the measured sparsity of the pruned kernels: int8 QAT "
           "(integer engine) and the float model right after pruning, before its QAT; 0 % is "
           "the unpruned model (Int8 QAT, float32). Right axis: the int8 <code>.tflite</code> "
           "and its gzip -9 size in KiB &mdash; the file does not shrink, it only compresses better.");
    sweep_table(f, p);
}

static void section_weights(FILE *f, const page *g) {
    const qat_quant_config *q = &g->p->cfg.quant;
    char cap[900];
    if (!g->svg[PLOT_WEIGHTS]) return; /* a figure only */
    snprintf(cap, sizeof cap,
             "Weight histograms of each conv/dense kernel, %d bins over &plusmn;max|w|: the "
             "float model's kernel (shaded; batch norm folded in where one follows, as "
             "exported) against the QAT model's int8 kernel dequantized with its scales (line; "
             "%s for conv, %s for dense). The int8 kernel comes from the QAT model, which "
             "trained %d more epochs, so the two differ by that training as well as by rounding.",
             HIST_BINS, q->per_channel_conv ? "per channel" : "per tensor",
             q->per_channel_dense ? "per channel" : "per tensor", g->p->qat_log.epochs_run);
    fputs("<h2>Weights: float vs int8</h2>\n", f);
    figure(f, g, PLOT_WEIGHTS, cap);
}

static void section_confusion(FILE *f, const page *g) {
    char cap[600];
    int n = snprintf(cap, sizeof cap,
                     "Confusion matrices on the test split (%d samples): rows are the true "
                     "class, columns the predicted one; cells give sample counts, shaded by "
                     "the fraction of the true class. Float32 accuracy %.2f %%",
                     g->p->test.n, 100 * g->cm_acc[0]);
    if (g->cm[1]) snprintf(cap + n, sizeof cap - (size_t)n, "; int8 QAT (integer engine) %.2f %%.", 100 * g->cm_acc[1]);
    else snprintf(cap + n, sizeof cap - (size_t)n, ".");
    fputs("<h2>Confusion matrices</h2>\n", f);
    figure(f, g, PLOT_CONFUSION, cap);
    if (!g->svg[PLOT_CONFUSION]) fprintf(f, "<p>%s</p>\n", cap);
}

static void put_db(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "<td>%.1f</td>", v);
    else fputs("<td>exact</td>", f);
}

static void section_sqnr(FILE *f, const page *g) {
    const qat_pipeline *p = g->p;
    fputs("<h2>Quantization error per tensor</h2>\n", f);
    figure(f, g, PLOT_SQNR,
           "SQNR = 10&middot;log<sub>10</sub>(&Sigma;f&sup2; / &Sigma;(f &minus; q&#770;)&sup2;) "
           "of each int8 activation tensor on the calibration set: PTQ against the float model, "
           "QAT against its own weights run in float. Higher is better; 6 dB is one bit. An "
           "exact tensor has no bar.");
    fputs("<table>\n<thead><tr><th>tensor</th><th>PTQ (dB)</th><th>QAT (dB)</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < p->n_sqnr; i++) {
        fputs("<tr><td>", f);
        esc(f, p->sqnr_ptq[i].name);
        fputs("</td>", f);
        put_db(f, p->sqnr_ptq[i].sqnr_db);
        put_db(f, p->sqnr_qat[i].sqnr_db);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void section_layers(FILE *f, const qat_model *m) {
    fputs("<h2>Model</h2>\n<table class=\"layers\">\n<thead><tr><th>layer</th><th>type</th><th>activation</th>"
          "<th>output shape</th><th>parameters</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < m->n_layers; i++) {
        const qat_layer_spec *s = &m->spec[i];
        const qat_node *out = &m->g.nodes[m->layer[i].out];
        int affine = qat_layer_has_kernel(s->kind);
        fputs("<tr><td>", f);
        esc(f, s->name);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>(", qat_layer_kind_name(s->kind),
                affine ? qat_activation_name(s->activation) : "");
        for (int d = 0; d < out->ndim; d++) fprintf(f, "%s%d", d ? ", " : "", out->dim[d]);
        fputs(")</td><td>", f);
        put_long(f, qat_model_layer_params(m, i));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void body(FILE *f, const page *g, const char *warning) {
    const qat_pipeline *p = g->p;
    if (warning[0]) {
        fputs("<p class=\"warn\">", f);
        esc(f, warning);
        fputs("</p>\n", f);
    }
    section_comparison(f, g);
    section_run(f, p);
    section_curves(f, g);
    if (p->pruned) section_sweep(f, g);
    if (p->quantized) section_weights(f, g);
    section_confusion(f, g);
    if (p->quantized) section_sqnr(f, g);
    section_layers(f, &p->model);
    fputs("<footer>Written by qatrain " QAT_VERSION " with the same bytes for the same config "
          "and seed; the figures are in <code>report.json</code>, wall-clock times in "
          "<code>timing.json</code>.</footer>\n</body>\n</html>\n", f);
}

/* ---------------------------------------------------------------- entry point */

qat_status qat_report_html(qat_pipeline *p, const char *path, char warning[QAT_REPORT_WARNING_MAX],
                           qat_error *e) {
    page g = {.p = p};
    warning[0] = 0;
    g.n_v = qat_report_variants(p, g.v);
    qat_status st = confusion(&g, e);
    if (!st) draw_plots(&g, warning);
    if (!st && g.nomem)
        st = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory drawing the plots", path);
    qat_afile a;
    if (!st) st = qat_afile_open(&a, path, e);
    if (!st) {
        head(a.f, p);
        body(a.f, &g, warning);
        st = qat_afile_commit(&a, e);
    }
    free(g.cm[0]);
    free(g.cm[1]);
    for (int i = 0; i < PLOT_COUNT; i++) free(g.svg[i]);
    return st;
}

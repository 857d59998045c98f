/* Every allocation qatrain makes can fail without a crash, a leak or a damaged output folder.
 * The whole command line runs in this process (qat_cli_main: all of src/cli/ but main()),
 * once to count its allocations, then again with its Nth allocation failing, for N over the
 * allocations of each of these commands:
 *   run     a small job — data, float training, PTQ, QAT, pruning and a sweep point,
 *           latency, every export, report.json and report.html (with a stand-in gnuplot
 *           that writes the SVGs), the staging folder and its move into place — into a
 *           folder holding an earlier run's files;
 *   stop    the same job stopped during pruning by the test hook: it writes resume.ckpt;
 *   resume  --resume from that resume.ckpt: phases replayed, the stopped one continued;
 *   inputs  a job reading a .npy folder, an --init checkpoint and a [prune] masks file;
 *   csv     a job reading CSV recordings;
 *   structured  a job with structured pruning (filters and units removed);
 *   inspect, run  the .tflite commands on the exported model.
 * The model has every kind of layer but the standalone relu/relu6 and a kernel large enough
 * for the dynamic-range model's own quantization, and training keeps the best weights.
 * Each run must end either as an undisturbed run does (exit 0 and the same files, timing.json
 * aside; for stop, exit 130 and a resume.ckpt holding the same training state), or with
 * exit 2, exactly one line on stderr, and the folder exactly as it was (resume.ckpt and the
 * earlier run's files included, no staging folder left). Under the sanitizer build the
 * leaks of every error path fail the test too.
 *
 * Which N: QAT_ALLOC_SWEEP=full fails every allocation of every command (about 4,100 runs).
 * By default a fixed subset (about 500 runs), the same on every run of the same build: each
 * allocation site reached from each calling function — the call stack's two innermost
 * frames, which an earlier command may already have covered — has its first and its last
 * allocation in the command failed, plus every 32nd allocation of each command. Debugging:
 * QAT_ALLOC_AT=N fails allocation N alone, QAT_ALLOC_TRACE=1 prints its call stack.
 *
 * The allocations seen are those of qatrain's own code: malloc, calloc, realloc,
 * aligned_alloc and strdup reach the wrappers below through the linker's --wrap (see the
 * Makefile). Shared libraries keep the real ones: libc's own (stdio buffers, opendir),
 * zlib's, OpenBLAS's, libinih's and the gnuplot child's allocations are never failed. */
#define _GNU_SOURCE /* backtrace */
#include <dirent.h>
#include <execinfo.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "qat/hash.h"
#include "qat/pipeline.h"
#include "tmpdir.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
char *__wrap_strdup(const char *s);

/* ---- the allocation counter: the library has no hook and no global state ---- */

#define MAX_ALLOCS 20000
static int armed;                     /* counting only while qat_cli_main runs */
static long calls, fail_at;           /* allocations so far; the one to fail (0: none) */
static uint64_t *stacks;              /* when set: each allocation's call-stack hash */

/* Where an allocation is made: the wrapper (which function), the allocation site and the
 * call site of the function holding it (frames 0 and 1 are this function and fails). */
__attribute__((noinline)) static uint64_t stack_hash(void) {
    void *frames[5];
    int n = backtrace(frames, 5);
    return n > 2 ? qat_hash64(0, frames + 2, (size_t)(n - 2) * sizeof frames[0]) : 0;
}

static int trace_fd = -1; /* QAT_ALLOC_TRACE=1: the failed allocation's stack goes here */

__attribute__((noinline)) static int fails(void) {
    if (!armed) return 0;
    ++calls;
    if (stacks && calls <= MAX_ALLOCS) {
        armed = 0; /* backtrace may allocate (the unwinder's first use) */
        stacks[calls - 1] = stack_hash();
        armed = 1;
    }
    if (calls != fail_at) return 0;
    if (trace_fd >= 0) {
        void *frames[16];
        dprintf(trace_fd, "allocation %ld fails at:\n", calls);
        backtrace_symbols_fd(frames, backtrace(frames, 16), trace_fd);
    }
    return 1;
}

void *__wrap_malloc(size_t n) { return fails() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fails() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fails() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t align, size_t n) {
    return fails() ? NULL : __real_aligned_alloc(align, n);
}
char *__wrap_strdup(const char *s) { return fails() ? NULL : __real_strdup(s); }

/* ---- a folder's files, in memory ---- */

#define MAX_FILES 48

typedef struct entry {
    char name[256];
    int is_dir;
    unsigned char *data;
    size_t size;
} entry;

typedef struct snap {
    int n;
    entry e[MAX_FILES];
} snap;

static int by_name(const void *a, const void *b) {
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void snap_free(snap *s) {
    for (int i = 0; i < s->n; i++) free(s->e[i].data);
    s->n = 0;
}

static void read_all(const char *path, entry *en) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    en->size = (size_t)ftell(f);
    rewind(f);
    en->data = malloc(en->size + 1);
    assert_non_null(en->data);
    assert_int_equal(fread(en->data, 1, en->size, f), en->size);
    fclose(f);
}

static void snap_take(snap *s, const char *dir) {
    s->n = 0;
    DIR *d = opendir(dir);
    if (!d) return; /* not there: no files */
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        assert_true(s->n < MAX_FILES);
        entry *en = &s->e[s->n++];
        char path[512];
        snprintf(en->name, sizeof en->name, "%s", de->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        en->is_dir = S_ISDIR(st.st_mode);
        en->data = NULL;
        en->size = 0;
        if (!en->is_dir) read_all(path, en);
    }
    closedir(d);
    qsort(s->e, (size_t)s->n, sizeof s->e[0], by_name);
}

/* The first file that differs between a and b (ignoring the file named `skip`), or NULL. */
static const char *snap_diff(const snap *a, const snap *b, const char *skip) {
    int i = 0, j = 0;
    while (i < a->n || j < b->n) {
        if (i < a->n && skip && !strcmp(a->e[i].name, skip)) { i++; continue; }
        if (j < b->n && skip && !strcmp(b->e[j].name, skip)) { j++; continue; }
        if (i == a->n) return b->e[j].name;
        if (j == b->n) return a->e[i].name;
        const entry *x = &a->e[i++], *y = &b->e[j++];
        if (strcmp(x->name, y->name)) return strcmp(x->name, y->name) < 0 ? x->name : y->name;
        if (x->is_dir != y->is_dir || x->size != y->size || memcmp(x->data, y->data, x->size))
            return x->name;
    }
    return NULL;
}

static void snap_restore(const snap *s, const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < s->n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, s->e[i].name);
        if (s->e[i].is_dir) {
            assert_int_equal(mkdir(path, 0755), 0);
            continue;
        }
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(s->e[i].data, 1, s->e[i].size, f), s->e[i].size);
        assert_int_equal(fclose(f), 0);
    }
}

/* ---- one command, in this process ---- */

static char tmp[256];

typedef struct outcome {
    int rc;
    int lines;       /* on stderr */
    char err[2048];  /* stderr */
} outcome;

/* Runs qatrain ARGS... (NULL-terminated) with stdout discarded and stderr captured. */
static outcome cli(const char *const *args, long fail) {
    char *argv[24] = {"qatrain"};
    int argc = 1;
    for (; args[argc - 1]; argc++) argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    char errpath[300];
    snprintf(errpath, sizeof errpath, "%s/stderr", tmp);
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2);
    trace_fd = getenv("QAT_ALLOC_TRACE") ? err : -1;
    int null = open("/dev/null", O_WRONLY), cap = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(out >= 0 && err >= 0 && null >= 0 && cap >= 0);
    dup2(null, 1);
    dup2(cap, 2);
    calls = 0;
    fail_at = fail;
    armed = 1;
    outcome o = {qat_cli_main(argc, argv), 0, ""};
    armed = 0;
    trace_fd = -1;
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(null);
    close(cap);
    FILE *f = fopen(errpath, "r");
    assert_non_null(f);
    size_t n = fread(o.err, 1, sizeof o.err - 1, f);
    fclose(f);
    o.err[n] = 0;
    for (size_t i = 0; i < n; i++) o.lines += o.err[i] == '\n';
    return o;
}

/* ---- the commands under test ---- */

typedef struct command {
    const char *name;
    const char *args[20];
    const char *stop_at;     /* QATRAIN_TEST_INTERRUPT_AT_STEP, or NULL */
    const char *dir;         /* the folder it writes */
    int ok;                  /* an undisturbed run's exit status */
    snap before;             /* the folder's files before each run */
    snap after;              /* ... after an undisturbed run (not kept for a stopped one) */
} command;

enum { RUN, STOP, RESUME, INPUTS, CSV, STRUCTURED, INSPECT, RUN_TFLITE, N_COMMANDS };

static char ini[300], csv_ini[300], gnuplot[300], out_dir[300], stop_dir[300], resume_dir[300],
    in_dir[300], csv_dir[300], struct_dir[300], tfl_dir[300], npy_dir[300], npy_run[300],
    earlier_dir[300], init_ckpt[400], masks[400], set_dir[320], set_masks[420], model[400],
    inputs_npy[400], outputs_npy[400];
static qat_resume stopped_state; /* what an undisturbed stopped run saved */
static command cmds[N_COMMANDS];

/* The model and training of every job (dense1 has 12 x 96 weights: over the 1,024 from
 * which the dynamic-range model quantizes a kernel itself). */
#define MODEL                                                                                   \
    "[layer.conv1]\ntype = conv1d\nfilters = 4\nkernel = 3\nactivation = none\n"                \
    "[layer.bn1]\ntype = batchnorm\n"                                                           \
    "[layer.pool1]\ntype = maxpool1d\npool = 2\n"                                               \
    "[layer.conv2]\ntype = conv1d\nfilters = 4\nkernel = 3\nactivation = relu\n"                \
    "[layer.pool2]\ntype = maxpool1d\npool = 2\n"                                               \
    "[layer.flat]\ntype = flatten\n"                                                            \
    "[layer.dense1]\ntype = dense\nunits = 96\nactivation = relu\n"                             \
    "[layer.drop]\ntype = dropout\nrate = 0.25\n"                                               \
    "[layer.out]\ntype = dense\nunits = 3\nactivation = softmax\n"                              \
    "[train]\nepochs = 1\nbatch = 4\nearly_stop_patience = 3\nrestore_best = true\n"            \
    "[quant]\nepochs = 1\ncalib_samples = 6\nuint8_io = true\n"                                  \
    "[prune]\nenabled = true\nepochs = 1\nsweep = 0.5\n"

static const char TINY[] = "[data]\nwindow = 20\nsamples_per_class = 8\n" MODEL;
static const char CSV_INI[] = "[data]\nwindow = 20\nsource = csv\ncsv_rate_hz = 50\n"
                              "csv_gesture_rows = 20\n"
                              "[files]\nwave = wave.csv\npunch = punch.csv\nflex = flex.csv\n"
                              MODEL;

/* Four steps an epoch (float 1-4, QAT 5-8, pruning 9-12): the stop lands mid-epoch in the
 * pruning phase, after two finished phases (setup checks it). */
#define STOP_STEP "10"

static void write_text(const char *path, const char *text, int mode) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, (mode_t)mode), 0);
}

/* Eight gestures of 20 rows for class c, one row apart in phase per class. */
static void write_csv(const char *path, int c) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "aX,aY,aZ\n");
    for (int i = 0; i < 8 * 20; i++)
        fprintf(f, "%.4f,%.4f,%.4f\n", (double)((i * 7 + c * 13) % 17) / 17,
                (double)(c + 1) * (i % 20) / 20, (double)((i * 5 + c) % 11) / 11);
    assert_int_equal(fclose(f), 0);
}

static void copy_file(const char *from, const char *to) {
    entry en;
    read_all(from, &en);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(en.data, 1, en.size, f), en.size);
    assert_int_equal(fclose(f), 0);
    free(en.data);
}

static void set_stop(const char *at) {
    if (at) setenv("QATRAIN_TEST_INTERRUPT_AT_STEP", at, 1);
    else unsetenv("QATRAIN_TEST_INTERRUPT_AT_STEP");
}

static void must_run(const char *const *args, const char *stop_at, int want) {
    set_stop(stop_at);
    outcome o = cli(args, 0);
    set_stop(NULL);
    if (o.rc != want) fail_msg("qatrain %s ...: exit %d, want %d: %s", args[0], o.rc, want, o.err);
}

static void load_state(const char *dir, qat_resume *r) {
    char path[400];
    snprintf(path, sizeof path, "%s/resume.ckpt", dir);
    unsigned char head[24];
    FILE *f = fopen(path, "rb");
    r->n_done = -1;
    if (!f) return;
    size_t n = fread(head, 1, 24, f);
    fclose(f);
    uint64_t id = 0;
    for (int i = 0; i < 8 && n == 24; i++) id |= (uint64_t)head[16 + i] << (8 * i);
    qat_error e = {0};
    if (n != 24 || qat_resume_read(r, path, id, &e)) r->n_done = -1;
}

/* The resume.ckpt in dir is valid and holds the training state the undisturbed stopped run
 * saved (its timings aside, which are wall-clock). */
static int same_resume_state(const char *dir) {
    qat_resume r;
    load_state(dir, &r);
    if (r.n_done < 0) return 0;
    const qat_resume *w = &stopped_state;
    int same = r.run_id == w->run_id && r.n_done == w->n_done && r.inputs.n == w->inputs.n &&
               r.current.global_step == w->current.global_step &&
               r.current.n_params == w->current.n_params &&
               !memcmp(r.current.params, w->current.params, w->current.n_params * sizeof(float));
    qat_resume_free(&r);
    return same;
}

static void path_in(char *dst, size_t cap, const char *name) { snprintf(dst, cap, "%s/%s", tmp, name); }

/* The files, the undisturbed runs, and each command's before and after. */
static void setup_commands(void) {
    path_in(ini, sizeof ini, "tiny.ini");
    write_text(ini, TINY, 0644);
    path_in(csv_ini, sizeof csv_ini, "csv.ini");
    write_text(csv_ini, CSV_INI, 0644);
    static const char *const classes[] = {"wave", "punch", "flex"};
    for (int c = 0; c < 3; c++) {
        char csv[400];
        snprintf(csv, sizeof csv, "%s/%s.csv", tmp, classes[c]);
        write_csv(csv, c);
    }
    path_in(gnuplot, sizeof gnuplot, "gnuplot"); /* writes every plot qatrain asks for */
    write_text(gnuplot, "#!/bin/sh\nfor f in curves sweep weights confusion sqnr; do\n"
                        "  echo '<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>' >$f.svg\n"
                        "done\n", 0755);
    setenv("QAT_GNUPLOT", gnuplot, 1);
    char script[400];
    path_in(script, sizeof script, "plots.gp");
    write_text(script, "# stand-in: the stand-in gnuplot does not read it\n", 0644);
    setenv("QAT_SCRIPTS", tmp, 1);
    set_stop(NULL);
    path_in(out_dir, sizeof out_dir, "out");
    path_in(stop_dir, sizeof stop_dir, "stop");
    path_in(resume_dir, sizeof resume_dir, "resume");
    path_in(in_dir, sizeof in_dir, "in");
    path_in(csv_dir, sizeof csv_dir, "csvout");
    path_in(struct_dir, sizeof struct_dir, "structured");
    path_in(tfl_dir, sizeof tfl_dir, "tfl");
    path_in(npy_dir, sizeof npy_dir, "npy");
    path_in(npy_run, sizeof npy_run, "npyrun");
    path_in(earlier_dir, sizeof earlier_dir, "earlier");
    path_in(init_ckpt, sizeof init_ckpt, "init.ckpt");
    path_in(masks, sizeof masks, "masks.bin");
    snprintf(set_dir, sizeof set_dir, "data.dir=%s", npy_dir);
    snprintf(set_masks, sizeof set_masks, "prune.masks=%s", masks);
    path_in(model, sizeof model, "model_int8.tflite");
    path_in(inputs_npy, sizeof inputs_npy, "test_inputs_int8.npy");
    snprintf(outputs_npy, sizeof outputs_npy, "%s/outputs.npy", tfl_dir);

    /* An earlier run's files (another seed: other bytes) are in each job's folder first. */
    snap earlier;
    must_run((const char *[]){ini, "--quiet", "--seed", "2", "--out", earlier_dir, NULL}, NULL, 0);
    snap_take(&earlier, earlier_dir);
    /* A .npy folder, with a checkpoint and masks trained on it, for the inputs job. */
    must_run((const char *[]){ini, "--quiet", "--write-data", npy_dir, NULL}, NULL, 0);
    must_run((const char *[]){ini, "--quiet", "--set", "data.source=npy", "--set", set_dir,
                              "--out", npy_run, NULL}, NULL, 0);
    char from[400];
    snprintf(from, sizeof from, "%s/float.ckpt", npy_run);
    copy_file(from, init_ckpt);
    snprintf(from, sizeof from, "%s/masks.bin", npy_run);
    copy_file(from, masks);

    cmds[RUN] = (command){.name = "run", .args = {ini, "--quiet", "--out", out_dir},
                          .dir = out_dir};
    cmds[STOP] = (command){.name = "stop", .args = {ini, "--quiet", "--out", stop_dir},
                           .stop_at = STOP_STEP, .dir = stop_dir, .ok = 130};
    cmds[RESUME] = (command){.name = "resume",
                             .args = {ini, "--quiet", "--out", resume_dir, "--resume"},
                             .dir = resume_dir};
    cmds[INPUTS] = (command){.name = "inputs",
                             .args = {ini, "--quiet", "--set", "data.source=npy", "--set",
                                      set_dir, "--set", set_masks, "--init", init_ckpt, "--out",
                                      in_dir},
                             .dir = in_dir};
    cmds[CSV] = (command){.name = "csv", .args = {csv_ini, "--quiet", "--out", csv_dir},
                          .dir = csv_dir};
    cmds[STRUCTURED] = (command){.name = "structured",
                                 .args = {ini, "--quiet", "--set", "prune.structured=true",
                                          "--out", struct_dir},
                                 .dir = struct_dir};
    cmds[INSPECT] = (command){.name = "inspect", .args = {"inspect", model}, .dir = tfl_dir};
    cmds[RUN_TFLITE] = (command){.name = "run (.tflite)",
                                 .args = {"run", model, inputs_npy, outputs_npy},
                                 .dir = tfl_dir};
    for (int i = RUN; i <= STRUCTURED; i++) cmds[i].before = earlier;
    for (int i = 0; i < N_COMMANDS; i++) {
        command *c = &cmds[i];
        if (i == RESUME) { /* it starts where the undisturbed stop ended */
            snap_take(&c->before, stop_dir);
            snap_restore(&c->before, resume_dir);
        } else {
            snap_restore(&c->before, c->dir);
        }
        must_run(c->args, c->stop_at, c->ok);
        if (i == STOP) load_state(stop_dir, &stopped_state);
        else snap_take(&c->after, c->dir);
        if (i == RUN) { /* the .tflite commands' inputs, where the sweep will not touch them */
            snprintf(from, sizeof from, "%s/model_int8.tflite", out_dir);
            copy_file(from, model);
            snprintf(from, sizeof from, "%s/test_inputs_int8.npy", out_dir);
            copy_file(from, inputs_npy);
        }
    }
    assert_true(stopped_state.n_done == 2);
    /* Resuming gives the uninterrupted run's files (what test_resume.sh checks at length). */
    assert_null(snap_diff(&cmds[RUN].after, &cmds[RESUME].after, "timing.json"));
}

/* ---- the sweep ---- */

/* Call stacks already failed, over every command so far. */
static uint64_t failed_stacks[N_COMMANDS * MAX_ALLOCS];
static long n_failed_stacks;

static int stack_in(uint64_t h, long from, long to) {
    for (long i = from; i < to; i++)
        if (failed_stacks[i] == h) return 1;
    return 0;
}

static int occurs(const uint64_t *stack, long from, long to, uint64_t h) {
    for (long j = from; j < to; j++)
        if (stack[j] == h) return 1;
    return 0;
}

/* Which allocations of a command to fail, 1-based: see the top of the file. */
static long *chosen(long total, const uint64_t *stack, int full, long *n) {
    long *at = malloc((size_t)total * sizeof *at + 1);
    assert_non_null(at);
    *n = 0;
    const char *only = getenv("QAT_ALLOC_AT"); /* debugging: that allocation alone */
    if (only) {
        at[(*n)++] = atol(only);
        return at;
    }
    const long stride = 32;
    long first_new = n_failed_stacks; /* stacks no earlier command reached start here */
    for (long k = 0; k < total; k++)
        if (!stack_in(stack[k], 0, n_failed_stacks)) failed_stacks[n_failed_stacks++] = stack[k];
    for (long k = 0; k < total; k++) {
        uint64_t h = stack[k];
        int ends = !occurs(stack, 0, k, h) || !occurs(stack, k + 1, total, h);
        if (full || (k + 1) % stride == 0 || (ends && stack_in(h, first_new, n_failed_stacks)))
            at[(*n)++] = k + 1;
    }
    return at;
}

/* One run of c with its allocation number `fail` failing: the outcome must be an undisturbed
 * run's, or a one-line error with the folder as it was. */
static void check_one(command *c, long fail) {
    set_stop(c->stop_at);
    outcome o = cli(c->args, fail);
    set_stop(NULL);
    snap now;
    snap_take(&now, c->dir);
    const char *diff = NULL, *why = NULL;
    if (o.rc == 2) {
        if (o.lines != 1 || strncmp(o.err, "qatrain: ", 9)) why = "not one line on stderr";
        else if ((diff = snap_diff(&c->before, &now, NULL))) why = "the folder changed";
    } else if (o.rc == c->ok && c->ok == 130) {
        if (o.lines != 1 || !strstr(o.err, "interrupted: training state saved"))
            why = "not one line on stderr";
        else if ((diff = snap_diff(&c->before, &now, "resume.ckpt"))) why = "the folder changed";
        else if (!same_resume_state(c->dir)) why = "resume.ckpt is not the stopped run's state";
    } else if (o.rc == c->ok) {
        if (o.err[0]) why = "printed on stderr";
        else if ((diff = snap_diff(&c->after, &now, "timing.json")))
            why = "not the files of an undisturbed run";
    } else {
        why = "unexpected exit status";
    }
    if (why)
        fail_msg("%s, allocation %ld failing: exit %d: %s%s%s; stderr: %s", c->name, fail, o.rc,
                 why, diff ? ": " : "", diff ? diff : "", o.err);
    if (snap_diff(&c->before, &now, NULL)) snap_restore(&c->before, c->dir);
    snap_free(&now);
}

static void sweep(command *c) {
    static uint64_t stack[MAX_ALLOCS];
    int full = getenv("QAT_ALLOC_SWEEP") && !strcmp(getenv("QAT_ALLOC_SWEEP"), "full");
    snap_restore(&c->before, c->dir);
    set_stop(c->stop_at);
    stacks = stack;
    outcome o = cli(c->args, 0);
    stacks = NULL;
    set_stop(NULL);
    assert_int_equal(o.rc, c->ok);
    long total = calls, n;
    assert_true(total > 0 && total <= MAX_ALLOCS);
    long *at = chosen(total, stack, full, &n);
    snap_restore(&c->before, c->dir);
    for (long i = 0; i < n; i++) check_one(c, at[i]);
    print_message("%-14s %5ld allocations, %5ld failed in turn\n", c->name, total, n);
    free(at);
}

static void test_run(void **s) { (void)s; sweep(&cmds[RUN]); }
static void test_stop(void **s) { (void)s; sweep(&cmds[STOP]); }
static void test_resume(void **s) { (void)s; sweep(&cmds[RESUME]); }
static void test_inputs(void **s) { (void)s; sweep(&cmds[INPUTS]); }
static void test_csv(void **s) { (void)s; sweep(&cmds[CSV]); }
static void test_structured(void **s) { (void)s; sweep(&cmds[STRUCTURED]); }
static void test_inspect(void **s) { (void)s; sweep(&cmds[INSPECT]); }
static void test_run_tflite(void **s) { (void)s; sweep(&cmds[RUN_TFLITE]); }

static int setup(void **s) {
    (void)s;
    if (qat_test_mkdtemp(tmp, sizeof tmp, "alloc")) return -1;
    setup_commands();
    return 0;
}

static int teardown(void **s) {
    (void)s;
    qat_resume_free(&stopped_state);
    return qat_test_rmtree(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),     cmocka_unit_test(test_stop),
        cmocka_unit_test(test_resume),  cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_csv),     cmocka_unit_test(test_structured),
        cmocka_unit_test(test_inspect), cmocka_unit_test(test_run_tflite),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

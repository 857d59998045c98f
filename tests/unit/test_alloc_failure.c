/* Every allocation the library makes can fail without a crash: a whole small run (data,
 * training, PTQ, QAT, pruning, export, report) is repeated with the Nth allocation failing,
 * for N over the run's allocations; each must end in an error status (or succeed, when the
 * failed allocation had a fallback). Under the sanitizer build, leaks on these error paths
 * fail the test too. The library's malloc/calloc/realloc calls reach the wrappers below
 * through the linker's --wrap (see the Makefile); shared libraries are untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qat/pipeline.h"
#include "qat/report.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* The test's own counter: the library has no allocation hook and no global state. */
static long calls, fail_at;
static void *failed_site; /* where the failed allocation was made, for the absorbed ones */

static int should_fail(void *site) {
    if (++calls != fail_at) return 0;
    failed_site = site;
    return 1;
}

void *__wrap_malloc(size_t n) {
    return should_fail(__builtin_return_address(0)) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
    return should_fail(__builtin_return_address(0)) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
    return should_fail(__builtin_return_address(0)) ? NULL : __real_realloc(p, n);
}

static char out_dir[256];

/* The whole job, as the CLI runs it, on a tiny config. */
static qat_status run(qat_error *e) {
    qat_config cfg;
    qat_config_defaults(&cfg);
    cfg.data.samples_per_class = 8;
    cfg.train.epochs = 1;
    cfg.quant.epochs = 1;
    cfg.quant.calib_samples = 6;
    cfg.prune.epochs = 1;
    cfg.prune.n_sweep = 1;
    cfg.prune.sweep[0] = 0.5;
    snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s", out_dir);
    static qat_pipeline p;
    qat_pipeline_init(&p, &cfg);
    qat_status st = qat_pipeline_data(&p, e);
    if (!st) st = qat_pipeline_build(&p, e);
    if (!st) st = qat_pipeline_train(&p, NULL, NULL, e);
    if (!st) st = qat_pipeline_quantize(&p, NULL, NULL, e);
    if (!st) st = qat_pipeline_prune(&p, NULL, NULL, e);
    if (!st) st = qat_pipeline_export(&p, e);
    if (!st) st = qat_pipeline_write(&p, e);
    qat_pipeline_free(&p);
    return st;
}

static void test_every_allocation_can_fail(void **s) {
    (void)s;
    snprintf(out_dir, sizeof out_dir, "/tmp/qat_alloc_%ld", (long)getpid());
    qat_error e = {0};
    calls = 0;
    fail_at = 0;
    assert_int_equal(run(&e), QAT_OK);
    long total = calls, failed = 0, fallbacks = 0;
    assert_true(total > 100);
    /* Every allocation up to 300 (data, graphs, training, PTQ), then every 3rd (the later
     * ones are mostly the export's, site after site alike): ~550 runs in all. */
    const char *from = getenv("QAT_ALLOC_START"); /* debugging: start the sweep later */
    for (long n = from ? atol(from) : 1; n <= total; n += n < 300 ? 1 : 3) {
        calls = 0;
        fail_at = n;
        memset(&e, 0, sizeof e);
        if (getenv("QAT_ALLOC_TRACE")) fprintf(stderr, "fail_at %ld\n", n);
        qat_status st = run(&e);
        if (st) {
            failed++;
            assert_true(e.msg[0] != 0);          /* a message, */
            assert_null(strchr(e.msg, '\n'));    /* on one line */
        } else {
            fallbacks++;
            if (getenv("QAT_ALLOC_TRACE")) fprintf(stderr, "absorbed at %ld: %p\n", n, failed_site);
        }
    }
    print_message("%ld allocations in a run; %ld failures reported as errors, %ld absorbed\n",
                  total, failed, fallbacks);
    assert_true(failed > 0);
    fail_at = 0;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out_dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_allocation_can_fail)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

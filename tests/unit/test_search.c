/* The architecture search (search.h, search_jobs.h): genomes stay in the space and build,
 * the text form round-trips, the driver keeps only what fits and trains each genome once,
 * elitism and the Pareto front hold, the job folders round-trip, and a batch trains to the
 * same bits on one thread or several. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qat/config.h"
#include "qat/data.h"
#include "qat/hash.h"
#include "qat/model.h"
#include "qat/search.h"
#include "qat/search_jobs.h"
#include "tmpdir.h"

static qat_search_space space(const qat_search_config *c, int two_d) {
    return two_d ? (qat_search_space){c, {3, {12, 12, 1}}, 4} : (qat_search_space){c, {2, {50, 3, 0}}, 3};
}

static int in_list(const int *v, int n, int x) {
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

/* g is a genome of the space: its genes from the config's lists, its layers build. */
static void assert_valid(const qat_search_space *sp, const qat_genome *g) {
    const qat_search_config *c = sp->cfg;
    assert_true(g->n_blocks >= c->min_blocks && g->n_blocks <= c->max_blocks);
    for (int i = 0; i < g->n_blocks; i++) {
        const qat_gene_block *b = &g->b[i];
        if (sp->in.ndim == 2) assert_int_equal(b->op, QAT_SEARCH_CONV);
        assert_true(c->ops == 0 || (c->ops >> b->op & 1u));
        if (b->op == QAT_SEARCH_DEPTHWISE) assert_int_equal(b->filters, 0);
        else assert_true(in_list(c->filters, c->n_filters, b->filters));
        assert_true(in_list(c->kernels, c->n_kernels, b->kernel));
        assert_true(c->acts >> b->act & 1u);
        if (c->bn != QAT_SEARCH_BN_OPTIONAL) assert_int_equal(b->bn, c->bn == QAT_SEARCH_BN_ALWAYS);
    }
    assert_true(c->heads >> g->head & 1u);
    assert_true(in_list(c->dense, c->n_dense, g->dense));
    qat_layer_spec l[QAT_MAX_LAYERS];
    int n;
    qat_error e;
    assert_int_equal(qat_genome_layers(sp, g, l, &n, &e), QAT_OK);
    qat_model m;
    memset(&m, 0, sizeof m);
    assert_int_equal(qat_model_build_shape(&m, l, n, &sp->in, sp->n_classes, 4, 0, &e), QAT_OK);
    qat_model_free(&m);
    char text[QAT_GENOME_TEXT];
    qat_genome back;
    qat_genome_format(g, text, sizeof text);
    assert_int_equal(qat_genome_parse(text, &back, &e), QAT_OK);
    assert_true(qat_genome_equal(g, &back));
}

/* Random draws, mutations and crossovers of 1-D and 2-D spaces stay valid. */
static void test_operators_stay_in_space(void **state) {
    (void)state;
    for (int two_d = 0; two_d < 2; two_d++) {
        qat_search_config c;
        qat_search_defaults(&c);
        c.min_blocks = 1;
        if (two_d) c.bn = QAT_SEARCH_BN_ALWAYS;
        qat_search_space sp = space(&c, two_d);
        qat_rng r;
        qat_rng_seed(&r, 11 + two_d, QAT_STREAM_SEARCH);
        qat_genome a, b, child;
        int ops_seen = 0, changed = 0;
        for (int k = 0; k < 400; k++) {
            qat_genome_random(&sp, &r, &a);
            qat_genome_random(&sp, &r, &b);
            assert_valid(&sp, &a);
            qat_genome_crossover(&sp, &r, &a, &b, &child);
            assert_valid(&sp, &child);
            assert_int_equal(child.n_blocks, b.n_blocks);
            assert_true(qat_genome_equal(&(qat_genome){1, {child.b[0]}, 0, 0},
                                         &(qat_genome){1, {a.b[0]}, 0, 0})); /* a's first block */
            qat_genome before = child;
            qat_genome_mutate(&sp, &r, &child);
            assert_valid(&sp, &child);
            changed += !qat_genome_equal(&before, &child);
            for (int i = 0; i < a.n_blocks; i++) ops_seen |= 1 << a.b[i].op;
        }
        assert_int_equal(changed, 400); /* a mutation always changes one gene */
        assert_int_equal(ops_seen, two_d ? 7 : 1);
    }
}

static void test_text_form(void **state) {
    (void)state;
    qat_genome g;
    qat_error e;
    assert_int_equal(qat_genome_parse("c16k5r c32k3r6b dk3rb s8k5r6 | gap d32", &g, &e), QAT_OK);
    assert_int_equal(g.n_blocks, 4);
    assert_int_equal(g.b[1].act, QAT_ACT_RELU6);
    assert_int_equal(g.b[1].bn, 1);
    assert_int_equal(g.b[2].op, QAT_SEARCH_DEPTHWISE);
    assert_int_equal(g.b[3].filters, 8);
    assert_int_equal(g.dense, 32);
    char text[QAT_GENOME_TEXT];
    qat_genome_format(&g, text, sizeof text);
    assert_string_equal(text, "c16k5r c32k3r6b dk3rb s8k5r6 | gap d32");
    const char *bad[] = {"", "| gap d3", "c16k5r", "c16k5r | gap", "c16k5r | pool d3", "x16k5r | gap d3",
                         "c0k3r | gap d3", "c16k3 | gap d3", "c16k5rxc8k3r | gap d3", "c16k3r | gap d3 ", "c-1k3r | gap d3",
                         "c1k1r c1k1r c1k1r c1k1r c1k1r c1k1r c1k1r | gap d0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(qat_genome_parse(bad[i], &g, &e), QAT_ERR_FORMAT);
    /* a training seed (and job folder) per genome and run seed */
    uint64_t s = qat_candidate_seed(1, "c16k5r | gap d3");
    assert_true(s == qat_candidate_seed(1, "c16k5r | gap d3"));
    assert_true(s != qat_candidate_seed(1, "c16k3r | gap d3"));
    assert_true(s != qat_candidate_seed(2, "c16k5r | gap d3"));
}

/* ---- the driver, on made-up figures --------------------------------------------------- */

typedef struct fake {
    int checks, trained;
    char seen[512][QAT_GENOME_TEXT];
} fake;

static long size_of(const qat_genome *g) {
    long s = 0;
    for (int i = 0; i < g->n_blocks; i++) s += g->b[i].filters * g->b[i].kernel;
    return s * (g->head == QAT_SEARCH_HEAD_FLATTEN ? 4 : 1) + g->dense;
}

static qat_status fake_check(void *ctx, const qat_genome *g, qat_candidate_cost *c, qat_error *e) {
    (void)e;
    ((fake *)ctx)->checks++;
    long s = size_of(g);
    *c = (qat_candidate_cost){1000 + 10 * s, 500 + 3 * s, s * 20, s, s <= 400};
    return QAT_OK;
}

static qat_status fake_train(void *ctx, qat_candidate *batch, int n, qat_error *e) {
    (void)e;
    fake *f = ctx;
    for (int i = 0; i < n; i++) {
        qat_candidate *c = &batch[i];
        assert_true(c->cost.fits); /* nothing that does not fit is ever trained */
        for (int k = 0; k < f->trained; k++) assert_string_not_equal(f->seen[k], c->text);
        snprintf(f->seen[f->trained++], QAT_GENOME_TEXT, "%s", c->text);
        uint64_t h = qat_hash64(0, c->text, strlen(c->text));
        c->val_n = 200;
        c->val_float_correct = (int)(100 + size_of(&c->g) / 8 + h % 40);
        c->val_int8_correct = c->val_float_correct - (int)(h % 3);
        c->epochs_run = 5;
        c->evaluated = 1;
    }
    return QAT_OK;
}

static void run_fake(qat_search_config *c, fake *f, qat_search_result *r) {
    qat_search_space sp = space(c, 1);
    qat_error e;
    memset(f, 0, sizeof *f);
    assert_int_equal(qat_search_run(&sp, 5, 5000, 2000, fake_check, fake_train, f, r, &e), QAT_OK);
}

static void test_driver(void **state) {
    (void)state;
    qat_search_config c;
    qat_search_defaults(&c);
    c.filters[3] = 48;
    qat_search_result r1, r2;
    fake f1, f2;
    run_fake(&c, &f1, &r1);
    run_fake(&c, &f2, &r2);
    assert_int_equal(r1.generations_done, 10);
    assert_true(r1.rejected > 0); /* the budget bites */
    assert_int_equal(r1.n, f1.trained);
    assert_int_equal(r1.n, r2.n); /* the same seed, the same search */
    for (int i = 0; i < r1.n; i++) assert_string_equal(r1.all[i].text, r2.all[i].text);
    for (int g = 1; g < 10; g++) /* elitism: the best is never lost */
        assert_true(r1.gen_fitness[g] >= r1.gen_fitness[g - 1]);
    for (int i = 0; i < r1.n; i++) assert_true(r1.all[r1.best].fitness >= r1.all[i].fitness);
    /* the weighted fitness is the chapter's */
    const qat_candidate *w = &r1.all[r1.best];
    double eff = 0.5 * (1 - w->cost.flash_bytes / 5000.0) + 0.5 * (1 - w->cost.arena_bytes / 2000.0);
    assert_float_equal(w->fitness, 0.7 * w->val_float_correct / 200.0 + 0.3 * eff, 1e-12);
    qat_search_result_free(&r2);
    c.accuracy = QAT_SEARCH_ACC_INT8;
    c.fitness = QAT_FITNESS_PARETO;
    run_fake(&c, &f2, &r2);
    /* the front: nothing dominates a member, and a member dominates every other candidate */
    for (int i = 0; i < r2.n; i++) {
        int front = 0, dominated = 0;
        for (int k = 0; k < r2.n_front; k++) front |= r2.front[k] == i;
        for (int j = 0; j < r2.n; j++) {
            const qat_candidate *a = &r2.all[j], *b = &r2.all[i];
            dominated |= a->val_int8_correct >= b->val_int8_correct && a->cost.flash_bytes <= b->cost.flash_bytes &&
                         a->cost.arena_bytes <= b->cost.arena_bytes &&
                         (a->val_int8_correct > b->val_int8_correct || a->cost.flash_bytes < b->cost.flash_bytes ||
                          a->cost.arena_bytes < b->cost.arena_bytes);
        }
        assert_int_equal(front, !dominated);
    }
    for (int k = 1; k < r2.n_front; k++)
        assert_true(r2.all[r2.front[k]].cost.flash_bytes >= r2.all[r2.front[k - 1]].cost.flash_bytes);
    for (int k = 0; k < r2.n_front; k++) /* the winner: the most accurate of the front */
        assert_true(r2.all[r2.best].val_int8_correct >= r2.all[r2.front[k]].val_int8_correct);
    qat_search_result_free(&r1);
    qat_search_result_free(&r2);
}

/* No genome of the space fits: a clear error, not a hang. */
static qat_status never_fits(void *ctx, const qat_genome *g, qat_candidate_cost *c, qat_error *e) {
    (void)ctx, (void)g, (void)e;
    *c = (qat_candidate_cost){1, 1, 1, 1, 0};
    return QAT_OK;
}

static void test_nothing_fits(void **state) {
    (void)state;
    qat_search_config c;
    qat_search_defaults(&c);
    qat_search_space sp = space(&c, 0);
    qat_search_result r;
    qat_error e;
    fake f = {0};
    assert_int_equal(qat_search_run(&sp, 1, 10, 10, never_fits, fake_train, &f, &r, &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "fits [target]"));
    assert_int_equal(f.trained, 0);
    qat_search_result_free(&r);
}

/* ---- job folders ----------------------------------------------------------------------- */

static void test_jobs_round_trip(void **state) {
    (void)state;
    char dir[256], path[4096];
    assert_int_equal(qat_test_mkdtemp(dir, sizeof dir, "search"), 0);
    qat_search_config c;
    qat_search_defaults(&c);
    qat_search_space sp = space(&c, 0);
    qat_rng r;
    qat_rng_seed(&r, 3, QAT_STREAM_SEARCH);
    qat_candidate batch[3], truth[3];
    memset(batch, 0, sizeof batch);
    for (int i = 0; i < 3; i++) {
        qat_genome_random(&sp, &r, &batch[i].g);
        qat_genome_format(&batch[i].g, batch[i].text, sizeof batch[i].text);
    }
    qat_search_jobs j = {.command = "qatrain x.ini", .seed = 9};
    snprintf(j.dir, sizeof j.dir, "%s/jobs", dir);
    qat_error e;
    assert_int_equal(qat_search_jobs_train(&j, batch, 3, &e), QAT_OK);
    assert_int_equal(j.pending, 3);
    snprintf(path, sizeof path, "%s/jobs.txt", j.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024], folders[3][1024];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        assert_non_null(strstr(line, "qatrain x.ini --evaluate '"));
        qat_genome g;
        char text[QAT_GENOME_TEXT], *folder = folders[lines];
        snprintf(folder, sizeof folders[0], "%s", strchr(line, '\'') + 1);
        *strchr(folder, '\'') = 0;
        assert_int_equal(qat_search_job_genome(folder, &g, text, &e), QAT_OK);
        assert_string_equal(text, batch[lines].text);
        truth[lines] = batch[lines];
        truth[lines].cost = (qat_candidate_cost){4000 + lines, 2000, 99, 7, 1};
        truth[lines].epochs_run = 4;
        truth[lines].val_n = 50;
        truth[lines].val_float_correct = 40 + lines;
        truth[lines].val_int8_correct = 39;
        snprintf(path, sizeof path, "%s/result.txt", folder);
        assert_int_equal(qat_search_result_write(path, &truth[lines], &e), QAT_OK);
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, 3);
    for (int i = 0; i < 3; i++) assert_false(batch[i].evaluated);
    assert_int_equal(qat_search_jobs_train(&j, batch, 3, &e), QAT_OK);
    assert_int_equal(j.pending, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(batch[i].evaluated);
        assert_int_equal(batch[i].cost.flash_bytes, truth[i].cost.flash_bytes);
        assert_int_equal(batch[i].val_float_correct, truth[i].val_float_correct);
        assert_int_equal(batch[i].val_int8_correct, 39);
        assert_int_equal(batch[i].epochs_run, 4);
    }
    /* a result that belongs to another genome, or counts past its samples, is refused */
    snprintf(path, sizeof path, "%s/result.txt", folders[0]);
    assert_int_equal(qat_search_result_write(path, &truth[1], &e), QAT_OK);
    assert_int_equal(qat_search_jobs_train(&j, batch, 1, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "not the result of genome"));
    truth[0].val_float_correct = 51;
    assert_int_equal(qat_search_result_write(path, &truth[0], &e), QAT_OK);
    assert_int_equal(qat_search_jobs_train(&j, batch, 1, &e), QAT_ERR_FORMAT);
    truth[0].val_float_correct = 50;
    assert_int_equal(qat_search_result_write(path, &truth[0], &e), QAT_OK);
    assert_int_equal(qat_search_jobs_train(&j, batch, 1, &e), QAT_OK);
    qat_test_rmtree(dir);
}

/* ---- a real batch: the same bits on one thread or three --------------------------------- */

static void test_batch_workers(void **state) {
    (void)state;
    qat_config cfg;
    qat_config_defaults(&cfg);
    cfg.data.samples_per_class = 40;
    qat_dataset all, train, val;
    qat_error e;
    assert_int_equal(qat_data_load(&cfg.data, 3, &all, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_SPLIT);
    assert_int_equal(qat_dataset_split(&all, 0.25, &r, &train, &val, &e), QAT_OK);
    qat_search_config c;
    qat_search_defaults(&c);
    c.max_blocks = 3;
    qat_search_space sp = space(&c, 0);
    qat_train_config t = cfg.train;
    t.epochs = 3;
    t.batch = 32;
    qat_search_data d = {&sp, t, &cfg.quant, &train, &val, &train, {20000, 20000, 0, 0}, "test", 4, 1, NULL};
    qat_candidate one[4], three[4];
    memset(one, 0, sizeof one);
    qat_rng_seed(&r, 8, QAT_STREAM_SEARCH);
    for (int i = 0; i < 4; i++) {
        qat_genome_random(&sp, &r, &one[i].g);
        qat_genome_format(&one[i].g, one[i].text, sizeof one[i].text);
    }
    memcpy(three, one, sizeof one);
    assert_int_equal(qat_candidate_train_batch(&d, one, 4, &e), QAT_OK);
    d.workers = 3;
    assert_int_equal(qat_candidate_train_batch(&d, three, 4, &e), QAT_OK);
    assert_memory_equal(one, three, sizeof one);
    for (int i = 0; i < 4; i++) {
        assert_true(one[i].evaluated);
        assert_int_equal(one[i].val_n, val.n);
        qat_candidate_cost pre; /* the check before training measures what training ends with */
        assert_int_equal(qat_candidate_check(&d, &one[i].g, &pre, &e), QAT_OK);
        assert_memory_equal(&pre, &one[i].cost, sizeof pre);
    }
    qat_dataset_free(&all);
    qat_dataset_free(&train);
    qat_dataset_free(&val);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operators_stay_in_space),
        cmocka_unit_test(test_text_form),
        cmocka_unit_test(test_driver),
        cmocka_unit_test(test_nothing_fits),
        cmocka_unit_test(test_jobs_round_trip),
        cmocka_unit_test(test_batch_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

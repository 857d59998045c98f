/* The config module: defaults, the lesson's INI file, every class of error with its
 * "PATH:LINE: [section] key: problem" message, --set overrides, layer replacement and the
 * layer-stack shape checks. Temporary INI files go in a mkdtemp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qat/config.h"

#define assert_dbl_equal(a, b)                                                         \
    do {                                                                               \
        double a_ = (a), b_ = (b);                                                     \
        if (a_ != b_) {                                                                \
            print_error("%s = %.17g but %s = %.17g\n", #a, a_, #b, b_);                \
            fail();                                                                    \
        }                                                                              \
    } while (0)

typedef struct fixture {
    char dir[64];              /* mkdtemp folder holding every file a test writes */
    char path[QAT_PATH_MAX];   /* the last INI written */
    int n_files;
    qat_config cfg;
    qat_error e;
} fixture;

static int group_setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/qat_test_config_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

/* Removes the folder and what the tests put in it (files, and folders one level deep). */
static void remove_tree(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
        char p[QAT_PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
        struct stat st;
        if (depth < 2 && !lstat(p, &st) && S_ISDIR(st.st_mode))
            remove_tree(p, depth + 1);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int group_teardown(void **state) {
    fixture *f = *state;
    remove_tree(f->dir, 0);
    free(f);
    return 0;
}

/* Writes text to <dir>/<sub>/tNN.ini (sub may be "") and remembers the path. */
static const char *write_ini_in(fixture *f, const char *sub, const char *text) {
    char folder[QAT_PATH_MAX / 2];
    snprintf(folder, sizeof folder, "%s%s%s", f->dir, sub[0] ? "/" : "", sub);
    mkdir(folder, 0700);
    snprintf(f->path, sizeof f->path, "%s/t%02d.ini", folder, f->n_files++);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    return f->path;
}

static qat_status load(fixture *f, const char *text) {
    memset(&f->e, 0, sizeof f->e);
    return qat_config_load(write_ini_in(f, "", text), &f->cfg, &f->e);
}

static void assert_one_line(const qat_error *e) {
    for (const char *c = e->msg; *c; c++) assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
}

/* Loading `text` fails with a config error whose message starts "PATH:LINE: rest". */
static void expect_error(fixture *f, const char *text, int line, const char *rest) {
    assert_int_equal(load(f, text), QAT_ERR_CONFIG);
    assert_int_equal(f->e.status, QAT_ERR_CONFIG);
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want, "%s:%d: %s", f->path, line, rest);
    if (strncmp(f->e.msg, want, strlen(want))) {
        print_error("message: %s\nexpected prefix: %s\n", f->e.msg, want);
        fail();
    }
    assert_one_line(&f->e);
}

/* The message of a failed --set starts with `prefix`. */
static void expect_set_error(qat_config *cfg, const char *assignment, const char *prefix) {
    qat_error e = {0};
    assert_int_equal(qat_config_set(cfg, assignment, &e), QAT_ERR_CONFIG);
    if (strncmp(e.msg, prefix, strlen(prefix))) {
        print_error("message: %s\nexpected prefix: %s\n", e.msg, prefix);
        fail();
    }
    assert_one_line(&e);
}

static void assert_msg_contains(const qat_error *e, const char *part) {
    if (!strstr(e->msg, part)) {
        print_error("message: %s\nexpected to contain: %s\n", e->msg, part);
        fail();
    }
}

/* ---- comparing configs field by field (paths aside) -------------------------------- */

static void assert_same_layer(const qat_layer_spec *a, const qat_layer_spec *b) {
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->units, b->units);
    assert_int_equal(a->kernel, b->kernel);
    assert_int_equal(a->pool, b->pool);
    assert_int_equal(a->padding, b->padding);
    assert_int_equal(a->activation, b->activation);
    assert_int_equal(a->use_bias, b->use_bias);
    assert_dbl_equal(a->rate, b->rate);
    assert_dbl_equal(a->momentum, b->momentum);
    assert_dbl_equal(a->epsilon, b->epsilon);
}

static void assert_same_data(const qat_data_config *a, const qat_data_config *b) {
    assert_int_equal(a->source, b->source);
    assert_int_equal(a->n_classes, b->n_classes);
    for (int i = 0; i < QAT_MAX_CLASSES; i++) assert_string_equal(a->classes[i], b->classes[i]);
    assert_int_equal(a->window, b->window);
    assert_int_equal(a->channels, b->channels);
    assert_dbl_equal(a->rate_hz, b->rate_hz);
    assert_dbl_equal(a->test_split, b->test_split);
    assert_int_equal(a->normalize, b->normalize);
    assert_int_equal(a->samples_per_class, b->samples_per_class);
    assert_string_equal(a->dir, b->dir);
    assert_int_equal(a->n_csv, b->n_csv);
    assert_dbl_equal(a->csv_rate_hz, b->csv_rate_hz);
    assert_int_equal(a->csv_gesture_rows, b->csv_gesture_rows);
    for (int i = 0; i < QAT_MAX_CHANNELS; i++)
        assert_string_equal(a->csv_columns[i], b->csv_columns[i]);
    assert_string_equal(a->train_images, b->train_images);
    assert_string_equal(a->test_images, b->test_images);
    assert_int_equal(a->n_labels, b->n_labels);
    assert_int_equal(a->pad, b->pad);
    assert_int_equal(a->train_limit, b->train_limit);
    assert_int_equal(a->test_limit, b->test_limit);
    assert_dbl_equal(a->scale, b->scale);
}

static void assert_same_train(const qat_train_config *a, const qat_train_config *b) {
    assert_int_equal(a->optimizer, b->optimizer);
    assert_dbl_equal(a->lr, b->lr);
    assert_dbl_equal(a->beta1, b->beta1);
    assert_dbl_equal(a->beta2, b->beta2);
    assert_dbl_equal(a->epsilon, b->epsilon);
    assert_dbl_equal(a->momentum, b->momentum);
    assert_int_equal(a->nesterov, b->nesterov);
    assert_int_equal(a->epochs, b->epochs);
    assert_int_equal(a->batch, b->batch);
    assert_dbl_equal(a->val_split, b->val_split);
    assert_int_equal(a->monitor, b->monitor);
    assert_int_equal(a->plateau_monitor, b->plateau_monitor);
    assert_int_equal(a->val_select, b->val_select);
    assert_int_equal(a->plateau_patience, b->plateau_patience);
    assert_dbl_equal(a->plateau_factor, b->plateau_factor);
    assert_dbl_equal(a->min_lr, b->min_lr);
    assert_int_equal(a->early_stop_patience, b->early_stop_patience);
    assert_int_equal(a->restore_best, b->restore_best);
}

static void assert_same_config(const qat_config *a, const qat_config *b) {
    assert_true(a->seed == b->seed);
    assert_string_equal(a->out_dir, b->out_dir);
    assert_same_data(&a->data, &b->data);
    assert_int_equal(a->n_layers, b->n_layers);
    for (int i = 0; i < a->n_layers; i++) assert_same_layer(&a->layers[i], &b->layers[i]);
    assert_same_train(&a->train, &b->train);
}

/* ---- defaults and the lesson's file ------------------------------------------------- */

static void test_defaults_are_the_lesson(void **state) {
    (void)state;
    qat_config c;
    qat_config_defaults(&c);
    assert_true(c.seed == 42);
    assert_string_equal(c.out_dir, "out/gesture_cnn");
    assert_string_equal(c.path, "");
    assert_int_equal(c.data.source, QAT_DATA_BUILTIN);
    assert_int_equal(c.data.n_classes, 3);
    assert_string_equal(c.data.classes[0], "wave");
    assert_string_equal(c.data.classes[1], "punch");
    assert_string_equal(c.data.classes[2], "flex");
    assert_int_equal(c.data.window, 50);
    assert_int_equal(c.data.channels, 3);
    assert_dbl_equal(c.data.rate_hz, 50);
    assert_dbl_equal(c.data.test_split, 0.2);
    assert_int_equal(c.data.normalize, QAT_NORM_MINMAX);
    assert_int_equal(c.data.samples_per_class, 500);
    assert_dbl_equal(c.data.csv_rate_hz, 119);
    assert_int_equal(c.data.csv_gesture_rows, 0);
    assert_string_equal(c.data.csv_columns[2], "aZ");
    assert_string_equal(c.data.csv_columns[3], "");
    static const char *const names[] = {"conv1", "pool1", "conv2", "pool2",
                                        "flatten", "dense1", "dropout", "dense2"};
    static const qat_layer_kind kinds[] = {QAT_LAYER_CONV1D, QAT_LAYER_MAXPOOL1D,
                                           QAT_LAYER_CONV1D, QAT_LAYER_MAXPOOL1D,
                                           QAT_LAYER_FLATTEN, QAT_LAYER_DENSE,
                                           QAT_LAYER_DROPOUT, QAT_LAYER_DENSE};
    assert_int_equal(c.n_layers, 8);
    for (int i = 0; i < 8; i++) {
        assert_string_equal(c.layers[i].name, names[i]);
        assert_int_equal(c.layers[i].kind, kinds[i]);
        assert_int_equal(c.layers[i].use_bias, 1);
        assert_int_equal(c.layers[i].line, 0);
        assert_dbl_equal(c.layers[i].momentum, 0.99);
        assert_dbl_equal(c.layers[i].epsilon, 1e-3);
    }
    assert_int_equal(c.layers[0].units, 16);
    assert_int_equal(c.layers[0].kernel, 5);
    assert_int_equal(c.layers[0].padding, QAT_PAD_VALID);
    assert_int_equal(c.layers[0].activation, QAT_ACT_RELU);
    assert_int_equal(c.layers[1].pool, 2);
    assert_int_equal(c.layers[2].units, 32);
    assert_int_equal(c.layers[2].kernel, 3);
    assert_int_equal(c.layers[5].units, 32);
    assert_int_equal(c.layers[5].activation, QAT_ACT_RELU);
    assert_dbl_equal(c.layers[6].rate, 0.3);
    assert_int_equal(c.layers[7].units, 3);
    assert_int_equal(c.layers[7].activation, QAT_ACT_SOFTMAX);
    assert_int_equal(c.train.optimizer, QAT_OPT_ADAM);
    assert_dbl_equal(c.train.lr, 1e-3);
    assert_dbl_equal(c.train.beta1, 0.9);
    assert_dbl_equal(c.train.beta2, 0.999);
    assert_dbl_equal(c.train.epsilon, 1e-7);
    assert_dbl_equal(c.train.momentum, 0);
    assert_int_equal(c.train.nesterov, 0);
    assert_int_equal(c.train.epochs, 80);
    assert_int_equal(c.train.batch, 16);
    assert_dbl_equal(c.train.val_split, 0);
    assert_int_equal(c.train.monitor, QAT_MONITOR_VAL_LOSS);
    assert_int_equal(c.train.plateau_patience, 0);
    assert_dbl_equal(c.train.plateau_factor, 0.5);
    assert_dbl_equal(c.train.min_lr, 0);
    assert_int_equal(c.train.early_stop_patience, 0);
    assert_int_equal(c.train.restore_best, 1);
    qat_error e = {0};
    assert_int_equal(qat_config_validate(&c, &e), QAT_OK);
}

static void test_enum_names(void **state) {
    (void)state;
    assert_string_equal(qat_layer_kind_name(QAT_LAYER_MAXPOOL1D), "maxpool1d");
    assert_string_equal(qat_activation_name(QAT_ACT_RELU6), "relu6");
    assert_string_equal(qat_padding_name(QAT_PAD_SAME), "same");
    assert_string_equal(qat_optimizer_name(QAT_OPT_SGD), "sgd");
    assert_string_equal(qat_monitor_name(QAT_MONITOR_VAL_ACCURACY), "val_accuracy");
    assert_string_equal(qat_data_source_name(QAT_DATA_CSV), "csv");
    assert_string_equal(qat_norm_kind_name(QAT_NORM_MINMAX_AXIS), "minmax_axis");
    for (int i = 0; i < QAT_LAYER_KIND_COUNT; i++)
        assert_string_not_equal(qat_layer_kind_name((qat_layer_kind)i), "unknown");
    for (int i = 0; i < QAT_ACT_COUNT; i++)
        assert_string_not_equal(qat_activation_name((qat_activation)i), "unknown");
    assert_string_equal(qat_layer_kind_name(QAT_LAYER_KIND_COUNT), "unknown");
    assert_string_equal(qat_optimizer_name((qat_optimizer_kind)-1), "unknown");
}

static void test_lesson_file_equals_defaults(void **state) {
    fixture *f = *state;
    qat_config d;
    qat_config_defaults(&d);
    assert_int_equal(qat_config_load("configs/gesture_cnn.ini", &f->cfg, &f->e), QAT_OK);
    assert_string_equal(f->cfg.path, "configs/gesture_cnn.ini");
    assert_string_equal(f->cfg.base_dir, "configs");
    assert_same_config(&f->cfg, &d);
    assert_true(f->cfg.layers[0].line > 0); /* file layers know where they came from */
}

static void test_partial_file_keeps_defaults(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[train]\nepochs = 5\n"), QAT_OK);
    qat_config d;
    qat_config_defaults(&d);
    d.train.epochs = 5;
    assert_same_config(&f->cfg, &d);
    assert_string_equal(f->cfg.base_dir, f->dir);
}

static void test_layers_replace_defaults(void **state) {
    fixture *f = *state;
    const char *text = "[data]\n"
                       "window = 20\n"
                       "[layer.flat]\n"            /* line 3 */
                       "type = flatten\n"
                       "[layer.hidden]\n"          /* line 5 */
                       "type = dense\n"
                       "units = 8\n"
                       "activation = relu6\n"
                       "use_bias = no\n"
                       "[layer.out]\n"             /* line 10 */
                       "type = dense\n"
                       "units = 3\n";
    assert_int_equal(load(f, text), QAT_OK);
    assert_int_equal(f->cfg.n_layers, 3);
    assert_string_equal(f->cfg.layers[0].name, "flat");
    assert_int_equal(f->cfg.layers[0].line, 3);
    assert_string_equal(f->cfg.layers[1].name, "hidden");
    assert_int_equal(f->cfg.layers[1].line, 5);
    assert_int_equal(f->cfg.layers[1].units, 8);
    assert_int_equal(f->cfg.layers[1].activation, QAT_ACT_RELU6);
    assert_int_equal(f->cfg.layers[1].use_bias, 0);
    assert_int_equal(f->cfg.layers[2].activation, QAT_ACT_NONE);
    assert_int_equal(f->cfg.layers[2].line, 10);
    assert_int_equal(f->cfg.data.window, 20);
}

static void test_comments_and_indentation(void **state) {
    fixture *f = *state;
    const char *text = "# a hash comment\n"
                       "; a semicolon comment\n"
                       "  [train]   ; trailing comment\n"
                       "    lr = 0.01   # inline hash comment\n"
                       "\tepochs: 7 ; colon form, inline semicolon comment\n"
                       "\n"
                       "   \n";
    assert_int_equal(load(f, text), QAT_OK);
    assert_dbl_equal(f->cfg.train.lr, 0.01);
    assert_int_equal(f->cfg.train.epochs, 7);
}

static void test_crlf_bom_and_empty_files(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "\xEF\xBB\xBF[train]\r\nepochs = 3\r\nlr = 0.5"), QAT_OK);
    assert_int_equal(f->cfg.train.epochs, 3); /* BOM, CRLF, no final newline */
    assert_dbl_equal(f->cfg.train.lr, 0.5);
    assert_int_equal(load(f, ""), QAT_OK); /* an empty file is the lesson */
    qat_config d;
    qat_config_defaults(&d);
    assert_same_config(&f->cfg, &d);
    expect_error(f, "[train]\r\nepochs = 3\r\nbatch = 0\r\n", 3, "[train] batch: '0' is out");
    expect_error(f, "[train]\nepochs = 3\rx\n", 2, "[train] epochs: '3?x' is not a number");
}

static void test_limits(void **state) {
    fixture *f = *state;
    char text[4096] = "";
    for (int i = 0; i <= QAT_MAX_LAYERS; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "[layer.l%d]\ntype = relu\n", i);
    expect_error(f, text, 2 * QAT_MAX_LAYERS + 1, "[layer.l32]: more than 32 layers");
    char files[1024] = "[files]\n";
    for (int i = 0; i < 9; i++) /* 8 files a line, the class repeated: 72 in all */
        strcat(files, "wave = a.csv, b.csv, c.csv, d.csv, e.csv, f.csv, g.csv, h.csv\n");
    expect_error(f, files, 10, "[files] wave: more than 64 CSV files in all");
    /* without a qat_error the status still comes back */
    qat_config c;
    qat_config_defaults(&c);
    assert_int_equal(qat_config_set(&c, "train.lr=x", NULL), QAT_ERR_CONFIG);
    assert_int_equal(qat_config_load("/nonexistent/x.ini", &c, NULL), QAT_ERR_IO);
}

/* ---- errors in the file ------------------------------------------------------------- */

static void test_missing_file(void **state) {
    fixture *f = *state;
    char path[QAT_PATH_MAX];
    snprintf(path, sizeof path, "%s/absent.ini", f->dir);
    qat_error e = {0};
    assert_int_equal(qat_config_load(path, &f->cfg, &e), QAT_ERR_IO);
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(e.msg, want);
}

static void test_unknown_section(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nepochs = 3\n[trian]\nlr = 0.1\n", 3, "[trian]: unknown section");
    assert_msg_contains(&f->e, "run, data, files, source.NAME, train, quant, prune, augment, target, distill, search, layer.NAME");
    expect_error(f, "[layer]\ntype = dense\n", 1, "[layer]: unknown section");
}

static void test_unknown_key(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nlearning_rate = 0.1\n", 2, "[train] learning_rate: unknown key");
    assert_msg_contains(&f->e, "lr");
    expect_error(f, "[data]\nwindow = 10\n\nfoo = 1\n", 4, "[data] foo: unknown key");
}

static void test_duplicate_key(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nlr = 0.1\nepochs = 2\nlr = 0.2\n", 4,
                 "[train] lr: duplicate key (first on line 2)");
    expect_error(f, "[layer.a]\ntype = flatten\ntype = flatten\n", 3,
                 "[layer.a] type: duplicate key");
}

static void test_repeated_section(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nlr = 0.1\n[run]\nseed = 1\n[train]\nepochs = 2\n", 5,
                 "[train]: section appears twice (first on line 1)");
}

static void test_malformed_numbers(void **state) {
    fixture *f = *state;
    static const char *const bad[] = {"0,01", "1e", "", "12abc", "inf", "nan", "0x10", "1..2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], want[128];
        snprintf(text, sizeof text, "[run]\nseed = 7\n\n[train]\nlr = %s\n", bad[i]);
        snprintf(want, sizeof want, "[train] lr: '%s' is not a number", bad[i]);
        expect_error(f, text, 5, want);
    }
}

static void test_malformed_integers(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nepochs = 1.5\n", 2, "[train] epochs: '1.5' is not a whole number");
    expect_error(f, "[train]\nepochs = 12abc\n", 2, "[train] epochs: '12abc' is not a number");
    expect_error(f, "[train]\nepochs =\n", 2, "[train] epochs: '' is not a number");
    expect_error(f, "[train]\nepochs = +-3\n", 2, "[train] epochs: '+-3' is not a number");
    expect_error(f, "[data]\nwindow = 99999999999999999999\n", 2,
                 "[data] window: '99999999999999999999' is out of range (must be in [1, 4096])");
}

static void test_out_of_range(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nlr = 0\n", 2, "[train] lr: '0' is out of range (must be in (0, 100])");
    expect_error(f, "[train]\nlr = -1e-3\n", 2, "[train] lr: '-1e-3' is out of range");
    expect_error(f, "[train]\nplateau_factor = 1\n", 2,
                 "[train] plateau_factor: '1' is out of range (must be in (0, 1))");
    expect_error(f, "[train]\nbeta1 = 1\n", 2,
                 "[train] beta1: '1' is out of range (must be in [0, 1))");
    expect_error(f, "[train]\nmin_lr = -0.1\n", 2,
                 "[train] min_lr: '-0.1' is out of range (must be in [0, 100])");
    expect_error(f, "[data]\ntest_split = 1\n", 2, "[data] test_split: '1' is out of range");
    expect_error(f, "[data]\nwindow = 0\n", 2,
                 "[data] window: '0' is out of range (must be in [1, 4096])");
    expect_error(f, "[data]\nchannels = 17\n", 2,
                 "[data] channels: '17' is out of range (must be in [1, 16])");
    expect_error(f, "[train]\nbatch = 65537\n", 2, "[train] batch: '65537' is out of range");
    expect_error(f, "[data]\nrate_hz = 1e400\n", 2, "[data] rate_hz: '1e400' is out of range");
    expect_error(f, "[layer.d]\ntype = dropout\nrate = 1\n", 3,
                 "[layer.d] rate: '1' is out of range (must be in [0, 1))");
    expect_error(f, "[layer.b]\ntype = batchnorm\nmomentum = 1\n", 3,
                 "[layer.b] momentum: '1' is out of range");
    /* finite but beyond what the float arithmetic downstream carries */
    expect_error(f, "[train]\nlr = 1e300\n", 2, "[train] lr: '1e300' is out of range (must be in (0, 100])");
    expect_error(f, "[quant]\nlr = 101\n", 2, "[quant] lr: '101' is out of range (must be in (0, 100])");
    expect_error(f, "[prune]\nlr = 1e9\n", 2, "[prune] lr: '1e9' is out of range");
    expect_error(f, "[train]\nepsilon = 1e-320\n", 2,
                 "[train] epsilon: '1e-320' is out of range (must be in [1e-30, 1000])");
    expect_error(f, "[data]\nrate_hz = 1e-9\n", 2,
                 "[data] rate_hz: '1e-9' is out of range (must be in [0.001, 1000000])");
    expect_error(f, "[data]\ncsv_rate_hz = 1e300\n", 2, "[data] csv_rate_hz: '1e300' is out of range");
    expect_error(f, "[layer.b]\ntype = batchnorm\nepsilon = 1e-20\n", 3,
                 "[layer.b] epsilon: '1e-20' is out of range (must be in [1e-12, 1000])");
    expect_error(f, "[data]\nsamples_per_class = 99999999999999999999\n", 2,
                 "[data] samples_per_class: '99999999999999999999' is out of range");
}

static void test_seed_is_uint64(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[run]\nseed = 18446744073709551615\n"), QAT_OK);
    assert_true(f->cfg.seed == UINT64_MAX);
    expect_error(f, "[run]\nseed = 18446744073709551616\n", 2,
                 "[run] seed: '18446744073709551616' is out of range");
    expect_error(f, "[run]\nseed = -1\n", 2, "[run] seed: '-1' is out of range");
    expect_error(f, "[run]\nseed = forty\n", 2, "[run] seed: 'forty' is not a seed (digits only");
}

static void test_bad_enum_lists_names(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\noptimizer = adamw\n", 2,
                 "[train] optimizer: 'adamw' is not one of: adam, sgd");
    expect_error(f, "[data]\nnormalize = robust\n", 2,
                 "[data] normalize: 'robust' is not one of: none, minmax, minmax_axis, zscore");
    expect_error(f, "[layer.x]\ntype = lstm\n", 2,
                 "[layer.x] type: 'lstm' is not one of: conv1d, dense, batchnorm, relu, relu6, "
                 "maxpool1d, flatten, dropout, conv2d, depthwise_conv2d, separable_conv2d, "
                 "maxpool2d, avgpool2d, global_avgpool");
    /* softmax belongs to the classifier, never to a convolution */
    expect_error(f, "[layer.c]\ntype = conv1d\nactivation = softmax\n", 3,
                 "[layer.c] activation: 'softmax' is not one of: none, relu, relu6");
    assert_int_equal(load(f, "[train]\noptimizer = SGD\nmonitor = Val_Accuracy\n"), QAT_OK);
    assert_int_equal(f->cfg.train.optimizer, QAT_OPT_SGD);
    assert_int_equal(f->cfg.train.monitor, QAT_MONITOR_VAL_ACCURACY);
}

static void test_booleans(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[train]\nnesterov = Yes\nrestore_best = 0\n"), QAT_OK);
    assert_int_equal(f->cfg.train.nesterov, 1);
    assert_int_equal(f->cfg.train.restore_best, 0);
    expect_error(f, "[train]\nnesterov = maybe\n", 2, "[train] nesterov: 'maybe' is not a boolean");
}

static void test_syntax_errors(void **state) {
    fixture *f = *state;
    expect_error(f, "[train]\nlr = 0.1\njust some words\n", 3, "syntax error: 'just some words'");
    expect_error(f, "[run]\nseed = 1\n[train\nlr = 0.1\n", 3,
                 "syntax error: section header without ']'");
    expect_error(f, "[train] epochs = 3\n", 1, "[train]: unexpected text after ']'");
    expect_error(f, "seed = 3\n", 1, "seed: key outside any section");
    expect_error(f, "[train]\n= 3\n", 2, "[train]: missing key name before '='");
}

/* inih would append an indented line to the previous value; we drop indentation, so a
 * continuation is an error instead of a silently different value. */
static void test_no_multiline_values(void **state) {
    fixture *f = *state;
    expect_error(f, "[data]\nclasses = wave, punch,\n    flex\n", 2,
                 "[data] classes: empty class name");
    expect_error(f, "[data]\nclasses = wave, punch\n    flex\n", 3, "syntax error: 'flex'");
}

static void test_line_too_long(void **state) {
    fixture *f = *state;
    char text[400];
    snprintf(text, sizeof text, "[run]\nout = %0250d\n", 0);
    expect_error(f, text, 2, "line longer than 199 characters");
}

static void test_layer_key_not_for_its_type(void **state) {
    fixture *f = *state;
    expect_error(f, "[layer.c]\ntype = conv1d\nunits = 8\n", 3,
                 "[layer.c] units: not a key of conv1d layers (conv1d keys: type, filters, kernel");
    expect_error(f, "[layer.p]\ntype = maxpool1d\nkernel = 8\n", 3,
                 "[layer.p] kernel: not a key of maxpool1d layers");
    expect_error(f, "[layer.f]\ntype = flatten\nsize = 8\n", 3, "[layer.f] size: unknown key");
}

static void test_layer_type_comes_first(void **state) {
    fixture *f = *state;
    expect_error(f, "[layer.c]\nfilters = 8\ntype = conv1d\n", 2,
                 "[layer.c] filters: 'type' must be the first key of a layer section");
    expect_error(f, "[layer.e]\n\n[train]\nlr = 0.1\n", 1, "[layer.e] type: missing");
    expect_error(f, "[train]\nlr = 0.1\n[layer.e]\n", 3, "[layer.e] type: missing");
}

static void test_layer_names(void **state) {
    fixture *f = *state;
    expect_error(f, "[layer.a-b]\ntype = flatten\n", 1, "[layer.a-b]: layer name 'a-b' must be");
    expect_error(f, "[layer.]\ntype = flatten\n", 1, "[layer.]: layer name '' must be");
    expect_error(f, "[layer.abcdefghijabcdefghijabcdefghij12]\ntype = flatten\n", 1,
                 "[layer.abcdefghijabcdefghijabcdefghij12]: layer name");
    expect_error(f, "[layer.a]\ntype = flatten\n[layer.a]\ntype = flatten\n", 3,
                 "[layer.a]: duplicate layer name (first on line 1)");
}

static void test_classes_key(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[data]\nsource = npy\ndir = x\nclasses = up ,down,left-1,right_2\n"
                             "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 4\n"),
                     QAT_OK);
    assert_int_equal(f->cfg.data.n_classes, 4);
    assert_string_equal(f->cfg.data.classes[0], "up");
    assert_string_equal(f->cfg.data.classes[3], "right_2");
    expect_error(f, "[data]\nclasses = wave\n", 2, "[data] classes: needs at least 2 classes");
    expect_error(f, "[data]\nclasses = wave, wave\n", 2,
                 "[data] classes: class 'wave' is listed twice");
    expect_error(f, "[data]\nclasses = wave, po st\n", 2,
                 "[data] classes: class name 'po st' may only use");
    expect_error(f, "[data]\nclasses = wave,,flex\n", 2, "[data] classes: empty class name");
    expect_error(f, "[data]\nclasses = a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n", 2,
                 "[data] classes: more than 16 classes");
}

/* ---- data sources ------------------------------------------------------------------- */

static void test_files_section_any_order(void **state) {
    fixture *f = *state;
    /* [files] before [data]: its keys are resolved once the class list is known */
    const char *text = "[files]\n"
                       "left = l1.csv, rec/l2.csv\n"
                       "right = /abs/r.csv\n"
                       "left = l3.csv\n"
                       "[data]\n"
                       "source = csv\n"
                       "classes = left, right\n"
                       "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 2\n";
    qat_error e = {0};
    const char *path = write_ini_in(f, "sub", text);
    assert_int_equal(qat_config_load(path, &f->cfg, &e), QAT_OK);
    const qat_data_config *d = &f->cfg.data;
    assert_int_equal(d->n_csv, 4);
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want, "%s/sub/rec/l2.csv", f->dir);
    assert_string_equal(d->csv[1].path, want);
    assert_int_equal(d->csv[1].cls, 0);
    assert_string_equal(d->csv[2].path, "/abs/r.csv");
    assert_int_equal(d->csv[2].cls, 1);
    assert_int_equal(d->csv[3].cls, 0);
    /* --set replaces a class's list; paths are relative to the current directory */
    assert_int_equal(qat_config_set(&f->cfg, "files.left=here.csv", &e), QAT_OK);
    assert_int_equal(d->n_csv, 2);
    assert_string_equal(d->csv[1].path, "here.csv");
    assert_int_equal(d->csv[1].cls, 0);
    /* reordering classes keeps each file with its class */
    assert_int_equal(qat_config_set(&f->cfg, "data.classes=right,left", &e), QAT_OK);
    assert_int_equal(d->csv[0].cls, 0);
    assert_string_equal(d->csv[0].path, "/abs/r.csv");
    assert_int_equal(d->csv[1].cls, 1);
    expect_set_error(&f->cfg, "data.classes=up,down",
                     "--set data.classes: class 'right' has files");
    expect_set_error(&f->cfg, "files.up=x.csv",
                     "--set files.up: 'up' is not a class (classes: right, left)");
}

static void test_files_errors(void **state) {
    fixture *f = *state;
    expect_error(f, "[data]\nsource = csv\nclasses = a, b\n[files]\na = a.csv\nc = c.csv\n", 6,
                 "[files] c: 'c' is not a class (classes: a, b)");
    expect_error(f, "[files]\na = x.csv,\n", 2, "[files] a: empty path in the list");
    const char *text = "[data]\nsource = csv\nclasses = a, b\n[files]\na = a.csv\n"
                       "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 2\n";
    assert_int_equal(load(f, text), QAT_ERR_CONFIG);
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want, "%s: [files] b: no CSV file for class 'b'", f->path);
    assert_memory_equal(f->e.msg, want, strlen(want));
}

static void test_csv_columns_match_channels(void **state) {
    fixture *f = *state;
    const char *text = "[data]\nsource = csv\nclasses = a, b\nchannels = 2\n"
                       "[files]\na = a.csv\nb = b.csv\n"
                       "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 2\n";
    assert_int_equal(load(f, text), QAT_ERR_CONFIG);
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want, "%s: [data] csv_columns: 3 columns for 2 channels", f->path);
    assert_memory_equal(f->e.msg, want, strlen(want));
    qat_error e = {0};
    assert_int_equal(qat_config_set(&f->cfg, "data.csv_columns = gX, gY", &e), QAT_OK);
    assert_int_equal(qat_config_validate(&f->cfg, &e), QAT_OK);
    assert_string_equal(f->cfg.data.csv_columns[1], "gY");
    assert_string_equal(f->cfg.data.csv_columns[2], "");
}

static void test_npy_dir(void **state) {
    fixture *f = *state;
    expect_error(f, "[data]\nsource = npy\ndir =\n", 3, "[data] dir: empty path");
    const char *text = "[data]\nsource = npy\nchannels = 6\n"
                       "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n";
    assert_int_equal(load(f, text), QAT_ERR_CONFIG);
    assert_msg_contains(&f->e, "[data] dir: missing");
    assert_int_equal(load(f, "[data]\nsource = npy\ndir = gestures\n"), QAT_OK);
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want, "%s/gestures", f->dir);
    assert_string_equal(f->cfg.data.dir, want);
}

static void test_builtin_source_limits(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[data]\nchannels = 6\n"), QAT_ERR_CONFIG);
    assert_msg_contains(&f->e, "[data] channels: the builtin generator makes 3 axes, not 6");
    assert_int_equal(load(f, "[data]\nclasses = wave, jump, flex\n"), QAT_ERR_CONFIG);
    assert_msg_contains(&f->e, "[data] classes: 'jump' is not a built-in gesture");
    /* a subset (and another order) of the built-in gestures is fine */
    assert_int_equal(load(f, "[data]\nclasses = flex, wave\n[layer.f]\ntype = flatten\n"
                             "[layer.o]\ntype = dense\nunits = 2\n"),
                     QAT_OK);
}

/* ---- the layer stack against the input ---------------------------------------------- */

static void test_shape_conv_too_long(void **state) {
    fixture *f = *state;
    const char *text = "[data]\nwindow = 6\n"
                       "[layer.c1]\ntype = conv1d\nfilters = 4\nkernel = 5\n" /* 6 -> 2 */
                       "[layer.c2]\ntype = conv1d\nfilters = 4\nkernel = 3\n" /* line 7: 2 < 3 */
                       "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n";
    expect_error(f, text, 7, "[layer.c2] kernel: 3 does not fit the 2 time steps left here");
    /* padding = same keeps the length, so the same stack fits */
    qat_error e = {0};
    assert_int_equal(qat_config_set(&f->cfg, "layer.c2.padding=same", &e), QAT_OK);
    assert_int_equal(qat_config_validate(&f->cfg, &e), QAT_OK);
}

static void test_shape_pool(void **state) {
    fixture *f = *state;
    const char *text = "[data]\nwindow = 5\n"
                       "[layer.p1]\ntype = maxpool1d\npool = 2\n"        /* 5 -> 2 */
                       "[layer.p2]\ntype = maxpool1d\npool = 3\n"        /* line 6 */
                       "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n";
    expect_error(f, text, 6, "[layer.p2] pool: 3 is longer than the 2 time steps left here");
    qat_error e = {0};
    assert_int_equal(qat_config_set(&f->cfg, "layer.p2.padding=same", &e), QAT_OK);
    assert_int_equal(qat_config_validate(&f->cfg, &e), QAT_OK);
}

static void test_shape_dense_needs_flatten(void **state) {
    fixture *f = *state;
    const char *text = "[layer.c]\ntype = conv1d\nfilters = 4\nkernel = 3\n"
                       "[layer.o]\ntype = dense\nunits = 3\n"; /* line 5 */
    expect_error(f, text, 5, "[layer.o] type: dense needs a 1-D input but gets (48, 4) "
                             "(add a flatten layer before it)");
}

static void test_shape_conv_after_flatten(void **state) {
    fixture *f = *state;
    const char *text = "[layer.f]\ntype = flatten\n"
                       "[layer.c]\ntype = conv1d\nfilters = 4\nkernel = 3\n" /* line 3 */
                       "[layer.o]\ntype = dense\nunits = 3\n";
    expect_error(f, text, 3, "[layer.c] type: conv1d needs a (time, channels) input but comes "
                             "after a flatten");
}

static void test_output_layer(void **state) {
    fixture *f = *state;
    expect_error(f, "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 4\n", 3,
                 "[layer.o] units: 4 units for 3 classes");
    expect_error(f, "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n"
                    "[layer.d]\ntype = dropout\nrate = 0.1\n", 6,
                 "[layer.d] type: the last layer must be dense with one unit per class, "
                 "not dropout");
    expect_error(f, "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n"
                    "activation = relu\n", 3, "[layer.o] activation: relu on the output layer");
    expect_error(f, "[layer.f]\ntype = flatten\n[layer.h]\ntype = dense\nunits = 8\n"
                    "activation = softmax\n[layer.o]\ntype = dense\nunits = 3\n", 3,
                 "[layer.h] activation: softmax is only allowed on the last layer");
}

/* A stack that no int8 model can express is refused by validation, at the layer's line. */
static void test_stack_without_int8_form(void **state) {
    fixture *f = *state;
#define TAIL "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n"
#define CONV "[layer.c]\ntype = conv1d\nfilters = 4\nkernel = 3\n"
    expect_error(f, "[layer.b]\ntype = batchnorm\n" CONV TAIL, 1,
                 "[layer.b] type: batchnorm as the first layer has no int8 form");
    expect_error(f, CONV "[layer.b]\ntype = batchnorm\n[layer.b2]\ntype = batchnorm\n" TAIL, 7,
                 "[layer.b2] type: batchnorm after batchnorm 'b' has no int8 form");
    expect_error(f, CONV "[layer.f]\ntype = flatten\n[layer.b]\ntype = batchnorm\n"
                    "[layer.o]\ntype = dense\nunits = 3\n", 7,
                 "[layer.b] type: batchnorm after flatten 'f' has no int8 form");
    expect_error(f, CONV "activation = relu6\n[layer.b]\ntype = batchnorm\n" TAIL, 1,
                 "[layer.c] activation: activation = relu6 comes before batchnorm 'b'");
    expect_error(f, CONV "[layer.p]\ntype = maxpool1d\npool = 2\n[layer.r]\ntype = relu\n" TAIL,
                 8, "[layer.r] type: relu after maxpool1d 'p' has no int8 form");
    /* the forms that have one: folded, fused, or both */
    assert_int_equal(load(f, CONV "[layer.b]\ntype = batchnorm\n[layer.r]\ntype = relu6\n" TAIL),
                     QAT_OK);
    assert_int_equal(load(f, CONV "[layer.r]\ntype = relu\n[layer.p]\ntype = maxpool1d\npool = 2\n"
                             TAIL), QAT_OK);
#undef TAIL
#undef CONV
}

static void test_required_layer_keys(void **state) {
    fixture *f = *state;
    expect_error(f, "[layer.c]\ntype = conv1d\nfilters = 4\n[layer.f]\ntype = flatten\n"
                    "[layer.o]\ntype = dense\nunits = 3\n", 1, "[layer.c] kernel: missing");
    expect_error(f, "[layer.f]\ntype = flatten\n[layer.d]\ntype = dropout\n"
                    "[layer.o]\ntype = dense\nunits = 3\n", 3, "[layer.d] rate: missing");
    qat_config c;
    qat_config_defaults(&c);
    c.n_layers = 0;
    qat_error e = {0};
    assert_int_equal(qat_config_validate(&c, &e), QAT_ERR_CONFIG);
    assert_string_equal(e.msg, "built-in config: no layers (add [layer.NAME] sections)");
}

/* ---- --set -------------------------------------------------------------------------- */

static void test_set_top_level(void **state) {
    (void)state;
    qat_config c;
    qat_config_defaults(&c);
    qat_error e = {0};
    assert_int_equal(qat_config_set(&c, "train.lr=0.01", &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, " data.window = 64 ", &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, "run.seed=7", &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, "run.out=runs/a=b", &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, "train.optimizer=sgd", &e), QAT_OK);
    assert_dbl_equal(c.train.lr, 0.01);
    assert_int_equal(c.data.window, 64);
    assert_true(c.seed == 7);
    assert_string_equal(c.out_dir, "runs/a=b"); /* the value may hold '=' */
    assert_int_equal(c.train.optimizer, QAT_OPT_SGD);
    assert_int_equal(qat_config_validate(&c, &e), QAT_OK);
}

static void test_set_layer_keys(void **state) {
    (void)state;
    qat_config c;
    qat_config_defaults(&c);
    qat_error e = {0};
    assert_int_equal(qat_config_set(&c, "layer.conv1.filters=8", &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, "layer.dropout.rate=0.5", &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, "layer.dense1.activation=relu6", &e), QAT_OK);
    assert_int_equal(c.layers[0].units, 8);
    assert_dbl_equal(c.layers[6].rate, 0.5);
    assert_int_equal(c.layers[5].activation, QAT_ACT_RELU6);
    /* changing a type starts the layer afresh: its keys must be given again */
    assert_int_equal(qat_config_set(&c, "layer.pool2.type=flatten", &e), QAT_OK);
    assert_int_equal(c.layers[3].kind, QAT_LAYER_FLATTEN);
    assert_int_equal(qat_config_validate(&c, &e), QAT_OK);
    assert_int_equal(qat_config_set(&c, "layer.dense1.type=conv1d", &e), QAT_OK);
    assert_int_equal(qat_config_validate(&c, &e), QAT_ERR_CONFIG);
    assert_string_equal(e.msg, "built-in config: [layer.dense1] filters: missing (conv1d needs "
                               "filters and kernel)");
}

/* [quant] keys and per-layer bit widths: defaults, values, ranges, names. */
static void test_quant_keys(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[quant]\nweight_bits = 4\nqat_observer = percentile\n"
                             "[layer.a]\ntype = flatten\n[layer.b]\ntype = dense\nunits = 3\n"
                             "weight_bits = 2\nact_bits = 6\n"), QAT_OK);
    assert_int_equal(f->cfg.quant.weight_bits, 4);
    assert_int_equal(f->cfg.quant.act_bits, 8);
    assert_int_equal(f->cfg.quant.qat_observer, QAT_OBS_PERCENTILE);
    assert_int_equal(f->cfg.quant.epochs, 30);
    assert_int_equal(f->cfg.layers[1].weight_bits, 2);
    assert_int_equal(f->cfg.layers[1].act_bits, 6);
    expect_error(f, "[quant]\nweight_bits = 9\n", 2, "[quant] weight_bits: ");
    expect_error(f, "[quant]\nact_bits = 1\n", 2, "[quant] act_bits: ");
    expect_error(f, "[quant]\nptq_observer = median\n", 2, "[quant] ptq_observer: ");
    assert_msg_contains(&f->e, "minmax, ema, percentile");
    expect_error(f, "[layer.p]\ntype = maxpool1d\nweight_bits = 4\n", 3, "[layer.p] weight_bits: ");
    qat_config c;
    qat_config_defaults(&c);
    expect_set_error(&c, "quant.weight_bits=0", "--set quant.weight_bits: ");
    qat_error e = {0};
    assert_int_equal(qat_config_set(&c, "layer.conv2.weight_bits=4", &e), QAT_OK);
    assert_int_equal(c.layers[2].weight_bits, 4);
}

/* uint8_io: off by default (the lesson's outputs), a boolean, and only with quantization. */
static void test_uint8_io_key(void **state) {
    fixture *f = *state;
    qat_config c;
    qat_config_defaults(&c);
    assert_int_equal(c.quant.uint8_io, 0);
    assert_int_equal(load(f, "[quant]\nuint8_io = true\n"), QAT_OK);
    assert_int_equal(f->cfg.quant.uint8_io, 1);
    assert_int_equal(load(f, "[quant]\nuint8_io = no\n"), QAT_OK);
    assert_int_equal(f->cfg.quant.uint8_io, 0);
    assert_int_equal(qat_config_load("configs/gesture_cnn.ini", &f->cfg, &f->e), QAT_OK);
    assert_int_equal(f->cfg.quant.uint8_io, 0);
    expect_error(f, "[quant]\nuint8_io = 2\n", 2, "[quant] uint8_io: ");
    assert_int_equal(load(f, "[quant]\nenabled = false\nuint8_io = true\n"), QAT_ERR_CONFIG);
    assert_msg_contains(&f->e, ": [quant] uint8_io: the uint8-I/O models are full-int8 exports");
    qat_error e = {0};
    assert_int_equal(qat_config_set(&c, "quant.uint8_io=yes", &e), QAT_OK);
    assert_int_equal(c.quant.uint8_io, 1);
    expect_set_error(&c, "quant.uint8_io=maybe", "--set quant.uint8_io: ");
}

/* Block pruning: the run's block, a layer's own, their ranges, and the clash with
 * structured pruning (which removes whole filters). */
static void test_prune_block_keys(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[prune]\nblock = 2\n[layer.f]\ntype = flatten\n[layer.o]\n"
                             "type = dense\nunits = 3\nprune_block = 4\n"), QAT_OK);
    assert_int_equal(f->cfg.prune.block, 2);
    assert_int_equal(f->cfg.layers[1].prune_block, 4);
    assert_int_equal(load(f, "[run]\nseed = 1\n"), QAT_OK);
    assert_int_equal(f->cfg.prune.block, 1);
    assert_int_equal(f->cfg.layers[5].prune_block, 0); /* dense1: the run's block */
    expect_error(f, "[prune]\nblock = 0\n", 2, "[prune] block: '0' is out of range");
    expect_error(f, "[layer.p]\ntype = maxpool1d\nprune_block = 4\n", 3,
                 "[layer.p] prune_block: not a key of maxpool1d layers");
    assert_int_equal(load(f, "[prune]\nstructured = true\nblock = 4\n"), QAT_ERR_CONFIG);
    assert_msg_contains(&f->e, ": [prune] block: 4 applies to unstructured pruning");
    expect_error(f, "[prune]\nstructured = true\n[layer.f]\ntype = flatten\n[layer.o]\n"
                    "type = dense\nunits = 3\nprune_block = 2\n", 5,
                 "[layer.o] prune_block: 2 applies to unstructured pruning");
}

static void test_set_errors(void **state) {
    (void)state;
    qat_config c;
    qat_config_defaults(&c);
    expect_set_error(&c, "layer.conv1.filters=x", "--set layer.conv1.filters: 'x' is not a number");
    expect_set_error(&c, "layer.conv9.filters=8",
                     "--set layer.conv9.filters: no layer named 'conv9'");
    expect_set_error(&c, "layer.conv1.units=8",
                     "--set layer.conv1.units: not a key of conv1d layers");
    expect_set_error(&c, "train.lr", "--set train.lr: expected section.key=value");
    expect_set_error(&c, "lr=0.1", "--set lr: expected section.key=value");
    expect_set_error(&c, "model.lr=0.1", "--set model.lr: unknown section [model]");
    expect_set_error(&c, "train.lrate=0.1",
                     "--set train.lrate: unknown key ([train] keys: optimizer, lr,");
    expect_set_error(&c, "train.plateau_factor=1.5",
                     "--set train.plateau_factor: '1.5' is out of range");
    expect_set_error(&c, "data.source=hdf5",
                     "--set data.source: 'hdf5' is not one of: builtin, npy, csv");
    /* a failed --set leaves the value alone */
    qat_config d;
    qat_config_defaults(&d);
    assert_same_config(&c, &d);
}

static void test_set_after_load_then_validate(void **state) {
    fixture *f = *state;
    assert_int_equal(load(f, "[data]\nwindow = 30\n"), QAT_OK);
    qat_error e = {0};
    assert_int_equal(qat_config_set(&f->cfg, "layer.conv1.kernel=27", &e), QAT_OK);
    assert_int_equal(qat_config_validate(&f->cfg, &e), QAT_ERR_CONFIG);
    /* the default layers have no line: the message names the file and the key */
    char want[2 * QAT_PATH_MAX];
    snprintf(want, sizeof want,
             "%s: [layer.conv2] kernel: 3 does not fit the 2 time steps", f->path);
    assert_memory_equal(e.msg, want, strlen(want));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_lesson),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_lesson_file_equals_defaults),
        cmocka_unit_test(test_partial_file_keeps_defaults),
        cmocka_unit_test(test_layers_replace_defaults),
        cmocka_unit_test(test_comments_and_indentation),
        cmocka_unit_test(test_crlf_bom_and_empty_files),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_repeated_section),
        cmocka_unit_test(test_malformed_numbers),
        cmocka_unit_test(test_malformed_integers),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_seed_is_uint64),
        cmocka_unit_test(test_stack_without_int8_form),
        cmocka_unit_test(test_bad_enum_lists_names),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_no_multiline_values),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_layer_key_not_for_its_type),
        cmocka_unit_test(test_layer_type_comes_first),
        cmocka_unit_test(test_layer_names),
        cmocka_unit_test(test_classes_key),
        cmocka_unit_test(test_files_section_any_order),
        cmocka_unit_test(test_files_errors),
        cmocka_unit_test(test_csv_columns_match_channels),
        cmocka_unit_test(test_npy_dir),
        cmocka_unit_test(test_builtin_source_limits),
        cmocka_unit_test(test_shape_conv_too_long),
        cmocka_unit_test(test_shape_pool),
        cmocka_unit_test(test_shape_dense_needs_flatten),
        cmocka_unit_test(test_shape_conv_after_flatten),
        cmocka_unit_test(test_output_layer),
        cmocka_unit_test(test_required_layer_keys),
        cmocka_unit_test(test_set_top_level),
        cmocka_unit_test(test_set_layer_keys),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_quant_keys),
        cmocka_unit_test(test_uint8_io_key),
        cmocka_unit_test(test_prune_block_keys),
        cmocka_unit_test(test_set_after_load_then_validate),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

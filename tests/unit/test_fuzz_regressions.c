/* The fuzz targets (tests/fuzz) without libFuzzer: each target's function runs on every seed
 * of its corpus (tests/fuzz/corpus/<target>/) and every input a fuzzer once crashed on
 * (tests/fuzz/regressions/<target>/), so the fixed bugs stay fixed in the normal suite and,
 * under `make SAN=1 check`, with AddressSanitizer and UBSan watching. A target aborts when
 * a promise breaks; the sanitizers stop on memory errors, leaks and undefined behaviour. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz.h"
#include "qat/io.h"

typedef struct fuzz_target {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} fuzz_target;

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the target on every file of dir in name order; returns how many (0 if no folder). */
static int replay_dir(const fuzz_target *t, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    char *names[4096];
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        if (de->d_name[0] != '.' && n < 4096) names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    for (int i = 0; i < n; i++) {
        char path[QAT_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        void *data;
        size_t size;
        qat_error e = {0};
        if (qat_read_file(path, &data, &size, &e) != QAT_OK) fail_msg("%s", e.msg);
        print_message("fuzz_%s: %s (%zu bytes)\n", t->name, path, size);
        assert_int_equal(t->run(data, size), 0);
        free(data);
        free(names[i]);
    }
    return n;
}

static void replay(void **state) {
    const fuzz_target *t = *state;
    char dir[128];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", t->name);
    int seeds = replay_dir(t, dir);
    assert_true(seeds > 0); /* every target has a seed corpus */
    snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", t->name);
    int regressions = replay_dir(t, dir);
    print_message("fuzz_%s: %d seeds, %d regressions replayed\n", t->name, seeds, regressions);
}

static fuzz_target targets[] = {
    {"ini", qat_fuzz_ini},
    {"npy", qat_fuzz_npy},
    {"csv", qat_fuzz_csv},
    {"checkpoint", qat_fuzz_checkpoint},
    {"tflite", qat_fuzz_tflite},
    {"masks", qat_fuzz_masks},
    {"resume", qat_fuzz_resume},
    {"idx", qat_fuzz_idx},
};

int main(void) {
    const struct CMUnitTest tests[] = {
        {"fuzz_ini", replay, NULL, NULL, &targets[0]},
        {"fuzz_npy", replay, NULL, NULL, &targets[1]},
        {"fuzz_csv", replay, NULL, NULL, &targets[2]},
        {"fuzz_checkpoint", replay, NULL, NULL, &targets[3]},
        {"fuzz_tflite", replay, NULL, NULL, &targets[4]},
        {"fuzz_masks", replay, NULL, NULL, &targets[5]},
        {"fuzz_resume", replay, NULL, NULL, &targets[6]},
        {"fuzz_idx", replay, NULL, NULL, &targets[7]},
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

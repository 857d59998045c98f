/* Helpers shared by the fuzz targets: the input as a file, and the error-message check. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"
#include "qat/config.h"
#include "qat/model.h"

/* Two files (the idx target reads a pair), each a memfd or a temporary file. */
#define FUZZ_FILES 2
static int fuzz_fd[FUZZ_FILES] = {-1, -1};
static char fuzz_path[FUZZ_FILES][64];
static char fuzz_tmp[FUZZ_FILES][64]; /* the fallback temporary files, removed at exit */

static void remove_tmp(void) {
    for (int i = 0; i < FUZZ_FILES; i++)
        if (fuzz_tmp[i][0]) unlink(fuzz_tmp[i]);
}

static void open_file(int i) {
    fuzz_fd[i] = memfd_create("qat-fuzz", 0);
    if (fuzz_fd[i] >= 0) {
        snprintf(fuzz_path[i], sizeof fuzz_path[i], "/proc/self/fd/%d", fuzz_fd[i]);
        if (access(fuzz_path[i], R_OK) == 0) return;
        close(fuzz_fd[i]);
    }
    const char *dir = getenv("TMPDIR");
    snprintf(fuzz_tmp[i], sizeof fuzz_tmp[i], "%s/qat-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    fuzz_fd[i] = mkstemp(fuzz_tmp[i]);
    if (fuzz_fd[i] < 0) {
        fprintf(stderr, "fuzz: cannot create a temporary file: %s\n", strerror(errno));
        abort();
    }
    static int registered;
    if (!registered++) atexit(remove_tmp);
    snprintf(fuzz_path[i], sizeof fuzz_path[i], "%s", fuzz_tmp[i]);
}

const char *qat_fuzz_file_at(int which, const uint8_t *data, size_t size) {
    if (which < 0 || which >= FUZZ_FILES) abort();
    if (fuzz_fd[which] < 0) open_file(which);
    if (ftruncate(fuzz_fd[which], 0) != 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fuzz_fd[which], data + done, size - done, (off_t)done);
        if (n <= 0) abort();
        done += (size_t)n;
    }
    return fuzz_path[which];
}

const char *qat_fuzz_file(const uint8_t *data, size_t size) {
    return qat_fuzz_file_at(0, data, size);
}

void qat_fuzz_check_error(qat_status st, const qat_error *e, const char *prefix) {
    if (st == QAT_OK) return;
    const char *why = NULL;
    if (e->status != st) why = "e->status differs from the status returned";
    else if (!e->msg[0]) why = "empty message";
    else if (strchr(e->msg, '\n')) why = "message is not one line";
    else if (prefix && strncmp(e->msg, prefix, strlen(prefix)) != 0)
        why = "message does not start with the file name";
    if (!why) return;
    fprintf(stderr, "fuzz: bad error report (%s): status %d/%d, message '%s'\n", why, (int)st,
            (int)e->status, e->msg);
    abort();
}

/* The stack of tests/fuzz/make_seeds.sh's tiny model. */
static const char TINY[] = "[data]\nwindow = 20\n[layer.conv1]\ntype = conv1d\nfilters = 4\n"
                           "kernel = 3\nactivation = relu\n[layer.pool1]\ntype = maxpool1d\n"
                           "pool = 2\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\n"
                           "units = 3\nactivation = softmax\n";

qat_model *qat_fuzz_model(int which, int masked) {
    static qat_model m[2][2]; /* [masked][which] */
    static int built[2];
    if (!built[masked]) {
        qat_config cfg;
        qat_error e = {0};
        for (int i = 0; i < 2; i++) {
            if (i == 0) qat_config_defaults(&cfg);
            else if (qat_config_load(qat_fuzz_file((const uint8_t *)TINY, sizeof TINY - 1), &cfg, &e))
                abort();
            for (int l = 0; l < cfg.n_layers; l++)
                cfg.layers[l].prune = cfg.layers[l].kind == QAT_LAYER_CONV1D ||
                                      cfg.layers[l].kind == QAT_LAYER_DENSE;
            qat_status st = masked ? qat_model_build_masked(&m[1][i], cfg.layers, cfg.n_layers,
                                                            cfg.data.window, cfg.data.channels,
                                                            cfg.data.n_classes, 1, &e)
                                   : qat_model_build(&m[0][i], cfg.layers, cfg.n_layers,
                                                     cfg.data.window, cfg.data.channels,
                                                     cfg.data.n_classes, 1, &e);
            if (st) abort();
        }
        built[masked] = 1;
    }
    return &m[masked][which];
}

void qat_fuzz_with_crc(const uint8_t *data, size_t size, int crc_bytes,
                       void (*try)(const uint8_t *data, size_t size)) {
    try(data, size);
    uint8_t *sealed = malloc(size + 8);
    if (!sealed) return;
    memcpy(sealed, data, size);
    uint64_t crc = (uint64_t)crc32(0L, data, (uInt)size);
    for (int i = 0; i < crc_bytes; i++) sealed[size + (size_t)i] = (uint8_t)(crc >> (8 * i));
    try(sealed, size + (size_t)crc_bytes);
    free(sealed);
}

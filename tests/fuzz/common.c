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

static int fuzz_fd = -1;
static char fuzz_path[64];
static char fuzz_tmp[64]; /* the fallback temporary file, removed at exit */

static void remove_tmp(void) {
    if (fuzz_tmp[0]) unlink(fuzz_tmp);
}

static void open_file(void) {
    fuzz_fd = memfd_create("qat-fuzz", 0);
    if (fuzz_fd >= 0) {
        snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
        if (access(fuzz_path, R_OK) == 0) return;
        close(fuzz_fd);
    }
    const char *dir = getenv("TMPDIR");
    snprintf(fuzz_tmp, sizeof fuzz_tmp, "%s/qat-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    fuzz_fd = mkstemp(fuzz_tmp);
    if (fuzz_fd < 0) {
        fprintf(stderr, "fuzz: cannot create a temporary file: %s\n", strerror(errno));
        abort();
    }
    atexit(remove_tmp);
    snprintf(fuzz_path, sizeof fuzz_path, "%s", fuzz_tmp);
}

const char *qat_fuzz_file(const uint8_t *data, size_t size) {
    if (fuzz_fd < 0) open_file();
    if (ftruncate(fuzz_fd, 0) != 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fuzz_fd, data + done, size - done, (off_t)done);
        if (n <= 0) abort();
        done += (size_t)n;
    }
    return fuzz_path;
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

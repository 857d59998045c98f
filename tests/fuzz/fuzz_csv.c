/* Fuzz target: the recorded-IMU CSV loader (qat_data_load_csv), on one file for a one-class
 * config picking columns aX, aY, aZ, in both split modes: gestures at blank lines at the
 * model's rate, and fixed 3-row gestures resampled from 119 Hz. The input repeated past
 * twice the reader's 64 KiB block is loaded too, so lines cross block boundaries, long
 * gestures keep only the rows the resampler reads, and a line without an end overruns the
 * line limit: the streamed reader's paths that a small input never reaches. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qat/config.h"

static void load(qat_data_config *d, int gesture_rows, double csv_rate, const char *path) {
    d->csv_gesture_rows = gesture_rows;
    d->csv_rate_hz = csv_rate;
    qat_dataset ds;
    qat_error e = {0};
    qat_status st = qat_data_load_csv(d, &ds, &e);
    qat_fuzz_check_error(st, &e, path);
    if (st) return;
    if (ds.n < 1 || ds.window != d->window || ds.channels != d->channels) abort();
    for (int i = 0; i < ds.n; i++)
        if (ds.y[i] != 0) abort();
    qat_dataset_free(&ds);
}

/* The input repeated to more than 128 KiB (inputs of 16 bytes or more: shorter ones would
 * cost too many repeats per run). */
static void load_large(qat_data_config *d, const uint8_t *data, size_t size) {
    if (size < 16) return;
    size_t reps = (2 * 65536) / size + 1;
    uint8_t *big = malloc(reps * size);
    if (!big) return;
    for (size_t r = 0; r < reps; r++) memcpy(big + r * size, data, size);
    const char *path = qat_fuzz_file(big, reps * size);
    free(big);
    load(d, 0, 50, path);
}

int qat_fuzz_csv(const uint8_t *data, size_t size) {
    qat_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return 0;
    qat_config_defaults(cfg);
    qat_data_config *d = &cfg->data;
    const char *path = qat_fuzz_file(data, size);
    d->source = QAT_DATA_CSV;
    d->n_classes = 1;
    d->n_csv = 1;
    d->csv[0].cls = 0;
    snprintf(d->csv[0].path, sizeof d->csv[0].path, "%s", path);
    d->window = 50;
    d->rate_hz = 50;
    load(d, 0, 50, path);
    load(d, 3, 119, path);
    load_large(d, data, size);
    free(cfg);
    return 0;
}

QAT_FUZZ_MAIN(csv)

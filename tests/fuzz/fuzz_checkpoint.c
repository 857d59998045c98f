/* Fuzz target: the checkpoint reader (qat_checkpoint_load) into the lesson's model and a tiny
 * one, on the input as it is and on the input with a valid CRC32 appended, so mutations get
 * past the checksum into everything it guards. A failed load leaves the model untouched; a
 * loaded normalisation can scale a sample. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qat/checkpoint.h"
#include "qat/config.h"

static qat_model *model(int which) {
    return qat_fuzz_model(which, 0);
}

/* What a loaded model's normalisation is for: scaling a sample (which asserts its shape). */
static void use_norm(const qat_model *m) {
    qat_dataset d;
    qat_error e = {0};
    if (qat_dataset_alloc(&d, 1, m->window, m->channels, m->n_classes, &e)) return;
    qat_norm_apply(&m->norm, &d);
    qat_dataset_free(&d);
}

static void load(qat_model *m, const uint8_t *data, size_t size) {
    const char *path = qat_fuzz_file(data, size);
    size_t np = m->g.n_params * sizeof(float);
    float *before = malloc(np ? np : 1);
    if (!before) return;
    memcpy(before, m->g.params, np);
    qat_norm norm = m->norm;
    qat_error e = {0};
    qat_status st = qat_checkpoint_load(m, path, &e);
    qat_fuzz_check_error(st, &e, path);
    if (st && (memcmp(before, m->g.params, np) != 0 || memcmp(&norm, &m->norm, sizeof norm) != 0))
        abort(); /* a failed load changed the model */
    free(before);
    if (!st) use_norm(m);
}

/* Both models, on the bytes as they are and sealed with a valid CRC. */
static void both(const uint8_t *data, size_t size) {
    for (int i = 0; i < 2; i++) load(model(i), data, size);
}

int qat_fuzz_checkpoint(const uint8_t *data, size_t size) {
    qat_fuzz_with_crc(data, size, 4, both);
    return 0;
}

QAT_FUZZ_MAIN(checkpoint)

/* Fuzz target: the pruning-mask reader (qat_mask_file_read, prune.h) into the lesson's model
 * and a tiny one, each built with a mask node on every conv1d / dense kernel, on the input as
 * it is and with a valid CRC32 appended (as fuzz_checkpoint.c does). A failed read leaves the
 * graph's state untouched; a successful one leaves masks of zeros and ones only. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qat/config.h"
#include "qat/prune.h"

static qat_model *model(int which) {
    return qat_fuzz_model(which, 1);
}

static void load(qat_model *m, const uint8_t *data, size_t size) {
    const char *path = qat_fuzz_file(data, size);
    size_t ns = m->g.n_state * sizeof(float);
    float *before = malloc(ns ? ns : 1);
    if (!before) return;
    memcpy(before, m->g.state, ns);
    qat_error e = {0};
    qat_status st = qat_mask_file_read(&m->g, path, &e);
    qat_fuzz_check_error(st, &e, path);
    if (st && memcmp(before, m->g.state, ns) != 0) abort(); /* a failed read changed the graph */
    for (int i = 0; !st && i < m->g.n_nodes; i++) {
        const qat_node *n = &m->g.nodes[i];
        if (n->op != QAT_OP_MASK) continue;
        for (size_t k = 0; k < n->size; k++) {
            const float v = m->g.state[n->offset + k];
            if (v != 0.0f && v != 1.0f) abort();
        }
    }
    free(before);
}

/* Both models, on the bytes as they are and sealed with a valid CRC. */
static void both(const uint8_t *data, size_t size) {
    for (int i = 0; i < 2; i++) load(model(i), data, size);
}

int qat_fuzz_masks(const uint8_t *data, size_t size) {
    qat_fuzz_with_crc(data, size, 4, both);
    return 0;
}

QAT_FUZZ_MAIN(masks)

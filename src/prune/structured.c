/* Structured pruning: whole conv filters / dense units removed, the model rebuilt smaller
 * (see prune.h). The channels flowing between layers are tracked as a list of the old
 * model's indices, so every consumer — the next conv's input channels, a batch norm's
 * parameters and statistics, the flattened features a dense layer reads — keeps exactly
 * the columns that still exist. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/prune.h"

typedef struct channels {
    int n;     /* channels (or flattened features) flowing now */
    int *old;  /* their indices in the old model's tensor */
} channels;

/* Filters/units to keep for layer i: all but the round(s·units) of lowest L1 norm, in
 * their original order (ties: the lower index is kept). */
static int choose(const qat_model *m, int i, double s, int *keep) {
    const qat_node *W = &m->g.nodes[m->layer[i].w];
    int rows = W->dim[0], row = (int)(W->size / (size_t)rows);
    int drop = (int)llround(s * rows);
    if (drop > rows - 1) drop = rows - 1;
    double *norm = malloc((size_t)rows * sizeof *norm);
    if (!norm) return -1;
    for (int r = 0; r < rows; r++) {
        norm[r] = 0;
        for (int k = 0; k < row; k++) norm[r] += fabs(W->val[(size_t)r * row + k]);
    }
    for (int d = 0; d < drop; d++) { /* drop the smallest, highest index first among ties */
        int worst = -1;
        for (int r = 0; r < rows; r++)
            if (norm[r] >= 0 && (worst < 0 || norm[r] <= norm[worst])) worst = r;
        norm[worst] = -1;
    }
    int n = 0;
    for (int r = 0; r < rows; r++)
        if (norm[r] >= 0) keep[n++] = r;
    free(norm);
    return n;
}

static int prunable(const qat_model *m, int i) {
    const qat_layer_spec *s = &m->spec[i];
    int last = i == m->n_layers - 1; /* the classifier keeps one unit per class */
    return s->prune && !last && (s->kind == QAT_LAYER_CONV1D || s->kind == QAT_LAYER_DENSE);
}

/* Copies layer i's kernel rows `keep` and input columns `in` (kernel width K for conv). */
static void copy_affine(const qat_model *m, int i, qat_model *out, const int *keep, int nk,
                        const channels *in) {
    const qat_node *W = &m->g.nodes[m->layer[i].w];
    qat_node *V = &out->g.nodes[out->layer[i].w];
    int conv = W->ndim == 3, K = conv ? W->dim[1] : 1, cin = conv ? W->dim[2] : W->dim[1];
    for (int o = 0; o < nk; o++)
        for (int k = 0; k < K; k++)
            for (int c = 0; c < in->n; c++)
                V->val[((size_t)o * K + k) * in->n + c] =
                    W->val[((size_t)keep[o] * K + k) * cin + in->old[c]];
    if (m->layer[i].b >= 0)
        for (int o = 0; o < nk; o++)
            out->g.nodes[out->layer[i].b].val[o] = m->g.nodes[m->layer[i].b].val[keep[o]];
}

static void copy_batchnorm(const qat_model *m, int i, qat_model *out, const channels *ch) {
    const qat_model_layer *a = &m->layer[i], *b = &out->layer[i];
    const qat_node *na = &m->g.nodes[a->out], *nb = &out->g.nodes[b->out];
    int ca = na->dim[na->ndim - 1], cb = nb->dim[nb->ndim - 1];
    for (int c = 0; c < ch->n; c++) {
        out->g.nodes[b->gamma].val[c] = m->g.nodes[a->gamma].val[ch->old[c]];
        out->g.nodes[b->beta].val[c] = m->g.nodes[a->beta].val[ch->old[c]];
        out->g.state[nb->offset + c] = m->g.state[na->offset + ch->old[c]];
        out->g.state[nb->offset + cb + c] = m->g.state[na->offset + ca + ch->old[c]];
    }
}

/* Flatten: (T, C_old) with channels ch → T·|ch| features, old index t·C_old + ch[c]. */
static int flatten(const qat_model *m, int i, channels *ch) {
    const qat_node *X = &m->g.nodes[i > 0 ? m->layer[i - 1].out : m->input];
    int T = X->dim[0], C = X->dim[1], n = 0;
    int *old = malloc((size_t)T * ch->n * sizeof(int) + 1);
    if (!old) return -1;
    for (int t = 0; t < T; t++)
        for (int c = 0; c < ch->n; c++) old[n++] = t * C + ch->old[c];
    free(ch->old);
    ch->old = old;
    ch->n = n;
    return 0;
}

qat_status qat_prune_structured(const qat_model *m, double sparsity, int max_batch, qat_model *out,
                                qat_error *e) {
    qat_layer_spec spec[QAT_MAX_LAYERS];
    int *keep[QAT_MAX_LAYERS] = {0}, nkeep[QAT_MAX_LAYERS] = {0};
    qat_status st = QAT_OK;
    memcpy(spec, m->spec, (size_t)m->n_layers * sizeof spec[0]);
    for (int i = 0; i < m->n_layers && !st; i++) {
        if (!prunable(m, i)) continue;
        keep[i] = malloc((size_t)spec[i].units * sizeof(int));
        nkeep[i] = keep[i] ? choose(m, i, sparsity, keep[i]) : -1;
        if (nkeep[i] < 0) st = qat_error_set(e, QAT_ERR_NOMEM, "structured pruning: out of memory");
        else spec[i].units = nkeep[i];
    }
    if (!st) st = qat_model_build_shape(out, spec, m->n_layers, &m->in, m->n_classes,
                                                max_batch, 0, e);
    int built = !st;
    channels ch = {m->channels, malloc((size_t)m->channels * sizeof(int))};
    for (int c = 0; ch.old && c < m->channels; c++) ch.old[c] = c;
    if (!st && !ch.old) st = qat_error_set(e, QAT_ERR_NOMEM, "structured pruning: out of memory");
    for (int i = 0; i < m->n_layers && !st; i++) {
        qat_layer_kind k = m->spec[i].kind;
        if (k == QAT_LAYER_CONV1D || k == QAT_LAYER_DENSE) {
            int units = m->spec[i].units, *kept = keep[i], nk = keep[i] ? nkeep[i] : units, *all = NULL;
            if (!kept) { /* not pruned: every row */
                kept = all = malloc((size_t)units * sizeof(int));
                for (int r = 0; all && r < units; r++) all[r] = r;
            }
            int *next = malloc((size_t)nk * sizeof(int));
            if (!kept || !next) {
                free(all);
                free(next);
                st = qat_error_set(e, QAT_ERR_NOMEM, "structured pruning: out of memory");
                break;
            }
            copy_affine(m, i, out, kept, nk, &ch);
            memcpy(next, kept, (size_t)nk * sizeof(int));
            free(all);
            free(ch.old);
            ch = (channels){nk, next};
        } else if (k == QAT_LAYER_BATCHNORM) {
            copy_batchnorm(m, i, out, &ch);
        } else if (k == QAT_LAYER_FLATTEN && flatten(m, i, &ch)) {
            st = qat_error_set(e, QAT_ERR_NOMEM, "structured pruning: out of memory");
        }
    }
    free(ch.old);
    for (int i = 0; i < m->n_layers; i++) free(keep[i]);
    if (!st) out->norm = m->norm;
    else if (built) qat_model_free(out); /* on failure nothing is left for the caller to free */
    return st;
}

/* Structured pruning: whole conv filters / dense units removed, the model rebuilt smaller
 * (see prune.h). Conv2D filters and the pointwise filters of a separable conv are pruned
 * like conv1d ones; a depthwise kernel has no filters of its own (each output channel
 * c·M + m reads input channel c), so a depthwise layer — or a separable layer's depthwise
 * half — keeps exactly the channels of the kept input channels, and drops the rest. The channels flowing between layers are tracked as a list of the old
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
    return s->prune && !last && (s->kind == QAT_LAYER_CONV1D || s->kind == QAT_LAYER_DENSE ||
                                 s->kind == QAT_LAYER_CONV2D ||
                                 s->kind == QAT_LAYER_SEPARABLE_CONV2D);
}

/* A depthwise kernel (1, KH, KW, C·M) (and its bias, when b_old >= 0) restricted to the
 * input channels `in`; the channels flowing after it become in[c]·M + m. */
static int copy_depthwise(const qat_model *m, qat_model *out, int w_old, int w_new, int b_old,
                          int b_new, int mult, channels *in) {
    const qat_node *W = &m->g.nodes[w_old];
    qat_node *V = &out->g.nodes[w_new];
    int taps = W->dim[1] * W->dim[2], cm = W->dim[3], n = in->n * mult;
    int *next = malloc((size_t)n * sizeof(int) + 1);
    if (!next) return -1;
    for (int c = 0; c < in->n; c++)
        for (int k = 0; k < mult; k++) next[c * mult + k] = in->old[c] * mult + k;
    for (int t = 0; t < taps; t++)
        for (int j = 0; j < n; j++) V->val[(size_t)t * n + j] = W->val[(size_t)t * cm + next[j]];
    if (b_old >= 0)
        for (int j = 0; j < n; j++) out->g.nodes[b_new].val[j] = m->g.nodes[b_old].val[next[j]];
    free(in->old);
    *in = (channels){n, next};
    return 0;
}

/* Copies layer i's kernel rows `keep` and input columns `in` (kernel width K for conv). */
static void copy_affine(const qat_model *m, int i, qat_model *out, const int *keep, int nk,
                        const channels *in) {
    const qat_node *W = &m->g.nodes[m->layer[i].w];
    qat_node *V = &out->g.nodes[out->layer[i].w];
    int K = 1, cin = W->dim[W->ndim - 1]; /* K: kernel taps (conv1d K, conv2d KH·KW) */
    for (int d = 1; d + 1 < W->ndim; d++) K *= W->dim[d];
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

/* Flatten: (T, C_old) or (H, W, C_old) with channels ch → T·|ch| features (T positions),
 * old index t·C_old + ch[c]. */
static int flatten(const qat_model *m, int i, channels *ch) {
    const qat_node *X = &m->g.nodes[i > 0 ? m->layer[i - 1].out : m->input];
    int T = 1, C = X->dim[X->ndim - 1], n = 0;
    for (int d = 0; d + 1 < X->ndim; d++) T *= X->dim[d];
    if (X->ndim == 1) T = 1, C = X->dim[0]; /* already flat: nothing changes */
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
        const qat_model_layer *a = &m->layer[i], *b = &out->layer[i];
        int mult = m->spec[i].depth_multiplier;
        if (k == QAT_LAYER_DEPTHWISE_CONV2D &&
            copy_depthwise(m, out, a->w, b->w, a->b, b->b, mult, &ch))
            st = qat_error_set(e, QAT_ERR_NOMEM, "structured pruning: out of memory");
        if (k == QAT_LAYER_SEPARABLE_CONV2D && copy_depthwise(m, out, a->dw, b->dw, -1, -1, mult, &ch))
            st = qat_error_set(e, QAT_ERR_NOMEM, "structured pruning: out of memory");
        if (st) break;
        if (k == QAT_LAYER_CONV1D || k == QAT_LAYER_DENSE || k == QAT_LAYER_CONV2D ||
            k == QAT_LAYER_SEPARABLE_CONV2D) {
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

/* Which layer stacks have an int8 form, and how they group into int8 operators (see
 * quant.h). The fake-quant graph builder and config validation both follow this one routine,
 * so a config is accepted exactly when lowering can express its model. */
#include <stdio.h>

#include "qat/quant.h"

/* A layer with a kernel becomes one int8 operator (a separable conv: two, the depthwise
 * half and the pointwise conv that takes the folding and the activation). */
static int is_affine(qat_layer_kind k) {
    return qat_layer_has_kernel(k);
}

/* Layers that map to an operator of their own (or, dropout, to none) and fuse nothing. */
static int is_passthrough(qat_layer_kind k) {
    return k == QAT_LAYER_MAXPOOL1D || k == QAT_LAYER_MAXPOOL2D || k == QAT_LAYER_AVGPOOL2D ||
           k == QAT_LAYER_GLOBAL_AVGPOOL || k == QAT_LAYER_FLATTEN || k == QAT_LAYER_DROPOUT;
}

static int is_relu(qat_layer_kind k) {
    return k == QAT_LAYER_RELU || k == QAT_LAYER_RELU6;
}

/* "after maxpool1d 'pool1'" or "as the first layer". */
static void placement(const qat_layer_spec *spec, int i, char *buf, size_t cap) {
    if (i == 0) snprintf(buf, cap, "as the first layer");
    else snprintf(buf, cap, "after %s '%s'", qat_layer_kind_name(spec[i - 1].kind), spec[i - 1].name);
}

/* Why a batchnorm or relu/relu6 at layer i belongs to no operator. */
static void why_orphan(const qat_layer_spec *spec, int i, char *why, size_t cap) {
    char where[QAT_NAME_MAX + 40];
    placement(spec, i, where, sizeof where);
    const qat_layer_spec *prev = i > 0 ? &spec[i - 1] : NULL;
    if (spec[i].kind == QAT_LAYER_BATCHNORM)
        snprintf(why, cap, "batchnorm %s has no int8 form: batch norm is folded into the "
                 "convolution or dense layer directly before it%s", where,
                 prev && prev->kind == QAT_LAYER_BATCHNORM ? ", which takes one (remove one of "
                 "the two)" : " (move it right after one, whose activation is none)");
    else if (prev && is_affine(prev->kind) && prev->activation != QAT_ACT_NONE)
        snprintf(why, cap, "%s %s has no int8 form: '%s' already applies activation = %s (remove "
                 "this layer, or set activation = none there)", qat_layer_kind_name(spec[i].kind),
                 where, prev->name, qat_activation_name(prev->activation));
    else
        snprintf(why, cap, "%s %s has no int8 form: relu and relu6 are fused into the "
                 "convolution or dense layer (or the batchnorm after one) directly before them (move it right "
                 "after one)", qat_layer_kind_name(spec[i].kind), where);
}

int qat_int8_block(const qat_layer_spec *spec, int n, int i, qat_int8_block_info *b, char *why,
                   size_t cap) {
    const qat_layer_spec *s = &spec[i];
    *b = (qat_int8_block_info){.bn = -1, .act = QAT_ACT_NONE, .bad = -1, .key = "type"};
    if (is_passthrough(s->kind)) return i + 1;
    if (!is_affine(s->kind)) {
        b->bad = i;
        why_orphan(spec, i, why, cap);
        return -1;
    }
    int j = i + 1;
    b->act = s->activation == QAT_ACT_SOFTMAX ? QAT_ACT_NONE : s->activation;
    if (j < n && spec[j].kind == QAT_LAYER_BATCHNORM) {
        if (s->activation != QAT_ACT_NONE) {
            b->bad = i;
            b->key = "activation";
            snprintf(why, cap, "activation = %s comes before batchnorm '%s', which then cannot "
                     "be folded into this layer (set activation = none here and add a "
                     "relu/relu6 layer after the batchnorm)", qat_activation_name(s->activation),
                     spec[j].name);
            return -1;
        }
        b->bn = j++;
    }
    if (b->act == QAT_ACT_NONE && j < n && is_relu(spec[j].kind))
        b->act = spec[j++].kind == QAT_LAYER_RELU ? QAT_ACT_RELU : QAT_ACT_RELU6;
    return j;
}

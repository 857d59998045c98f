/* The op dispatch table, indexed by qat_op and sized by QAT_OP_COUNT. */
#include "op_impl.h"

#define OP(e, n) [QAT_OP_##e] = {#n, qat_##n##_forward, qat_##n##_backward}

const qat_op_def qat_op_defs[QAT_OP_COUNT] = {
    [QAT_OP_INPUT] = {"input", NULL, NULL},
    [QAT_OP_PARAM] = {"param", NULL, NULL},
    OP(CONV1D, conv1d),
    OP(DENSE, dense),
    OP(BATCHNORM, batchnorm),
    OP(RELU, relu),
    OP(RELU6, relu6),
    OP(MAXPOOL1D, maxpool1d),
    OP(CONV2D, conv2d),
    OP(DEPTHWISE_CONV2D, depthwise_conv2d),
    OP(MAXPOOL2D, maxpool2d),
    OP(AVGPOOL2D, avgpool2d),
    OP(GLOBAL_AVGPOOL, global_avgpool),
    OP(FLATTEN, flatten),
    OP(DROPOUT, dropout),
    OP(SOFTMAX_XENT, softmax_xent),
    OP(FAKE_QUANT, fake_quant),
    OP(FQ_WEIGHT, fq_weight),
    OP(FQ_BIAS, fq_bias),
    OP(FOLD_WEIGHT, fold_weight),
    OP(FOLD_BIAS, fold_bias),
    OP(BN_TRACK, bn_track),
    OP(MASK, mask),
    OP(FQ_AVGPOOL, fq_avgpool),
};
_Static_assert(sizeof qat_op_defs / sizeof qat_op_defs[0] == QAT_OP_COUNT, "op table");

const char *qat_op_name(qat_op op) {
    return (unsigned)op < QAT_OP_COUNT ? qat_op_defs[op].name : "?";
}

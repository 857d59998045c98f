/* qatrain — the model IR: a TFLite-shaped graph of tensors and operators.
 *
 * Lowering the trained (QAT or PTQ) model produces one of these; the integer engine
 * (int8.h) executes it; the TFLite writer serializes it and the reader parses .tflite
 * files into it. One IR for all three is what makes the int8 accuracy qatrain reports the
 * accuracy of the file it writes. Layouts are TFLite's: activations NHWC (a Conv1D is a
 * height-1 image [1, 1, T, C]), conv filters OHWI, depthwise filters [1, H, W, C·M],
 * fully-connected weights [out, in]. Constant data is little-endian, row-major. */
#ifndef QAT_IR_H
#define QAT_IR_H

#include <stddef.h>
#include <stdint.h>

#include "qat/error.h"
#include "qat/qparams.h"

#define QAT_IR_MAX_DIM 4
#define QAT_IR_NAME_MAX 64

typedef enum qat_ir_type {
    QAT_IR_FLOAT32,
    QAT_IR_FLOAT16,
    QAT_IR_INT8,
    QAT_IR_INT32,
    QAT_IR_UINT8,  /* only the interface of a full-int8 model with uint8 I/O (converter's
                      inference_input/output_type = tf.uint8): QUANTIZE to and from int8 */
    QAT_IR_TYPE_COUNT
} qat_ir_type;

typedef enum qat_ir_opcode {
    QAT_IR_RESHAPE,          /* in[0] data, in[1] optional int32 shape tensor */
    QAT_IR_CONV_2D,          /* in: input, filter, bias (optional) */
    QAT_IR_DEPTHWISE_CONV_2D,/* in: input, filter, bias (optional) */
    QAT_IR_MAX_POOL_2D,
    QAT_IR_AVERAGE_POOL_2D,
    QAT_IR_FULLY_CONNECTED,  /* in: input, weights, bias (optional) */
    QAT_IR_SOFTMAX,
    QAT_IR_QUANTIZE,         /* float32 → int8 (or int8 → int8 requantize) */
    QAT_IR_DEQUANTIZE,       /* int8 (or float16 constant) → float32 */
    QAT_IR_OPCODE_COUNT
} qat_ir_opcode;

typedef enum qat_ir_act {
    QAT_IR_ACT_NONE,
    QAT_IR_ACT_RELU,
    QAT_IR_ACT_RELU6,
    QAT_IR_ACT_COUNT
} qat_ir_act;

typedef enum qat_ir_padding {
    QAT_IR_PAD_SAME,  /* TFLite's schema values: SAME 0, VALID 1 */
    QAT_IR_PAD_VALID,
    QAT_IR_PAD_COUNT
} qat_ir_padding;

typedef struct qat_ir_tensor {
    char name[QAT_IR_NAME_MAX];
    qat_ir_type type;
    int ndim;
    int dim[QAT_IR_MAX_DIM];
    qat_qparams q;   /* q.n == 0: not quantized; arrays owned by the IR */
    void *data;      /* constant contents, owned; NULL for activations */
    size_t bytes;    /* size of data (prod(dim) · element size) */
} qat_ir_tensor;

typedef struct qat_ir_node {
    qat_ir_opcode op;
    int n_in;
    int in[3];            /* tensor indices; -1 = absent optional input */
    int out;              /* tensor index */
    qat_ir_padding padding;
    int stride_w, stride_h;
    int filter_w, filter_h;      /* pools */
    int dilation_w, dilation_h;  /* convs (1 when absent) */
    int depth_multiplier;        /* depthwise */
    qat_ir_act act;              /* fused activation */
    float beta;                  /* softmax */
    int keep_num_dims;           /* fully connected */
} qat_ir_node;

typedef struct qat_ir {
    int n_tensors, cap_tensors;
    qat_ir_tensor *tensors;
    int n_nodes, cap_nodes;
    qat_ir_node *nodes;    /* execution order */
    int input, output;     /* the subgraph's single input and output tensor */
} qat_ir;

void qat_ir_init(qat_ir *ir);
void qat_ir_free(qat_ir *ir);

/* Adds a tensor; copies `data` (bytes) when non-NULL and the n scales / zero points when
 * q is non-NULL. Returns the index, or -1 when memory runs out. */
int qat_ir_add_tensor(qat_ir *ir, const char *name, qat_ir_type type, int ndim, const int *dim,
                      const qat_qparams *q, const void *data, size_t bytes);
/* Appends a node (copied); returns its index or -1. */
int qat_ir_add_node(qat_ir *ir, const qat_ir_node *node);

size_t qat_ir_type_size(qat_ir_type t);
size_t qat_ir_tensor_count(const qat_ir_tensor *t); /* product of dims */
const char *qat_ir_opcode_name(qat_ir_opcode op);    /* TFLite's names: "CONV_2D" ... */
const char *qat_ir_type_name(qat_ir_type t);         /* "INT8" ... */
/* The values of an integer type: INT8 [-128, 127], UINT8 [0, 255], INT32 [INT32_MIN,
 * INT32_MAX]; returns 1, or 0 (and [0, 0]) for a float type. The one place these ranges are
 * written: quantized values and zero points are clamped to and checked against them. */
int qat_ir_type_range(qat_ir_type t, int32_t *lo, int32_t *hi);
const char *qat_ir_act_name(qat_ir_act a);           /* "NONE", "RELU", "RELU6" */

#endif

/* qatrain — TFLite flatbuffer export and import of the model IR (reference/tflite-int8.md).
 *
 * Writer: schema version 3, identifier "TFL3", buffers[0] the empty sentinel and one buffer
 * per constant tensor (activations use buffer 0), constant data 16-byte aligned and the file
 * a multiple of 16 bytes; one OperatorCode per (op, version) with both builtin_code and
 * deprecated_builtin_code; op versions computed from the IR as TensorFlow's op_version does
 * (§5); a "min_runtime_version" metadata entry; an options table for every operator with
 * every parameter written explicitly (padding, strides, filter sizes, dilations, fused
 * activation, softmax beta, reshape new_shape = the output shape); tensor types written
 * explicitly; quantization as float scales and int64 zero points of equal length plus
 * quantized_dimension. Tensor i of the IR is tensor i of the file, node order is operator
 * order, the subgraph is named "main". Same IR, same bytes.
 *
 * Reader: parses any .tflite whose single subgraph uses only the IR's operators (RESHAPE,
 * CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, FULLY_CONNECTED, SOFTMAX,
 * QUANTIZE, DEQUANTIZE) and tensor types (FLOAT32, FLOAT16, INT32, INT8, UINT8), with exactly one
 * subgraph input and output. The op is max(builtin_code, deprecated_builtin_code), so files
 * that set only the deprecated code read too. Shapes come from `shape` (shape_signature is
 * ignored); a rank-1 tensor with per-channel parameters along an out-of-range
 * quantized_dimension (TFLM's person_detect biases) is read with axis 0, as TFLM does. The
 * IR's qmin/qmax, which the file does not hold, are set by convention: [-127, 127] for int8
 * filters of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED, otherwise the type's range
 * (qat_ir_type_range: [-128, 127] int8, [0, 255] uint8, the full int32 range for int32). Names longer than QAT_IR_NAME_MAX - 1 bytes are
 * truncated. Every malformation is QAT_ERR_FORMAT with one line starting with the file name.
 * The reader checks every byte offset it follows (see flatbuf.h), so it is safe on untrusted
 * input. */
#ifndef QAT_TFLITE_H
#define QAT_TFLITE_H

#include <stddef.h>

#include "qat/error.h"
#include "qat/ir.h"
#include "qat/npy.h"

/* ---- the schema subset (tensorflow/compiler/mlir/lite/schema/schema.fbs; §2) ----------
 * Field ids (vtable slot = 4 + 2·id), enum values and union tags used by the writer, the
 * reader and the tests. */
enum { /* Model */
    QAT_TFL_MODEL_VERSION = 0, QAT_TFL_MODEL_OPERATOR_CODES = 1, QAT_TFL_MODEL_SUBGRAPHS = 2,
    QAT_TFL_MODEL_DESCRIPTION = 3, QAT_TFL_MODEL_BUFFERS = 4, QAT_TFL_MODEL_METADATA = 6,
    QAT_TFL_SCHEMA_VERSION = 3
};
enum { /* OperatorCode */
    QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE = 0, QAT_TFL_OPCODE_CUSTOM_CODE = 1,
    QAT_TFL_OPCODE_VERSION = 2, QAT_TFL_OPCODE_BUILTIN_CODE = 3
};
enum { /* SubGraph */
    QAT_TFL_SUBGRAPH_TENSORS = 0, QAT_TFL_SUBGRAPH_INPUTS = 1, QAT_TFL_SUBGRAPH_OUTPUTS = 2,
    QAT_TFL_SUBGRAPH_OPERATORS = 3, QAT_TFL_SUBGRAPH_NAME = 4
};
enum { /* Tensor */
    QAT_TFL_TENSOR_SHAPE = 0, QAT_TFL_TENSOR_TYPE = 1, QAT_TFL_TENSOR_BUFFER = 2,
    QAT_TFL_TENSOR_NAME = 3, QAT_TFL_TENSOR_QUANTIZATION = 4, QAT_TFL_TENSOR_IS_VARIABLE = 5,
    QAT_TFL_TENSOR_SPARSITY = 6, QAT_TFL_TENSOR_SHAPE_SIGNATURE = 7,
    QAT_TFL_TENSOR_VARIANT_TENSORS = 9, QAT_TFL_TENSOR_EXTERNAL_BUFFER = 10
};
enum { /* QuantizationParameters */
    QAT_TFL_QUANT_MIN = 0, QAT_TFL_QUANT_MAX = 1, QAT_TFL_QUANT_SCALE = 2,
    QAT_TFL_QUANT_ZERO_POINT = 3, QAT_TFL_QUANT_DETAILS_TYPE = 4, QAT_TFL_QUANT_DETAILS = 5,
    QAT_TFL_QUANT_QUANTIZED_DIMENSION = 6
};
enum { QAT_TFL_BUFFER_DATA = 0, QAT_TFL_BUFFER_OFFSET = 1, QAT_TFL_BUFFER_SIZE = 2 };
enum { QAT_TFL_METADATA_NAME = 0, QAT_TFL_METADATA_BUFFER = 1 };
enum { /* Operator */
    QAT_TFL_OP_OPCODE_INDEX = 0, QAT_TFL_OP_INPUTS = 1, QAT_TFL_OP_OUTPUTS = 2,
    QAT_TFL_OP_BUILTIN_OPTIONS_TYPE = 3, QAT_TFL_OP_BUILTIN_OPTIONS = 4,
    QAT_TFL_OP_CUSTOM_OPTIONS = 5, QAT_TFL_OP_INTERMEDIATES = 8,
    QAT_TFL_OP_BUILTIN_OPTIONS_2_TYPE = 11
};
enum { /* Conv2DOptions */
    QAT_TFL_CONV_PADDING = 0, QAT_TFL_CONV_STRIDE_W = 1, QAT_TFL_CONV_STRIDE_H = 2,
    QAT_TFL_CONV_ACTIVATION = 3, QAT_TFL_CONV_DILATION_W = 4, QAT_TFL_CONV_DILATION_H = 5
};
enum { /* DepthwiseConv2DOptions */
    QAT_TFL_DW_PADDING = 0, QAT_TFL_DW_STRIDE_W = 1, QAT_TFL_DW_STRIDE_H = 2,
    QAT_TFL_DW_DEPTH_MULTIPLIER = 3, QAT_TFL_DW_ACTIVATION = 4, QAT_TFL_DW_DILATION_W = 5,
    QAT_TFL_DW_DILATION_H = 6
};
enum { /* Pool2DOptions */
    QAT_TFL_POOL_PADDING = 0, QAT_TFL_POOL_STRIDE_W = 1, QAT_TFL_POOL_STRIDE_H = 2,
    QAT_TFL_POOL_FILTER_W = 3, QAT_TFL_POOL_FILTER_H = 4, QAT_TFL_POOL_ACTIVATION = 5
};
enum { /* FullyConnectedOptions */
    QAT_TFL_FC_ACTIVATION = 0, QAT_TFL_FC_WEIGHTS_FORMAT = 1, QAT_TFL_FC_KEEP_NUM_DIMS = 2,
    QAT_TFL_FC_ASYMMETRIC_QUANTIZE_INPUTS = 3
};
enum { QAT_TFL_SOFTMAX_BETA = 0 };
enum { QAT_TFL_RESHAPE_NEW_SHAPE = 0 };

enum { /* BuiltinOperator */
    QAT_TFL_BUILTIN_AVERAGE_POOL_2D = 1, QAT_TFL_BUILTIN_CONV_2D = 3,
    QAT_TFL_BUILTIN_DEPTHWISE_CONV_2D = 4, QAT_TFL_BUILTIN_DEQUANTIZE = 6,
    QAT_TFL_BUILTIN_FULLY_CONNECTED = 9, QAT_TFL_BUILTIN_MAX_POOL_2D = 17,
    QAT_TFL_BUILTIN_RESHAPE = 22, QAT_TFL_BUILTIN_SOFTMAX = 25, QAT_TFL_BUILTIN_CUSTOM = 32,
    QAT_TFL_BUILTIN_QUANTIZE = 114, QAT_TFL_BUILTIN_PLACEHOLDER_FOR_GREATER_OP_CODES = 127
};
enum { /* BuiltinOptions union tags */
    QAT_TFL_OPTIONS_NONE = 0, QAT_TFL_OPTIONS_CONV2D = 1, QAT_TFL_OPTIONS_DEPTHWISE_CONV2D = 2,
    QAT_TFL_OPTIONS_POOL2D = 5, QAT_TFL_OPTIONS_FULLY_CONNECTED = 8, QAT_TFL_OPTIONS_SOFTMAX = 9,
    QAT_TFL_OPTIONS_RESHAPE = 17, QAT_TFL_OPTIONS_DEQUANTIZE = 38, QAT_TFL_OPTIONS_QUANTIZE = 89
};
enum { /* TensorType */
    QAT_TFL_TYPE_FLOAT32 = 0, QAT_TFL_TYPE_FLOAT16 = 1, QAT_TFL_TYPE_INT32 = 2,
    QAT_TFL_TYPE_UINT8 = 3, QAT_TFL_TYPE_INT8 = 9
};
enum { QAT_TFL_PADDING_SAME = 0, QAT_TFL_PADDING_VALID = 1 };
enum { QAT_TFL_ACT_NONE = 0, QAT_TFL_ACT_RELU = 1, QAT_TFL_ACT_RELU6 = 3 };

/* The BuiltinOperator's schema name ("ADD", "CONV_2D" ...), or NULL when unknown. */
const char *qat_tflite_builtin_name(int code);

/* Serializes ir into a new buffer (*buf, caller frees; *len bytes). description may be
 * NULL (no description string). QAT_ERR_DATA when the IR is inconsistent. */
qat_status qat_tflite_serialize(const qat_ir *ir, const char *description, unsigned char **buf,
                                size_t *len, qat_error *e);
/* Serializes and writes atomically (qat_write_file). */
qat_status qat_tflite_write(const qat_ir *ir, const char *description, const char *path,
                            qat_error *e);

/* Parses len bytes into ir, which this initialises (any previous content is not freed) and
 * leaves empty on failure; the caller frees it with qat_ir_free on success. name_for_errors
 * starts every message. */
qat_status qat_tflite_parse(const unsigned char *buf, size_t len, const char *name_for_errors,
                            qat_ir *ir, qat_error *e);
qat_status qat_tflite_read(const char *path, qat_ir *ir, qat_error *e);

/* TFLite's version of the operator IR node n, as TensorFlow's converter computes it
 * (op_version.cc), and the runtime version that introduced it (runtime_version.cc). */
int qat_tflite_op_version(const qat_ir *ir, const qat_ir_node *n);
const char *qat_tflite_min_runtime(const qat_ir *ir, const qat_ir_node *n);
/* The BuiltinOperator code of an IR opcode (CONV_2D → 3, QUANTIZE → 114 ...). */
int qat_tflite_builtin_code(qat_ir_opcode op);
/* The NumPy dtype a TFLite runtime gives a model input or output of type t (float32, int8,
 * uint8, int32), in which qatrain writes and `run` reads a model's samples; 0 when none. */
int qat_tflite_npy_dtype(qat_ir_type t, qat_dtype *d);

#endif

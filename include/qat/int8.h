/* qatrain — the integer-only engine: TFLite Micro's reference kernels, bit for bit.
 *
 * Kernels are free functions that only compute (TFLM / CMSIS-NN style): a small params
 * struct, shapes, pointers; they never allocate. The engine prepares an IR once
 * (multipliers and shifts from the float32 scales in each kernel's own expression order,
 * activation clamps, a memory plan for one arena) and then invokes it per sample. */
#ifndef QAT_INT8_H
#define QAT_INT8_H

#include <stddef.h>
#include <stdint.h>

#include "qat/error.h"
#include "qat/ir.h"

/* Parameters a conv / depthwise / fully-connected kernel needs (TFLM's ConvParams plus
 * the per-channel arrays). */
typedef struct qat_i8_conv_params {
    int32_t input_offset;       /* −input zero point */
    int32_t output_offset;      /* output zero point */
    int stride_w, stride_h, dilation_w, dilation_h, pad_w, pad_h;
    int depth_multiplier;
    int32_t act_min, act_max;   /* clamp after adding the output zero point */
    const int32_t *multiplier;  /* per output channel (per-tensor: the same value repeated) */
    const int *shift;
} qat_i8_conv_params;

typedef struct qat_i8_pool_params {
    int stride_w, stride_h, filter_w, filter_h, pad_w, pad_h;
    int32_t act_min, act_max;
} qat_i8_pool_params;

typedef struct qat_i8_softmax_params {
    int32_t input_multiplier;
    int input_left_shift;
    int32_t diff_min;
} qat_i8_softmax_params;

/* NHWC shapes: in [n, h, w, c]; filter OHWI; out [n, oh, ow, oc]. bias may be NULL.
 *
 * CONV_2D reads its filter regrouped once by qat_i8_conv2d_pack (the engine does it in
 * prepare), so that its inner loop updates QAT_I8_CONV_BLOCK output channels side by side:
 * for each group (in_c / fc of them), the group's output channels in blocks of 16, each block
 * laid out [fh][fw][fc][16], lanes past the group's last channel 0. Same values, same sums. */
#define QAT_I8_CONV_BLOCK 16
size_t qat_i8_conv2d_packed_size(const int *filter_shape, int in_channels);
void qat_i8_conv2d_pack(const int *filter_shape, int in_channels, const int8_t *filter,
                        int8_t *packed);
void qat_i8_conv2d(const qat_i8_conv_params *p, const int *in_shape, const int8_t *in,
                   const int *filter_shape, const int8_t *packed_filter, const int32_t *bias,
                   const int *out_shape, int8_t *out);
void qat_i8_depthwise_conv2d(const qat_i8_conv_params *p, const int *in_shape, const int8_t *in,
                             const int *filter_shape, const int8_t *filter, const int32_t *bias,
                             const int *out_shape, int8_t *out);
/* in: batches × depth; weights [out_depth, depth]; out: batches × out_depth. */
void qat_i8_fully_connected(const qat_i8_conv_params *p, int batches, int depth, int out_depth,
                            const int8_t *in, const int8_t *weights, const int32_t *bias,
                            int8_t *out);
void qat_i8_max_pool(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                     const int *out_shape, int8_t *out);
void qat_i8_average_pool(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                         const int *out_shape, int8_t *out);
/* AVERAGE_POOL_2D's average of `count` (> 0) raw int8 values summing to acc: C's truncating
 * division rounding half away from zero, as TFLM's reference kernel. The fake-quant graph's
 * average pooling (quant.h: qat_fq_avgpool) rounds with this same routine. */
static inline int32_t qat_i8_average_round(int32_t acc, int32_t count) {
    return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}
/* rows × depth, int8 → int8 with output scale 1/256, zero point −128. */
void qat_i8_softmax(const qat_i8_softmax_params *p, int rows, int depth, const int8_t *in,
                    int8_t *out);
/* Softmax Prepare: from input scale and beta. */
void qat_i8_softmax_prepare(double input_scale, double beta, qat_i8_softmax_params *p);
/* float → the values of an int8 or uint8 tensor (type): clamp(round_away(x / scale) + zp) to
 * the type's range (TFLM's AffineQuantize; for uint8 the same rule, which is how a uint8
 * model's inputs are made from float samples). qat_i8_quantize is the int8 case.
 * int8 → float: scale · (q − zp). */
void qat_i8_quantize_to(qat_ir_type type, const float *x, size_t n, float scale, int32_t zp,
                        void *q);
void qat_i8_quantize(const float *x, size_t n, float scale, int32_t zp, int8_t *q);
void qat_i8_dequantize(const int8_t *q, size_t n, float scale, int32_t zp, float *x);
/* QUANTIZE between integer tensors (TFLM's Requantize): int8 → int8, and the uint8 interface
 * of a full-int8 model, uint8 → int8 and int8 → uint8. */
typedef struct qat_i8_requantize_params {
    qat_ir_type in_type, out_type; /* QAT_IR_INT8 or QAT_IR_UINT8 */
    int32_t in_zp, out_zp;
    int32_t multiplier;            /* QuantizeMultiplier((double)s_in / (double)s_out) */
    int shift;
} qat_i8_requantize_params;
/* out = clamp(MBQM(in − in_zp, M, shift) + out_zp) to the output type's range. Equal scales
 * give (M, shift) = (2^30, 1), for which MBQM is the identity: the result is in − in_zp +
 * out_zp exactly, which with zero points 128 apart is TFLM's fast path (flipping the top
 * bit) byte for byte. */
void qat_i8_requantize(const qat_i8_requantize_params *p, size_t n, const void *in, void *out);
/* CalculateActivationRangeQuantized for int8. */
void qat_i8_activation_range(qat_ir_act act, float scale, int32_t zp, int32_t *act_min,
                             int32_t *act_max);

/* ---- kernel families ------------------------------------------------------------------
 * The kernels above are the portable reference. CONV_2D and FULLY_CONNECTED (their
 * multiply-accumulate loops and the requantization of their outputs) and MAX_POOL_2D also
 * have vector forms, which the engine runs where the processor has the instructions. Integer
 * sums are exact in any order and the vector requantization is TFLite's arithmetic lane by
 * lane, so every family writes the same bytes as the portable kernels (tests/unit/
 * test_int8_vector.c proves it on random shapes and values). */
typedef enum qat_i8_isa {
    QAT_I8_ISA_PORTABLE, /* the C kernels above, any processor: the reference */
    QAT_I8_ISA_AVX2,     /* 16-bit pair multiply-adds (vpmaddwd) into 8 int32 lanes */
    QAT_I8_ISA_AVXVNNI,  /* the same with AVX-VNNI's fused vpdpwssd (256-bit) */
    QAT_I8_ISA_AVX512,   /* AVX-512 F/BW/VL + VNNI: vpdpwssd into 16 int32 lanes */
    QAT_I8_ISA_COUNT
} qat_i8_isa;

/* The family qat_i8_prepare uses: the widest this processor runs, or the one named by the
 * environment variable QATRAIN_INT8 = portable | avx2 | avxvnni | avx512 (read once, for
 * tests that compare the families on whole runs; one the processor lacks falls back to a
 * narrower one). */
qat_i8_isa qat_i8_isa_used(void);
const char *qat_i8_isa_name(qat_i8_isa isa);
/* Whether this processor can run the family. */
int qat_i8_isa_supported(qat_i8_isa isa);

/* The engine over an IR. */
typedef struct qat_i8_prepared qat_i8_prepared; /* per-node multipliers, clamps (opaque) */

typedef struct qat_i8_engine {
    const qat_ir *ir;           /* borrowed; must outlive the engine */
    qat_i8_prepared *nodes;     /* owned */
    size_t *offset;             /* per tensor: byte offset in the arena (activations) */
    size_t arena_bytes;         /* the memory plan's total: the activations, which is TFLM's
                                   head section (qat_i8_tflm_arena_estimate: its whole arena) */
    unsigned char *arena;       /* owned, 16-byte aligned */
    qat_i8_isa isa;             /* the kernel family Invoke runs */
    int16_t *scratch;           /* owned: the vector kernels' widened input image */
} qat_i8_engine;

/* Checks every node (types, shapes, quantization rules TFLM enforces), computes the
 * kernels' parameters, plans and allocates the arena. `source` names the model in errors
 * (required): the file it was read from, or what it is ("int8 evaluation"). Each error is
 * one line, "SOURCE: operator I (OP): ..." naming the tensor, or "SOURCE: ..." for the
 * model as a whole (no operators, an input with no values). On failure eng is zeroed. */
qat_status qat_i8_prepare(qat_i8_engine *eng, const qat_ir *ir, const char *source,
                          qat_error *e);
/* The same with a given kernel family (qat_i8_prepare: qat_i8_isa_used()); one this
 * processor lacks falls back to a narrower one (eng->isa tells which runs). */
qat_status qat_i8_prepare_isa(qat_i8_engine *eng, const qat_ir *ir, qat_i8_isa isa,
                              const char *source, qat_error *e);
/* Runs one sample: copies `input` (the input tensor's bytes) in and the output tensor's
 * bytes out. */
void qat_i8_invoke(qat_i8_engine *eng, const void *input, void *output);
/* The same, calling trace(ctx, node, tensor, data) with each node's output while it is
 * still in the arena (node −1: the input), so intermediate tensors can be inspected. */
typedef void (*qat_i8_trace_fn)(void *ctx, int node, int tensor, const void *data);
void qat_i8_invoke_traced(qat_i8_engine *eng, const void *input, void *output,
                          qat_i8_trace_fn trace, void *ctx);
void qat_i8_free(qat_i8_engine *eng);

/* ---- batches on several threads ----------------------------------------------------------
 * qat_i8_run_batch runs samples 0 … n−1 through the IR: fill(ctx, thread, i, input) writes
 * sample i's input tensor bytes (called once for each i, by thread number `thread` in
 * [0, threads): calls on different threads run concurrently), and sample i's output bytes
 * go to outputs + i·(output bytes).
 * `threads` threads (at most 8; fewer when there are fewer than 32 samples a thread) each
 * prepare their own engine with qat_i8_isa_used() and take one contiguous block; the
 * outputs are the same bytes whatever the number of threads. Errors as qat_i8_prepare. */
typedef void (*qat_i8_fill_fn)(void *ctx, int thread, size_t i, void *input);
qat_status qat_i8_run_batch(const qat_ir *ir, size_t n, qat_i8_fill_fn fill, void *ctx,
                            void *outputs, int threads, const char *source, qat_error *e);
/* The default thread count: the environment variable QATRAIN_THREADS, else the number of
 * processors online; between 1 and 8. */
int qat_i8_threads(void);

/* ---- TensorFlow Lite Micro's tensor arena ---------------------------------------------------
 * What MicroInterpreter::AllocateTensors() takes from the arena for an IR the engine accepts,
 * replayed allocation by allocation from TFLM's source (tflite-micro 90b983c, the commit the
 * golden vectors come from): reference kernels, TF_LITE_STATIC_MEMORY, one 16-byte-aligned
 * arena managed by SingleArenaBufferAllocator, GreedyMemoryPlanner.
 *
 * The head (non-persistent) section is the greedy plan of the activation tensors (the
 * engine's own plan, its arena_bytes; the reference kernels request no scratch buffers for
 * int8 weights). While AllocateTensors runs, the head also holds the scratch-buffer
 * requests, each kernel Prepare's temporary TfLiteTensors, the planner's AllocationInfo
 * array and its bookkeeping (40 bytes per planned buffer, from whatever is left between
 * head and tail): these can need more arena than the final figure. The tail (persistent) section holds the interpreter's
 * allocator objects, one TfLiteEvalTensor per tensor of the model, one NodeAndRegistration
 * and one builtin-options struct per operator, each kernel's OpData (with per-channel
 * multiplier and shift arrays for CONV_2D, DEPTHWISE_CONV_2D and per-channel
 * FULLY_CONNECTED), and persistent TfLiteTensors for the graph input and output; each
 * allocation aligned as TFLM aligns it. The sizes of those structs depend on the pointer
 * size of the build. */
typedef enum qat_i8_abi {
    QAT_I8_ABI_LP64,  /* 64-bit pointers: a desktop or CI host build (the golden figures) */
    QAT_I8_ABI_ILP32, /* 32-bit pointers: ESP32 (Xtensa), Cortex-M */
    QAT_I8_ABI_COUNT
} qat_i8_abi;

typedef struct qat_i8_tflm_arena {
    size_t activations;  /* head: the memory plan of the activation tensors */
    size_t tensors;      /* tail: TfLiteEvalTensors; the graph input's and output's TfLiteTensors */
    size_t operators;    /* tail: NodeAndRegistrations and builtin options */
    size_t kernel_data;  /* tail: OpData and per-channel multipliers and shifts */
    size_t runtime;      /* tail: the allocator, planner and subgraph bookkeeping */
    size_t used;         /* arena_used_bytes() after AllocateTensors: the sum of the above */
    size_t min;          /* the smallest arena (a multiple of 16) AllocateTensors accepts:
                            `used`, or more where a transient allocation peaks higher */
    size_t recommended;  /* min + 256 bytes + min / 16, rounded up to 16: room for another
                            TFLM version or struct layout; optimized kernels (CMSIS-NN,
                            esp-nn) may request scratch buffers beyond it */
} qat_i8_tflm_arena;

/* Fills *a for a build with the given pointer size. QAT_ERR_FORMAT when a convolution's
 * filter is not 4-D; QAT_ERR_NOMEM. */
qat_status qat_i8_tflm_arena_estimate(const qat_ir *ir, qat_i8_abi abi, qat_i8_tflm_arena *a,
                                      qat_error *e);
/* "64-bit host", "32-bit MCU". */
const char *qat_i8_abi_name(qat_i8_abi abi);

#endif

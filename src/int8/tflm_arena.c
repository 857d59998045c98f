/* A model of TensorFlow Lite Micro's tensor arena (see int8.h): MicroInterpreter's
 * constructor and AllocateTensors() replayed, allocation by allocation, on a model of
 * SingleArenaBufferAllocator that tracks offsets instead of addresses.
 *
 * The arena starts 16-byte aligned and its size is a multiple of 16 (the golden figures are
 * searched in 16-byte steps), so an allocation's alignment is the same whether counted from
 * the start (head, temp) or from the end (tail), and every step's "does it fit" check turns
 * into a lower bound on the arena size. The largest bound is the smallest arena that works.
 *
 * Sources (github.com/tensorflow/tflite-micro, tensorflow/lite/micro/): micro_interpreter.cc,
 * micro_interpreter_graph.cc, micro_allocator.cc (StartModelAllocation,
 * FinishModelAllocation, CommitStaticMemoryPlan, InitializeTfLiteTensorFromFlatbuffer),
 * micro_allocation_info.cc, memory_planner/greedy_memory_planner.{h,cc},
 * arena_allocator/single_arena_buffer_allocator.cc, kernels/{conv,depthwise_conv,
 * fully_connected,pooling,softmax,reshape,quantize,dequantize}_common.cc and their .h (OpData),
 * core/c/common.h (the TF_LITE_STATIC_MEMORY structs), c/builtin_op_data.h (options). */
#include <stdlib.h>

#include "plan.h"
#include "qat/int8.h"

/* ScratchBufferRequests the head holds for the next kernel (kMaxScratchBuffersPerOp). */
#define MAX_SCRATCH_PER_OP 12
/* GreedyMemoryPlanner::per_buffer_size(): BufferRequirements (16) + two ints for sorting +
 * ListEntry (12) + an int for the offset; pointer-size independent. */
#define PLANNER_BYTES_PER_BUFFER 40
/* AllocatePersistentBuffer through the TfLiteContext (OpData, per-channel arrays, the
 * input/output pointer arrays) aligns to MicroArenaBufferAlignment(). */
#define CONTEXT_ALIGN QAT_I8_ARENA_ALIGN
/* Builtin options are structs of ints, enums and bools: alignment 4 on every target. */
#define OPTIONS_ALIGN 4
/* TfLiteIntArray {int size; int data[];}, alignment 4. */
#define INT_ARRAY_BYTES(n) (4 + 4 * (size_t)(n))

/* sizeof of TFLM's structs for one pointer size, as x86-64 (LP64) and 32-bit ARM / Xtensa
 * (ILP32) lay them out (checked with clang -fdump-record-layouts on transcriptions of the
 * headers). A struct holding a pointer is aligned to the pointer size. */
typedef struct abi {
    size_t ptr;              /* sizeof(void *), sizeof(size_t) */
    size_t single_arena;     /* SingleArenaBufferAllocator: 2 vptrs, 5 pointers, intptr_t, int */
    size_t planner;          /* GreedyMemoryPlanner: vptr, 6 pointers, 4 ints, bool */
    size_t allocator;        /* MicroAllocator: vptr, 5 pointers, bool, 2 size_t */
    size_t builtin_allocator;/* MicroBuiltinDataAllocator: vptr, pointer */
    size_t eval_tensor;      /* TfLiteEvalTensor: data, dims, type */
    size_t tensor;           /* TfLiteTensor (static memory): quantization, params, data,
                                dims, bytes, type, allocation_type, is_variable */
    size_t affine_quant;     /* TfLiteAffineQuantization: scale, zero_point, int32 */
    size_t node;             /* NodeAndRegistration: TfLiteNode (6 pointers, int), pointer */
    size_t scratch_request;  /* ScratchBufferRequest: size_t, 2 ints */
    size_t allocation_info;  /* AllocationInfo: size_t, pointer, 3 int32, bool */
    size_t op_data[QAT_IR_OPCODE_COUNT]; /* what the kernel's Init allocates; 0: no Init */
} abi;

static const abi abis[QAT_I8_ABI_COUNT] = {
    [QAT_I8_ABI_LP64] = {
        .ptr = 8, .single_arena = 72, .planner = 72, .allocator = 72, .builtin_allocator = 16,
        .eval_tensor = 24, .tensor = 64, .affine_quant = 24, .node = 64, .scratch_request = 16,
        .allocation_info = 32,
        .op_data = {
            [QAT_IR_CONV_2D] = 72,           /* OpDataConv */
            [QAT_IR_DEPTHWISE_CONV_2D] = 72, /* OpDataConv */
            [QAT_IR_MAX_POOL_2D] = 32,       /* OpDataPooling */
            [QAT_IR_AVERAGE_POOL_2D] = 32,
            [QAT_IR_FULLY_CONNECTED] = 64,   /* OpDataFullyConnected */
            [QAT_IR_SOFTMAX] = 72,           /* SoftmaxParams */
            [QAT_IR_QUANTIZE] = 32,          /* OpDataQuantizeReference */
            [QAT_IR_DEQUANTIZE] = 32,        /* DequantizeOpData */
        },
    },
    [QAT_I8_ABI_ILP32] = {
        .ptr = 4, .single_arena = 36, .planner = 44, .allocator = 36, .builtin_allocator = 8,
        .eval_tensor = 12, .tensor = 40, .affine_quant = 12, .node = 32, .scratch_request = 12,
        .allocation_info = 24,
        .op_data = {
            [QAT_IR_CONV_2D] = 56,
            [QAT_IR_DEPTHWISE_CONV_2D] = 56,
            [QAT_IR_MAX_POOL_2D] = 32,
            [QAT_IR_AVERAGE_POOL_2D] = 32,
            [QAT_IR_FULLY_CONNECTED] = 48,
            [QAT_IR_SOFTMAX] = 48,           /* a double: alignment 8 on ARM and Xtensa */
            [QAT_IR_QUANTIZE] = 32,
            [QAT_IR_DEQUANTIZE] = 32,
        },
    },
};

/* The builtin options each operator's parser allocates (c/builtin_op_data.h): the same on
 * every target. QUANTIZE and DEQUANTIZE have none. */
static const size_t options_bytes[QAT_IR_OPCODE_COUNT] = {
    [QAT_IR_RESHAPE] = 36,           /* TfLiteReshapeParams: int shape[8], num_dimensions */
    [QAT_IR_CONV_2D] = 28,           /* TfLiteConvParams: 7 ints / enums */
    [QAT_IR_DEPTHWISE_CONV_2D] = 28, /* TfLiteDepthwiseConvParams: 7 ints / enums */
    [QAT_IR_MAX_POOL_2D] = 40,       /* TfLitePoolParams: 6 ints, TfLitePaddingValues */
    [QAT_IR_AVERAGE_POOL_2D] = 40,
    [QAT_IR_FULLY_CONNECTED] = 16,   /* TfLiteFullyConnectedParams: 2 enums, 2 bools, enum */
    [QAT_IR_SOFTMAX] = 4,            /* TfLiteSoftmaxParams: float beta */
};

/* The allocator: head and temp grow from the start, tail (persistent) from the end. */
typedef struct sim {
    const abi *a;
    const qat_ir *ir;
    size_t head, temp, tail;
    size_t need;  /* the largest arena size any step so far required */
} sim;

static size_t up(size_t n, size_t align) { return (n + align - 1) / align * align; }

static void require(sim *s, size_t arena) {
    if (arena > s->need) s->need = arena;
}

/* AllocatePersistentBuffer: the tail moves down to an aligned address and must stay at or
 * above the head. Counts the bytes taken, padding included, into *part. */
static void persistent(sim *s, size_t bytes, size_t align, size_t *part) {
    size_t tail = up(s->tail + bytes, align);
    *part += tail - s->tail;
    s->tail = tail;
    require(s, s->head + s->tail);
}

/* AllocateTemp: above the previous temporary allocation, below the tail. */
static void temporary(sim *s, size_t bytes, size_t align) {
    s->temp = up(s->temp, align) + bytes;
    require(s, s->temp + s->tail);
}

/* ResizeBuffer / ReserveNonPersistentOverlayMemory: the head section becomes `bytes` long
 * and the temporary allocations restart above it. */
static void set_head(sim *s, size_t bytes) {
    s->head = s->temp = bytes;
    require(s, s->head + s->tail);
}

/* A TfLiteTensor for tensor t (AllocateTemp/PersistentTfLiteTensor): the struct, and for a
 * quantized tensor a TfLiteAffineQuantization and its zero-point array (the scales stay in
 * the flatbuffer). Temporary when part is NULL; t < 0 (an absent bias) allocates nothing. */
static void tensor_struct(sim *s, int t, size_t *part) {
    if (t < 0) return;
    const int n_q = s->ir->tensors[t].q.n;
    size_t bytes[3] = {s->a->tensor, s->a->affine_quant, INT_ARRAY_BYTES(n_q)};
    size_t align[3] = {s->a->ptr, s->a->ptr, 4};
    for (int k = 0; k < (n_q > 0 ? 3 : 1); k++) {
        if (part) persistent(s, bytes[k], align[k], part);
        else temporary(s, bytes[k], align[k]);
    }
}

static void temp_tensor(sim *s, int t) { tensor_struct(s, t, NULL); }

/* One kernel's Prepare (the TFLM reference kernel's AllocateTemp*Tensor calls, in order),
 * then FinishPrepareNodeAllocations. */
static qat_status prepare(sim *s, int i, qat_i8_tflm_arena *a, qat_error *e) {
    const qat_ir_node *n = &s->ir->nodes[i];
    const int in = n->in[0], w = n->n_in > 1 ? n->in[1] : -1, bias = n->n_in > 2 ? n->in[2] : -1;
    switch (n->op) {
    case QAT_IR_CONV_2D:
    case QAT_IR_DEPTHWISE_CONV_2D: { /* ConvPrepare, DepthwiseConvPrepare */
        const qat_ir_tensor *f = &s->ir->tensors[w];
        if (f->ndim != 4)
            return qat_error_set(e, QAT_ERR_FORMAT, "node %d %s: the filter is not 4-D", i,
                                 qat_ir_opcode_name(n->op));
        size_t channels = (size_t)f->dim[n->op == QAT_IR_CONV_2D ? 0 : 3];
        temp_tensor(s, n->out), temp_tensor(s, in), temp_tensor(s, w);
        persistent(s, 4 * channels, CONTEXT_ALIGN, &a->kernel_data); /* multipliers */
        persistent(s, 4 * channels, CONTEXT_ALIGN, &a->kernel_data); /* shifts */
        /* CalculateOpData(Depthwise)Conv */
        temp_tensor(s, in), temp_tensor(s, w), temp_tensor(s, bias), temp_tensor(s, n->out);
        break;
    }
    case QAT_IR_FULLY_CONNECTED: { /* FullyConnectedPrepare, CalculateOpDataFullyConnected */
        temp_tensor(s, in), temp_tensor(s, w), temp_tensor(s, bias), temp_tensor(s, n->out);
        size_t channels = (size_t)s->ir->tensors[w].q.n;
        if (channels > 1) {
            persistent(s, 4 * channels, CONTEXT_ALIGN, &a->kernel_data);
            persistent(s, 4 * channels, CONTEXT_ALIGN, &a->kernel_data);
        }
        break;
    }
    default: /* RESHAPE, pools, SOFTMAX (int8: no lookup tables), QUANTIZE, DEQUANTIZE */
        temp_tensor(s, in), temp_tensor(s, n->out);
        break;
    }
    set_head(s, s->a->scratch_request * MAX_SCRATCH_PER_OP); /* no scratch requests */
    return QAT_OK;
}

/* CommitStaticMemoryPlan: the AllocationInfo array and the planner's bookkeeping, taken from
 * what is left between temp and tail; then the head becomes the plan's high-water mark.
 * TFLM plans every non-constant tensor with bytes, even one no node writes (lifetime -1). */
static qat_status commit_plan(sim *s, qat_i8_tflm_arena *a, qat_error *e) {
    const qat_ir *ir = s->ir;
    int nb;
    qat_status st = qat_i8_plan_ir(ir, 1, NULL, &a->activations, &nb, e);
    if (st) return st;
    temporary(s, s->a->ptr, s->a->ptr); /* subgraph_offsets: one size_t per subgraph */
    temporary(s, s->a->allocation_info * (size_t)ir->n_tensors, s->a->ptr);
    require(s, s->tail + up(up(s->temp, QAT_I8_ARENA_ALIGN) + PLANNER_BYTES_PER_BUFFER * (size_t)nb,
                            QAT_I8_ARENA_ALIGN));
    set_head(s, a->activations);
    return QAT_OK;
}

/* MicroInterpreter's constructor, StartModelAllocation and the flatbuffer parse. */
static void start(sim *s, qat_i8_tflm_arena *a) {
    const abi *b = s->a;
    const qat_ir *ir = s->ir;
    persistent(s, b->single_arena, b->ptr, &a->runtime);
    persistent(s, b->planner, b->ptr, &a->runtime);
    persistent(s, b->allocator, b->ptr, &a->runtime);
    persistent(s, b->builtin_allocator, b->ptr, &a->runtime);
    set_head(s, b->scratch_request * MAX_SCRATCH_PER_OP);
    persistent(s, 2 * b->ptr, b->ptr, &a->runtime); /* SubgraphAllocations */
    persistent(s, b->eval_tensor * (size_t)ir->n_tensors, b->ptr, &a->tensors);
    persistent(s, b->node * (size_t)ir->n_nodes, b->ptr, &a->operators);
    for (int i = 0; i < ir->n_nodes; i++)
        if (options_bytes[ir->nodes[i].op])
            persistent(s, options_bytes[ir->nodes[i].op], OPTIONS_ALIGN, &a->operators);
}

qat_status qat_i8_tflm_arena_estimate(const qat_ir *ir, qat_i8_abi abi_id, qat_i8_tflm_arena *a,
                                      qat_error *e) {
    QAT_ASSERT(abi_id >= 0 && abi_id < QAT_I8_ABI_COUNT);
    *a = (qat_i8_tflm_arena){0};
    sim s = {.a = &abis[abi_id], .ir = ir};
    start(&s, a);
    for (int i = 0; i < ir->n_nodes; i++) /* InitSubgraphs */
        if (s.a->op_data[ir->nodes[i].op])
            persistent(&s, s.a->op_data[ir->nodes[i].op], CONTEXT_ALIGN, &a->kernel_data);
    qat_status st = QAT_OK;
    for (int i = 0; i < ir->n_nodes && !st; i++) st = prepare(&s, i, a, e); /* PrepareSubgraphs */
    if (!st) st = commit_plan(&s, a, e);
    if (st) return st;
    persistent(&s, s.a->ptr, CONTEXT_ALIGN, &a->tensors); /* input_tensors_ */
    tensor_struct(&s, ir->input, &a->tensors);
    persistent(&s, s.a->ptr, CONTEXT_ALIGN, &a->tensors); /* output_tensors_ */
    tensor_struct(&s, ir->output, &a->tensors);
    a->used = s.head + s.tail;
    a->min = up(s.need, QAT_I8_ARENA_ALIGN);
    a->recommended = up(a->min + 256 + a->min / 16, QAT_I8_ARENA_ALIGN);
    return QAT_OK;
}

const char *qat_i8_abi_name(qat_i8_abi abi_id) {
    static const char *const names[] = {[QAT_I8_ABI_LP64] = "64-bit host",
                                        [QAT_I8_ABI_ILP32] = "32-bit MCU"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_I8_ABI_COUNT, "abi names");
    QAT_ASSERT(abi_id >= 0 && abi_id < QAT_I8_ABI_COUNT);
    return names[abi_id];
}

/* The int8 engine over a qat_ir: Prepare (TFLM's checks, the kernels' parameters, a memory
 * plan), Invoke (one sample through the kernels), Free.
 *
 * Prepare rejects anything TFLM would reject, and anything our kernels do not implement,
 * with one line naming the model (the caller's source name: the file it was read from),
 * the operator's index and opcode, and the offending tensor. Multipliers are computed
 * here from the float32 scales stored in the IR, in each TFLM kernel's own expression order
 * (reference/tflite-int8.md §7), so Invoke is pure integer work apart from (DE)QUANTIZE.
 *
 * Memory plan: every tensor a node writes (and the graph input) is one buffer, live from
 * the node that writes it to the last node that reads it (the graph output to the end), and
 * placed by TFLM's own greedy planner with TFLM's lifetimes (plan.h), so the engine's arena
 * is the head section TFLM plans for the same model. A node's inputs and output are live at
 * the same step, so no kernel ever works in place. arena_bytes covers the activations only:
 * qat_i8_tflm_arena models the whole of TFLM's arena. */
#include "qat/int8.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "vec.h"

#define ARENA_ALIGN QAT_I8_ARENA_ALIGN

struct qat_i8_prepared {
    int in, weights, bias, out; /* tensor indices; -1 when absent */
    int in_shape[4], filter_shape[4], out_shape[4]; /* conv and pool, NHWC / OHWI */
    int rows, depth, out_depth; /* FC: rows × depth → rows × out_depth; softmax: rows × depth */
    size_t count;               /* elements converted by QUANTIZE / DEQUANTIZE */
    size_t bytes;               /* RESHAPE: bytes copied */
    qat_i8_conv_params conv;    /* CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED */
    qat_i8_pool_params pool;
    qat_i8_softmax_params softmax;
    int32_t *multiplier;        /* owned: one per output channel */
    int *shift;                 /* owned, alongside multiplier */
    int8_t *packed;             /* owned: CONV_2D's filter regrouped by qat_i8_conv2d_pack */
    float scale;                /* QUANTIZE from float: output scale; DEQUANTIZE: input scale */
    int32_t in_zp, out_zp;      /* (DE)QUANTIZE from or to float */
    qat_i8_requantize_params requant; /* QUANTIZE between int8 / uint8 tensors */
    qat_i8_vec_conv vec;        /* CONV_2D, FULLY_CONNECTED packed for a vector family
                                   (vec.w NULL: the portable kernel runs) */
};

/* ---- validation context and messages ---------------------------------------------- */

typedef struct ctx {
    const qat_ir *ir;
    const char *source; /* the model's name in messages: its file, or what it is */
    int node;
    qat_error *e;
} ctx;

static qat_status refuse(const ctx *c, qat_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "<source>: operator <i> (<OP>): <message>" as one line (the .tflite reader's form, and
 * the index `qatrain inspect` lists the operator under), with status st: QAT_ERR_FORMAT
 * (bad: the model is broken, no runtime could run it) or QAT_ERR_UNSUPPORTED (a valid model
 * that is not full int8 — a float, float16 or dynamic-range export: TFLite runs it, this
 * engine does not). */
static qat_status refuse(const ctx *c, qat_status st, const char *fmt, ...) {
    char msg[QAT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return qat_error_set(c->e, st, "%s: operator %d (%s): %s", c->source, c->node,
                         qat_ir_opcode_name(c->ir->nodes[c->node].op), msg);
}
#define bad(c, ...) refuse(c, QAT_ERR_FORMAT, __VA_ARGS__)
#define unsupported(c, ...) refuse(c, QAT_ERR_UNSUPPORTED, __VA_ARGS__)

static const qat_ir_tensor *tensor_of(const ctx *c, int idx) { return &c->ir->tensors[idx]; }

static const char *shape_str(const qat_ir_tensor *t, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%d" : "%d", t->dim[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

static qat_status check_type(const ctx *c, int idx, const char *role, qat_ir_type want) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    if (t->type == want) return QAT_OK;
    if (t->type == QAT_IR_FLOAT32 && want == QAT_IR_INT8)
        return unsupported(c, "float32 kernels are not supported by the int8 engine (%s '%s' is FLOAT32; "
                   "it runs full-int8 models such as model_int8.tflite)", role, t->name);
    if (t->type == QAT_IR_UINT8 && want == QAT_IR_INT8)
        return unsupported(c, "uint8 kernels are not supported by the int8 engine (%s '%s' is UINT8; "
                   "uint8 tensors may only be QUANTIZEd to or from int8)", role, t->name);
    return bad(c, "%s '%s' has type %s, expected %s", role, t->name, qat_ir_type_name(t->type),
               qat_ir_type_name(want));
}

static qat_status check_rank(const ctx *c, int idx, const char *role, int ndim) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    char s[64];
    if (t->ndim == ndim) return QAT_OK;
    return bad(c, "%s '%s' has shape %s, expected rank %d", role, t->name,
               shape_str(t, s, sizeof s), ndim);
}

static int scale_ok(float s) { return isfinite(s) && s > 0.0f; }

/* An int8 (or uint8) activation: one scale, one zero point in the type's range. */
static qat_status check_act_q(const ctx *c, int idx, const char *role) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    int32_t lo, hi;
    if (t->q.n != 1)
        return bad(c, "%s '%s' needs per-tensor quantization (has %d scales)", role, t->name,
                   t->q.n);
    if (!scale_ok(t->q.scale[0]))
        return bad(c, "%s '%s' has invalid scale %g", role, t->name, (double)t->q.scale[0]);
    qat_ir_type_range(t->type, &lo, &hi);
    if (t->q.zero_point[0] < lo || t->q.zero_point[0] > hi)
        return bad(c, "%s '%s' zero point %d is outside [%d, %d]", role, t->name,
                   (int)t->q.zero_point[0], (int)lo, (int)hi);
    return QAT_OK;
}

/* Weights: quantization present, one scale or one per channel along `axis`, zero points 0. */
static qat_status check_weight_q(const ctx *c, int idx, const char *role, int channels, int axis) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    if (t->q.n < 1) return bad(c, "%s '%s' has no quantization parameters", role, t->name);
    if (t->q.n != 1 && t->q.n != channels)
        return bad(c, "%s '%s' has %d scales for %d output channels", role, t->name, t->q.n,
                   channels);
    if (t->q.n > 1 && t->q.axis != axis)
        return bad(c, "%s '%s' is quantized along dimension %d, expected %d", role, t->name,
                   t->q.axis, axis);
    for (int i = 0; i < t->q.n; i++) {
        if (!scale_ok(t->q.scale[i]))
            return bad(c, "%s '%s' has invalid scale %g", role, t->name, (double)t->q.scale[i]);
        if (t->q.zero_point[i] != 0)
            return bad(c, "%s '%s' zero point %d, expected 0 (symmetric weights)", role, t->name,
                       (int)t->q.zero_point[i]);
    }
    return QAT_OK;
}

static qat_status check_const(const ctx *c, int idx, const char *role) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    const size_t want = qat_ir_tensor_count(t) * qat_ir_type_size(t->type);
    if (!t->data) return bad(c, "%s '%s' must be a constant tensor", role, t->name);
    if (t->bytes != want)
        return bad(c, "%s '%s' holds %zu bytes, its shape needs %zu", role, t->name, t->bytes, want);
    return QAT_OK;
}

/* The bias of a conv / FC: int32, constant, quantized, one value per output channel. */
static qat_status check_bias(const ctx *c, int idx, int channels) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    qat_status s;
    if ((s = check_type(c, idx, "bias", QAT_IR_INT32)) || (s = check_const(c, idx, "bias")))
        return s;
    if (t->q.n < 1) return bad(c, "bias '%s' has no quantization parameters", t->name);
    if (qat_ir_tensor_count(t) != (size_t)channels)
        return bad(c, "bias '%s' has %zu values for %d output channels", t->name,
                   qat_ir_tensor_count(t), channels);
    return QAT_OK;
}

static qat_status check_shape(const ctx *c, int idx, const char *role, int ndim, const int *dim) {
    const qat_ir_tensor *t = tensor_of(c, idx);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->dim[i] == dim[i];
    if (same) return QAT_OK;
    char got[64], want[64];
    qat_ir_tensor fake = {.ndim = ndim};
    for (int i = 0; i < ndim; i++) fake.dim[i] = dim[i];
    return bad(c, "%s '%s' has shape %s, expected %s", role, t->name,
               shape_str(t, got, sizeof got), shape_str(&fake, want, sizeof want));
}

/* Pools and reshapes pass raw values through, so in and out must mean the same thing:
 * TFLM's pooling Prepare tolerance (|Δscale| <= 1e-6, equal zero points). */
static qat_status check_same_q(const ctx *c, int in, int out) {
    const qat_ir_tensor *a = tensor_of(c, in), *b = tensor_of(c, out);
    if (fabs((double)a->q.scale[0] - (double)b->q.scale[0]) <= 1e-6 &&
        a->q.zero_point[0] == b->q.zero_point[0])
        return QAT_OK;
    return bad(c, "output '%s' (scale %g, zero point %d) must keep input '%s' (scale %g, zero point %d)",
               b->name, (double)b->q.scale[0], (int)b->q.zero_point[0], a->name,
               (double)a->q.scale[0], (int)a->q.zero_point[0]);
}

/* ---- padding (kernels/padding.h) ----------------------------------------------------- */

static int out_size(qat_ir_padding pad, int in, int filter, int stride, int dilation) {
    const int eff = (filter - 1) * dilation + 1;
    return pad == QAT_IR_PAD_SAME ? (in + stride - 1) / stride : (in + stride - eff) / stride;
}

/* pad_before = total/2; the odd extra pad goes at the end, implicitly (taps skipped). */
static int pad_before(int in, int filter, int stride, int dilation, int out) {
    const int total = (out - 1) * stride + (filter - 1) * dilation + 1 - in;
    return total > 0 ? total / 2 : 0;
}

static qat_status check_geometry(const ctx *c, const qat_ir_node *n, int dilated) {
    if (n->padding != QAT_IR_PAD_SAME && n->padding != QAT_IR_PAD_VALID)
        return bad(c, "unknown padding %d", (int)n->padding);
    if (n->stride_w < 1 || n->stride_h < 1)
        return bad(c, "strides %dx%d must be >= 1", n->stride_h, n->stride_w);
    if (dilated && (n->dilation_w < 1 || n->dilation_h < 1))
        return bad(c, "dilations %dx%d must be >= 1", n->dilation_h, n->dilation_w);
    return QAT_OK;
}

/* Output [b, oh, ow, oc] of a window op over input [b, h, w, c]; sets the padding. */
static qat_status window_output(const ctx *c, const qat_ir_node *n, int fh, int fw, int dh,
                                int dw, int oc, int *out_shape, int *pad_h, int *pad_w) {
    const qat_ir_tensor *in = tensor_of(c, n->in[0]);
    /* The kernels compute window coordinates in int (origin + dilation · tap, padding, the
     * next origin): with size + stride + effective filter within int32, none overflows. */
    const int64_t eff_h = (int64_t)(fh - 1) * dh + 1, eff_w = (int64_t)(fw - 1) * dw + 1;
    if (in->dim[1] + (int64_t)n->stride_h + eff_h > INT32_MAX ||
        in->dim[2] + (int64_t)n->stride_w + eff_w > INT32_MAX)
        return bad(c, "window %dx%d (dilation %dx%d, stride %dx%d) over input '%s' (%dx%d) is too "
                   "large", fh, fw, dh, dw, n->stride_h, n->stride_w, in->name, in->dim[1],
                   in->dim[2]);
    const int oh = out_size(n->padding, in->dim[1], fh, n->stride_h, dh);
    const int ow = out_size(n->padding, in->dim[2], fw, n->stride_w, dw);
    if (oh < 1 || ow < 1)
        return bad(c, "window %dx%d does not fit input '%s' (%dx%d) with VALID padding", fh, fw,
                   in->name, in->dim[1], in->dim[2]);
    const int shape[4] = {in->dim[0], oh, ow, oc};
    memcpy(out_shape, shape, sizeof shape);
    *pad_h = pad_before(in->dim[1], fh, n->stride_h, dh, oh);
    *pad_w = pad_before(in->dim[2], fw, n->stride_w, dw, ow);
    return check_shape(c, n->out, "output", 4, out_shape);
}

/* ---- per-op prepare ------------------------------------------------------------------- */

static qat_status alloc_multipliers(const ctx *c, qat_i8_prepared *p, int n) {
    p->multiplier = malloc((size_t)n * sizeof *p->multiplier);
    p->shift = malloc((size_t)n * sizeof *p->shift);
    if (!p->multiplier || !p->shift)
        return qat_error_set(c->e, QAT_ERR_NOMEM, "%s: operator %d: out of memory", c->source,
                             c->node);
    p->conv.multiplier = p->multiplier;
    p->conv.shift = p->shift;
    return QAT_OK;
}

/* Offsets and the fused-activation clamp shared by conv, depthwise and FC. */
static void conv_common(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *out = tensor_of(c, n->out);
    p->conv.input_offset = -in->q.zero_point[0];
    p->conv.output_offset = out->q.zero_point[0];
    qat_i8_activation_range(n->act, out->q.scale[0], out->q.zero_point[0], &p->conv.act_min,
                            &p->conv.act_max);
}

/* PopulateConvolutionQuantizationParams: m_c = (double)s_in · (double)s_w[c] / (double)s_out,
 * a single filter scale broadcast to every channel. */
static void per_channel_multipliers(const ctx *c, const qat_ir_node *n, int weights, int channels,
                                    qat_i8_prepared *p) {
    const qat_ir_tensor *w = tensor_of(c, weights);
    const float s_in = tensor_of(c, n->in[0])->q.scale[0], s_out = tensor_of(c, n->out)->q.scale[0];
    for (int ch = 0; ch < channels; ch++)
        qat_affine_multiplier(s_in, w->q.scale[w->q.n == 1 ? 0 : ch], s_out, 0,
                              &p->multiplier[ch], &p->shift[ch]);
}

/* The kernels accumulate in int32 as TFLM does: Σ w·(x − z_in) over `depth` taps (each term
 * within ±128·255), + bias, × 2^shift when shift > 0 (wrapping), then + z_out after the
 * fixed-point multiply. TFLM lets a hostile model overflow there, which is undefined in C;
 * prepare rejects any channel whose worst case does not fit (real models stay orders of
 * magnitude inside it). Call after the multipliers are set. */
static qat_status check_accumulator(const ctx *c, const qat_ir_node *n, const qat_i8_prepared *p,
                                    int channels, int64_t depth) {
    const int32_t *bias = n->in[2] >= 0 ? tensor_of(c, n->in[2])->data : NULL;
    const int64_t taps = depth * 128 * 255;
    for (int ch = 0; ch < channels; ch++) {
        int64_t worst = taps + (bias ? llabs((int64_t)bias[ch]) : 0);
        const int64_t limit = p->shift[ch] >= 0 ? INT32_MAX - 256 : INT32_MAX;
        for (int k = 0; k < p->shift[ch] && worst <= limit; k++) worst *= 2;
        if (depth > INT32_MAX || worst > limit)
            return bad(c, "output channel %d could overflow the int32 accumulator (%lld taps, "
                       "bias %d, multiplier shift %d)", ch, (long long)depth,
                       bias ? (int)bias[ch] : 0, p->shift[ch]);
    }
    return QAT_OK;
}

static qat_status check_int8_io(const ctx *c, const qat_ir_node *n) {
    qat_status s;
    if ((s = check_type(c, n->in[0], "input", QAT_IR_INT8)) ||
        (s = check_type(c, n->out, "output", QAT_IR_INT8)) ||
        (s = check_act_q(c, n->in[0], "input")) || (s = check_act_q(c, n->out, "output")))
        return s;
    return QAT_OK;
}

/* The filter and bias of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED. */
static qat_status check_filter_bias(const ctx *c, const qat_ir_node *n, int rank, int channels,
                                    int axis) {
    const char *role = n->op == QAT_IR_FULLY_CONNECTED ? "weights" : "filter";
    qat_status s;
    if ((s = check_type(c, n->in[1], role, QAT_IR_INT8)) || (s = check_rank(c, n->in[1], role, rank)) ||
        (s = check_const(c, n->in[1], role)))
        return s;
    if (channels >= 0 && (s = check_weight_q(c, n->in[1], role, channels, axis))) return s;
    if (channels >= 0 && n->in[2] >= 0 && (s = check_bias(c, n->in[2], channels))) return s;
    return QAT_OK;
}

static qat_status prepare_conv(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    qat_status s;
    if ((s = check_int8_io(c, n)) || (s = check_rank(c, n->in[0], "input", 4)) ||
        (s = check_filter_bias(c, n, 4, -1, 0)) || (s = check_geometry(c, n, 1)))
        return s;
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *f = tensor_of(c, n->in[1]);
    const int oc = f->dim[0], fc = f->dim[3];
    if (fc < 1 || in->dim[3] < fc || in->dim[3] % fc != 0 || oc % (in->dim[3] / fc) != 0)
        return bad(c, "filter '%s' has %d input channels, incompatible with input '%s' (%d)",
                   f->name, fc, in->name, in->dim[3]);
    if ((s = check_filter_bias(c, n, 4, oc, 0)) ||
        (s = window_output(c, n, f->dim[1], f->dim[2], n->dilation_h, n->dilation_w, oc,
                           p->out_shape, &p->conv.pad_h, &p->conv.pad_w)) ||
        (s = alloc_multipliers(c, p, oc)))
        return s;
    p->packed = malloc(qat_i8_conv2d_packed_size(f->dim, in->dim[3]));
    if (!p->packed)
        return qat_error_set(c->e, QAT_ERR_NOMEM, "%s: operator %d: out of memory", c->source,
                             c->node);
    qat_i8_conv2d_pack(f->dim, in->dim[3], f->data, p->packed);
    memcpy(p->in_shape, in->dim, sizeof p->in_shape);
    memcpy(p->filter_shape, f->dim, sizeof p->filter_shape);
    p->conv.stride_w = n->stride_w, p->conv.stride_h = n->stride_h;
    p->conv.dilation_w = n->dilation_w, p->conv.dilation_h = n->dilation_h;
    conv_common(c, n, p);
    per_channel_multipliers(c, n, n->in[1], oc, p);
    return check_accumulator(c, n, p, oc, (int64_t)f->dim[1] * f->dim[2] * fc);
}

static qat_status prepare_depthwise(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    qat_status s;
    if ((s = check_int8_io(c, n)) || (s = check_rank(c, n->in[0], "input", 4)) ||
        (s = check_filter_bias(c, n, 4, -1, 3)) || (s = check_geometry(c, n, 1)))
        return s;
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *f = tensor_of(c, n->in[1]);
    const int oc = f->dim[3], dm = n->depth_multiplier;
    if (f->dim[0] != 1) return bad(c, "filter '%s' dimension 0 is %d, expected 1", f->name, f->dim[0]);
    if (dm < 1 || in->dim[3] * dm != oc)
        return bad(c, "filter '%s' has %d channels, expected input channels %d x depth multiplier %d",
                   f->name, oc, in->dim[3], dm);
    if ((s = check_filter_bias(c, n, 4, oc, 3)) ||
        (s = window_output(c, n, f->dim[1], f->dim[2], n->dilation_h, n->dilation_w, oc,
                           p->out_shape, &p->conv.pad_h, &p->conv.pad_w)) ||
        (s = alloc_multipliers(c, p, oc)))
        return s;
    memcpy(p->in_shape, in->dim, sizeof p->in_shape);
    memcpy(p->filter_shape, f->dim, sizeof p->filter_shape);
    p->conv.stride_w = n->stride_w, p->conv.stride_h = n->stride_h;
    p->conv.dilation_w = n->dilation_w, p->conv.dilation_h = n->dilation_h;
    p->conv.depth_multiplier = dm;
    conv_common(c, n, p);
    per_channel_multipliers(c, n, n->in[1], oc, p);
    return check_accumulator(c, n, p, oc, (int64_t)f->dim[1] * f->dim[2]);
}

/* GetQuantizedConvolutionMultipler (per-tensor FC): the product s_in·s_w is formed in
 * float32, then widened; TFLM also insists the bias scale matches it within 2% of s_out. */
static qat_status fc_per_tensor_multiplier(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    const float s_in = tensor_of(c, n->in[0])->q.scale[0], s_w = tensor_of(c, n->in[1])->q.scale[0];
    const float s_out = tensor_of(c, n->out)->q.scale[0];
    const double product = (double)(s_in * s_w);
    if (n->in[2] >= 0) {
        const qat_ir_tensor *b = tensor_of(c, n->in[2]);
        if (fabs(product - (double)b->q.scale[0]) / (double)s_out > 0.02)
            return bad(c, "bias '%s' scale %g differs from input x weights scale %g by more than 2%% of the output scale",
                       b->name, (double)b->q.scale[0], product);
    }
    int32_t m;
    int sh;
    qat_affine_multiplier(s_in, s_w, s_out, 1, &m, &sh);
    for (int ch = 0; ch < p->out_depth; ch++) p->multiplier[ch] = m, p->shift[ch] = sh;
    return QAT_OK;
}

static qat_status prepare_fc(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    qat_status s;
    if ((s = check_int8_io(c, n)) || (s = check_filter_bias(c, n, 2, -1, 0))) return s;
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *w = tensor_of(c, n->in[1]), *out = tensor_of(c, n->out);
    p->out_depth = w->dim[0];
    p->depth = w->dim[1];
    if ((s = check_filter_bias(c, n, 2, p->out_depth, 0))) return s;
    if (p->depth < 1 || qat_ir_tensor_count(in) % (size_t)p->depth != 0)
        return bad(c, "input '%s' has %zu values, not a multiple of the weights' depth %d",
                   in->name, qat_ir_tensor_count(in), p->depth);
    p->rows = (int)(qat_ir_tensor_count(in) / (size_t)p->depth);
    if (out->ndim < 1 || out->dim[out->ndim - 1] != p->out_depth ||
        qat_ir_tensor_count(out) != (size_t)p->rows * (size_t)p->out_depth) {
        char got[64];
        return bad(c, "output '%s' has shape %s, expected %d rows of %d", out->name,
                   shape_str(out, got, sizeof got), p->rows, p->out_depth);
    }
    if ((s = alloc_multipliers(c, p, p->out_depth))) return s;
    conv_common(c, n, p);
    if (w->q.n > 1) per_channel_multipliers(c, n, n->in[1], p->out_depth, p);
    else if ((s = fc_per_tensor_multiplier(c, n, p))) return s;
    return check_accumulator(c, n, p, p->out_depth, p->depth);
}

static qat_status prepare_pool(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    qat_status s;
    if ((s = check_int8_io(c, n)) || (s = check_rank(c, n->in[0], "input", 4)) ||
        (s = check_geometry(c, n, 0)))
        return s;
    if (n->filter_w < 1 || n->filter_h < 1)
        return bad(c, "filter %dx%d must be >= 1", n->filter_h, n->filter_w);
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *out = tensor_of(c, n->out);
    if ((s = window_output(c, n, n->filter_h, n->filter_w, 1, 1, in->dim[3], p->out_shape,
                           &p->pool.pad_h, &p->pool.pad_w)) ||
        (s = check_same_q(c, n->in[0], n->out)))
        return s;
    /* the average's int32 sum of up to 128 per tap, over the window clipped to the input */
    const int64_t taps = (int64_t)(n->filter_h < in->dim[1] ? n->filter_h : in->dim[1]) *
                         (n->filter_w < in->dim[2] ? n->filter_w : in->dim[2]);
    if (n->op == QAT_IR_AVERAGE_POOL_2D && taps * 128 > INT32_MAX)
        return bad(c, "filter %dx%d: a sum over %lld taps could overflow int32", n->filter_h,
                   n->filter_w, (long long)taps);
    memcpy(p->in_shape, in->dim, sizeof p->in_shape);
    p->pool.stride_w = n->stride_w, p->pool.stride_h = n->stride_h;
    p->pool.filter_w = n->filter_w, p->pool.filter_h = n->filter_h;
    qat_i8_activation_range(n->act, out->q.scale[0], out->q.zero_point[0], &p->pool.act_min,
                            &p->pool.act_max);
    return QAT_OK;
}

static qat_status prepare_softmax(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    qat_status s;
    if ((s = check_int8_io(c, n))) return s;
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *out = tensor_of(c, n->out);
    if (in->ndim < 1) return bad(c, "input '%s' must have rank >= 1", in->name);
    if ((s = check_shape(c, n->out, "output", in->ndim, in->dim))) return s;
    if (out->q.scale[0] != 1.0f / 256 || out->q.zero_point[0] != -128)
        return bad(c, "output '%s' must have scale 1/256 and zero point -128 (has %g, %d)",
                   out->name, (double)out->q.scale[0], (int)out->q.zero_point[0]);
    /* QuantizeMultiplierGreaterThanOne needs β·s_in·2^26 > 1 */
    if (!((double)n->beta * (double)in->q.scale[0] * (double)(1 << 26) > 1.0))
        return bad(c, "beta %g x input '%s' scale %g is too small for the fixed-point softmax",
                   (double)n->beta, in->name, (double)in->q.scale[0]);
    p->depth = in->dim[in->ndim - 1];
    p->rows = p->depth ? (int)(qat_ir_tensor_count(in) / (size_t)p->depth) : 0;
    qat_i8_softmax_prepare((double)in->q.scale[0], (double)n->beta, &p->softmax);
    return QAT_OK;
}

static qat_status prepare_reshape(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *out = tensor_of(c, n->out);
    qat_status s;
    if (in->type != QAT_IR_INT8 && in->type != QAT_IR_FLOAT32)
        return bad(c, "input '%s' has type %s, expected INT8 or FLOAT32", in->name,
                   qat_ir_type_name(in->type));
    if ((s = check_type(c, n->out, "output", in->type))) return s;
    if (qat_ir_tensor_count(in) != qat_ir_tensor_count(out)) {
        char a[64], b[64];
        return bad(c, "output '%s' shape %s has a different size than input '%s' shape %s",
                   out->name, shape_str(out, a, sizeof a), in->name, shape_str(in, b, sizeof b));
    }
    if (in->type == QAT_IR_INT8 &&
        ((s = check_act_q(c, n->in[0], "input")) || (s = check_act_q(c, n->out, "output")) ||
         (s = check_same_q(c, n->in[0], n->out))))
        return s;
    p->bytes = qat_ir_tensor_count(in) * qat_ir_type_size(in->type);
    return QAT_OK;
}

static qat_status check_same_count(const ctx *c, const qat_ir_node *n) {
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *out = tensor_of(c, n->out);
    if (qat_ir_tensor_count(in) == qat_ir_tensor_count(out)) return QAT_OK;
    char a[64], b[64];
    return bad(c, "output '%s' shape %s differs from input '%s' shape %s", out->name,
               shape_str(out, a, sizeof a), in->name, shape_str(in, b, sizeof b));
}

/* The conversions TFLM's QUANTIZE implements for the types the IR has: float32 → int8 and,
 * between integer tensors, int8 → int8, uint8 → int8 and int8 → uint8 (quantize_common.cc). */
static qat_status check_quantize_types(const ctx *c, const qat_ir_tensor *in,
                                       const qat_ir_tensor *out) {
    const qat_ir_type a = in->type, b = out->type;
    if ((a == QAT_IR_FLOAT32 || a == QAT_IR_INT8 || a == QAT_IR_UINT8) &&
        (b == QAT_IR_INT8 || (b == QAT_IR_UINT8 && a == QAT_IR_INT8)))
        return QAT_OK;
    return unsupported(c, "QUANTIZE from %s ('%s') to %s ('%s') is not supported, only FLOAT32, "
                       "INT8 or UINT8 to INT8, and INT8 to UINT8", qat_ir_type_name(a), in->name,
                       qat_ir_type_name(b), out->name);
}

static qat_status prepare_quantize(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    const qat_ir_tensor *in = tensor_of(c, n->in[0]), *out = tensor_of(c, n->out);
    qat_status s;
    if ((s = check_quantize_types(c, in, out)) || (s = check_act_q(c, n->out, "output")) ||
        (s = check_same_count(c, n)))
        return s;
    p->count = qat_ir_tensor_count(in);
    p->scale = out->q.scale[0];
    p->out_zp = out->q.zero_point[0];
    if (in->type == QAT_IR_FLOAT32) return QAT_OK;
    if ((s = check_act_q(c, n->in[0], "input"))) return s;
    p->requant = (qat_i8_requantize_params){.in_type = in->type, .out_type = out->type,
                                            .in_zp = in->q.zero_point[0], .out_zp = p->out_zp};
    qat_quantize_multiplier((double)in->q.scale[0] / (double)out->q.scale[0],
                            &p->requant.multiplier, &p->requant.shift);
    return QAT_OK;
}

static qat_status prepare_dequantize(const ctx *c, const qat_ir_node *n, qat_i8_prepared *p) {
    const qat_ir_tensor *in = tensor_of(c, n->in[0]);
    qat_status s;
    if (in->type != QAT_IR_INT8)
        return unsupported(c, "DEQUANTIZE from %s ('%s') is not supported by the int8 engine",
                   qat_ir_type_name(in->type), in->name);
    if ((s = check_type(c, n->out, "output", QAT_IR_FLOAT32)) ||
        (s = check_act_q(c, n->in[0], "input")) || (s = check_same_count(c, n)))
        return s;
    p->count = qat_ir_tensor_count(in);
    p->scale = in->q.scale[0];
    p->in_zp = in->q.zero_point[0];
    return QAT_OK;
}

/* ---- graph structure ------------------------------------------------------------------- */

/* Indices in range, required inputs present, outputs written once and holding values,
 * activations read only after they are written (never an operator's own output).
 * `written` marks tensors available so far. */
static qat_status check_wiring(const ctx *c, const qat_ir_node *n, unsigned char *written) {
    static const int n_required[QAT_IR_OPCODE_COUNT] = {
        [QAT_IR_RESHAPE] = 1, [QAT_IR_CONV_2D] = 2, [QAT_IR_DEPTHWISE_CONV_2D] = 2,
        [QAT_IR_MAX_POOL_2D] = 1, [QAT_IR_AVERAGE_POOL_2D] = 1, [QAT_IR_FULLY_CONNECTED] = 2,
        [QAT_IR_SOFTMAX] = 1, [QAT_IR_QUANTIZE] = 1, [QAT_IR_DEQUANTIZE] = 1};
    const int nt = c->ir->n_tensors;
    if ((unsigned)n->op >= QAT_IR_OPCODE_COUNT)
        return qat_error_set(c->e, QAT_ERR_FORMAT, "%s: operator %d: unknown opcode %d", c->source,
                             c->node, (int)n->op);
    if (n->n_in < n_required[n->op] || n->n_in > 3)
        return bad(c, "has %d inputs, expected %d to 3", n->n_in, n_required[n->op]);
    if (n->out < 0 || n->out >= nt) return bad(c, "output refers to tensor %d (the IR has %d)", n->out, nt);
    const qat_ir_tensor *out = tensor_of(c, n->out);
    for (int k = 0; k < n->n_in; k++) {
        const int t = n->in[k];
        if (t < -1 || t >= nt || (t == -1 && k < n_required[n->op]))
            return bad(c, "input %d refers to tensor %d (the IR has %d)", k, t, nt);
        if (t == n->out) return bad(c, "input %d '%s' is its own output", k, out->name);
        if (t >= 0 && !c->ir->tensors[t].data && !written[t])
            return bad(c, "input '%s' is read before any operator writes it", c->ir->tensors[t].name);
    }
    if (out->data) return bad(c, "output '%s' is a constant tensor", out->name);
    if (written[n->out])
        return bad(c, "output '%s' is written twice (by an earlier operator%s)", out->name,
                   n->out == c->ir->input ? " or as the model's input" : "");
    if (qat_ir_tensor_count(out) == 0) {
        char s[64];
        return bad(c, "output '%s' has shape %s: no values", out->name, shape_str(out, s, sizeof s));
    }
    written[n->out] = 1;
    return QAT_OK;
}

static qat_status prepare_node(const ctx *c, const qat_ir_node *node, qat_i8_prepared *p) {
    /* absent optional inputs read as -1 whatever n_in says */
    qat_ir_node n = *node;
    for (int k = n.n_in; k < 3; k++) n.in[k] = -1;
    p->in = n.in[0], p->weights = n.in[1], p->bias = n.in[2], p->out = n.out;
    switch (n.op) {
    case QAT_IR_RESHAPE: return prepare_reshape(c, &n, p);
    case QAT_IR_CONV_2D: return prepare_conv(c, &n, p);
    case QAT_IR_DEPTHWISE_CONV_2D: return prepare_depthwise(c, &n, p);
    case QAT_IR_MAX_POOL_2D:
    case QAT_IR_AVERAGE_POOL_2D: return prepare_pool(c, &n, p);
    case QAT_IR_FULLY_CONNECTED: return prepare_fc(c, &n, p);
    case QAT_IR_SOFTMAX: return prepare_softmax(c, &n, p);
    case QAT_IR_QUANTIZE: return prepare_quantize(c, &n, p);
    case QAT_IR_DEQUANTIZE: return prepare_dequantize(c, &n, p);
    case QAT_IR_OPCODE_COUNT: break;
    }
    return bad(c, "unsupported op");
}

static void *data_of(const qat_i8_engine *eng, int t);


/* ---- prepare / invoke / free ------------------------------------------------------------- */

/* The graph's ends: tensors, not constants, the input holding values; some operator. */
static qat_status check_io(const qat_ir *ir, const char *source, qat_error *e) {
    if (ir->input < 0 || ir->input >= ir->n_tensors || ir->output < 0 || ir->output >= ir->n_tensors)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: the model's input (%d) or output (%d) is not "
                             "a tensor", source, ir->input, ir->output);
    const qat_ir_tensor *in = &ir->tensors[ir->input], *out = &ir->tensors[ir->output];
    if (in->data || out->data)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: the model's %s '%s' is a constant tensor",
                             source, in->data ? "input" : "output", in->data ? in->name : out->name);
    if (qat_ir_tensor_count(in) == 0) {
        char s[64];
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: the model's input '%s' has shape %s: no values",
                             source, in->name, shape_str(in, s, sizeof s));
    }
    if (ir->n_nodes == 0)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: the model has no operators", source);
    return QAT_OK;
}

static qat_status prepare_nodes(qat_i8_engine *eng, const char *source, qat_error *e) {
    const qat_ir *ir = eng->ir;
    unsigned char *written = calloc((size_t)ir->n_tensors, 1);
    if (!written) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", source);
    written[ir->input] = 1;
    qat_status s = QAT_OK;
    for (int i = 0; i < ir->n_nodes && !s; i++) {
        const ctx c = {ir, source, i, e};
        s = check_wiring(&c, &ir->nodes[i], written);
        if (!s) s = prepare_node(&c, &ir->nodes[i], &eng->nodes[i]);
    }
    if (!s && !written[ir->output])
        s = qat_error_set(e, QAT_ERR_FORMAT, "%s: no operator writes the model's output '%s'",
                          source, ir->tensors[ir->output].name);
    free(written);
    return s;
}

/* The vector family's packed forms of the convolutions and fully-connected layers, and one
 * scratch image large enough for any of them (eng->isa not portable). */
static qat_status prepare_vector(qat_i8_engine *eng, const char *source, qat_error *e) {
    size_t scratch = 0;
    for (int i = 0; i < eng->ir->n_nodes; i++) {
        qat_i8_prepared *p = &eng->nodes[i];
        const qat_ir_opcode op = eng->ir->nodes[i].op;
        const int8_t *w = p->weights >= 0 ? data_of(eng, p->weights) : NULL;
        const int32_t *bias = p->bias >= 0 ? data_of(eng, p->bias) : NULL;
        int fail = 0;
        if (op == QAT_IR_CONV_2D)
            fail = qat_i8_vec_conv_init(&p->vec, &p->conv, p->in_shape, w, p->filter_shape, bias,
                                        p->out_shape);
        else if (op == QAT_IR_FULLY_CONNECTED)
            fail = qat_i8_vec_fc_init(&p->vec, &p->conv, p->rows, p->depth, p->out_depth, w, bias);
        else
            continue;
        if (fail) return qat_error_set(e, QAT_ERR_NOMEM, "%s: operator %d: out of memory", source, i);
        const size_t need = qat_i8_vec_conv_scratch(&p->vec);
        if (need > scratch) scratch = need;
    }
    if (scratch && !(eng->scratch = malloc(scratch * sizeof *eng->scratch)))
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", source);
    return QAT_OK;
}

qat_status qat_i8_prepare(qat_i8_engine *eng, const qat_ir *ir, const char *source, qat_error *e) {
    return qat_i8_prepare_isa(eng, ir, qat_i8_isa_used(), source, e);
}

qat_status qat_i8_prepare_isa(qat_i8_engine *eng, const qat_ir *ir, qat_i8_isa isa,
                              const char *source, qat_error *e) {
    memset(eng, 0, sizeof *eng);
    QAT_ASSERT(source);
    qat_status s = check_io(ir, source, e);
    if (s) return s;
    eng->ir = ir;
    eng->nodes = calloc((size_t)ir->n_nodes, sizeof *eng->nodes);
    eng->offset = malloc((size_t)ir->n_tensors * sizeof *eng->offset);
    if (!eng->nodes || !eng->offset) {
        qat_i8_free(eng);
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", source);
    }
    while (isa > QAT_I8_ISA_PORTABLE && !qat_i8_isa_supported(isa)) isa = (qat_i8_isa)(isa - 1);
    eng->isa = isa;
    int n_buffers; /* every tensor some node writes, and the input (plan.h) */
    if ((s = prepare_nodes(eng, source, e)) ||
        (s = qat_i8_plan_ir(ir, 0, eng->offset, &eng->arena_bytes, &n_buffers, e)) ||
        (isa != QAT_I8_ISA_PORTABLE && (s = prepare_vector(eng, source, e)))) {
        qat_i8_free(eng);
        return s;
    }
    eng->arena = aligned_alloc(ARENA_ALIGN, eng->arena_bytes ? eng->arena_bytes : ARENA_ALIGN);
    if (!eng->arena) {
        qat_i8_free(eng);
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: cannot allocate a %zu-byte arena", source,
                             eng->arena_bytes);
    }
    return QAT_OK;
}

static void *data_of(const qat_i8_engine *eng, int t) {
    const qat_ir_tensor *x = &eng->ir->tensors[t];
    return x->data ? x->data : eng->arena + eng->offset[t];
}

static size_t bytes_of(const qat_ir_tensor *t) {
    return qat_ir_tensor_count(t) * qat_ir_type_size(t->type);
}

static void run_node(const qat_i8_engine *eng, qat_ir_opcode op, const qat_i8_prepared *p) {
    const qat_i8_vec_kernels *vk = qat_i8_vec_kernels_of(eng->isa);
    const int8_t *in = data_of(eng, p->in);
    void *out = data_of(eng, p->out);
    const int8_t *w = p->weights >= 0 ? data_of(eng, p->weights) : NULL;
    const int32_t *bias = p->bias >= 0 ? data_of(eng, p->bias) : NULL;
    switch (op) {
    case QAT_IR_RESHAPE: memcpy(out, in, p->bytes); break;
    case QAT_IR_CONV_2D:
        if (p->vec.w) {
            qat_i8_vec_conv_run(eng->isa, &p->vec, in, eng->scratch, out);
            break;
        }
        qat_i8_conv2d(&p->conv, p->in_shape, in, p->filter_shape, p->packed, bias, p->out_shape,
                      out);
        break;
    case QAT_IR_DEPTHWISE_CONV_2D:
        qat_i8_depthwise_conv2d(&p->conv, p->in_shape, in, p->filter_shape, w, bias, p->out_shape,
                                out);
        break;
    case QAT_IR_MAX_POOL_2D:
        (vk && vk->max_pool ? vk->max_pool : qat_i8_max_pool)(&p->pool, p->in_shape, in,
                                                              p->out_shape, out);
        break;
    case QAT_IR_AVERAGE_POOL_2D:
        qat_i8_average_pool(&p->pool, p->in_shape, in, p->out_shape, out);
        break;
    case QAT_IR_FULLY_CONNECTED:
        if (p->vec.w) {
            qat_i8_vec_conv_run(eng->isa, &p->vec, in, eng->scratch, out);
            break;
        }
        qat_i8_fully_connected(&p->conv, p->rows, p->depth, p->out_depth, in, w, bias, out);
        break;
    case QAT_IR_SOFTMAX: qat_i8_softmax(&p->softmax, p->rows, p->depth, in, out); break;
    case QAT_IR_QUANTIZE:
        if (eng->ir->tensors[p->in].type == QAT_IR_FLOAT32)
            qat_i8_quantize((const float *)(const void *)in, p->count, p->scale, p->out_zp, out);
        else /* int8 or uint8 → int8 or uint8 */
            qat_i8_requantize(&p->requant, p->count, in, out);
        break;
    case QAT_IR_DEQUANTIZE: qat_i8_dequantize(in, p->count, p->scale, p->in_zp, out); break;
    case QAT_IR_OPCODE_COUNT: QAT_ASSERT(0);
    }
}

void qat_i8_invoke_traced(qat_i8_engine *eng, const void *input, void *output,
                          qat_i8_trace_fn trace, void *trace_ctx) {
    const qat_ir *ir = eng->ir;
    memcpy(data_of(eng, ir->input), input, bytes_of(&ir->tensors[ir->input]));
    if (trace) trace(trace_ctx, -1, ir->input, data_of(eng, ir->input));
    for (int i = 0; i < ir->n_nodes; i++) {
        run_node(eng, ir->nodes[i].op, &eng->nodes[i]);
        if (trace) trace(trace_ctx, i, ir->nodes[i].out, data_of(eng, ir->nodes[i].out));
    }
    memcpy(output, data_of(eng, ir->output), bytes_of(&ir->tensors[ir->output]));
}

void qat_i8_invoke(qat_i8_engine *eng, const void *input, void *output) {
    qat_i8_invoke_traced(eng, input, output, NULL, NULL);
}

void qat_i8_free(qat_i8_engine *eng) {
    if (eng->nodes && eng->ir)
        for (int i = 0; i < eng->ir->n_nodes; i++) {
            free(eng->nodes[i].multiplier);
            free(eng->nodes[i].shift);
            free(eng->nodes[i].packed);
            qat_i8_vec_conv_free(&eng->nodes[i].vec);
        }
    free(eng->nodes);
    free(eng->offset);
    free(eng->arena);
    free(eng->scratch);
    memset(eng, 0, sizeof *eng);
}

/* The shape each layer gives its output, computed once: the model builds its graph to it
 * and the config validation checks a layer stack with it before anything is built. The
 * 2-D windows use the ops' own rule (qat_window), so a validated stack always builds. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qat/layer.h"
#include "qat/ops.h"

qat_shape qat_input_shape(int height, int width, int window, int channels) {
    if (height > 0) return (qat_shape){3, {height, width, channels}};
    return (qat_shape){2, {window, channels, 0}};
}

int qat_layer_has_kernel(qat_layer_kind k) {
    return k == QAT_LAYER_CONV1D || k == QAT_LAYER_DENSE || k == QAT_LAYER_CONV2D ||
           k == QAT_LAYER_DEPTHWISE_CONV2D || k == QAT_LAYER_SEPARABLE_CONV2D;
}

int qat_layer_is_2d(qat_layer_kind k) {
    return k == QAT_LAYER_CONV2D || k == QAT_LAYER_DEPTHWISE_CONV2D ||
           k == QAT_LAYER_SEPARABLE_CONV2D || k == QAT_LAYER_MAXPOOL2D ||
           k == QAT_LAYER_AVGPOOL2D;
}

static qat_status fail(char *why, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return QAT_ERR_CONFIG;
}

static const char *shape_text(const qat_shape *s, char *buf, size_t cap) {
    if (s->ndim == 3) snprintf(buf, cap, "(%d, %d, %d)", s->dim[0], s->dim[1], s->dim[2]);
    else if (s->ndim == 2) snprintf(buf, cap, "(%d, %d)", s->dim[0], s->dim[1]);
    else snprintf(buf, cap, "(%d)", s->dim[0]);
    return buf;
}

/* The (H', W') of a 2-D window of kh × kw at the strides on `in`; fails when a side would
 * be empty (VALID with a window larger than the map). */
static qat_status window2d(const qat_layer_spec *s, const qat_shape *in, int kh, int kw,
                           int sh, int sw, qat_shape *out, char *why, size_t cap) {
    qat_window_axis h = qat_window(in->dim[0], kh, sh, s->padding);
    qat_window_axis w = qat_window(in->dim[1], kw, sw, s->padding);
    if (h.out < 1 || w.out < 1)
        return fail(why, cap, "a %d×%d %s window does not fit the %d×%d input map (the output "
                    "would be empty; use padding = same or a smaller window)",
                    kh, kw, qat_padding_name(s->padding), in->dim[0], in->dim[1]);
    *out = (qat_shape){3, {h.out, w.out, in->dim[2]}};
    return QAT_OK;
}

static qat_status shape_2d(const qat_layer_spec *s, const qat_shape *in, qat_shape *out,
                           char *why, size_t cap) {
    qat_status st;
    switch (s->kind) {
    case QAT_LAYER_CONV2D:
    case QAT_LAYER_DEPTHWISE_CONV2D:
    case QAT_LAYER_SEPARABLE_CONV2D:
        st = window2d(s, in, s->kernel_h, s->kernel_w, s->stride_h, s->stride_w, out, why, cap);
        if (st) return st;
        out->dim[2] = s->kind == QAT_LAYER_DEPTHWISE_CONV2D ? in->dim[2] * s->depth_multiplier
                                                            : s->units;
        return QAT_OK;
    default: /* the 2-D pools */
        return window2d(s, in, s->pool_h, s->pool_w, s->stride_h, s->stride_w, out, why, cap);
    }
}

qat_status qat_layer_output_shape(const qat_layer_spec *s, const qat_shape *in, qat_shape *out,
                                  char *why, size_t cap) {
    char buf[48];
    why[0] = '\0';
    *out = *in;
    if (qat_layer_is_2d(s->kind)) {
        if (in->ndim != 3)
            return fail(why, cap, "%s needs a 2-D (height, width, channels) input, but gets %s "
                        "(2-D data: [data] height and width)",
                        qat_layer_kind_name(s->kind), shape_text(in, buf, sizeof buf));
        return shape_2d(s, in, out, why, cap);
    }
    switch (s->kind) {
    case QAT_LAYER_CONV1D:
    case QAT_LAYER_MAXPOOL1D: {
        if (in->ndim != 2)
            return fail(why, cap, "%s needs a 1-D (window, channels) input, but gets %s%s",
                        qat_layer_kind_name(s->kind), shape_text(in, buf, sizeof buf),
                        in->ndim == 3 ? " (use conv2d / maxpool2d on images)" : "");
        int k = s->kind == QAT_LAYER_CONV1D ? s->kernel : s->pool;
        int stride = s->kind == QAT_LAYER_CONV1D ? 1 : s->pool;
        qat_window_axis t = qat_window(in->dim[0], k, stride, s->padding);
        if (t.out < 1)
            return fail(why, cap, "a %s window of %d does not fit the %d steps of its input",
                        qat_padding_name(s->padding), k, in->dim[0]);
        *out = (qat_shape){2, {t.out, s->kind == QAT_LAYER_CONV1D ? s->units : in->dim[1], 0}};
        return QAT_OK;
    }
    case QAT_LAYER_DENSE:
        if (in->ndim != 1)
            return fail(why, cap, "dense needs a flat input, but gets %s (add a flatten or "
                        "global_avgpool layer before it)", shape_text(in, buf, sizeof buf));
        *out = (qat_shape){1, {s->units, 0, 0}};
        return QAT_OK;
    case QAT_LAYER_FLATTEN: {
        int n = 1;
        for (int d = 0; d < in->ndim; d++) n *= in->dim[d];
        *out = (qat_shape){1, {n, 0, 0}};
        return QAT_OK;
    }
    case QAT_LAYER_GLOBAL_AVGPOOL:
        if (in->ndim < 2)
            return fail(why, cap, "global_avgpool needs a (window, channels) or (height, width, "
                        "channels) input, but gets %s", shape_text(in, buf, sizeof buf));
        *out = (qat_shape){1, {in->dim[in->ndim - 1], 0, 0}};
        return QAT_OK;
    default: /* batchnorm, relu, relu6, dropout keep the shape */
        return QAT_OK;
    }
}

/* A fresh layer of `kind`, keeping its name and line. Zero filters/units/kernel and a
 * negative dropout rate mean "not given": validation asks for them. */
void qat_layer_reset(qat_layer_spec *l, qat_layer_kind kind) {
    qat_layer_spec fresh;
    memset(&fresh, 0, sizeof fresh);
    memcpy(fresh.name, l->name, sizeof fresh.name);
    fresh.line = l->line;
    fresh.kind = kind;
    fresh.pool = 2; /* Keras MaxPool1D default */
    fresh.pool_h = fresh.pool_w = 2; /* Keras MaxPooling2D / AveragePooling2D: (2, 2) */
    int pool2d = kind == QAT_LAYER_MAXPOOL2D || kind == QAT_LAYER_AVGPOOL2D;
    fresh.stride_h = fresh.stride_w = pool2d ? 2 : 1; /* pools: strides default to the pool */
    fresh.depth_multiplier = 1;
    fresh.padding = QAT_PAD_VALID;
    fresh.activation = QAT_ACT_NONE;
    fresh.use_bias = 1;
    fresh.prune = qat_layer_has_kernel(kind); /* kernels, by default */
    fresh.rate = kind == QAT_LAYER_DROPOUT ? -1.0 : 0.0;
    fresh.momentum = 0.99; /* Keras BatchNormalization defaults */
    fresh.epsilon = 1e-3;
    *l = fresh;
}

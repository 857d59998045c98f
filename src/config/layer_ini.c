/* A layer as the [layer.NAME] section that reads back into it (config.h qat_layer_write_ini). */
#include <stdio.h>
#include <stdlib.h>

#include "qat/config.h"

/* The shortest of %.15g and %.17g that reads back as v. */
static void put_double(FILE *f, const char *key, double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fprintf(f, "%s = %s\n", key, buf);
}

static int is_conv(qat_layer_kind k) {
    return k == QAT_LAYER_CONV1D || k == QAT_LAYER_CONV2D || k == QAT_LAYER_DEPTHWISE_CONV2D ||
           k == QAT_LAYER_SEPARABLE_CONV2D;
}

void qat_layer_write_ini(FILE *f, const qat_layer_spec *l) {
    qat_layer_kind k = l->kind;
    fprintf(f, "\n[layer.%s]\ntype = %s\n", l->name, qat_layer_kind_name(k));
    if (k == QAT_LAYER_CONV1D || k == QAT_LAYER_CONV2D || k == QAT_LAYER_SEPARABLE_CONV2D)
        fprintf(f, "filters = %d\n", l->units);
    if (k == QAT_LAYER_DENSE) fprintf(f, "units = %d\n", l->units);
    if (k == QAT_LAYER_CONV1D) fprintf(f, "kernel = %d\n", l->kernel);
    else if (is_conv(k)) fprintf(f, "kernel = %d, %d\n", l->kernel_h, l->kernel_w);
    if (qat_layer_is_2d(k) && is_conv(k)) fprintf(f, "strides = %d, %d\n", l->stride_h, l->stride_w);
    if (k == QAT_LAYER_DEPTHWISE_CONV2D || k == QAT_LAYER_SEPARABLE_CONV2D)
        fprintf(f, "depth_multiplier = %d\n", l->depth_multiplier);
    if (k == QAT_LAYER_MAXPOOL1D) fprintf(f, "pool = %d\n", l->pool);
    if (k == QAT_LAYER_MAXPOOL2D || k == QAT_LAYER_AVGPOOL2D)
        fprintf(f, "pool = %d, %d\nstrides = %d, %d\n", l->pool_h, l->pool_w, l->stride_h, l->stride_w);
    if (is_conv(k) || k == QAT_LAYER_MAXPOOL1D || k == QAT_LAYER_MAXPOOL2D || k == QAT_LAYER_AVGPOOL2D)
        fprintf(f, "padding = %s\n", qat_padding_name(l->padding));
    if (is_conv(k) || k == QAT_LAYER_DENSE)
        fprintf(f, "activation = %s\nuse_bias = %s\n", qat_activation_name(l->activation),
                l->use_bias ? "true" : "false");
    if (qat_layer_has_kernel(k) && l->weight_bits) fprintf(f, "weight_bits = %d\n", l->weight_bits);
    if (qat_layer_has_kernel(k) && l->act_bits) fprintf(f, "act_bits = %d\n", l->act_bits);
    if (qat_layer_has_kernel(k) && !l->prune) fprintf(f, "prune = false\n");
    if (k == QAT_LAYER_DROPOUT) put_double(f, "rate", l->rate);
    if (k == QAT_LAYER_BATCHNORM) put_double(f, "momentum", l->momentum), put_double(f, "epsilon", l->epsilon);
}

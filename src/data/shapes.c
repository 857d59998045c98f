/* The built-in image generator: simple shapes (filled and hollow squares, disks, crosses,
 * horizontal and vertical bars) on a dark background, at a random position, size and
 * brightness, with Gaussian noise — small 2-D data for tests and configs, seeded and
 * deterministic, so nothing external is needed. */
#include <stdio.h>
#include <string.h>

#include "qat/data.h"

typedef enum shape_kind { SQUARE, HOLLOW, DISK, CROSS, HBAR, VBAR, SHAPE_COUNT } shape_kind;

static const char *const shape_names[SHAPE_COUNT] = {"square", "hollow", "disk",
                                                     "cross",  "hbar",   "vbar"};

const char *qat_shapes_class_names(void) {
    return "square, hollow, disk, cross, hbar, vbar";
}

#define NOISE_STD 0.1 /* of the background-to-full-brightness range */

/* One drawn shape: its box (top, left, side) and brightness. */
typedef struct shape {
    shape_kind kind;
    int top, left, side;
    float level;
} shape;

/* Whether pixel (r, c) of the box (relative to its top-left) is part of the shape. Strokes
 * are about a fifth of the side (at least 1 pixel), so every class keeps its look at the
 * smallest size. */
static int inside(shape_kind k, int r, int c, int side) {
    int t = side / 5 > 1 ? side / 5 : 1, mid = side / 2;
    int in_h = r >= mid - t / 2 && r <= mid + (t - 1) / 2;
    int in_v = c >= mid - t / 2 && c <= mid + (t - 1) / 2;
    switch (k) {
    case SQUARE: return 1;
    case HOLLOW: return r < t || c < t || r >= side - t || c >= side - t;
    case DISK: {
        double dr = r + 0.5 - side / 2.0, dc = c + 0.5 - side / 2.0;
        return dr * dr + dc * dc <= side * side / 4.0;
    }
    case CROSS: return in_h || in_v;
    case HBAR: return in_h;
    case VBAR: return in_v;
    case SHAPE_COUNT: break;
    }
    return 0;
}

static void draw(qat_rng *rng, shape_kind k, int h, int w, shape *s) {
    int small = h < w ? h : w;
    int lo = small / 3 > 4 ? small / 3 : 4, hi = small * 2 / 3 > lo ? small * 2 / 3 : lo;
    s->kind = k;
    s->side = lo + (int)qat_rng_below(rng, (uint32_t)(hi - lo + 1));
    s->top = (int)qat_rng_below(rng, (uint32_t)(h - s->side + 1));
    s->left = (int)qat_rng_below(rng, (uint32_t)(w - s->side + 1));
    s->level = (float)(0.5 + 0.5 * qat_rng_uniform(rng));
}

static void render(qat_rng *rng, const shape *s, int h, int w, float *img) {
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            int rr = r - s->top, cc = c - s->left;
            int on = rr >= 0 && cc >= 0 && rr < s->side && cc < s->side &&
                     inside(s->kind, rr, cc, s->side);
            img[r * w + c] = (on ? s->level : 0.0f) + (float)(NOISE_STD * qat_rng_normal(rng));
        }
}

static qat_status class_shapes(const qat_data_config *cfg, shape_kind *kinds, qat_error *e) {
    for (int c = 0; c < cfg->n_classes; c++) {
        int k = 0;
        while (k < SHAPE_COUNT && strcmp(cfg->classes[c], shape_names[k])) k++;
        if (k == SHAPE_COUNT)
            return qat_error_set(e, QAT_ERR_CONFIG, "shapes data: '%s' is not a shape (%s)",
                                 cfg->classes[c], qat_shapes_class_names());
        kinds[c] = (shape_kind)k;
    }
    return QAT_OK;
}

qat_status qat_shapes_generate(const qat_data_config *cfg, qat_rng *rng, qat_dataset *out,
                               qat_error *e) {
    memset(out, 0, sizeof *out);
    int h = cfg->height, w = cfg->width, per_class = cfg->samples_per_class;
    if (cfg->channels != 1 || h < 8 || w < 8 || cfg->n_classes <= 0 ||
        cfg->n_classes > QAT_MAX_CLASSES || per_class <= 0 ||
        per_class > (1 << 30) / cfg->n_classes / (h * w))
        return qat_error_set(e, QAT_ERR_CONFIG, "shapes data: bad size %d × %d × %d, %d classes "
                             "or %d samples per class", h, w, cfg->channels, cfg->n_classes,
                             per_class);
    shape_kind kinds[QAT_MAX_CLASSES];
    int n = cfg->n_classes * per_class;
    qat_status s = class_shapes(cfg, kinds, e);
    if (!s) s = qat_dataset_alloc(out, n, h * w, 1, cfg->n_classes, e);
    if (s) return s;
    out->height = h;
    out->width = w;
    for (int c = 0; c < cfg->n_classes; c++)
        snprintf(out->class_names[c], QAT_NAME_MAX, "%s", cfg->classes[c]);
    /* Grouped by class in config order, one stream in turn: the images depend only on the
     * seed and the config. */
    for (int i = 0; i < n; i++) {
        shape sh;
        draw(rng, kinds[i / per_class], h, w, &sh);
        render(rng, &sh, h, w, out->x + (size_t)i * (size_t)(h * w));
        out->y[i] = i / per_class;
    }
    return QAT_OK;
}

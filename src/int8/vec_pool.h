/* MAX_POOL_2D (pool.c's arithmetic) and the widening of an input row (vec_conv.c) with
 * 128-bit byte vectors, included by each vector family's kernel file (SSE4.1's pmaxsb and
 * pmovsxbw are part of every family); FN names the family's copy. */

/* One output pixel: the maximum over the rows × cols in-image taps at x (channel 0), taps
 * row_stride apart vertically and c apart horizontally, from −128 as TFLM starts, then the
 * activation clamp; 16 channels at a time, the last few one by one. */
static void FN(max_pixel)(const qat_i8_pool_params *p, const int8_t *x, int row_stride, int rows,
                          int cols, int c, int8_t *o) {
    const __m128i lo = _mm_set1_epi8((char)p->act_min), hi = _mm_set1_epi8((char)p->act_max);
    int c0 = 0;
    for (; c0 + 16 <= c; c0 += 16) {
        __m128i m = _mm_set1_epi8(INT8_MIN);
        for (int fy = 0; fy < rows; fy++)
            for (int fx = 0; fx < cols; fx++)
                m = _mm_max_epi8(m, _mm_loadu_si128((const __m128i *)(x + (size_t)fy * row_stride +
                                                                      (size_t)fx * c + c0)));
        _mm_storeu_si128((__m128i *)(o + c0), _mm_min_epi8(_mm_max_epi8(m, lo), hi));
    }
    for (; c0 < c; c0++) {
        int32_t m = INT8_MIN;
        for (int fy = 0; fy < rows; fy++)
            for (int fx = 0; fx < cols; fx++) {
                const int8_t t = x[(size_t)fy * row_stride + (size_t)fx * c + c0];
                m = t > m ? t : m;
            }
        o[c0] = (int8_t)(m < p->act_min ? p->act_min : m > p->act_max ? p->act_max : m);
    }
}

/* pool.c's geometry: every output pixel with its window clipped to the image. */
static void FN(max_pool)(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                         const int *out_shape, int8_t *out) {
    const int in_h = in_shape[1], in_w = in_shape[2], c = in_shape[3];
    const int out_h = out_shape[1], out_w = out_shape[2];
    for (int b = 0; b < in_shape[0]; b++)
        for (int oy = 0; oy < out_h; oy++) {
            const int y0 = oy * p->stride_h - p->pad_h;
            const int fy0 = y0 < 0 ? -y0 : 0;
            const int fy1 = in_h - y0 < p->filter_h ? in_h - y0 : p->filter_h;
            for (int ox = 0; ox < out_w; ox++) {
                const int x0 = ox * p->stride_w - p->pad_w;
                const int fx0 = x0 < 0 ? -x0 : 0;
                const int fx1 = in_w - x0 < p->filter_w ? in_w - x0 : p->filter_w;
                const int8_t *x = in + (((size_t)b * in_h + (size_t)(y0 + fy0)) * in_w +
                                        (size_t)(x0 + fx0)) * c;
                FN(max_pixel)(p, x, in_w * c, fy1 > fy0 ? fy1 - fy0 : 0,
                              fx1 > fx0 ? fx1 - fx0 : 0, c,
                              out + (((size_t)b * out_h + oy) * out_w + ox) * c);
            }
        }
}

/* d[i] = s[i] + offset as int16, n values. */
static void FN(widen)(const int8_t *s, size_t n, int16_t offset, int16_t *d) {
    const __m128i off = _mm_set1_epi16(offset);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(d + i),
                         _mm_add_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(s + i))), off));
    for (; i < n; i++) d[i] = (int16_t)(s[i] + offset);
}

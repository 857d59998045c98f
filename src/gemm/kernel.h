/* The vector GEMM kernel, written once and compiled per instruction set (avx2.c,
 * avx512.c define the vector type and operations, then include this file).
 *
 * B is packed panel by panel (QAT_GEMM_KC rows × NV vectors); a tile of MR rows × NV vectors
 * of C lives in registers while p runs over the panel's rows; each register lane holds one
 * output's fused multiply-add chain, so the result is the scalar definition's, bit for bit,
 * whatever V, MR or the tiling (gemm.h).
 *
 * The includer defines: V (floats per vector), VF (vector type), FN(name) (a per-ISA
 * name), MR1 / MR2 (rows per tile with one / two vectors per row), and the operations
 * vzero(), vload(p) / vstore(p, v) (aligned), vbcast(x), vfma(a, b, c) = a·b + c rounded once,
 * vload_n(p, n) / vstore_n(p, n, v) (the first n ≤ V lanes; the others 0 / untouched). */

#define MR_MAX (MR1 > MR2 ? MR1 : MR2)

typedef struct FN(tile) {
    const float *a;    /* A[i0][p0] */
    ptrdiff_t ar, ap;  /* strides of A's rows and of p */
    const float *bp;   /* the packed panel */
    int kc;            /* its rows */
    float *c;          /* C[i0][j0] */
    int ldc, nc;       /* C's row stride; valid columns in the panel */
    int load_c;        /* continue the chain from C (else from +0) */
} FN(tile);

static inline __attribute__((always_inline)) void FN(micro)(const FN(tile) *t, const int mr,
                                                             const int nv) {
    VF acc[MR_MAX][2];
    int cols[2] = {t->nc < V ? t->nc : V, t->nc > V ? t->nc - V : 0};
#pragma GCC unroll 32
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            acc[r][v] = t->load_c ? vload_n(t->c + (ptrdiff_t)r * t->ldc + v * V, cols[v]) : vzero();
    const float *a = t->a, *bp = t->bp;
    for (int p = 0; p < t->kc; p++, a += t->ap, bp += nv * V) {
        VF b0 = vload(bp), b1 = nv == 2 ? vload(bp + V) : b0;
#pragma GCC unroll 32
        for (int r = 0; r < mr; r++) {
            VF x = vbcast(a[r * t->ar]);
            acc[r][0] = vfma(x, b0, acc[r][0]);
            if (nv == 2) acc[r][1] = vfma(x, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 32
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            vstore_n(t->c + (ptrdiff_t)r * t->ldc + v * V, cols[v], acc[r][v]);
}

/* 8×8 transpose of rows src[r·ld …] into dst[q·nr …] (AVX, both kernels have it). */
static inline void FN(transpose8)(const float *src, size_t ld, float *dst, int nr) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * ld);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(dst + i * nr, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(dst + (i + 4) * nr, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
}

/* Packs B[p0, p0+kc) × [j0, j0+nc) into bp: kc rows of nv vectors, zero past column nc.
 * B in rows (QAT_GEMM_N) is copied a vector at a time; B stored transposed is transposed
 * in 8×8 blocks (edges by the scalar packer). */
static void FN(pack_b)(const qat_gemm_args *g, int p0, int kc, int j0, int nc, int nv, float *bp) {
    const int nr = nv * V;
    if (g->tb == QAT_GEMM_T) {
        int n8 = nc & ~7, k8 = kc & ~7;
        const float *b = g->b + (size_t)j0 * g->ldb + p0;
        for (int j = 0; j < n8; j += 8)
            for (int p = 0; p < k8; p += 8)
                FN(transpose8)(b + (size_t)j * g->ldb + p, (size_t)g->ldb, bp + (size_t)p * nr + j, nr);
        if (k8 < kc) qat_gemm_pack_bt(g, p0 + k8, kc - k8, j0, n8, nr, bp + (size_t)k8 * nr);
        for (int p = 0; p < kc; p++) /* columns n8 … nc−1 and the zero padding */
            for (int j = n8; j < nr; j++)
                bp[(size_t)p * nr + j] = j < nc ? b[(size_t)j * g->ldb + p] : 0.0f;
        return;
    }
    const int cols[2] = {nc < V ? nc : V, nc > V ? nc - V : 0};
    const float *src = g->b + (size_t)p0 * g->ldb + j0;
    for (int p = 0; p < kc; p++, src += g->ldb, bp += nr)
        for (int v = 0; v < nv; v++) vstore(bp + v * V, vload_n(src + v * V, cols[v]));
}

/* One instantiation per (rows, vectors): the register tile must have constant size. */
#define QAT_TILE_CASE(R)                                                                      \
    case R:                                                                                   \
        if (nv == 1) FN(micro)(t, R < MR1 ? R : MR1, 1);                                      \
        else FN(micro)(t, R < MR2 ? R : MR2, 2);                                              \
        break;

static void FN(tile_any)(const FN(tile) *t, int mr, int nv) {
    switch (mr) {
        QAT_TILE_CASE(1) QAT_TILE_CASE(2) QAT_TILE_CASE(3) QAT_TILE_CASE(4) QAT_TILE_CASE(5)
        QAT_TILE_CASE(6) QAT_TILE_CASE(7) QAT_TILE_CASE(8) QAT_TILE_CASE(9) QAT_TILE_CASE(10)
        QAT_TILE_CASE(11) QAT_TILE_CASE(12) QAT_TILE_CASE(13) QAT_TILE_CASE(14)
        QAT_TILE_CASE(15) QAT_TILE_CASE(16) QAT_TILE_CASE(17) QAT_TILE_CASE(18)
        QAT_TILE_CASE(19) QAT_TILE_CASE(20) QAT_TILE_CASE(21) QAT_TILE_CASE(22)
        QAT_TILE_CASE(23) QAT_TILE_CASE(24)
    default: break;
    }
}
_Static_assert(MR1 <= 24 && MR2 <= 24, "tile_any covers at most 24 rows");

static void FN(gemm)(const qat_gemm_args *g) {
    _Alignas(64) float bp[QAT_GEMM_KC * 2 * V];
    const int nv = g->n <= V ? 1 : 2, nr = nv * V, mr_max = nv == 1 ? MR1 : MR2;
    const int trans_a = g->ta == QAT_GEMM_T;
    FN(tile) t = {.ar = trans_a ? 1 : g->lda, .ap = trans_a ? g->lda : 1, .bp = bp,
                  .ldc = g->ldc};
    for (int j0 = 0; j0 < g->n; j0 += nr) {
        t.nc = g->n - j0 < nr ? g->n - j0 : nr;
        for (int p0 = 0; p0 < g->k; p0 += QAT_GEMM_KC) {
            t.kc = g->k - p0 < QAT_GEMM_KC ? g->k - p0 : QAT_GEMM_KC;
            FN(pack_b)(g, p0, t.kc, j0, t.nc, nv, bp);
            t.load_c = p0 > 0 || g->accumulate;
            for (int i0 = 0; i0 < g->m; i0 += mr_max) {
                int mr = g->m - i0 < mr_max ? g->m - i0 : mr_max;
                t.a = g->a + (trans_a ? (size_t)p0 * g->lda + i0 : (size_t)i0 * g->lda + p0);
                t.c = g->c + (size_t)i0 * g->ldc + j0;
                FN(tile_any)(&t, mr, nv);
            }
        }
    }
}

/* gemm_pack.h - what the packed paths of gemm_avx512.c and gemm_avx2.c share (include only from
 * those files): when packing pays, the copy of a block of A into MR-row panels, and the fetch
 * of the next panel of B into L2 while one is used. */
#ifndef PTMI_GEMM_PACK_H
#define PTMI_GEMM_PACK_H
#include <immintrin.h>
#include <stddef.h>

/* the k depth of a packed block */
#define PTMI_PACK_KC 256
/* the columns of a packed panel of B */
#define PTMI_PACK_NC 128

/* B of 1 MiB or more (beyond L2), and rows enough to pay for copying it */
static inline int ptmi_packed_pays(size_t M, size_t N, size_t K) {
    return M >= 16 && N >= 16 && K >= 16 && (double)K * (double)N >= 262144.0;
}

/* rows [0, mb) x k [0, kb) of A into mr-row panels, k-major (the mr broadcasts of one k side
 * by side): row m0 + i, k at Ap[m0 kb + mr k + i], m0 a multiple of mr */
static inline void ptmi_pack_a(size_t mr, size_t mb, size_t kb, const float *A, size_t sam,
                               size_t sak, float *Ap) {
    for (size_t m0 = 0; m0 < mb; m0 += mr) {
        size_t rows = mb - m0 < mr ? mb - m0 : mr;
        float *d = Ap + m0 * kb;
        for (size_t i = 0; i < rows; i++) {
            const float *a = A + (m0 + i) * sam;
            for (size_t k = 0; k < kb; k++) d[mr * k + i] = a[k * sak];
        }
    }
}

/* the panel of B to fetch into L2 while one is used: nkb rows of nc floats at nx (NULL: none),
 * a share of rows at a time */
typedef struct {
    const float *nx;
    size_t ldb, nkb, nc;
} ptmi_panel_fetch;

/* the panel packed after the one at columns n0, k block k0, row block m0 (of mc rows): the next
 * columns, else the first of the next row block or of the next k block */
static inline ptmi_panel_fetch ptmi_next_panel(const float *B, size_t ldb, size_t M, size_t N,
                                               size_t K, size_t n0, size_t k0, size_t m0,
                                               size_t mc) {
    size_t nn = n0 + PTMI_PACK_NC < N ? n0 + PTMI_PACK_NC : 0;
    size_t nk = nn || m0 + mc < M ? k0 : k0 + PTMI_PACK_KC;
    ptmi_panel_fetch f = {NULL, ldb, 0, 0};
    if (nk < K) {
        f.nx = B + nk * ldb + nn;
        f.nkb = K - nk < PTMI_PACK_KC ? K - nk : PTMI_PACK_KC;
        f.nc = N - nn < PTMI_PACK_NC ? N - nn : PTMI_PACK_NC;
    }
    return f;
}

/* share j of `of` of the next panel's rows into L2 (the bands of one panel take turns, so that
 * the fetch is spread over the panel's compute) */
static inline void ptmi_fetch_share(const ptmi_panel_fetch *f, size_t j, size_t of) {
    if (!f->nx) return;
    for (size_t r = f->nkb * j / of; r < f->nkb * (j + 1) / of; r++) {
        const char *p = (const char *)(f->nx + r * f->ldb);
        for (size_t o = 0; o < f->nc * sizeof(float); o += 64) _mm_prefetch(p + o, _MM_HINT_T1);
        _mm_prefetch(p + f->nc * sizeof(float) - 1, _MM_HINT_T1);
    }
}
#endif

// Compiler intrinsics Swift has no API for. Header-only: Swift inlines these through the Clang
// importer, so each is one instruction at the call site — except the sparse-row and scoring-tile
// kernels, which exist for a per-function CPU target Swift cannot express.
#ifndef RECBENCH_INTRINSICS_H
#define RECBENCH_INTRINSICS_H
#include <stdint.h>

// Cache prefetch hints (keep in all cache levels), for latency-bound loops: BPR's sampler, the
// ALS conjugate gradient.
static inline void recbench_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }
static inline void recbench_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

// Relaxed atomic 64-bit load and store: values one thread publishes and others may read at any
// time (a stale value must be harmless to the reader). Plain moves on x86-64 and arm64.
static inline uint64_t recbench_load_relaxed(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void recbench_store_relaxed(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

// Sparse × dense rows, y[r] = Σ_k w[k] · x[idx[k]] for rows r in [begin, end) of a CSR matrix,
// dense rows of d floats (graph propagation in LightGCN). Swift builds for baseline x86-64
// (SSE2), so the loop gets AVX2 + FMA through a per-function target, used only when the CPU and
// OS support it (recbench_has_avx2_fma); the portable loop serves everything else. Both add the
// terms of a row in the same order, but FMA rounds once per term, so results may differ in the
// last bit between the two paths (never between runs on one machine).
static inline void recbench_spmm_rows_portable(float *y, const float *x, const long *offsets, const int32_t *idx,
                                               const float *w, long begin, long end, long d) {
    for (long r = begin; r < end; r++) {
        float *out = y + r * d;
        for (long c = 0; c < d; c++) out[c] = 0;
        for (long k = offsets[r]; k < offsets[r + 1]; k++) {
            const float *src = x + (long)idx[k] * d;
            const float wk = w[k];
            for (long c = 0; c < d; c++) out[c] += wk * src[c];
        }
    }
}

// The transpose of the product above for one slice of the columns, [c0, c1): x[idx[k]] += w[k] · g[r]
// for every entry k of every row r in [0, rows), in entry order (the backward pass of an
// embedding bag, whose rows share table rows; a caller splits the columns, not the rows, over
// threads so each sum is the same at any thread count). Offsets are 32-bit, as the bags keep them.
static inline void recbench_scatter_rows_portable(float *x, const float *g, const int32_t *offsets,
                                                  const int32_t *idx, const float *w, long rows, long d,
                                                  long c0, long c1) {
    for (long r = 0; r < rows; r++) {
        const float *gr = g + r * d;
        for (long k = offsets[r]; k < offsets[r + 1]; k++) {
            float *dst = x + (long)idx[k] * d;
            const float wk = w[k];
            for (long c = c0; c < c1; c++) dst[c] += wk * gr[c];
        }
    }
}

// Index of the first j in [0, n) with x[j] (+ bias[j] when bias is not NULL) > t, or n: the top-K
// scan's rejection loop, where almost every score falls below the heap's threshold. NaN never
// compares above, so it is never found. Both paths add the bias the same way (one rounding).
static inline long recbench_first_above_portable(const float *x, const float *bias, long n, float t) {
    if (bias) { for (long j = 0; j < n; j++) if (x[j] + bias[j] > t) return j; }
    else { for (long j = 0; j < n; j++) if (x[j] > t) return j; }
    return n;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static inline int recbench_has_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0; // the OS saves the YMM registers
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}

__attribute__((target("avx2,fma")))
static inline void recbench_spmm_rows_avx2(float *y, const float *x, const long *offsets, const int32_t *idx,
                                           const float *w, long begin, long end, long d) {
    for (long r = begin; r < end; r++) {
        float *out = y + r * d;
        const long k0 = offsets[r], k1 = offsets[r + 1];
        long c = 0;
        for (; c + 64 <= d; c += 64) {
            // Eight accumulators: one pass over the row's neighbours per 64 columns, each
            // neighbour's 256 bytes read whole (the next ones prefetched; the reads are random).
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
            for (long k = k0; k < k1; k++) {
                if (k + 4 < k1) {
                    const char *ahead = (const char *)(x + (long)idx[k + 4] * d + c);
                    __builtin_prefetch(ahead, 0, 3); __builtin_prefetch(ahead + 64, 0, 3);
                    __builtin_prefetch(ahead + 128, 0, 3); __builtin_prefetch(ahead + 192, 0, 3);
                }
                const float *src = x + (long)idx[k] * d + c;
                const __m256 wk = _mm256_set1_ps(w[k]);
                a0 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src), a0);
                a1 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 8), a1);
                a2 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 16), a2);
                a3 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 24), a3);
                a4 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 32), a4);
                a5 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 40), a5);
                a6 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 48), a6);
                a7 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 56), a7);
            }
            _mm256_storeu_ps(out + c, a0); _mm256_storeu_ps(out + c + 8, a1);
            _mm256_storeu_ps(out + c + 16, a2); _mm256_storeu_ps(out + c + 24, a3);
            _mm256_storeu_ps(out + c + 32, a4); _mm256_storeu_ps(out + c + 40, a5);
            _mm256_storeu_ps(out + c + 48, a6); _mm256_storeu_ps(out + c + 56, a7);
        }
        for (; c + 32 <= d; c += 32) {
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            for (long k = k0; k < k1; k++) {
                const float *src = x + (long)idx[k] * d + c;
                const __m256 wk = _mm256_set1_ps(w[k]);
                a0 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src), a0);
                a1 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 8), a1);
                a2 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 16), a2);
                a3 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(src + 24), a3);
            }
            _mm256_storeu_ps(out + c, a0); _mm256_storeu_ps(out + c + 8, a1);
            _mm256_storeu_ps(out + c + 16, a2); _mm256_storeu_ps(out + c + 24, a3);
        }
        for (; c + 8 <= d; c += 8) {
            __m256 a0 = _mm256_setzero_ps();
            for (long k = k0; k < k1; k++) a0 = _mm256_fmadd_ps(_mm256_set1_ps(w[k]), _mm256_loadu_ps(x + (long)idx[k] * d + c), a0);
            _mm256_storeu_ps(out + c, a0);
        }
        for (; c < d; c++) {
            float s = 0;
            for (long k = k0; k < k1; k++) s = __builtin_fmaf(w[k], x[(long)idx[k] * d + c], s);
            out[c] = s;
        }
    }
}
__attribute__((target("avx2,fma")))
static inline void recbench_scatter_rows_avx2(float *x, const float *g, const int32_t *offsets, const int32_t *idx,
                                              const float *w, long rows, long d, long c0, long c1) {
    for (long r = 0; r < rows; r++) {
        const float *gr = g + r * d;
        for (long k = offsets[r]; k < offsets[r + 1]; k++) {
            float *dst = x + (long)idx[k] * d;
            const __m256 wk = _mm256_set1_ps(w[k]);
            long c = c0;
            for (; c + 8 <= c1; c += 8)
                _mm256_storeu_ps(dst + c, _mm256_fmadd_ps(wk, _mm256_loadu_ps(gr + c), _mm256_loadu_ps(dst + c)));
            for (; c < c1; c++) dst[c] = __builtin_fmaf(w[k], gr[c], dst[c]);
        }
    }
}

// One Adam step over n floats (n a multiple of 8), operation for operation the Swift loop's: no
// FMA (target "avx2" alone), so every lane rounds as the scalar formula does. The gradient is
// zeroed as it is read; so is `extra` (NULL for none), a second gradient added to it first, as a
// separate pass would add it. Returns the sum of the raw squared gradients (for the reported norm).
// Swift's SIMD8 square root is a lane-by-lane scalar loop on the baseline target, which made
// this step a third of a NeuMF epoch.
__attribute__((target("avx2")))
static inline float recbench_adam_avx2(float *w, float *g, float *extra, float *m, float *v, long n, float clip,
                                       float l2, float shrink, float b1, float one_minus_b1, float b2,
                                       float one_minus_b2, float lr, float eps) {
    const __m256 vclip = _mm256_set1_ps(clip), vl2 = _mm256_set1_ps(l2), vshrink = _mm256_set1_ps(shrink);
    const __m256 vb1 = _mm256_set1_ps(b1), va1 = _mm256_set1_ps(one_minus_b1);
    const __m256 vb2 = _mm256_set1_ps(b2), va2 = _mm256_set1_ps(one_minus_b2);
    const __m256 vlr = _mm256_set1_ps(lr), veps = _mm256_set1_ps(eps), zero = _mm256_setzero_ps();
    __m256 sq = zero;
    for (long i = 0; i + 8 <= n; i += 8) {
        __m256 raw = _mm256_loadu_ps(g + i);
        if (extra) {
            raw = _mm256_add_ps(raw, _mm256_loadu_ps(extra + i));
            _mm256_storeu_ps(extra + i, zero);
        }
        const __m256 wi = _mm256_loadu_ps(w + i);
        const __m256 gi = _mm256_add_ps(_mm256_mul_ps(raw, vclip), _mm256_mul_ps(vl2, wi));
        const __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(va1, gi));
        const __m256 vi =
            _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(va2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        const __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_mul_ps(wi, vshrink), step));
        _mm256_storeu_ps(g + i, zero);
        sq = _mm256_add_ps(sq, _mm256_mul_ps(raw, raw));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, sq);
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// 32 scores a step: four compares OR-ed into one mask, so a step that rejects all 32 costs one
// branch; a hit is then located inside the step by the portable loop. An ordered compare is false
// for NaN, as in the portable loop.
__attribute__((target("avx2")))
static inline long recbench_first_above_avx2(const float *x, const float *bias, long n, float t) {
    const __m256 limit = _mm256_set1_ps(t);
    long j = 0;
    for (; j + 32 <= n; j += 32) {
        __m256 a = _mm256_loadu_ps(x + j), b = _mm256_loadu_ps(x + j + 8);
        __m256 c = _mm256_loadu_ps(x + j + 16), d = _mm256_loadu_ps(x + j + 24);
        if (bias) {
            a = _mm256_add_ps(a, _mm256_loadu_ps(bias + j)); b = _mm256_add_ps(b, _mm256_loadu_ps(bias + j + 8));
            c = _mm256_add_ps(c, _mm256_loadu_ps(bias + j + 16)); d = _mm256_add_ps(d, _mm256_loadu_ps(bias + j + 24));
        }
        const __m256 above = _mm256_or_ps(
            _mm256_or_ps(_mm256_cmp_ps(a, limit, _CMP_GT_OQ), _mm256_cmp_ps(b, limit, _CMP_GT_OQ)),
            _mm256_or_ps(_mm256_cmp_ps(c, limit, _CMP_GT_OQ), _mm256_cmp_ps(d, limit, _CMP_GT_OQ)));
        if (_mm256_movemask_ps(above)) {
            const long hit = recbench_first_above_portable(x + j, bias ? bias + j : 0, 32, t);
            if (hit < 32) return j + hit;
        }
    }
    const long rest = recbench_first_above_portable(x + j, bias ? bias + j : 0, n - j, t);
    return j + rest;
}

// The fused scoring tile (the full ranking's hot loop): for rows r < m of `users` (d floats each)
// and the tile's items packed 16 to a group (panel[(g·d + c)·16 + l] = factor c of item 16g + l),
// the dot products accumulated in ascending c with one FMA per term. Bit g of
// flags[r·words + g/64] is set when some item of group g scores (+ bias[16g + l]) at least
// thresholds[r], or NaN, and only then are the group's 16 scores stored, at out[r·ldc + 16g …]:
// an item of a clear group cannot enter a top-K heap whose root was thresholds[r], so the
// selection reads flagged groups only and most of the tile is never written. A group's panel
// (16·d floats) stays in L1 while every row of the block passes over it; six rows × 16 items is
// twelve accumulators, two panel loads and one broadcast register: fifteen of sixteen. The rows
// and groups are spelled out per count (the accumulators must be registers, which Swift's Clang
// importer does not make of a loop over an array).
__attribute__((target("avx2,fma"), always_inline))
static inline void recbench_flag_group(__m256 lo, __m256 hi, const float *bias, float threshold, float *out,
                                       uint64_t *flags, long g) {
    const __m256 s0 = bias ? _mm256_add_ps(lo, _mm256_loadu_ps(bias)) : lo;
    const __m256 s1 = bias ? _mm256_add_ps(hi, _mm256_loadu_ps(bias + 8)) : hi;
    const __m256 limit = _mm256_set1_ps(threshold);
    // Not-less-than, unordered: true for ties and for NaN on either side.
    const __m256 hit = _mm256_or_ps(_mm256_cmp_ps(s0, limit, _CMP_NLT_UQ), _mm256_cmp_ps(s1, limit, _CMP_NLT_UQ));
    if (_mm256_movemask_ps(hit)) {
        flags[g >> 6] |= (uint64_t)1 << (g & 63);
        _mm256_storeu_ps(out, lo);
        _mm256_storeu_ps(out + 8, hi);
    }
}

// The kernel's panel: tile position q (< cols) is item ids[q] (first + q without ids), whose row is
// items[item·d …]; panel[(g·d + c)·16 + l] = factor c of position 16g + l, zero past cols. Full
// groups go through 8 × 8 transposes (eight row loads, eight column stores); the last group and a
// remainder of d below 8 columns are copied one float at a time. recbench_transpose8 writes column
// c + i of the eight rows to dst + i·ld.
__attribute__((target("avx2"), always_inline))
static inline void recbench_transpose8(const float *const *src, long c, float *dst, long ld) {
    const __m256 r0 = _mm256_loadu_ps(src[0] + c), r1 = _mm256_loadu_ps(src[1] + c);
    const __m256 r2 = _mm256_loadu_ps(src[2] + c), r3 = _mm256_loadu_ps(src[3] + c);
    const __m256 r4 = _mm256_loadu_ps(src[4] + c), r5 = _mm256_loadu_ps(src[5] + c);
    const __m256 r6 = _mm256_loadu_ps(src[6] + c), r7 = _mm256_loadu_ps(src[7] + c);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ld, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 1 * ld, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ld, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ld, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ld, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ld, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ld, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ld, _mm256_permute2f128_ps(s3, s7, 0x31));
}

__attribute__((target("avx2")))
static inline void recbench_pack_panel_avx2(const float *items, const int32_t *ids, long first, long cols, long d,
                                            float *panel) {
    const long groups = (cols + 15) / 16;
    for (long g = 0; g < groups; g++) {
        float *dst = panel + g * d * 16;
        const float *src[16];
        for (int l = 0; l < 16; l++) {
            const long q = g * 16 + l;
            src[l] = q < cols ? items + (ids ? (long)ids[q] : first + q) * d : 0;
        }
        long c = 0;
        if (g * 16 + 16 <= cols) {
            for (; c + 8 <= d; c += 8) {
                recbench_transpose8(src, c, dst + c * 16, 16);
                recbench_transpose8(src + 8, c, dst + c * 16 + 8, 16);
            }
        }
        for (; c < d; c++)
            for (int l = 0; l < 16; l++) dst[c * 16 + l] = src[l] ? src[l][c] : 0.0f;
    }
}

// iALS++ with blocks of eight factors over rows [begin, end) of one half-sweep, block-major: for each
// block B, every row's 8 × 8 system H = G_BB + Σ_j w_j z_j z_jᵀ, g = (G x)_B + Σ_j (w_j s_j − c_j) z_j
// (w_j = c_j − 1, s_j = y_j·x) is solved and x_B −= H⁻¹g, then s is brought up to date. The fixed
// side comes packed block by block: z_j = packed[8·(B·m + cols[j]) …] for its m rows, so a block's
// slice is m·32 contiguous bytes that stay in cache while every row goes through the block, where a
// row-major order reads each y_j whole (a kilobyte per interaction at 256 factors) from memory.
// s (offsets[end] − offsets[begin] floats, scratch) is filled first the same way. zbuf (8 floats per
// entry of the longest row, at least 64) keeps a row's z_j between its two passes. k is a multiple
// of 8. Returns 0 when a system is not positive definite.
__attribute__((target("avx2,fma"), always_inline))
static inline float recbench_hsum8(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

// v · z_q for eight vectors z_q = z + 8q: lane q of the result.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 recbench_dots8(__m256 v, const float *z) {
    const __m256 t0 = _mm256_hadd_ps(_mm256_mul_ps(v, _mm256_loadu_ps(z)), _mm256_mul_ps(v, _mm256_loadu_ps(z + 8)));
    const __m256 t1 = _mm256_hadd_ps(_mm256_mul_ps(v, _mm256_loadu_ps(z + 16)), _mm256_mul_ps(v, _mm256_loadu_ps(z + 24)));
    const __m256 t2 = _mm256_hadd_ps(_mm256_mul_ps(v, _mm256_loadu_ps(z + 32)), _mm256_mul_ps(v, _mm256_loadu_ps(z + 40)));
    const __m256 t3 = _mm256_hadd_ps(_mm256_mul_ps(v, _mm256_loadu_ps(z + 48)), _mm256_mul_ps(v, _mm256_loadu_ps(z + 56)));
    const __m256 a = _mm256_hadd_ps(t0, t1), b = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// The implicit-ALS conjugate gradient's sparse part (ImplicitCG.accumulate): out += Σ_j γ_j y_j with
// γ_j = (c_j − 1)(y_j·v), or with `residual` γ_j = c_j − (c_j − 1)(y_j·v), y_j = fixed[cols[j]·k …], four
// rows at a time (v and out loaded once per four, four independent dot products). The residual pass is
// the first touch of the rows and fetches four rows ahead; the later passes prefetch one row of the
// next row set (`ahead`, from index `next`) per four rows. Returns the new `next`.
__attribute__((target("avx2,fma")))
static inline long recbench_ials_cg_accumulate_avx2(const float *fixed, long k, const int32_t *cols, const float *conf,
                                                    long n, const float *v, float *out, int residual,
                                                    const int32_t *ahead, long ahead_count, long next) {
    const long wide = k & ~7L;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        if (residual && j + 8 <= n) {
            for (int q = 4; q < 8; q++)
                for (long o = 0; o < k; o += 16) __builtin_prefetch(fixed + (long)cols[j + q] * k + o, 0, 3);
        } else if (!residual && next < ahead_count) {
            for (long o = 0; o < k; o += 16) __builtin_prefetch(fixed + (long)ahead[next] * k + o, 0, 3);
            next++;
        }
        const float *z0 = fixed + (long)cols[j] * k, *z1 = fixed + (long)cols[j + 1] * k;
        const float *z2 = fixed + (long)cols[j + 2] * k, *z3 = fixed + (long)cols[j + 3] * k;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (long c = 0; c < wide; c += 8) {
            const __m256 vv = _mm256_loadu_ps(v + c);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(z0 + c), vv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(z1 + c), vv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(z2 + c), vv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(z3 + c), vv, a3);
        }
        float d0 = recbench_hsum8(a0), d1 = recbench_hsum8(a1), d2 = recbench_hsum8(a2), d3 = recbench_hsum8(a3);
        for (long c = wide; c < k; c++) { d0 += z0[c] * v[c]; d1 += z1[c] * v[c]; d2 += z2[c] * v[c]; d3 += z3[c] * v[c]; }
        float g0 = (conf[j] - 1) * d0, g1 = (conf[j + 1] - 1) * d1, g2 = (conf[j + 2] - 1) * d2, g3 = (conf[j + 3] - 1) * d3;
        if (residual) { g0 = conf[j] - g0; g1 = conf[j + 1] - g1; g2 = conf[j + 2] - g2; g3 = conf[j + 3] - g3; }
        const __m256 s0 = _mm256_set1_ps(g0), s1 = _mm256_set1_ps(g1), s2 = _mm256_set1_ps(g2), s3 = _mm256_set1_ps(g3);
        for (long c = 0; c < wide; c += 8) {
            __m256 acc = _mm256_loadu_ps(out + c);
            acc = _mm256_fmadd_ps(s0, _mm256_loadu_ps(z0 + c), acc);
            acc = _mm256_fmadd_ps(s1, _mm256_loadu_ps(z1 + c), acc);
            acc = _mm256_fmadd_ps(s2, _mm256_loadu_ps(z2 + c), acc);
            acc = _mm256_fmadd_ps(s3, _mm256_loadu_ps(z3 + c), acc);
            _mm256_storeu_ps(out + c, acc);
        }
        for (long c = wide; c < k; c++) out[c] += g0 * z0[c] + g1 * z1[c] + g2 * z2[c] + g3 * z3[c];
    }
    for (; j < n; j++) {
        const float *z = fixed + (long)cols[j] * k;
        if (!residual && next < ahead_count) {
            for (long o = 0; o < k; o += 16) __builtin_prefetch(fixed + (long)ahead[next] * k + o, 0, 3);
            next++;
        }
        __m256 a = _mm256_setzero_ps();
        for (long c = 0; c < wide; c += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(z + c), _mm256_loadu_ps(v + c), a);
        float d = recbench_hsum8(a);
        for (long c = wide; c < k; c++) d += z[c] * v[c];
        float g = (conf[j] - 1) * d;
        if (residual) g = conf[j] - g;
        const __m256 sg = _mm256_set1_ps(g);
        for (long c = 0; c < wide; c += 8)
            _mm256_storeu_ps(out + c, _mm256_fmadd_ps(sg, _mm256_loadu_ps(z + c), _mm256_loadu_ps(out + c)));
        for (long c = wide; c < k; c++) out[c] += g * z[c];
    }
    return next;
}

#define RECBENCH_H8(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
__attribute__((target("avx2,fma")))
static inline int recbench_ials_block8_avx2(const float *G, const float *packed, long m, long k, const long *offsets,
                                            const int32_t *cols, const float *conf, float *s, float *X, long begin,
                                            long end, float *zbuf) {
    const long base = offsets[begin];
    for (long j = base; j < offsets[end]; j++) s[j - base] = 0;
    for (long b0 = 0; b0 < k; b0 += 8) {
        const float *slice = packed + b0 * m;
        for (long u = begin; u < end; u++) {
            const __m256 xv = _mm256_loadu_ps(X + u * k + b0);
            const long lo = offsets[u], hi = offsets[u + 1];
            long j = lo;
            for (; j + 8 <= hi; j += 8) {
                // The slice's rows come from anywhere in it: fetch two groups ahead.
                for (int q = 0; q < 8 && j + 16 + q < hi; q++) __builtin_prefetch(slice + 8 * (long)cols[j + 16 + q], 0, 3);
                for (int q = 0; q < 8; q++)
                    _mm256_storeu_ps(zbuf + 8 * q, _mm256_loadu_ps(slice + 8 * (long)cols[j + q]));
                float *sp = s + (j - base);
                _mm256_storeu_ps(sp, _mm256_add_ps(_mm256_loadu_ps(sp), recbench_dots8(xv, zbuf)));
            }
            for (; j < hi; j++)
                s[j - base] += recbench_hsum8(_mm256_mul_ps(xv, _mm256_loadu_ps(slice + 8 * (long)cols[j])));
        }
    }
    for (long b0 = 0; b0 < k; b0 += 8) {
        const float *slice = packed + b0 * m;
        for (long u = begin; u < end; u++) {
            float *x = X + u * k;
            // (G x)_B: eight dot products sharing the loads of x.
#define RECBENCH_D(r) __m256 d##r = _mm256_setzero_ps();
            RECBENCH_H8(RECBENCH_D)
#undef RECBENCH_D
            for (long c = 0; c < k; c += 8) {
                const __m256 xv = _mm256_loadu_ps(x + c);
#define RECBENCH_D(r) d##r = _mm256_fmadd_ps(_mm256_loadu_ps(G + (b0 + r) * k + c), xv, d##r);
                RECBENCH_H8(RECBENCH_D)
#undef RECBENCH_D
            }
            float h[64], g[8];
#define RECBENCH_D(r) g[r] = recbench_hsum8(d##r); __m256 h##r = _mm256_loadu_ps(G + (b0 + r) * k + b0);
            RECBENCH_H8(RECBENCH_D)
#undef RECBENCH_D
            __m256 gv = _mm256_loadu_ps(g);
            const long lo = offsets[u], hi = offsets[u + 1];
            for (long j = lo; j < hi; j++) {
                if (j + 16 < hi) __builtin_prefetch(slice + 8 * (long)cols[j + 16], 0, 3);
                const float *zp = slice + 8 * (long)cols[j];
                const float w = conf[j] - 1, e = w * s[j - base] - conf[j];
                const __m256 z = _mm256_loadu_ps(zp), wz = _mm256_mul_ps(_mm256_set1_ps(w), z);
                _mm256_storeu_ps(zbuf + 8 * (j - lo), z);
#define RECBENCH_D(r) h##r = _mm256_fmadd_ps(_mm256_broadcast_ss(zp + r), wz, h##r);
                RECBENCH_H8(RECBENCH_D)
#undef RECBENCH_D
                gv = _mm256_fmadd_ps(_mm256_set1_ps(e), z, gv);
            }
#define RECBENCH_D(r) _mm256_storeu_ps(h + r * 8, h##r);
            RECBENCH_H8(RECBENCH_D)
#undef RECBENCH_D
            _mm256_storeu_ps(g, gv);
            // H = L·Lᵀ in the lower triangle, then L y = g and Lᵀ δ = y.
            for (int j = 0; j < 8; j++) {
                float dj = h[j * 8 + j];
                for (int c = 0; c < j; c++) dj -= h[j * 8 + c] * h[j * 8 + c];
                if (!(dj > 0)) return 0;
                const float l = __builtin_sqrtf(dj);
                h[j * 8 + j] = l;
                for (int i = j + 1; i < 8; i++) {
                    float v = h[i * 8 + j];
                    for (int c = 0; c < j; c++) v -= h[i * 8 + c] * h[j * 8 + c];
                    h[i * 8 + j] = v / l;
                }
            }
            for (int i = 0; i < 8; i++) {
                float v = g[i];
                for (int c = 0; c < i; c++) v -= h[i * 8 + c] * g[c];
                g[i] = v / h[i * 8 + i];
            }
            for (int i = 7; i >= 0; i--) {
                float v = g[i];
                for (int r = i + 1; r < 8; r++) v -= h[r * 8 + i] * g[r];
                g[i] = v / h[i * 8 + i];
            }
            const __m256 delta = _mm256_loadu_ps(g);
            _mm256_storeu_ps(x + b0, _mm256_sub_ps(_mm256_loadu_ps(x + b0), delta));
            long j = lo;
            for (; j + 8 <= hi; j += 8) {
                float *sp = s + (j - base);
                _mm256_storeu_ps(sp, _mm256_sub_ps(_mm256_loadu_ps(sp), recbench_dots8(delta, zbuf + 8 * (j - lo))));
            }
            for (; j < hi; j++) s[j - base] -= recbench_hsum8(_mm256_mul_ps(delta, _mm256_loadu_ps(zbuf + 8 * (j - lo))));
        }
    }
    return 1;
}
#undef RECBENCH_H8

// N rows × G groups (2·N·G ≤ 12 accumulators): six rows take one group at a time; fewer rows
// take several groups at once, so that a narrow block (the last users of a walk by norm) still
// has eight or more independent FMA chains instead of one row's two.
#define RECBENCH_ACC(r)                                                                            \
    __m256 lo##r##0 = zero, hi##r##0 = zero, lo##r##1 = zero, hi##r##1 = zero;                     \
    __m256 lo##r##2 = zero, hi##r##2 = zero, lo##r##3 = zero, hi##r##3 = zero;
#define RECBENCH_LOAD(G, g)                                                                        \
    __m256 b0##g = zero, b1##g = zero;                                                             \
    if (G > g) {                                                                                   \
        b0##g = _mm256_loadu_ps(p + g * d * 16 + c * 16);                                          \
        b1##g = _mm256_loadu_ps(p + g * d * 16 + c * 16 + 8);                                      \
    }
#define RECBENCH_FMA(N, G, r, g)                                                                   \
    if (N > r && G > g) {                                                                          \
        lo##r##g = _mm256_fmadd_ps(x, b0##g, lo##r##g);                                            \
        hi##r##g = _mm256_fmadd_ps(x, b1##g, hi##r##g);                                            \
    }
#define RECBENCH_ROW(N, G, r)                                                                      \
    if (N > r) {                                                                                   \
        const __m256 x = _mm256_broadcast_ss(users + r * d + c);                                   \
        RECBENCH_FMA(N, G, r, 0) RECBENCH_FMA(N, G, r, 1) RECBENCH_FMA(N, G, r, 2) RECBENCH_FMA(N, G, r, 3) \
    }
#define RECBENCH_FLAG(N, G, r, g)                                                                  \
    if (N > r && G > g)                                                                            \
        recbench_flag_group(lo##r##g, hi##r##g, bias ? bias + g * 16 : 0, thresholds[r],           \
                            out + r * ldc + g * 16, flags + r * words, group + g);
#define RECBENCH_FLAGS(N, G, r)                                                                    \
    RECBENCH_FLAG(N, G, r, 0) RECBENCH_FLAG(N, G, r, 1) RECBENCH_FLAG(N, G, r, 2) RECBENCH_FLAG(N, G, r, 3)
#define RECBENCH_SCORE_GROUPS(N, G)                                                                \
    __attribute__((target("avx2,fma"), always_inline)) static inline void recbench_score_##N##x##G(   \
        const float *users, long d, const float *p, const float *bias, const float *thresholds,    \
        float *out, long ldc, uint64_t *flags, long words, long group) {                           \
        const __m256 zero = _mm256_setzero_ps();                                                   \
        RECBENCH_ACC(0) RECBENCH_ACC(1) RECBENCH_ACC(2) RECBENCH_ACC(3) RECBENCH_ACC(4) RECBENCH_ACC(5) \
        for (long c = 0; c < d; c++) {                                                             \
            RECBENCH_LOAD(G, 0) RECBENCH_LOAD(G, 1) RECBENCH_LOAD(G, 2) RECBENCH_LOAD(G, 3)        \
            RECBENCH_ROW(N, G, 0) RECBENCH_ROW(N, G, 1) RECBENCH_ROW(N, G, 2)                      \
            RECBENCH_ROW(N, G, 3) RECBENCH_ROW(N, G, 4) RECBENCH_ROW(N, G, 5)                      \
        }                                                                                          \
        RECBENCH_FLAGS(N, G, 0) RECBENCH_FLAGS(N, G, 1) RECBENCH_FLAGS(N, G, 2)                    \
        RECBENCH_FLAGS(N, G, 3) RECBENCH_FLAGS(N, G, 4) RECBENCH_FLAGS(N, G, 5)                    \
    }
RECBENCH_SCORE_GROUPS(6, 1)
RECBENCH_SCORE_GROUPS(5, 1)
RECBENCH_SCORE_GROUPS(4, 1)
RECBENCH_SCORE_GROUPS(3, 2)
RECBENCH_SCORE_GROUPS(3, 1)
RECBENCH_SCORE_GROUPS(2, 3)
RECBENCH_SCORE_GROUPS(2, 1)
RECBENCH_SCORE_GROUPS(1, 4)
RECBENCH_SCORE_GROUPS(1, 1)
#undef RECBENCH_SCORE_GROUPS
#undef RECBENCH_FLAGS
#undef RECBENCH_FLAG
#undef RECBENCH_ROW
#undef RECBENCH_FMA
#undef RECBENCH_LOAD
#undef RECBENCH_ACC

// The part-groups of a narrow row block: `wide` groups at a time while they last, then one.
#define RECBENCH_REST(N, W)                                                                        \
    for (long g = 0; g < groups;) {                                                                \
        const long at = g;                                                                         \
        const float *pg = panel + at * d * 16, *bg = bias ? bias + at * 16 : 0;                     \
        if (g + W <= groups) {                                                                     \
            recbench_score_##N##x##W(u, d, pg, bg, t, o + at * 16, ldc, f, words, at);             \
            g += W;                                                                                \
        } else {                                                                                   \
            recbench_score_##N##x1(u, d, pg, bg, t, o + at * 16, ldc, f, words, at);               \
            g += 1;                                                                                \
        }                                                                                          \
    }

__attribute__((target("avx2,fma")))
static inline void recbench_score_tile_avx2(const float *users, long m, long d, const float *panel, long groups,
                                            const float *bias, const float *thresholds, float *out, long ldc,
                                            uint64_t *flags, long words) {
    for (long i = 0; i < m * words; i++) flags[i] = 0;
    const long full = m / 6 * 6;
    // Six rows at a time, group by group: a group's panel (16·d floats) stays in L1 meanwhile.
    for (long g = 0; g < groups; g++) {
        const float *p = panel + g * d * 16, *b = bias ? bias + g * 16 : 0;
        for (long r = 0; r < full; r += 6)
            recbench_score_6x1(users + r * d, d, p, b, thresholds + r, out + r * ldc + g * 16, ldc, flags + r * words,
                               words, g);
    }
    const float *u = users + full * d, *t = thresholds + full;
    float *o = out + full * ldc;
    uint64_t *f = flags + full * words;
    switch (m - full) {
    case 5: RECBENCH_REST(5, 1) break;
    case 4: RECBENCH_REST(4, 1) break;
    case 3: RECBENCH_REST(3, 2) break;
    case 2: RECBENCH_REST(2, 3) break;
    case 1: RECBENCH_REST(1, 4) break;
    default: break;
    }
}
#undef RECBENCH_REST

#else
static inline int recbench_has_avx2_fma(void) { return 0; }
static inline long recbench_first_above_avx2(const float *x, const float *bias, long n, float t) {
    return recbench_first_above_portable(x, bias, n, t);
}
static inline void recbench_spmm_rows_avx2(float *y, const float *x, const long *offsets, const int32_t *idx,
                                           const float *w, long begin, long end, long d) {
    recbench_spmm_rows_portable(y, x, offsets, idx, w, begin, end, d);
}
static inline void recbench_scatter_rows_avx2(float *x, const float *g, const int32_t *offsets, const int32_t *idx,
                                              const float *w, long rows, long d, long c0, long c1) {
    recbench_scatter_rows_portable(x, g, offsets, idx, w, rows, d, c0, c1);
}
// Never called where recbench_has_avx2_fma() is 0; defined so the Swift caller compiles everywhere.
static inline float recbench_adam_avx2(float *w, float *g, float *extra, float *m, float *v, long n, float clip,
                                       float l2, float shrink, float b1, float one_minus_b1, float b2,
                                       float one_minus_b2, float lr, float eps) {
    (void)w; (void)g; (void)extra; (void)m; (void)v; (void)n; (void)clip; (void)l2; (void)shrink; (void)b1; (void)one_minus_b1;
    (void)b2; (void)one_minus_b2; (void)lr; (void)eps;
    __builtin_trap();
}
static inline void recbench_score_tile_avx2(const float *users, long m, long d, const float *panel, long groups,
                                            const float *bias, const float *thresholds, float *out, long ldc,
                                            uint64_t *flags, long words) {
    (void)users; (void)m; (void)d; (void)panel; (void)groups; (void)bias; (void)thresholds; (void)out; (void)ldc;
    (void)flags; (void)words;
    __builtin_trap();
}
static inline void recbench_pack_panel_avx2(const float *items, const int32_t *ids, long first, long cols, long d,
                                            float *panel) {
    (void)items; (void)ids; (void)first; (void)cols; (void)d; (void)panel;
    __builtin_trap();
}
static inline int recbench_ials_block8_avx2(const float *G, const float *packed, long m, long k, const long *offsets,
                                            const int32_t *cols, const float *conf, float *s, float *X, long begin,
                                            long end, float *zbuf) {
    (void)G; (void)packed; (void)m; (void)k; (void)offsets; (void)cols; (void)conf; (void)s; (void)X; (void)begin; (void)end;
    (void)zbuf;
    __builtin_trap();
}
static inline long recbench_ials_cg_accumulate_avx2(const float *fixed, long k, const int32_t *cols, const float *conf,
                                                    long n, const float *v, float *out, int residual,
                                                    const int32_t *ahead, long ahead_count, long next) {
    (void)fixed; (void)k; (void)cols; (void)conf; (void)n; (void)v; (void)out; (void)residual; (void)ahead;
    (void)ahead_count; (void)next;
    __builtin_trap();
}
#endif

#endif

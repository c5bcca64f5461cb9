/*
 * BF16 micro-kernels for Mtrl's packed GEMM (src/Kernels/Gemm/Bf16MicroKernel.cs).
 *
 * .NET 10 exposes no AVX512_BF16 intrinsic, so the one instruction this path exists for,
 * VDPBF16PS (two bfloat16 products per float32 lane, accumulated in float32), is reached from C.
 * Everything else — blocking, packing, rounding to bfloat16, epilogues, threads — stays in C#;
 * these functions only run the register-blocked inner loop over panels C# packed.
 *
 * Packed layout (both operands): element pairs along the depth, one 32-bit word per pair, the
 * even depth index in the low half. A panel: 12 words (one per row) per depth pair; B panel: 32
 * words (one per column) per depth pair. The tile update matches the float32 kernels:
 * beta == 0 writes alpha*acc without reading C (C may hold NaN), otherwise alpha*acc + beta*C.
 */
#include <immintrin.h>
#include <stdint.h>

#define MTRL_EXPORT __attribute__((visibility("default")))
#define MTRL_BF16 __attribute__((target("avx512f,avx512bf16")))

static inline MTRL_BF16 void store_row(float *row, __m512 acc, __m512 alpha, __m512 beta, int overwrite)
{
    __m512 value = overwrite
        ? _mm512_mul_ps(alpha, acc)
        : _mm512_fmadd_ps(alpha, acc, _mm512_mul_ps(beta, _mm512_loadu_ps(row)));
    _mm512_storeu_ps(row, value);
}

/* Applies one macro per row of the 12-row tile, so every accumulator is a named register variable. */
#define MTRL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

/* C[12x32] = alpha * sum over pairs of A-pair * B-pair + beta * C. */
MTRL_EXPORT MTRL_BF16 void mtrl_bf16_tile_12x32(
    int pairs, const uint32_t *a, const uint32_t *b, float *c, int ldc, float alpha, float beta)
{
#define MTRL_DECLARE2(r) __m512 acc##r##_0 = _mm512_setzero_ps(), acc##r##_1 = _mm512_setzero_ps();
    MTRL_ROWS(MTRL_DECLARE2)
    for (int p = 0; p < pairs; p++)
    {
        /* 24 accumulators, 2 B vectors and 1 broadcast A pair: 27 of the 32 registers. */
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 16);
#define MTRL_STEP2(r) \
        { \
            __m512bh ar = (__m512bh)_mm512_set1_epi32((int)a[r]); \
            acc##r##_0 = _mm512_dpbf16_ps(acc##r##_0, ar, b0); \
            acc##r##_1 = _mm512_dpbf16_ps(acc##r##_1, ar, b1); \
        }
        MTRL_ROWS(MTRL_STEP2)
        a += 12;
        b += 32;
    }

    __m512 va = _mm512_set1_ps(alpha);
    __m512 vb = _mm512_set1_ps(beta);
    int overwrite = beta == 0.0f;
#define MTRL_STORE2(r) \
    store_row(c + (long)(r) * ldc, acc##r##_0, va, vb, overwrite); \
    store_row(c + (long)(r) * ldc + 16, acc##r##_1, va, vb, overwrite);
    MTRL_ROWS(MTRL_STORE2)
}

/*
 * The left half (12x16) of a tile from a panel packed 32 wide, for the last panel of a C whose
 * width leaves 16 or fewer columns: half the work, and per element the same accumulation as the
 * full tile, so results do not depend on which one ran.
 */
MTRL_EXPORT MTRL_BF16 void mtrl_bf16_tile_12x16(
    int pairs, const uint32_t *a, const uint32_t *b, float *c, int ldc, float alpha, float beta)
{
#define MTRL_DECLARE1(r) __m512 acc##r = _mm512_setzero_ps();
    MTRL_ROWS(MTRL_DECLARE1)
    for (int p = 0; p < pairs; p++)
    {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
#define MTRL_STEP1(r) acc##r = _mm512_dpbf16_ps(acc##r, (__m512bh)_mm512_set1_epi32((int)a[r]), b0);
        MTRL_ROWS(MTRL_STEP1)
        a += 12;
        b += 32;
    }

    __m512 va = _mm512_set1_ps(alpha);
    __m512 vb = _mm512_set1_ps(beta);
    int overwrite = beta == 0.0f;
#define MTRL_STORE1(r) store_row(c + (long)(r) * ldc, acc##r, va, vb, overwrite);
    MTRL_ROWS(MTRL_STORE1)
}

/* Float32 exp, log and cos/sin of a turn for elementwise loops that run over every unit
 * or weight in every batch (SiLU, the weights' sigmas, Box-Muller), and a float64 exp
 * for the Monte-Carlo passes' variances (nn/predict.c), written as plain
 * arithmetic so that GCC inlines and vectorises them in those loops.
 *
 * Why not glibc's vector functions (libmvec) or SLEEF there: a call to either, one per
 * 16 values, spills the vector registers and handles arguments these loops never see
 * (Payne-Hanek reduction of huge angles, subnormal results). Measured on the project's
 * machine (BENCHMARKS.md, "Issue 12, fourth round"): SiLU of a 64-row block of the
 * precision network 4.2 -> 2.4-2.7 us, Box-Muller 0.44-0.58 -> 0.36-0.41 ns per normal.
 * Each function states its range and accuracy; the callers keep inside them.
 *
 * Every rounding is spelt out (fmaf; no contraction is left to the compiler), so a value
 * comes out the same in a vector lane and in a scalar remainder, on every processor with
 * FMA and, through libm's fmaf, without. */
#ifndef BA_VECMATH_H
#define BA_VECMATH_H

#include <math.h>
#include <stdint.h>

static inline uint32_t vm_bits(float x)
{
    union { float f; uint32_t u; } v = {.f = x};
    return v.u;
}

static inline float vm_float(uint32_t u)
{
    union { uint32_t u; float f; } v = {.u = u};
    return v.f;
}

/* e^x, relative error below 3e-7 for x in [-87, 88]; outside, it gives e^-87 (1.6e-38)
 * or e^88 (1.7e38) instead of a smaller or larger number. x = n ln2 + r with
 * n = round(x / ln2), |r| <= ln2 / 2 (ln2 in two parts, so that r is exact to float
 * precision); e^r from its Taylor series to r^7, whose next term is below 5e-9 there;
 * 2^n put into the exponent bits. A NaN gives some finite number: the callers' NaNs
 * reach the loss by another way (SiLU multiplies the result into its NaN input; a NaN
 * log-variance makes the KL NaN). */
static inline float vm_exp(float x)
{
    const float log2e = 1.44269504f, ln2_hi = 0.693145752f, ln2_lo = 1.42860677e-06f;
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float xc = x > -87.0f ? (x < 88.0f ? x : 88.0f) : -87.0f;
    float t = fmaf(xc, log2e, shifter);
    float n = t - shifter;
    float r = fmaf(n, -ln2_hi, xc);
    r = fmaf(n, -ln2_lo, r);
    float p = 1.0f / 5040;
    p = fmaf(p, r, 1.0f / 720);
    p = fmaf(p, r, 1.0f / 120);
    p = fmaf(p, r, 1.0f / 24);
    p = fmaf(p, r, 1.0f / 6);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    /* n sits in t's low mantissa bits (two's complement); 2^n has exponent bits n + 127 */
    uint32_t scale = (vm_bits(t) - vm_bits(shifter) + 127u) << 23;
    return p * vm_float(scale);
}

static inline uint64_t vm_bits64(double x)
{
    union { double f; uint64_t u; } v = {.f = x};
    return v.u;
}

static inline double vm_double(uint64_t u)
{
    union { uint64_t u; double f; } v = {.u = u};
    return v.f;
}

/* e^x in double, within 2 ulp of the true value for x in [-708, 709]; x > 709 gives
 * infinity and x < -708 zero (true values beyond 8e307, and below 3.3e-308, which the
 * callers' variances never reach), a NaN a NaN. vm_exp's scheme with double constants:
 * x = n ln2 + r, |r| <= ln2 / 2, and e^r from its Taylor series to r^13, whose next term
 * is below 5e-18 there. */
static inline double vm_exp_f64(double x)
{
    const double log2e = 1.4426950408889634, ln2_hi = 6.93147180369123816490e-01,
                 ln2_lo = 1.90821492927058770002e-10;
    const double shifter = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    double xc = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x); /* a NaN stays */
    double t = fma(xc, log2e, shifter);
    double n = t - shifter;
    double r = fma(n, -ln2_hi, xc);
    r = fma(n, -ln2_lo, r);
    double p = 1.0 / 6227020800.0;
    p = fma(p, r, 1.0 / 479001600.0);
    p = fma(p, r, 1.0 / 39916800.0);
    p = fma(p, r, 1.0 / 3628800.0);
    p = fma(p, r, 1.0 / 362880.0);
    p = fma(p, r, 1.0 / 40320.0);
    p = fma(p, r, 1.0 / 5040.0);
    p = fma(p, r, 1.0 / 720.0);
    p = fma(p, r, 1.0 / 120.0);
    p = fma(p, r, 1.0 / 24.0);
    p = fma(p, r, 1.0 / 6.0);
    p = fma(p, r, 0.5);
    p = fma(p, r, 1.0);
    p = fma(p, r, 1.0);
    /* n sits in t's low mantissa bits; 2^n has exponent bits n + 1023 */
    double e = p * vm_double((vm_bits64(t) - vm_bits64(shifter) + 1023u) << 52);
    return x > 709.0 ? INFINITY : (x < -708.0 ? 0.0 : e);
}

/* log(x) for a normal positive float x (Box-Muller's uniforms in (0, 1)), relative error
 * below 2e-7. x = 2^e m with m in [sqrt(1/2), sqrt(2)); log m = t + t^2 q(t) with
 * t = m - 1 in [-0.293, 0.415] and q of degree 7, the Chebyshev interpolant of
 * (log(1 + t) - t) / t^2 there (largest relative error of log m 1.3e-7 in float). No
 * division: the atanh series this replaced needed (m - 1) / (m + 1), and the vector
 * division was 4 % of a normal's cost (BENCHMARKS.md, "Issue 12, seventh round"). */
static inline float vm_log_normal(float x)
{
    uint32_t b = vm_bits(x), mantissa = b & 0x007fffffu;
    uint32_t halve = mantissa > 0x003504f3u; /* m >= sqrt(2): take m / 2, e + 1 */
    float m = vm_float(mantissa | (halve ? 0x3f000000u : 0x3f800000u));
    float e = (float)((int32_t)(b >> 23) - 127 + (int32_t)halve);
    float t = m - 1.0f;
    float q = 0.090042025f;
    q = fmaf(q, t, -0.14257795f);
    q = fmaf(q, t, 0.1480646f);
    q = fmaf(q, t, -0.16575047f);
    q = fmaf(q, t, 0.19973105f);
    q = fmaf(q, t, -0.2500161f);
    q = fmaf(q, t, 0.3333366f);
    q = fmaf(q, t, -0.49999994f);
    return fmaf(e, 0.693147181f, fmaf(t * t, q, t));
}

/* cos(2 pi u) and sin(2 pi u) for u in [0, 1], absolute error below 2e-7: u = q/4 + r
 * with q = round(4u) and |r| <= 1/8 (exact in float), the Taylor series of cos and sin
 * of x = 2 pi r, |x| <= pi/4, to x^10 and x^9 (next terms below 2e-9), then q quarter
 * turns: each maps (cos, sin) to (-sin, cos). */
static inline void vm_cos_sin_turn(float u, float *c, float *s)
{
    const float shifter = 12582912.0f;
    float t = fmaf(u, 4.0f, shifter);
    float q = t - shifter;
    float x = 6.28318531f * fmaf(q, -0.25f, u), x2 = x * x;
    uint32_t quarters = (vm_bits(t) - vm_bits(shifter)) & 3u;
    float sp = 1.0f / 362880;
    sp = fmaf(sp, x2, -1.0f / 5040);
    sp = fmaf(sp, x2, 1.0f / 120);
    sp = fmaf(sp, x2, -1.0f / 6);
    sp = fmaf(sp, x2, 1.0f);
    float sine = x * sp;
    float cp = -1.0f / 3628800;
    cp = fmaf(cp, x2, 1.0f / 40320);
    cp = fmaf(cp, x2, -1.0f / 720);
    cp = fmaf(cp, x2, 1.0f / 24);
    cp = fmaf(cp, x2, -0.5f);
    float cosine = fmaf(cp, x2, 1.0f);
    float c1 = quarters & 1u ? -sine : cosine, s1 = quarters & 1u ? cosine : sine;
    *c = quarters & 2u ? -c1 : c1;
    *s = quarters & 2u ? -s1 : s1;
}

#if defined(__AVX512F__)
#include <immintrin.h>

/* The logistic function 1 / (1 + e^-x) of 16 floats with AVX-512, relative error below
 * 3e-7 (SiLU, nn/activation.c). e^x = 2^(n/16) (1 + p(r)) with x = n ln2/16 + r,
 * |r| <= ln2/32: 2^(j/16), j = n mod 16, comes from a table of 16 in one register
 * (vpermps; GCC does not vectorise a table lookup, it leaves the loop scalar), and
 * the short range needs p(r) = r + r^2/2 + r^3/6 only, whose next term is below 1e-8
 * there: 7 multiplies and FMAs for e^x instead of vm_exp's 12. x is clamped to
 * [-87, 40]: e^-87 (1.6e-38) is still a normal float, and at 40 the logistic is 1 to
 * float precision. e^x / (1 + e^x) through the reciprocal's estimate and one Newton
 * step, as GCC makes a division in the plain loops. A NaN gives some number in [0, 1]
 * (SiLU multiplies it into its NaN). A SiLU block of the precision network 2.65 -> 1.63
 * us (BENCHMARKS.md, "Issue 12, eighth round"). */
static inline __m512 vm_logistic16(__m512 x)
{
    static const float two_j16[16] = {
        1.0f,         1.04427378f, 1.09050773f, 1.13878863f, 1.18920712f, 1.24185781f,
        1.29683955f,  1.35425555f, 1.41421356f, 1.47682615f, 1.54221083f, 1.61049033f,
        1.68179283f,  1.75625216f, 1.83400809f, 1.91520656f};
    const __m512 table = _mm512_loadu_ps(two_j16);
    const __m512 shifter = _mm512_set1_ps(12582912.0f); /* 1.5 * 2^23 */
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(40.0f));
    __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(23.0831207f), shifter); /* 16 / ln2 */
    __m512 n = _mm512_sub_ps(t, shifter);
    /* ln2 / 16 in two parts, the first of 12 bits so that n times it is exact for
     * |n| <= 2008: r is exact to float precision */
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.0433197021f), xc);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(-1.99663646e-06f), r);
    /* n sits in t's low mantissa bits: j = n mod 16 picks the table entry (vpermps reads
     * the low 4 bits of each lane), n / 16 rounded down goes into its exponent bits */
    __m512i nbits = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(shifter));
    __m512 two_j = _mm512_permutexvar_ps(_mm512_castps_si512(t), table);
    __m512 scale = _mm512_castsi512_ps(_mm512_add_epi32(
        _mm512_castps_si512(two_j), _mm512_slli_epi32(_mm512_srai_epi32(nbits, 4), 23)));
    __m512 p = _mm512_fmadd_ps(_mm512_mul_ps(r, r),
                               _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 6), _mm512_set1_ps(0.5f)), r);
    __m512 e = _mm512_fmadd_ps(scale, p, scale);
    __m512 d = _mm512_add_ps(one, e), q = _mm512_rcp14_ps(d);
    q = _mm512_fmadd_ps(_mm512_fnmadd_ps(d, q, one), q, q);
    return _mm512_mul_ps(e, q);
}
/* sqrt x of 16 floats x >= 0 with AVX-512: the reciprocal square root's estimate (14
 * bits) and one Newton step, x r (3 - x r^2) / 2, relative error below 2e-7, as GCC
 * makes a vectorised sqrtf under -ffast-math; 0 where x is 0 (the estimate's infinity
 * is masked away). For the standard deviations of the local sampler (nn/vblinear.c)
 * and the radii of Box-Muller (common/rng.c). */
static inline __m512 vm_sqrt16(__m512 x)
{
    __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    __m512 r = _mm512_maskz_rsqrt14_ps(positive, x), xr = _mm512_mul_ps(x, r);
    return _mm512_mul_ps(_mm512_mul_ps(xr, _mm512_set1_ps(0.5f)),
                         _mm512_fnmadd_ps(xr, r, _mm512_set1_ps(3.0f)));
}

/* log x of 16 positive normal floats with AVX-512, relative error below 1.5e-7 (the
 * radii of Box-Muller, common/rng.c). vm_log_normal's scheme, with the reduction in
 * three instructions instead of seven: x = m 2^e, m in [0.75, 1.5) from vgetmantps and
 * e from vgetexpps of x times the float just above 4/3 (the two agree for every float;
 * checked for all 2^24 uniforms of rng.c), log m = t + t^2 q(t), t = m - 1, q of degree
 * 7 fitted on [-0.25, 0.5) for the least largest relative error (2.8e-8 in exact
 * arithmetic). */
static inline __m512 vm_log16(__m512 x)
{
    __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_src);
    __m512 e = _mm512_getexp_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.33333337f)));
    __m512 t = _mm512_sub_ps(m, _mm512_set1_ps(1.0f));
    __m512 q = _mm512_set1_ps(0.0541307479f);
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.120672271f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.149839163f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.168228298f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.199770778f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.24993442f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.333335489f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.500000596f));
    return _mm512_fmadd_ps(e, _mm512_set1_ps(0.693147181f),
                           _mm512_fmadd_ps(_mm512_mul_ps(t, t), q, t));
}
#endif

#endif

#include "nn/activation.h"

#include <string.h>

#include "common/vecmath.h"
#include "nn/real.h"

static const char *NAMES[] = {"relu", "silu", "gelu", "tanh"};

const char *activation_name(ba_activation a) { return NAMES[a]; }

int activation_parse(const char *name, ba_activation *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, NAMES[i])) {
            *out = (ba_activation)i;
            return 0;
        }
    return -1;
}

int activation_needs_pre(ba_activation a) { return a == BA_ACTIVATION_SILU || a == BA_ACTIVATION_GELU; }

/* Values per block of the smooth activations. Every value goes through the same
 * vectorised loop over one block (the last, partial block as a zero-padded copy), so it
 * is computed by the same instructions wherever it sits in a batch, as src/nn/rowwise.h
 * promises: a loop over all n values would round a scalar remainder differently. This
 * file is compiled with -ffast-math so that erf and tanh are glibc's vector versions
 * (libmvec), and SiLU's exp is common/vecmath.h's; SiLU's scalar expf was a third of a
 * precision-preset epoch (BENCHMARKS.md). Non-finite values still come out non-finite
 * (libmvec hands such lanes to the scalar function; SiLU multiplies its logistic into
 * x), and the loss checks them outside. */
#define BLOCK 16 /* also the lanes of vm_logistic16 */

/* With AVX-512 a float32 SiLU block goes through common/vecmath.h's vm_logistic16, a
 * third faster than the plain loop (its table of 2^(j/16) needs an instruction GCC does
 * not vectorise to); the numbers differ in the last bits, and within a build they are
 * the same wherever a value sits. */
#if defined(__AVX512F__) && !defined(BA_REAL_DOUBLE)
#define SILU_AVX512 1
#else
/* The logistic function s(x) = 1 / (1 + e^-x), through e^-|x| <= 1: never an infinite
 * e^-x, which -ffast-math's reciprocal would turn into a NaN. In float32 the exponential
 * is common/vecmath.h's, inlined: with libmvec's, called once per block, SiLU took twice
 * as long (BENCHMARKS.md, "Issue 12, fourth round"). */
static inline ba_real logistic(ba_real x)
{
#ifdef BA_REAL_DOUBLE
    ba_real e = ba_exp(-ba_fabs(x));
#else
    ba_real e = vm_exp(-ba_fabs(x));
#endif
    ba_real r = 1 / (1 + e);
    return x >= 0 ? r : e * r;
}
#endif

/* y = f(x) for one block; y may be x (the loops are elementwise). With keep, also what
 * backward_block needs in place of x: SiLU's logistic s(x) (keep may be x). Inlined into
 * the loops over blocks, so that the vector code of a block runs without a call. */
static inline __attribute__((always_inline)) void forward_block(ba_activation a,
                                                                const ba_real *x, ba_real *y,
                                                                ba_real *keep)
{
    switch (a) {
    case BA_ACTIVATION_RELU: /* not blocked: no function to vectorise */
        break;
    case BA_ACTIVATION_SILU: {
#ifdef SILU_AVX512
        __m512 xv = _mm512_loadu_ps(x), s = vm_logistic16(xv);
        _mm512_storeu_ps(y, _mm512_mul_ps(xv, s));
        if (keep)
            _mm512_storeu_ps(keep, s);
#else
        if (keep) {
#pragma omp simd
            for (int j = 0; j < BLOCK; j++) {
                ba_real xj = x[j], s = logistic(xj);
                y[j] = xj * s;
                keep[j] = s;
            }
        } else {
#pragma omp simd
            for (int j = 0; j < BLOCK; j++)
                y[j] = x[j] * logistic(x[j]);
        }
#endif
        break;
    }
    case BA_ACTIVATION_GELU:
#pragma omp simd
        for (int j = 0; j < BLOCK; j++)
            y[j] = (ba_real)0.5 * x[j] * (1 + ba_erf(x[j] * (ba_real)0.70710678118654752));
        break;
    case BA_ACTIVATION_TANH:
#pragma omp simd
        for (int j = 0; j < BLOCK; j++)
            y[j] = ba_tanh(x[j]);
        break;
    }
}

/* d *= f'(x) for one block, y = f(x), x what forward_block kept (SiLU: s(x)). */
static inline __attribute__((always_inline)) void backward_block(ba_activation a,
                                                                 const ba_real *x,
                                                                 const ba_real *y, ba_real *d)
{
    switch (a) {
    case BA_ACTIVATION_RELU:
        break;
    case BA_ACTIVATION_SILU:
        /* d/dx x s(x) = s(x) + x s(x) (1 - s(x)) = s + y (1 - s): no exponential here */
#pragma omp simd
        for (int j = 0; j < BLOCK; j++) {
            ba_real s = x[j];
            d[j] *= s + y[j] * (1 - s);
        }
        break;
    case BA_ACTIVATION_GELU:
        /* d/dx x Phi(x) = Phi(x) + x phi(x) */
#pragma omp simd
        for (int j = 0; j < BLOCK; j++) {
            ba_real cdf = (ba_real)0.5 * (1 + ba_erf(x[j] * (ba_real)0.70710678118654752));
            ba_real pdf = (ba_real)0.39894228040143268 * ba_exp((ba_real)-0.5 * x[j] * x[j]);
            d[j] *= cdf + x[j] * pdf;
        }
        break;
    case BA_ACTIVATION_TANH:
#pragma omp simd
        for (int j = 0; j < BLOCK; j++)
            d[j] *= 1 - y[j] * y[j];
        break;
    }
}

/* activation_forward, and with keep (which may be pre) what the backward pass needs,
 * where that is not pre itself (SiLU only). */
static void forward(ba_activation a, const ba_real *pre, ba_real *out, ba_real *keep, size_t n)
{
    if (a != BA_ACTIVATION_SILU)
        keep = NULL;
    if (a == BA_ACTIVATION_RELU) {
        for (size_t i = 0; i < n; i++)
            out[i] = pre[i] > 0 ? pre[i] : 0;
        return;
    }
    size_t full = n - n % BLOCK;
    for (size_t i = 0; i < full; i += BLOCK)
        forward_block(a, pre + i, out + i, keep ? keep + i : NULL);
    if (full < n) {
        ba_real x[BLOCK] = {0}, y[BLOCK], k[BLOCK];
        memcpy(x, pre + full, (n - full) * sizeof *x);
        forward_block(a, x, y, keep ? k : NULL);
        memcpy(out + full, y, (n - full) * sizeof *y);
        if (keep)
            memcpy(keep + full, k, (n - full) * sizeof *k);
    }
}

void activation_forward(ba_activation a, const ba_real *pre, ba_real *out, size_t n)
{
    forward(a, pre, out, NULL, n);
}

void activation_forward_bias(ba_activation a, ba_real *out, const ba_real *bias, int n,
                             int cols)
{
    for (int j = 0; j < n; j++) {
        ba_real *o = out + (size_t)j * cols, b = bias[j];
        if (a == BA_ACTIVATION_RELU) {
#pragma GCC unroll 4
            for (int i = 0; i < cols; i++) {
                ba_real v = o[i] + b;
                o[i] = v > 0 ? v : 0;
            }
        } else {
            for (int i = 0; i < cols; i++)
                o[i] += b;
            forward(a, o, o, NULL, (size_t)cols);
        }
    }
}

void activation_forward_keep(ba_activation a, ba_real *pre, ba_real *out, size_t n)
{
    forward(a, pre, out, pre, n);
}

void activation_backward(ba_activation a, const ba_real *kept, const ba_real *out, ba_real *d,
                         size_t n)
{
    if (a == BA_ACTIVATION_RELU) {
        /* 1 where the output is positive, i.e. where the input was */
        for (size_t i = 0; i < n; i++)
            d[i] = out[i] > 0 ? d[i] : 0;
        return;
    }
    size_t full = n - n % BLOCK;
    for (size_t i = 0; i < full; i += BLOCK)
        backward_block(a, kept ? kept + i : NULL, out + i, d + i);
    if (full < n) {
        size_t k = n - full;
        ba_real x[BLOCK] = {0}, y[BLOCK] = {0}, g[BLOCK] = {0};
        if (kept)
            memcpy(x, kept + full, k * sizeof *x);
        memcpy(y, out + full, k * sizeof *y);
        memcpy(g, d + full, k * sizeof *g);
        backward_block(a, x, y, g);
        memcpy(d + full, g, k * sizeof *g);
    }
}

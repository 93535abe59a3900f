#include "nn/vblinear.h"

#include <math.h>

#include "common/vecmath.h"
#include "nn/real.h"

#include "nn/layerprod.h"

/* ---- weight sampling ---- */

/* exp in the float32 build: common/vecmath.h's, inlined, the same in vector lanes and
 * scalar remainders, so that vblinear_sigmas and vblinear_sample_weights agree bit for
 * bit; libmvec's, called per 16 values, made the weights' draw twice as slow
 * (BENCHMARKS.md, "Issue 12, fourth round"). */
#ifdef BA_REAL_DOUBLE
#define weight_exp ba_exp
#else
#define weight_exp vm_exp
#endif

/* Twice one weight's KL to N(0, s0^2), mu^2/s0^2 + sigma^2/s0^2 - log(sigma^2/s0^2) - 1,
 * in double (vblinear_kl; inv_s02 = 1/s0^2, log_s02 = log s0^2). */
static inline double kl_term(ba_real mu, ba_real logsig2, ba_real sigma2, double inv_s02,
                             double log_s02)
{
    double m = mu;
    return (m * m + (double)sigma2) * inv_s02 - ((double)logsig2 - log_s02) - 1.0;
}

void vblinear_sigmas(const ba_real *logsig2_w, ba_real *sigma, ba_real *sigma2, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ba_real s = weight_exp((ba_real)0.5 * logsig2_w[i]);
        sigma[i] = s;
        sigma2[i] = s * s;
    }
}

void vblinear_draw_weights(const ba_real *mu_w, const ba_real *sigma, const ba_real *eps,
                           ba_real *weight, size_t n)
{
    for (size_t i = 0; i < n; i++)
        weight[i] = mu_w[i] + sigma[i] * eps[i];
}

double vblinear_sample_weights(const ba_real *mu_w, const ba_real *logsig2_w,
                               const ba_real *eps, ba_real *sigma, ba_real *sigma2,
                               ba_real *weight, size_t n, double prior_sigma)
{
    /* vblinear_sigmas, vblinear_draw_weights and vblinear_kl in one pass over the
     * weights; the same numbers (the KL's sum may round differently) */
    const double inv_s02 = 1.0 / (prior_sigma * prior_sigma), log_s02 = 2.0 * log(prior_sigma);
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t i = 0; i < n; i++) {
        ba_real s = weight_exp((ba_real)0.5 * logsig2_w[i]), var = s * s;
        sigma[i] = s;
        sigma2[i] = var;
        weight[i] = mu_w[i] + s * eps[i];
        sum += kl_term(mu_w[i], logsig2_w[i], var, inv_s02, log_s02);
    }
    return 0.5 * sum;
}

/* sums[j] = sum over the row of m (n, cols), j < n: a feature-major block's sums over
 * its rows, in row order. */
static void row_sums(ba_real *sums, const ba_real *m, int n, int cols)
{
    for (int j = 0; j < n; j++) {
        ba_real s = 0;
        for (int r = 0; r < cols; r++)
            s += m[(size_t)j * cols + r];
        sums[j] = s;
    }
}

static void add_bias(ba_real *out, const ba_real *bias, int rows, int n_out)
{
    for (int j = 0; j < n_out; j++)
        for (int r = 0; r < rows; r++)
            out[(size_t)j * rows + r] += bias[j];
}

void vblinear_forward(ba_real *out, const ba_real *x, const ba_real *weight,
                      const ba_real *bias, int rows, int n_in, int n_out,
                      layerprod_kernels *kernels)
{
    layerprod_prepare(kernels, rows, n_in, n_out);
    layerprod_forward(kernels, out, x, weight);
    add_bias(out, bias, rows, n_out);
}

void vblinear_logsig2_grad(ba_real *dlogsig2_w, const ba_real *dmu_w, const ba_real *eps,
                           const ba_real *sigma, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dlogsig2_w[i] = vblinear_logsig2_grad_one(dmu_w[i], eps[i], sigma[i]);
}

void vblinear_backward(ba_real *dx, ba_real *dmu_w, ba_real *dlogsig2_w, ba_real *dbias,
                       const ba_real *dout, const ba_real *x_rows, const ba_real *weight,
                       const ba_real *eps, const ba_real *sigma, int rows, int n_in,
                       int n_out, layerprod_kernels *kernels)
{
    layerprod_prepare(kernels, rows, n_in, n_out);
    layerprod_weight_grad(kernels, dmu_w, dout, x_rows);
    if (dlogsig2_w)
        vblinear_logsig2_grad(dlogsig2_w, dmu_w, eps, sigma, (size_t)n_out * n_in);
    row_sums(dbias, dout, n_out, rows);
    if (dx)
        layerprod_input_grad(kernels, dx, dout, weight);
}

/* ---- local reparameterisation ---- */

void vblinear_variances(const ba_real *logsig2_w, ba_real *sigma2, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sigma2[i] = weight_exp(logsig2_w[i]);
}

double vblinear_variances_kl(const ba_real *mu_w, const ba_real *logsig2_w, ba_real *sigma2,
                             size_t n, double prior_sigma)
{
    /* vblinear_variances and vblinear_kl in one pass over the weights; the same numbers
     * (the KL's sum may round differently) */
    const double inv_s02 = 1.0 / (prior_sigma * prior_sigma), log_s02 = 2.0 * log(prior_sigma);
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t i = 0; i < n; i++) {
        ba_real var = weight_exp(logsig2_w[i]);
        sigma2[i] = var;
        sum += kl_term(mu_w[i], logsig2_w[i], var, inv_s02, log_s02);
    }
    return 0.5 * sum;
}

void vblinear_forward_local(ba_real *out, const ba_real *x, const ba_real *mu_w,
                            const ba_real *sigma2, const ba_real *bias,
                            vblinear_local_cache *cache, int rows, int n_in, int n_out,
                            layerprod_kernels *kernels)
{
    /* the cache's arrays in locals declared apart: through cache-> the compiler must
     * assume a store may change the pointers, and keeps the loops scalar */
    ba_real *restrict x2 = cache->x2, *restrict std = cache->std;
    const ba_real *restrict z = cache->z;
    size_t n_x = (size_t)rows * n_in;
    for (size_t i = 0; i < n_x; i++)
        x2[i] = x[i] * x[i];
    layerprod_prepare(kernels, rows, n_in, n_out);
    layerprod_forward(kernels, std, x2, sigma2);
    layerprod_forward(kernels, out, x, mu_w);
#if defined(__AVX512F__) && !defined(BA_REAL_DOUBLE)
    /* With AVX-512 every row takes the same 16-lane code, a partial vector masked, so
     * the noise can join in one FMA without a scalar remainder that would round
     * otherwise; the square root is vm_sqrt16, 0 where the variance is 0. 0.4-0.7 us of
     * a 13.4 us precision forward block (BENCHMARKS.md, "Issue 12, eighth round"). */
    for (int j = 0; j < n_out; j++) {
        const __m512 b = _mm512_set1_ps(bias[j]);
        for (int r = 0; r < rows; r += 16) {
            size_t i = (size_t)j * rows + r;
            __mmask16 lanes = rows - r >= 16 ? 0xFFFF : (__mmask16)((1u << (rows - r)) - 1);
            __m512 sd = vm_sqrt16(_mm512_maskz_loadu_ps(lanes, std + i));
            _mm512_mask_storeu_ps(std + i, lanes, sd);
            __m512 o = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, out + i), b);
            _mm512_mask_storeu_ps(out + i, lanes, _mm512_fmadd_ps(sd, _mm512_maskz_loadu_ps(lanes, z + i), o));
        }
    }
#else
    for (int j = 0; j < n_out; j++)
        for (int r = 0; r < rows; r++) {
            size_t i = (size_t)j * rows + r;
            std[i] = ba_sqrt(std[i]);
            out[i] += bias[j]; /* the bias first, as a plain affine layer adds it */
            out[i] += std[i] * z[i];
        }
#endif
}

void vblinear_backward_local(ba_real *dx, ba_real *dmu_w, ba_real *dlogsig2_w,
                             ba_real *dbias, const ba_real *dout, const ba_real *x,
                             const ba_real *x_rows, const ba_real *mu_w,
                             const ba_real *sigma2, vblinear_local_cache *cache, int rows,
                             int n_in, int n_out, layerprod_kernels *kernels)
{
    ba_real *restrict dvar = cache->dvar, *restrict x2 = cache->x2, *restrict tmp = cache->tmp;
    const ba_real *restrict std = cache->std, *restrict z = cache->z;
    size_t n_o = (size_t)rows * n_out, n_w = (size_t)n_out * n_in, n_x = (size_t)rows * n_in;
    for (size_t i = 0; i < n_o; i++)
        dvar[i] = std[i] > 0 ? dout[i] * z[i] / (2 * std[i]) : 0;
    /* x^2 in rows for the weight gradient; the forward pass's feature-major x^2 is done
     * with */
    for (size_t i = 0; i < n_x; i++)
        x2[i] = x_rows[i] * x_rows[i];
    layerprod_prepare(kernels, rows, n_in, n_out);
    layerprod_weight_grad(kernels, dmu_w, dout, x_rows);
    layerprod_weight_grad(kernels, dlogsig2_w, dvar, x2);
    for (size_t i = 0; i < n_w; i++)
        dlogsig2_w[i] *= sigma2[i];
    row_sums(dbias, dout, n_out, rows);
    if (dx) {
        layerprod_input_grad(kernels, dx, dout, mu_w);
        layerprod_input_grad(kernels, tmp, dvar, sigma2);
        for (size_t i = 0; i < n_x; i++)
            dx[i] += 2 * x[i] * tmp[i];
    }
}

/* ---- KL divergence ---- */

double vblinear_kl(const ba_real *mu_w, const ba_real *logsig2_w, const ba_real *sigma2_w,
                   size_t n, double prior_sigma)
{
    const double inv_s02 = 1.0 / (prior_sigma * prior_sigma), log_s02 = 2.0 * log(prior_sigma);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += kl_term(mu_w[i], logsig2_w[i], sigma2_w[i], inv_s02, log_s02);
    return 0.5 * sum;
}

void vblinear_kl_grad_mu_add(ba_real *dmu_w, const ba_real *mu_w, size_t n, double prior_sigma,
                             double scale)
{
    const ba_real c = vblinear_kl_grad_coefs(prior_sigma, scale).mu;
    for (size_t i = 0; i < n; i++)
        dmu_w[i] += c * mu_w[i];
}

void vblinear_kl_grad_logsig2_add(ba_real *dlogsig2_w, const ba_real *sigma2_w, size_t n,
                                  double prior_sigma, double scale)
{
    const vblinear_kl_coefs c = vblinear_kl_grad_coefs(prior_sigma, scale);
    for (size_t i = 0; i < n; i++)
        dlogsig2_w[i] += c.var * sigma2_w[i] - c.shift;
}

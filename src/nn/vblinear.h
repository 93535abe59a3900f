/* The variational Bayesian linear layer (Blundell et al., "Weight uncertainty in neural
 * networks", arXiv:1505.05424): every weight w_ij ~ N(mu_ij, sigma_ij^2) with
 * sigma^2 = exp(logsig2); the bias is a plain parameter. Weights are (n_out, n_in) as
 * torch.nn.Linear stores them; a layer computes out = W x + b for a block of rows stored
 * feature-major, x (n_in, rows), which is torch's x W^T + b transposed.
 *
 * Two samplers, forward and backward side by side:
 *  - weight sampling (the tutorial): one draw W = mu + sigma * eps per forward pass,
 *    shared by every row of the batch;
 *  - the local reparameterisation trick (Kingma, Salimans, Welling, arXiv:1506.02557,
 *    Eq. 6-7): the pre-activations are Gaussian, out_bj ~ N(x_b.mu_j + b_j,
 *    sum_i x_bi^2 sigma_ji^2), sampled per row with noise z_bj; lower-variance gradients.
 * Backward functions overwrite their gradient outputs (they do not accumulate).
 */
#ifndef BA_VBLINEAR_H
#define BA_VBLINEAR_H

#include <stddef.h>

#include "bayesamp.h"
#include "nn/layerprod.h"

/* ---- weight sampling ---- */

/* A draw of n weights in two steps: sigma = exp(logsig2 / 2) and sigma2 = sigma^2
 * (once, where the parameters stay fixed over several draws), then
 * weight = mu + sigma * eps (every draw). vblinear_sample_weights does both in one pass
 * and returns the weights' KL to the prior, as vblinear_kl computes it. */
void vblinear_sigmas(const ba_real *logsig2_w, ba_real *sigma, ba_real *sigma2, size_t n);
void vblinear_draw_weights(const ba_real *mu_w, const ba_real *sigma, const ba_real *eps,
                           ba_real *weight, size_t n);
double vblinear_sample_weights(const ba_real *mu_w, const ba_real *logsig2_w,
                               const ba_real *eps, ba_real *sigma, ba_real *sigma2,
                               ba_real *weight, size_t n, double prior_sigma);

/* out (n_out, rows) = weight x + bias, for a block of rows stored feature-major: x
 * (n_in, rows), one row of the matrix per input feature (nn/layerprod.h says why). The
 * product runs on the caller's kernels for this shape, made here if they are for another
 * one (nn/layerprod.h; zero a fresh layerprod_kernels). A prediction, whose rows must not
 * depend on each other, uses net_forward_loaded (nn/network.h) instead. */
void vblinear_forward(ba_real *out, const ba_real *x, const ba_real *weight,
                      const ba_real *bias, int rows, int n_in, int n_out,
                      layerprod_kernels *kernels);

/* dL/dlogsig2_w = dL/dmu_w * eps * sigma / 2 for n weights: the chain rule through
 * w = mu + exp(logsig2/2) eps; vblinear_logsig2_grad_one for one weight. */
void vblinear_logsig2_grad(ba_real *dlogsig2_w, const ba_real *dmu_w, const ba_real *eps,
                           const ba_real *sigma, size_t n);

static inline ba_real vblinear_logsig2_grad_one(ba_real dmu, ba_real eps, ba_real sigma)
{
    return dmu * eps * sigma * (ba_real)0.5;
}

/* Given dout = dL/dout (n_out, rows), feature-major, and the layer's inputs in rows,
 * x_rows (rows, n_in): dL/dmu_w = dout x_rows; dL/dlogsig2_w from it
 * (vblinear_logsig2_grad; skipped when dlogsig2_w is NULL); dL/dbias = dout's sums over
 * the rows; dx = weight^T dout (n_in, rows), skipped when dx is NULL. Kernels as in
 * vblinear_forward. */
void vblinear_backward(ba_real *dx, ba_real *dmu_w, ba_real *dlogsig2_w, ba_real *dbias,
                       const ba_real *dout, const ba_real *x_rows, const ba_real *weight,
                       const ba_real *eps, const ba_real *sigma, int rows, int n_in,
                       int n_out, layerprod_kernels *kernels);

/* ---- local reparameterisation ---- */

/* Scratch for one layer and one block of rows under the local sampler, feature-major
 * like the block's activations. */
typedef struct vblinear_local_cache {
    ba_real *x2;    /* (n_in, rows)  x^2 (forward); x_rows^2 (rows, n_in) (backward) */
    ba_real *z;     /* (n_out, rows) standard normals, filled by the caller */
    ba_real *std;   /* (n_out, rows) sqrt(sigma2 x^2) */
    ba_real *dvar;  /* (n_out, rows) dL/dvar */
    ba_real *tmp;   /* (n_in, rows)  scratch for dx */
} vblinear_local_cache;

/* sigma2 = exp(logsig2) for the n weights (once per step, shared by all rows).
 * vblinear_variances_kl also returns the weights' KL to the prior, as vblinear_kl
 * computes it, in the same pass. */
void vblinear_variances(const ba_real *logsig2_w, ba_real *sigma2, size_t n);
double vblinear_variances_kl(const ba_real *mu_w, const ba_real *logsig2_w, ba_real *sigma2,
                             size_t n, double prior_sigma);

/* out = mu x + b + sqrt(sigma2 x^2) * z, feature-major as in vblinear_forward, with z
 * taken from cache->z and mu, sigma2 (n_out, n_in) as stored. */
void vblinear_forward_local(ba_real *out, const ba_real *x, const ba_real *mu_w,
                            const ba_real *sigma2, const ba_real *bias,
                            vblinear_local_cache *cache, int rows, int n_in, int n_out,
                            layerprod_kernels *kernels);

/* Gradients through the sampled pre-activations: dvar = dout z / (2 std) (0 where std is
 * 0, i.e. where the whole input row is 0 and the variance cannot move), dL/dmu_w =
 * dout x_rows, dL/dlogsig2_w = (dvar x_rows^2) * sigma2, dx = mu^T dout + 2 x *
 * (sigma2^T dvar). dout, x and dx feature-major, x_rows the inputs in rows, as in
 * vblinear_backward. */
void vblinear_backward_local(ba_real *dx, ba_real *dmu_w, ba_real *dlogsig2_w,
                             ba_real *dbias, const ba_real *dout, const ba_real *x,
                             const ba_real *x_rows, const ba_real *mu_w,
                             const ba_real *sigma2, vblinear_local_cache *cache, int rows,
                             int n_in, int n_out, layerprod_kernels *kernels);

/* ---- KL divergence to the prior N(0, prior_sigma^2) ---- */

/* KL(N(mu, sigma^2) || N(0, s0^2)) summed over n weights:
 * 0.5 * sum(mu^2/s0^2 + sigma^2/s0^2 - log(sigma^2/s0^2) - 1). For s0 = 1 this is the
 * tutorial's 0.5 * sum(mu^2 + sigma^2 - logsig2 - 1). sigma2 = exp(logsig2) is passed in
 * (the samplers compute it anyway), so no exponential is taken here. Summed in double. */
double vblinear_kl(const ba_real *mu_w, const ba_real *logsig2_w, const ba_real *sigma2_w,
                   size_t n, double prior_sigma);

/* Its gradient times scale, in two halves so that a range of the parameter vector can
 * be handled piece by piece: dmu += scale * mu / s0^2 and
 * dlogsig2 += scale * (sigma^2 / s0^2 - 1) / 2, i.e. dmu += c.mu * mu and
 * dlogsig2 += c.var * sigma^2 - c.shift with c = vblinear_kl_grad_coefs(s0, scale). */
typedef struct vblinear_kl_coefs {
    ba_real mu, var, shift;
} vblinear_kl_coefs;

static inline vblinear_kl_coefs vblinear_kl_grad_coefs(double prior_sigma, double scale)
{
    double inv_s02 = 1.0 / (prior_sigma * prior_sigma);
    return (vblinear_kl_coefs){(ba_real)(scale * inv_s02), (ba_real)(0.5 * scale * inv_s02),
                               (ba_real)(0.5 * scale)};
}

void vblinear_kl_grad_mu_add(ba_real *dmu_w, const ba_real *mu_w, size_t n, double prior_sigma,
                             double scale);
void vblinear_kl_grad_logsig2_add(ba_real *dlogsig2_w, const ba_real *sigma2_w, size_t n,
                                  double prior_sigma, double scale);

#endif

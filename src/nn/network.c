#include "nn/network.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/rng.h"
#include "nn/activation.h"
#include "nn/rowwise.h"

#ifdef BA_REAL_DOUBLE
#define normals ba_rng_normals_f64
#else
#define normals ba_rng_normals_f32
#endif

/* ---- per-step noise ---- */

int net_noise_alloc(net_noise *nz, const ba_model *m, ba_sampler sampler, ba_error *err)
{
    memset(nz, 0, sizeof *nz);
    nz->sampler = sampler;
    nz->eps = calloc(4 * m->n_params, sizeof *nz->eps);
    if (!nz->eps)
        return ba_fail(err, "out of memory");
    nz->sigma = nz->eps + m->n_params;
    nz->var = nz->sigma + m->n_params;
    nz->weight = nz->var + m->n_params;
    return 0;
}

void net_noise_free(net_noise *nz)
{
    free(nz->eps);
    memset(nz, 0, sizeof *nz);
}

double net_prepare_noise_range(net_noise *nz, const ba_model *m, int l, size_t begin,
                               size_t end, ba_noise_mode mode, const noise_source *src)
{
    const layer_layout *L = &m->layers[l];
    const ba_real *mu = m->params + L->mu_w + begin, *logsig2 = m->params + L->logsig2_w + begin;
    size_t at = L->mu_w + begin, n = end - begin;
    nz->mode = mode;
    if (mode == BA_NOISE_MAP) {
        memcpy(nz->weight + at, mu, n * sizeof *mu);
        return 0;
    }
    if (nz->sampler == BA_SAMPLER_LOCAL)
        return vblinear_variances_kl(mu, logsig2, nz->var + at, n, m->arch.prior_sigma);
    if (mode == BA_NOISE_RESAMPLE)
        normals(src->seed, stream_id(src->purpose, src->epoch, src->batch, (unsigned)l), begin,
                nz->eps + at, n);
    return vblinear_sample_weights(mu, logsig2, nz->eps + at, nz->sigma + at, nz->var + at,
                                   nz->weight + at, n, m->arch.prior_sigma);
}

double net_prepare_noise(net_noise *nz, const ba_model *m, ba_noise_mode mode,
                         const noise_source *src)
{
    double kl = 0;
    for (int l = 0; l < m->n_layers; l++)
        kl += net_prepare_noise_range(nz, m, l, 0, m->layers[l].n_weights, mode, src);
    return kl;
}

void net_prepare_pass(net_noise *nz, const ba_model *m)
{
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        const ba_real *logsig2 = m->params + L->logsig2_w;
        if (nz->sampler == BA_SAMPLER_LOCAL)
            vblinear_variances(logsig2, nz->var + L->mu_w, L->n_weights);
        else
            vblinear_sigmas(logsig2, nz->sigma + L->mu_w, nz->var + L->mu_w, L->n_weights);
    }
}

void net_redraw(net_noise *nz, const ba_model *m, const noise_source *src)
{
    nz->mode = BA_NOISE_RESAMPLE;
    if (nz->sampler == BA_SAMPLER_LOCAL)
        return;
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        ba_real *eps = nz->eps + L->mu_w;
        normals(src->seed, stream_id(src->purpose, src->epoch, src->batch, (unsigned)l), 0, eps,
                L->n_weights);
        vblinear_draw_weights(m->params + L->mu_w, nz->sigma + L->mu_w, eps,
                              nz->weight + L->mu_w, L->n_weights);
    }
}

/* ---- block workspace ---- */

/* Every array of a block starts at a 64-byte boundary, so that no vector of 16 float32
 * straddles two cache lines: the feature-major activations are read and written a
 * vector at a time by the products and the elementwise loops (BENCHMARKS.md, "Issue 12,
 * fifth round"). */
#define BLOCK_ALIGN 64

/* Lays out b's arrays for blocks of rows rows from base (NULL: only count); returns the
 * bytes they take. */
static size_t block_layout(net_block *b, const ba_model *m, size_t rows, char *base)
{
    size_t used = 0;
#define TAKE(ptr, n)                                                                       \
    do {                                                                                   \
        (ptr) = base ? (ba_real *)(base + used) : NULL;                                    \
        used += ((n) * sizeof(ba_real) + BLOCK_ALIGN - 1) / BLOCK_ALIGN * BLOCK_ALIGN;     \
    } while (0)
    for (int l = 0; l <= m->n_layers; l++)
        TAKE(b->act[l], rows * (size_t)(l < m->n_layers ? m->layers[l].n_in : 2));
    for (int k = 0; k < 2; k++)
        TAKE(b->dact[k], rows * (size_t)m->max_width);
    for (int l = 0; l + 1 < m->n_layers; l++)
        TAKE(b->pre[l], rows * (size_t)m->layers[l].n_out);
    for (int l = 0; l < m->n_layers; l++) {
        size_t n_in = rows * (size_t)m->layers[l].n_in, n_out = rows * (size_t)m->layers[l].n_out;
        vblinear_local_cache *c = &b->local[l];
        TAKE(c->x2, n_in);
        TAKE(c->tmp, n_in);
        TAKE(c->z, n_out);
        TAKE(c->std, n_out);
        TAKE(c->dvar, n_out);
    }
    size_t loaded_rows = (rows + NET_OUTPUT_ROWS - 1) / NET_OUTPUT_ROWS * NET_OUTPUT_ROWS;
    TAKE(b->grad, m->n_params);
    TAKE(b->grad_input, rows * (size_t)m->arch.n_inputs);
    TAKE(b->scratch, 2 * (size_t)m->max_width * NET_OUTPUT_ROWS);
    TAKE(b->loaded, loaded_rows * (size_t)m->arch.n_inputs);
    TAKE(b->inputs, rows * (size_t)m->arch.n_inputs);
    TAKE(b->x_rows, rows * (size_t)m->max_width);
    TAKE(b->head, 2 * rows);
#undef TAKE
    return used;
}

int net_block_alloc(net_block *b, const ba_model *m, int max_rows, ba_error *err)
{
    memset(b, 0, sizeof *b);
    b->max_rows = max_rows;
    /* calloc rather than aligned_alloc and memset: a large block then comes as the
     * kernel's zero pages, and the arrays its passes never use (a prediction's local
     * sampler caches, most of a 1024-row block) never cost a page fault; the memset
     * was 12 % of a map-mode prediction of 600k events (BENCHMARKS.md, "Issue 12,
     * sixth round"). The arrays start at the first BLOCK_ALIGN boundary. */
    size_t bytes = block_layout(b, m, (size_t)max_rows, NULL);
    b->memory = calloc(1, bytes + BLOCK_ALIGN);
    if (!b->memory)
        return ba_fail(err, "out of memory for a block of %d rows", max_rows);
    uintptr_t at = ((uintptr_t)b->memory + BLOCK_ALIGN - 1) / BLOCK_ALIGN * BLOCK_ALIGN;
    block_layout(b, m, (size_t)max_rows, (char *)at);
    return 0;
}

void net_block_free(net_block *b)
{
    free(b->memory);
    memset(b, 0, sizeof *b);
}

/* ---- forward and backward ---- */

void net_prefetch_weights(const ba_model *m, const net_noise *nz)
{
    int local = nz->sampler == BA_SAMPLER_LOCAL && nz->mode != BA_NOISE_MAP;
    const size_t line = 64 / sizeof(ba_real);
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        for (size_t i = 0; i < L->n_weights; i += line) {
            if (local) {
                __builtin_prefetch(m->params + L->mu_w + i);
                __builtin_prefetch(nz->var + L->mu_w + i);
            } else {
                __builtin_prefetch(nz->weight + L->mu_w + i);
            }
        }
    }
}

/* net_forward; with for_backward 0 the smooth activations keep nothing for a backward
 * pass (validation's blocks: a precision epoch 14.70 -> 14.51 ms, BENCHMARKS.md). */
static void forward_pass(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                         const noise_source *src, uint64_t first_row, int for_backward)
{
    int local = nz->sampler == BA_SAMPLER_LOCAL && nz->mode != BA_NOISE_MAP;
    ba_activation act = m->arch.activation;
    layerprod_transpose(b->inputs, b->act[0], rows, m->arch.n_inputs);
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        const ba_real *bias = m->params + L->bias, *x = l ? b->act[l] : b->inputs;
        int hidden = l + 1 < m->n_layers;
        /* ReLU works in place; the smooth activations keep in pre what their backward pass
         * needs (activation_forward_keep); the head's output goes back to rows below */
        ba_real *out = !hidden ? b->head
                               : activation_needs_pre(act) ? b->pre[l] : b->act[l + 1];
        if (local) {
            /* the block's normals first_row n_out .. (first_row + rows) n_out of the
             * stream, in the block's feature-major order */
            vblinear_local_cache *c = &b->local[l];
            normals(src->seed, stream_id(src->purpose, src->epoch, src->batch, (unsigned)l),
                    first_row * (uint64_t)L->n_out, c->z, (size_t)rows * L->n_out);
            vblinear_forward_local(out, x, m->params + L->mu_w, nz->var + L->mu_w, bias, c,
                                   rows, L->n_in, L->n_out, &b->kernels[l]);
        } else if (hidden && act == BA_ACTIVATION_RELU && rows == LAYERPROD_FUSED_ROWS &&
                   layerprod_forward_relu(out, x, nz->weight + L->mu_w, bias, L->n_in,
                                          L->n_out)) {
            continue; /* the bias and ReLU fused, the same numbers (net_forward_loaded) */
        } else {
            vblinear_forward(out, x, nz->weight + L->mu_w, bias, rows, L->n_in, L->n_out,
                             &b->kernels[l]);
        }
        if (hidden && for_backward)
            activation_forward_keep(act, out, b->act[l + 1], (size_t)rows * L->n_out);
        else if (hidden)
            activation_forward(act, out, b->act[l + 1], (size_t)rows * L->n_out);
    }
    layerprod_transpose(b->act[m->n_layers], b->head, 2, rows);
}

void net_forward(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                 const noise_source *src, uint64_t first_row)
{
    forward_pass(m, nz, b, rows, src, first_row, 1);
}

void net_outputs_load(const ba_model *m, net_block *b, int rows)
{
    const int n_in = m->arch.n_inputs;
    for (int r0 = 0; r0 < rows; r0 += NET_OUTPUT_ROWS) {
        const int nr = rows - r0 < NET_OUTPUT_ROWS ? rows - r0 : NET_OUTPUT_ROWS;
        ba_real *xt = b->loaded + (size_t)r0 * n_in;
        const ba_real *x = b->act[0] + (size_t)r0 * n_in;
        for (int k = 0; k < n_in; k++)
            for (int i = 0; i < NET_OUTPUT_ROWS; i++)
                xt[(size_t)k * NET_OUTPUT_ROWS + i] = i < nr ? x[(size_t)i * n_in + k] : 0;
    }
}

/* out (n_out, NET_OUTPUT_ROWS) = w x, x (n_in, NET_OUTPUT_ROWS), without the bias, which
 * the caller adds after the sum, as rowwise.c does: libxsmm's kernel, or rowwise.c's
 * products on both halves where libxsmm makes none. */
static void output_products(layerprod_kernels *k, ba_real *out, const ba_real *x,
                            const ba_real *w, int n_in, int n_out)
{
    layerprod_prepare(k, NET_OUTPUT_ROWS, n_in, n_out);
    if (k->forward)
        layerprod_forward(k, out, x, w);
    else
        for (int h = 0; h < NET_OUTPUT_ROWS; h += ROWWISE_ROWS)
            rowwise_affine_block(out + h, x + h, NET_OUTPUT_ROWS, w, NULL, n_in, n_out);
}

_Static_assert(NET_OUTPUT_ROWS == LAYERPROD_FUSED_ROWS, "the fused kernel's block is ours");

void net_forward_loaded(const ba_model *m, const net_noise *nz, net_block *b, int rows)
{
    const int n_inputs = m->arch.n_inputs, last = m->n_layers - 1;
    ba_real *out = b->act[m->n_layers];
    for (int r0 = 0; r0 < rows; r0 += NET_OUTPUT_ROWS) {
        const int nr = rows - r0 < NET_OUTPUT_ROWS ? rows - r0 : NET_OUTPUT_ROWS;
        /* layer l's output in buffer l % 2 */
        ba_real *buf[2] = {b->scratch, b->scratch + (size_t)m->max_width * NET_OUTPUT_ROWS};
        const ba_real *in = b->loaded + (size_t)r0 * n_inputs;
        for (int l = 0; l <= last; l++) {
            const layer_layout *L = &m->layers[l];
            ba_real *next = buf[l % 2];
            const ba_real *w = nz->weight + L->mu_w, *bias = m->params + L->bias;
            /* ReLU's bias and maximum while the sums are in registers, not in a pass of
             * their own: the same numbers; a 30-pass prediction in fixed mode 1.04 ->
             * 1.11 M events/s (BENCHMARKS.md, "Issue 12, ninth round") */
            if (l < last && m->arch.activation == BA_ACTIVATION_RELU &&
                layerprod_forward_relu(next, in, w, bias, L->n_in, L->n_out)) {
                in = next;
                continue;
            }
            output_products(&b->out_kernels[l], next, in, w, L->n_in, L->n_out);
            if (l < last)
                activation_forward_bias(m->arch.activation, next, bias, L->n_out,
                                        NET_OUTPUT_ROWS);
            in = next;
        }
        const ba_real *bias = m->params + m->layers[last].bias;
        for (int i = 0; i < nr; i++) /* the head, its bias, back to rows */
            for (int j = 0; j < 2; j++)
                out[(size_t)(r0 + i) * 2 + j] = in[(size_t)j * NET_OUTPUT_ROWS + i] + bias[j];
    }
}

void net_forward_outputs(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                         const noise_source *src, uint64_t first_row)
{
    if (nz->sampler == BA_SAMPLER_LOCAL && nz->mode != BA_NOISE_MAP) {
        forward_pass(m, nz, b, rows, src, first_row, 0);
        return;
    }
    net_outputs_load(m, b, rows);
    net_forward_loaded(m, nz, b, rows);
}

void net_backward(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                  int want_input_grad, int defer_logsig2)
{
    int local = nz->sampler == BA_SAMPLER_LOCAL && nz->mode != BA_NOISE_MAP;
    /* b->dact[cur] holds dL/d(output of layer l), feature-major; the loss's (rows, 2)
     * first */
    int cur = 1;
    layerprod_transpose(b->dact[cur], b->dact[0], rows, 2);
    for (int l = m->n_layers - 1; l >= 0; l--) {
        const layer_layout *L = &m->layers[l];
        ba_real *dx = l > 0 || want_input_grad ? b->dact[1 - cur] : NULL;
        const ba_real *x = l ? b->act[l] : b->inputs, *x_rows = b->act[0];
        if (l) { /* the weight gradient sums over rows: the inputs in rows */
            layerprod_transpose(b->x_rows, x, L->n_in, rows);
            x_rows = b->x_rows;
        }
        ba_real *g = b->grad;
        if (local)
            vblinear_backward_local(dx, g + L->mu_w, g + L->logsig2_w, g + L->bias,
                                    b->dact[cur], x, x_rows, m->params + L->mu_w,
                                    nz->var + L->mu_w, &b->local[l], rows, L->n_in,
                                    L->n_out, &b->kernels[l]);
        else
            vblinear_backward(dx, g + L->mu_w, defer_logsig2 ? NULL : g + L->logsig2_w,
                              g + L->bias, b->dact[cur], x_rows, nz->weight + L->mu_w,
                              nz->eps + L->mu_w, nz->sigma + L->mu_w, rows, L->n_in,
                              L->n_out, &b->kernels[l]);
        if (l > 0) {
            activation_backward(m->arch.activation, b->pre[l - 1], b->act[l], dx,
                                (size_t)rows * L->n_in);
            cur = 1 - cur;
        }
    }
    if (want_input_grad)
        layerprod_transpose(b->grad_input, b->dact[1 - cur], m->arch.n_inputs, rows);
}

void net_logsig2_grad(const net_noise *nz, const layer_layout *L, ba_real *grad, size_t lo,
                      size_t hi)
{
    vblinear_logsig2_grad(grad + L->logsig2_w + lo, grad + L->mu_w + lo, nz->eps + L->mu_w + lo,
                          nz->sigma + L->mu_w + lo, hi - lo);
}

/* ---- KL ---- */

double net_kl(const ba_model *m)
{
    double kl = 0;
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        const ba_real *logsig2 = m->params + L->logsig2_w;
        ba_real *var = malloc(L->n_weights * sizeof *var);
        if (!var)
            return NAN;
        vblinear_variances(logsig2, var, L->n_weights);
        kl += vblinear_kl(m->params + L->mu_w, logsig2, var, L->n_weights, m->arch.prior_sigma);
        free(var);
    }
    return kl;
}

/* Intersect [a, a + n) with [begin, end): the first index relative to a, and the length. */
static size_t overlap(size_t a, size_t n, size_t begin, size_t end, size_t *len)
{
    size_t lo = a > begin ? a : begin, hi = a + n < end ? a + n : end;
    *len = hi > lo ? hi - lo : 0;
    return *len ? lo - a : 0;
}

void net_kl_grad_add(const net_noise *nz, const ba_model *m, ba_real *grad, size_t begin,
                     size_t end, double scale)
{
    double s0 = m->arch.prior_sigma;
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        size_t len, first = overlap(L->mu_w, L->n_weights, begin, end, &len);
        vblinear_kl_grad_mu_add(grad + L->mu_w + first, m->params + L->mu_w + first, len, s0,
                                scale);
        first = overlap(L->logsig2_w, L->n_weights, begin, end, &len);
        /* the variance of logsig2 entry i sits at the mu_w offset of the same weight */
        vblinear_kl_grad_logsig2_add(grad + L->logsig2_w + first, nz->var + L->mu_w + first,
                                     len, s0, scale);
    }
}

/* The network's forward and backward passes over a block of rows, side by side.
 *
 * A training or prediction step works in two stages:
 *  1. net_prepare_noise: the per-step quantities shared by every row: the weight noise
 *     eps and the sampled weights (weight sampler), or the variances (local sampler);
 *  2. net_forward / net_backward on blocks of rows. Blocks are independent, so several
 *     threads can run them at once, each with its own net_block workspace; their
 *     gradients are then summed in block order, which keeps results independent of
 *     the thread count.
 */
#ifndef BA_NETWORK_H
#define BA_NETWORK_H

#include <stdint.h>

#include "nn/model.h"
#include "nn/streams.h"
#include "nn/vblinear.h"

/* Per-step quantities, arrays parallel to the parameter vector (the entries at the
 * mu_w offsets of each layer are used). */
typedef struct net_noise {
    ba_sampler sampler;
    ba_noise_mode mode;
    ba_real *eps;     /* weight sampler: the standard normals of the weight draw */
    ba_real *sigma;   /* weight sampler: exp(logsig2/2) */
    ba_real *var;     /* exp(logsig2), both samplers (not in MAP mode) */
    ba_real *weight;  /* weight sampler: mu + sigma * eps; MAP: mu */
} net_noise;

/* Where the noise of a step comes from: stream_id(purpose, epoch, batch, layer). */
typedef struct noise_source {
    uint64_t seed;
    enum stream_purpose purpose;
    uint64_t epoch;
    uint64_t batch;
} noise_source;

int net_noise_alloc(net_noise *nz, const ba_model *m, ba_sampler sampler, ba_error *err);
void net_noise_free(net_noise *nz);

/* Refresh the per-step quantities of the weights [begin, end) of layer l from the
 * current parameters; with BA_NOISE_RESAMPLE the weight sampler draws new eps from src,
 * with BA_NOISE_KEEP it reuses the last eps. Returns the KL of those weights to the
 * prior (0 in MAP mode). Ranges are independent: threads may take one each. */
double net_prepare_noise_range(net_noise *nz, const ba_model *m, int l, size_t begin,
                               size_t end, ba_noise_mode mode, const noise_source *src);
/* The same for every weight; returns the KL of the whole network (not divided by N). */
double net_prepare_noise(net_noise *nz, const ba_model *m, ba_noise_mode mode,
                         const noise_source *src);

/* For a pass whose parameters stay fixed while the noise is redrawn batch after batch
 * (validation): what depends on the parameters alone, computed once for the pass: sigma
 * and var (weight sampler), or var (local sampler). */
void net_prepare_pass(net_noise *nz, const ba_model *m);
/* A new draw within such a pass, bit for bit what net_prepare_noise(RESAMPLE) would
 * make: eps from src and weight = mu + sigma eps (weight sampler; the local sampler
 * draws its noise in net_forward). No KL, which validation does not use: a draw costs
 * its normals alone (BENCHMARKS.md, issue 12). */
void net_redraw(net_noise *nz, const ba_model *m, const noise_source *src);

/* Rows per block of net_forward_loaded: its products' kernels are made for blocks of
 * this many rows, four AVX-512 vectors of float32 (nn/layerprod.h). */
#define NET_OUTPUT_ROWS 64

/* Workspace of one block of at most max_rows rows: activations of every layer, gradient
 * buffers, the local sampler's caches, and the block's parameter gradients. Inside the
 * passes the activations are feature-major, (features, rows) (nn/layerprod.h says why);
 * what goes in and out, the inputs, the outputs and their gradients, is in rows. */
typedef struct net_block {
    int max_rows;
    ba_real *act[BA_MAX_LAYERS + 2];  /* act[0] = inputs (rows, n_inputs), act[l+1] = output
                                         of layer l: feature-major for the hidden layers
                                         (after the activation), (rows, 2) for the last */
    ba_real *pre[BA_MAX_LAYERS + 1];  /* hidden layer l before the activation (kept for
                                         the backward pass of smooth activations) */
    ba_real *dact[2];                 /* gradient ping-pong buffers, feature-major;
                                         dact[0] takes dL/doutput (rows, 2) */
    vblinear_local_cache local[BA_MAX_LAYERS + 1];
    layerprod_kernels kernels[BA_MAX_LAYERS + 1]; /* each layer's products for
                                         net_forward and net_backward, made by the first
                                         pass of a block of their shape
                                         (nn/layerprod.h); a block that only predicts
                                         (net_forward_outputs) makes none */
    layerprod_kernels out_kernels[BA_MAX_LAYERS + 1]; /* net_forward_loaded's forward
                                         products, for NET_OUTPUT_ROWS rows */
    ba_real *grad;                    /* n_params: this block's parameter gradients */
    ba_real *grad_input;              /* (max_rows, n_inputs) dL/dx, if asked for */
    ba_real *scratch;                 /* 2 x max_width x NET_OUTPUT_ROWS: the activations
                                         of net_forward_loaded */
    ba_real *loaded;                  /* net_outputs_load's inputs: per block of
                                         NET_OUTPUT_ROWS rows (n_inputs, NET_OUTPUT_ROWS),
                                         zero rows after the last */
    ba_real *inputs;                  /* (n_inputs, max_rows) act[0] feature-major */
    ba_real *x_rows;                  /* (max_rows, max_width) a hidden layer's inputs in
                                         rows, for its weight gradient */
    ba_real *head;                    /* (2, max_rows) the last layer's output,
                                         feature-major */
    void *memory;                     /* the single allocation behind the pointers */
} net_block;

int net_block_alloc(net_block *b, const ba_model *m, int max_rows, ba_error *err);
void net_block_free(net_block *b);

/* Asks the cache for every weight net_forward will read (the drawn weights, or the
 * local sampler's means and variances). In training half of them were just written by
 * the other core; requested all at once, they arrive while the first layer computes
 * instead of line by line as the products reach them: 1-3 % of an epoch
 * (BENCHMARKS.md, "Issue 12, fourth round"). */
void net_prefetch_weights(const ba_model *m, const net_noise *nz);

/* Forward pass of rows rows already in b->act[0], keeping what net_backward needs. For
 * the local sampler, the block's rows are first_row.. within the batch: its noise of
 * layer l is the stream's normals first_row n_out .. (first_row + rows) n_out, taken in
 * the block's feature-major order (drawn from src unless mode is MAP), so it depends on
 * where the block starts and how many rows it has, which the batch size fixes. The
 * output (rows, 2) is b->act[n_layers]. The
 * products are libxsmm's (nn/layerprod.h), so a row's output may depend on the block's
 * row count in the last bits; predictions go through net_forward_outputs. */
void net_forward(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                 const noise_source *src, uint64_t first_row);

/* The output (rows, 2) alone, into b->act[n_layers], as net_forward computes it (to the
 * last bits, see there) but so that every row's output is the same whatever the other
 * rows: net_outputs_load, then net_forward_loaded. The local sampler, whose noise is
 * drawn block by block, goes through net_forward's pass, the same numbers, without
 * keeping what only a backward pass needs. */
void net_forward_outputs(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                         const noise_source *src, uint64_t first_row);

/* net_forward_outputs in two steps, for several passes over the same rows (Monte-Carlo
 * prediction), weight sampler or MAP: net_outputs_load takes the rows rows in b->act[0]
 * feature-major into b->loaded, once; each net_forward_loaded is then one pass with the
 * weights of nz. The pass goes block by block of NET_OUTPUT_ROWS rows, a partial block
 * filled with zero rows, so every row meets the same kernels in every batch; a kernel's
 * lanes are rows, each summing its products over the inputs in order, one fused
 * multiply-add per term, as nn/rowwise.h describes (where libxsmm makes no kernel the
 * products are rowwise.c's, the same numbers in an optimised build with FMA). The
 * activations stay
 * feature-major from layer to layer and are not kept (no backward pass can follow). */
void net_outputs_load(const ba_model *m, net_block *b, int rows);
void net_forward_loaded(const ba_model *m, const net_noise *nz, net_block *b, int rows);

/* Backward pass from dL/doutput (rows, 2) in b->dact[0]; writes b->grad (likelihood
 * part only) and, if want_input_grad, b->grad_input. With defer_logsig2 (weight sampler
 * only) it leaves out the log-variance gradients: dL/dlogsig2 = dL/dmu eps sigma / 2
 * row by row with the same eps and sigma, so a step that sums several blocks forms them
 * once from the sum (net_logsig2_grad). That saves a pass over the weights per block
 * and halves what the blocks' gradients bring from one core to the other; the sums
 * round differently, not more coarsely. */
void net_backward(const ba_model *m, const net_noise *nz, net_block *b, int rows,
                  int want_input_grad, int defer_logsig2);

/* grad's log-variance gradients of layer L's weights [lo, hi) from its mean gradients
 * there (likelihood part only, before net_kl_grad_add), for net_backward's
 * defer_logsig2. */
void net_logsig2_grad(const net_noise *nz, const layer_layout *L, ba_real *grad, size_t lo,
                      size_t hi);

/* KL of all layers to the prior, summed (not divided by the training size), from the
 * parameters alone. */
double net_kl(const ba_model *m);

/* Add scale * dKL/dparams to grad[begin, end) (indices into the parameter vector), using
 * the variances of the prepared step. */
void net_kl_grad_add(const net_noise *nz, const ba_model *m, ba_real *grad, size_t begin,
                     size_t end, double scale);

#endif

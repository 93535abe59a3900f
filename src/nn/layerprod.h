/* The three matrix products of a training layer on a block of rows (nn/vblinear.h), with
 * the block's activations feature-major, i.e. stored as (features, rows) matrices, and
 * the weights w (n_out, n_in) as the model stores them:
 *   forward         out (n_out, rows) = w (n_out, n_in) x (n_in, rows)
 *   weight gradient dw (n_out, n_in)  = dout (n_out, rows) x_rows (rows, n_in)
 *   input gradient  dx (n_in, rows)   = w^T (n_in, n_out) dout (n_out, rows)
 * all row-major, x_rows being x in rows (layerprod_transpose). The products run on
 * kernels that libxsmm (1.17, https://github.com/libxsmm/libxsmm) compiles for the exact
 * shape, made once per shape (layerprod_prepare) and kept by the caller, so that a
 * product is one indirect call.
 *
 * Why feature-major: libxsmm vectorises the first dimension of its column-major output,
 * which for a feature-major block is the rows, 64 of them, four full vectors. With rows
 * stored one after the other it was the layer's width: 50 wide layers left a partly
 * filled vector, and the 2 outputs of the last layer ran at 24 GFLOP/s. A forward pass of
 * the tutorial network's 64-row block takes 3.5 us this way against 5.0 us, the input
 * gradients 3.1 against 4.0 us, and the weights need no transposed copy (BENCHMARKS.md,
 * "Issue 12, fourth round"). libxsmm 1.17 makes no kernel with a transposed first
 * operand, so the weight gradient, a sum over rows, takes the layer's inputs in rows:
 * one transpose of the inputs per layer in the backward pass.
 *
 * Why not OpenBLAS, which these products used before: on blocks of 64 rows and 20-50
 * wide layers OpenBLAS spends its time in dispatch and packing, and its speed depends on
 * the kernel it picks: the backward products of the tutorial network took 19-22 us per
 * block with OPENBLAS_CORETYPE=Haswell (set on some of our machines) and 10 us with the
 * autodetected kernels, against 9 us with libxsmm on this machine (BENCHMARKS.md,
 * "Issue 12, training speed"). Hand-written C kernels (register tiles as in
 * nn/rowwise.c, auto-vectorised or with GCC vector types) took 38-64 us: the 50-wide
 * rows leave ragged vector tails that libxsmm's code handles with masks.
 *
 * Reproducibility: a kernel sums over the shared dimension in one fixed order for its
 * shape, on whatever thread it runs, and the order does not depend on OpenBLAS's kernel
 * choice; so a trained model is the same bit for bit with any thread count and any
 * OPENBLAS_CORETYPE (tests/cli_coretype_test.sh). Where libxsmm cannot make a kernel
 * (no JIT for the processor) the products fall back to OpenBLAS. */
#ifndef BA_LAYERPROD_H
#define BA_LAYERPROD_H

#include <libxsmm.h>

#include "bayesamp.h"

#ifdef BA_REAL_DOUBLE
typedef libxsmm_dmmfunction layerprod_kernel;
#else
typedef libxsmm_smmfunction layerprod_kernel;
#endif

/* Training's products run on kernels for the block's row count; prediction, whose rows
 * must not depend on each other (issue 9), uses kernels for a fixed count and pads
 * (net_forward_loaded). libxsmm's kernel is faster than nn/rowwise.c's tiles
 * (BENCHMARKS.md, "Issue 12, third round"). Its sums run over the inputs in order, as
 * rowwise.c's do; whether the two agree to the last bit depends on the shape (they do
 * for prediction's: tests/test_nn.c).
 *
 * The kernels of one layer for blocks of `rows` rows (rows 0: not made yet; a NULL
 * kernel: the OpenBLAS fallback). */
typedef struct layerprod_kernels {
    int rows, n_in, n_out;
    layerprod_kernel forward, weight_grad, input_grad;
} layerprod_kernels;

/* Makes k's kernels for this shape, unless it already has them (then it costs a
 * comparison, so it may be called before every product). */
void layerprod_prepare(layerprod_kernels *k, int rows, int n_in, int n_out);

/* out (n_out, rows) = w x (no bias), x (n_in, rows), with k prepared for the shape. */
void layerprod_forward(const layerprod_kernels *k, ba_real *out, const ba_real *x,
                       const ba_real *w);

/* dw (n_out, n_in) = dout x_rows, dout (n_out, rows) and x_rows (rows, n_in), with k
 * prepared for the shape. */
void layerprod_weight_grad(const layerprod_kernels *k, ba_real *dw, const ba_real *dout,
                           const ba_real *x_rows);

/* dx (n_in, rows) = w^T dout, dout (n_out, rows), with k prepared for the shape. */
void layerprod_input_grad(const layerprod_kernels *k, ba_real *dx, const ba_real *dout,
                          const ba_real *w);

/* Prediction's hidden layers on blocks of LAYERPROD_FUSED_ROWS rows, with the bias and
 * ReLU applied while the sums are still in registers: out (n_out, 64) = max(w x + bias, 0),
 * x (n_in, 64), w (n_out, n_in). The sums run over the inputs in order, one FMA a term,
 * as libxsmm's kernel does, so the outputs are those of layerprod_forward followed by
 * activation_forward_bias, bit for bit (tests/test_nn.c). Our own kernel because libxsmm
 * 1.17's small-matrix kernels take no epilogue, its fully connected layer with the bias
 * and ReLU fused (libxsmm_dnn_fullyconnected) took 5.0-6.9 us for one 64 x 50 x 50 layer
 * against 1.4 us here, and the separate pass was 7.5 % of a fixed-mode prediction: the
 * three hidden layers of the tutorial network for 30 draws took 103-110 us through
 * libxsmm's kernel and the pass, 100 us here (the core's peak); fixed mode 1.04 -> 1.11
 * M events/s (BENCHMARKS.md, "Issue 12, ninth round").
 * Returns 0 where this build has no such kernel (no AVX-512, float64): the caller then
 * does the two steps. */
#define LAYERPROD_FUSED_ROWS 64
int layerprod_forward_relu(ba_real *out, const ba_real *x, const ba_real *w,
                           const ba_real *bias, int n_in, int n_out);

/* dst (cols, rows) = src (rows, cols) transposed: a block between rows and
 * feature-major (libxsmm_otrans). */
void layerprod_transpose(ba_real *dst, const ba_real *src, int rows, int cols);

#endif

/* The three matrix products of a training layer on a block of rows (nn/vblinear.h):
 *   forward         (rows, n_out) = x (rows, n_in) w_t (n_in, n_out)
 *   weight gradient (n_out, n_in) = dout^T (rows, n_out) x (rows, n_in)
 *   input gradient  (rows, n_in)  = dout (rows, n_out) w (n_out, n_in)
 * all row-major, through kernels that libxsmm (1.17, https://github.com/libxsmm/libxsmm)
 * compiles for the exact shape. They are made once per shape (layerprod_prepare) and kept
 * by the caller, so that a product is one indirect call. The forward product takes the
 * weights transposed, w_t = w^T (n_in, n_out): libxsmm 1.17 makes no kernel with a
 * transposed first operand, and with w_t the product is its plain kernel (net_forward
 * transposes each draw into its block).
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

/* Why the forward product of training is not nn/rowwise.c's: that code keeps an event's
 * output independent of the other rows of its block, which prediction needs (issue 9)
 * and training does not; libxsmm's kernel takes 5.1 us per 64-row block of the tutorial
 * network, plus 0.7 us for the transposes, against rowwise.c's 9.2 us (BENCHMARKS.md,
 * "Issue 12, third round"). Its sums
 * run over the inputs in order, as rowwise.c's do, so the two agree bit for bit on the
 * tutorial's shapes, but libxsmm does not promise that for every shape.
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

/* out (rows, n_out) = x w_t (no bias), with k prepared for the shape and w_t = w^T stored
 * (n_in, n_out). */
void layerprod_forward(const layerprod_kernels *k, ba_real *out, const ba_real *x,
                       const ba_real *w_t);

/* dw (n_out, n_in) = dout^T x, with k prepared for the shape. */
void layerprod_weight_grad(const layerprod_kernels *k, ba_real *dw, const ba_real *dout,
                           const ba_real *x);

/* dx (rows, n_in) = dout w, with k prepared for the shape. */
void layerprod_input_grad(const layerprod_kernels *k, ba_real *dx, const ba_real *dout,
                          const ba_real *w);

#endif

/* The two matrix products of a layer's backward pass on a block of rows (nn/vblinear.h):
 *   weight gradient (n_out, n_in) = dout^T (rows, n_out) x (rows, n_in)
 *   input gradient  (rows, n_in)  = dout (rows, n_out) w (n_out, n_in)
 * all row-major, through kernels that libxsmm (1.17, https://github.com/libxsmm/libxsmm)
 * compiles for the exact shape. They are made once per shape (backprod_prepare) and kept
 * by the caller, so that a product is one indirect call.
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
#ifndef BA_BACKPROD_H
#define BA_BACKPROD_H

#include <libxsmm.h>

#include "bayesamp.h"

#ifdef BA_REAL_DOUBLE
typedef libxsmm_dmmfunction backprod_kernel;
#else
typedef libxsmm_smmfunction backprod_kernel;
#endif

/* The kernels of one layer for blocks of `rows` rows (rows 0: not made yet; a NULL
 * kernel: the OpenBLAS fallback). */
typedef struct backprod_kernels {
    int rows, n_in, n_out;
    backprod_kernel weight_grad, input_grad;
} backprod_kernels;

/* Makes k's kernels for this shape, unless it already has them (then it costs a
 * comparison, so it may be called before every product). */
void backprod_prepare(backprod_kernels *k, int rows, int n_in, int n_out);

/* dw (n_out, n_in) = dout^T x, with k prepared for the shape. */
void backprod_weight_grad(const backprod_kernels *k, ba_real *dw, const ba_real *dout,
                          const ba_real *x);

/* dx (rows, n_in) = dout w, with k prepared for the shape. */
void backprod_input_grad(const backprod_kernels *k, ba_real *dx, const ba_real *dout,
                         const ba_real *w);

#endif

#include "nn/layerprod.h"

#include "nn/blas.h"

#ifdef BA_REAL_DOUBLE
#define xsmm_dispatch libxsmm_dmmdispatch
#else
#define xsmm_dispatch libxsmm_smmdispatch
#endif

/* libxsmm is column-major, and a row-major (r, c) matrix is its column-major (c, r) one:
 *  - forward: column-major out (rows, n_out) = x (rows, n_in) times w (n_in, n_out), all
 *    three as stored: the plain kernel, M = rows;
 *  - weight gradient: column-major dw (n_in, n_out) = x_rows (n_in, rows) times
 *    dout (rows, n_out), as stored: the plain kernel, M = n_in;
 *  - input gradient: column-major dx (rows, n_in) = dout (rows, n_out) times the
 *    transpose of w, stored as column-major (n_in, n_out): libxsmm's transposed-B kernel
 *    (LIBXSMM_GEMM_FLAG_TRANS_B), M = rows. */
void layerprod_prepare(layerprod_kernels *k, int rows, int n_in, int n_out)
{
    if (k->rows == rows && k->n_in == n_in && k->n_out == n_out)
        return;
    const ba_real one = 1, zero = 0;
    const int plain = LIBXSMM_GEMM_FLAG_NONE, trans_b = LIBXSMM_GEMM_FLAG_TRANS_B;
    const int no_prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
    const libxsmm_blasint i = n_in, r = rows, o = n_out;
    k->forward = xsmm_dispatch(r, o, i, &r, &i, &r, &one, &zero, &plain, &no_prefetch);
    k->weight_grad = xsmm_dispatch(i, o, r, &i, &r, &i, &one, &zero, &plain, &no_prefetch);
    k->input_grad = xsmm_dispatch(r, i, o, &r, &i, &r, &one, &zero, &trans_b, &no_prefetch);
    k->rows = rows;
    k->n_in = n_in;
    k->n_out = n_out;
}

void layerprod_forward(const layerprod_kernels *k, ba_real *out, const ba_real *x,
                       const ba_real *w)
{
    if (k->forward)
        k->forward(x, w, out);
    else
        gemm(0, 0, k->n_out, k->rows, k->n_in, 1, w, k->n_in, x, k->rows, 0, out, k->rows);
}

void layerprod_weight_grad(const layerprod_kernels *k, ba_real *dw, const ba_real *dout,
                           const ba_real *x_rows)
{
    if (k->weight_grad)
        k->weight_grad(x_rows, dout, dw);
    else
        gemm(0, 0, k->n_out, k->n_in, k->rows, 1, dout, k->rows, x_rows, k->n_in, 0, dw,
             k->n_in);
}

void layerprod_input_grad(const layerprod_kernels *k, ba_real *dx, const ba_real *dout,
                          const ba_real *w)
{
    if (k->input_grad)
        k->input_grad(dout, w, dx);
    else
        gemm(1, 0, k->n_in, k->rows, k->n_out, 1, w, k->n_in, dout, k->rows, 0, dx, k->rows);
}

void layerprod_transpose(ba_real *dst, const ba_real *src, int rows, int cols)
{
    /* src is libxsmm's column-major (cols, rows) matrix, dst its (rows, cols) transpose */
    libxsmm_otrans(dst, src, sizeof *src, (libxsmm_blasint)cols, (libxsmm_blasint)rows,
                   (libxsmm_blasint)cols, (libxsmm_blasint)rows);
}

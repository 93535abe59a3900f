#include "nn/layerprod.h"

#include "nn/blas.h"

#ifdef BA_REAL_DOUBLE
#define xsmm_dispatch libxsmm_dmmdispatch
#else
#define xsmm_dispatch libxsmm_smmdispatch
#endif

/* libxsmm is column-major: a row-major (r, c) matrix is its column-major (c, r) one, so
 * row-major C = A B is column-major C^T = B^T A^T, the operands swapped.
 *  - forward: column-major out^T (n_out, rows) = w_t^T (n_out, n_in) times x^T (n_in,
 *    rows), both as stored: the plain kernel;
 *  - weight gradient: column-major dw^T (n_in, n_out) = x^T (n_in, rows; leading
 *    dimension n_in) times dout (rows, n_out), which is stored as column-major
 *    dout^T (n_out, rows): libxsmm's transposed-B kernel (LIBXSMM_GEMM_FLAG_TRANS_B),
 *    so no copy of dout is made;
 *  - input gradient: column-major dx^T (n_in, rows) = w^T (n_in, n_out) times
 *    dout^T (n_out, rows), both as stored. */
void layerprod_prepare(layerprod_kernels *k, int rows, int n_in, int n_out)
{
    if (k->rows == rows && k->n_in == n_in && k->n_out == n_out)
        return;
    const ba_real one = 1, zero = 0;
    const int plain = LIBXSMM_GEMM_FLAG_NONE, trans_b = LIBXSMM_GEMM_FLAG_TRANS_B;
    const int no_prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
    const libxsmm_blasint m = n_in, r = rows, o = n_out;
    k->forward = xsmm_dispatch(o, r, m, &o, &m, &o, &one, &zero, &plain, &no_prefetch);
    k->weight_grad = xsmm_dispatch(m, o, r, &m, &o, &m, &one, &zero, &trans_b, &no_prefetch);
    k->input_grad = xsmm_dispatch(m, r, o, &m, &o, &m, &one, &zero, &plain, &no_prefetch);
    k->rows = rows;
    k->n_in = n_in;
    k->n_out = n_out;
}

void layerprod_forward(const layerprod_kernels *k, ba_real *out, const ba_real *x,
                       const ba_real *w_t)
{
    if (k->forward)
        k->forward(w_t, x, out);
    else
        gemm(0, 0, k->rows, k->n_out, k->n_in, 1, x, k->n_in, w_t, k->n_out, 0, out, k->n_out);
}

void layerprod_weight_grad(const layerprod_kernels *k, ba_real *dw, const ba_real *dout,
                           const ba_real *x)
{
    if (k->weight_grad)
        k->weight_grad(x, dout, dw);
    else
        gemm(1, 0, k->n_out, k->n_in, k->rows, 1, dout, k->n_out, x, k->n_in, 0, dw, k->n_in);
}

void layerprod_input_grad(const layerprod_kernels *k, ba_real *dx, const ba_real *dout,
                          const ba_real *w)
{
    if (k->input_grad)
        k->input_grad(w, dout, dx);
    else
        gemm(0, 0, k->rows, k->n_in, k->n_out, 1, dout, k->n_out, w, k->n_in, 0, dx, k->n_in);
}

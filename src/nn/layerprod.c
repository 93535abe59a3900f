#include "nn/layerprod.h"

#include "nn/blas.h"

#if defined(__AVX512F__) && !defined(BA_REAL_DOUBLE)
#include <immintrin.h>
#endif

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

#if defined(__AVX512F__) && !defined(BA_REAL_DOUBLE)
/* Outputs j0 .. j0 + nb of layerprod_forward_relu: 4 x nb sums of 16 rows in registers
 * (nb <= 6: 24 of the 32 vector registers), the input's four vectors loaded once per
 * input and used nb times; nb is a constant at every call, so the loops unroll. */
static inline __attribute__((always_inline)) void relu_outputs(
    ba_real *out, const ba_real *x, const ba_real *w, const ba_real *bias, int n_in, int j0,
    const int nb)
{
    enum { R = LAYERPROD_FUSED_ROWS };
    __m512 acc[4][6];
#pragma GCC unroll 6
    for (int c = 0; c < nb; c++)
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
            acc[v][c] = _mm512_setzero_ps();
    for (int k = 0; k < n_in; k++) {
        const ba_real *xk = x + (size_t)k * R;
        __m512 a0 = _mm512_loadu_ps(xk), a1 = _mm512_loadu_ps(xk + 16);
        __m512 a2 = _mm512_loadu_ps(xk + 32), a3 = _mm512_loadu_ps(xk + 48);
#pragma GCC unroll 6
        for (int c = 0; c < nb; c++) {
            __m512 wk = _mm512_set1_ps(w[(size_t)(j0 + c) * n_in + k]);
            acc[0][c] = _mm512_fmadd_ps(a0, wk, acc[0][c]);
            acc[1][c] = _mm512_fmadd_ps(a1, wk, acc[1][c]);
            acc[2][c] = _mm512_fmadd_ps(a2, wk, acc[2][c]);
            acc[3][c] = _mm512_fmadd_ps(a3, wk, acc[3][c]);
        }
    }
#pragma GCC unroll 6
    for (int c = 0; c < nb; c++) {
        __m512 b = _mm512_set1_ps(bias[j0 + c]);
        ba_real *o = out + (size_t)(j0 + c) * R;
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
            _mm512_storeu_ps(o + 16 * v,
                             _mm512_max_ps(_mm512_add_ps(acc[v][c], b), _mm512_setzero_ps()));
    }
}

int layerprod_forward_relu(ba_real *out, const ba_real *x, const ba_real *w,
                           const ba_real *bias, int n_in, int n_out)
{
    int j = 0;
    for (; j + 6 <= n_out; j += 6)
        relu_outputs(out, x, w, bias, n_in, j, 6);
    switch (n_out - j) {
    case 5: relu_outputs(out, x, w, bias, n_in, j, 5); break;
    case 4: relu_outputs(out, x, w, bias, n_in, j, 4); break;
    case 3: relu_outputs(out, x, w, bias, n_in, j, 3); break;
    case 2: relu_outputs(out, x, w, bias, n_in, j, 2); break;
    case 1: relu_outputs(out, x, w, bias, n_in, j, 1); break;
    default: break;
    }
    return 1;
}
#else
int layerprod_forward_relu(ba_real *out, const ba_real *x, const ba_real *w,
                           const ba_real *bias, int n_in, int n_out)
{
    (void)out, (void)x, (void)w, (void)bias, (void)n_in, (void)n_out;
    return 0;
}
#endif

void layerprod_transpose(ba_real *dst, const ba_real *src, int rows, int cols)
{
    /* src is libxsmm's column-major (cols, rows) matrix, dst its (rows, cols) transpose */
    libxsmm_otrans(dst, src, sizeof *src, (libxsmm_blasint)cols, (libxsmm_blasint)rows,
                   (libxsmm_blasint)cols, (libxsmm_blasint)rows);
}

#include "nn/rowwise.h"

/* Outputs per register tile: OUTS x ROWWISE_ROWS running sums (10 x 32 float32 = twenty
 * AVX-512 registers) stay in registers while k runs over the inputs, so each loaded
 * input vector serves ten outputs and each broadcast weight 32 rows. Ten, not eight:
 * the 50-wide layers then split into whole tiles, where 8 left two outputs computed
 * one by one, each a chain of dependent FMAs (BENCHMARKS.md, issue 12). */
#define OUTS 10

/* out[(j0 + o) ld + i] = sum_k w[j0 + o][k] xt[k ld + i] + bias[j0 + o] for n
 * outputs (a compile-time constant where it is called, so that the loops unroll and acc
 * stays in registers): the block's outputs, feature-major. */
static inline __attribute__((always_inline)) void tile(int n, const ba_real *restrict xt,
                                                     size_t ld,
                                                     const ba_real *restrict w, int n_in,
                                                     const ba_real *restrict bias, int j0,
                                                     ba_real *restrict out)
{
    ba_real acc[OUTS][ROWWISE_ROWS];
    for (int o = 0; o < n; o++)
        for (int i = 0; i < ROWWISE_ROWS; i++)
            acc[o][i] = 0;
    for (int k = 0; k < n_in; k++) {
        const ba_real *xk = xt + (size_t)k * ld;
        for (int o = 0; o < n; o++) {
            const ba_real wk = w[(size_t)(j0 + o) * n_in + k];
            for (int i = 0; i < ROWWISE_ROWS; i++)
                acc[o][i] += wk * xk[i];
        }
    }
    for (int o = 0; o < n; o++)
        for (int i = 0; i < ROWWISE_ROWS; i++)
            out[(size_t)(j0 + o) * ld + i] = bias ? acc[o][i] + bias[j0 + o] : acc[o][i];
}

/* All outputs of one block: tiles of OUTS, then the rest in one tile whose width is a
 * constant in each case, so that its loops unroll as well. */
void rowwise_affine_block(ba_real *restrict out_t, const ba_real *restrict xt, int ld,
                          const ba_real *restrict w, const ba_real *restrict bias, int n_in,
                          int n_out)
{
    int j0 = 0;
    for (; j0 + OUTS <= n_out; j0 += OUTS)
        tile(OUTS, xt, (size_t)ld, w, n_in, bias, j0, out_t);
#define REST(n)                                                                         \
    case n:                                                                             \
        tile(n, xt, (size_t)ld, w, n_in, bias, j0, out_t);                              \
        break;
    switch (n_out - j0) {
        REST(1) REST(2) REST(3) REST(4) REST(5) REST(6) REST(7) REST(8) REST(9)
    default:
        break;
    }
#undef REST
}

#include "nn/rowwise.h"

/* Outputs per register tile: OUTS x ROWWISE_ROWS running sums (10 x 32 float32 = twenty
 * AVX-512 registers) stay in registers while k runs over the inputs, so each loaded
 * input vector serves ten outputs and each broadcast weight 32 rows. Ten, not eight:
 * the 50-wide layers then split into whole tiles, where 8 left two outputs computed
 * one by one, each a chain of dependent FMAs (BENCHMARKS.md, issue 12). */
#define OUTS 10

/* acc[o][i] = sum_k w[o][k] xt[k][i] + bias[j0 + o] for n outputs (a compile-time
 * constant where it is called, so that the loops unroll and acc stays in registers),
 * stored row-major, out[i][j0 + o] for the block's rows (feature_major 0), or as the
 * block's outputs transposed, out[(j0 + o) ROWWISE_ROWS + i] (feature_major 1). */
static inline __attribute__((always_inline)) void tile(int n, int feature_major,
                                                     const ba_real *restrict xt,
                        const ba_real *restrict w, int n_in, const ba_real *restrict bias,
                        int j0, ba_real *restrict out, int ldo, int rows)
{
    ba_real acc[OUTS][ROWWISE_ROWS];
    for (int o = 0; o < n; o++)
        for (int i = 0; i < ROWWISE_ROWS; i++)
            acc[o][i] = 0;
    for (int k = 0; k < n_in; k++) {
        const ba_real *xk = xt + (size_t)k * ROWWISE_ROWS;
        for (int o = 0; o < n; o++) {
            const ba_real wk = w[(size_t)(j0 + o) * n_in + k];
            for (int i = 0; i < ROWWISE_ROWS; i++)
                acc[o][i] += wk * xk[i];
        }
    }
    if (feature_major) {
        for (int o = 0; o < n; o++) {
            const ba_real b = bias ? bias[j0 + o] : 0;
            for (int i = 0; i < ROWWISE_ROWS; i++)
                out[(size_t)(j0 + o) * ROWWISE_ROWS + i] = bias ? acc[o][i] + b : acc[o][i];
        }
    } else {
        for (int i = 0; i < rows; i++)
            for (int o = 0; o < n; o++)
                out[(size_t)i * ldo + j0 + o] = bias ? acc[o][i] + bias[j0 + o] : acc[o][i];
    }
}

/* All outputs of one block: tiles of OUTS, then the rest in one tile whose width is a
 * constant in each case, so that its loops unroll as well. */
static void block(int feature_major, const ba_real *restrict xt, const ba_real *restrict w,
                  const ba_real *restrict bias, int n_in, int n_out, ba_real *restrict out,
                  int rows)
{
    int j0 = 0;
    for (; j0 + OUTS <= n_out; j0 += OUTS)
        tile(OUTS, feature_major, xt, w, n_in, bias, j0, out, n_out, rows);
#define REST(n)                                                                         \
    case n:                                                                             \
        tile(n, feature_major, xt, w, n_in, bias, j0, out, n_out, rows);                \
        break;
    switch (n_out - j0) {
        REST(1) REST(2) REST(3) REST(4) REST(5) REST(6) REST(7) REST(8) REST(9)
    default:
        break;
    }
#undef REST
}

void rowwise_transpose_in(ba_real *restrict xt, const ba_real *restrict x, int rows, int n_in)
{
    if (rows == ROWWISE_ROWS) {
        for (int k = 0; k < n_in; k++)
            for (int i = 0; i < ROWWISE_ROWS; i++)
                xt[(size_t)k * ROWWISE_ROWS + i] = x[(size_t)i * n_in + k];
    } else {
        for (int k = 0; k < n_in; k++)
            for (int i = 0; i < ROWWISE_ROWS; i++)
                xt[(size_t)k * ROWWISE_ROWS + i] = i < rows ? x[(size_t)i * n_in + k] : 0;
    }
}

void rowwise_affine_block(ba_real *restrict out_t, const ba_real *restrict xt,
                          const ba_real *restrict w, const ba_real *restrict bias, int n_in,
                          int n_out)
{
    block(1, xt, w, bias, n_in, n_out, out_t, ROWWISE_ROWS);
}

void rowwise_affine(ba_real *restrict out, const ba_real *restrict x,
                    const ba_real *restrict w, const ba_real *restrict bias, int rows,
                    int n_in, int n_out, ba_real *restrict scratch)
{
    for (int r0 = 0; r0 < rows; r0 += ROWWISE_ROWS) {
        const int nr = rows - r0 < ROWWISE_ROWS ? rows - r0 : ROWWISE_ROWS;
        rowwise_transpose_in(scratch, x + (size_t)r0 * n_in, nr, n_in);
        block(0, scratch, w, bias, n_in, n_out, out + (size_t)r0 * n_out, nr);
    }
}

/* The matrix products of the network go through CBLAS (OpenBLAS), in the precision of
 * ba_real. All matrices are row-major. */
#ifndef BA_BLAS_H
#define BA_BLAS_H

#include <cblas.h>

#include "bayesamp.h"

#ifdef BA_REAL_DOUBLE
#define ba_gemm cblas_dgemm
#else
#define ba_gemm cblas_sgemm
#endif

/* C[m x n] = alpha * op(A) op(B) + beta * C, row-major; trans_a/trans_b say whether A, B
 * are used transposed. Leading dimensions are those of the matrices as stored. */
static inline void gemm(int trans_a, int trans_b, int m, int n, int k, ba_real alpha,
                        const ba_real *a, int lda, const ba_real *b, int ldb, ba_real beta,
                        ba_real *c, int ldc)
{
    ba_gemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
            trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
            ldc);
}

#endif

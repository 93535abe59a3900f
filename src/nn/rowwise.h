/* Row-wise matrix products for the forward pass: every row of a batch goes through
 * exactly the same arithmetic, whatever the other rows are.
 *
 * Why not BLAS here: OpenBLAS picks its kernel at run time (processor, OPENBLAS_CORETYPE)
 * and, within a kernel, by the shape of the call; a single event (m = 1) and the same
 * event inside a batch of 128 go through different code and differ in the last bits.
 * A prediction must not depend on the events it is batched with (issue 9), so the
 * forward products are computed here:
 *
 *     out[r][j] = bias[j] + sum_k x[r][k] w[j][k],
 *
 * the sum taken over k in increasing order, one fused multiply-add per term (or one
 * multiply and one add where the build has no FMA or does not optimise). The vector
 * lanes are rows: ROWWISE_ROWS rows are transposed into a block (zero rows fill a
 * partial block) and each lane runs the same sequence of operations, so an event's
 * output is the same in any lane, any block and any batch, and the same with any
 * OpenBLAS kernel. Prediction now runs libxsmm's kernels, which compute the same way
 * (nn/network.h, net_forward_loaded), and these products where libxsmm has none.
 */
#ifndef BA_ROWWISE_H
#define BA_ROWWISE_H

#include <stddef.h>

#include "bayesamp.h"

/* Rows per block of the scratch: two AVX-512 vectors of float32. */
#define ROWWISE_ROWS 32

/* The products for one block of ROWWISE_ROWS rows held feature-major, as a forward pass
 * can keep its activations from layer to layer: xt (n_in, ROWWISE_ROWS),
 * out_t (n_out, ROWWISE_ROWS) = (x w^T + bias)^T, with w (n_out, n_in) as stored by the
 * layer (torch.nn.Linear); both matrices' rows ld values apart (ld >= ROWWISE_ROWS: the
 * block may be part of a wider one). bias NULL: none. */
void rowwise_affine_block(ba_real *out_t, const ba_real *xt, int ld, const ba_real *w,
                          const ba_real *bias, int n_in, int n_out);

#endif

/* Spinor products <ij>, [ij] and invariants s_ij of five massless momenta.
 *
 * Conventions: specification shared/physics/gg_aag_one_loop.md, section 2 (the
 * light-cone direction is x, so that the beams along z are never degenerate). The
 * momenta are all-outgoing, so two of them have negative energy; for those the spinors
 * are i times those of -k, which keeps <ij>[ji] = s_ij for every pair.
 */
#ifndef BA_PHYSICS_SPINORS_H
#define BA_PHYSICS_SPINORS_H

#include "common/cmplx.h"

#define SP_N 5 /* number of particles */

typedef struct spinor_products {
    double complex ang[SP_N][SP_N]; /* <ij>, antisymmetric */
    double complex sq[SP_N][SP_N];  /* [ij], antisymmetric, [ij] = -s_ij / <ij> */
    double s[SP_N][SP_N];           /* s_ij = 2 k_i.k_j = <ij>[ji], s_ii = 0 */
    /* 1/<ij> = [ji]/s_ij and 1/[ij] = <ji>/s_ij (0 on the diagonal): the primitive
     * amplitudes divide by products of brackets hundreds of times per point, and a
     * complex division costs several multiplications. */
    double complex inv_ang[SP_N][SP_N];
    double complex inv_sq[SP_N][SP_N];
} spinor_products;

/* k[i] = (E, px, py, pz) of massless all-outgoing momenta; E may be negative. */
void spinor_products_compute(const double k[SP_N][4], spinor_products *sp);

#endif

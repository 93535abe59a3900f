/* The fermion-loop primitive amplitudes A^[1/2]_{5;1} of the one-loop five-gluon
 * amplitude, Bern, Dixon, Kosower, arXiv:hep-ph/9302280, Eqs. (4), (8)-(10), normalised
 * as in the specification shared/physics/gg_aag_one_loop.md, section 4:
 *   A_hat = 16 pi^2 (-i) A^[1/2]_{5;1} at eps -> 0   (mass dimension -1, GeV^-1),
 * for AMP_LANES events at once (physics/lanes.h), one per lane.
 *
 * The loop functions enter as inputs: they depend only on the invariants, are computed
 * once per event (physics/amplitude.c), and are shared by every helicity configuration
 * and colour ordering that asks for them. What is left here is rational in the spinor
 * products, the same operations for every event, hence vectorised over events.
 */
#ifndef BA_PHYSICS_PRIMITIVES_H
#define BA_PHYSICS_PRIMITIVES_H

#include "physics/lanes.h"
#include "physics/spinors.h"

/* The spinor products of a batch of events, lane l for event l (see spinor_products). */
typedef struct spinor_lanes {
    clanes ang[SP_N][SP_N];
    clanes sq[SP_N][SP_N];
    clanes inv_ang[SP_N][SP_N]; /* 1/<ij> */
    clanes inv_sq[SP_N][SP_N];  /* 1/[ij] */
    lanes s[SP_N][SP_N];
    lanes inv_s[SP_N][SP_N]; /* 1/s_ij: the primitives divide by invariants dozens of times */
} spinor_lanes;

/* Which spinor products play <ij> and [ij]: parity (spec section 5) swaps them and
 * leaves the invariants, hence all loop functions, alone. */
typedef struct bracket_lanes {
    const clanes (*ang)[SP_N];
    const clanes (*sq)[SP_N];
    const clanes (*inv_ang)[SP_N];
    const clanes (*inv_sq)[SP_N];
    const lanes (*s)[SP_N];
    const lanes (*inv_s)[SP_N];
} bracket_lanes;

/* The brackets of sp, swapped by parity if parity is non-zero. */
bracket_lanes bracket_lanes_of(const spinor_lanes *sp, int parity);

/* The loop functions of a cyclic ordering o (o[k] the particle at position k+1) that
 * prim_mmppp and prim_mpmpp need, with s_ij meaning s_{o_i o_j}. v is
 * -(V^f + V^s) = 5/(3 eps) + 10/9 + (ln(mu^2/(-s_a)) + ln(mu^2/(-s_b)))/3 (spec 4.3,
 * 4.4), with (a, b) = (23, 51) for mmppp and (34, 51) for mpmpp. */
typedef struct mmppp_loops {
    const clanes *v, *L0_23_51, *L2_23_51;
} mmppp_loops;

typedef struct mpmpp_loops {
    const clanes *v;
    const clanes *Ls1_a; /* Ls_1(s23/s51, s34/s51) */
    const clanes *Ls1_b; /* Ls_1(s12/s34, s51/s34) */
    const clanes *L0_34_51, *L1_23_51, *L1_34_51, *L1_12_34, *L1_51_34;
    const clanes *L2_23_51, *L2_34_51, *L2_12_34;
} mpmpp_loops;

/* The four independent primitives, spec 4.1-4.4, for the cyclic ordering o with the
 * helicities in the names, position by position. Every other helicity configuration
 * is one of these after a cyclic rotation and possibly parity (spec section 5). */
clanes prim_ppppp(const bracket_lanes *br, const int o[SP_N]);
clanes prim_mpppp(const bracket_lanes *br, const int o[SP_N]);
clanes prim_mmppp(const bracket_lanes *br, const mmppp_loops *lp, const int o[SP_N]);
clanes prim_mpmpp(const bracket_lanes *br, const mpmpp_loops *lp, const int o[SP_N]);

#endif

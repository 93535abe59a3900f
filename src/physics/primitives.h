/* The fermion-loop primitive amplitudes A^[1/2]_{5;1} of the one-loop five-gluon
 * amplitude, Bern, Dixon, Kosower, arXiv:hep-ph/9302280, Eqs. (4), (8)-(10), normalised
 * as in the specification shared/physics/gg_aag_one_loop.md, section 4:
 *   A_hat = 16 pi^2 (-i) A^[1/2]_{5;1} at eps -> 0   (mass dimension -1, GeV^-1).
 */
#ifndef BA_PHYSICS_PRIMITIVES_H
#define BA_PHYSICS_PRIMITIVES_H

#include <complex.h>

#include "physics/spinors.h"

#define SP_NPAIRS 10 /* unordered pairs of the 5 particles */

/* The loop functions of one phase-space point. They depend only on the ten invariants
 * s_ij, and the 384 primitive evaluations of a point ask for the same few dozen of them
 * over and over (every ordering/rotation is used by two helicity configurations related
 * by parity, and different orderings share invariants), so they are computed on first
 * use and kept. Indexed by pair index: 0..9 for the unordered pairs
 * {0,1}, {0,2}, {0,3}, {0,4}, {1,2}, {1,3}, {1,4}, {2,3}, {2,4}, {3,4}. */
typedef struct loop_cache {
    double s[SP_NPAIRS];              /* s_ij by pair index */
    double complex ell_mu[SP_NPAIRS]; /* ln(mu^2/(-s - i0)) */
    double complex v_const;           /* 5/(3 eps) + 10/9 (spec 4.3) */
    unsigned char have[SP_NPAIRS][SP_NPAIRS];
    double complex ell[SP_NPAIRS][SP_NPAIRS];
    double complex L0[SP_NPAIRS][SP_NPAIRS];
    double complex L1[SP_NPAIRS][SP_NPAIRS];
    double complex L2[SP_NPAIRS][SP_NPAIRS];
    double complex D[SP_NPAIRS][SP_NPAIRS]; /* continued dilogarithm, spec 3.3 */
} loop_cache;

/* Prepare the cache for the invariants of sp. mu2 > 0 is the scale of the
 * ln(mu^2/(-s)) terms and inv_eps the value standing for 1/eps; both drop out of the
 * photon-decoupling sum (spec 4.5) and exist so that the tests can show it. */
void loop_cache_init(loop_cache *lc, const spinor_products *sp, double mu2, double inv_eps);

/* Which spinor products play <ij> and [ij]: parity (spec section 5) swaps them and
 * leaves the invariants, hence all loop functions, alone. */
typedef struct brackets {
    const double complex (*ang)[SP_N];
    const double complex (*sq)[SP_N];
    const double complex (*inv_ang)[SP_N]; /* 1/<ij> */
    const double complex (*inv_sq)[SP_N];  /* 1/[ij] */
    const double (*s)[SP_N];
} brackets;

/* The four independent primitives, spec 4.1-4.4, for the cyclic ordering o (o[k] is the
 * particle at position k+1) with the helicities in the names, position by position. */
double complex prim_ppppp(const brackets *br, const int o[SP_N]);
double complex prim_mpppp(const brackets *br, const int o[SP_N]);
double complex prim_mmppp(const brackets *br, loop_cache *lc, const int o[SP_N]);
double complex prim_mpmpp(const brackets *br, loop_cache *lc, const int o[SP_N]);

/* Any helicity configuration (hel[particle] = +1 or -1, all outgoing) in the cyclic
 * ordering o, reduced to the four above by cyclicity and parity (spec section 5). */
double complex prim_amplitude(const spinor_products *sp, loop_cache *lc, const int o[SP_N],
                              const int hel[SP_N]);

#endif

/* The regression target: the one-loop squared matrix element of
 *
 *     g(p1) g(p2) -> gamma(p3) gamma(p4) g(p5)
 *
 * through loops of n_f = 5 massless quarks, at O(alpha^2 alpha_s^3), following the
 * specification shared/physics/gg_aag_one_loop.md: the fermion-loop primitive amplitudes
 * of Bern, Dixon, Kosower, arXiv:hep-ph/9302280, combined into photons by the decoupling
 * sum of Bern, Dixon, Schmidt, arXiv:hep-ph/0206194, Eq. (8).
 *
 * Momenta p[i] = (E, px, py, pz) in GeV, in the order [g_in (+z), g_in (-z), photon,
 * photon, g_out], incoming momenta physical (E > 0) along the beam axis z.
 */
#ifndef BA_PHYSICS_AMPLITUDE_H
#define BA_PHYSICS_AMPLITUDE_H

#include <complex.h>
#include <stddef.h>

/* alpha = 1/137.035999084, alpha_s = 0.118, N_c = 3, sum_q Q_q^2 = 11/9:
 * F = e^4 g_s^6/(4 pi)^4 N_c/(N_c^2 - 1) (sum Q^2)^2 (spec section 7). */
#define GG_AAG_ALPHA (1.0 / 137.035999084)
#define GG_AAG_ALPHA_S 0.118
double gg_aag_overall_factor(void);

/* |M|^2 summed over final and averaged over initial helicities and colours, with the
 * identical-photon factor 1/2, in GeV^-2. The momenta are not checked (see
 * gg_aag_check_event); they must be massless and conserve momentum. One event costs as
 * much as a batch of several (gg_aag_amp2_batch): use that for many events. */
double gg_aag_amp2(const double p[5][4]);

/* amp[i] = gg_aag_amp2(p[i]) for i < n, bit for bit, but several events at once
 * (physics/lanes.h): several times faster per event than one call per event. An
 * event's value does not depend on the other events of p or on n. */
void gg_aag_amp2_batch(const double (*p)[5][4], size_t n, double *amp);

/* out[k] = |S_h|^2 (GeV^-2, without the overall factor), S_h the sum over the 12 colour
 * orderings of the primitive amplitudes (spec section 6), for the all-outgoing
 * helicities h with k = 16 b1 + 8 b2 + 4 b3 + 2 b4 + b5, b_i = 1 for +, 0 for -: the
 * index convention of shared/reference/ref_hel.npy. */
void gg_aag_helicity_table(const double p[5][4], double out[32]);

/* The complex sums S_h themselves, with the scale mu2 > 0 of the logarithms and the
 * number inv_eps standing for 1/eps. The |S_h| do not depend on either (spec 4.5);
 * gg_aag_helicity_table uses mu2 = s_hat, inv_eps = 0. */
void gg_aag_helicity_sums(const double p[5][4], double mu2, double inv_eps,
                          double complex out[32]);

/* Reasons an event is refused by gg_aag_check_event. */
enum gg_aag_event_problem {
    GG_AAG_EVENT_OK = 0,
    GG_AAG_EVENT_NOT_FINITE,
    GG_AAG_EVENT_NEGATIVE_ENERGY,   /* an incoming or outgoing energy <= 0 */
    GG_AAG_EVENT_NOT_ALONG_BEAM,    /* incoming with transverse momentum, or wrong direction */
    GG_AAG_EVENT_OFF_SHELL,         /* |p^2| > tol * s_hat */
    GG_AAG_EVENT_NOT_CONSERVED,     /* |sum in - sum out| > tol * (E1 + E2) */
};

/* Check that p is a valid event for gg_aag_amp2, to relative tolerance tol (1e-10 is a
 * sensible value for double-precision events): finite, positive energies, p1 along +z
 * and p2 along -z without transverse momentum, every p_i^2 within tol * s_hat of 0,
 * p1 + p2 = p3 + p4 + p5 within tol * (E1 + E2) per component. Returns 0 if valid,
 * else one of the enum values, with a one-line reason in why (may be NULL). */
int gg_aag_check_event(const double p[5][4], double tol, char *why, size_t why_len);

#endif

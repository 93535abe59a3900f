/* Network inputs and targets computed from an event's momenta.
 *
 * Two feature sets:
 *  - momenta (the tutorial): the 20 components (E, px, py, pz) of the five particles
 *    divided by the mean transverse momentum of the outgoing gluon over the training
 *    set; target log(A).
 *  - invariants: the helicity-summed |M|^2 is Lorentz invariant and, by dimension,
 *    1/s_12 times a function of ratios of invariants, so the inputs are log s_12 and
 *    log(s_ij / s_12) for the nine other pairs, and the target is log(A s_12). The two
 *    photons are put in a canonical order (the one with the smaller s with the first
 *    incoming gluon first), so the features are invariant under their exchange as the
 *    amplitude is.
 * Either set may be standardised (each input and the target shifted and scaled to mean 0
 * and variance 1 over the training set); the constants travel with the model.
 */
#ifndef BA_FEATURES_H
#define BA_FEATURES_H

#include <stddef.h>

#include "bayesamp.h"

#define N_PARTICLES 5
#define N_COMPONENTS 4
#define N_MOMENTUM_FEATURES (N_PARTICLES * N_COMPONENTS)
#define N_INVARIANT_FEATURES 10
#define GLUON_OUT 4

/* s_ij = 2 p_i.p_j of two massless momenta, computed as E_i E_j |n_i - n_j|^2 with the
 * unit directions n = p / |p|, which keeps full relative precision for nearly collinear
 * pairs where 2 (E_i E_j - p_i.p_j) cancels. */
double massless_invariant(const double *p_i, const double *p_j);

/* The ten s_ij of an event (20 numbers), pairs in the order (1,2) (1,3) (1,4) (1,5)
 * (2,3) (2,4) (2,5) (3,4) (3,5) (4,5), photons in canonical order. */
void event_invariants(const double *event, double s[N_INVARIANT_FEATURES]);

/* The raw (not yet standardised) inputs of one event; -1 if an invariant is not positive
 * and finite, so its logarithm does not exist. */
int event_features(ba_features kind, const double *event, double gluon_pt_mean, double *out);

/* The raw target of one event: log(A), or log(A s_12) for invariants. */
double event_target(ba_features kind, const double *event, double amplitude);

/* log(A) from a raw target: the inverse of event_target. */
double target_to_log_amplitude(ba_features kind, const double *event, double target);

/* pT of the outgoing gluon as the tutorial computes it: sqrt(round(px^2 + py^2, 5)). */
double gluon_pt(const double *event);

#endif

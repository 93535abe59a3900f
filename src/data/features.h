/* Network inputs and targets computed from an event's momenta, for any 2 -> n process
 * of P particles (physics/process.h).
 *
 * Two feature sets:
 *  - momenta (the tutorial): the 4P components (E, px, py, pz) of the P particles
 *    divided by the mean transverse momentum of the last outgoing particle over the
 *    training set (for g g -> gamma gamma g the outgoing gluon, as the tutorial);
 *    target log(A).
 *  - invariants: the helicity-summed |M|^2 is Lorentz invariant, so it is a function of
 *    the P(P-1)/2 invariants s_ij = 2 p_i.p_j; it has mass dimension 8 - 2P, so
 *    A s_12^(P-4) is a function of the ratios s_ij / s_12 alone. The inputs are
 *    log s_12 and log(s_ij / s_12) for the other pairs, the target is log(A s_12^(P-4))
 *    (log(A s_12) for P = 5). Identical final-state particles are put in a canonical
 *    order, by their invariant with the first incoming particle, s_1i, smallest first,
 *    so the features are invariant under their exchange as the amplitude is (for
 *    g g > a a g: the photon with the smaller s with the first incoming gluon first).
 * Either set may be standardised (each input and the target shifted and scaled to mean 0
 * and variance 1 over the training set); the constants travel with the model.
 */
#ifndef BA_FEATURES_H
#define BA_FEATURES_H

#include <stddef.h>

#include "bayesamp.h"

#define N_COMPONENTS 4
#define MAX_PAIRS (BA_MAX_PARTICLES * (BA_MAX_PARTICLES - 1) / 2)

/* The number of inputs of a feature set for a process: 4P or P(P-1)/2. */
int feature_count(ba_features kind, const ba_process *p);

/* s_ij = 2 p_i.p_j of two massless momenta, computed as E_i E_j |n_i - n_j|^2 with the
 * unit directions n = p / |p|, which keeps full relative precision for nearly collinear
 * pairs where 2 (E_i E_j - p_i.p_j) cancels. */
double massless_invariant(const double *p_i, const double *p_j);

/* s_ij = 2 p_i.p_j of two momenta with masses m_i, m_j (GeV, the process's): the
 * massless formula above if both masses are 0; otherwise, without cancellation,
 *   2 (E_i E_j - |p_i||p_j|) + |p_i||p_j| |n_i - n_j|^2,
 *   E_i E_j - |p_i||p_j| = (m_i^2 E_j^2 + m_j^2 |p_i|^2) / (E_i E_j + |p_i||p_j|),
 * both terms >= 0, so s_ij >= 2 m_i m_j > 0. */
double pair_invariant(const double *p_i, double m_i, const double *p_j, double m_j);

/* The canonical order of an event's particles: order[k] is the particle in position k.
 * Only identical final-state particles move, sorted by s_1i, smallest first (a stable
 * sort: exact ties keep the order of the event). */
void canonical_order(const ba_process *p, const double *event, int order[BA_MAX_PARTICLES]);

/* The P(P-1)/2 s_ij of an event, pairs (1,2) (1,3) ... (1,P) (2,3) ... (P-1,P) of the
 * particles in canonical order. */
void event_invariants(const ba_process *p, const double *event, double *s);

/* The raw (not yet standardised) inputs of one event; -1 if an invariant is not positive
 * and finite, so its logarithm does not exist. pt_mean is the momenta's divisor. */
int event_features(ba_features kind, const ba_process *p, const double *event,
                   double pt_mean, double *out);

/* The raw target of one event: log(A), or log(A s_12^(P-4)) for invariants. */
double event_target(ba_features kind, const ba_process *p, const double *event,
                    double amplitude);

/* log(A) from a raw target: the inverse of event_target. */
double target_to_log_amplitude(ba_features kind, const ba_process *p, const double *event,
                               double target);

/* pT of the last outgoing particle as the tutorial computes the gluon's:
 * sqrt(round(px^2 + py^2, 5)). */
/* log |M|^2 of a training row from its preprocessed features x and target y (undoing the
 * standardisation of both): for invariants log s12 is x[0], so log A = target - (P - 4)
 * log s12; for momenta the target is log A itself. The trainer weighs events by it. */
double features_log_amplitude(const ba_preprocessing *pre, const ba_real *x, ba_real y);

/* How close an event (P x 4 momenta of process p) is to a singularity: the smallest
 * s_ij / s_12 over the pairs other than the incoming one, s_ij = 2 p_i.p_j
 * (pair_invariant). The evaluation's near-singular events and the generator's
 * enrichment of the training set (phase_space.h) both use it. */
double event_singular_measure(const ba_process *p, const double *event);

double outgoing_pt(const ba_process *p, const double *event);

#endif

/* Phase-space points for g g -> gamma gamma g at the LHC, as the training data (and
 * shared/reference/README.md, "How the points were sampled"):
 *
 *   sqrt(s_hat) log-uniform in [mhat_min, mhat_max];
 *   rapidity Y of the partonic system uniform in [-y, y], y = min(y_max, ln(sqrt_s/sqrt(s_hat)));
 *   p1 = sqrt(s_hat)/2 e^{+Y} (1, 0, 0, 1),  p2 = sqrt(s_hat)/2 e^{-Y} (1, 0, 0, -1);
 *   flat massless three-body phase space by RAMBO (Kleiss, Stirling, Ellis, Comput.
 *   Phys. Commun. 40 (1986) 359) in the partonic frame, order [photon, photon, gluon],
 *   boosted along z by Y;
 *   cuts: pT > pt_min for all three, |eta| < eta_photon_max for the photons and
 *   < eta_gluon_max for the gluon, Delta R > dr_min for every pair; a point failing them
 *   is redrawn whole (s_hat, Y and angles).
 *
 * Enrichment (for training sets, issue 11): with enrich_fraction f > 0, the events whose
 * index i has floor((i + 1) f) > floor(i f) (a fraction f of them, spread evenly and
 * fixed by the index alone) are drawn as above but also redrawn until their singular
 * measure (the smallest s_ij / s_12, data/features.h) is below a cut: the k-th enriched
 * event takes enrich_cuts[k mod n], the n cuts in turn. The sample is then the mixture
 * (1 - f) flat + (f / n) (flat restricted to min s_ij / s_12 < cut_j) for each j: more
 * points where the amplitude is large and steep, every one of them a physical event that
 * passes the cuts, with the same exact amplitude. One cut of 0.01 leaves few points
 * below 0.001, where the amplitude is largest (the 0.1 % of events there carry about
 * 10 % of the sum of the amplitudes); a ladder 0.01, 0.003, 0.001 covers each decade
 * (BENCHMARKS.md, "Large amplitudes"). A cut c costs about 1 / (flat fraction below c)
 * phase-space draws per event (1000 at c = 0.001, about 1 ms), no amplitude.
 *
 * Layout p[5][4]: [g_in (+z), g_in (-z), photon, photon, g_out], (E, px, py, pz) in GeV,
 * as gg_aag_amp2 expects.
 *
 * Randomness: event i draws from the counter-based stream (seed, stream = i) of
 * common/rng.h, attempt after attempt, so that the event depends only on (seed, i):
 * reproducible bit for bit whatever the number of threads or the order of generation.
 */
#ifndef BA_PHYSICS_PHASE_SPACE_H
#define BA_PHYSICS_PHASE_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "bayesamp.h"
#include "common/rng.h"

/* The settings are the public ba_phase_space (bayesamp.h), whose defaults are in
 * parentheses there. */
typedef ba_phase_space ps_settings;

/* The values in parentheses above. */
ps_settings ps_settings_default(void);

/* 0 if the settings can produce events (positive, finite, ordered ranges, mhat_max <=
 * sqrt_s, ...), else -1 with a one-line reason in why (may be NULL). */
int ps_settings_check(const ps_settings *s, char *why, size_t why_len);

/* RAMBO for n massless particles with total momentum (w, 0, 0, 0): p[0..n) are
 * uniformly distributed in n-body phase space (constant weight). Draws 4 n uniforms. */
void ps_rambo_massless(double w, int n, ba_rng *rng, double p[][4]);

/* The largest |Y| for partonic mass mhat: min(y_max, ln(sqrt_s/mhat)). */
double ps_rapidity_limit(const ps_settings *s, double mhat);

/* One point without cuts. mhat (= sqrt(s_hat)) and rapidity (Y) may be NULL. */
void ps_draw_point(const ps_settings *s, ba_rng *rng, double p[5][4], double *mhat,
                   double *rapidity);

/* 1 if event_index is one of the enriched events of s (see above), else 0. */
int ps_event_is_enriched(const ps_settings *s, uint64_t event_index);
/* The cut on the singular measure of event event_index (see above), 0 if it is flat. */
double ps_event_enrich_cut(const ps_settings *s, uint64_t event_index);
/* The number of cuts in s->enrich_cuts (the leading positive entries). */
int ps_enrich_cut_count(const ps_settings *s);

/* 1 if the final state of p passes the cuts of s, else 0. */
int ps_passes_cuts(const ps_settings *s, const double p[5][4]);

/* Event number event_index of the sample with this seed: points from the stream
 * (seed, event_index) until one passes the cuts. n_tries (may be NULL) gets the number
 * of points drawn. Returns 0, or -1 if s->max_tries points all failed (p is then the
 * last one drawn). */
int ps_generate_event(const ps_settings *s, uint64_t seed, uint64_t event_index,
                      double p[5][4], long *n_tries);

/* Events first_index .. first_index + n - 1 into p[0..n); total_tries (may be NULL) gets
 * the number of points drawn for them. Returns 0, or -1 as ps_generate_event. Each
 * event is independent of the others: callers may split the range over threads. */
int ps_generate_events(const ps_settings *s, uint64_t seed, uint64_t first_index, size_t n,
                       double (*p)[5][4], long *total_tries);

#endif

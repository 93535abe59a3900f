/* ba_hybrid_amplitudes (bayesamp.h) for events that the MPI ranks hold between them,
 * each rank only its own: what `bayesamp amplitude --model` runs on each rank's share of
 * the momenta file. */
#ifndef BA_HYBRID_H
#define BA_HYBRID_H

#include <stddef.h>

#include "bayesamp.h"

/* Collective. Rank r passes events [first, first + n_mine) of n, its predict_share(n,
 * cfg->predict.batch_size, r) (nn/predict.h), and gets their amplitudes and flags in
 * amp[0 .. n_mine) and exact_flag[0 .. n_mine): the numbers of ba_hybrid_amplitudes on
 * all n events. The exact events of all ranks are shared out evenly among them. stats
 * (may be NULL) counts all events; its times are this rank's, collectives included.
 * An error on any rank is every rank's. */
int hybrid_amplitudes_shares(const ba_model *m, const double *momenta, size_t first,
                             size_t n_mine, size_t n, const ba_hybrid_config *cfg,
                             ba_exact_amplitude_fn exact, void *user, double *amp,
                             unsigned char *exact_flag, ba_hybrid_stats *stats, ba_error *err);

#endif

/* Training data for g g -> gamma gamma g: phase-space points (physics/phase_space.h)
 * with their exact one-loop |M|^2 (physics/amplitude.h), in parallel.
 *
 * The loops live here rather than in the command-line front end so that any front end
 * (the CLI's `generate` and `amplitude`, a Python module) produces the same numbers.
 *
 * Reproducibility: event i of a sample is a pure function of (seed, first_index + i)
 * (ps_generate_event), and gg_aag_amp2 is a pure function of the momenta, so the arrays
 * are bit for bit the same whatever the number of threads and however the work is split.
 */
#ifndef BA_PHYSICS_GENERATE_H
#define BA_PHYSICS_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "bayesamp.h"
#include "physics/phase_space.h"

/* The three splits of the Heidelberg layout, {trn,val,tst}_{dat,amp}.npy. */
typedef ba_data_split gen_split;
#define GEN_TRAIN BA_SPLIT_TRN
#define GEN_VAL BA_SPLIT_VAL
#define GEN_TEST BA_SPLIT_TST

/* Split s draws its events from the random streams s * 2^40 + i, i = 0, 1, ...: the
 * splits never share an event, and each split is the same whatever the sizes of the
 * others (asking for more test events does not change the training set). The stream
 * ids stay below 2^60, where nn/streams.h keeps purpose 0 free, so data and training
 * noise never share random numbers even under the same seed. */
#define GEN_SPLIT_STRIDE ((uint64_t)1 << 40)
#define GEN_MAX_EVENTS GEN_SPLIT_STRIDE /* per split */

/* The first event index (random stream) of a split, and its file-name prefix. */
uint64_t gen_split_first_index(gen_split split);
const char *gen_split_name(gen_split split);

/* Where the time went: core-seconds summed over the threads, so that
 * seconds / events is the cost of one event on one core. */
typedef ba_generate_stats gen_stats;

/* Called from the calling thread between blocks of events (may be NULL). */
typedef ba_progress_fn gen_progress_fn;

/* Events first_index .. first_index + n - 1 of the sample with this seed into p[0..n)
 * ([g_in(+z), g_in(-z), photon, photon, g_out], (E, px, py, pz) in GeV) and their
 * |M|^2 into amp[0..n) (GeV^-2), on threads threads (0: all cores). stats (may be NULL)
 * gets the tries and timings. Every event is checked with gg_aag_check_event and every
 * |M|^2 must be positive and finite, so that what comes out is valid training data.
 * Returns 0, or -1 with the first failing event named in err: settings refused by
 * ps_settings_check, no point passing the cuts in s->max_tries tries, or (a bug) an
 * invalid event or amplitude. */
int gen_events(const ps_settings *s, uint64_t seed, uint64_t first_index, size_t n,
               int threads, double (*p)[5][4], double *amp, gen_stats *stats,
               gen_progress_fn progress, void *user, ba_error *err);

/* |M|^2 of n given events, each first checked with gg_aag_check_event(p[i], tol): if one
 * is refused, nothing is evaluated, *bad_row (may be NULL) gets the first bad row and
 * err reads "row R: <what is wrong>"; returns -1. Else fills amp[0..n) and returns 0.
 * threads and progress as for gen_events. */
int gen_amp2_events(const double (*p)[5][4], size_t n, double tol, int threads,
                    double *amp, size_t *bad_row, gen_progress_fn progress, void *user,
                    ba_error *err);

/* The checks of gen_amp2_events on events [first, first + n) of a larger set, p[0] its
 * event `first`: "row R: why" names the row in the set, as does *bad_row (may be NULL). */
int gen_amp2_check(const double (*p)[5][4], size_t first, size_t n, double tol,
                   size_t *bad_row, ba_error *err);

/* gen_events with the events shared out across the MPI ranks (common/parallel.h):
 * every rank passes all n events' buffers, computes its share (par_range; an event's
 * numbers do not depend on which rank computes it) and gets all of p and amp; progress
 * counts this rank's share. Collective; errors as above, on every rank. Without MPI, or
 * on one rank, exactly gen_events. */
int gen_events_across_ranks(const ps_settings *s, uint64_t seed, uint64_t first_index,
                            size_t n, int threads, double (*p)[5][4], double *amp,
                            gen_stats *stats, gen_progress_fn progress, void *user,
                            ba_error *err);

/* gen_amp2_events of n events that the MPI ranks hold between them, each only its own:
 * rank r passes events [first, first + n_mine) (p[0] is event first; the shares in rank
 * order, together all n), and rank 0 gets all n amplitudes in amp (unused elsewhere).
 * Every rank's events are checked before any is evaluated, and the error is the first
 * bad row of all n (gen_amp2_check), on every rank; progress counts this rank's share.
 * Collective. Without MPI, or on one rank, gen_amp2_events. */
int gen_amp2_shares(const double (*p)[5][4], size_t first, size_t n_mine, size_t n, double tol,
                    int threads, double *amp, gen_progress_fn progress, void *user,
                    ba_error *err);

#endif

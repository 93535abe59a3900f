/* Monte-Carlo prediction with aleatoric and epistemic uncertainties (the tutorial's
 * get_prediction), behind the public ba_predictor of bayesamp.h.
 *
 * A sample is cut into batches of batch_size events; for every batch and every pass k
 * the network runs with one draw of its weights, and each event accumulates its head's
 * outputs (mu_k, logsig2_k) over the passes. Where the weights come from:
 *   SAMPLE  Philox stream (STREAM_PREDICT_NOISE, pass k, global batch index, layer),
 *   FIXED   the same stream with batch index 0 for every batch,
 *   MAP     the means mu_w, one pass.
 * A batch belongs to one thread from its first pass to its last, and its random numbers
 * are named by what they are for, so the numbers never depend on the thread count.
 * Memory: per thread a weight draw and one batch of activations; FIXED also keeps the
 * n_monte weight draws (when they fit PREDICT_FIXED_BUDGET, else they are redrawn per
 * batch, which gives the same numbers).
 */
#ifndef BA_PREDICT_H
#define BA_PREDICT_H

#include <stddef.h>

#include "bayesamp.h"
#include "nn/network.h"

/* Most parameter values the FIXED weight draws may take together (256 MiB of float32). */
#define PREDICT_FIXED_BUDGET ((size_t)1 << 26)

/* Events per piece when streaming a file (rounded down to whole batches). */
#define PREDICT_FILE_CHUNK 65536

/* The fewest events in one thread task of a MAP or FIXED prediction, where every batch
 * has the same weights (ba_predictor.task_rows). */
#define SHARED_TASK_ROWS 1024

/* Running moments of a task's events over the passes, Welford's update (Knuth, TAOCP
 * vol. 2, 4.2.2): numerically stable, and memory independent of the number of passes.
 * One array per moment, an entry per event, so that the update runs in vector lanes:
 * one event after the other, a scalar division each, it was 3 % of a fixed-mode
 * prediction (BENCHMARKS.md, "Issue 12, ninth round"). */
typedef struct mc_moments {
    double *mean;     /* mean of mu_k so far */
    double *m2;       /* sum of (mu_k - mean)^2 so far */
    double *sum_var;  /* sum of exp(logsig2_k) */
} mc_moments;

/* Room for rows events' moments in acc (one allocation; mc_moments_free); 0, or -1
 * when out of memory. */
int mc_moments_alloc(mc_moments *acc, int rows);
void mc_moments_free(mc_moments *acc);

/* The first rows events' moments to zero, before a task's first pass. */
void mc_moments_clear(const mc_moments *acc, int rows);

/* One thread's workspace. */
typedef struct predict_worker {
    net_noise noise;     /* the current weight draw (SAMPLE, FIXED without stored draws) */
    net_block block;     /* activations of one task */
    mc_moments acc;      /* task_rows events' accumulators */
} predict_worker;

struct ba_predictor {
    const ba_model *m;
    ba_predict_config cfg;
    int threads;
    int passes;                /* n_monte, or 1 for MAP */
    int task_rows;             /* events per thread task: batch_size, a multiple for MAP
                                  and FIXED */
    predict_worker *workers;   /* one per thread */
    net_noise map;             /* MAP: weight = mu_w */
    ba_real *fixed;            /* FIXED: passes x n_params, draw k at fixed + k n_params
                                  (the weights sit at the layers' mu_w offsets); NULL when
                                  over budget */
};

/* Fold one pass's head outputs (rows, 2) = (mu, logsig2) into the accumulators;
 * pass counts from 1. */
void mc_moments_add(const mc_moments *acc, const ba_real *outputs, int rows, int pass);

/* The prediction from the accumulators after n passes (see ba_prediction). */
void mc_moments_finish(const mc_moments *acc, int rows, int n, ba_prediction *out);

/* MPI rank's events [lo, hi) of n: whole batches of batch_size, as even as possible
 * across the ranks (common/parallel.h); [0, n) for one process. Cut there, a prediction
 * is the one-process prediction bit for bit (ba_predict_momenta). */
void predict_share(size_t n, size_t batch_size, int rank, size_t *lo, size_t *hi);

/* ba_predict_momenta of events 0 .. n - 1 with the work split across the MPI ranks:
 * every rank passes all momenta, predicts its share, and gets every event's prediction
 * in out[0..n). Collective; an error on any rank is every rank's (par_agree). */
int predict_momenta_across_ranks(ba_predictor *p, const double *momenta, size_t n,
                                 ba_prediction *out, ba_error *err);

/* ba_predict_file with pieces of chunk_events events (tests use small pieces). */
int predict_file_chunked(const ba_model *m, const char *momenta_path, const char *out_path,
                         const ba_predict_config *cfg, size_t chunk_events,
                         size_t *n_events, ba_error *err);

#endif

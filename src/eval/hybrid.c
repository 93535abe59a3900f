/* The surrogate with an exact fallback (issue 11): trust the network where its own
 * calibrated uncertainty says it is within the tolerance, compute exactly elsewhere.
 *
 * With the predicted mean mu of log A and its total standard deviation s (the
 * "corrected" total of metrics.h, calibrated to pull width 1 on held-out events), the
 * truth lies within mu +- z s with probability c for z = sqrt(2) erfinv(c). Keeping the
 * network's exp(mu) when z s <= log(1 + tol) therefore keeps |A_net / A - 1| below
 * about tol (log(1 + tol) < -log(1 - tol), so the bound holds on both sides) for a
 * fraction c of the events kept, if the uncertainties are calibrated in that region.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/clock.h"
#include "common/error.h"
#include "eval/metrics.h"
#include "common/parallel.h"
#include "eval/hybrid.h"
#include "nn/predict.h"

ba_hybrid_config ba_hybrid_defaults(void)
{
    ba_hybrid_config c = {.tolerance = 0.01, .confidence = 0.99,
                          .predict = ba_predict_defaults()};
    return c;
}

/* The exact amplitudes of the flagged events of all ranks, mine[0 .. n_mine) of them
 * here (momenta packed in order, the ranks' lists in rank order), into amp_mine. The
 * list of all is shared out evenly (par_range of its length), as the ranks would share
 * one process's single call of exact: each rank sends its events to the ranks whose part
 * they fall in and gets their amplitudes back. Collective. */
static int exact_shared(const double *mine, size_t n_mine, size_t per_event,
                        ba_exact_amplitude_fn exact, void *user, double *amp_mine,
                        size_t *n_all, ba_error *err)
{
    const int size = par_size(), rank = par_rank();
    *n_all = n_mine;
    if (size == 1) /* nothing to share: no copy of the events either */
        return n_mine ? exact(mine, n_mine, amp_mine, user, err) : 0;
    size_t count[size], offset[size + 1];
    for (int r = 0; r <= size; r++)
        offset[r] = (size_t)(r < size ? r : size);
    count[rank] = n_mine;
    par_allgather(count, offset, sizeof *count);
    size_t before = 0, total = 0;
    for (int r = 0; r < size; r++) {
        before += r < rank ? count[r] : 0;
        total += count[r];
    }
    /* mine are events [before, before + n_mine) of the list; rank s computes
     * par_range(total, s) of it */
    size_t send[size], recv[size], n_recv = 0;
    for (int s = 0; s < size; s++) {
        size_t lo, hi;
        par_range(total, s, size, &lo, &hi);
        lo = lo > before ? lo : before;
        hi = hi < before + n_mine ? hi : before + n_mine;
        send[s] = hi > lo ? hi - lo : 0;
    }
    par_alltoall_counts(send, recv);
    for (int r = 0; r < size; r++)
        n_recv += recv[r];
    double *theirs = malloc((n_recv ? n_recv : 1) * per_event * sizeof *theirs);
    double *theirs_amp = malloc((n_recv ? n_recv : 1) * sizeof *theirs_amp);
    int rc = theirs && theirs_amp ? 0 : ba_fail(err, "out of memory for %zu events", n_recv);
    if (par_agree(rc, err) == 0) {
        par_alltoallv(mine, send, theirs, recv, per_event * sizeof *mine);
        rc = n_recv ? exact(theirs, n_recv, theirs_amp, user, err) : 0;
        if (par_agree(rc, err) == 0)
            par_alltoallv(theirs_amp, recv, amp_mine, send, sizeof *amp_mine);
        else
            rc = -1;
    } else {
        rc = -1;
    }
    free(theirs), free(theirs_amp);
    *n_all = total;
    return rc;
}

int hybrid_amplitudes_shares(const ba_model *m, const double *momenta, size_t first,
                             size_t n_mine, size_t n, const ba_hybrid_config *cfg,
                             ba_exact_amplitude_fn exact, void *user, double *amp,
                             unsigned char *exact_flag, ba_hybrid_stats *stats, ba_error *err)
{
    if (!(cfg->tolerance > 0 && cfg->tolerance < 1))
        return ba_fail(err, "the tolerance must be between 0 and 1, got %g", cfg->tolerance);
    if (!(cfg->confidence > 0 && cfg->confidence < 1))
        return ba_fail(err, "the confidence must be between 0 and 1, got %g",
                       cfg->confidence);
    if (!exact)
        return ba_fail(err, "no exact amplitude function given");
    const size_t n_per_event =
        4 * (size_t)ba_model_preprocessing((ba_model *)m)->process.n_particles;
    const int passes = cfg->predict.mode == BA_PREDICT_MAP ? 1 : cfg->predict.n_monte;
    const double max_sigma = log1p(cfg->tolerance) / coverage_z(cfg->confidence);
    ba_hybrid_stats st = {.n_events = n, .max_sigma = max_sigma};

    /* Each rank predicts its own events, whole batches numbered as in one process
     * (predict_share), so the same numbers as one process. */
    ba_prediction *pred = malloc((n_mine ? n_mine : 1) * sizeof *pred);
    int rc = par_agree(pred ? 0 : ba_fail(err, "out of memory for %zu events", n_mine), err);
    double t0 = wall_seconds();
    ba_predictor *p = rc ? NULL : ba_predictor_create(m, &cfg->predict, err);
    if (rc == 0)
        rc = par_agree(p ? 0 : -1, err);
    if (rc == 0)
        rc = par_agree(ba_predict_momenta(p, momenta, n_mine, first, pred, err), err);
    ba_predictor_free(p);
    st.seconds_network = wall_seconds() - t0;
    if (rc) {
        free(pred);
        return -1;
    }
    size_t n_flagged = 0;
    for (size_t i = 0; i < n_mine; i++) {
        double sigma;
        ba_prediction_sigma_total(&pred[i], 1, BA_UNCERTAINTY_CORRECTED, passes, &sigma);
        exact_flag[i] = !(sigma <= max_sigma); /* a NaN sigma goes to the exact code */
        amp[i] = exp(pred[i].mean);
        n_flagged += exact_flag[i];
    }
    free(pred);

    /* the events that need it, gathered, through the exact code */
    double *sub = malloc((n_flagged ? n_flagged : 1) * n_per_event * sizeof *sub);
    double *sub_amp = malloc((n_flagged ? n_flagged : 1) * sizeof *sub_amp);
    rc = par_agree(sub && sub_amp ? 0 : ba_fail(err, "out of memory for %zu events", n_flagged),
                   err);
    for (size_t i = 0, j = 0; rc == 0 && i < n_mine; i++)
        if (exact_flag[i])
            memcpy(sub + (j++) * n_per_event, momenta + i * n_per_event,
                   n_per_event * sizeof *sub);
    t0 = wall_seconds();
    if (rc == 0)
        rc = exact_shared(sub, n_flagged, n_per_event, exact, user, sub_amp, &st.n_exact, err);
    st.seconds_exact = wall_seconds() - t0;
    if (rc == 0)
        for (size_t i = 0, j = 0; i < n_mine; i++)
            if (exact_flag[i])
                amp[i] = sub_amp[j++];
    free(sub), free(sub_amp);
    if (rc == 0 && stats)
        *stats = st;
    return rc;
}

int ba_hybrid_amplitudes(const ba_model *m, const double *momenta, size_t n,
                         const ba_hybrid_config *cfg, ba_exact_amplitude_fn exact, void *user,
                         double *amp, unsigned char *exact_flag, ba_hybrid_stats *stats,
                         ba_error *err)
{
    /* Every rank has every event: each works on its share, and all get every result.
     * (A batch size the predictor will refuse still cuts the events somehow.) */
    size_t bs = cfg->predict.batch_size > 0 ? (size_t)cfg->predict.batch_size : 1;
    const size_t n_per_event =
        4 * (size_t)ba_model_preprocessing((ba_model *)m)->process.n_particles;
    size_t offset[par_size() + 1];
    for (int r = 0; r < par_size(); r++)
        predict_share(n, bs, r, &offset[r], &offset[r + 1]);
    size_t lo = offset[par_rank()], hi = offset[par_rank() + 1];
    if (hybrid_amplitudes_shares(m, momenta + lo * n_per_event, lo, hi - lo, n, cfg, exact,
                                 user, amp + lo, exact_flag + lo, stats, err))
        return -1;
    par_allgather(amp, offset, sizeof *amp);
    par_allgather(exact_flag, offset, sizeof *exact_flag);
    return 0;
}

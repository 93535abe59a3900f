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
#include "nn/predict.h"

ba_hybrid_config ba_hybrid_defaults(void)
{
    ba_hybrid_config c = {.tolerance = 0.01, .confidence = 0.99,
                          .predict = ba_predict_defaults()};
    return c;
}

int ba_hybrid_amplitudes(const ba_model *m, const double *momenta, size_t n,
                         const ba_hybrid_config *cfg, ba_exact_amplitude_fn exact, void *user,
                         double *amp, unsigned char *exact_flag, ba_hybrid_stats *stats,
                         ba_error *err)
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

    ba_prediction *pred = malloc((n ? n : 1) * sizeof *pred);
    if (!pred)
        return ba_fail(err, "out of memory for %zu events", n);
    /* Under MPI both the prediction and the exact events are shared out across the
     * ranks (common/parallel.h) and gathered on every rank: the same numbers as one
     * process, for the prediction by its batch cut, for the exact code event by event. */
    double t0 = wall_seconds();
    ba_predictor *p = ba_predictor_create(m, &cfg->predict, err);
    int rc = par_agree(p ? 0 : -1, err);
    if (rc == 0)
        rc = predict_momenta_across_ranks(p, momenta, n, pred, err);
    ba_predictor_free(p);
    st.seconds_network = wall_seconds() - t0;
    if (rc) {
        free(pred);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double sigma;
        ba_prediction_sigma_total(&pred[i], 1, BA_UNCERTAINTY_CORRECTED, passes, &sigma);
        exact_flag[i] = !(sigma <= max_sigma); /* a NaN sigma goes to the exact code */
        amp[i] = exp(pred[i].mean);
        st.n_exact += exact_flag[i];
    }
    free(pred);

    /* the events that need it, gathered, through one call of the exact code */
    double *sub = malloc((st.n_exact ? st.n_exact : 1) * n_per_event * sizeof *sub);
    double *sub_amp = malloc((st.n_exact ? st.n_exact : 1) * sizeof *sub_amp);
    if (!sub || !sub_amp) {
        free(sub), free(sub_amp);
        return ba_fail(err, "out of memory for %zu events", st.n_exact);
    }
    for (size_t i = 0, j = 0; i < n; i++)
        if (exact_flag[i])
            memcpy(sub + (j++) * n_per_event, momenta + i * n_per_event,
                   n_per_event * sizeof *sub);
    t0 = wall_seconds();
    size_t lo, hi;
    par_range(st.n_exact, par_rank(), par_size(), &lo, &hi);
    rc = hi > lo ? exact(sub + lo * n_per_event, hi - lo, sub_amp + lo, user, err) : 0;
    rc = par_agree(rc, err);
    if (rc == 0)
        par_allgather_ranges(sub_amp, st.n_exact, sizeof *sub_amp);
    st.seconds_exact = wall_seconds() - t0;
    if (rc == 0)
        for (size_t i = 0, j = 0; i < n; i++)
            if (exact_flag[i])
                amp[i] = sub_amp[j++];
    free(sub), free(sub_amp);
    if (rc == 0 && stats)
        *stats = st;
    return rc;
}

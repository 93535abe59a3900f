/* The uncertainty calibration by predicted amplitude (bayesamp.h,
 * ba_model_calibrate_uncertainty). It is the recalibration of Kuleshov, Fenner and Ermon,
 * "Accurate uncertainties for deep learning using calibrated regression", ICML 2018, in
 * its simplest form: one scale per region, fitted on held-out events. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/error.h"
#include "data/features.h"
#include "eval/metrics.h"
#include "nn/model.h"

/* The quantiles of the predicted log A that split the groups, and the smallest group
 * whose own scale is trusted (the robust width of 50 pulls is good to about 15 %). */
static const double GROUP_QUANTILES[SIGMA_GROUPS - 1] = {0.90};
#define MIN_GROUP_EVENTS 50

int ba_model_uncertainty_calibration(const ba_model *m, double *edges, double *scales)
{
    for (int g = 0; g < SIGMA_GROUPS; g++) {
        if (g < SIGMA_GROUPS - 1)
            edges[g] = m->n_sigma_groups ? m->sigma_edges[g] : NAN;
        scales[g] = m->n_sigma_groups ? m->sigma_scale[g] : 1;
    }
    return m->n_sigma_groups;
}

int ba_model_calibrate_uncertainty(ba_model *m, const ba_split *val,
                                   const ba_predict_config *cfg, ba_error *err)
{
    size_t n = val->n, nf = val->n_features;
    if (n == 0)
        return ba_fail(err, "no validation events to calibrate the uncertainties on");
    ba_prediction *pred = malloc(n * sizeof *pred);
    double *log_a = malloc(n * sizeof *log_a), *sorted = malloc(n * sizeof *sorted);
    double *pull = malloc(n * sizeof *pull), *group_pulls = malloc(n * sizeof *group_pulls);
    if (!pred || !log_a || !sorted || !pull || !group_pulls) {
        free(pred), free(log_a), free(sorted), free(pull), free(group_pulls);
        return ba_fail(err, "out of memory for %zu validation events", n);
    }
    m->n_sigma_groups = 0; /* predict without a previous calibration */
    int rc = -1;
    ba_predictor *p = ba_predictor_create(m, cfg, err);
    if (p && ba_predict_features(p, val->x, n, 0, pred, err) == 0) {
        int n_monte = cfg->mode == BA_PREDICT_MAP ? 1 : cfg->n_monte;
        for (size_t i = 0; i < n; i++) {
            /* mean and sigma in the network's target scale: the pull is that of log A */
            log_a[i] = features_log_amplitude(&m->pre, val->x + i * nf, (ba_real)pred[i].mean);
            sorted[i] = log_a[i];
            pull[i] = (pred[i].mean - (double)val->y[i]) /
                      sqrt(eval_total_variance(&pred[i], EVAL_TOTAL_CORRECTED, n_monte));
        }
        sort_doubles(sorted, n);
        double edges[SIGMA_GROUPS - 1];
        for (int g = 0; g < SIGMA_GROUPS - 1; g++)
            edges[g] = quantile_sorted(sorted, n, GROUP_QUANTILES[g]);
        memcpy(group_pulls, pull, n * sizeof *pull);
        sort_doubles(group_pulls, n);
        double all = robust_width_sorted(group_pulls, n);
        for (int g = 0; g < SIGMA_GROUPS; g++) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                int gi = 0;
                while (gi < SIGMA_GROUPS - 1 && log_a[i] >= edges[gi])
                    gi++;
                if (gi == g)
                    group_pulls[k++] = pull[i];
            }
            sort_doubles(group_pulls, k);
            m->sigma_scale[g] = k >= MIN_GROUP_EVENTS ? robust_width_sorted(group_pulls, k) : all;
            if (g < SIGMA_GROUPS - 1)
                m->sigma_edges[g] = edges[g];
        }
        rc = 0;
        for (int g = 0; g < SIGMA_GROUPS; g++)
            if (!(m->sigma_scale[g] > 0 && isfinite(m->sigma_scale[g])))
                rc = ba_fail(err, "the pulls of the validation events give no usable "
                             "uncertainty scale (group %d: %g)", g, m->sigma_scale[g]);
        m->n_sigma_groups = rc == 0 ? SIGMA_GROUPS : 0;
    }
    ba_predictor_free(p);
    free(pred), free(log_a), free(sorted), free(pull), free(group_pulls);
    return rc;
}

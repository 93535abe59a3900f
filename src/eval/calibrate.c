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

/* The quantiles of the predicted log A that split the groups, those that cut the last
 * group into the bins its slope is fitted to, and the smallest group or bin whose own
 * scale is trusted (the quantiles of 50 pulls are good to about 15 %). */
static const double GROUP_QUANTILES[SIGMA_GROUPS - 1] = {0.90};
static const double SLOPE_BIN_QUANTILES[] = {0.90, 0.95, 0.98, 0.99, 0.995, 1.0};
#define N_SLOPE_BINS (int)(sizeof SLOPE_BIN_QUANTILES / sizeof *SLOPE_BIN_QUANTILES - 1)
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

double ba_model_uncertainty_slope(const ba_model *m, double *end_log_a)
{
    *end_log_a = m->n_sigma_groups ? m->sigma_slope_end : NAN;
    return m->n_sigma_groups ? m->sigma_slope : 0;
}

/* The factor that makes n pulls cover 68.27 % within 1 and 95 % within 1.96 as nearly as
 * one factor can (bayesamp.h): the geometric mean of q_68(|pull|) / 1 and
 * q_95(|pull|) / 1.96. abs_sorted: the |pulls|, sorted. */
static double coverage_scale(const double *abs_sorted, size_t n)
{
    return sqrt(quantile_sorted(abs_sorted, n, 0.6827) * quantile_sorted(abs_sorted, n, 0.95) /
                1.96);
}

/* The values v[i] of the events with lo <= key[i] < hi (hi included when closed), sorted
 * into out; returns their number. */
static size_t sorted_between(const double *v, const double *key, size_t n, double lo, double hi,
                             int closed, int absolute, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (key[i] >= lo && (key[i] < hi || (closed && key[i] == hi)))
            out[k++] = absolute ? fabs(v[i]) : v[i];
    sort_doubles(out, k);
    return k;
}

/* The upper group's slope: log(coverage_scale) of each bin against the bin's median log A
 * minus the edge, a least-squares line weighted by the bins' events; its value at the edge
 * goes to *scale. Returns -1 (and leaves both) if a bin has too few events. */
static int fit_slope(const double *pull, const double *log_a, size_t n, const double *sorted_log_a,
                     double edge, double *work, double *scale, double *slope)
{
    double x[N_SLOPE_BINS], y[N_SLOPE_BINS], w[N_SLOPE_BINS], sw = 0, sx = 0, sy = 0;
    for (int b = 0; b < N_SLOPE_BINS; b++) {
        double lo = quantile_sorted(sorted_log_a, n, SLOPE_BIN_QUANTILES[b]);
        double hi = quantile_sorted(sorted_log_a, n, SLOPE_BIN_QUANTILES[b + 1]);
        int closed = b == N_SLOPE_BINS - 1;
        size_t k = sorted_between(log_a, log_a, n, lo, hi, closed, 0, work);
        if (k < MIN_GROUP_EVENTS)
            return -1;
        x[b] = quantile_sorted(work, k, 0.5) - edge;
        sorted_between(pull, log_a, n, lo, hi, closed, 1, work);
        y[b] = log(coverage_scale(work, k));
        w[b] = (double)k;
        sw += w[b], sx += w[b] * x[b], sy += w[b] * y[b];
    }
    double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
    for (int b = 0; b < N_SLOPE_BINS; b++) {
        sxx += w[b] * (x[b] - mx) * (x[b] - mx);
        sxy += w[b] * (x[b] - mx) * (y[b] - my);
    }
    if (!(sxx > 0))
        return -1;
    *slope = sxy / sxx;
    *scale = exp(my - *slope * mx);
    return 0;
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
        sorted_between(pull, log_a, n, -INFINITY, INFINITY, 1, 1, group_pulls);
        double all = coverage_scale(group_pulls, n);
        for (int g = 0; g < SIGMA_GROUPS; g++) {
            double lo = g > 0 ? edges[g - 1] : -INFINITY;
            double hi = g < SIGMA_GROUPS - 1 ? edges[g] : INFINITY;
            size_t k = sorted_between(pull, log_a, n, lo, hi, 0, 1, group_pulls);
            m->sigma_scale[g] = k >= MIN_GROUP_EVENTS ? coverage_scale(group_pulls, k) : all;
            if (g < SIGMA_GROUPS - 1)
                m->sigma_edges[g] = edges[g];
        }
        /* the slope of the last group, from its edge to the largest prediction */
        m->sigma_slope = 0;
        m->sigma_slope_end = sorted[n - 1];
        double scale, slope;
        if (fit_slope(pull, log_a, n, sorted, edges[SIGMA_GROUPS - 2], group_pulls, &scale,
                      &slope) == 0) {
            m->sigma_scale[SIGMA_GROUPS - 1] = scale;
            m->sigma_slope = slope;
        }
        rc = isfinite(m->sigma_slope)
                 ? 0
                 : ba_fail(err, "the pulls of the validation events give no usable growth "
                           "of the uncertainty scale (slope %g)", m->sigma_slope);
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

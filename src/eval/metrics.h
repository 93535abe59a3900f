/* What a physicist reads off a prediction of the test set (the tutorial's evaluate):
 * the relative deviation of the amplitudes, the pulls of the log-amplitudes and how
 * well the quoted uncertainties cover the truth.
 *
 * With y = log A_true, the predicted mean mu and total variance s2 = s2_aleatoric +
 * s2_epistemic of an event:
 *   relative deviation  r = (A_pred - A_true) / A_true = exp(mu - y) - 1,
 *   pull                p = (mu - y) / sqrt(s2),
 *   NLL term            (y - mu)^2 / (2 s2) + log(s2) / 2 [+ log(2 pi) / 2].
 * For calibrated uncertainties the pulls follow N(0, 1): a fraction c of them lies
 * within |p| < z(c) = sqrt(2) erfinv(c), e.g. 68.27 % within 1 and 95 % within 1.96.
 */
#ifndef BA_METRICS_H
#define BA_METRICS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "bayesamp.h"

/* Expected coverages of the calibration curve: 0.05, 0.10, ..., 0.95 and 0.99. */
#define METRICS_N_CALIB 20

typedef struct eval_metrics {
    size_t n_events;
    double rel_mean, rel_std;        /* of r; std divides by n, as numpy */
    double rel_q[5];                 /* quantiles 5, 16, 50, 84, 95 % of r */
    double frac_below_1pc;           /* fraction with |r| < 0.01 */
    double frac_below_10pc;          /* fraction with |r| < 0.1 */
    double pull_mean, pull_std;
    double coverage_68;              /* fraction with |p| < 1 */
    double coverage_95;              /* fraction with |p| < 1.96 */
    double nll, nll_no_const;        /* means of the NLL terms */
    double sigma_aleatoric_median, sigma_epistemic_median, sigma_total_median;
    double calib_expected[METRICS_N_CALIB], calib_observed[METRICS_N_CALIB];
    double seconds;                  /* the prediction's wall time, set by the caller */
} eval_metrics;

/* The quantile q of n sorted values, numpy's default ("linear"): interpolate between
 * the values at positions floor and ceil of q (n - 1). */
double quantile_sorted(const double *sorted, size_t n, double q);

/* z with erf(z / sqrt(2)) = c for 0 <= c < 1: the half-width of the interval of N(0,1)
 * that holds probability c. Bisection on erf, exact to double precision. */
double coverage_z(double c);

/* r and p of every event (either output may be NULL). */
void eval_residuals(const ba_prediction *pred, const double *log_true, size_t n,
                    double *rel, double *pull);

/* All metrics of n >= 1 events except seconds. */
int eval_metrics_compute(const ba_prediction *pred, const double *log_true, size_t n,
                         eval_metrics *out, ba_error *err);

/* The metrics as metrics.json's object (the caller owns it): n_events, rel_dev,
 * frac_abs_rel_dev_below, pull, coverage, nll, nll_no_const, sigma_aleatoric,
 * sigma_epistemic, sigma_total, seconds, calibration. NULL if out of memory. */
cJSON *eval_metrics_json(const eval_metrics *m);

#endif

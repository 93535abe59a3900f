/* What a physicist reads off a prediction of the test set (the tutorial's evaluate):
 * the relative deviation of the amplitudes, the pulls of the log-amplitudes and how
 * well the quoted uncertainties cover the truth, for all events and separately for the
 * 1 % nearest a singularity and the other 99 %.
 *
 * With y = log A_true, the predicted mean mu and a total variance s2 of an event:
 *   relative deviation  r = (A_pred - A_true) / A_true = exp(mu - y) - 1,
 *   pull                p = (mu - y) / sqrt(s2),
 *   NLL term            (y - mu)^2 / (2 s2) + log(s2) / 2 [+ log(2 pi) / 2].
 * For calibrated uncertainties the pulls follow N(0, 1): a fraction c of them lies
 * within |p| < z(c) = sqrt(2) erfinv(c), e.g. 68.27 % within 1 and 95 % within 1.96,
 * and the robust width (q84 - q16) / 2 of the pulls is 1.
 *
 * Two definitions of s2 (see metrics.c for the reasoning), both always computed:
 *   bayes      s2 = <sigma^2> + Var(mu)  = var_aleatoric + var_epistemic (the tutorial);
 *   corrected  s2 = max(<sigma^2> - Var(mu), Var(mu) / (n - 1), 1e-4 <sigma^2>): the
 *              error variance of the Monte-Carlo mean of n passes when the aleatoric head
 *              has absorbed the weight spread (the default); for n = 1 the middle term
 *              is left out.
 */
#ifndef BA_METRICS_H
#define BA_METRICS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "bayesamp.h"

/* Expected coverages of the calibration curve: 0.05, 0.10, ..., 0.95 and 0.99. */
#define METRICS_N_CALIB 20

/* The thresholds of frac_abs_rel_dev_below: 0.001, 0.01, 0.1. */
#define METRICS_N_FRAC 3
extern const double metrics_frac_thresholds[METRICS_N_FRAC];

/* The fraction of events called near-singular. */
#define METRICS_NEAR_SINGULAR_FRACTION 0.01

/* The groups of the largest true amplitudes, as fractions of the events: the 10 % and
 * the 1 % that dominate any cross section computed with the surrogate (issue 11). */
#define METRICS_N_LARGEST 2
extern const double metrics_largest_fractions[METRICS_N_LARGEST];

/* The definition of the total uncertainty of log A; CORRECTED is 0, the default. */
typedef ba_uncertainty eval_total;
#define EVAL_TOTAL_CORRECTED BA_UNCERTAINTY_CORRECTED
#define EVAL_TOTAL_BAYES BA_UNCERTAINTY_BAYES
#define EVAL_N_TOTALS 2

/* The absolute lower guard of the corrected variance, relative to <sigma^2>; the floor
 * is the larger of this and Var(mu) / (n - 1) (see metrics.c). */
#define EVAL_CORRECTED_FLOOR 1e-4

/* "corrected" or "bayes". */
const char *eval_total_name(eval_total u);
/* Parse a name of eval_total_name; -1 if it is neither. */
int eval_total_parse(const char *text, eval_total *u);

/* How well one definition of the total uncertainty (optionally scaled) covers the truth. */
typedef struct eval_pulls {
    double mean, std;             /* of the pulls; std divides by n, as numpy */
    double robust_width;          /* (q84 - q16) / 2 of the pulls */
    double coverage_68;           /* fraction with |p| < 1 */
    double coverage_95;           /* fraction with |p| < 1.96 */
    double nll, nll_no_const;     /* means of the NLL terms */
    double sigma_total_median;
    size_t n_floored;             /* events where the corrected variance is the floor,
                                   * max(Var(mu) / (n - 1), 1e-4 <sigma^2>) */
    double calib_observed[METRICS_N_CALIB];
} eval_pulls;

/* The metrics of one set of events. With n_events 0 every number is NaN. */
typedef struct eval_group {
    size_t n_events;
    double rel_mean, rel_std;        /* of r; std divides by n, as numpy */
    double rel_q[5];                 /* quantiles 5, 16, 50, 84, 95 % of r */
    double frac_below[METRICS_N_FRAC]; /* fraction with |r| < 0.001, 0.01, 0.1 */
    double sigma_aleatoric_median, sigma_epistemic_median;
    eval_pulls total[EVAL_N_TOTALS]; /* indexed by eval_total */
} eval_group;

typedef struct eval_metrics {
    eval_total uncertainty;          /* the definition behind the top-level pull etc. */
    eval_group all;
    int has_regions;                 /* near_singular and bulk were computed */
    double singular_threshold;       /* largest min s_ij/s12 of the near-singular events */
    eval_group near_singular, bulk;
    double calib_expected[METRICS_N_CALIB];
    int has_rescaled;                /* the post-hoc rescaling was asked for */
    double rescale_k;                /* total *= k, fitted on rescale_split */
    size_t rescale_n_fit;
    const char *rescale_split;
    eval_pulls rescaled;             /* the chosen total times k, on the evaluated events */
    /* What a cross section sees: sums weighted by the amplitude. */
    double sum_bias;                 /* sum A_pred / sum A_true - 1 */
    double weighted_abs_rel;         /* sum A_true |r| / sum A_true */
    eval_group largest[METRICS_N_LARGEST];     /* the events with the largest A_true */
    double largest_threshold[METRICS_N_LARGEST]; /* the smallest A_true among them */
    double seconds;                  /* the prediction's wall time, set by the caller */
} eval_metrics;

/* The chosen definition's pull statistics of all events. */
static inline const eval_pulls *eval_chosen(const eval_metrics *m)
{
    return &m->all.total[m->uncertainty];
}

/* The quantile q of n sorted values, numpy's default ("linear"): interpolate between
 * the values at positions floor and ceil of q (n - 1). */
/* Sort ascending (qsort). */
void sort_doubles(double *x, size_t n);

double quantile_sorted(const double *sorted, size_t n, double q);

/* Half the distance between the 16 % and 84 % quantiles of n sorted values. */
double robust_width_sorted(const double *sorted, size_t n);

/* z with erf(z / sqrt(2)) = c for 0 <= c < 1: the half-width of the interval of N(0,1)
 * that holds probability c. Bisection on erf, exact to double precision. */
double coverage_z(double c);

/* The total variance of one prediction under definition u, made of n_monte Monte-Carlo
 * passes (1 in MAP mode; the corrected floor needs it; n_monte < 1 counts as 1). */
double eval_total_variance(const ba_prediction *p, eval_total u, int n_monte);

/* r and p of every event, p with the total of definition u (either output may be NULL). */
void eval_residuals(const ba_prediction *pred, const double *log_true, size_t n,
                    eval_total u, int n_monte, double *rel, double *pull);

/* How many of n events are near-singular for a fraction f: ceil(f n), but at most
 * n - 1, so that neither set is empty for n >= 2 and f < 1. */
size_t eval_near_singular_count(size_t n, double fraction);

/* Mark (near[i] = 1, else 0) the eval_near_singular_count(n, fraction) events with the
 * smallest event_singular_measure (data/features.h) (ties: the earlier event first). threshold (may be
 * NULL) gets the largest measure among them (NaN if none). Returns the count, or -1
 * (out of memory, err filled). */
long eval_select_near_singular(const ba_process *p, const double *momenta, size_t n,
                               double fraction,
                               unsigned char *near, double *threshold, ba_error *err);

/* The selection above from the events' measures, measure[i] their
 * event_singular_measure (NaN sorts last): where the events' momenta are not all in one
 * place (the MPI ranks' shares), each holder computes its events' measures. */
long eval_select_near_singular_measured(const double *measure, size_t n, double fraction,
                                        unsigned char *near, double *threshold, ba_error *err);

/* event_singular_measure of n events of process p into measure[0..n). */
void eval_singular_measures(const ba_process *p, const double *momenta, size_t n,
                            double *measure);

/* In the functions below n_monte >= 1 is the number of Monte-Carlo passes behind every
 * prediction (1 in MAP mode); anything less is an error. */

/* The pull statistics of n >= 1 events under definition u with every total variance
 * multiplied by scale^2 (1: as predicted). */
int eval_pulls_compute(const ba_prediction *pred, const double *log_true, size_t n,
                       eval_total u, int n_monte, double scale, eval_pulls *out,
                       ba_error *err);

/* The factor k of the post-hoc rescaling: the robust width of the pulls of n >= 1
 * events under definition u, so that the pulls of p / k have robust width 1. */
int eval_rescale_fit(const ba_prediction *pred, const double *log_true, size_t n,
                     eval_total u, int n_monte, double *k, ba_error *err);

/* The amplitude-weighted metrics of n >= 1 events: sum A_pred / sum A_true - 1 and
 * sum A_true |r| / sum A_true, with A = exp(log A), computed stably for any range of
 * log A (the sums are scaled by the largest amplitude). */
void eval_amplitude_weighted(const ba_prediction *pred, const double *log_true, size_t n,
                             double *sum_bias, double *weighted_abs_rel);

/* How many of n events are the largest fraction f: ceil(f n), at least 1, at most n. */
size_t eval_largest_count(size_t n, double fraction);

/* All metrics of n >= 1 events except seconds and the rescaling, with u as the chosen
 * definition. momenta (n x P x 4 of process p, may be NULL: no near_singular and bulk;
 * then p may be NULL too) are the events' momenta for the selection of the
 * near-singular events. */
int eval_metrics_compute(const ba_prediction *pred, const double *log_true,
                         const double *momenta, const ba_process *p, size_t n,
                         eval_total u, int n_monte, eval_metrics *out, ba_error *err);

/* eval_metrics_compute with the events' singular measures (eval_singular_measures; may
 * be NULL: no near_singular and bulk) in place of their momenta. */
int eval_metrics_compute_measured(const ba_prediction *pred, const double *log_true,
                                  const double *measure, size_t n, eval_total u, int n_monte,
                                  eval_metrics *out, ba_error *err);

/* The metrics as metrics.json's object (the caller owns it): uncertainty, n_events,
 * rel_dev, frac_abs_rel_dev_below, pull, coverage, nll, nll_no_const, sigma_aleatoric,
 * sigma_epistemic, sigma_total, seconds, calibration, bayes_total, corrected_total,
 * amplitude_weighted, largest_10pct, largest_1pct and, if computed,
 * singular_selection, near_singular, bulk and rescaled. NULL if out of memory. */
cJSON *eval_metrics_json(const eval_metrics *m);

#endif

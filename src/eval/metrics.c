#include "eval/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "data/features.h"

/* ------------------------------------------------------------------ the total uncertainty
 *
 * Per event the prediction makes n Monte-Carlo passes with weights w_k and keeps the
 * head's outputs mu_k and sigma_k^2:
 *   mean            mu_bar  = (1/n) sum mu_k,
 *   var_aleatoric   <sig2>  = (1/n) sum sigma_k^2,
 *   var_epistemic   V_n     = (1/n) sum (mu_k - mu_bar)^2   (divides by n, as numpy).
 *
 * The network is trained with the NLL of the heteroscedastic BNN (Kendall & Gal, "What
 * Uncertainties Do We Need in Bayesian Deep Learning for Computer Vision?",
 * arXiv:1703.04977): E_w[(y - mu_w)^2 / (2 sigma_w^2) + log(sigma_w^2) / 2] + KL / N,
 * with one weight draw w per training step. The minimum over sigma^2 is the mean squared
 * residual of a single draw:
 *   sigma^2 ~ E_w[(mu_w - y)^2] = noise^2 + bias^2 + Var_w(mu),
 * bias = E_w[mu_w] - f(x). The amplitudes are computed exactly (noise = 0), so the
 * aleatoric head learns bias^2 + Var_w(mu): it has absorbed the epistemic spread.
 *
 * "bayes" (Kendall & Gal's predictive variance, the tutorial's, issue 3):
 *   s2 = <sig2> + V_n.
 * It assumes the head holds the data noise alone; here it counts Var_w(mu) twice and
 * over-estimates the error of mu_bar (robust pull width ~0.7 on a well-trained model).
 *
 * "corrected" (the default): the error variance of what is reported, the Monte-Carlo
 * mean of n passes,
 *   E[(mu_bar - y)^2] = bias^2 + Var_w(mu) / n = E_w[(mu_w - y)^2] - (1 - 1/n) Var_w(mu).
 * <sig2> estimates the first term. V_n divides by n, so E[V_n] = (1 - 1/n) Var_w(mu):
 * V_n itself is the unbiased estimate of the term to subtract (multiplying it by
 * (1 - 1/n) once more would leave Var_w(mu) (1/n - 1/n^2) too much), hence
 *   s2 = max(<sig2> - V_n, floor),   floor = max(V_n / (n - 1), 1e-4 <sig2>)  (n >= 2),
 * and floor = 1e-4 <sig2> for n = 1 (then V_n = 0 and s2 = <sig2>).
 * The floor: the Monte-Carlo error Var_w(mu) / n of the mean of n draws is the part of
 * the error that no head can absorb and nothing can cancel, and V_n / (n - 1) estimates
 * it without bias; where V_n fluctuates up (its relative spread is sqrt(2 / (n - 1)),
 * 26 % for n = 30) or the head has not absorbed the whole spread, the difference cancels
 * to this or below, and the floor keeps s2 at the error the mean of n draws has anyway
 * instead of a tiny value that gives pulls of hundreds and dominates the pull std and
 * the NLL. 1e-4 <sig2> only guards against s2 = 0 (identical passes) so that pull and
 * NLL stay finite; n_floored counts the events that take the floor.
 * In MAP mode (n = 1) V_n = 0 and both definitions give <sig2>.
 */

const double metrics_frac_thresholds[METRICS_N_FRAC] = {0.001, 0.01, 0.1};

static const double LOG_2PI = 1.8378770664093453; /* log(2 pi) */

const char *eval_total_name(eval_total u)
{
    return u == EVAL_TOTAL_BAYES ? "bayes" : "corrected";
}

int eval_total_parse(const char *text, eval_total *u)
{
    if (!strcmp(text, "corrected"))
        *u = EVAL_TOTAL_CORRECTED;
    else if (!strcmp(text, "bayes"))
        *u = EVAL_TOTAL_BAYES;
    else
        return -1;
    return 0;
}

/* The variance and whether the floor was taken. */
static double total_variance(const ba_prediction *p, eval_total u, int n_monte,
                             int *floored)
{
    *floored = 0;
    if (u == EVAL_TOTAL_BAYES)
        return p->var_aleatoric + p->var_epistemic;
    double lowest = EVAL_CORRECTED_FLOOR * p->var_aleatoric;
    if (n_monte >= 2) {
        double mc = p->var_epistemic / (double)(n_monte - 1); /* estimates Var_w(mu)/n */
        if (mc > lowest)
            lowest = mc;
    }
    double s2 = p->var_aleatoric - p->var_epistemic;
    if (!(s2 >= lowest)) {
        *floored = 1;
        return lowest;
    }
    return s2;
}

double eval_total_variance(const ba_prediction *p, eval_total u, int n_monte)
{
    int floored;
    return total_variance(p, u, n_monte, &floored);
}

/* ------------------------------------------------------------------ helpers */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void sort_doubles(double *x, size_t n)
{
    qsort(x, n, sizeof *x, compare_doubles);
}

double quantile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1)
        return sorted[n - 1];
    double t = pos - (double)lo;
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * t;
}

double robust_width_sorted(const double *sorted, size_t n)
{
    return 0.5 * (quantile_sorted(sorted, n, 0.84) - quantile_sorted(sorted, n, 0.16));
}

double coverage_z(double c)
{
    if (!(c > 0))
        return 0;
    if (!(c < 1))
        return INFINITY;
    /* erf(z / sqrt 2) rises from 0 to 1; at z = 40 it is 1 in double precision. */
    double lo = 0, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi)
            break;
        if (erf(mid / sqrt(2.0)) < c)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static double calib_expected(int k)
{
    return k < METRICS_N_CALIB - 1 ? 0.05 * (k + 1) : 0.99;
}

void eval_residuals(const ba_prediction *pred, const double *log_true, size_t n,
                    eval_total u, int n_monte, double *rel, double *pull)
{
    for (size_t i = 0; i < n; i++) {
        double d = pred[i].mean - log_true[i];
        if (rel)
            rel[i] = expm1(d); /* exp(mu)/A_true - 1 without cancellation */
        if (pull)
            pull[i] = d / sqrt(eval_total_variance(&pred[i], u, n_monte));
    }
}

/* Mean and standard deviation (dividing by n) in two passes. */
static void mean_std(const double *x, size_t n, double *mean, double *std)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n, s2 = 0;
    for (size_t i = 0; i < n; i++)
        s2 += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = sqrt(s2 / (double)n);
}

/* The fraction of n sorted values below t (strictly). */
static double fraction_below(const double *sorted, size_t n, double t)
{
    size_t lo = 0, hi = n; /* first index with sorted[i] >= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (double)lo / (double)n;
}

/* ------------------------------------------------------------------ near-singular events */

size_t eval_near_singular_count(size_t n, double fraction)
{
    if (n < 2 || !(fraction > 0))
        return 0;
    double c = ceil(fraction * (double)n - 1e-9); /* 0.01 * 300 is 3, not 3.0000001 */
    size_t k = c < (double)n ? (size_t)c : n;
    return k < n ? k : n - 1;
}

typedef struct keyed {
    double key;
    size_t index;
} keyed;

static int compare_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

void eval_singular_measures(const ba_process *p, const double *momenta, size_t n,
                            double *measure)
{
    for (size_t i = 0; i < n; i++)
        measure[i] = event_singular_measure(p, momenta + i * (size_t)p->n_particles * N_COMPONENTS);
}

long eval_select_near_singular_measured(const double *measure, size_t n, double fraction,
                                        unsigned char *near, double *threshold, ba_error *err)
{
    size_t count = eval_near_singular_count(n, fraction);
    if (threshold)
        *threshold = NAN;
    memset(near, 0, n);
    if (count == 0)
        return 0;
    keyed *k = malloc(n * sizeof *k);
    if (!k)
        return ba_fail(err, "out of memory for %zu events", n);
    for (size_t i = 0; i < n; i++) {
        k[i].key = isnan(measure[i]) ? INFINITY : measure[i]; /* never for checked events;
                                                               * sorted last */
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, compare_keyed);
    for (size_t j = 0; j < count; j++)
        near[k[j].index] = 1;
    if (threshold)
        *threshold = k[count - 1].key;
    free(k);
    return (long)count;
}

long eval_select_near_singular(const ba_process *p, const double *momenta, size_t n,
                               double fraction,
                               unsigned char *near, double *threshold, ba_error *err)
{
    double *measure = malloc((n ? n : 1) * sizeof *measure);
    if (!measure)
        return ba_fail(err, "out of memory for %zu events", n);
    eval_singular_measures(p, momenta, n, measure);
    long count = eval_select_near_singular_measured(measure, n, fraction, near, threshold, err);
    free(measure);
    return count;
}

/* ------------------------------------------------------------------ the metrics */

static void pulls_nan(eval_pulls *p)
{
    p->mean = p->std = p->robust_width = NAN;
    p->coverage_68 = p->coverage_95 = NAN;
    p->nll = p->nll_no_const = p->sigma_total_median = NAN;
    p->n_floored = 0;
    for (int k = 0; k < METRICS_N_CALIB; k++)
        p->calib_observed[k] = NAN;
}

/* The pull statistics of n >= 1 events with the work arrays pull and work (n each). */
static void pulls_fill(const ba_prediction *pred, const double *log_true, size_t n,
                       eval_total u, int n_monte, double scale, double *pull, double *work,
                       eval_pulls *out)
{
    double nll = 0;
    out->n_floored = 0;
    for (size_t i = 0; i < n; i++) {
        int floored;
        double s2 = total_variance(&pred[i], u, n_monte, &floored) * scale * scale;
        double d = pred[i].mean - log_true[i];
        out->n_floored += (size_t)floored;
        pull[i] = d / sqrt(s2);
        work[i] = sqrt(s2);
        nll += d * d / (2 * s2) + 0.5 * log(s2);
    }
    out->nll_no_const = nll / (double)n;
    out->nll = out->nll_no_const + 0.5 * LOG_2PI;
    sort_doubles(work, n);
    out->sigma_total_median = quantile_sorted(work, n, 0.5);

    mean_std(pull, n, &out->mean, &out->std);
    sort_doubles(pull, n);
    out->robust_width = robust_width_sorted(pull, n);
    for (size_t i = 0; i < n; i++)
        work[i] = fabs(pull[i]);
    sort_doubles(work, n);
    out->coverage_68 = fraction_below(work, n, 1.0);
    out->coverage_95 = fraction_below(work, n, 1.96);
    for (int k = 0; k < METRICS_N_CALIB; k++)
        out->calib_observed[k] = fraction_below(work, n, coverage_z(calib_expected(k)));
}

/* n_monte must be at least 1. */
static int check_n_monte(int n_monte, ba_error *err)
{
    if (n_monte < 1)
        return ba_fail(err, "the number of Monte-Carlo passes is %d, not >= 1", n_monte);
    return 0;
}

int eval_pulls_compute(const ba_prediction *pred, const double *log_true, size_t n,
                       eval_total u, int n_monte, double scale, eval_pulls *out,
                       ba_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return ba_fail(err, "no events to evaluate");
    if (check_n_monte(n_monte, err))
        return -1;
    double *pull = malloc(n * sizeof *pull), *work = malloc(n * sizeof *work);
    if (!pull || !work) {
        free(pull), free(work);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    pulls_fill(pred, log_true, n, u, n_monte, scale, pull, work, out);
    free(pull), free(work);
    return 0;
}

int eval_rescale_fit(const ba_prediction *pred, const double *log_true, size_t n,
                     eval_total u, int n_monte, double *k, ba_error *err)
{
    eval_pulls p;
    if (eval_pulls_compute(pred, log_true, n, u, n_monte, 1.0, &p, err))
        return -1;
    if (!(p.robust_width > 0) || !isfinite(p.robust_width))
        return ba_fail(err, "cannot fit the rescaling: the robust pull width is %g",
                       p.robust_width);
    *k = p.robust_width;
    return 0;
}

/* Every metric of one set of n events (NaN for n = 0). */
static int group_compute(const ba_prediction *pred, const double *log_true, size_t n,
                         int n_monte, eval_group *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    out->n_events = n;
    if (n == 0) {
        out->rel_mean = out->rel_std = NAN;
        for (int k = 0; k < 5; k++)
            out->rel_q[k] = NAN;
        for (int k = 0; k < METRICS_N_FRAC; k++)
            out->frac_below[k] = NAN;
        out->sigma_aleatoric_median = out->sigma_epistemic_median = NAN;
        for (int u = 0; u < EVAL_N_TOTALS; u++)
            pulls_nan(&out->total[u]);
        return 0;
    }
    double *rel = malloc(n * sizeof *rel), *pull = malloc(n * sizeof *pull);
    double *work = malloc(n * sizeof *work);
    if (!rel || !pull || !work) {
        free(rel), free(pull), free(work);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    eval_residuals(pred, log_true, n, EVAL_TOTAL_BAYES, n_monte, rel, NULL);

    /* relative deviation */
    mean_std(rel, n, &out->rel_mean, &out->rel_std);
    for (size_t i = 0; i < n; i++)
        work[i] = fabs(rel[i]);
    sort_doubles(work, n);
    for (int k = 0; k < METRICS_N_FRAC; k++)
        out->frac_below[k] = fraction_below(work, n, metrics_frac_thresholds[k]);
    sort_doubles(rel, n);
    static const double qs[5] = {0.05, 0.16, 0.50, 0.84, 0.95};
    for (int k = 0; k < 5; k++)
        out->rel_q[k] = quantile_sorted(rel, n, qs[k]);

    /* pulls, coverage, NLL and calibration under both definitions */
    for (int u = 0; u < EVAL_N_TOTALS; u++)
        pulls_fill(pred, log_true, n, (eval_total)u, n_monte, 1.0, pull, work,
                   &out->total[u]);

    /* median uncertainties */
    for (size_t i = 0; i < n; i++)
        work[i] = sqrt(pred[i].var_aleatoric);
    sort_doubles(work, n);
    out->sigma_aleatoric_median = quantile_sorted(work, n, 0.5);
    for (size_t i = 0; i < n; i++)
        work[i] = sqrt(pred[i].var_epistemic);
    sort_doubles(work, n);
    out->sigma_epistemic_median = quantile_sorted(work, n, 0.5);
    free(rel), free(pull), free(work);
    return 0;
}

const double metrics_largest_fractions[METRICS_N_LARGEST] = {0.10, 0.01};

void eval_amplitude_weighted(const ba_prediction *pred, const double *log_true, size_t n,
                             double *sum_bias, double *weighted_abs_rel)
{
    double y_max = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (log_true[i] > y_max)
            y_max = log_true[i];
    double sum_true = 0, sum_pred = 0, sum_dev = 0;
    for (size_t i = 0; i < n; i++) {
        double a_true = exp(log_true[i] - y_max), a_pred = exp(pred[i].mean - y_max);
        sum_true += a_true;
        sum_pred += a_pred;
        sum_dev += fabs(a_pred - a_true); /* = A_true |r| */
    }
    *sum_bias = sum_pred / sum_true - 1;
    *weighted_abs_rel = sum_dev / sum_true;
}

size_t eval_largest_count(size_t n, double fraction)
{
    size_t c = (size_t)ceil(fraction * (double)n);
    return c < 1 ? 1 : c > n ? n : c;
}

/* The groups of the largest true amplitudes (ties: the earlier event first). */
static int largest_compute(const ba_prediction *pred, const double *log_true, size_t n,
                           int n_monte, eval_metrics *out, ba_error *err)
{
    keyed *k = malloc(n * sizeof *k);
    ba_prediction *p = malloc(n * sizeof *p);
    double *y = malloc(n * sizeof *y);
    int rc = -1;
    if (!k || !p || !y) {
        ba_fail(err, "out of memory for %zu events", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        k[i].key = -log_true[i]; /* ascending keys: the largest amplitude first */
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, compare_keyed);
    for (size_t j = 0; j < n; j++) {
        p[j] = pred[k[j].index];
        y[j] = log_true[k[j].index];
    }
    for (int g = 0; g < METRICS_N_LARGEST; g++) {
        size_t c = eval_largest_count(n, metrics_largest_fractions[g]);
        if (group_compute(p, y, c, n_monte, &out->largest[g], err))
            goto done;
        out->largest_threshold[g] = exp(y[c - 1]);
    }
    rc = 0;
done:
    free(k), free(p), free(y);
    return rc;
}

/* near_singular and bulk from the selection. */
static int regions_compute(const ba_prediction *pred, const double *log_true,
                           const double *measure, size_t n, int n_monte, eval_metrics *out,
                           ba_error *err)
{
    unsigned char *near = malloc(n);
    ba_prediction *p = malloc(n * sizeof *p);
    double *y = malloc(n * sizeof *y);
    int rc = -1;
    if (!near || !p || !y) {
        ba_fail(err, "out of memory for %zu events", n);
        goto done;
    }
    long count = eval_select_near_singular_measured(measure, n, METRICS_NEAR_SINGULAR_FRACTION,
                                                    near, &out->singular_threshold, err);
    if (count < 0)
        goto done;
    /* the near-singular events first, then the bulk, each in the original order */
    size_t at = 0;
    for (int pass = 1; pass >= 0; pass--)
        for (size_t i = 0; i < n; i++)
            if (near[i] == pass) {
                p[at] = pred[i];
                y[at++] = log_true[i];
            }
    size_t c = (size_t)count;
    if (group_compute(p, y, c, n_monte, &out->near_singular, err) ||
        group_compute(p + c, y + c, n - c, n_monte, &out->bulk, err))
        goto done;
    out->has_regions = 1;
    rc = 0;
done:
    free(near), free(p), free(y);
    return rc;
}

int eval_metrics_compute_measured(const ba_prediction *pred, const double *log_true,
                                  const double *measure, size_t n, eval_total u, int n_monte,
                                  eval_metrics *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    out->uncertainty = u;
    out->singular_threshold = NAN;
    out->rescale_k = NAN;
    for (int k = 0; k < METRICS_N_CALIB; k++)
        out->calib_expected[k] = calib_expected(k);
    if (n == 0)
        return ba_fail(err, "no events to evaluate");
    if (check_n_monte(n_monte, err))
        return -1;
    if (group_compute(pred, log_true, n, n_monte, &out->all, err))
        return -1;
    eval_amplitude_weighted(pred, log_true, n, &out->sum_bias, &out->weighted_abs_rel);
    if (largest_compute(pred, log_true, n, n_monte, out, err))
        return -1;
    if (measure && regions_compute(pred, log_true, measure, n, n_monte, out, err))
        return -1;
    return 0;
}

int eval_metrics_compute(const ba_prediction *pred, const double *log_true,
                         const double *momenta, const ba_process *p, size_t n,
                         eval_total u, int n_monte, eval_metrics *out, ba_error *err)
{
    double *measure = NULL;
    if (momenta && n > 0) {
        if (!(measure = malloc(n * sizeof *measure))) {
            memset(out, 0, sizeof *out);
            return ba_fail(err, "out of memory for %zu events", n);
        }
        eval_singular_measures(p, momenta, n, measure);
    }
    int rc = eval_metrics_compute_measured(pred, log_true, measure, n, u, n_monte, out, err);
    free(measure);
    return rc;
}

/* ------------------------------------------------------------------ JSON */

/* "pull": {mean, std, robust_width}, "coverage": {68, 95}. */
static void add_pull_coverage(cJSON *obj, const eval_pulls *p)
{
    cJSON *pull = cJSON_AddObjectToObject(obj, "pull");
    cJSON_AddNumberToObject(pull, "mean", p->mean);
    cJSON_AddNumberToObject(pull, "std", p->std);
    cJSON_AddNumberToObject(pull, "robust_width", p->robust_width);
    cJSON *cov = cJSON_AddObjectToObject(obj, "coverage");
    cJSON_AddNumberToObject(cov, "68", p->coverage_68);
    cJSON_AddNumberToObject(cov, "95", p->coverage_95);
}

static void add_calibration(cJSON *obj, const double *expected, const double *observed)
{
    cJSON *cal = cJSON_AddArrayToObject(obj, "calibration");
    for (int k = 0; k < METRICS_N_CALIB; k++) {
        double pair[2] = {expected[k], observed[k]};
        cJSON_AddItemToArray(cal, cJSON_CreateDoubleArray(pair, 2));
    }
}

/* "bayes_total" or "corrected_total": the definition and its pull statistics. */
static void add_total(cJSON *obj, eval_total u, const eval_pulls *p, const double *expected)
{
    char name[32];
    snprintf(name, sizeof name, "%s_total", eval_total_name(u));
    cJSON *t = cJSON_AddObjectToObject(obj, name);
    cJSON_AddStringToObject(t, "definition",
                            u == EVAL_TOTAL_BAYES
                                ? "sigma_total^2 = <sigma^2> + Var(mu)"
                                : "sigma_total^2 = max(<sigma^2> - Var(mu), Var(mu)/(n-1), "
                                  "1e-4 <sigma^2>), n = n_monte (no middle term for n = 1)");
    add_pull_coverage(t, p);
    cJSON_AddNumberToObject(t, "nll", p->nll);
    cJSON_AddNumberToObject(t, "nll_no_const", p->nll_no_const);
    cJSON_AddNumberToObject(t, "sigma_total", p->sigma_total_median);
    if (u == EVAL_TOTAL_CORRECTED)
        cJSON_AddNumberToObject(t, "n_floored", (double)p->n_floored);
    if (expected)
        add_calibration(t, expected, p->calib_observed);
}

/* The keys of one set of events; calibration curves only with expected. */
static void add_group(cJSON *obj, const eval_group *g, eval_total u, const double *expected)
{
    const eval_pulls *chosen = &g->total[u];
    cJSON_AddNumberToObject(obj, "n_events", (double)g->n_events);
    cJSON *rel = cJSON_AddObjectToObject(obj, "rel_dev");
    cJSON_AddNumberToObject(rel, "mean", g->rel_mean);
    cJSON_AddNumberToObject(rel, "std", g->rel_std);
    static const char *qnames[5] = {"q05", "q16", "q50", "q84", "q95"};
    for (int k = 0; k < 5; k++)
        cJSON_AddNumberToObject(rel, qnames[k], g->rel_q[k]);
    cJSON *below = cJSON_AddObjectToObject(obj, "frac_abs_rel_dev_below");
    static const char *fnames[METRICS_N_FRAC] = {"0.001", "0.01", "0.1"};
    for (int k = 0; k < METRICS_N_FRAC; k++)
        cJSON_AddNumberToObject(below, fnames[k], g->frac_below[k]);
    add_pull_coverage(obj, chosen);
    cJSON_AddNumberToObject(obj, "nll", chosen->nll);
    cJSON_AddNumberToObject(obj, "nll_no_const", chosen->nll_no_const);
    cJSON_AddNumberToObject(obj, "sigma_aleatoric", g->sigma_aleatoric_median);
    cJSON_AddNumberToObject(obj, "sigma_epistemic", g->sigma_epistemic_median);
    cJSON_AddNumberToObject(obj, "sigma_total", chosen->sigma_total_median);
    if (expected)
        add_calibration(obj, expected, chosen->calib_observed);
    for (int t = 0; t < EVAL_N_TOTALS; t++) {
        eval_total which = t == 0 ? EVAL_TOTAL_BAYES : EVAL_TOTAL_CORRECTED;
        add_total(obj, which, &g->total[which], expected);
    }
}

cJSON *eval_metrics_json(const eval_metrics *m)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "uncertainty", eval_total_name(m->uncertainty));
    add_group(root, &m->all, m->uncertainty, m->calib_expected);
    cJSON_AddNumberToObject(root, "seconds", m->seconds);
    cJSON *w = cJSON_AddObjectToObject(root, "amplitude_weighted");
    cJSON_AddNumberToObject(w, "sum_bias", m->sum_bias);
    cJSON_AddNumberToObject(w, "mean_abs_rel_dev", m->weighted_abs_rel);
    cJSON_AddStringToObject(w, "definition", "sum_bias = sum A_pred / sum A_true - 1; "
                            "mean_abs_rel_dev = sum A_true |A_pred/A_true - 1| / sum A_true");
    static const char *largest_names[METRICS_N_LARGEST] = {"largest_10pct", "largest_1pct"};
    for (int g = 0; g < METRICS_N_LARGEST; g++) {
        cJSON *o = cJSON_AddObjectToObject(root, largest_names[g]);
        cJSON_AddNumberToObject(o, "fraction", metrics_largest_fractions[g]);
        cJSON_AddNumberToObject(o, "threshold_amplitude", m->largest_threshold[g]);
        add_group(o, &m->largest[g], m->uncertainty, NULL);
    }
    if (m->has_regions) {
        cJSON *sel = cJSON_AddObjectToObject(root, "singular_selection");
        cJSON_AddStringToObject(sel, "measure",
                                "min over the 9 pairs other than (1,2) of s_ij / s_12");
        cJSON_AddNumberToObject(sel, "fraction", METRICS_NEAR_SINGULAR_FRACTION);
        cJSON_AddNumberToObject(sel, "threshold", m->singular_threshold);
        add_group(cJSON_AddObjectToObject(root, "near_singular"), &m->near_singular,
                  m->uncertainty, NULL);
        add_group(cJSON_AddObjectToObject(root, "bulk"), &m->bulk, m->uncertainty, NULL);
    }
    if (m->has_rescaled) {
        cJSON *r = cJSON_AddObjectToObject(root, "rescaled");
        cJSON_AddNumberToObject(r, "k", m->rescale_k);
        cJSON_AddStringToObject(r, "uncertainty", eval_total_name(m->uncertainty));
        cJSON_AddStringToObject(r, "fit_split", m->rescale_split ? m->rescale_split : "");
        cJSON_AddNumberToObject(r, "n_fit", (double)m->rescale_n_fit);
        add_pull_coverage(r, &m->rescaled);
        cJSON_AddNumberToObject(r, "nll", m->rescaled.nll);
        cJSON_AddNumberToObject(r, "nll_no_const", m->rescaled.nll_no_const);
        cJSON_AddNumberToObject(r, "sigma_total", m->rescaled.sigma_total_median);
    }
    return root;
}

#include "eval/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static const double LOG_2PI = 1.8378770664093453; /* log(2 pi) */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sort_doubles(double *x, size_t n)
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

void eval_residuals(const ba_prediction *pred, const double *log_true, size_t n,
                    double *rel, double *pull)
{
    for (size_t i = 0; i < n; i++) {
        double d = pred[i].mean - log_true[i];
        if (rel)
            rel[i] = expm1(d); /* exp(mu)/A_true - 1 without cancellation */
        if (pull)
            pull[i] = d / sqrt(pred[i].var_aleatoric + pred[i].var_epistemic);
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

int eval_metrics_compute(const ba_prediction *pred, const double *log_true, size_t n,
                         eval_metrics *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return ba_fail(err, "no events to evaluate");
    double *rel = malloc(n * sizeof *rel), *pull = malloc(n * sizeof *pull);
    double *work = malloc(n * sizeof *work);
    if (!rel || !pull || !work) {
        free(rel), free(pull), free(work);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    out->n_events = n;
    eval_residuals(pred, log_true, n, rel, pull);

    /* relative deviation */
    mean_std(rel, n, &out->rel_mean, &out->rel_std);
    for (size_t i = 0; i < n; i++)
        work[i] = fabs(rel[i]);
    sort_doubles(work, n);
    out->frac_below_1pc = fraction_below(work, n, 0.01);
    out->frac_below_10pc = fraction_below(work, n, 0.1);
    sort_doubles(rel, n);
    static const double qs[5] = {0.05, 0.16, 0.50, 0.84, 0.95};
    for (int k = 0; k < 5; k++)
        out->rel_q[k] = quantile_sorted(rel, n, qs[k]);

    /* pulls, coverage and calibration */
    mean_std(pull, n, &out->pull_mean, &out->pull_std);
    for (size_t i = 0; i < n; i++)
        work[i] = fabs(pull[i]);
    sort_doubles(work, n);
    out->coverage_68 = fraction_below(work, n, 1.0);
    out->coverage_95 = fraction_below(work, n, 1.96);
    for (int k = 0; k < METRICS_N_CALIB; k++) {
        double c = k < METRICS_N_CALIB - 1 ? 0.05 * (k + 1) : 0.99;
        out->calib_expected[k] = c;
        out->calib_observed[k] = fraction_below(work, n, coverage_z(c));
    }

    /* Gaussian NLL of log A_true under N(mu, s2) */
    double nll = 0;
    for (size_t i = 0; i < n; i++) {
        double s2 = pred[i].var_aleatoric + pred[i].var_epistemic;
        double d = log_true[i] - pred[i].mean;
        nll += d * d / (2 * s2) + 0.5 * log(s2);
    }
    out->nll_no_const = nll / (double)n;
    out->nll = out->nll_no_const + 0.5 * LOG_2PI;

    /* median uncertainties */
    for (int which = 0; which < 3; which++) {
        for (size_t i = 0; i < n; i++) {
            double al = pred[i].var_aleatoric, ep = pred[i].var_epistemic;
            work[i] = sqrt(which == 0 ? al : which == 1 ? ep : al + ep);
        }
        sort_doubles(work, n);
        double med = quantile_sorted(work, n, 0.5);
        if (which == 0)
            out->sigma_aleatoric_median = med;
        else if (which == 1)
            out->sigma_epistemic_median = med;
        else
            out->sigma_total_median = med;
    }
    free(rel), free(pull), free(work);
    return 0;
}

cJSON *eval_metrics_json(const eval_metrics *m)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddNumberToObject(root, "n_events", (double)m->n_events);
    cJSON *rel = cJSON_AddObjectToObject(root, "rel_dev");
    cJSON_AddNumberToObject(rel, "mean", m->rel_mean);
    cJSON_AddNumberToObject(rel, "std", m->rel_std);
    static const char *qnames[5] = {"q05", "q16", "q50", "q84", "q95"};
    for (int k = 0; k < 5; k++)
        cJSON_AddNumberToObject(rel, qnames[k], m->rel_q[k]);
    cJSON *below = cJSON_AddObjectToObject(root, "frac_abs_rel_dev_below");
    cJSON_AddNumberToObject(below, "0.01", m->frac_below_1pc);
    cJSON_AddNumberToObject(below, "0.1", m->frac_below_10pc);
    cJSON *pull = cJSON_AddObjectToObject(root, "pull");
    cJSON_AddNumberToObject(pull, "mean", m->pull_mean);
    cJSON_AddNumberToObject(pull, "std", m->pull_std);
    cJSON *cov = cJSON_AddObjectToObject(root, "coverage");
    cJSON_AddNumberToObject(cov, "68", m->coverage_68);
    cJSON_AddNumberToObject(cov, "95", m->coverage_95);
    cJSON_AddNumberToObject(root, "nll", m->nll);
    cJSON_AddNumberToObject(root, "nll_no_const", m->nll_no_const);
    cJSON_AddNumberToObject(root, "sigma_aleatoric", m->sigma_aleatoric_median);
    cJSON_AddNumberToObject(root, "sigma_epistemic", m->sigma_epistemic_median);
    cJSON_AddNumberToObject(root, "sigma_total", m->sigma_total_median);
    cJSON_AddNumberToObject(root, "seconds", m->seconds);
    cJSON *cal = cJSON_AddArrayToObject(root, "calibration");
    for (int k = 0; k < METRICS_N_CALIB; k++) {
        double pair[2] = {m->calib_expected[k], m->calib_observed[k]};
        cJSON_AddItemToArray(cal, cJSON_CreateDoubleArray(pair, 2));
    }
    return root;
}

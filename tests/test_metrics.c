/* The evaluation metrics (src/eval/metrics.c) on predictions with known answers: a few
 * hand-made events, numpy's quantiles and the robust width, the Gaussian quantile z(c),
 * large Gaussian toys whose uncertainties are calibrated, too small or too large, a toy
 * BNN whose aleatoric head has absorbed the weight spread (the two definitions of the
 * total uncertainty), the selection of the near-singular events on the reference
 * events, and the post-hoc rescaling. Also the plots' data files (src/io/plots.c),
 * which need no gnuplot. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bayesamp.h"
#include "check.h"
#include "common/rng.h"
#include "data/features.h"
#include "data/npy.h"
#include "eval/metrics.h"
#include "io/plots.h"
#include "physics/process.h"

/* The momenta of the metrics' near-singular selection are g g > a a g events. */
static ba_process aag;

static const double LOG_2PI = 1.8378770664093453; /* log(2 pi) */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether the object has exactly these keys. */
static int has_exactly(const cJSON *obj, const char *const *keys, int n_keys)
{
    if (!cJSON_IsObject(obj) || cJSON_GetArraySize(obj) != n_keys) {
        fprintf(stderr, "  %d keys, want %d\n", cJSON_GetArraySize(obj), n_keys);
        return 0;
    }
    for (int k = 0; k < n_keys; k++)
        if (!cJSON_GetObjectItemCaseSensitive(obj, keys[k])) {
            fprintf(stderr, "  no key %s\n", keys[k]);
            return 0;
        }
    return 1;
}

static double json_number(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static void test_quantiles(void)
{
    /* numpy: np.quantile([1, 2, 3, 4], q) */
    double x[4] = {1, 2, 3, 4};
    CHECK_CLOSE(quantile_sorted(x, 4, 0.05), 1.15, 1e-15, 0);
    CHECK_CLOSE(quantile_sorted(x, 4, 0.16), 1.48, 1e-15, 0);
    CHECK_CLOSE(quantile_sorted(x, 4, 0.50), 2.5, 1e-15, 0);
    CHECK_CLOSE(quantile_sorted(x, 4, 0.84), 3.52, 1e-15, 0);
    CHECK_CLOSE(quantile_sorted(x, 4, 0.95), 3.85, 1e-15, 0);
    CHECK(quantile_sorted(x, 4, 0) == 1 && quantile_sorted(x, 4, 1) == 4);
    double one[1] = {7};
    CHECK(quantile_sorted(one, 1, 0.3) == 7);
    CHECK(isnan(quantile_sorted(x, 0, 0.5)));
    /* np.median([1, 2, 3, 4, 100]) = 3 */
    double y[5] = {1, 2, 3, 4, 100};
    CHECK(quantile_sorted(y, 5, 0.5) == 3);

    /* robust width (q84 - q16) / 2: (3.52 - 1.48) / 2 for [1, 2, 3, 4]; for 0, 1, ...,
     * 100 the quantiles are 16 and 84; unaffected by an outlier that the std feels */
    CHECK_CLOSE(robust_width_sorted(x, 4), 1.02, 1e-14, 0);
    double z[101];
    for (int i = 0; i <= 100; i++)
        z[i] = i;
    CHECK_CLOSE(robust_width_sorted(z, 101), 34, 1e-14, 0);
    z[100] = 1e6;
    CHECK_CLOSE(robust_width_sorted(z, 101), 34, 1e-14, 0);
    CHECK(robust_width_sorted(one, 1) == 0);
    /* N(0, 1): 2 z(0.68) / 2 = 0.9945 (the 16-84 % interval holds 68 %, not 68.27 %) */
    enum { NG = 200001 };
    double *g = malloc(NG * sizeof *g);
    ba_rng r;
    ba_rng_init(&r, 11, 0);
    for (int i = 0; i < NG; i++)
        g[i] = 3 * ba_rng_normal(&r);
    qsort(g, NG, sizeof *g, compare_doubles);
    CHECK_CLOSE(robust_width_sorted(g, NG), 3 * coverage_z(0.68), 0.01, 0);
    free(g);
}

static void test_coverage_z(void)
{
    CHECK_CLOSE(coverage_z(0.6826894921370859), 1.0, 1e-12, 0); /* erf(1/sqrt 2) */
    CHECK_CLOSE(coverage_z(0.95), 1.959963984540054, 1e-12, 0);
    CHECK_CLOSE(coverage_z(0.99), 2.5758293035489004, 1e-12, 0);
    CHECK_CLOSE(coverage_z(0.5), 0.6744897501960817, 1e-12, 0);
    CHECK(coverage_z(0) == 0 && isinf(coverage_z(1)));
}

/* Four events worked out by hand. */
static void test_known_events(void)
{
    /* log A_true = 0, 1, 2, 3; predictions off by log(1 + r) with r = 0.005, -0.05, 0.2,
     * 0; bayes total variance 1, 0.25, 4, 1 split 3:1 into aleatoric and epistemic, so
     * the corrected total variance is half of it */
    double r[4] = {0.005, -0.05, 0.2, 0};
    double y[4] = {0, 1, 2, 3};
    ba_prediction p[4];
    double var[4] = {1, 0.25, 4, 1};
    for (int i = 0; i < 4; i++) {
        p[i].mean = y[i] + log1p(r[i]);
        p[i].var_aleatoric = 0.75 * var[i];
        p[i].var_epistemic = 0.25 * var[i];
    }
    eval_metrics m;
    ba_error err;
    CHECK(eval_metrics_compute(p, y, NULL, NULL, 4, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
    const eval_group *a = &m.all;
    CHECK(a->n_events == 4 && m.uncertainty == EVAL_TOTAL_CORRECTED && !m.has_regions);
    CHECK(eval_chosen(&m) == &a->total[EVAL_TOTAL_CORRECTED]);
    double mean = (0.005 - 0.05 + 0.2 + 0) / 4;
    double var_r = 0;
    for (int i = 0; i < 4; i++)
        var_r += (r[i] - mean) * (r[i] - mean) / 4;
    CHECK_CLOSE(a->rel_mean, mean, 1e-12, 0);
    CHECK_CLOSE(a->rel_std, sqrt(var_r), 1e-12, 0);
    /* sorted r: -0.05, 0, 0.005, 0.2; q50 = (0 + 0.005) / 2 */
    CHECK_CLOSE(a->rel_q[2], 0.0025, 1e-9, 0);
    CHECK_CLOSE(a->rel_q[0], -0.05 + 0.15 * 0.05, 1e-9, 0);
    CHECK_CLOSE(a->rel_q[4], 0.005 + 0.85 * 0.195, 1e-9, 0);
    CHECK(a->frac_below[0] == 0.25); /* only 0 is below 0.001 */
    CHECK(a->frac_below[1] == 0.5);  /* 0.005 and 0 */
    CHECK(a->frac_below[2] == 0.75); /* all but 0.2 */
    for (int u = 0; u < EVAL_N_TOTALS; u++) {
        double scale = u == EVAL_TOTAL_BAYES ? 1 : 0.5; /* of the variance */
        double pull[4], sorted[4];
        for (int i = 0; i < 4; i++)
            sorted[i] = pull[i] = log1p(r[i]) / sqrt(scale * var[i]);
        qsort(sorted, 4, sizeof *sorted, compare_doubles);
        double pm = (pull[0] + pull[1] + pull[2] + pull[3]) / 4, ps = 0, nll = 0;
        for (int i = 0; i < 4; i++) {
            ps += (pull[i] - pm) * (pull[i] - pm) / 4;
            nll += pull[i] * pull[i] / 2 + 0.5 * log(scale * var[i]);
        }
        const eval_pulls *t = &a->total[u];
        CHECK_CLOSE(t->mean, pm, 1e-12, 0);
        CHECK_CLOSE(t->std, sqrt(ps), 1e-12, 0);
        CHECK_CLOSE(t->robust_width,
                    0.5 * (sorted[2] + 0.52 * (sorted[3] - sorted[2]) -
                           (sorted[0] + 0.48 * (sorted[1] - sorted[0]))),
                    1e-12, 0);
        CHECK(t->coverage_68 == 1 && t->coverage_95 == 1); /* all pulls are small */
        CHECK_CLOSE(t->nll_no_const, nll / 4, 1e-12, 0);
        CHECK_CLOSE(t->nll, nll / 4 + 0.5 * LOG_2PI, 1e-12, 0);
        /* sorted var 0.25, 1, 1, 4 -> median sqrt(scale) */
        CHECK_CLOSE(t->sigma_total_median, sqrt(scale), 1e-12, 0);
        CHECK(t->n_floored == 0);
    }
    CHECK_CLOSE(eval_total_variance(&p[2], EVAL_TOTAL_BAYES, 30), 4, 1e-15, 0);
    CHECK_CLOSE(eval_total_variance(&p[2], EVAL_TOTAL_CORRECTED, 30), 2, 1e-15, 0);
    /* sigma_aleatoric = sqrt(0.75 var): median sqrt(0.75) */
    CHECK_CLOSE(a->sigma_aleatoric_median, sqrt(0.75), 1e-12, 0);
    CHECK_CLOSE(a->sigma_epistemic_median, sqrt(0.25), 1e-12, 0);
    CHECK(eval_metrics_compute(p, y, NULL, NULL, 0, EVAL_TOTAL_CORRECTED, 30, &m, &err) != 0);
    /* the number of passes must be >= 1 */
    CHECK(eval_metrics_compute(p, y, NULL, NULL, 4, EVAL_TOTAL_CORRECTED, 0, &m, &err) != 0);
    CHECK(strstr(err.msg, "Monte-Carlo passes") != NULL);

    /* the floor: V_n > <sig2> leaves exactly V_n / (n - 1), the Monte-Carlo error of the
     * mean of n passes */
    ba_prediction f = {.mean = 1, .var_aleatoric = 0.04, .var_epistemic = 0.05};
    CHECK(eval_total_variance(&f, EVAL_TOTAL_CORRECTED, 30) == 0.05 / 29);
    CHECK(eval_total_variance(&f, EVAL_TOTAL_CORRECTED, 2) == 0.05);
    CHECK(eval_total_variance(&f, EVAL_TOTAL_BAYES, 30) == 0.04 + 0.05);
    /* also where <sig2> - V_n is positive but below V_n / (n - 1): 0.001 < 0.039 / 29 */
    ba_prediction g = {.mean = 1, .var_aleatoric = 0.04, .var_epistemic = 0.039};
    CHECK(eval_total_variance(&g, EVAL_TOTAL_CORRECTED, 30) == 0.039 / 29);
    CHECK_CLOSE(eval_total_variance(&g, EVAL_TOTAL_CORRECTED, 1), 0.001, 1e-12, 0);
    /* n = 1 (MAP mode) and n <= 0: only the guard 1e-4 <sig2> */
    CHECK_CLOSE(eval_total_variance(&f, EVAL_TOTAL_CORRECTED, 1), 4e-6, 1e-15, 0);
    CHECK_CLOSE(eval_total_variance(&f, EVAL_TOTAL_CORRECTED, 0), 4e-6, 1e-15, 0);
    /* so many passes that V_n / (n - 1) = 5e-7 is below the guard 4e-6 */
    CHECK_CLOSE(eval_total_variance(&f, EVAL_TOTAL_CORRECTED, 100000), 4e-6, 1e-15, 0);
    eval_pulls fp;
    double fy = 1 + sqrt(0.05 / 29); /* pull -1 with n = 30 */
    CHECK(eval_pulls_compute(&f, &fy, 1, EVAL_TOTAL_CORRECTED, 30, 1, &fp, &err) == 0);
    CHECK(fp.n_floored == 1 && isfinite(fp.mean) && isfinite(fp.nll));
    CHECK_CLOSE(fp.mean, -1, 1e-9, 0);
    CHECK_CLOSE(fp.sigma_total_median, sqrt(0.05 / 29), 1e-15, 0);
    CHECK(eval_pulls_compute(&g, &fy, 1, EVAL_TOTAL_CORRECTED, 30, 1, &fp, &err) == 0);
    CHECK(fp.n_floored == 1);
    CHECK(eval_pulls_compute(&g, &fy, 1, EVAL_TOTAL_CORRECTED, 1, 1, &fp, &err) == 0);
    CHECK(fp.n_floored == 0);
    fy = 1 + 2e-3; /* pull -1 with n = 1: sqrt(4e-6) */
    CHECK(eval_pulls_compute(&f, &fy, 1, EVAL_TOTAL_CORRECTED, 1, 1, &fp, &err) == 0);
    CHECK(fp.n_floored == 1 && isfinite(fp.mean) && isfinite(fp.nll));
    CHECK_CLOSE(fp.mean, -1, 1e-9, 0);
    CHECK(eval_pulls_compute(&f, &fy, 0, EVAL_TOTAL_CORRECTED, 30, 1, &fp, &err) != 0);
    CHECK(eval_pulls_compute(&f, &fy, 1, EVAL_TOTAL_CORRECTED, 0, 1, &fp, &err) != 0);
    CHECK(eval_pulls_compute(&f, &fy, 1, EVAL_TOTAL_CORRECTED, -3, 1, &fp, &err) != 0);

    /* names */
    eval_total u = EVAL_TOTAL_BAYES;
    CHECK(!strcmp(eval_total_name(EVAL_TOTAL_CORRECTED), "corrected") &&
          !strcmp(eval_total_name(EVAL_TOTAL_BAYES), "bayes"));
    CHECK(eval_total_parse("corrected", &u) == 0 && u == EVAL_TOTAL_CORRECTED);
    CHECK(eval_total_parse("bayes", &u) == 0 && u == EVAL_TOTAL_BAYES);
    CHECK(eval_total_parse("Bayes", &u) != 0 && eval_total_parse("", &u) != 0);

    /* the JSON has exactly the documented keys */
    CHECK(eval_metrics_compute(p, y, NULL, NULL, 4, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
    cJSON *j = eval_metrics_json(&m);
    const char *keys[] = {"uncertainty", "n_events", "rel_dev", "frac_abs_rel_dev_below",
                          "pull", "coverage", "nll", "nll_no_const", "sigma_aleatoric",
                          "sigma_epistemic", "sigma_total", "seconds", "calibration",
                          "bayes_total", "corrected_total", "amplitude_weighted",
                          "largest_10pct", "largest_1pct"};
    CHECK(has_exactly(j, keys, (int)(sizeof keys / sizeof *keys)));
    const cJSON *unc = cJSON_GetObjectItemCaseSensitive(j, "uncertainty");
    CHECK(cJSON_IsString(unc) && !strcmp(unc->valuestring, "corrected"));
    const char *rel_keys[] = {"mean", "std", "q05", "q16", "q50", "q84", "q95"};
    cJSON *rel = cJSON_GetObjectItemCaseSensitive(j, "rel_dev");
    CHECK(has_exactly(rel, rel_keys, 7));
    const char *below_keys[] = {"0.001", "0.01", "0.1"};
    CHECK(has_exactly(cJSON_GetObjectItemCaseSensitive(j, "frac_abs_rel_dev_below"),
                      below_keys, 3));
    CHECK(json_number(j, "frac_abs_rel_dev_below", "0.001") == 0.25);
    const char *pull_keys[] = {"mean", "std", "robust_width"};
    CHECK(has_exactly(cJSON_GetObjectItemCaseSensitive(j, "pull"), pull_keys, 3));
    const char *cov_keys[] = {"68", "95"};
    CHECK(has_exactly(cJSON_GetObjectItemCaseSensitive(j, "coverage"), cov_keys, 2));
    CHECK(json_number(j, "rel_dev", "q50") == a->rel_q[2]);
    /* the top level is the corrected total, and both objects are there */
    const eval_pulls *c = &m.all.total[EVAL_TOTAL_CORRECTED], *b = &m.all.total[EVAL_TOTAL_BAYES];
    CHECK(json_number(j, "pull", "robust_width") == c->robust_width);
    CHECK(json_number(j, "nll", NULL) == c->nll);
    CHECK(json_number(j, "sigma_total", NULL) == c->sigma_total_median);
    const char *total_keys[] = {"definition", "pull", "coverage", "nll", "nll_no_const",
                                "sigma_total", "calibration", "n_floored"};
    cJSON *bt = cJSON_GetObjectItemCaseSensitive(j, "bayes_total");
    cJSON *ct = cJSON_GetObjectItemCaseSensitive(j, "corrected_total");
    CHECK(has_exactly(ct, total_keys, 8));
    CHECK(has_exactly(bt, total_keys, 7)); /* no n_floored */
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(ct, "definition");
    CHECK(cJSON_IsString(def) && strstr(def->valuestring, "Var(mu)/(n-1)") &&
          strstr(def->valuestring, "1e-4 <sigma^2>"));
    CHECK(json_number(bt, "pull", "robust_width") == b->robust_width);
    CHECK(json_number(bt, "coverage", "68") == b->coverage_68);
    CHECK(json_number(bt, "nll", NULL) == b->nll);
    CHECK(json_number(ct, "pull", "std") == c->std);
    CHECK(b->nll != c->nll);
    cJSON *cal = cJSON_GetObjectItemCaseSensitive(j, "calibration");
    CHECK(cJSON_GetArraySize(cal) == METRICS_N_CALIB);
    CHECK(cJSON_GetArraySize(cJSON_GetArrayItem(cal, 0)) == 2);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(bt, "calibration")) ==
          METRICS_N_CALIB);
    cJSON_Delete(j);

    /* --uncertainty bayes: the top level follows */
    CHECK(eval_metrics_compute(p, y, NULL, NULL, 4, EVAL_TOTAL_BAYES, 30, &m, &err) == 0);
    j = eval_metrics_json(&m);
    unc = cJSON_GetObjectItemCaseSensitive(j, "uncertainty");
    CHECK(cJSON_IsString(unc) && !strcmp(unc->valuestring, "bayes"));
    CHECK(json_number(j, "pull", "std") == m.all.total[EVAL_TOTAL_BAYES].std);
    CHECK(json_number(j, "nll", NULL) == json_number(j, "bayes_total", "nll"));
    cJSON_Delete(j);
}

/* n events whose truth scatters around the prediction by sigma_true while the
 * prediction quotes sigma_quoted (split 2:1 into aleatoric and epistemic variance). */
static void gaussian_toy(size_t n, double sigma_true, double sigma_quoted, uint64_t seed,
                         ba_prediction *p, double *y)
{
    ba_rng r;
    ba_rng_init(&r, seed, 0);
    for (size_t i = 0; i < n; i++) {
        p[i].mean = 3 * ba_rng_uniform(&r) - 1;
        p[i].var_aleatoric = sigma_quoted * sigma_quoted * 2 / 3;
        p[i].var_epistemic = sigma_quoted * sigma_quoted / 3;
        y[i] = p[i].mean + sigma_true * ba_rng_normal(&r);
    }
}

static void test_gaussian_toys(void)
{
    enum { N = 200000 };
    ba_prediction *p = malloc(N * sizeof *p);
    double *y = malloc(N * sizeof *y);
    eval_metrics m;
    ba_error err;
    /* the quoted total is the bayes one here: pulls of aleatoric + epistemic */
    const eval_group *a = &m.all;
    const eval_pulls *t = &m.all.total[EVAL_TOTAL_BAYES];
    /* calibrated: pulls ~ N(0, 1). Statistical errors for N = 2e5: mean 0.0022, std
     * 0.0016, a coverage 0.001, the robust width 0.003; tolerances are about 4 of them. */
    const double s = 0.05;
    gaussian_toy(N, s, s, 1, p, y);
    CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_BAYES, 30, &m, &err) == 0);
    CHECK(eval_chosen(&m) == t);
    CHECK_CLOSE(t->mean, 0, 0, 0.01);
    CHECK_CLOSE(t->std, 1, 0.007, 0);
    CHECK_CLOSE(t->robust_width, coverage_z(0.68), 0.012, 0);
    CHECK_CLOSE(t->coverage_68, 0.6827, 0, 0.004);
    CHECK_CLOSE(t->coverage_95, 0.95, 0, 0.003);
    for (int k = 0; k < METRICS_N_CALIB; k++)
        CHECK_MSG(fabs(t->calib_observed[k] - m.calib_expected[k]) < 0.005,
                  "coverage %g: observed %g", m.calib_expected[k], t->calib_observed[k]);
    /* NLL = E[p^2]/2 + log(s) + log(2 pi)/2 */
    CHECK_CLOSE(t->nll, 0.5 + log(s) + 0.5 * LOG_2PI, 0, 0.01);
    CHECK_CLOSE(t->nll - t->nll_no_const, 0.5 * LOG_2PI, 1e-12, 0);
    CHECK_CLOSE(t->sigma_total_median, s, 1e-12, 0);
    CHECK_CLOSE(a->sigma_aleatoric_median, s * sqrt(2.0 / 3), 1e-12, 0);
    /* relative deviation exp(-s z) - 1: median 0, 16 % and 84 % quantiles at
     * exp(-+s) - 1; |r| < 0.01 for |z| < ~0.2 (a fraction 0.159), |r| < 0.001 for
     * |z| < ~0.02 */
    CHECK_CLOSE(a->rel_q[2], 0, 0, 0.0005);
    CHECK_CLOSE(a->rel_q[1], expm1(-s), 0.02, 0);
    CHECK_CLOSE(a->rel_q[3], expm1(s), 0.02, 0);
    for (int k = 0; k < 2; k++) {
        double x = metrics_frac_thresholds[k];
        double z_lo = -log1p(x) / s, z_hi = -log1p(-x) / s; /* |r| < x <=> z in */
        double frac = 0.5 * (erf(z_hi / sqrt(2.0)) - erf(z_lo / sqrt(2.0)));
        CHECK_CLOSE(a->frac_below[k], frac, 0, 0.004);
    }

    /* uncertainties half as large as the scatter: pull std 2, P(|z| < 1/2) = 0.383 */
    gaussian_toy(N, s, s / 2, 2, p, y);
    CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_BAYES, 30, &m, &err) == 0);
    CHECK_CLOSE(t->std, 2, 0.007, 0);
    CHECK_CLOSE(t->robust_width, 2 * coverage_z(0.68), 0.012, 0);
    CHECK_CLOSE(t->coverage_68, 0.3829, 0, 0.004);
    CHECK(t->calib_observed[9] < m.calib_expected[9] - 0.1); /* below the diagonal */
    /* twice as large: pull std 0.5, P(|z| < 2) = 0.954 */
    gaussian_toy(N, s, 2 * s, 3, p, y);
    CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_BAYES, 30, &m, &err) == 0);
    CHECK_CLOSE(t->std, 0.5, 0.007, 0);
    CHECK_CLOSE(t->robust_width, 0.5 * coverage_z(0.68), 0.012, 0);
    CHECK_CLOSE(t->coverage_68, 0.9545, 0, 0.003);
    CHECK(t->calib_observed[9] > m.calib_expected[9] + 0.1); /* above */
    free(p);
    free(y);
}

/* A toy BNN whose aleatoric head has absorbed the weight spread. Event i has the centre
 * c_i and the truth y_i ~ N(c_i, b^2); pass k of the network gives mu_k = c_i + e_k,
 * e_k ~ N(0, v), and the head the mean squared residual of a single draw,
 * sigma_k^2 = b^2 + v. The prediction keeps what ba_predict reports: the mean of the
 * n_monte mu_k, <sigma^2> and their variance dividing by n_monte. The error of the mean
 * has variance b^2 + v / n. With sigma_scale != 1 both reported variances are
 * multiplied by its square: every total uncertainty is off by that factor. */
static void bnn_toy(size_t n, int n_monte, double b, double v, double sigma_scale,
                    uint64_t seed, ba_prediction *p, double *y)
{
    ba_rng r;
    ba_rng_init(&r, seed, 0);
    double *mu = malloc((size_t)n_monte * sizeof *mu);
    for (size_t i = 0; i < n; i++) {
        double c = 4 * ba_rng_uniform(&r) - 2, s = 0, s2 = 0;
        for (int k = 0; k < n_monte; k++) {
            mu[k] = c + sqrt(v) * ba_rng_normal(&r);
            s += mu[k];
        }
        double mean = s / n_monte;
        for (int k = 0; k < n_monte; k++)
            s2 += (mu[k] - mean) * (mu[k] - mean);
        p[i].mean = mean;
        p[i].var_epistemic = s2 / n_monte * sigma_scale * sigma_scale;
        p[i].var_aleatoric = (b * b + v) * sigma_scale * sigma_scale;
        y[i] = c + b * ba_rng_normal(&r);
    }
    free(mu);
}

static void test_total_definitions(void)
{
    enum { N = 100000 };
    ba_prediction *p = malloc(2 * N * sizeof *p);
    double *y = malloc(2 * N * sizeof *y);
    eval_metrics m;
    ba_error err;
    const eval_pulls *corr = &m.all.total[EVAL_TOTAL_CORRECTED];
    const eval_pulls *bayes = &m.all.total[EVAL_TOTAL_BAYES];
    /* The robust width has a statistical error of ~0.004 for N = 1e5. V_n is itself
     * noisy (relative spread sqrt(2 / (n - 1))), so the corrected total fluctuates by
     * about v sqrt(2 / n) around the error of the mean and the pulls get slightly heavier
     * tails than N(0, 1): with n = 30 and v = b^2 the robust width is 1.02 and the 95 %
     * coverage 0.939. Small for v = b^2 / 4 at n = 30 and for v = b^2 at n = 100. */
    const double b = 0.01;
    const double vs[2] = {0.25 * b * b, b * b};
    const int passes[2] = {30, 100};
    for (int t = 0; t < 2; t++) {
        const int n = passes[t];
        double v = vs[t];
        bnn_toy(N, n, b, v, 1, 20 + t, p, y);
        CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_CORRECTED, n, &m, &err) == 0);
        /* corrected: calibrated */
        double w68 = coverage_z(0.68); /* the robust width of N(0, 1) */
        CHECK_CLOSE(corr->robust_width, w68, 0, 0.02);
        CHECK_CLOSE(corr->coverage_68, 0.6827, 0, 0.01);
        CHECK_CLOSE(corr->coverage_95, 0.95, 0, 0.006);
        CHECK_CLOSE(corr->mean, 0, 0, 0.02);
        /* bayes: too wide by sqrt((b^2 + v + (1 - 1/n) v) / (b^2 + v / n)), for many
         * passes b / sqrt(b^2 + 2 v) as the lead's analysis says */
        double want = sqrt((b * b + v / n) / (b * b + v + (1 - 1.0 / n) * v));
        CHECK_CLOSE(bayes->robust_width, want * w68, 0, 0.02);
        CHECK_CLOSE(want, b / sqrt(b * b + 2 * v), 0.03, 0);
        CHECK(bayes->coverage_68 > 0.75 && bayes->robust_width < 0.9);
        fprintf(stderr, "toy v = %g b^2, n = %d: robust width corrected %.4f, bayes %.4f (want %.4f); "
                "coverage corrected %.4f / %.4f, bayes %.4f / %.4f\n", v / (b * b), n,
                corr->robust_width / w68, bayes->robust_width / w68, want,
                corr->coverage_68, corr->coverage_95, bayes->coverage_68, bayes->coverage_95);
    }

    /* The corrected variance is unbiased for the squared error of the mean: with n = 10
     * passes and v = b^2 / 2, E[(mean - y)^2] = b^2 + v / n = 1.05 b^2; subtracting
     * (1 - 1/n) V_n instead of V_n would give b^2 + v (2/n - 1/n^2) = 1.095 b^2. Relative
     * statistical error of the mean square for 2 N events: 0.3 %. */
    {
        const int n = 10;
        double v = 0.5 * b * b;
        bnn_toy(2 * N, n, b, v, 1, 30, p, y);
        double mse = 0, s2 = 0, s2_literal = 0;
        for (size_t i = 0; i < 2 * N; i++) {
            double d = p[i].mean - y[i];
            mse += d * d;
            s2 += eval_total_variance(&p[i], EVAL_TOTAL_CORRECTED, n);
            s2_literal += p[i].var_aleatoric - (1 - 1.0 / n) * p[i].var_epistemic;
        }
        CHECK_CLOSE(mse / (2 * N), b * b + v / n, 0.015, 0);
        CHECK_CLOSE(s2 / (2 * N), b * b + v / n, 0.005, 0);
        CHECK_CLOSE(s2 / mse, 1, 0.015, 0);
        CHECK(s2_literal / mse > 1.03);
    }

    /* A head that holds the weight spread alone (b = 0: no bias) with n = 30 passes:
     * <sig2> - V_n has the mean v / n but a spread of about v sqrt(2 / n) = 8 v / n, and
     * it is below V_n / (n - 1) for V_n > (1 - 1/n) v, i.e. chi^2_29 > 29: 46.5 % of the
     * events. The floor keeps their variance at the Monte-Carlo error of the mean,
     * instead of 1e-4 v with pulls of ~20: no pull is huge and the pull std stays below
     * 1 (the unfloored events' <sig2> - V_n is too large as often as not). */
    {
        const int n = 30;
        double v = b * b;
        bnn_toy(N, n, 0, v, 1, 35, p, y);
        CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_CORRECTED, n, &m, &err) == 0);
        double worst = 0;
        for (size_t i = 0; i < N; i++)
            worst = fmax(worst, fabs(p[i].mean - y[i]) /
                                    sqrt(eval_total_variance(&p[i], EVAL_TOTAL_CORRECTED, n)));
        fprintf(stderr, "toy b = 0, n = %d: %zu floored, pull std %.3f, robust width %.3f, "
                "coverage %.3f / %.3f, largest |pull| %.2f\n", n, corr->n_floored, corr->std,
                corr->robust_width, corr->coverage_68, corr->coverage_95, worst);
        CHECK_CLOSE((double)corr->n_floored / N, 0.465, 0, 0.01);
        CHECK(corr->std < 1.2 && worst < 8);
        CHECK(isfinite(corr->nll));
    }

    /* MAP mode (no epistemic variance): both definitions are the same numbers */
    bnn_toy(N, 1, b, 0.5 * b * b, 1, 40, p, y);
    size_t nonzero = 0;
    for (size_t i = 0; i < N; i++)
        nonzero += p[i].var_epistemic != 0;
    CHECK(nonzero == 0);
    CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_CORRECTED, 1, &m, &err) == 0);
    CHECK(memcmp(corr, bayes, sizeof *corr) == 0);
    CHECK(corr->n_floored == 0);
    free(p);
    free(y);
}

/* The post-hoc rescaling on a toy whose head quotes sigma too small by a known factor:
 * k fitted on a val toy is that factor, and the rescaled test pulls are calibrated. */
static void test_rescale(void)
{
    enum { N = 50000 };
    ba_prediction *pv = malloc(N * sizeof *pv), *pt = malloc(N * sizeof *pt);
    double *yv = malloc(N * sizeof *yv), *yt = malloc(N * sizeof *yt);
    ba_error err;
    const double b = 0.02, v = 0.25 * b * b;
    const double scales[2] = {1 / 1.6, 1.3}; /* sigma quoted too small, too large */
    for (int t = 0; t < 2; t++) {
        bnn_toy(N, 30, b, v, scales[t], 50 + t, pv, yv);
        bnn_toy(N, 30, b, v, scales[t], 60 + t, pt, yt);
        /* the total of the toy is about sigma_scale times the error of the mean */
        double k;
        CHECK(eval_rescale_fit(pv, yv, N, EVAL_TOTAL_CORRECTED, 30, &k, &err) == 0);
        double k_true = coverage_z(0.68) / scales[t];
        CHECK_MSG(fabs(k / k_true - 1) < 0.05, "k %g, want %g", k, k_true);
        eval_metrics m;
        CHECK(eval_metrics_compute(pt, yt, NULL, NULL, N, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
        CHECK(eval_pulls_compute(pt, yt, N, EVAL_TOTAL_CORRECTED, 30, k, &m.rescaled, &err) == 0);
        m.has_rescaled = 1, m.rescale_k = k, m.rescale_n_fit = N, m.rescale_split = "val";
        CHECK_CLOSE(m.rescaled.robust_width, 1, 0, 0.02);
        CHECK_CLOSE(m.rescaled.coverage_68, 0.68, 0, 0.01);
        CHECK_CLOSE(eval_chosen(&m)->robust_width, k, 0.03, 0); /* unrescaled */
        /* the JSON: "rescaled" beside the unrescaled top level */
        cJSON *j = eval_metrics_json(&m);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "rescaled");
        const char *keys[] = {"k", "uncertainty", "fit_split", "n_fit", "pull", "coverage",
                              "nll", "nll_no_const", "sigma_total"};
        CHECK(has_exactly(r, keys, 9));
        CHECK(json_number(r, "k", NULL) == k);
        CHECK(json_number(r, "pull", "robust_width") == m.rescaled.robust_width);
        CHECK(json_number(r, "coverage", "95") == m.rescaled.coverage_95);
        CHECK(json_number(j, "pull", "robust_width") == eval_chosen(&m)->robust_width);
        cJSON_Delete(j);
    }
    /* MAP predictions that are all exact: no width to fit */
    for (size_t i = 0; i < 10; i++)
        pv[i] = (ba_prediction){.mean = 1, .var_aleatoric = 1, .var_epistemic = 0}, yv[i] = 1;
    double k = 0;
    CHECK(eval_rescale_fit(pv, yv, 10, EVAL_TOTAL_CORRECTED, 1, &k, &err) != 0);
    CHECK(strstr(err.msg, "robust pull width") != NULL);
    free(pv), free(pt), free(yv), free(yt);
}

/* The 2 p_i.p_j of the nine pairs other than (1,2) over s_12, directly. */
static double direct_measure(const double *e)
{
    double s12 = massless_invariant(e, e + 4), m = INFINITY;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (i || j != 1)
                m = fmin(m, massless_invariant(e + 4 * i, e + 4 * j) / s12);
    return m;
}

/* The near-singular selection on the reference events: the generic ones and those near
 * singular limits, checked against a direct sort. */
static void test_near_singular(void)
{
    CHECK(eval_near_singular_count(30000, 0.01) == 300);
    CHECK(eval_near_singular_count(20000, 0.01) == 200);
    CHECK(eval_near_singular_count(250, 0.01) == 3);
    CHECK(eval_near_singular_count(150, 0.01) == 2);
    CHECK(eval_near_singular_count(100, 0.01) == 1);
    CHECK(eval_near_singular_count(2, 0.01) == 1);
    CHECK(eval_near_singular_count(1, 0.01) == 0);
    CHECK(eval_near_singular_count(0, 0.01) == 0);
    CHECK(eval_near_singular_count(10, 1.0) == 9);

    ba_error err;
    npy_array gen, lim;
    if (npy_read(BAYESAMP_SHARED "/reference/ref_dat.npy", &gen, &err) ||
        npy_read(BAYESAMP_SHARED "/reference/ref_limit_dat.npy", &lim, &err)) {
        fprintf(stderr, "cannot read the reference events: %s\n", err.msg);
        CHECK(!"reference events readable");
        return;
    }
    /* the limit events interleaved with the generic ones: index order does not favour
     * either */
    size_t n_gen = gen.count / 20, n_lim = lim.count / 20, n = n_gen + n_lim;
    CHECK(n_gen == 200 && n_lim == 50);
    double *mom = malloc(n * 20 * sizeof *mom), *direct = malloc(n * sizeof *direct);
    size_t at = 0, ig = 0, il = 0;
    while (ig < n_gen || il < n_lim) {
        const double *src = (il < n_lim && (ig >= n_gen || at % 5 == 2))
                                ? lim.data + 20 * il++
                                : gen.data + 20 * ig++;
        memcpy(mom + 20 * at++, src, 20 * sizeof *mom);
    }
    for (size_t i = 0; i < n; i++) {
        direct[i] = direct_measure(mom + 20 * i);
        CHECK_MSG(event_singular_measure(&aag, mom + 20 * i) == direct[i], "event %zu", i);
        CHECK_MSG(direct[i] > 0 && direct[i] < 1, "event %zu: %g", i, direct[i]);
    }
    double *sorted = malloc(n * sizeof *sorted);
    memcpy(sorted, direct, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    unsigned char *near = malloc(n);
    const double fractions[3] = {0.01, 0.2, 0.5};
    for (int f = 0; f < 3; f++) {
        size_t want = eval_near_singular_count(n, fractions[f]);
        double threshold;
        long got = eval_select_near_singular(&aag, mom, n, fractions[f], near, &threshold, &err);
        CHECK_MSG(got == (long)want, "fraction %g: %ld events, want %zu", fractions[f], got,
                  want);
        CHECK(threshold == sorted[want - 1]);
        size_t marked = 0, wrong = 0;
        for (size_t i = 0; i < n; i++) {
            marked += near[i];
            /* the smallest values: all distinct here, so the set is unique */
            wrong += near[i] != (direct[i] <= sorted[want - 1]);
        }
        CHECK_MSG(marked == want && wrong == 0, "fraction %g: %zu marked, %zu wrong",
                  fractions[f], marked, wrong);
    }
    CHECK(sorted[2] < sorted[3]); /* the 1 % set is well-defined */

    /* metrics per region: give the 3 near-singular events (1 % of 250) a relative
     * deviation of 5 % and a pull of 3, the bulk 0.05 % and a pull of 0.5 */
    ba_prediction *p = malloc(n * sizeof *p);
    double *y = malloc(n * sizeof *y);
    eval_select_near_singular(&aag, mom, n, 0.01, near, NULL, &err);
    for (size_t i = 0; i < n; i++) {
        y[i] = -3 + 0.01 * (double)i;
        double d = near[i] ? log(1.05) : log(1.0005);
        double sigma = d / (near[i] ? 3 : 0.5);
        p[i] = (ba_prediction){.mean = y[i] + d, .var_aleatoric = 1.25 * sigma * sigma,
                               .var_epistemic = 0.25 * sigma * sigma};
    }
    eval_metrics m;
    CHECK(eval_metrics_compute(p, y, mom, &aag, n, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
    CHECK(m.has_regions && m.near_singular.n_events == 3 && m.bulk.n_events == n - 3);
    CHECK(m.singular_threshold == sorted[2]);
    CHECK(m.near_singular.frac_below[1] == 0 && m.near_singular.frac_below[2] == 1);
    CHECK(m.bulk.frac_below[0] == 1);
    CHECK_CLOSE(m.near_singular.rel_q[2], 0.05, 1e-9, 0);
    CHECK_CLOSE(m.bulk.rel_q[2], 0.0005, 1e-9, 0);
    CHECK_CLOSE(m.near_singular.total[EVAL_TOTAL_CORRECTED].mean, 3, 1e-9, 0);
    CHECK_CLOSE(m.bulk.total[EVAL_TOTAL_CORRECTED].robust_width, 0, 0, 1e-9);
    CHECK(m.near_singular.total[EVAL_TOTAL_CORRECTED].coverage_95 == 0);
    CHECK(m.bulk.total[EVAL_TOTAL_CORRECTED].coverage_68 == 1);
    CHECK_CLOSE(m.near_singular.total[EVAL_TOTAL_BAYES].mean, 3 / sqrt(1.5), 1e-9, 0);
    CHECK_CLOSE(m.all.frac_below[1], (double)(n - 3) / (double)n, 1e-15, 0);

    /* the JSON: near_singular and bulk with the top level's keys but calibration */
    cJSON *j = eval_metrics_json(&m);
    const char *group_keys[] = {"n_events", "rel_dev", "frac_abs_rel_dev_below", "pull",
                                "coverage", "nll", "nll_no_const", "sigma_aleatoric",
                                "sigma_epistemic", "sigma_total", "bayes_total",
                                "corrected_total"};
    const char *sel_keys[] = {"measure", "fraction", "threshold"};
    CHECK(has_exactly(cJSON_GetObjectItemCaseSensitive(j, "singular_selection"), sel_keys, 3));
    CHECK(json_number(j, "singular_selection", "threshold") == sorted[2]);
    const char *names[2] = {"near_singular", "bulk"};
    for (int g = 0; g < 2; g++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, names[g]);
        CHECK_MSG(has_exactly(o, group_keys, 12), "%s", names[g]);
        CHECK(json_number(o, "n_events", NULL) == (g == 0 ? 3 : (double)(n - 3)));
        CHECK(cJSON_GetObjectItemCaseSensitive(o, "frac_abs_rel_dev_below") &&
              !isnan(json_number(o, "frac_abs_rel_dev_below", "0.001")));
        CHECK(!isnan(json_number(o, "pull", "robust_width")));
        CHECK(!isnan(json_number(o, "coverage", "95")));
        const cJSON *bt = cJSON_GetObjectItemCaseSensitive(o, "bayes_total");
        CHECK(bt && !cJSON_GetObjectItemCaseSensitive(bt, "calibration"));
        CHECK(json_number(bt, "pull", "mean") ==
              (g == 0 ? m.near_singular : m.bulk).total[EVAL_TOTAL_BAYES].mean);
    }
    cJSON_Delete(j);

    /* one event: no near-singular events, their numbers NaN (null in JSON) */
    CHECK(eval_metrics_compute(p, y, mom, &aag, 1, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
    CHECK(m.near_singular.n_events == 0 && m.bulk.n_events == 1);
    CHECK(isnan(m.near_singular.total[0].robust_width) && isnan(m.singular_threshold));
    j = eval_metrics_json(&m);
    CHECK(isnan(json_number(cJSON_GetObjectItemCaseSensitive(j, "near_singular"), "nll", NULL)));
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "near_singular"));
    CHECK_MSG(text && strstr(text, "\"nll\":null"), "%s", text ? text : "(null)");
    free(text);
    cJSON_Delete(j);

    free(p), free(y), free(near), free(sorted), free(mom), free(direct);
    npy_free(&gen);
    npy_free(&lim);
}

/* The plots' files: every .dat and .gp written, histograms that count every event. */
static void test_plot_files(void)
{
    char dir[] = "/tmp/bayesamp-plots-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        check_failed++;
        return;
    }
    enum { N = 5000 };
    ba_prediction *p = malloc(N * sizeof *p);
    double *y = malloc(N * sizeof *y);
    gaussian_toy(N, 0.1, 0.1, 4, p, y);
    eval_metrics m;
    ba_error err;
    CHECK(eval_metrics_compute(p, y, NULL, NULL, N, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
    char history[256];
    snprintf(history, sizeof history, "%s/history.csv", dir);
    FILE *h = fopen(history, "w");
    fprintf(h, "epoch,train_loss,train_nll,train_kl,val_loss,seconds\n"
               "1,2.5,2.4,0.1,2.6,0.5\n2,1.5,1.4,0.1,1.7,0.5\n3,1.2,1.1,0.1,1.8,0.5\n");
    fclose(h);
    plot_inputs in = {.n = N, .pred = p, .n_monte = 30, .log_true = y, .metrics = &m,
                      .history_csv = history};
    plot_list list;
    CHECK_MSG(plots_write(dir, &in, &list, &err) == 0, "%s", err.msg);
    CHECK(list.n == 7 && list.skipped[0] == '\0');
    const char *names[7] = {"loss", "amplitudes", "rel_dev", "uncertainties", "pull",
                            "rel_dev_vs_amp", "calibration"};
    for (int k = 0; k < 7; k++) {
        CHECK_MSG(k < list.n && !strcmp(list.names[k], names[k]), "plot %d", k);
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.dat", dir, names[k]);
        CHECK_MSG(stat(path, &st) == 0 && st.st_size > 0, "%s", path);
        snprintf(path, sizeof path, "%s/%s.gp", dir, names[k]);
        CHECK_MSG(stat(path, &st) == 0 && st.st_size > 0, "%s", path);
    }
    /* the amplitude histogram counts every event once, for truth and BNN */
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/amplitudes.dat", dir);
    FILE *f = fopen(path, "r");
    double sum_true = 0, sum_pred = 0, last_true = 0, last_pred = 0;
    int rows = 0;
    while (f && fgets(line, sizeof line, f)) {
        double e, a, b;
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf", &e, &a, &b) != 3)
            continue;
        sum_true += a, sum_pred += b, last_true = a, last_pred = b;
        rows++;
    }
    if (f)
        fclose(f);
    /* the closing row repeats the last bin */
    CHECK(rows == 61 && sum_true - last_true == N && sum_pred - last_pred == N);
    /* the data files name the corrected definition with its floor */
    snprintf(path, sizeof path, "%s/pull.dat", dir);
    f = fopen(path, "r");
    int has_formula = 0;
    while (f && fgets(line, sizeof line, f))
        has_formula += line[0] == '#' && strstr(line, "Var(mu)/(n-1)") != NULL;
    if (f)
        fclose(f);
    CHECK(has_formula == 1);
    /* the loss data: the best epoch is 2 */
    snprintf(path, sizeof path, "%s/loss.gp", dir);
    f = fopen(path, "r");
    int best = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "BEST = %d", &best) == 1)
            break;
    if (f)
        fclose(f);
    CHECK(best == 2);

    /* calibration.dat: expected, observed corrected, observed bayes; the script draws
     * both curves and the diagonal, labelled */
    snprintf(path, sizeof path, "%s/calibration.dat", dir);
    f = fopen(path, "r");
    rows = 0;
    int match = 0;
    while (f && fgets(line, sizeof line, f)) {
        double c, oc, ob;
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf", &c, &oc, &ob) != 3)
            continue;
        match += rows < METRICS_N_CALIB && fabs(c - m.calib_expected[rows]) < 1e-8 &&
                 fabs(oc - m.all.total[EVAL_TOTAL_CORRECTED].calib_observed[rows]) < 1e-8 &&
                 fabs(ob - m.all.total[EVAL_TOTAL_BAYES].calib_observed[rows]) < 1e-8;
        rows++;
    }
    if (f)
        fclose(f);
    CHECK(rows == METRICS_N_CALIB && match == METRICS_N_CALIB);
    static const char *const calib_wants[] = {"using 1:2", "using 1:3", "corrected:",
                                              "bayes:", "(chosen)", "perfect calibration"};
    static const char *const pull_wants[] = {"corrected:", "robust width"};
    static const char *const unc_wants[] = {"{/Symbol s}_{total} (corrected:"};
    struct {
        const char *file;
        const char *const *wants;
        int n;
    } scripts[3] = {{"calibration.gp", calib_wants, 6}, {"pull.gp", pull_wants, 2},
                    {"uncertainties.gp", unc_wants, 1}};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, scripts[k].file);
        f = fopen(path, "r");
        char text[8192] = "";
        size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        text[len] = '\0';
        if (f)
            fclose(f);
        for (int w = 0; w < scripts[k].n; w++)
            CHECK_MSG(strstr(text, scripts[k].wants[w]) != NULL, "%s: no '%s'",
                      scripts[k].file, scripts[k].wants[w]);
    }

    /* without a history: six plots and the reason */
    in.history_csv = NULL;
    CHECK(plots_write(dir, &in, &list, &err) == 0);
    CHECK(list.n == 6 && list.skipped[0] != '\0');
    snprintf(history, sizeof history, "%s/no-such.csv", dir);
    in.history_csv = history;
    CHECK(plots_write(dir, &in, &list, &err) == 0);
    CHECK_MSG(list.n == 6 && strstr(list.skipped, "no-such.csv"), "%s", list.skipped);
    /* an unwritable folder is an error */
    CHECK(plots_write("/nonexistent/dir", &in, &list, &err) != 0);
    /* so is a number of passes below 1 */
    in.n_monte = 0;
    CHECK(plots_write(dir, &in, &list, &err) != 0);
    in.n_monte = 30;

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    free(p);
    free(y);
}

/* The amplitude-weighted metrics and the largest-amplitude groups against a direct
 * computation. */
static void test_largest_amplitudes(void)
{
    enum { N = 1000 };
    ba_prediction pred[N];
    double y[N];
    ba_rng s;
    ba_rng_init(&s, 7, 0);
    double sum_true = 0, sum_pred = 0, sum_dev = 0;
    for (size_t i = 0; i < N; i++) {
        y[i] = -20 + 15 * ba_rng_uniform(&s);          /* amplitudes over six decades */
        double dev = 0.02 * (ba_rng_uniform(&s) - 0.5); /* log deviations up to +-1 % */
        if (i % 10 == 3)
            dev *= 10;                            /* and some of +-10 % */
        pred[i] = (ba_prediction){.mean = y[i] + dev, .var_aleatoric = 1e-4,
                                  .var_epistemic = 1e-6};
        sum_true += exp(y[i]);
        sum_pred += exp(y[i] + dev);
        sum_dev += exp(y[i]) * fabs(exp(dev) - 1);
    }
    double bias, weighted;
    eval_amplitude_weighted(pred, y, N, &bias, &weighted);
    CHECK_CLOSE(bias, sum_pred / sum_true - 1, 1e-9, 1e-15);
    CHECK_CLOSE(weighted, sum_dev / sum_true, 1e-9, 0);
    /* logs near 700 would overflow exp() without the scaling */
    ba_prediction big[2] = {{.mean = 700.1}, {.mean = 699}};
    double ybig[2] = {700, 699};
    eval_amplitude_weighted(big, ybig, 2, &bias, &weighted);
    CHECK_MSG(isfinite(bias) && isfinite(weighted), "bias %g weighted %g", bias, weighted);
    CHECK_CLOSE(bias, (exp(0.1) + exp(-1)) / (1 + exp(-1)) - 1, 1e-12, 0);

    CHECK(eval_largest_count(1000, 0.01) == 10 && eval_largest_count(1000, 0.1) == 100);
    CHECK(eval_largest_count(5, 0.01) == 1 && eval_largest_count(1, 0.1) == 1);
    CHECK(eval_largest_count(101, 0.1) == 11);

    ba_error err;
    eval_metrics m;
    CHECK(eval_metrics_compute(pred, y, NULL, NULL, N, EVAL_TOTAL_CORRECTED, 30, &m, &err) == 0);
    CHECK_CLOSE(m.sum_bias, sum_pred / sum_true - 1, 1e-9, 1e-15);
    for (int g = 0; g < METRICS_N_LARGEST; g++) {
        size_t c = eval_largest_count(N, metrics_largest_fractions[g]);
        CHECK(m.largest[g].n_events == c);
        /* the c largest by a direct count: their threshold, and the fraction within 1 % */
        double thr = INFINITY;
        size_t within = 0, picked = 0;
        for (size_t i = 0; i < N; i++) {
            size_t above = 0;
            for (size_t j = 0; j < N; j++)
                above += y[j] > y[i];
            if (above < c) {
                picked++;
                thr = fmin(thr, exp(y[i]));
                within += fabs(exp(pred[i].mean - y[i]) - 1) < 0.01;
            }
        }
        CHECK(picked == c);
        CHECK_CLOSE(m.largest_threshold[g], thr, 1e-14, 0);
        CHECK_CLOSE(m.largest[g].frac_below[1], (double)within / c, 1e-14, 0);
    }
    cJSON *j = eval_metrics_json(&m);
    CHECK(j && cJSON_GetObjectItem(j, "amplitude_weighted") &&
          cJSON_GetObjectItem(j, "largest_1pct") && cJSON_GetObjectItem(j, "largest_10pct"));
    cJSON_Delete(j);
}

/* plots_read_history of text, through a memory stream. */
static int read_history_text(const char *text, double **cols, size_t *n, char *why,
                             size_t why_size)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    if (!f)
        return -2;
    int rc = plots_read_history(f, "h.csv", cols, n, why, why_size);
    fclose(f);
    return rc;
}

/* Regression: a row shorter than the header left its values unset (uninitialised
 * memory went into the loss plot), and text or NaN in a loss column was plotted as 0
 * or NaN. Such a history.csv is not one train wrote: the loss plot is left out with a
 * notice naming the row and column. */
static void test_history_rows(void)
{
    double *cols[3];
    size_t n = 0;
    char why[600];
    CHECK(read_history_text("epoch,train_loss,val_loss\n1,2.5,2.6\n2,1.5,1.7\n", cols, &n,
                            why, sizeof why) == 0);
    CHECK(n == 2 && cols[0][1] == 2 && cols[1][1] == 1.5 && cols[2][1] == 1.7);
    for (int k = 0; k < 3; k++)
        free(cols[k]);
    CHECK(read_history_text("epoch,train_loss,val_loss\r\n1,2.5,2.6\r\n", cols, &n, why,
                            sizeof why) == 0 && n == 1 && cols[2][0] == 2.6);
    for (int k = 0; k < 3; k++)
        free(cols[k]);
    static const char *bad[][2] = {
        {"epoch,train_loss,val_loss\n1,2.5,2.6\n2,1.5\n", "data row 2: column 'val_loss'"},
        {"epoch,train_loss,val_loss\n1,x,2.6\n", "data row 1: column 'train_loss'"},
        {"epoch,train_loss,val_loss\n1,2.5,nan\n", "column 'val_loss'"},
        {"epoch,train_loss,val_loss\n1,2.5,2.6abc\n", "column 'val_loss'"},
        {"epoch,train_loss\n1,2.5\n", "no column 'val_loss'"},
        {"epoch,train_loss,val_loss\n", "no epochs"},
        {"", "empty file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cols[0] = cols[1] = cols[2] = (double *)1; /* must come back NULL */
        int rc = read_history_text(bad[i][0], cols, &n, why, sizeof why);
        CHECK_MSG(rc == -1 && strstr(why, bad[i][1]) && strstr(why, "h.csv") == why,
                  "case %zu: rc %d, \"%s\"", i, rc, why);
        CHECK(!cols[0] && !cols[1] && !cols[2]);
    }
}

int main(void)
{
    process_default(&aag);
    test_quantiles();
    test_coverage_z();
    test_known_events();
    test_gaussian_toys();
    test_total_definitions();
    test_rescale();
    test_near_singular();
    test_largest_amplitudes();
    test_plot_files();
    test_history_rows();
    return test_summary("test_metrics");
}

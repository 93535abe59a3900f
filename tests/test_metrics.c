/* The evaluation metrics (src/eval/metrics.c) on predictions with known answers: a few
 * hand-made events, numpy's quantiles, the Gaussian quantile z(c), and large Gaussian
 * toys whose uncertainties are calibrated, too small or too large. Also the plots'
 * data files (src/io/plots.c), which need no gnuplot. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
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
#include "eval/metrics.h"
#include "io/plots.h"

static const double LOG_2PI = 1.8378770664093453; /* log(2 pi) */

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
     * 0; total variance 1, 0.25, 4, 1 split between aleatoric and epistemic */
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
    CHECK(eval_metrics_compute(p, y, 4, &m, &err) == 0);
    CHECK(m.n_events == 4);
    double mean = (0.005 - 0.05 + 0.2 + 0) / 4;
    double var_r = 0;
    for (int i = 0; i < 4; i++)
        var_r += (r[i] - mean) * (r[i] - mean) / 4;
    CHECK_CLOSE(m.rel_mean, mean, 1e-12, 0);
    CHECK_CLOSE(m.rel_std, sqrt(var_r), 1e-12, 0);
    /* sorted r: -0.05, 0, 0.005, 0.2; q50 = (0 + 0.005) / 2 */
    CHECK_CLOSE(m.rel_q[2], 0.0025, 1e-9, 0);
    CHECK_CLOSE(m.rel_q[0], -0.05 + 0.15 * 0.05, 1e-9, 0);
    CHECK_CLOSE(m.rel_q[4], 0.005 + 0.85 * 0.195, 1e-9, 0);
    CHECK(m.frac_below_1pc == 0.5);  /* 0.005 and 0 */
    CHECK(m.frac_below_10pc == 0.75); /* all but 0.2 */
    double pull[4];
    for (int i = 0; i < 4; i++)
        pull[i] = log1p(r[i]) / sqrt(var[i]);
    double pm = (pull[0] + pull[1] + pull[2] + pull[3]) / 4, ps = 0, nll = 0;
    for (int i = 0; i < 4; i++) {
        ps += (pull[i] - pm) * (pull[i] - pm) / 4;
        nll += pull[i] * pull[i] / 2 + 0.5 * log(var[i]);
    }
    CHECK_CLOSE(m.pull_mean, pm, 1e-12, 0);
    CHECK_CLOSE(m.pull_std, sqrt(ps), 1e-12, 0);
    CHECK(m.coverage_68 == 1 && m.coverage_95 == 1); /* all pulls are small */
    CHECK_CLOSE(m.nll_no_const, nll / 4, 1e-12, 0);
    CHECK_CLOSE(m.nll, nll / 4 + 0.5 * LOG_2PI, 1e-12, 0);
    /* sigma_aleatoric = sqrt(0.75 var): sorted var 0.25, 1, 1, 4 -> median sqrt(0.75) */
    CHECK_CLOSE(m.sigma_aleatoric_median, sqrt(0.75), 1e-12, 0);
    CHECK_CLOSE(m.sigma_epistemic_median, sqrt(0.25), 1e-12, 0);
    CHECK_CLOSE(m.sigma_total_median, 1.0, 1e-12, 0);
    CHECK(eval_metrics_compute(p, y, 0, &m, &err) != 0);

    /* the JSON has exactly the documented keys */
    cJSON *j = eval_metrics_json(&m);
    const char *keys[] = {"n_events", "rel_dev", "frac_abs_rel_dev_below", "pull", "coverage",
                          "nll", "nll_no_const", "sigma_aleatoric", "sigma_epistemic",
                          "sigma_total", "seconds", "calibration"};
    int n_keys = (int)(sizeof keys / sizeof *keys);
    CHECK(cJSON_GetArraySize(j) == n_keys);
    for (int k = 0; k < n_keys; k++)
        CHECK_MSG(cJSON_GetObjectItemCaseSensitive(j, keys[k]) != NULL, "no key %s", keys[k]);
    const char *rel_keys[] = {"mean", "std", "q05", "q16", "q50", "q84", "q95"};
    cJSON *rel = cJSON_GetObjectItemCaseSensitive(j, "rel_dev");
    CHECK(cJSON_GetArraySize(rel) == 7);
    for (int k = 0; k < 7; k++)
        CHECK(cJSON_GetObjectItemCaseSensitive(rel, rel_keys[k]) != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(j, "frac_abs_rel_dev_below"), "0.01") != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(j, "frac_abs_rel_dev_below"), "0.1") != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "coverage"),
                                           "68") != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "coverage"),
                                           "95") != NULL);
    cJSON *q50 = cJSON_GetObjectItemCaseSensitive(rel, "q50");
    CHECK(cJSON_IsNumber(q50) && q50->valuedouble == m.rel_q[2]);
    cJSON *cal = cJSON_GetObjectItemCaseSensitive(j, "calibration");
    CHECK(cJSON_GetArraySize(cal) == METRICS_N_CALIB);
    CHECK(cJSON_GetArraySize(cJSON_GetArrayItem(cal, 0)) == 2);
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
    /* calibrated: pulls ~ N(0, 1). Statistical errors for N = 2e5: mean 0.0022, std
     * 0.0016, a coverage 0.001; tolerances are about 4 of them. */
    const double s = 0.05;
    gaussian_toy(N, s, s, 1, p, y);
    CHECK(eval_metrics_compute(p, y, N, &m, &err) == 0);
    CHECK_CLOSE(m.pull_mean, 0, 0, 0.01);
    CHECK_CLOSE(m.pull_std, 1, 0.007, 0);
    CHECK_CLOSE(m.coverage_68, 0.6827, 0, 0.004);
    CHECK_CLOSE(m.coverage_95, 0.95, 0, 0.003);
    for (int k = 0; k < METRICS_N_CALIB; k++)
        CHECK_MSG(fabs(m.calib_observed[k] - m.calib_expected[k]) < 0.005,
                  "coverage %g: observed %g", m.calib_expected[k], m.calib_observed[k]);
    /* NLL = E[p^2]/2 + log(s) + log(2 pi)/2 */
    CHECK_CLOSE(m.nll, 0.5 + log(s) + 0.5 * LOG_2PI, 0, 0.01);
    CHECK_CLOSE(m.nll - m.nll_no_const, 0.5 * LOG_2PI, 1e-12, 0);
    CHECK_CLOSE(m.sigma_total_median, s, 1e-12, 0);
    CHECK_CLOSE(m.sigma_aleatoric_median, s * sqrt(2.0 / 3), 1e-12, 0);
    /* relative deviation exp(-s z) - 1: median 0, 16 % and 84 % quantiles at
     * exp(-+s) - 1; |r| < 0.01 for |z| < ~0.2 (a fraction 0.159) */
    CHECK_CLOSE(m.rel_q[2], 0, 0, 0.0005);
    CHECK_CLOSE(m.rel_q[1], expm1(-s), 0.02, 0);
    CHECK_CLOSE(m.rel_q[3], expm1(s), 0.02, 0);
    double z_lo = -log1p(0.01) / s, z_hi = -log1p(-0.01) / s; /* |r| < 0.01 <=> z in */
    double frac = 0.5 * (erf(z_hi / sqrt(2.0)) - erf(z_lo / sqrt(2.0)));
    CHECK_CLOSE(m.frac_below_1pc, frac, 0, 0.004);

    /* uncertainties half as large as the scatter: pull std 2, P(|z| < 1/2) = 0.383 */
    gaussian_toy(N, s, s / 2, 2, p, y);
    CHECK(eval_metrics_compute(p, y, N, &m, &err) == 0);
    CHECK_CLOSE(m.pull_std, 2, 0.007, 0);
    CHECK_CLOSE(m.coverage_68, 0.3829, 0, 0.004);
    CHECK(m.calib_observed[9] < m.calib_expected[9] - 0.1); /* below the diagonal */
    /* twice as large: pull std 0.5, P(|z| < 2) = 0.954 */
    gaussian_toy(N, s, 2 * s, 3, p, y);
    CHECK(eval_metrics_compute(p, y, N, &m, &err) == 0);
    CHECK_CLOSE(m.pull_std, 0.5, 0.007, 0);
    CHECK_CLOSE(m.coverage_68, 0.9545, 0, 0.003);
    CHECK(m.calib_observed[9] > m.calib_expected[9] + 0.1); /* above */
    free(p);
    free(y);
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
    CHECK(eval_metrics_compute(p, y, N, &m, &err) == 0);
    char history[256];
    snprintf(history, sizeof history, "%s/history.csv", dir);
    FILE *h = fopen(history, "w");
    fprintf(h, "epoch,train_loss,train_nll,train_kl,val_loss,seconds\n"
               "1,2.5,2.4,0.1,2.6,0.5\n2,1.5,1.4,0.1,1.7,0.5\n3,1.2,1.1,0.1,1.8,0.5\n");
    fclose(h);
    plot_inputs in = {.n = N, .pred = p, .log_true = y, .metrics = &m, .history_csv = history};
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

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    free(p);
    free(y);
}

int main(void)
{
    test_quantiles();
    test_coverage_z();
    test_known_events();
    test_gaussian_toys();
    test_plot_files();
    return test_summary("test_metrics");
}

/* The uncertainty calibration (ba_model_calibrate_uncertainty): on validation events
 * whose truths scatter around the network's prediction by known multiples of its own
 * sigma, one multiple per group of predicted amplitude (below and above the 90 % quantile),
 * the fitted scales recover those multiples and the slope is about 0; with a multiple that
 * grows as exp(0.4 (log A - edge)) above the edge the fit recovers that slope; calibrated
 * predictions are the uncalibrated ones with both variances times the square of their
 * factor; the calibration survives a save and load bit for bit; bad calibration metadata
 * is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/rng.h"
#include "data/features.h"
#include "eval/metrics.h"
#include "nn/model.h"
#include "physics/process.h"

#define NF 10
#define N 20000

int main(void)
{
    ba_error err;
    ba_arch arch = {.n_inputs = NF, .n_hidden = 2, .hidden = {16, 16}, .prior_sigma = 1,
                    .activation = BA_ACTIVATION_SILU};
    ba_model *m = ba_model_create(&arch, 3, &err);
    CHECK_MSG(m != NULL, "%s", err.msg);
    if (!m)
        return test_summary("test_calibrate");
    ba_preprocessing *pre = ba_model_preprocessing(m);
    pre->features = BA_FEATURES_INVARIANTS;
    pre->n_features = NF;
    pre->standardize = 0;
    pre->y_std = 1;
    for (int k = 0; k < NF; k++)
        pre->x_std[k] = 1;
    process_default(&pre->process);

    /* features: log s12 around 12, the ratios around -1.5 */
    ba_real *x = malloc((size_t)N * NF * sizeof *x), *y = malloc(N * sizeof *y);
    double *z = malloc(N * sizeof *z);
    ba_rng rng;
    ba_rng_init(&rng, 11, 0);
    for (size_t i = 0; i < (size_t)N * NF; i++)
        x[i] = (ba_real)((i % NF == 0 ? 12.0 : -1.5) + ba_rng_normal(&rng));
    for (int i = 0; i < N; i++)
        z[i] = ba_rng_normal(&rng);

    ba_predict_config pc = ba_predict_defaults();
    pc.n_monte = 8;
    pc.seed = 5;
    ba_prediction *raw = malloc(N * sizeof *raw), *cal = malloc(N * sizeof *cal);
    ba_predictor *p = ba_predictor_create(m, &pc, &err);
    CHECK(p && ba_predict_features(p, x, N, 0, raw, &err) == 0);
    ba_predictor_free(p);

    /* truths: mean + true_scale[g] z sigma, the group by predicted log A */
    double *log_a = malloc(N * sizeof *log_a), *sorted = malloc(N * sizeof *sorted);
    for (int i = 0; i < N; i++)
        sorted[i] = log_a[i] = features_log_amplitude(pre, x + (size_t)i * NF, (ba_real)raw[i].mean);
    sort_doubles(sorted, N);
    double e90 = quantile_sorted(sorted, N, 0.90);
    const double true_scale[2] = {1.0, 2.0};
    for (int i = 0; i < N; i++) {
        int g = log_a[i] < e90 ? 0 : 1;
        double s = sqrt(eval_total_variance(&raw[i], EVAL_TOTAL_CORRECTED, pc.n_monte));
        y[i] = (ba_real)(raw[i].mean + true_scale[g] * z[i] * s);
    }
    ba_split val = {.n = N, .n_features = NF, .x = x, .y = y};
    double edges[1], scales[2];
    CHECK(ba_model_uncertainty_calibration(m, edges, scales) == 0 && scales[1] == 1);
    CHECK_MSG(ba_model_calibrate_uncertainty(m, &val, &pc, &err) == 0, "%s", err.msg);
    CHECK(ba_model_uncertainty_calibration(m, edges, scales) == 2);
    CHECK_CLOSE(edges[0], e90, 1e-5, 1e-5);
    /* the robust width of n Gaussian pulls is good to about 1.1 / sqrt(n) (float32 targets
     * add nothing at this level): 18000 and 2000 events */
    CHECK_CLOSE(scales[0], true_scale[0], 0.03, 0);
    CHECK_CLOSE(scales[1], true_scale[1], 0.12, 0);
    double end, slope = ba_model_uncertainty_slope(m, &end);
    CHECK_MSG(fabs(slope) < 0.15, "slope %g of a constant multiple", slope);
    CHECK(end == sorted[N - 1]);

    /* a growing multiple: 1.5 exp(0.4 (log A - e90)) above the edge */
    for (int i = 0; i < N; i++) {
        double k = log_a[i] < e90 ? 1.0 : 1.5 * exp(0.4 * (log_a[i] - e90));
        double s = sqrt(eval_total_variance(&raw[i], EVAL_TOTAL_CORRECTED, pc.n_monte));
        y[i] = (ba_real)(raw[i].mean + k * z[i] * s);
    }
    CHECK_MSG(ba_model_calibrate_uncertainty(m, &val, &pc, &err) == 0, "%s", err.msg);
    ba_model_uncertainty_calibration(m, edges, scales);
    slope = ba_model_uncertainty_slope(m, &end);
    CHECK_CLOSE(scales[1], 1.5, 0.12, 0);
    CHECK_CLOSE(slope, 0.4, 0.12, 0);

    /* calibrated predictions: the same means, variances times the group's scale squared */
    p = ba_predictor_create(m, &pc, &err);
    CHECK(p && ba_predict_features(p, x, N, 0, cal, &err) == 0);
    ba_predictor_free(p);
    int same = 1;
    for (int i = 0; i < N; i++) {
        int g = log_a[i] < edges[0] ? 0 : 1;
        double k = g == 0 ? scales[0] : scales[1] * exp(slope * (fmin(log_a[i], end) - edges[0]));
        double k2 = k * k;
        same &= cal[i].mean == raw[i].mean &&
                fabs(cal[i].var_aleatoric - k2 * raw[i].var_aleatoric) <= 1e-12 * k2 * raw[i].var_aleatoric &&
                fabs(cal[i].var_epistemic - k2 * raw[i].var_epistemic) <= 1e-12 * k2 * raw[i].var_epistemic + 1e-300;
    }
    CHECK(same);

    /* save and load: the same calibration and the same predictions, bit for bit */
    const char *path = "test_calibrate.safetensors";
    CHECK_MSG(ba_model_save(m, path, &err) == 0, "%s", err.msg);
    ba_model *back = ba_model_load(path, &err);
    CHECK_MSG(back != NULL, "%s", err.msg);
    if (back) {
        double e2[1], s2[2], end2, slope2 = ba_model_uncertainty_slope(back, &end2);
        CHECK(ba_model_uncertainty_calibration(back, e2, s2) == 2 &&
              memcmp(e2, edges, sizeof e2) == 0 && memcmp(s2, scales, sizeof s2) == 0 &&
              slope2 == slope && end2 == end);
        ba_prediction *again = malloc(N * sizeof *again);
        p = ba_predictor_create(back, &pc, &err);
        CHECK(p && ba_predict_features(p, x, N, 0, again, &err) == 0);
        CHECK(memcmp(again, cal, N * sizeof *cal) == 0);
        ba_predictor_free(p);
        free(again);
        ba_model_free(back);
    }
    /* an uncalibrated model saves no calibration keys; a bad scale is refused */
    m->sigma_slope = NAN;
    CHECK(ba_model_save(m, path, &err) == 0);
    back = ba_model_load(path, &err);
    CHECK(back == NULL && strstr(err.msg, "sigma_slope_end") && strstr(err.msg, path));
    m->sigma_slope = 0;
    m->sigma_scale[1] = -1;
    CHECK(ba_model_save(m, path, &err) == 0);
    back = ba_model_load(path, &err);
    CHECK(back == NULL && strstr(err.msg, "sigma_scales") && strstr(err.msg, path));
    remove(path);

    free(x), free(y), free(z), free(raw), free(cal), free(log_a), free(sorted);
    ba_model_free(m);
    return test_summary("test_calibrate");
}

/* The surrogate with an exact fallback (src/eval/hybrid.c): which events go to the exact
 * code, that the callback sees exactly those, in order, and that the rows hold what
 * each side gave. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "check.h"
#include "eval/metrics.h"
#include "nn/model.h"

#define NF 20
enum { N = 400 };

static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) * 0x1p-53;
}

/* A small network whose weight noise differs from weight to weight (logsig2 in
 * [-14, -2]), so that the events' uncertainties spread over decades. */
static ba_model *test_model(void)
{
    ba_arch arch = {.n_inputs = NF, .n_hidden = 2, .hidden = {16, 16}, .prior_sigma = 1};
    ba_error err;
    ba_model *m = ba_model_create(&arch, 11, &err);
    uint64_t s = 5;
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        for (size_t i = 0; i < L->n_weights; i++)
            m->params[L->logsig2_w + i] = (ba_real)(-14 + 12 * uniform(&s));
    }
    /* the output's log-variance bias low, so that the aleatoric part does not decide */
    m->params[m->layers[m->n_layers - 1].bias + 1] = -12;
    ba_model_preprocessing(m)->gluon_pt_mean = 50;
    return m;
}

typedef struct fake_exact {
    int calls;
    size_t n;
    double momenta[N * NF];
    int fail;
} fake_exact;

/* A recognisable "exact" amplitude: 1000 + the first energy of the event. */
static int fake_amplitudes(const double *momenta, size_t n, double *amp, void *user,
                           ba_error *err)
{
    fake_exact *f = user;
    f->calls++;
    f->n = n;
    memcpy(f->momenta, momenta, n * NF * sizeof *momenta);
    if (f->fail) {
        snprintf(err->msg, sizeof err->msg, "the exact code failed");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        amp[i] = 1000 + momenta[i * NF];
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    ba_model *m = test_model();
    uint64_t s = 3;
    double *mom = malloc(N * NF * sizeof *mom);
    for (size_t i = 0; i < N * NF; i++)
        mom[i] = 200 * uniform(&s) - 100;
    for (size_t i = 0; i < N * 5; i++)
        mom[4 * i] = fabs(mom[4 * i]) + 100;

    ba_hybrid_config cfg = ba_hybrid_defaults();
    CHECK(cfg.tolerance == 0.01 && cfg.confidence == 0.99 && cfg.predict.n_monte == 30);
    cfg.predict.threads = 2;
    ba_error err;

    /* the same prediction, directly */
    ba_prediction pred[N];
    ba_predictor *p = ba_predictor_create(m, &cfg.predict, &err);
    CHECK(p && ba_predict_momenta(p, mom, N, 0, pred, &err) == 0);
    ba_predictor_free(p);

    /* tolerances at the median and the 90 % quantile of the events' sigma, and one
     * below all of them */
    double sigmas[N];
    for (size_t i = 0; i < N; i++)
        sigmas[i] = sqrt(eval_total_variance(&pred[i], EVAL_TOTAL_CORRECTED, 30));
    qsort(sigmas, N, sizeof *sigmas, compare_doubles);
    double z = coverage_z(cfg.confidence);
    double tolerances[3] = {expm1(z * sigmas[N / 2]), expm1(z * sigmas[9 * N / 10]),
                            expm1(z * sigmas[0] / 2)};
    size_t n_exact[3];
    for (int t = 0; t < 3; t++) {
        cfg.tolerance = tolerances[t];
        fake_exact *f = calloc(1, sizeof *f);
        double amp[N];
        unsigned char flag[N];
        ba_hybrid_stats st;
        CHECK_MSG(ba_hybrid_amplitudes(m, mom, N, &cfg, fake_amplitudes, f, amp, flag, &st,
                                       &err) == 0, "%s", err.msg);
        double max_sigma = log1p(cfg.tolerance) / coverage_z(cfg.confidence);
        CHECK_CLOSE(st.max_sigma, max_sigma, 1e-15, 0);
        size_t expected = 0, bad_flag = 0, bad_amp = 0, j = 0, bad_order = 0;
        for (size_t i = 0; i < N; i++) {
            double sigma = sqrt(eval_total_variance(&pred[i], EVAL_TOTAL_CORRECTED, 30));
            int want = sigma > max_sigma;
            expected += want;
            bad_flag += flag[i] != want;
            if (flag[i]) {
                bad_amp += amp[i] != 1000 + mom[i * NF];
                bad_order += j >= f->n || memcmp(f->momenta + j * NF, mom + i * NF,
                                                 NF * sizeof *mom) != 0;
                j++;
            } else {
                bad_amp += amp[i] != exp(pred[i].mean);
            }
        }
        n_exact[t] = expected;
        CHECK_MSG(bad_flag == 0, "tolerance %g: %zu flags differ from z sigma > log(1 + tol)",
                  tolerances[t], bad_flag);
        CHECK_MSG(bad_amp == 0, "tolerance %g: %zu amplitudes are not their side's",
                  tolerances[t], bad_amp);
        CHECK_MSG(bad_order == 0 && f->n == expected && st.n_exact == expected,
                  "tolerance %g: the callback saw %zu events, %zu expected", tolerances[t],
                  f->n, expected);
        CHECK(f->calls == (expected > 0)); /* once, and not at all with nothing to do */
        CHECK(st.n_events == N);
        free(f);
    }
    /* about half the events above the median, a tenth above the 90 % quantile, all
     * above half the smallest sigma */
    CHECK_MSG(n_exact[0] >= N / 2 - 2 && n_exact[0] <= N / 2, "median: %zu of %d exact",
              n_exact[0], N);
    CHECK(n_exact[1] < n_exact[0] && n_exact[2] == N);

    /* errors: bad settings, no callback, a failing callback */
    double amp[N];
    unsigned char flag[N];
    cfg.tolerance = 0;
    CHECK(ba_hybrid_amplitudes(m, mom, N, &cfg, fake_amplitudes, NULL, amp, flag, NULL,
                               &err) != 0 && strstr(err.msg, "tolerance"));
    cfg.tolerance = 0.01;
    cfg.confidence = 1;
    CHECK(ba_hybrid_amplitudes(m, mom, N, &cfg, fake_amplitudes, NULL, amp, flag, NULL,
                               &err) != 0 && strstr(err.msg, "confidence"));
    cfg.confidence = 0.99;
    CHECK(ba_hybrid_amplitudes(m, mom, N, &cfg, NULL, NULL, amp, flag, NULL, &err) != 0);
    fake_exact *f = calloc(1, sizeof *f);
    f->fail = 1;
    CHECK(ba_hybrid_amplitudes(m, mom, N, &cfg, fake_amplitudes, f, amp, flag, NULL, &err) != 0);
    CHECK_MSG(strstr(err.msg, "the exact code failed") != NULL, "%s", err.msg);
    free(f);
    free(mom);
    ba_model_free(m);
    return test_summary("test_hybrid");
}

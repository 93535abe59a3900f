/* The network's inputs from momenta: the invariants against a direct formula, their
 * invariance under boosts, rotations and the exchange of the photons, the targets and
 * their inverse, and standardisation through the data loader. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lorentz.h"
#include "data/features.h"
#include "data/npy.h"
#include "physics/process.h"

#define REF BAYESAMP_SHARED "/reference/ref_dat.npy"
#define N_PARTICLES 5
#define N_INVARIANT_FEATURES 10

static void swap_photons(double *event)
{
    for (int d = 0; d < 4; d++) {
        double t = event[8 + d];
        event[8 + d] = event[12 + d];
        event[12 + d] = t;
    }
}

static double max_feature_change(const double *a, const double *b, int n)
{
    double worst = 0;
    for (int k = 0; k < n; k++)
        worst = fmax(worst, fabs(a[k] - b[k]));
    return worst;
}

int main(void)
{
    npy_array ref;
    ba_error err;
    if (npy_read(REF, &ref, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    size_t n = ref.shape[0];
    ba_process aag; /* the reference events are g g > a a g */
    process_default(&aag);
    double worst_s = 0, worst_boost = 0, worst_rot = 0, worst_swap = 0;
    for (size_t e = 0; e < n; e++) {
        const double *event = ref.data + e * 20;
        /* invariants against the direct formula, in the canonical photon order */
        double s[N_INVARIANT_FEATURES];
        event_invariants(&aag, event, s);
        int swapped = direct_invariant(event, event + 12) < direct_invariant(event, event + 8);
        int order[5] = {0, 1, swapped ? 3 : 2, swapped ? 2 : 3, 4}, k = 0;
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++, k++) {
                double want = direct_invariant(event + 4 * order[i], event + 4 * order[j]);
                worst_s = fmax(worst_s, fabs(s[k] - want) / want);
            }
        double f[N_INVARIANT_FEATURES], g[N_INVARIANT_FEATURES], copy[20];
        CHECK(event_features(BA_FEATURES_INVARIANTS, &aag, event, 1, f) == 0);
        CHECK(fabs(f[0] - log(direct_invariant(event, event + 4))) < 1e-12);
        memcpy(copy, event, sizeof copy);
        boost(copy, N_PARTICLES, (const double[3]){0, 0, 1}, 0.9);
        event_features(BA_FEATURES_INVARIANTS, &aag, copy, 1, g);
        worst_boost = fmax(worst_boost, max_feature_change(f, g, N_INVARIANT_FEATURES));
        memcpy(copy, event, sizeof copy);
        rotate(copy, N_PARTICLES, 2.1);
        event_features(BA_FEATURES_INVARIANTS, &aag, copy, 1, g);
        worst_rot = fmax(worst_rot, max_feature_change(f, g, N_INVARIANT_FEATURES));
        memcpy(copy, event, sizeof copy);
        swap_photons(copy);
        event_features(BA_FEATURES_INVARIANTS, &aag, copy, 1, g);
        worst_swap = fmax(worst_swap, max_feature_change(f, g, N_INVARIANT_FEATURES));

        /* targets and their inverse */
        double amp = 1e-7 * (1 + (double)e);
        double t = event_target(BA_FEATURES_INVARIANTS, &aag, event, amp);
        CHECK(fabs(t - log(amp * direct_invariant(event, event + 4))) < 1e-12);
        CHECK(fabs(target_to_log_amplitude(BA_FEATURES_INVARIANTS, &aag, event, t) - log(amp)) < 1e-12);
        CHECK(event_target(BA_FEATURES_MOMENTA, &aag, event, amp) == log(amp));

        /* log A back from a standardised training row (the trainer's amplitude weights) */
        ba_preprocessing pre = {.features = BA_FEATURES_INVARIANTS, .standardize = 1,
                                .y_mean = -4.4, .y_std = 1.5, .process = aag};
        ba_real x[N_INVARIANT_FEATURES];
        for (int i = 0; i < N_INVARIANT_FEATURES; i++) {
            pre.x_mean[i] = 0.3 * i - 1, pre.x_std[i] = 0.5 + 0.1 * i;
            x[i] = (ba_real)((f[i] - pre.x_mean[i]) / pre.x_std[i]);
        }
        ba_real y = (ba_real)((t - pre.y_mean) / pre.y_std);
        /* float32 rows: log s12 ~ 12 and the target to 1e-7 relative */
        CHECK_CLOSE(features_log_amplitude(&pre, x, y), log(amp), 0, 1e-5);
        pre.features = BA_FEATURES_MOMENTA, pre.standardize = 0;
        ba_real y_raw = (ba_real)log(amp);
        CHECK(features_log_amplitude(&pre, x, y_raw) == (double)y_raw);
    }
    printf("max relative deviation of s_ij from 2 p_i.p_j: %.2e\n", worst_s);
    printf("max change of a feature: boost %.2e, rotation %.2e, photon exchange %.2e\n",
           worst_boost, worst_rot, worst_swap);
    CHECK(worst_s < 1e-12);
    CHECK(worst_boost < 1e-11 && worst_rot < 1e-11);
    CHECK(worst_swap == 0); /* the canonical order makes it exact */

    /* Nearly collinear pairs keep their precision: two photons 1e-7 rad apart. */
    double a[4] = {100, 100 * sin(1.0), 0, 100 * cos(1.0)};
    double b[4] = {50, 50 * sin(1.0 + 1e-7), 0, 50 * cos(1.0 + 1e-7)};
    /* 2 E_a E_b (1 - cos theta) by its series: 2 (1 - cos t) = t^2 (1 - t^2 / 12) */
    double want = 100 * 50 * 1e-14 * (1 - 1e-14 / 12);
    CHECK_CLOSE(massless_invariant(a, b), want, 1e-7, 0);

    /* Momenta features divide by the constant; invalid invariants are refused. */
    double f20[20];
    CHECK(event_features(BA_FEATURES_MOMENTA, &aag, ref.data, 2.0, f20) == 0 &&
          f20[5] == ref.data[5] / 2.0);
    double bad[20];
    memcpy(bad, ref.data, sizeof bad);
    memcpy(bad + 16, bad + 12, 4 * sizeof *bad); /* gluon = photon 2: s_45 = 0 */
    double fb[N_INVARIANT_FEATURES];
    CHECK(event_features(BA_FEATURES_INVARIANTS, &aag, bad, 1, fb) != 0);
    npy_free(&ref);
    return test_summary("test_features");
}

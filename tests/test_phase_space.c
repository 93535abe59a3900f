/* The LHC phase-space generator (src/physics/phase_space.h): kinematics, cuts,
 * the distributions it is defined by, and reproducibility per (seed, event index).
 *
 * The distribution tests are chi-square tests with fixed seeds, so they are
 * deterministic; the threshold is the 0.1 % quantile of chi^2 with 19 degrees of
 * freedom (20 bins), i.e. a correct generator fails one of them for 1 seed in 1000.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/rng.h"
#include "physics/amplitude.h"
#include "physics/phase_space.h"

#define N_BINS 20
#define CHI2_19_P001 43.82 /* P(chi^2_19 > 43.82) = 0.001 */
#define PI 3.14159265358979323846

typedef double event[5][4];

/* ---------------------------------------------------------------- histograms */

typedef struct histogram {
    double lo, hi;
    long count[N_BINS];
    long n, outside;
} histogram;

static histogram hist_make(double lo, double hi)
{
    histogram h = {.lo = lo, .hi = hi};
    return h;
}

static void hist_fill(histogram *h, double x)
{
    h->n++;
    if (!(x >= h->lo && x <= h->hi)) {
        h->outside++;
        return;
    }
    int bin = (int)((x - h->lo) / (h->hi - h->lo) * N_BINS);
    h->count[bin < N_BINS ? bin : N_BINS - 1]++;
}

/* Chi-square of the histogram against a flat distribution over [lo, hi]. */
static double hist_chi2_flat(const histogram *h)
{
    double expected = (double)h->n / N_BINS, chi2 = 0;
    for (int b = 0; b < N_BINS; b++)
        chi2 += (h->count[b] - expected) * (h->count[b] - expected) / expected;
    return chi2;
}

static void check_flat(const histogram *h, const char *what)
{
    double chi2 = hist_chi2_flat(h);
    printf("chi2/dof %-40s %6.2f / 19\n", what, chi2);
    CHECK_MSG(h->outside == 0, "%s: %ld values outside [%g, %g]", what, h->outside, h->lo,
              h->hi);
    CHECK_MSG(chi2 < CHI2_19_P001, "%s: chi2 = %.2f for 19 degrees of freedom", what, chi2);
}

/* ---------------------------------------------------------------- kinematics */

static double minkowski_square(const double k[4])
{
    return k[0] * k[0] - k[1] * k[1] - k[2] * k[2] - k[3] * k[3];
}

/* Largest |p_i^2|/E_i^2 and largest |sum in - sum out| / (E1 + E2). */
static void kinematic_errors(const event p, double *mass, double *balance)
{
    *mass = 0;
    for (int i = 0; i < 5; i++)
        *mass = fmax(*mass, fabs(minkowski_square(p[i])) / (p[i][0] * p[i][0]));
    *balance = 0;
    for (int mu = 0; mu < 4; mu++)
        *balance = fmax(*balance, fabs(p[0][mu] + p[1][mu] - p[2][mu] - p[3][mu] - p[4][mu]) /
                                      (p[0][0] + p[1][0]));
}

/* The cuts, written out again independently of ps_passes_cuts. */
static int cuts_hold(const ps_settings *s, const event p)
{
    double eta[3], phi[3];
    for (int i = 0; i < 3; i++) {
        const double *k = p[2 + i];
        double pt = sqrt(k[1] * k[1] + k[2] * k[2]);
        double abs_p = sqrt(pt * pt + k[3] * k[3]);
        eta[i] = 0.5 * log((abs_p + k[3]) / (abs_p - k[3]));
        phi[i] = atan2(k[2], k[1]);
        if (pt <= s->pt_min)
            return 0;
        if (fabs(eta[i]) >= (i < 2 ? s->eta_photon_max : s->eta_gluon_max))
            return 0;
    }
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            double dphi = fmod(fabs(phi[i] - phi[j]), 2 * PI);
            dphi = fmin(dphi, 2 * PI - dphi);
            if (hypot(eta[i] - eta[j], dphi) <= s->dr_min)
                return 0;
        }
    return 1;
}

static void test_settings(void)
{
    ps_settings s = ps_settings_default();
    CHECK(s.sqrt_s == 13000 && s.mhat_min == 200 && s.mhat_max == 2000 && s.y_max == 2);
    CHECK(s.pt_min == 20 && s.eta_photon_max == 2.5 && s.eta_gluon_max == 5 &&
          s.dr_min == 0.4);
    char why[200];
    CHECK(ps_settings_check(&s, why, sizeof why) == 0);

    ps_settings bad = s;
    bad.mhat_max = 20000;
    CHECK(ps_settings_check(&bad, why, sizeof why) != 0 && strstr(why, "sqrt_s"));
    bad = s;
    bad.mhat_min = 3000;
    CHECK(ps_settings_check(&bad, why, sizeof why) != 0 && strstr(why, "mhat_min"));
    bad = s;
    bad.pt_min = NAN;
    CHECK(ps_settings_check(&bad, why, sizeof why) != 0 && strstr(why, "finite"));
    bad = s;
    bad.pt_min = 700;
    CHECK(ps_settings_check(&bad, why, sizeof why) != 0 && strstr(why, "pt_min"));

    CHECK(ps_rapidity_limit(&s, 200) == 2.0);
    CHECK_CLOSE(ps_rapidity_limit(&s, 2000), log(6.5), 1e-15, 0);
}

/* Many events: massless, momentum conserving, valid for the amplitude, inside the
 * partonic ranges, and passing the cuts. */
static void test_events(void)
{
    const ps_settings s = ps_settings_default();
    const int n = 5000;
    double worst_mass = 0, worst_balance = 0;
    long tries = 0;
    int generated = 0, cuts_ok = 0, valid = 0, in_range = 0;
    for (int i = 0; i < n; i++) {
        event p;
        long t = 0;
        generated += ps_generate_event(&s, 7, (uint64_t)i, p, &t) == 0;
        tries += t;
        double mass, balance;
        kinematic_errors(p, &mass, &balance);
        worst_mass = fmax(worst_mass, mass);
        worst_balance = fmax(worst_balance, balance);
        cuts_ok += cuts_hold(&s, p) && ps_passes_cuts(&s, p);
        valid += gg_aag_check_event(p, 1e-12, NULL, 0) == 0;
        /* sqrt(s_hat) = 2 sqrt(E1 E2), Y = ln(E1/E2)/2 for massless beams along z */
        double mhat = 2.0 * sqrt(p[0][0] * p[1][0]), y = 0.5 * log(p[0][0] / p[1][0]);
        in_range += mhat >= s.mhat_min * (1 - 1e-12) && mhat <= s.mhat_max * (1 + 1e-12) &&
                    fabs(y) <= ps_rapidity_limit(&s, mhat) + 1e-12;
    }
    printf("%d events: max |p^2|/E^2 %.2e, max momentum imbalance %.2e, "
           "cut efficiency %.3f\n",
           n, worst_mass, worst_balance, n / (double)tries);
    CHECK_MSG(worst_mass < 1e-12, "masslessness %.3g", worst_mass);
    CHECK_MSG(worst_balance < 1e-12, "momentum conservation %.3g", worst_balance);
    CHECK(generated == n);
    CHECK(cuts_ok == n);
    CHECK(valid == n);
    CHECK(in_range == n);
    CHECK(tries >= n);
}

/* RAMBO alone: flat three-body phase space. In the partonic frame the directions are
 * isotropic (cos theta, phi uniform) and, for three massless particles, the Dalitz plot
 * in the energy fractions x_i = 2E_i/w is flat over x1 + x2 >= 1, x1, x2 <= 1: at fixed
 * x1 the range of x2 has length x1, so x1 has density 2 x1 and x1^2 is uniform. */
static void test_rambo(void)
{
    const double w = 1000.0;
    const int n = 100000;
    histogram cos_theta = hist_make(-1, 1), phi = hist_make(-PI, PI), x3 = hist_make(0, 1);
    ba_rng rng;
    ba_rng_init(&rng, 11, 0);
    double worst_mass = 0, worst_balance = 0;
    for (int i = 0; i < n; i++) {
        double p[3][4];
        ps_rambo_massless(w, 3, &rng, p);
        double sum[4] = {0, 0, 0, 0};
        for (int j = 0; j < 3; j++) {
            /* Rounding of E and |p| is ~eps w, so p^2 ~ eps w E (soft particles have
             * larger relative errors in E^2 terms; the generated events have cuts). */
            worst_mass = fmax(worst_mass, fabs(minkowski_square(p[j])) / (p[j][0] * w));
            for (int mu = 0; mu < 4; mu++)
                sum[mu] += p[j][mu];
        }
        worst_balance = fmax(worst_balance, fabs(sum[0] - w) / w);
        for (int mu = 1; mu < 4; mu++)
            worst_balance = fmax(worst_balance, fabs(sum[mu]) / w);
        hist_fill(&cos_theta, p[0][3] / p[0][0]);
        hist_fill(&phi, atan2(p[1][2], p[1][1]));
        hist_fill(&x3, (2.0 * p[2][0] / w) * (2.0 * p[2][0] / w));
    }
    CHECK_MSG(worst_mass < 1e-12 && worst_balance < 1e-12, "RAMBO kinematics %.3g %.3g",
              worst_mass, worst_balance);
    check_flat(&cos_theta, "RAMBO cos(theta) of particle 1");
    check_flat(&phi, "RAMBO phi of particle 2");
    check_flat(&x3, "RAMBO (2E/sqrt(s_hat))^2 of particle 3");
}

/* Points before cuts: ln sqrt(s_hat) uniform, Y uniform in [-y, y]; in the partonic
 * frame (boost back by -Y) the final state has total momentum (sqrt(s_hat), 0, 0, 0). */
static void test_partonic_distribution(void)
{
    const ps_settings s = ps_settings_default();
    const int n = 100000;
    histogram log_mhat = hist_make(log(s.mhat_min), log(s.mhat_max));
    histogram y_scaled = hist_make(-1, 1);
    ba_rng rng;
    ba_rng_init(&rng, 12, 0);
    double worst_frame = 0;
    int y_inside = 0;
    for (int i = 0; i < n; i++) {
        event p;
        double mhat, y;
        ps_draw_point(&s, &rng, p, &mhat, &y);
        double y_lim = ps_rapidity_limit(&s, mhat);
        hist_fill(&log_mhat, log(mhat));
        hist_fill(&y_scaled, y / y_lim);
        y_inside += fabs(y) <= y_lim;
        double ch = cosh(y), sh = sinh(y), e = 0, pz = 0, px = 0, py = 0;
        for (int j = 2; j < 5; j++) {
            e += ch * p[j][0] - sh * p[j][3];
            pz += ch * p[j][3] - sh * p[j][0];
            px += p[j][1];
            py += p[j][2];
        }
        worst_frame = fmax(worst_frame, fmax(fabs(e - mhat), fabs(pz)) / mhat);
        worst_frame = fmax(worst_frame, fmax(fabs(px), fabs(py)) / mhat);
        worst_frame = fmax(worst_frame, fabs(p[0][0] - 0.5 * mhat * exp(y)) / mhat);
        worst_frame = fmax(worst_frame, fabs(p[1][0] - 0.5 * mhat * exp(-y)) / mhat);
    }
    CHECK(y_inside == n);
    CHECK_MSG(worst_frame < 1e-12, "partonic frame %.3g", worst_frame);
    check_flat(&log_mhat, "ln sqrt(s_hat) before cuts");
    check_flat(&y_scaled, "Y / y_limit before cuts");
}

/* Event i depends only on (seed, i): bit for bit, in any order, singly or in a batch. */
static void test_reproducibility(void)
{
    const ps_settings s = ps_settings_default();
    event a, b;
    long ta, tb;
    CHECK(ps_generate_event(&s, 2024, 123456789, a, &ta) == 0);
    CHECK(ps_generate_event(&s, 2024, 123456789, b, &tb) == 0);
    CHECK(memcmp(a, b, sizeof a) == 0 && ta == tb);
    CHECK(ps_generate_event(&s, 2024, 123456790, b, NULL) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(ps_generate_event(&s, 2025, 123456789, b, NULL) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);

    enum { N = 16 };
    event batch[N], single;
    long total = 0, sum = 0;
    CHECK(ps_generate_events(&s, 99, 1000, N, batch, &total) == 0);
    int same = 0;
    for (int i = N - 1; i >= 0; i--) { /* reverse order */
        long t;
        CHECK(ps_generate_event(&s, 99, 1000 + (uint64_t)i, single, &t) == 0);
        same += memcmp(single, batch[i], sizeof single) == 0;
        sum += t;
    }
    CHECK(same == N);
    CHECK(sum == total);
}

/* Cuts nothing can pass: the generator gives up after max_tries. */
static void test_give_up(void)
{
    ps_settings s = ps_settings_default();
    s.eta_photon_max = 1e-12;
    s.max_tries = 50;
    event p;
    long tries = 0;
    CHECK(ps_generate_event(&s, 1, 0, p, &tries) == -1);
    CHECK(tries == 50);
}

int main(void)
{
    test_settings();
    test_events();
    test_rambo();
    test_partonic_distribution();
    test_reproducibility();
    test_give_up();
    return test_summary("test_phase_space");
}

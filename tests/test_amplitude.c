/* The one-loop g g -> gamma gamma g squared matrix element (src/physics/amplitude.h)
 * against the independent reference values of shared/reference (MCFM), and against
 * properties that need no reference: spinor identities, the special functions, the
 * symmetries of |M|^2, its mass dimension, and the input check.
 *
 * Tolerances (shared/reference/README.md, "Numerical accuracy"): the reference values
 * themselves are accurate to 4e-13 on generic points, 7e-9 on the beam-collinear and
 * 4e-6 on the photon-collinear ones (closed-form Ls_1 and rational cancellations in
 * double precision), so the comparison there is limited by the reference.
 */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "data/npy.h"
#include "physics/amplitude.h"
#include "physics/loop_functions.h"
#include "physics/primitives.h"
#include "physics/spinors.h"

#define REF BAYESAMP_SHARED "/reference/"

typedef double event[5][4];

static int load(const char *name, npy_array *a, size_t expect_count)
{
    ba_error err;
    if (npy_read(name, a, &err) != 0) {
        fprintf(stderr, "cannot read reference: %s\n", err.msg);
        CHECK(!"reference file readable");
        return -1;
    }
    CHECK(a->count == expect_count);
    return a->count == expect_count ? 0 : -1;
}

static const event *events_of(const npy_array *a) { return (const event *)a->data; }

static double rel_dev(double a, double b) { return fabs(a - b) / fmax(fabs(a), fabs(b)); }

/* ---------------------------------------------------------------- spinors */

static void test_spinors(const event *ev)
{
    double k[5][4];
    for (int i = 0; i < 5; i++)
        for (int mu = 0; mu < 4; mu++)
            k[i][mu] = i < 2 ? -ev[0][i][mu] : ev[0][i][mu];
    spinor_products sp;
    spinor_products_compute(k, &sp);
    double scale = sp.s[0][1]; /* s_hat */

    double worst = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            worst = fmax(worst, cabs(sp.ang[i][j] + sp.ang[j][i]));
            worst = fmax(worst, cabs(sp.sq[i][j] + sp.sq[j][i]));
            if (i == j)
                continue;
            /* <ij>[ji] = s_ij = 2 k_i.k_j, |<ij>|^2 = |s_ij| */
            double dot = 2.0 * (k[i][0] * k[j][0] - k[i][1] * k[j][1] - k[i][2] * k[j][2] -
                                k[i][3] * k[j][3]);
            worst = fmax(worst, cabs(sp.ang[i][j] * sp.sq[j][i] - dot) / scale);
            worst = fmax(worst, fabs(creal(sp.ang[i][j] * conj(sp.ang[i][j])) - fabs(dot)) /
                                    scale);
            worst = fmax(worst, cabs(sp.ang[i][j] * sp.inv_ang[i][j] - 1.0));
            worst = fmax(worst, cabs(sp.sq[i][j] * sp.inv_sq[i][j] - 1.0));
        }
    CHECK_MSG(worst < 1e-13, "spinor products: worst deviation %.3g", worst);

    /* Momentum conservation sum_j <ij>[jl] = 0 and the Schouten identity
     * <ij><kl> + <ik><lj> + <il><jk> = 0, relative to s_hat. */
    double mc = 0, schouten = 0;
    for (int i = 0; i < 5; i++)
        for (int l = 0; l < 5; l++) {
            double complex sum = 0;
            for (int j = 0; j < 5; j++)
                sum += sp.ang[i][j] * sp.sq[j][l];
            mc = fmax(mc, cabs(sum) / scale);
        }
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            for (int kk = 0; kk < 5; kk++)
                for (int l = 0; l < 5; l++) {
                    double complex t = sp.ang[i][j] * sp.ang[kk][l] +
                                       sp.ang[i][kk] * sp.ang[l][j] +
                                       sp.ang[i][l] * sp.ang[j][kk];
                    schouten = fmax(schouten, cabs(t) / scale);
                }
    CHECK_MSG(mc < 1e-13, "sum_j <ij>[jl] = %.3g s_hat", mc);
    CHECK_MSG(schouten < 1e-13, "Schouten identity violated by %.3g s_hat", schouten);
}

/* ---------------------------------------------------------------- loop functions */

static void test_loop_functions(void)
{
    /* Dilogarithm against 50-digit values (Python decimal, sum x^k/k^2 and the
     * inversion / reflection formulas). */
    const double li2_ref[][2] = {
        {0.3, 0.32612951007547606953}, {-0.5, -0.44841420692364620244},
        {0.49, 0.56843844389666690925}, {-3.0, -1.9393754207667089531},
        {0.9, 1.2997147230049587252},   {-1.0, -0.82246703342411321824},
        {1.0, 1.6449340668482264365},   {0.0, 0.0},
    };
    for (size_t i = 0; i < sizeof li2_ref / sizeof li2_ref[0]; i++)
        CHECK_CLOSE(loop_li2(li2_ref[i][0]), li2_ref[i][1], 1e-15, 1e-300);
    CHECK(isnan(loop_li2(1.5)));

    /* L_k at r = 1 and continuity across the switch to the series at |1 - r| = 0.05:
     * the closed forms lose at most eps/0.05^3 ~ 2e-12 there. */
    CHECK_CLOSE(creal(loop_L0(2.0, 2.0)), -1.0, 1e-15, 0);
    CHECK_CLOSE(creal(loop_L1(2.0, 2.0)), -0.5, 1e-15, 0);
    CHECK_CLOSE(creal(loop_L2(2.0, 2.0)), 1.0 / 6.0, 1e-15, 0);
    const double ratios[] = {1.05, 0.95, 1.2, 0.5};
    for (size_t i = 0; i < sizeof ratios / sizeof ratios[0]; i++) {
        double r = ratios[i], d = 1.0 - r, lr = log(r);
        double l0 = lr / d, l1 = (l0 + 1.0) / d, l2 = (lr - 0.5 * (r - 1.0 / r)) / (d * d * d);
        CHECK_CLOSE(creal(loop_L0(r, 1.0)), l0, 1e-13, 0);
        CHECK_CLOSE(creal(loop_L1(r, 1.0)), l1, 1e-12, 0);
        CHECK_CLOSE(creal(loop_L2(r, 1.0)), l2, 1e-11, 0);
    }
    /* Very close to r = 1, where the closed forms are useless: the Taylor series
     * L0 = -1 - d/2 - d^2/3 - d^3/4, L1 = -1/2 - d/3 - d^2/4 - d^3/5,
     * L2 = 1/6 + d/4 + 3 d^2/10 + d^3/3 (spec 3.2), to O(d^4) < 1e-18. */
    const double tiny[] = {1e-9, -3e-7, 2e-5};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        double d = tiny[i], r = 1.0 - d;
        double d2 = d * d, d3 = d2 * d;
        CHECK_CLOSE(creal(loop_L0(r, 1.0)), -1.0 - d / 2 - d2 / 3 - d3 / 4, 1e-15, 0);
        CHECK_CLOSE(creal(loop_L1(r, 1.0)), -0.5 - d / 3 - d2 / 4 - d3 / 5, 1e-15, 0);
        CHECK_CLOSE(creal(loop_L2(r, 1.0)), 1.0 / 6 + d / 4 + 3 * d2 / 10 + d3 / 3, 1e-15, 0);
    }
    /* Values just inside and just outside the switch agree to the slope. */
    double in = creal(loop_L2(1.0 - 0.049999999, 1.0)), out = creal(loop_L2(1.0 - 0.050000001, 1.0));
    CHECK_CLOSE(in, out, 1e-8, 0);

    /* Analytic continuation: ell for opposite signs, L0 of a negative ratio. */
    double complex ell = loop_ell(-3.0, 5.0);
    CHECK_CLOSE(creal(ell), log(0.6), 1e-15, 0);
    CHECK_CLOSE(cimag(ell), BA_PI, 1e-15, 0);
    CHECK_CLOSE(cimag(loop_ell(3.0, -5.0)), -BA_PI, 1e-15, 0);
    CHECK_CLOSE(cimag(loop_ell_mu(1.0, 4.0)), BA_PI, 1e-15, 0);

    /* Ls_1: the series near r1 + r2 = 1 and the closed form agree where both are
     * accurate (at |delta| = 0.05 the closed form loses ~ eps/delta^2 ~ 1e-13), also with
     * absorptive parts. The invariants are chosen so that r1 + r2 = 1 - delta. */
    const double cases[][4] = {
        {0.3, 1.0, 0.65, 1.0},   /* r1 = 0.3, r2 = 0.65 */
        {-0.5, 1.0, 1.45, 1.0},  /* r1 < 0: imaginary parts */
        {2.0, -1.0, -2.95, -1.0} /* negative denominators */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double *c = cases[i];
        double r1 = c[0] / c[1], r2 = c[2] / c[3];
        double complex series =
            loop_Ls1_series(r1, r2, loop_ell(c[0], c[1]), cimag(loop_ell(c[2], c[3])));
        double complex den = 1.0 - r1 - r2;
        double complex closed = (loop_Lsm1(c[0], c[1], c[2], c[3]) / den +
                                 loop_L0(c[0], c[1]) + loop_L0(c[2], c[3])) /
                                den;
        CHECK_MSG(cabs(series - closed) < 1e-11 * cabs(closed),
                  "Ls1 case %zu: %.15g%+.15gi vs %.15g%+.15gi", i, creal(series),
                  cimag(series), creal(closed), cimag(closed));
        /* loop_Ls1 switches to the series for small |delta|. */
        CHECK(loop_Ls1_use_series(r1, 1.0 - r1 - 1e-6));
    }
    /* Far from r1 + r2 = 1 the closed form is used. */
    CHECK(!loop_Ls1_use_series(0.3, 0.2));
}

/* ---------------------------------------------------------------- reference values */

static double max_rel_dev(const event *ev, const double *ref, size_t first, size_t end)
{
    double worst = 0;
    for (size_t i = first; i < end; i++)
        worst = fmax(worst, rel_dev(gg_aag_amp2(ev[i]), ref[i]));
    return worst;
}

static void test_reference(const event *ev, const double *amp, size_t n, const event *lim,
                           const double *lim_amp, const double *hel)
{
    double generic = max_rel_dev(ev, amp, 0, n);
    double soft = max_rel_dev(lim, lim_amp, 0, 17);
    double beam = max_rel_dev(lim, lim_amp, 17, 34);
    double photon = max_rel_dev(lim, lim_amp, 34, 50);
    printf("max relative deviation from the reference: generic %.2e, soft %.2e, "
           "beam-collinear %.2e, photon-collinear %.2e\n",
           generic, soft, beam, photon);
    CHECK_MSG(generic < 1e-10, "generic: %.3g", generic);
    CHECK_MSG(soft < 1e-8, "soft: %.3g", soft);
    CHECK_MSG(beam < 1e-8, "beam-collinear: %.3g", beam);
    CHECK_MSG(photon < 1e-5, "photon-collinear: %.3g", photon);

    /* Per-helicity table, first five points, all-outgoing helicity index
     * k = 16 b1 + 8 b2 + 4 b3 + 2 b4 + b5; and sum_k table * F = |M|^2. */
    double worst = 0, sum_dev = 0;
    for (int i = 0; i < 5; i++) {
        double table[32], largest = 0, sum = 0;
        gg_aag_helicity_table(ev[i], table);
        for (int k = 0; k < 32; k++)
            largest = fmax(largest, hel[32 * i + k]);
        for (int k = 0; k < 32; k++) {
            worst = fmax(worst, fabs(table[k] - hel[32 * i + k]) / largest);
            sum += table[k];
        }
        sum_dev = fmax(sum_dev, rel_dev(sum * gg_aag_overall_factor(), gg_aag_amp2(ev[i])));
    }
    printf("per-helicity table: max |difference| / largest entry %.2e\n", worst);
    CHECK_MSG(worst < 1e-11, "helicity table: %.3g", worst);
    CHECK_MSG(sum_dev < 1e-15, "helicity table sum vs amp2: %.3g", sum_dev);
    CHECK_CLOSE(gg_aag_overall_factor(), 6.159112888674496e-07, 1e-15, 0);
}

/* Independence of mu^2 and of the 1/eps coefficient (spec 4.5): the tree-like terms
 * cancel in the sum over the 12 orderings. */
static void test_scheme_independence(const event *ev)
{
    double worst = 0;
    for (int i = 0; i < 5; i++) {
        double complex a[32], b[32];
        double s_hat = 2.0 * (ev[i][0][0] * ev[i][1][0] - ev[i][0][3] * ev[i][1][3]);
        gg_aag_helicity_sums(ev[i], s_hat, 0.0, a);
        gg_aag_helicity_sums(ev[i], 173.0 * 173.0, 3.7, b);
        double largest = 0;
        for (int k = 0; k < 32; k++)
            largest = fmax(largest, cabs(a[k]));
        for (int k = 0; k < 32; k++)
            worst = fmax(worst, fabs(cabs(a[k]) - cabs(b[k])) / largest);
    }
    CHECK_MSG(worst < 1e-12, "mu / pole dependence %.3g", worst);
}

/* ---------------------------------------------------------------- symmetries */

static void boost_z(event p, double y)
{
    double ch = cosh(y), sh = sinh(y);
    for (int i = 0; i < 5; i++) {
        double e = p[i][0], pz = p[i][3];
        p[i][0] = ch * e + sh * pz;
        p[i][3] = sh * e + ch * pz;
    }
}

static void rotate_z(event p, double angle)
{
    double c = cos(angle), s = sin(angle);
    for (int i = 0; i < 5; i++) {
        double px = p[i][1], py = p[i][2];
        p[i][1] = c * px - s * py;
        p[i][2] = s * px + c * py;
    }
}

static void swap_particles(event p, int a, int b)
{
    for (int mu = 0; mu < 4; mu++) {
        double t = p[a][mu];
        p[a][mu] = p[b][mu];
        p[b][mu] = t;
    }
}

static void test_symmetries(const event *ev, size_t n)
{
    double worst[7] = {0};
    const char *names[7] = {"photon exchange",  "z mirror + beam exchange",
                            "parity + beam exchange", "x mirror",
                            "boost along z (y = 0.7)", "rotation about z",
                            "scaling by 3.7"};
    for (size_t i = 0; i < n; i++) {
        double ref = gg_aag_amp2(ev[i]);
        event p;

        memcpy(p, ev[i], sizeof p);
        swap_particles(p, 2, 3);
        worst[0] = fmax(worst[0], rel_dev(gg_aag_amp2(p), ref));

        /* Exchanging the incoming gluons needs p1 along +z again: mirror z. */
        memcpy(p, ev[i], sizeof p);
        for (int j = 0; j < 5; j++)
            p[j][3] = -p[j][3];
        swap_particles(p, 0, 1);
        worst[1] = fmax(worst[1], rel_dev(gg_aag_amp2(p), ref));

        /* Space inversion flips the beams too. */
        memcpy(p, ev[i], sizeof p);
        for (int j = 0; j < 5; j++)
            for (int mu = 1; mu < 4; mu++)
                p[j][mu] = -p[j][mu];
        swap_particles(p, 0, 1);
        worst[2] = fmax(worst[2], rel_dev(gg_aag_amp2(p), ref));

        /* A reflection that keeps the beams: tests the parity-odd epsilon terms. */
        memcpy(p, ev[i], sizeof p);
        for (int j = 0; j < 5; j++)
            p[j][1] = -p[j][1];
        worst[3] = fmax(worst[3], rel_dev(gg_aag_amp2(p), ref));

        memcpy(p, ev[i], sizeof p);
        boost_z(p, 0.7);
        worst[4] = fmax(worst[4], rel_dev(gg_aag_amp2(p), ref));

        memcpy(p, ev[i], sizeof p);
        rotate_z(p, 1.1);
        worst[5] = fmax(worst[5], rel_dev(gg_aag_amp2(p), ref));

        /* |M|^2 has mass dimension -2: |M|^2(lambda p) = lambda^-2 |M|^2(p). */
        memcpy(p, ev[i], sizeof p);
        for (int j = 0; j < 5; j++)
            for (int mu = 0; mu < 4; mu++)
                p[j][mu] *= 3.7;
        worst[6] = fmax(worst[6], rel_dev(gg_aag_amp2(p) * 3.7 * 3.7, ref));
    }
    double largest = 0;
    for (int t = 0; t < 7; t++) {
        CHECK_MSG(worst[t] < 1e-11, "%s: %.3g", names[t], worst[t]);
        largest = fmax(largest, worst[t]);
    }
    printf("symmetries (photon and beam exchange, parity, x mirror, z boost and rotation, "
           "scaling): max relative change %.2e\n",
           largest);
}

/* ---------------------------------------------------------------- batches */

/* gg_aag_amp2_batch evaluates several events side by side (physics/lanes.h): an event's
 * value must be the same bits whoever its neighbours are, whatever the batch length,
 * and the same as one gg_aag_amp2 call, so that generated data do not depend on the
 * number of threads or on how events are chunked. */
static void test_batch(const event *ev, size_t n)
{
    double single[200], forward[200], shifted[200], reversed[200];
    event back[200];
    CHECK(n <= 200 && n >= 13);
    for (size_t i = 0; i < n; i++) {
        single[i] = gg_aag_amp2(ev[i]);
        memcpy(back[i], ev[n - 1 - i], sizeof back[i]);
    }
    gg_aag_amp2_batch(ev, n, forward);
    /* Another split into batches: 3 events, then the rest (a partial last batch). */
    gg_aag_amp2_batch(ev, 3, shifted);
    gg_aag_amp2_batch(ev + 3, n - 3, shifted + 3);
    gg_aag_amp2_batch((const event *)back, n, reversed);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += memcmp(&single[i], &forward[i], sizeof(double)) != 0 ||
                  memcmp(&single[i], &shifted[i], sizeof(double)) != 0 ||
                  memcmp(&single[i], &reversed[n - 1 - i], sizeof(double)) != 0;
    CHECK_MSG(differ == 0, "%zu of %zu events change with the batch around them", differ, n);
}

/* ---------------------------------------------------------------- input check */

static void expect_refused(const event p, int code, const char *word)
{
    char why[256];
    int got = gg_aag_check_event(p, 1e-10, why, sizeof why);
    CHECK_MSG(got == code, "expected code %d, got %d (%s)", code, got, why);
    CHECK_MSG(strstr(why, word) != NULL, "reason '%s' lacks '%s'", why, word);
}

static void test_check_event(const event *ev)
{
    char why[256] = "untouched";
    CHECK(gg_aag_check_event(ev[0], 1e-10, why, sizeof why) == GG_AAG_EVENT_OK);
    CHECK(why[0] == '\0');
    CHECK(gg_aag_check_event(ev[0], 1e-10, NULL, 0) == GG_AAG_EVENT_OK);

    event p;
    memcpy(p, ev[0], sizeof p);
    p[2][0] *= 1.001; /* photon off shell (and momentum not conserved, checked later) */
    expect_refused(p, GG_AAG_EVENT_OFF_SHELL, "off shell");

    memcpy(p, ev[0], sizeof p);
    for (int mu = 0; mu < 4; mu++)
        p[4][mu] *= 1.01; /* still massless, but p1 + p2 != p3 + p4 + p5 */
    expect_refused(p, GG_AAG_EVENT_NOT_CONSERVED, "not conserved");

    memcpy(p, ev[0], sizeof p);
    p[0][1] = 1.0; /* incoming with transverse momentum */
    expect_refused(p, GG_AAG_EVENT_NOT_ALONG_BEAM, "transverse");

    memcpy(p, ev[0], sizeof p);
    swap_particles(p, 0, 1); /* the +z beam in the second slot */
    expect_refused(p, GG_AAG_EVENT_NOT_ALONG_BEAM, "pz");

    memcpy(p, ev[0], sizeof p);
    for (int mu = 0; mu < 4; mu++)
        p[1][mu] = -p[1][mu]; /* all-outgoing convention passed by mistake */
    expect_refused(p, GG_AAG_EVENT_NEGATIVE_ENERGY, "not positive");

    memcpy(p, ev[0], sizeof p);
    p[3][2] = NAN;
    expect_refused(p, GG_AAG_EVENT_NOT_FINITE, "not finite");

    /* A short buffer is truncated, not overrun. */
    char tiny[8];
    memcpy(p, ev[0], sizeof p);
    p[2][0] *= 1.001;
    CHECK(gg_aag_check_event(p, 1e-10, tiny, sizeof tiny) == GG_AAG_EVENT_OFF_SHELL);
    CHECK(strlen(tiny) == sizeof tiny - 1);
}

/* ---------------------------------------------------------------- timing */

static double seconds_between(struct timespec t0, struct timespec t1)
{
    return (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

static void report_timing(const event *ev, size_t n)
{
    const int reps = 5;
    volatile double sink = 0;
    double amp[200];
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i++)
            sink += gg_aag_amp2(ev[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int r = 0; r < reps; r++) {
        gg_aag_amp2_batch(ev, n, amp);
        sink += amp[0];
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    printf("gg_aag_amp2: %.1f microseconds per event one by one, %.1f in batches "
           "(bench/bench_amplitude.py times it properly)\n",
           seconds_between(t0, t1) * 1e6 / (double)(reps * n),
           seconds_between(t1, t2) * 1e6 / (double)(reps * n));
    (void)sink;
}

int main(void)
{
    npy_array dat = {0}, amp = {0}, hel = {0}, lim = {0}, lim_amp = {0};
    int ok = load(REF "ref_dat.npy", &dat, 200 * 5 * 4) == 0 &&
             load(REF "ref_amp.npy", &amp, 200) == 0 &&
             load(REF "ref_hel.npy", &hel, 5 * 32) == 0 &&
             load(REF "ref_limit_dat.npy", &lim, 50 * 5 * 4) == 0 &&
             load(REF "ref_limit_amp.npy", &lim_amp, 50) == 0;
    if (ok) {
        const event *ev = events_of(&dat);
        test_spinors(ev);
        test_loop_functions();
        test_reference(ev, amp.data, 200, events_of(&lim), lim_amp.data, hel.data);
        test_scheme_independence(ev);
        test_symmetries(ev, 40);
        test_check_event(ev);
        test_batch(ev, 200);
        report_timing(ev, 200);
    }
    npy_free(&dat);
    npy_free(&amp);
    npy_free(&hel);
    npy_free(&lim);
    npy_free(&lim_amp);
    return test_summary("test_amplitude");
}

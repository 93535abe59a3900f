#include "physics/amplitude.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/error.h"
#include "physics/loop_functions.h"
#include "physics/primitives.h"
#include "physics/spinors.h"

/* The 12 cyclic orderings of the photon-decoupling sum (spec section 6; BDS
 * hep-ph/0206194 Eq. (8)): the two photons (particles 2, 3, counting from 0) in the
 * three gaps of the gluon cycle 0 -> 1 -> 4 -> 0. */
static const int ORDERINGS[12][SP_N] = {
    {0, 1, 2, 3, 4}, {0, 1, 3, 2, 4}, {0, 2, 1, 3, 4}, {2, 0, 1, 3, 4},
    {0, 3, 1, 2, 4}, {2, 0, 3, 1, 4}, {0, 2, 3, 1, 4}, {0, 3, 2, 1, 4},
    {3, 0, 1, 2, 4}, {3, 0, 2, 1, 4}, {2, 3, 0, 1, 4}, {3, 2, 0, 1, 4},
};

double gg_aag_overall_factor(void)
{
    /* e^4 g_s^6/(4 pi)^4 = 4 pi alpha^2 alpha_s^3 with e^2 = 4 pi alpha, g_s^2 = 4 pi
     * alpha_s; N_c/(N_c^2 - 1) = 3/8; (sum Q^2)^2 = (11/9)^2 = 121/81 (spec section 7). */
    const double alpha = GG_AAG_ALPHA, alpha_s = GG_AAG_ALPHA_S;
    return 4.0 * BA_PI * alpha * alpha * alpha_s * alpha_s * alpha_s * (3.0 / 8.0) *
           (121.0 / 81.0);
}

/* All-outgoing momenta k1 = -p1, k2 = -p2, k_i = p_i (spec 1.1). */
static void all_outgoing(const double p[5][4], double k[SP_N][4])
{
    for (int i = 0; i < SP_N; i++)
        for (int mu = 0; mu < 4; mu++)
            k[i][mu] = i < 2 ? -p[i][mu] : p[i][mu];
}

void gg_aag_helicity_sums(const double p[5][4], double mu2, double inv_eps,
                          double complex out[32])
{
    double k[SP_N][4];
    all_outgoing(p, k);
    spinor_products sp;
    spinor_products_compute(k, &sp);
    loop_cache lc;
    loop_cache_init(&lc, &sp, mu2, inv_eps);

    for (int h = 0; h < 32; h++) {
        /* k = 16 b1 + 8 b2 + 4 b3 + 2 b4 + b5: particle i has bit 4 - i. */
        int hel[SP_N];
        for (int i = 0; i < SP_N; i++)
            hel[i] = (h >> (SP_N - 1 - i)) & 1 ? +1 : -1;
        double complex sum = 0;
        for (int o = 0; o < 12; o++)
            sum += prim_amplitude(&sp, &lc, ORDERINGS[o], hel);
        out[h] = sum;
    }
}

void gg_aag_helicity_table(const double p[5][4], double out[32])
{
    double complex sums[32];
    double s_hat = 2.0 * (p[0][0] * p[1][0] - p[0][1] * p[1][1] - p[0][2] * p[1][2] -
                          p[0][3] * p[1][3]);
    gg_aag_helicity_sums(p, s_hat, 0.0, sums);
    for (int h = 0; h < 32; h++)
        out[h] = creal(sums[h]) * creal(sums[h]) + cimag(sums[h]) * cimag(sums[h]);
}

double gg_aag_amp2(const double p[5][4])
{
    double table[32], sum = 0;
    gg_aag_helicity_table(p, table);
    for (int h = 0; h < 32; h++)
        sum += table[h];
    return gg_aag_overall_factor() * sum;
}

/* ---------------------------------------------------------------- input check */

static const char *const COMPONENT[4] = {"E", "px", "py", "pz"};

static int refuse(int code, char *why, size_t why_len, const char *fmt, ...) BA_PRINTF(4, 5);

static int refuse(int code, char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

int gg_aag_check_event(const double p[5][4], double tol, char *why, size_t why_len)
{
    if (why && why_len > 0)
        why[0] = '\0';
    for (int i = 0; i < 5; i++)
        for (int mu = 0; mu < 4; mu++)
            if (!isfinite(p[i][mu]))
                return refuse(GG_AAG_EVENT_NOT_FINITE, why, why_len,
                              "particle %d: %s is not finite", i + 1, COMPONENT[mu]);
    for (int i = 0; i < 5; i++)
        if (!(p[i][0] > 0))
            return refuse(GG_AAG_EVENT_NEGATIVE_ENERGY, why, why_len,
                          "particle %d: energy %g GeV is not positive", i + 1, p[i][0]);

    /* Scales: the incoming energy for momenta, s_hat for squared masses. */
    double e_in = p[0][0] + p[1][0];
    for (int i = 0; i < 2; i++) {
        double pt = hypot(p[i][1], p[i][2]);
        if (pt > tol * e_in)
            return refuse(GG_AAG_EVENT_NOT_ALONG_BEAM, why, why_len,
                          "incoming particle %d has transverse momentum %g GeV "
                          "(tolerance %g GeV)",
                          i + 1, pt, tol * e_in);
        double beam = i == 0 ? 1.0 : -1.0; /* p1 along +z, p2 along -z */
        if (!(beam * p[i][3] > 0))
            return refuse(GG_AAG_EVENT_NOT_ALONG_BEAM, why, why_len,
                          "incoming particle %d has pz = %g GeV, expected %s", i + 1,
                          p[i][3], i == 0 ? "> 0" : "< 0");
    }

    double s_hat = 2.0 * (p[0][0] * p[1][0] - p[0][3] * p[1][3]);
    for (int i = 0; i < 5; i++) {
        double m2 = p[i][0] * p[i][0] - p[i][1] * p[i][1] - p[i][2] * p[i][2] -
                    p[i][3] * p[i][3];
        if (fabs(m2) > tol * s_hat)
            return refuse(GG_AAG_EVENT_OFF_SHELL, why, why_len,
                          "particle %d is off shell: p^2 = %g GeV^2 (tolerance %g GeV^2)",
                          i + 1, m2, tol * s_hat);
    }
    for (int mu = 0; mu < 4; mu++) {
        double balance = p[0][mu] + p[1][mu] - p[2][mu] - p[3][mu] - p[4][mu];
        if (fabs(balance) > tol * e_in)
            return refuse(GG_AAG_EVENT_NOT_CONSERVED, why, why_len,
                          "momentum not conserved: %s of p1+p2-p3-p4-p5 is %g GeV "
                          "(tolerance %g GeV)",
                          COMPONENT[mu], balance, tol * e_in);
    }
    return GG_AAG_EVENT_OK;
}

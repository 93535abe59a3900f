#include "physics/amplitude.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <threads.h>

#include "common/error.h"
#include "physics/loop_functions.h"
#include "physics/lanes.h"
#include "physics/primitives.h"
#include "physics/spinors.h"

/* The 12 cyclic orderings of the photon-decoupling sum (spec section 6; BDS
 * hep-ph/0206194 Eq. (8)): the two photons (particles 2, 3, counting from 0) in the
 * three gaps of the gluon cycle 0 -> 1 -> 4 -> 0. */
#define N_ORDERINGS 12
static const int ORDERINGS[N_ORDERINGS][SP_N] = {
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

/* ---------------------------------------------------------------- the plan */

/* Which helicity configuration meets which primitive is the same for every event
 * (spec section 5): with n_- <= 2 negative helicities (parity takes care of n_- >= 3),
 * in ordering o the negative legs are none (ppppp), one (mpppp at the rotation that
 * starts with it), two adjacent (mmppp at the rotation that starts with the pair) or two
 * apart (mpmpp, likewise). So every (ordering, helicity) pair is met exactly once by
 * going through the 12 x 5 rotations r of the orderings and evaluating, at each, mpppp,
 * mmppp and mpmpp for the legs at the front of r, each with and without parity; and
 * ppppp once per ordering, with and without parity. The loop functions of all these
 * (spec section 3) are functions of 30 ratios s_a/s_b and 30 pairs of ratios (Ls_1),
 * whatever the event: the plan numbers them once, and each event computes each of them
 * once. */
#define N_ROTATIONS (N_ORDERINGS * SP_N)
#define N_PAIRS 10       /* unordered pairs {i, j} of particles: the invariants */
#define MAX_RATIOS 32    /* ordered pairs (a, b) of invariants whose L_k are used: 30 */
#define MAX_LS1 32       /* Ls_1(s_a1/s_b, s_a2/s_b) used: 30 */

/* The pair index of {i, j}; -1 on the diagonal, never used. */
static const int PAIR_INDEX[SP_N][SP_N] = {
    {-1, 0, 1, 2, 3}, {0, -1, 4, 5, 6}, {1, 4, -1, 7, 8}, {2, 5, 7, -1, 9}, {3, 6, 8, 9, -1},
};

typedef struct amp_plan {
    int rotation[N_ROTATIONS][SP_N];
    /* Ratios s_a/s_b by their slot; slot_of[a][b] is -1 for those not used. */
    int n_ratios;
    int ratio[MAX_RATIOS][2];
    int slot_of[N_PAIRS][N_PAIRS];
    /* Ls_1(s_a1/s_b, s_a2/s_b) by slot, as the slots of its two ratios. */
    int n_ls1;
    int ls1[MAX_LS1][2];
    /* What each rotation r uses, s_ij standing for s_{r_i r_j}: */
    int v_mm[N_ROTATIONS][2], v_mp[N_ROTATIONS][2]; /* (23, 51) and (34, 51) */
    int r23_51[N_ROTATIONS], r34_51[N_ROTATIONS], r12_34[N_ROTATIONS], r51_34[N_ROTATIONS];
    int ls1_a[N_ROTATIONS], ls1_b[N_ROTATIONS];
} amp_plan;

static int plan_ratio(amp_plan *pl, int a, int b)
{
    if (pl->slot_of[a][b] < 0) {
        pl->ratio[pl->n_ratios][0] = a;
        pl->ratio[pl->n_ratios][1] = b;
        pl->slot_of[a][b] = pl->n_ratios++;
    }
    return pl->slot_of[a][b];
}

/* Ls_1 is symmetric in its two arguments (BDK appendix), and the 60 rotations ask for
 * 30 of them twice, once in each order: each is computed once, in the order met first. */
static int plan_ls1(amp_plan *pl, int ratio1, int ratio2)
{
    for (int k = 0; k < pl->n_ls1; k++)
        if ((pl->ls1[k][0] == ratio1 && pl->ls1[k][1] == ratio2) ||
            (pl->ls1[k][0] == ratio2 && pl->ls1[k][1] == ratio1))
            return k;
    pl->ls1[pl->n_ls1][0] = ratio1;
    pl->ls1[pl->n_ls1][1] = ratio2;
    return pl->n_ls1++;
}

static amp_plan the_plan;

static void plan_build(void)
{
    amp_plan *pl = &the_plan;
    pl->n_ratios = pl->n_ls1 = 0;
    for (int a = 0; a < N_PAIRS; a++)
        for (int b = 0; b < N_PAIRS; b++)
            pl->slot_of[a][b] = -1;
    for (int o = 0; o < N_ORDERINGS; o++)
        for (int k = 0; k < SP_N; k++) {
            int q = SP_N * o + k, *r = pl->rotation[q];
            for (int i = 0; i < SP_N; i++)
                r[i] = ORDERINGS[o][(k + i) % SP_N];
            int p12 = PAIR_INDEX[r[0]][r[1]], p23 = PAIR_INDEX[r[1]][r[2]],
                p34 = PAIR_INDEX[r[2]][r[3]], p51 = PAIR_INDEX[r[4]][r[0]];
            pl->v_mm[q][0] = p23;
            pl->v_mm[q][1] = p51;
            pl->v_mp[q][0] = p34;
            pl->v_mp[q][1] = p51;
            pl->r23_51[q] = plan_ratio(pl, p23, p51);
            pl->r34_51[q] = plan_ratio(pl, p34, p51);
            pl->r12_34[q] = plan_ratio(pl, p12, p34);
            pl->r51_34[q] = plan_ratio(pl, p51, p34);
            pl->ls1_a[q] = plan_ls1(pl, pl->r23_51[q], pl->r34_51[q]);
            pl->ls1_b[q] = plan_ls1(pl, pl->r12_34[q], pl->r51_34[q]);
        }
}

/* The plan, built once for all threads. */
static const amp_plan *plan(void)
{
    static once_flag built = ONCE_FLAG_INIT;
    call_once(&built, plan_build);
    return &the_plan;
}

/* ---------------------------------------------------------------- a batch of events */

/* The loop functions of a batch, lane l for event l. */
typedef struct loop_lanes {
    clanes ell_mu[N_PAIRS]; /* ln(mu^2/(-s - i0)) */
    clanes L[3][MAX_RATIOS]; /* L_0, L_1, L_2 by ratio slot */
    clanes ls1[MAX_LS1];
} loop_lanes;

static void put(clanes *dst, int lane, double complex z)
{
    dst->re[lane] = creal(z);
    dst->im[lane] = cimag(z);
}

/* All-outgoing momenta k1 = -p1, k2 = -p2, k_i = p_i (spec 1.1). */
static void all_outgoing(const double p[5][4], double k[SP_N][4])
{
    for (int i = 0; i < SP_N; i++)
        for (int mu = 0; mu < 4; mu++)
            k[i][mu] = i < 2 ? -p[i][mu] : p[i][mu];
}

/* One event into lane `lane`: its spinor products, and its loop functions, each
 * computed once. These branch on the event (signs of invariants, series near
 * thresholds), so they are done event by event; the libm logarithms they call are a
 * small part of the time (BENCHMARKS.md). */
static void event_into_lane(const amp_plan *pl, const double p[5][4], double mu2, int lane,
                            spinor_lanes *sl, loop_lanes *ll)
{
    double k[SP_N][4];
    all_outgoing(p, k);
    spinor_products sp;
    spinor_products_compute(k, &sp);
    for (int i = 0; i < SP_N; i++)
        for (int j = 0; j < SP_N; j++) {
            put(&sl->ang[i][j], lane, sp.ang[i][j]);
            put(&sl->sq[i][j], lane, sp.sq[i][j]);
            put(&sl->inv_ang[i][j], lane, sp.inv_ang[i][j]);
            put(&sl->inv_sq[i][j], lane, sp.inv_sq[i][j]);
            sl->s[i][j][lane] = sp.s[i][j];
            sl->inv_s[i][j][lane] = i == j ? 0.0 : 1.0 / sp.s[i][j];
        }

    double s[N_PAIRS];
    for (int i = 0; i < SP_N; i++)
        for (int j = i + 1; j < SP_N; j++) {
            s[PAIR_INDEX[i][j]] = sp.s[i][j];
            put(&ll->ell_mu[PAIR_INDEX[i][j]], lane, loop_ell_mu(mu2, sp.s[i][j]));
        }

    double complex ell[MAX_RATIOS], L0[MAX_RATIOS];
    for (int t = 0; t < pl->n_ratios; t++) {
        double sa = s[pl->ratio[t][0]], sb = s[pl->ratio[t][1]];
        double complex L[3];
        ell[t] = loop_ell(sa, sb);
        loop_L012(sa, sb, ell[t], L);
        L0[t] = L[0];
        for (int n = 0; n < 3; n++)
            put(&ll->L[n][t], lane, L[n]);
    }

    /* The dilogarithms only where Ls_1 takes the closed form, each once. */
    double complex dilog[MAX_RATIOS];
    unsigned char have_dilog[MAX_RATIOS] = {0};
    for (int t = 0; t < pl->n_ls1; t++) {
        int t1 = pl->ls1[t][0], t2 = pl->ls1[t][1];
        double r1 = s[pl->ratio[t1][0]] / s[pl->ratio[t1][1]];
        double r2 = s[pl->ratio[t2][0]] / s[pl->ratio[t2][1]];
        double complex value;
        if (loop_Ls1_use_series(r1, r2)) {
            value = loop_Ls1_series(r1, r2, ell[t1], cimag(ell[t2]));
        } else {
            for (int m = 0; m < 2; m++) {
                int tm = pl->ls1[t][m];
                if (!have_dilog[tm]) {
                    dilog[tm] = loop_dilog(s[pl->ratio[tm][0]], s[pl->ratio[tm][1]]);
                    have_dilog[tm] = 1;
                }
            }
            value = loop_Ls1_closed(r1, r2, dilog[t1], dilog[t2], ell[t1], ell[t2], L0[t1],
                                    L0[t2]);
        }
        put(&ll->ls1[t], lane, value);
    }
}

/* The helicity index k = 16 b1 + 8 b2 + 4 b3 + 2 b4 + b5 (b_i = 1 for +) with the
 * particles in `negative` (a bit mask, particle i at bit 4 - i) negative. */
#define HEL_BIT(i) (1 << (SP_N - 1 - (i)))
#define ALL_PLUS 31

/* The sums S_h over the 12 orderings for the AMP_LANES events of sl, ll. */
static void helicity_sums_lanes(const amp_plan *pl, const spinor_lanes *sl,
                                const loop_lanes *ll, double inv_eps, clanes sums[32])
{
    const clanes zero = {lanes_of(0.0), lanes_of(0.0)};
    for (int h = 0; h < 32; h++)
        sums[h] = zero;
    bracket_lanes br[2] = {bracket_lanes_of(sl, 0), bracket_lanes_of(sl, 1)};
    /* -(V^f + V^s) = 5/(3 eps) + 10/9 + (ln(mu^2/-s_a) + ln(mu^2/-s_b))/3 (spec 4.3) */
    const clanes v_const = {lanes_of(5.0 / 3.0 * inv_eps + 10.0 / 9.0), lanes_of(0.0)};
    const lanes third = lanes_of(1.0 / 3.0);

    /* Each S_h receives its 12 terms in the order of the orderings. */
    for (int o = 0; o < N_ORDERINGS; o++) {
        for (int parity = 0; parity < 2; parity++) {
            int h = parity ? 0 : ALL_PLUS;
            sums[h] = cl_add(sums[h], prim_ppppp(&br[parity], ORDERINGS[o]));
        }
        for (int k = 0; k < SP_N; k++) {
            int q = SP_N * o + k;
            const int *r = pl->rotation[q];
            clanes v_mm = cl_add(v_const, cl_scale(cl_add(ll->ell_mu[pl->v_mm[q][0]],
                                                          ll->ell_mu[pl->v_mm[q][1]]),
                                                   third));
            clanes v_mp = cl_add(v_const, cl_scale(cl_add(ll->ell_mu[pl->v_mp[q][0]],
                                                          ll->ell_mu[pl->v_mp[q][1]]),
                                                   third));
            mmppp_loops mm = {&v_mm, &ll->L[0][pl->r23_51[q]], &ll->L[2][pl->r23_51[q]]};
            mpmpp_loops mp = {
                .v = &v_mp,
                .Ls1_a = &ll->ls1[pl->ls1_a[q]],
                .Ls1_b = &ll->ls1[pl->ls1_b[q]],
                .L0_34_51 = &ll->L[0][pl->r34_51[q]],
                .L1_23_51 = &ll->L[1][pl->r23_51[q]],
                .L1_34_51 = &ll->L[1][pl->r34_51[q]],
                .L1_12_34 = &ll->L[1][pl->r12_34[q]],
                .L1_51_34 = &ll->L[1][pl->r51_34[q]],
                .L2_23_51 = &ll->L[2][pl->r23_51[q]],
                .L2_34_51 = &ll->L[2][pl->r34_51[q]],
                .L2_12_34 = &ll->L[2][pl->r12_34[q]],
            };
            int h_mp = ALL_PLUS ^ HEL_BIT(r[0]);
            int h_mm = h_mp ^ HEL_BIT(r[1]);
            int h_mpm = h_mp ^ HEL_BIT(r[2]);
            for (int parity = 0; parity < 2; parity++) {
                /* Parity flips every helicity: the complement of the index. */
                int flip = parity ? ALL_PLUS : 0;
                const bracket_lanes *b = &br[parity];
                sums[h_mp ^ flip] = cl_add(sums[h_mp ^ flip], prim_mpppp(b, r));
                sums[h_mm ^ flip] = cl_add(sums[h_mm ^ flip], prim_mmppp(b, &mm, r));
                sums[h_mpm ^ flip] = cl_add(sums[h_mpm ^ flip], prim_mpmpp(b, &mp, r));
            }
        }
    }
}

/* The work space of one batch: about 45 kB, on the stack of the calling thread. */
typedef struct batch {
    spinor_lanes sl;
    loop_lanes ll;
    clanes sums[32];
} batch;

/* Events p[0..n), 1 <= n <= AMP_LANES, into the lanes of b, with their sums S_h; the
 * lanes past n repeat event 0 (and are ignored). mu2[lane] is the scale of the event. */
static void batch_sums(batch *b, const double (*p)[5][4], int n, const double *mu2,
                       double inv_eps)
{
    const amp_plan *pl = plan();
    for (int lane = 0; lane < AMP_LANES; lane++) {
        int e = lane < n ? lane : 0;
        event_into_lane(pl, p[e], mu2[e], lane, &b->sl, &b->ll);
    }
    helicity_sums_lanes(pl, &b->sl, &b->ll, inv_eps, b->sums);
}

/* s_hat = 2 p1.p2, the scale of the logarithms in amp2 and the helicity table. */
static double s_hat_of(const double p[5][4])
{
    return 2.0 * (p[0][0] * p[1][0] - p[0][1] * p[1][1] - p[0][2] * p[1][2] -
                  p[0][3] * p[1][3]);
}

/* |S_h|^2 of the batch. */
static void batch_table(const batch *b, lanes table[32])
{
    for (int h = 0; h < 32; h++)
        table[h] = b->sums[h].re * b->sums[h].re + b->sums[h].im * b->sums[h].im;
}

void gg_aag_helicity_sums(const double p[5][4], double mu2, double inv_eps,
                          double complex out[32])
{
    batch b;
    batch_sums(&b, (const double(*)[5][4])p, 1, &mu2, inv_eps);
    for (int h = 0; h < 32; h++)
        out[h] = CMPLX(b.sums[h].re[0], b.sums[h].im[0]);
}

void gg_aag_helicity_table(const double p[5][4], double out[32])
{
    batch b;
    double mu2 = s_hat_of(p);
    batch_sums(&b, (const double(*)[5][4])p, 1, &mu2, 0.0);
    lanes table[32];
    batch_table(&b, table);
    for (int h = 0; h < 32; h++)
        out[h] = table[h][0];
}

void gg_aag_amp2_batch(const double (*p)[5][4], size_t n, double *amp)
{
    const double factor = gg_aag_overall_factor();
    for (size_t start = 0; start < n; start += AMP_LANES) {
        int len = n - start < AMP_LANES ? (int)(n - start) : AMP_LANES;
        double mu2[AMP_LANES];
        for (int e = 0; e < len; e++)
            mu2[e] = s_hat_of(p[start + e]);
        batch b;
        batch_sums(&b, p + start, len, mu2, 0.0);
        lanes table[32], sum = lanes_of(0.0);
        batch_table(&b, table);
        for (int h = 0; h < 32; h++)
            sum += table[h];
        for (int e = 0; e < len; e++)
            amp[start + e] = factor * sum[e];
    }
}

double gg_aag_amp2(const double p[5][4])
{
    double amp;
    gg_aag_amp2_batch((const double(*)[5][4])p, 1, &amp);
    return amp;
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

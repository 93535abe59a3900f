#include "physics/primitives.h"

#include <string.h>

#include "physics/loop_functions.h"

/* The pair index of {i, j} (see loop_cache); -1 on the diagonal, never used. */
static const int PAIR_INDEX[SP_N][SP_N] = {
    {-1, 0, 1, 2, 3}, {0, -1, 4, 5, 6}, {1, 4, -1, 7, 8}, {2, 5, 7, -1, 9}, {3, 6, 8, 9, -1},
};

void loop_cache_init(loop_cache *lc, const spinor_products *sp, double mu2, double inv_eps)
{
    for (int i = 0; i < SP_N; i++)
        for (int j = i + 1; j < SP_N; j++) {
            int p = PAIR_INDEX[i][j];
            lc->s[p] = sp->s[i][j];
            lc->ell_mu[p] = loop_ell_mu(mu2, sp->s[i][j]);
        }
    lc->v_const = 5.0 / 3.0 * inv_eps + 10.0 / 9.0;
    memset(lc->have, 0, sizeof lc->have);
}

/* ---------------------------------------------------------------- cached functions */

enum { HAVE_ELL = 1, HAVE_L0 = 2, HAVE_L1 = 4, HAVE_L2 = 8, HAVE_D = 16 };

/* Each returns its function of s_a/s_b for the pair indices (a, b), computed on first
 * use. */
static double complex c_ell(loop_cache *lc, int a, int b)
{
    if (!(lc->have[a][b] & HAVE_ELL)) {
        lc->ell[a][b] = loop_ell(lc->s[a], lc->s[b]);
        lc->have[a][b] |= HAVE_ELL;
    }
    return lc->ell[a][b];
}

static double complex c_L0(loop_cache *lc, int a, int b)
{
    if (!(lc->have[a][b] & HAVE_L0)) {
        lc->L0[a][b] = loop_L0(lc->s[a], lc->s[b]);
        lc->have[a][b] |= HAVE_L0;
    }
    return lc->L0[a][b];
}

static double complex c_L1(loop_cache *lc, int a, int b)
{
    if (!(lc->have[a][b] & HAVE_L1)) {
        lc->L1[a][b] = loop_L1(lc->s[a], lc->s[b]);
        lc->have[a][b] |= HAVE_L1;
    }
    return lc->L1[a][b];
}

static double complex c_L2(loop_cache *lc, int a, int b)
{
    if (!(lc->have[a][b] & HAVE_L2)) {
        lc->L2[a][b] = loop_L2(lc->s[a], lc->s[b]);
        lc->have[a][b] |= HAVE_L2;
    }
    return lc->L2[a][b];
}

static double complex c_D(loop_cache *lc, int a, int b)
{
    if (!(lc->have[a][b] & HAVE_D)) {
        lc->D[a][b] = loop_dilog(lc->s[a], lc->s[b]);
        lc->have[a][b] |= HAVE_D;
    }
    return lc->D[a][b];
}

/* Ls_1(s_a1/s_b1, s_a2/s_b2) from the cached pieces, spec 3.3 (= loop_Ls1). */
static double complex c_Ls1(loop_cache *lc, int a1, int b1, int a2, int b2)
{
    double r1 = lc->s[a1] / lc->s[b1], r2 = lc->s[a2] / lc->s[b2];
    if (loop_Ls1_use_series(r1, r2))
        return loop_Ls1_series(r1, r2, c_ell(lc, a1, b1), cimag(c_ell(lc, a2, b2)));
    double den = (1.0 - r1) - r2;
    double complex lsm1 =
        c_D(lc, a1, b1) + c_D(lc, a2, b2) + c_ell(lc, a1, b1) * c_ell(lc, a2, b2) - BA_PI2_6;
    return (lsm1 / den + c_L0(lc, a1, b1) + c_L0(lc, a2, b2)) / den;
}

/* ---------------------------------------------------------------- the primitives */

/* Positions 1..5 of the cyclic ordering o, as in the papers: A(1,2) = <o1 o2>,
 * B(1,2) = [o1 o2], IA(1,2) = 1/<o1 o2>, IB(1,2) = 1/[o1 o2], S(1,2) = s_{o1 o2},
 * P(1,2) the pair index of s_{o1 o2}. Denominators are written with IA and IB:
 * divisions by complex numbers are slow. */
#define A(i, j) (br->ang[o[(i) - 1]][o[(j) - 1]])
#define B(i, j) (br->sq[o[(i) - 1]][o[(j) - 1]])
#define IA(i, j) (br->inv_ang[o[(i) - 1]][o[(j) - 1]])
#define IB(i, j) (br->inv_sq[o[(i) - 1]][o[(j) - 1]])
#define S(i, j) (br->s[o[(i) - 1]][o[(j) - 1]])
#define P(i, j) (PAIR_INDEX[o[(i) - 1]][o[(j) - 1]])

/* Spec 4.1, BDK Eq. (4): all plus, rational. The last two numerator terms are the
 * parity-odd invariant epsilon(1,2,3,4). */
double complex prim_ppppp(const brackets *br, const int o[SP_N])
{
    double s12 = S(1, 2), s23 = S(2, 3), s34 = S(3, 4), s45 = S(4, 5), s51 = S(5, 1);
    double complex num = s12 * s23 + s23 * s34 + s34 * s45 + s45 * s51 + s51 * s12 +
                         B(1, 2) * A(2, 3) * B(3, 4) * A(4, 1) -
                         A(1, 2) * B(2, 3) * A(3, 4) * B(4, 1);
    return -num * (IA(1, 2) * IA(2, 3) * IA(3, 4) * IA(4, 5) * IA(5, 1)) / 6.0;
}

/* Spec 4.2, BDK Eq. (4): leg 1 negative, rational. */
double complex prim_mpppp(const brackets *br, const int o[SP_N])
{
    double complex a12 = A(1, 2), a13 = A(1, 3), a14 = A(1, 4), a15 = A(1, 5);
    double complex b25 = B(2, 5);
    double complex a12a13 = a12 * a13, a13a14 = a13 * a14, a14a15 = a14 * a15;
    double complex bracket = a12a13 * a12a13 * B(2, 3) * IA(2, 3) +
                             a13a14 * a13a14 * B(3, 4) * IA(3, 4) +
                             a14a15 * a14a15 * B(4, 5) * IA(4, 5);
    double complex num = (S(2, 3) + S(3, 4) + S(4, 5)) * b25 * b25 -
                         B(2, 4) * A(4, 3) * B(3, 5) * b25 -
                         B(1, 2) * B(1, 5) * IA(1, 2) * IA(1, 5) * bracket;
    return num * (IB(1, 2) * IA(2, 3) * IA(3, 4) * IA(4, 5) * IB(5, 1)) / 3.0;
}

/* Spec 4.3, BDK Eqs. (8), (10): legs 1 and 2 negative. */
double complex prim_mmppp(const brackets *br, loop_cache *lc, const int o[SP_N])
{
    double complex a12 = A(1, 2), a23 = A(2, 3), a24 = A(2, 4), a35 = A(3, 5), a41 = A(4, 1),
                   a51 = A(5, 1);
    double complex b34 = B(3, 4), b35 = B(3, 5), b45 = B(4, 5);
    double s23 = S(2, 3), s51 = S(5, 1);
    int p23 = P(2, 3), p51 = P(5, 1);

    double complex i34i45 = IA(3, 4) * IA(4, 5);                    /* 1/(<34><45>) */
    double complex i_den4 = IA(2, 3) * i34i45 * IA(5, 1);            /* 1/(<23><34><45><51>) */
    double complex pt12 = a12 * a12 * a12 * i_den4;                  /* PT_12 */
    double complex x = a23 * b34 * a41 + a24 * b45 * a51;            /* X */
    double complex c = b34 * a41 * a24 * b45;                        /* [34]<41><24>[45] */
    double complex i_b23a34a45b51 = IB(2, 3) * i34i45 * IB(5, 1);

    /* -(V^f + V^s) = 5/(3 eps) + 10/9 + (ln(mu^2/-s23) + ln(mu^2/-s51))/3 */
    double complex v = lc->v_const + (lc->ell_mu[p23] + lc->ell_mu[p51]) / 3.0;

    double complex ff = -a12 * a12 * x * c_L0(lc, p23, p51) * i_den4 / (2.0 * s51);
    double complex fs = -ff / 3.0 -
                        c * x * c_L2(lc, p23, p51) * i34i45 / (3.0 * s51 * s51 * s51) -
                        a35 * b35 * b35 * b35 * IB(1, 2) * i_b23a34a45b51 / 3.0 +
                        a12 * b35 * b35 * i_b23a34a45b51 / 3.0 +
                        a12 * c * i34i45 / (6.0 * s23 * s51);
    return v * pt12 - (ff + fs);
}

/* Spec 4.4, BDK Eqs. (9), (10): legs 1 and 3 negative. */
double complex prim_mpmpp(const brackets *br, loop_cache *lc, const int o[SP_N])
{
    double complex a12 = A(1, 2), a13 = A(1, 3), a15 = A(1, 5), a23 = A(2, 3), a34 = A(3, 4),
                   a41 = A(4, 1), a53 = A(5, 3);
    /* <21> = -<12>, <32> = -<23> */
    double complex a21 = -a12, a32 = -a23;
    double complex b24 = B(2, 4), b25 = B(2, 5);
    double complex b42 = -b24, b52 = -b25;
    double s34 = S(3, 4), s51 = S(5, 1);
    int p12 = P(1, 2), p23 = P(2, 3), p34 = P(3, 4), p51 = P(5, 1);

    /* Inverse brackets; 1/<54> = -1/<45>, 1/<43> = -1/<34>, 1/[21] = -1/[12]. */
    double complex i12 = IA(1, 2), i23 = IA(2, 3), i34 = IA(3, 4), i45 = IA(4, 5),
                   i51 = IA(5, 1), i24 = IA(2, 4), i25 = IA(2, 5);
    double complex i54 = -i45, i43 = -i34;
    double complex ib12 = IB(1, 2), ib23 = IB(2, 3), ib34 = IB(3, 4), ib51 = IB(5, 1),
                   ib15 = IB(1, 5);
    double complex ib21 = -ib12;

    double complex i_den5 = i12 * i23 * i34 * i45 * i51; /* 1/(<12><23><34><45><51>) */
    double complex i45i51 = i45 * i51, i54i43 = i54 * i43;
    double complex a13_2 = a13 * a13, a13_3 = a13_2 * a13;
    double complex pt13 = a13_2 * a13_2 * i_den5;
    double complex y = a15 * b52 * a23 - a34 * b42 * a21; /* Y */
    double complex b24_2 = b24 * b24, b24_3 = b24_2 * b24;
    double complex b25_2 = b25 * b25, b25_3 = b25_2 * b25;
    double complex a41_2 = a41 * a41, a53_2 = a53 * a53;
    double s51_2 = s51 * s51, s34_2 = s34 * s34, s51_3 = s51_2 * s51, s34_3 = s34_2 * s34;

    double complex ls_a = c_Ls1(lc, p23, p51, p34, p51); /* Ls1(s23/s51, s34/s51) */
    double complex ls_b = c_Ls1(lc, p12, p34, p51, p34); /* Ls1(s12/s34, s51/s34) */
    double complex l0 = c_L0(lc, p34, p51);
    double complex l2 = c_L2(lc, p34, p51);

    double complex v = lc->v_const + (lc->ell_mu[p34] + lc->ell_mu[p51]) / 3.0;

    double complex ff = -a13_2 * a41 * b24_2 * i45i51 / s51_2 * ls_a +
                        a13_2 * a53 * b25_2 * i34 * i45 / s34_2 * ls_b -
                        a13_3 * y * l0 * i_den5 / (2.0 * s51);

    double complex fs =
        -a12 * a23 * a34 * a41_2 * b24_2 * i45i51 * i24 * i24 / s51_2 *
            (2.0 * ls_a + c_L1(lc, p23, p51) + c_L1(lc, p34, p51)) +
        a32 * a21 * a15 * a53_2 * b25_2 * i54i43 * i25 * i25 / s34_2 *
            (2.0 * ls_b + c_L1(lc, p12, p34) + c_L1(lc, p51, p34)) +
        2.0 * a23 * a23 * a41_2 * a41 * b24_3 * c_L2(lc, p23, p51) * i45i51 * i24 /
            (3.0 * s51_3) -
        2.0 * a21 * a21 * a53_2 * a53 * b25_3 * c_L2(lc, p12, p34) * i54i43 * i25 /
            (3.0 * s34_3) +
        l2 / s51_3 *
            (a13 * b24 * b25 * y * i45 / 3.0 +
             2.0 * a12 * a12 * a34 * a34 * a41 * b24_3 * i45i51 * i24 / 3.0 -
             2.0 * a32 * a32 * a15 * a15 * a53 * b25_3 * i54i43 * i25 / 3.0) +
        a13_3 * y * l0 * i_den5 / (6.0 * s51) +
        b24_2 * b25_2 * ib12 * ib23 * ib34 * i45 * ib51 / 3.0 -
        a12 * a41_2 * b24_3 * i45i51 * i24 * ib23 * ib34 / (3.0 * s51) +
        a32 * a53_2 * b25_3 * i54i43 * i25 * ib21 * ib15 / (3.0 * s34) +
        a13_2 * b24 * b25 * i45 / (6.0 * s34 * s51);

    return v * pt13 - (ff + fs);
}

#undef A
#undef B
#undef IA
#undef IB
#undef S
#undef P

/* ---------------------------------------------------------------- reduction */

/* Spec section 5: parity for three or more negative helicities, then a cyclic rotation
 * that brings the negative legs to the positions of 4.2, 4.3 or 4.4. */
double complex prim_amplitude(const spinor_products *sp, loop_cache *lc, const int o[SP_N],
                              const int hel[SP_N])
{
    int neg[SP_N], n_neg = 0, n_pos = 0, pos[SP_N];
    for (int k = 0; k < SP_N; k++) {
        if (hel[o[k]] < 0)
            neg[n_neg++] = k;
        else
            pos[n_pos++] = k;
    }
    brackets br = {sp->ang, sp->sq, sp->inv_ang, sp->inv_sq, sp->s};
    if (n_neg >= 3) {
        /* Parity: <ij> <-> [ij] in the rational coefficients only, all helicities
         * flipped. Not complex conjugation, which would flip the absorptive parts. */
        br.ang = sp->sq;
        br.sq = sp->ang;
        br.inv_ang = sp->inv_sq;
        br.inv_sq = sp->inv_ang;
        n_neg = n_pos;
        memcpy(neg, pos, sizeof neg);
    }

    int r[SP_N]; /* the rotated ordering */
    int start = 0;
    if (n_neg == 0)
        return prim_ppppp(&br, o);
    if (n_neg == 1)
        start = neg[0];
    else {
        int d = neg[1] - neg[0];
        start = d <= 2 ? neg[0] : neg[1];
    }
    for (int k = 0; k < SP_N; k++)
        r[k] = o[(start + k) % SP_N];
    if (n_neg == 1)
        return prim_mpppp(&br, r);
    int d = neg[1] - neg[0];
    return (d == 1 || d == 4) ? prim_mmppp(&br, lc, r) : prim_mpmpp(&br, lc, r);
}

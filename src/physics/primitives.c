#include "physics/primitives.h"

bracket_lanes bracket_lanes_of(const spinor_lanes *sp, int parity)
{
    /* Parity: <ij> <-> [ij] in the rational coefficients only, all helicities flipped.
     * Not complex conjugation, which would flip the absorptive parts. */
    if (parity)
        return (bracket_lanes){sp->sq, sp->ang, sp->inv_sq, sp->inv_ang, sp->s, sp->inv_s};
    return (bracket_lanes){sp->ang, sp->sq, sp->inv_ang, sp->inv_sq, sp->s, sp->inv_s};
}

/* Positions 1..5 of the cyclic ordering o, as in the papers: A(1,2) = <o1 o2>,
 * B(1,2) = [o1 o2], IA(1,2) = 1/<o1 o2>, IB(1,2) = 1/[o1 o2], S(1,2) = s_{o1 o2},
 * IS(1,2) = 1/s_{o1 o2}. Denominators are written with IA, IB and IS: a division costs
 * several multiplications. */
#define A(i, j) (br->ang[o[(i) - 1]][o[(j) - 1]])
#define B(i, j) (br->sq[o[(i) - 1]][o[(j) - 1]])
#define IA(i, j) (br->inv_ang[o[(i) - 1]][o[(j) - 1]])
#define IB(i, j) (br->inv_sq[o[(i) - 1]][o[(j) - 1]])
#define S(i, j) (br->s[o[(i) - 1]][o[(j) - 1]])
#define IS(i, j) (br->inv_s[o[(i) - 1]][o[(j) - 1]])

/* Spec 4.1, BDK Eq. (4): all plus, rational. The last two numerator terms are the
 * parity-odd invariant epsilon(1,2,3,4). */
clanes prim_ppppp(const bracket_lanes *br, const int o[SP_N])
{
    lanes s12 = S(1, 2), s23 = S(2, 3), s34 = S(3, 4), s45 = S(4, 5), s51 = S(5, 1);
    lanes even = s12 * s23 + s23 * s34 + s34 * s45 + s45 * s51 + s51 * s12;
    clanes odd = cl_sub(cl_mul4(B(1, 2), A(2, 3), B(3, 4), A(4, 1)),
                        cl_mul4(A(1, 2), B(2, 3), A(3, 4), B(4, 1)));
    clanes num = {even + odd.re, odd.im};
    clanes den = cl_mul(cl_mul3(IA(1, 2), IA(2, 3), IA(3, 4)), cl_mul(IA(4, 5), IA(5, 1)));
    return cl_scale(cl_mul(num, den), lanes_of(-1.0 / 6.0));
}

/* Spec 4.2, BDK Eq. (4): leg 1 negative, rational. */
clanes prim_mpppp(const bracket_lanes *br, const int o[SP_N])
{
    clanes a12 = A(1, 2), a13 = A(1, 3), a14 = A(1, 4), a15 = A(1, 5);
    clanes b25 = B(2, 5);
    clanes a12a13 = cl_mul(a12, a13), a13a14 = cl_mul(a13, a14), a14a15 = cl_mul(a14, a15);
    clanes bracket = cl_add(cl_add(cl_mul3(cl_sq(a12a13), B(2, 3), IA(2, 3)),
                                   cl_mul3(cl_sq(a13a14), B(3, 4), IA(3, 4))),
                            cl_mul3(cl_sq(a14a15), B(4, 5), IA(4, 5)));
    clanes num = cl_sub(cl_sub(cl_scale(cl_sq(b25), S(2, 3) + S(3, 4) + S(4, 5)),
                               cl_mul4(B(2, 4), A(4, 3), B(3, 5), b25)),
                        cl_mul(cl_mul4(B(1, 2), B(1, 5), IA(1, 2), IA(1, 5)), bracket));
    clanes den = cl_mul(cl_mul3(IB(1, 2), IA(2, 3), IA(3, 4)), cl_mul(IA(4, 5), IB(5, 1)));
    return cl_scale(cl_mul(num, den), lanes_of(1.0 / 3.0));
}

/* Spec 4.3, BDK Eqs. (8), (10): legs 1 and 2 negative.
 *   A = v PT_12 - (F^f + F^s),  PT_12 = <12>^3/(<23><34><45><51>),
 *   F^f = -<12>^2 X L0(s23/s51)/(2 s51 <23><34><45><51>),  X = <23>[34]<41> + <24>[45]<51>,
 *   F^s = -F^f/3 - C X L2(s23/s51)/(3 s51^3 <34><45>) - <35>[35]^3/(3 [12][23]<34><45>[51])
 *         + <12>[35]^2/(3 [23]<34><45>[51]) + <12> C/(6 s23 s51 <34><45>),
 *   C = [34]<41><24>[45]. */
clanes prim_mmppp(const bracket_lanes *br, const mmppp_loops *lp, const int o[SP_N])
{
    clanes a12 = A(1, 2), a23 = A(2, 3), a24 = A(2, 4), a35 = A(3, 5), a41 = A(4, 1),
           a51 = A(5, 1);
    clanes b34 = B(3, 4), b35 = B(3, 5), b45 = B(4, 5);
    lanes is23 = IS(2, 3), is51 = IS(5, 1);

    clanes i34i45 = cl_mul(IA(3, 4), IA(4, 5));               /* 1/(<34><45>) */
    clanes i_den4 = cl_mul3(IA(2, 3), i34i45, IA(5, 1));      /* 1/(<23><34><45><51>) */
    clanes a12_2 = cl_sq(a12);
    clanes pt12 = cl_mul3(a12_2, a12, i_den4);                /* PT_12 */
    clanes b34a41 = cl_mul(b34, a41), a24b45 = cl_mul(a24, b45);
    clanes x = cl_add(cl_mul(a23, b34a41), cl_mul(a24b45, a51)); /* X */
    clanes c = cl_mul(b34a41, a24b45);                           /* C */
    clanes i_b23a34a45b51 = cl_mul3(IB(2, 3), i34i45, IB(5, 1));
    clanes b35_2 = cl_sq(b35);

    clanes ff = cl_scale(cl_mul4(a12_2, x, *lp->L0_23_51, i_den4), -0.5 * is51); /* F^f */
    /* F^f + F^s = (2/3) F^f + rest; the two [35] terms share b35^2 i_b23a34a45b51 / 3. */
    clanes b35_terms = cl_mul3(b35_2, i_b23a34a45b51, cl_sub(a12, cl_mul3(a35, b35, IB(1, 2))));
    clanes l2_term = cl_scale(cl_mul4(c, x, *lp->L2_23_51, i34i45), is51 * is51 * is51);
    clanes rest = cl_add(cl_scale(cl_sub(b35_terms, l2_term), lanes_of(1.0 / 3.0)),
                         cl_scale(cl_mul3(a12, c, i34i45), is23 * is51 * (1.0 / 6.0)));
    return cl_sub(cl_mul(*lp->v, pt12), cl_add(cl_scale(ff, lanes_of(2.0 / 3.0)), rest));
}

/* Spec 4.4, BDK Eqs. (9), (10): legs 1 and 3 negative; the spec's terms in its order,
 * except that the term of F^f in L0 (-T/2) and that of F^s (+T/6), with
 * T = <13>^3 Y L0(s34/s51)/(s51 <12><23><34><45><51>), are added as -T/3. Signed
 * brackets (<21> = -<12>, 1/<54> = -1/<45>, ...) keep the spec's names. */
clanes prim_mpmpp(const bracket_lanes *br, const mpmpp_loops *lp, const int o[SP_N])
{
    clanes a12 = A(1, 2), a13 = A(1, 3), a15 = A(1, 5), a23 = A(2, 3), a34 = A(3, 4),
           a41 = A(4, 1), a53 = A(5, 3);
    clanes a21 = cl_neg(a12), a32 = cl_neg(a23);
    clanes b24 = B(2, 4), b25 = B(2, 5);
    clanes b42 = cl_neg(b24), b52 = cl_neg(b25);
    lanes is34 = IS(3, 4), is51 = IS(5, 1);

    clanes i12 = IA(1, 2), i23 = IA(2, 3), i34 = IA(3, 4), i45 = IA(4, 5), i51 = IA(5, 1),
           i24 = IA(2, 4), i25 = IA(2, 5);
    clanes ib12 = IB(1, 2), ib23 = IB(2, 3), ib34 = IB(3, 4), ib51 = IB(5, 1), ib15 = IB(1, 5);
    clanes ib21 = cl_neg(ib12);

    clanes i45i51 = cl_mul(i45, i51);
    clanes i54i43 = cl_mul(i45, i34); /* 1/(<54><43>) = 1/(<45><34>) */
    clanes i_den5 = cl_mul3(i12, i23, cl_mul(i34, i45i51)); /* 1/(<12><23><34><45><51>) */
    clanes a13_2 = cl_sq(a13), a13_3 = cl_mul(a13_2, a13);
    clanes pt13 = cl_mul(cl_sq(a13_2), i_den5); /* PT_13 = <13>^4/(<12><23><34><45><51>) */
    clanes y = cl_sub(cl_mul3(a15, b52, a23), cl_mul3(a34, b42, a21)); /* Y */
    clanes b24_2 = cl_sq(b24), b24_3 = cl_mul(b24_2, b24);
    clanes b25_2 = cl_sq(b25), b25_3 = cl_mul(b25_2, b25);
    clanes a41_2 = cl_sq(a41), a53_2 = cl_sq(a53);
    lanes is51_2 = is51 * is51, is34_2 = is34 * is34;
    lanes is51_3 = is51_2 * is51, is34_3 = is34_2 * is34;
    clanes ls_a = *lp->Ls1_a, ls_b = *lp->Ls1_b;
    const lanes third = lanes_of(1.0 / 3.0), two_thirds = lanes_of(2.0 / 3.0);

    /* <41>[24]^2/(<45><51>) and <53>[25]^2/(<54><43>): each in three terms */
    clanes g_a = cl_mul3(a41, b24_2, i45i51), g_b = cl_mul3(a53, b25_2, i54i43);
    clanes t = cl_scale(cl_mul4(a13_3, y, *lp->L0_34_51, i_den5), is51);

    /* F^f without its L0 term */
    clanes ff = cl_sub(cl_mul3(a13_2, g_b, cl_scale(ls_b, is34_2)),
                       cl_mul3(a13_2, g_a, cl_scale(ls_a, is51_2)));

    clanes ls_a_sum = cl_add(cl_add(cl_add(ls_a, ls_a), *lp->L1_23_51), *lp->L1_34_51);
    clanes ls_b_sum = cl_add(cl_add(cl_add(ls_b, ls_b), *lp->L1_12_34), *lp->L1_51_34);
    clanes fs1 = cl_scale(cl_mul(cl_mul4(a12, a23, a34, a41), cl_mul3(g_a, cl_sq(i24), ls_a_sum)),
                          -is51_2);
    clanes fs2 = cl_scale(cl_mul(cl_mul4(a32, a21, a15, a53), cl_mul3(g_b, cl_sq(i25), ls_b_sum)),
                          is34_2);
    clanes fs3 = cl_scale(cl_mul(cl_mul4(cl_sq(a23), a41_2, a41, b24_3),
                                 cl_mul3(*lp->L2_23_51, i45i51, i24)),
                          two_thirds * is51_3);
    clanes fs4 = cl_scale(cl_mul(cl_mul4(cl_sq(a21), a53_2, a53, b25_3),
                                 cl_mul3(*lp->L2_12_34, i54i43, i25)),
                          -two_thirds * is34_3);
    clanes l2_bracket = cl_add(
        cl_sub(cl_scale(cl_mul(cl_mul4(a13, b24, b25, y), i45), third),
               cl_scale(cl_mul(cl_mul4(cl_sq(a32), cl_sq(a15), a53, b25_3), cl_mul(i54i43, i25)),
                        two_thirds)),
        cl_scale(cl_mul(cl_mul4(cl_sq(a12), cl_sq(a34), a41, b24_3), cl_mul(i45i51, i24)),
                 two_thirds));
    clanes fs5 = cl_scale(cl_mul(*lp->L2_34_51, l2_bracket), is51_3);
    clanes fs7 = cl_scale(cl_mul(cl_mul4(b24_2, b25_2, ib12, ib23), cl_mul3(ib34, i45, ib51)),
                          third);
    clanes fs8 = cl_scale(cl_mul(cl_mul4(a12, a41_2, b24_3, i45i51), cl_mul3(i24, ib23, ib34)),
                          -is51 * (1.0 / 3.0));
    clanes fs9 = cl_scale(cl_mul(cl_mul4(a32, a53_2, b25_3, i54i43), cl_mul3(i25, ib21, ib15)),
                          is34 * (1.0 / 3.0));
    clanes fs10 = cl_scale(cl_mul4(a13_2, b24, b25, i45), is34 * is51 * (1.0 / 6.0));

    clanes f = cl_sub(cl_add(ff, cl_add(cl_add(cl_add(fs1, fs2), cl_add(fs3, fs4)),
                                        cl_add(cl_add(fs5, fs7), cl_add(fs8, fs9)))),
                      cl_sub(cl_scale(t, third), fs10));
    return cl_sub(cl_mul(*lp->v, pt13), f);
}

#undef A
#undef B
#undef IA
#undef IB
#undef S
#undef IS

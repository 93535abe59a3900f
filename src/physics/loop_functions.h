/* The one-loop functions of Bern, Dixon, Kosower, arXiv:hep-ph/9302280 (their Eq. (10)
 * and the appendix defining L_k and Ls_k), analytically continued with s -> s + i0.
 *
 * Every function takes real invariants s_a, s_b and stands for BDK's function of the
 * ratio (-s_a)/(-s_b); definitions and the numerics are those of the specification
 * shared/physics/gg_aag_one_loop.md, section 3.
 */
#ifndef BA_PHYSICS_LOOP_FUNCTIONS_H
#define BA_PHYSICS_LOOP_FUNCTIONS_H

#include "common/cmplx.h"

#define BA_PI 3.14159265358979323846
#define BA_PI2_6 1.64493406684822643647 /* pi^2 / 6 = Li2(1) */

/* ln((-s_a - i0)/(-s_b - i0)) = ln|s_a/s_b| - i pi [theta(s_a) - theta(s_b)]  (spec 3.1). */
double complex loop_ell(double sa, double sb);
/* ln(mu2/(-s - i0)) = ln(mu2/|s|) + i pi theta(s)  (spec 3.1). */
double complex loop_ell_mu(double mu2, double s);

/* L_0, L_1, L_2 of r = s_a/s_b (spec 3.2) into L[0..2], given ell = loop_ell(sa, sb):
 * the three share the logarithm and 1/(1-r). Near r = 1 the closed forms lose
 * eps/(1-r)^k digits, so the Taylor series in d = 1 - r is used for |d| < 0.05. */
void loop_L012(double sa, double sb, double complex ell, double complex L[3]);
/* Each of them alone. */
double complex loop_L0(double sa, double sb);
double complex loop_L1(double sa, double sb);
double complex loop_L2(double sa, double sb);

/* Real dilogarithm Li2(x) for x <= 1 (NaN above 1), spec 3.3. */
double loop_li2(double x);

/* Li2(1 - (-s_a - i0)/(-s_b - i0)), the continued dilogarithm D of spec 3.3. */
double complex loop_dilog(double sa, double sb);

/* Ls_{-1}, Ls_1 of (s_a1/s_b1, s_a2/s_b2) (spec 3.3, BDK appendix). */
double complex loop_Lsm1(double sa1, double sb1, double sa2, double sb2);
double complex loop_Ls1(double sa1, double sb1, double sa2, double sb2);

/* Near r1 + r2 = 1 loop_Ls1 uses a series (loop_functions.c explains it): whether it
 * does for these ratios, and the series itself, given the continued logarithm ell1 of
 * r1 and the imaginary part of that of r2. */
int loop_Ls1_use_series(double r1, double r2);
double complex loop_Ls1_series(double r1, double r2, double complex ell1, double im_ell2);
/* The closed form of Ls_1 away from r1 + r2 = 1, from the continued dilogarithms D,
 * logarithms ell and L_0 of r1 and r2. */
double complex loop_Ls1_closed(double r1, double r2, double complex D1, double complex D2,
                              double complex ell1, double complex ell2, double complex L0_1,
                              double complex L0_2);

#endif

#include "physics/loop_functions.h"

#include <math.h>


/* Below this |1 - r| the L_k use their Taylor series (spec 3.2): 18 terms give
 * 0.05^18 ~ 4e-24, below double rounding, while the closed forms at |d| = 0.05 lose at
 * most eps/d^3 ~ 2e-12 relative. */
#define SERIES_BELOW 0.05
#define SERIES_TERMS 18

static inline double theta(double x) { return x > 0 ? 1.0 : 0.0; }

double complex loop_ell(double sa, double sb)
{
    return CMPLX(log(fabs(sa / sb)), -BA_PI * (theta(sa) - theta(sb)));
}

double complex loop_ell_mu(double mu2, double s)
{
    return CMPLX(log(mu2 / fabs(s)), BA_PI * theta(s));
}

/* The series applies for r > 0 (ell real, no absorptive part) close to r = 1. */
static inline int use_series(double r, double d) { return r > 0 && fabs(d) < SERIES_BELOW; }

/* L0 = ln(r)/(1-r) = -sum_k d^k/(k+1),
 * L1 = (L0 + 1)/(1-r) = -sum_k d^k/(k+2),
 * L2 = (ln r - (r - 1/r)/2)/(1-r)^3 = sum_k (k+1)/(2(k+3)) d^k. */
void loop_L012(double sa, double sb, double complex ell, double complex L[3])
{
    double r = sa / sb, d = 1.0 - r;
    if (use_series(r, d)) {
        double sum0 = 0, sum1 = 0, sum2 = 0;
        for (int k = SERIES_TERMS - 1; k >= 0; k--) {
            sum0 = sum0 * d + 1.0 / (k + 1);
            sum1 = sum1 * d + 1.0 / (k + 2);
            sum2 = sum2 * d + (k + 1.0) / (2.0 * (k + 3));
        }
        L[0] = -sum0;
        L[1] = -sum1;
        L[2] = sum2;
        return;
    }
    double inv_d = 1.0 / d;
    L[0] = ell * inv_d;
    L[1] = (L[0] + 1.0) * inv_d;
    L[2] = (ell - 0.5 * (r - 1.0 / r)) * (inv_d * inv_d * inv_d);
}

static double complex loop_L(double sa, double sb, int k)
{
    double complex L[3];
    loop_L012(sa, sb, loop_ell(sa, sb), L);
    return L[k];
}

double complex loop_L0(double sa, double sb) { return loop_L(sa, sb, 0); }
double complex loop_L1(double sa, double sb) { return loop_L(sa, sb, 1); }
double complex loop_L2(double sa, double sb) { return loop_L(sa, sb, 2); }

/* B_n/(n+1)! for n = 0, 1, 2, 4, ..., 22 (odd n > 1 vanish): Li2(x) = sum_n
 * B_n/(n+1)! u^(n+1) with u = -ln(1-x) ('t Hooft-Veltman). On -1 <= x <= 1/2,
 * |u| <= ln 2 and the omitted terms are below 1e-23. */
static const double LI2_BERNOULLI[] = {
    -2.77777777777777778e-04, 4.72411186696900978e-06, -9.18577307466196408e-08,
    1.89788699889710005e-09,  -4.06476164514422560e-11, 8.92169102045645230e-13,
    -1.99392958607210744e-14, 4.51898002961991825e-16, -1.03565176121812472e-17,
    2.39521862102618698e-19,
};

double loop_li2(double x)
{
    if (x > 1.0 || isnan(x))
        return NAN;
    if (x == 1.0)
        return BA_PI2_6;
    if (x < -1.0) {
        double l = log(-x);
        return -BA_PI2_6 - 0.5 * l * l - loop_li2(1.0 / x);
    }
    if (x > 0.5)
        return BA_PI2_6 - log(x) * log1p(-x) - loop_li2(1.0 - x);
    double u = -log1p(-x), u2 = u * u;
    /* u - u^2/4 + u^3/36 + sum_{k>=2} B_{2k}/(2k+1)! u^(2k+1), Horner in u^2. */
    double tail = 0;
    for (int k = (int)(sizeof LI2_BERNOULLI / sizeof LI2_BERNOULLI[0]) - 1; k >= 0; k--)
        tail = tail * u2 + LI2_BERNOULLI[k];
    return u - 0.25 * u2 + u * u2 * (1.0 / 36.0 + u2 * tail);
}

double complex loop_dilog(double sa, double sb)
{
    double r = sa / sb;
    if (r > 0)
        return loop_li2(1.0 - r);
    /* 1 - r > 1 lies on the cut; the i0 prescription enters only through ell. */
    return BA_PI2_6 - loop_li2(r) - loop_ell(sa, sb) * log1p(-r);
}

double complex loop_Lsm1(double sa1, double sb1, double sa2, double sb2)
{
    return loop_dilog(sa1, sb1) + loop_dilog(sa2, sb2) +
           loop_ell(sa1, sb1) * loop_ell(sa2, sb2) - BA_PI2_6;
}

/* Ls_1 near its removable singularity r1 + r2 = 1. The closed form divides twice by
 * delta = 1 - r1 - r2 after Ls_{-1} = O(delta) and Ls_0 + L_0 + L_0 = O(delta) have
 * cancelled, losing eps/delta^2. This happens whenever two legs are nearly collinear:
 * for the Ls_1(s23/s51, s34/s51) of BDK Eq. (9), delta = s24/s51 (s51 = s23 + s24 + s34
 * for massless five-point kinematics), e.g. a gluon along a beam or along a photon.
 * There the closed form limited the whole amplitude to ~1e-8 (beam-collinear) and
 * ~1e-6 (photon-collinear) relative accuracy.
 *
 * The series below is not in BDK or the specification; it is derived here (and checked
 * against the closed form where both are accurate, tests/test_amplitude.c). At fixed
 * x = r1 let y = r2 = y0 - delta, y0 = 1 - x. Since dLi2(1-y)/dy = ln(y)/(1-y),
 *   d Ls_{-1}/d delta = -ln(y)/(1-y) - ln(x)/y,
 * and g(delta) = Ls_{-1} + delta (L0(x) + L0(y)) = delta^2 Ls_1 obeys
 *   g'(delta) = ln(x) (1/y0 - 1/y) + delta B'(delta),   B(delta) = L0(y) = ln(y)/(x + delta),
 * whence, with B = sum_n b_n delta^n,
 *   Ls_1 = sum_{n>=1} (n b_n - ln(x)/y0^(n+1)) delta^(n-1)/(n+1).
 * The logarithms are the continued ones (ell1 for x, ln|y0| + i im_ell2 for y); the
 * derivation holds on that sheet as long as |delta| < |x|, |y0|. The series is used for
 * |delta| < LS1_SERIES_RATIO min(|x|, |y0|), where its terms fall at least like 0.1^n. */
#define LS1_SERIES_RATIO 0.1
#define LS1_SERIES_MAX 40

int loop_Ls1_use_series(double r1, double r2)
{
    double delta = (1.0 - r1) - r2;
    return fabs(delta) < LS1_SERIES_RATIO * fmin(fabs(r1), fabs(1.0 - r1));
}

double complex loop_Ls1_series(double r1, double r2, double complex ell1, double im_ell2)
{
    double x = r1, y0 = 1.0 - r1, delta = y0 - r2;
    /* (x + delta) B(delta) = ln(y) gives b_n = (a_n - b_(n-1))/x with the coefficients
     * a_0 = ln(y0), a_n = -1/(n y0^n) of ln(y). */
    /* Products with 1/x and 1/y0 rather than divisions: the loop is a chain of
     * dependent operations, and a division waits several times longer. */
    double inv_x = 1.0 / x, inv_y0 = 1.0 / y0;
    double complex b = CMPLX(log(fabs(y0)), im_ell2) * inv_x; /* b_0 */
    double complex sum = 0;
    double delta_pow = 1.0;    /* delta^(n-1) */
    double inv_y0_pow = 1.0;   /* 1/y0^n */
    for (int n = 1; n <= LS1_SERIES_MAX; n++) {
        inv_y0_pow *= inv_y0;
        b = (-inv_y0_pow / n - b) * inv_x;
        double complex term = (n * b - ell1 * (inv_y0_pow * inv_y0)) * (delta_pow / (n + 1));
        sum += term;
        if (fabs(creal(term)) + fabs(cimag(term)) <=
            1e-17 * (fabs(creal(sum)) + fabs(cimag(sum))))
            break;
        delta_pow *= delta;
    }
    return sum;
}

double complex loop_Ls1_closed(double r1, double r2, double complex D1, double complex D2,
                              double complex ell1, double complex ell2, double complex L0_1,
                              double complex L0_2)
{
    double inv_den = 1.0 / ((1.0 - r1) - r2);
    double complex lsm1 = D1 + D2 + ell1 * ell2 - BA_PI2_6;
    return (lsm1 * inv_den + L0_1 + L0_2) * inv_den;
}

double complex loop_Ls1(double sa1, double sb1, double sa2, double sb2)
{
    double r1 = sa1 / sb1, r2 = sa2 / sb2;
    double complex ell1 = loop_ell(sa1, sb1), ell2 = loop_ell(sa2, sb2);
    if (loop_Ls1_use_series(r1, r2))
        return loop_Ls1_series(r1, r2, ell1, cimag(ell2));
    return loop_Ls1_closed(r1, r2, loop_dilog(sa1, sb1), loop_dilog(sa2, sb2), ell1, ell2,
                           loop_L0(sa1, sb1), loop_L0(sa2, sb2));
}

#include "physics/spinors.h"

#include <math.h>


/* The spinor of a massless momentum, specification section 2:
 *   E > 0:  rho = sqrt(E + kx),   c = kz - i ky,   phi = 1,
 *   E < 0:  the same for q = -k,                    phi = i,
 * so that <ij> = phi_i phi_j (c_i rho_j/rho_i - c_j rho_i/rho_j). */
typedef struct light_cone {
    double rho;
    double complex c;
    int negative; /* 1 if the energy is negative (phi = i) */
} light_cone;

static light_cone light_cone_of(const double k[4])
{
    double sign = k[0] < 0 ? -1.0 : 1.0;
    double q0 = sign * k[0], qx = sign * k[1], qy = sign * k[2], qz = sign * k[3];
    /* q0 + qx cancels for momenta close to the -x axis; there the on-shell identity
     * q0 + qx = (qy^2 + qz^2) / (q0 - qx) keeps full relative precision. */
    double plus = qx >= 0 ? q0 + qx : (qy * qy + qz * qz) / (q0 - qx);
    light_cone lc = {sqrt(plus), CMPLX(qz, -qy), sign < 0};
    return lc;
}

void spinor_products_compute(const double k[SP_N][4], spinor_products *sp)
{
    light_cone lc[SP_N];
    for (int i = 0; i < SP_N; i++)
        lc[i] = light_cone_of(k[i]);

    for (int i = 0; i < SP_N; i++) {
        sp->ang[i][i] = sp->sq[i][i] = 0;
        sp->inv_ang[i][i] = sp->inv_sq[i][i] = 0;
        sp->s[i][i] = 0;
        for (int j = i + 1; j < SP_N; j++) {
            double complex a = lc[i].c * (lc[j].rho / lc[i].rho) -
                               lc[j].c * (lc[i].rho / lc[j].rho);
            /* phi_i phi_j: i for one negative energy, i^2 = -1 for two. */
            int n_neg = lc[i].negative + lc[j].negative;
            if (n_neg == 1)
                a = CMPLX(-cimag(a), creal(a));
            else if (n_neg == 2)
                a = -a;
            /* s_ij = 2 k_i.k_j and [ij] = -s_ij/<ij> (spec section 2), so that
             * <ij>[ji] = s_ij holds exactly for every pair whatever the sign of the
             * energies. (|<ij>|^2 would do as well for exactly massless momenta; the
             * dot product is the specification's choice and that of the reference.) */
            double s = 2.0 * (k[i][0] * k[j][0] - k[i][1] * k[j][1] - k[i][2] * k[j][2] -
                              k[i][3] * k[j][3]);
            /* 1/a = conj(a)/|a|^2: C's complex division guards against overflow that
             * brackets of momenta in GeV never come near, at several times the cost. */
            double complex inv_a = conj(a) * (1.0 / (creal(a) * creal(a) + cimag(a) * cimag(a)));
            double complex b = -s * inv_a;
            sp->ang[i][j] = a;
            sp->ang[j][i] = -a;
            sp->sq[i][j] = b;
            sp->sq[j][i] = -b;
            sp->inv_ang[i][j] = inv_a;
            sp->inv_ang[j][i] = -inv_a;
            sp->inv_sq[i][j] = -a / s; /* 1/[ij] = <ji>/s_ij */
            sp->inv_sq[j][i] = a / s;
            sp->s[i][j] = sp->s[j][i] = s;
        }
    }
}

/* Lorentz transformations and invariants for the tests of features: what an event's
 * features must not change under. Events are P four-momenta (E, px, py, pz), GeV. */
#ifndef BA_TEST_LORENTZ_H
#define BA_TEST_LORENTZ_H

#include <math.h>

/* 2 p_i.p_j with the metric (+,-,-,-), in long double: the direct formula. */
static inline double direct_invariant(const double *a, const double *b)
{
    long double dot = (long double)a[0] * b[0] - (long double)a[1] * b[1] -
                      (long double)a[2] * b[2] - (long double)a[3] * b[3];
    return (double)(2 * dot);
}

/* A boost with rapidity eta along the unit axis n of every momentum of the event. */
static inline void boost(double *event, int n_particles, const double axis[3], double eta)
{
    double ch = cosh(eta), sh = sinh(eta);
    for (int i = 0; i < n_particles; i++) {
        double *p = event + 4 * i;
        double par = axis[0] * p[1] + axis[1] * p[2] + axis[2] * p[3], e = p[0];
        p[0] = ch * e + sh * par;
        double dpar = sh * e + ch * par - par; /* change of the parallel component */
        for (int d = 0; d < 3; d++)
            p[1 + d] += dpar * axis[d];
    }
}

/* A rotation about the axis (1,2,3)/sqrt(14) by angle a (Rodrigues). */
static inline void rotate(double *event, int n_particles, double a)
{
    double k[3] = {1 / sqrt(14.0), 2 / sqrt(14.0), 3 / sqrt(14.0)}, c = cos(a), s = sin(a);
    for (int i = 0; i < n_particles; i++) {
        double *p = event + 4 * i, v[3] = {p[1], p[2], p[3]};
        double kv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
        double cross[3] = {k[1] * v[2] - k[2] * v[1], k[2] * v[0] - k[0] * v[2],
                           k[0] * v[1] - k[1] * v[0]};
        for (int d = 0; d < 3; d++)
            p[1 + d] = v[d] * c + cross[d] * s + k[d] * kv * (1 - c);
    }
}

#endif

#include "data/features.h"

#include <math.h>

double gluon_pt(const double *event)
{
    double px = event[GLUON_OUT * N_COMPONENTS + 1], py = event[GLUON_OUT * N_COMPONENTS + 2];
    /* numpy's round(x, 5): scale, round half to even, scale back */
    return sqrt(nearbyint((px * px + py * py) * 1e5) / 1e5);
}

double massless_invariant(const double *p_i, const double *p_j)
{
    double norm_i = sqrt(p_i[1] * p_i[1] + p_i[2] * p_i[2] + p_i[3] * p_i[3]);
    double norm_j = sqrt(p_j[1] * p_j[1] + p_j[2] * p_j[2] + p_j[3] * p_j[3]);
    double d2 = 0;
    for (int k = 1; k < 4; k++) {
        double d = p_i[k] / norm_i - p_j[k] / norm_j;
        d2 += d * d;
    }
    return p_i[0] * p_j[0] * d2;
}

void event_invariants(const double *event, double s[N_INVARIANT_FEATURES])
{
    const double *p[N_PARTICLES];
    for (int i = 0; i < N_PARTICLES; i++)
        p[i] = event + i * N_COMPONENTS;
    /* canonical photon order: the photon closer to the first incoming gluon first */
    if (massless_invariant(p[0], p[3]) < massless_invariant(p[0], p[2])) {
        const double *tmp = p[2];
        p[2] = p[3];
        p[3] = tmp;
    }
    int k = 0;
    for (int i = 0; i < N_PARTICLES; i++)
        for (int j = i + 1; j < N_PARTICLES; j++)
            s[k++] = massless_invariant(p[i], p[j]);
}

int event_features(ba_features kind, const double *event, double gluon_pt_mean, double *out)
{
    if (kind == BA_FEATURES_MOMENTA) {
        for (int i = 0; i < N_MOMENTUM_FEATURES; i++)
            out[i] = event[i] / gluon_pt_mean;
        return 0;
    }
    double s[N_INVARIANT_FEATURES];
    event_invariants(event, s);
    for (int i = 0; i < N_INVARIANT_FEATURES; i++)
        if (!(s[i] > 0) || !isfinite(s[i]))
            return -1;
    out[0] = log(s[0]);
    for (int i = 1; i < N_INVARIANT_FEATURES; i++)
        out[i] = log(s[i] / s[0]);
    return 0;
}

double event_target(ba_features kind, const double *event, double amplitude)
{
    if (kind == BA_FEATURES_MOMENTA)
        return log(amplitude);
    return log(amplitude * massless_invariant(event, event + N_COMPONENTS));
}

double target_to_log_amplitude(ba_features kind, const double *event, double target)
{
    if (kind == BA_FEATURES_MOMENTA)
        return target;
    return target - log(massless_invariant(event, event + N_COMPONENTS));
}

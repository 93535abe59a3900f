#include "data/features.h"

#include <math.h>

int feature_count(ba_features kind, const ba_process *p)
{
    int n = p->n_particles;
    return kind == BA_FEATURES_MOMENTA ? N_COMPONENTS * n : n * (n - 1) / 2;
}

double outgoing_pt(const ba_process *p, const double *event)
{
    const double *q = event + (p->n_particles - 1) * N_COMPONENTS;
    double px = q[1], py = q[2];
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

double pair_invariant(const double *p_i, double m_i, const double *p_j, double m_j)
{
    if (m_i == 0 && m_j == 0)
        return massless_invariant(p_i, p_j);
    double norm_i = sqrt(p_i[1] * p_i[1] + p_i[2] * p_i[2] + p_i[3] * p_i[3]);
    double norm_j = sqrt(p_j[1] * p_j[1] + p_j[2] * p_j[2] + p_j[3] * p_j[3]);
    double e_i = p_i[0], e_j = p_j[0];
    /* E_i E_j - |p_i||p_j| from E^2 = |p|^2 + m^2, free of the cancellation of the
     * difference itself (large momenta, small masses) */
    double radial = (m_i * m_i * e_j * e_j + m_j * m_j * norm_i * norm_i) /
                    (e_i * e_j + norm_i * norm_j);
    double angular = 0; /* |p_i||p_j| (1 - cos theta) times 2; 0 if one is at rest */
    if (norm_i > 0 && norm_j > 0) {
        double d2 = 0;
        for (int k = 1; k < 4; k++) {
            double d = p_i[k] / norm_i - p_j[k] / norm_j;
            d2 += d * d;
        }
        angular = norm_i * norm_j * d2;
    }
    return 2 * radial + angular;
}

void canonical_order(const ba_process *p, const double *event, int order[BA_MAX_PARTICLES])
{
    int n = p->n_particles;
    double key[BA_MAX_PARTICLES];
    for (int i = 0; i < n; i++) {
        order[i] = i;
        key[i] = i < 2 ? 0 : pair_invariant(event, p->mass[0], event + N_COMPONENTS * i,
                                            p->mass[i]);
    }
    /* Each group of identical particles: its positions in the event, the members
     * sorted by key with an insertion sort (stable: a member moves only past strictly
     * larger keys), put back into the same positions. */
    for (int first = 2; first < n; first++) {
        if (p->identical_to[first] != first)
            continue; /* not the first of its group: sorted with that one */
        int pos[BA_MAX_PARTICLES], m = 0;
        for (int i = first; i < n; i++)
            if (p->identical_to[i] == first)
                pos[m++] = i;
        int sorted[BA_MAX_PARTICLES];
        for (int a = 0; a < m; a++) {
            int b = a, member = pos[a];
            while (b > 0 && key[member] < key[sorted[b - 1]]) {
                sorted[b] = sorted[b - 1];
                b--;
            }
            sorted[b] = member;
        }
        for (int a = 0; a < m; a++)
            order[pos[a]] = sorted[a];
    }
}

void event_invariants(const ba_process *p, const double *event, double *s)
{
    int order[BA_MAX_PARTICLES], n = p->n_particles, k = 0;
    canonical_order(p, event, order);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            s[k++] = pair_invariant(event + N_COMPONENTS * order[i], p->mass[order[i]],
                                    event + N_COMPONENTS * order[j], p->mass[order[j]]);
}

int event_features(ba_features kind, const ba_process *p, const double *event,
                   double pt_mean, double *out)
{
    int nf = feature_count(kind, p);
    if (kind == BA_FEATURES_MOMENTA) {
        for (int i = 0; i < nf; i++)
            out[i] = event[i] / pt_mean;
        return 0;
    }
    double s[MAX_PAIRS];
    event_invariants(p, event, s);
    for (int i = 0; i < nf; i++)
        if (!(s[i] > 0) || !isfinite(s[i]))
            return -1;
    out[0] = log(s[0]);
    for (int i = 1; i < nf; i++)
        out[i] = log(s[i] / s[0]);
    return 0;
}

/* The exponent of s_12 that makes |M|^2 dimensionless: P - 4. */
static int s12_power(const ba_process *p) { return p->n_particles - 4; }

double event_target(ba_features kind, const ba_process *p, const double *event,
                    double amplitude)
{
    if (kind == BA_FEATURES_MOMENTA)
        return log(amplitude);
    double s12 = pair_invariant(event, p->mass[0], event + N_COMPONENTS, p->mass[1]);
    /* multiply step by step: A s12^k stays near 1 on the way, never over- or underflows */
    double t = amplitude;
    for (int k = 0; k < s12_power(p); k++)
        t *= s12;
    return log(t);
}

double event_singular_measure(const ba_process *p, const double *event)
{
    double s[MAX_PAIRS];
    event_invariants(p, event, s);
    double m = INFINITY;
    for (int k = 1; k < feature_count(BA_FEATURES_INVARIANTS, p); k++)
        m = fmin(m, s[k] / s[0]);
    return m;
}

double features_log_amplitude(const ba_preprocessing *pre, const ba_real *x, ba_real y)
{
    double target = pre->standardize ? (double)y * pre->y_std + pre->y_mean : (double)y;
    if (pre->features == BA_FEATURES_MOMENTA)
        return target;
    double log_s12 = pre->standardize ? (double)x[0] * pre->x_std[0] + pre->x_mean[0]
                                      : (double)x[0];
    return target - s12_power(&pre->process) * log_s12;
}

double target_to_log_amplitude(ba_features kind, const ba_process *p, const double *event,
                               double target)
{
    if (kind == BA_FEATURES_MOMENTA)
        return target;
    double s12 = pair_invariant(event, p->mass[0], event + N_COMPONENTS, p->mass[1]);
    return target - s12_power(p) * log(s12);
}

#include "physics/phase_space.h"

#include <math.h>
#include <stdio.h>

#include "data/features.h"
#include "physics/process.h"

#define PS_TWO_PI 6.283185307179586476925

ps_settings ps_settings_default(void)
{
    ps_settings s = {
        .sqrt_s = 13000.0,
        .mhat_min = 200.0,
        .mhat_max = 2000.0,
        .y_max = 2.0,
        .pt_min = 20.0,
        .eta_photon_max = 2.5,
        .eta_gluon_max = 5.0,
        .dr_min = 0.4,
        .max_tries = 1000000,
        .enrich_fraction = 0,
        .enrich_cuts = {0.01},
    };
    return s;
}

static int settings_problem(const char *problem, char *why, size_t why_len)
{
    if (why && why_len > 0)
        snprintf(why, why_len, "phase-space settings: %s", problem);
    return -1;
}

int ps_settings_check(const ps_settings *s, char *why, size_t why_len)
{
    const double values[] = {s->sqrt_s, s->mhat_min,     s->mhat_max,     s->y_max,
                             s->pt_min, s->eta_photon_max, s->eta_gluon_max, s->dr_min};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        if (!isfinite(values[i]))
            return settings_problem("a setting is not finite", why, why_len);
    if (!(s->mhat_min > 0))
        return settings_problem("mhat_min must be positive", why, why_len);
    if (!(s->mhat_max >= s->mhat_min))
        return settings_problem("mhat_max must not be below mhat_min", why, why_len);
    if (!(s->mhat_max <= s->sqrt_s))
        return settings_problem("mhat_max must not exceed sqrt_s", why, why_len);
    if (!(s->y_max >= 0))
        return settings_problem("y_max must not be negative", why, why_len);
    if (!(s->pt_min >= 0 && s->dr_min >= 0))
        return settings_problem("pt_min and dr_min must not be negative", why, why_len);
    if (!(s->eta_photon_max > 0 && s->eta_gluon_max > 0))
        return settings_problem("eta_photon_max and eta_gluon_max must be positive", why,
                                why_len);
    /* Three particles with pT > pt_min need sqrt(s_hat) > sum |p_i| > 3 pt_min. */
    if (!(3.0 * s->pt_min < s->mhat_max))
        return settings_problem("pt_min is unreachable: 3 pt_min must be below mhat_max",
                                why, why_len);
    if (s->max_tries < 1)
        return settings_problem("max_tries must be at least 1", why, why_len);
    if (!(s->enrich_fraction >= 0 && s->enrich_fraction < 1))
        return settings_problem("the enriched fraction must be in [0, 1)", why, why_len);
    int n_cuts = ps_enrich_cut_count(s);
    if (n_cuts == 0)
        return settings_problem("the enrichment needs a cut (enrich_cuts[0] > 0)", why, why_len);
    for (int k = 0; k < BA_MAX_ENRICH_CUTS; k++)
        if (k < n_cuts ? !(s->enrich_cuts[k] > 0 && s->enrich_cuts[k] <= 1)
                       : s->enrich_cuts[k] != 0)
            return settings_problem("the enrichment cuts must be in (0, 1], the unused "
                                    "entries after them 0",
                                    why, why_len);
    return 0;
}

/* RAMBO, Kleiss, Stirling, Ellis, Comput. Phys. Commun. 40 (1986) 359, massless case:
 * n isotropic momenta q_i with energies distributed as q^0 e^{-q^0} (q^0 = -ln(u3 u4)),
 * then the conformal transformation (a boost to the rest frame of their sum Q and a
 * scaling to total energy w) that maps them onto n-body phase space with constant
 * weight. With M^2 = Q^2, b = -Q/M, x = w/M, gamma = Q^0/M, a = 1/(1+gamma):
 *   p^0 = x (gamma q^0 + b.q),   p = x (q + b q^0 + a (b.q) b). */
void ps_rambo_massless(double w, int n, ba_rng *rng, double p[][4])
{
    double sum[4] = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        double c = 2.0 * ba_rng_uniform(rng) - 1.0;
        double phi = PS_TWO_PI * ba_rng_uniform(rng);
        double u3 = ba_rng_uniform(rng), u4 = ba_rng_uniform(rng);
        double q0 = -log(u3 * u4);
        double sin_theta = sqrt((1.0 - c) * (1.0 + c));
        p[i][0] = q0;
        p[i][1] = q0 * sin_theta * cos(phi);
        p[i][2] = q0 * sin_theta * sin(phi);
        p[i][3] = q0 * c;
        for (int mu = 0; mu < 4; mu++)
            sum[mu] += p[i][mu];
    }
    double mass = sqrt(sum[0] * sum[0] - sum[1] * sum[1] - sum[2] * sum[2] - sum[3] * sum[3]);
    double b[3] = {-sum[1] / mass, -sum[2] / mass, -sum[3] / mass};
    double x = w / mass, gamma = sum[0] / mass, a = 1.0 / (1.0 + gamma);
    for (int i = 0; i < n; i++) {
        double bq = b[0] * p[i][1] + b[1] * p[i][2] + b[2] * p[i][3];
        double q0 = p[i][0];
        p[i][0] = x * (gamma * q0 + bq);
        for (int k = 0; k < 3; k++)
            p[i][k + 1] = x * (p[i][k + 1] + b[k] * q0 + a * bq * b[k]);
    }
}

double ps_rapidity_limit(const ps_settings *s, double mhat)
{
    return fmin(s->y_max, log(s->sqrt_s / mhat));
}

void ps_draw_point(const ps_settings *s, ba_rng *rng, double p[5][4], double *mhat_out,
                   double *rapidity_out)
{
    double log_min = log(s->mhat_min), log_max = log(s->mhat_max);
    double mhat = exp(log_min + (log_max - log_min) * ba_rng_uniform(rng));
    double y_lim = ps_rapidity_limit(s, mhat);
    double y = y_lim * (2.0 * ba_rng_uniform(rng) - 1.0);

    /* Incoming partons with x1 = mhat/sqrt_s e^Y, x2 = mhat/sqrt_s e^-Y. */
    double e1 = 0.5 * mhat * exp(y), e2 = 0.5 * mhat * exp(-y);
    double in[2][4] = {{e1, 0, 0, e1}, {e2, 0, 0, -e2}};
    for (int i = 0; i < 2; i++)
        for (int mu = 0; mu < 4; mu++)
            p[i][mu] = in[i][mu];

    /* Final state in the partonic frame, boosted along z by Y. */
    double out[3][4];
    ps_rambo_massless(mhat, 3, rng, out);
    double ch = cosh(y), sh = sinh(y);
    for (int i = 0; i < 3; i++) {
        p[i + 2][0] = ch * out[i][0] + sh * out[i][3];
        p[i + 2][1] = out[i][1];
        p[i + 2][2] = out[i][2];
        p[i + 2][3] = sh * out[i][0] + ch * out[i][3];
    }
    if (mhat_out)
        *mhat_out = mhat;
    if (rapidity_out)
        *rapidity_out = y;
}

int ps_passes_cuts(const ps_settings *s, const double p[5][4])
{
    double eta[3], phi[3];
    for (int i = 0; i < 3; i++) {
        const double *k = p[i + 2];
        double pt = hypot(k[1], k[2]);
        if (!(pt > s->pt_min))
            return 0;
        eta[i] = asinh(k[3] / pt); /* pseudorapidity, = -ln tan(theta/2) */
        phi[i] = atan2(k[2], k[1]);
        double eta_max = i < 2 ? s->eta_photon_max : s->eta_gluon_max;
        if (!(fabs(eta[i]) < eta_max))
            return 0;
    }
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            double dphi = fabs(phi[i] - phi[j]);
            if (dphi > 0.5 * PS_TWO_PI)
                dphi = PS_TWO_PI - dphi;
            double deta = eta[i] - eta[j];
            if (!(deta * deta + dphi * dphi > s->dr_min * s->dr_min))
                return 0;
        }
    return 1;
}

int ps_enrich_cut_count(const ps_settings *s)
{
    int n = 0;
    while (n < BA_MAX_ENRICH_CUTS && s->enrich_cuts[n] > 0)
        n++;
    return n;
}

int ps_event_is_enriched(const ps_settings *s, uint64_t event_index)
{
    double f = s->enrich_fraction, i = (double)event_index;
    return f > 0 && floor((i + 1) * f) > floor(i * f);
}

double ps_event_enrich_cut(const ps_settings *s, uint64_t event_index)
{
    if (!ps_event_is_enriched(s, event_index))
        return 0;
    /* the k-th enriched event (k = floor((i + 1) f) - 1) takes the cuts in turn */
    uint64_t k = (uint64_t)floor(((double)event_index + 1) * s->enrich_fraction) - 1;
    return s->enrich_cuts[k % (uint64_t)ps_enrich_cut_count(s)];
}

int ps_generate_event(const ps_settings *s, uint64_t seed, uint64_t event_index,
                      double p[5][4], long *n_tries)
{
    ba_rng rng;
    ba_rng_init(&rng, seed, event_index);
    long tries = 0;
    int ok = 0;
    double cut = ps_event_enrich_cut(s, event_index); /* 0: a flat event */
    ba_process aag;
    if (cut > 0)
        process_default(&aag);
    while (!ok && tries < s->max_tries) {
        ps_draw_point(s, &rng, p, NULL, NULL);
        tries++;
        ok = ps_passes_cuts(s, p) && (cut == 0 || event_singular_measure(&aag, &p[0][0]) < cut);
    }
    if (n_tries)
        *n_tries = tries;
    return ok ? 0 : -1;
}

int ps_generate_events(const ps_settings *s, uint64_t seed, uint64_t first_index, size_t n,
                       double (*p)[5][4], long *total_tries)
{
    long total = 0;
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        long tries = 0;
        status = ps_generate_event(s, seed, first_index + i, p[i], &tries);
        total += tries;
    }
    if (total_tries)
        *total_tries = total;
    return status;
}

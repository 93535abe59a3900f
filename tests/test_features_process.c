/* The features of any process (data/features.c) on every shared data set: the
 * invariants of massless and massive pairs against the direct formula, the invariance
 * of the features under boosts, rotations and every exchange of identical final-state
 * particles, the target log(A s12^(P-4)) and its inverse, and, for g g > a a g, the
 * features bit for bit as bayesamp computed them before processes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lorentz.h"
#include "data/features.h"
#include "data/npy.h"
#include "physics/process.h"

#define DATA BAYESAMP_SHARED "/data"
#define MAX_EVENTS 3000 /* per data set: enough for the statistics, quick under ASan */

static double max_change(const double *a, const double *b, int n)
{
    double worst = 0;
    for (int k = 0; k < n; k++)
        worst = fmax(worst, fabs(a[k] - b[k]));
    return worst;
}

/* The next permutation of perm[0..n) in lexicographic order; 0 after the last. */
static int next_permutation(int *perm, int n)
{
    int i = n - 2;
    while (i >= 0 && perm[i] >= perm[i + 1])
        i--;
    if (i < 0)
        return 0;
    int j = n - 1;
    while (perm[j] <= perm[i])
        j--;
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--)
        t = perm[a], perm[a] = perm[b], perm[b] = t;
    return 1;
}

/* Every check on the events of one data set of the process. */
static void check_process(const char *path, const char *process)
{
    npy_array a;
    ba_error err;
    ba_process p;
    if (npy_read(path, &a, &err) || ba_process_parse(process, &p, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    int n = p.n_particles, nf = feature_count(BA_FEATURES_INVARIANTS, &p);
    CHECK(nf == n * (n - 1) / 2 && feature_count(BA_FEATURES_MOMENTA, &p) == 4 * n);
    size_t n_events = a.shape[0] < MAX_EVENTS ? a.shape[0] : MAX_EVENTS;
    /* the identical final-state particles: the positions of the largest group */
    int group[BA_MAX_PARTICLES], n_group = 0;
    for (int first = 2; first < n; first++) {
        int members[BA_MAX_PARTICLES], m = 0;
        for (int i = first; i < n; i++)
            if (p.identical_to[i] == first)
                members[m++] = i;
        if (m > n_group)
            memcpy(group, members, sizeof members), n_group = m;
    }
    double worst_s = 0, worst_boost = 0, worst_rot = 0, worst_swap = 0, worst_target = 0;
    int below_threshold = 0, permutations = 0;
    for (size_t e = 0; e < n_events; e++) {
        const double *event = a.data + e * 4 * (size_t)n;
        /* invariants against the direct formula in the canonical order */
        double s[MAX_PAIRS];
        int order[BA_MAX_PARTICLES], k = 0;
        event_invariants(&p, event, s);
        canonical_order(&p, event, order);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++, k++) {
                double want = direct_invariant(event + 4 * order[i], event + 4 * order[j]);
                worst_s = fmax(worst_s, fabs(s[k] - want) / want);
                /* massive pairs: s_ij >= 2 m_i m_j */
                below_threshold += s[k] < 2 * p.mass[order[i]] * p.mass[order[j]] * (1 - 1e-12);
            }
        double f[MAX_PAIRS], g[MAX_PAIRS], copy[4 * BA_MAX_PARTICLES];
        CHECK(event_features(BA_FEATURES_INVARIANTS, &p, event, 1, f) == 0);
        /* boosts along z and along a skew axis, a rotation */
        static const double z[3] = {0, 0, 1}, skew[3] = {0.6, -0.48, 0.64};
        memcpy(copy, event, 4 * (size_t)n * sizeof *copy);
        boost(copy, n, z, 0.9);
        event_features(BA_FEATURES_INVARIANTS, &p, copy, 1, g);
        worst_boost = fmax(worst_boost, max_change(f, g, nf));
        memcpy(copy, event, 4 * (size_t)n * sizeof *copy);
        boost(copy, n, skew, 0.7);
        event_features(BA_FEATURES_INVARIANTS, &p, copy, 1, g);
        worst_boost = fmax(worst_boost, max_change(f, g, nf));
        memcpy(copy, event, 4 * (size_t)n * sizeof *copy);
        rotate(copy, n, 2.1);
        event_features(BA_FEATURES_INVARIANTS, &p, copy, 1, g);
        worst_rot = fmax(worst_rot, max_change(f, g, nf));
        /* every permutation of the identical particles (on the first 200 events) */
        int perm[BA_MAX_PARTICLES];
        for (int i = 0; i < n_group; i++)
            perm[i] = i;
        while (e < 200 && n_group > 1 && next_permutation(perm, n_group)) {
            memcpy(copy, event, 4 * (size_t)n * sizeof *copy);
            for (int i = 0; i < n_group; i++)
                memcpy(copy + 4 * group[i], event + 4 * group[perm[i]], 4 * sizeof *copy);
            event_features(BA_FEATURES_INVARIANTS, &p, copy, 1, g);
            worst_swap = fmax(worst_swap, max_change(f, g, nf));
            permutations++;
        }
        /* the target makes A dimensionless with s12^(P-4); its inverse */
        double amp = 1e-3 * (1 + (double)e), s12 = direct_invariant(event, event + 4);
        double t = event_target(BA_FEATURES_INVARIANTS, &p, event, amp);
        worst_target = fmax(worst_target, fabs(t - (log(amp) + (n - 4) * log(s12))));
        CHECK(fabs(target_to_log_amplitude(BA_FEATURES_INVARIANTS, &p, event, t) - log(amp)) <
              1e-12 * (1 + fabs(log(amp))) * n);
        CHECK(fabs(f[0] - log(s12)) < 1e-12 * fabs(log(s12)));
    }
    printf("%s (%s, %zu events): s_ij vs 2 p_i.p_j %.2e; feature change: boosts %.2e, "
           "rotation %.2e, %d exchanges of %d identical particles %.2e; target %.2e\n",
           process, path, n_events, worst_s, worst_boost, worst_rot, permutations, n_group,
           worst_swap, worst_target);
    CHECK_MSG(worst_s < 1e-10, "%s: s_ij off by %.2e", process, worst_s);
    CHECK_MSG(below_threshold == 0, "%s: %d invariants below 2 m_i m_j", process,
              below_threshold);
    CHECK_MSG(worst_boost < 1e-9 && worst_rot < 1e-9, "%s: boost %.2e, rotation %.2e", process,
              worst_boost, worst_rot);
    CHECK_MSG(worst_swap == 0, "%s: exchange changes a feature by %.2e", process, worst_swap);
    CHECK_MSG(worst_target < 1e-9, "%s: target off by %.2e", process, worst_target);
    npy_free(&a);
}

/* For g g > a a g the features and target as computed before processes: the photons
 * (particles 3 and 4) swapped if s_14 < s_13, then the ten massless_invariant, log s_12,
 * log(s_ij / s_12) and log(A s_12); the momenta / pT of particle 5 rounded as numpy. */
static void check_aag_unchanged(void)
{
    npy_array a;
    ba_error err;
    if (npy_read(BAYESAMP_SHARED "/reference/ref_dat.npy", &a, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    ba_process aag;
    process_default(&aag);
    size_t differ = 0;
    for (size_t e = 0; e < a.shape[0]; e++) {
        const double *ev = a.data + 20 * e, *q[5];
        for (int i = 0; i < 5; i++)
            q[i] = ev + 4 * i;
        if (massless_invariant(q[0], q[3]) < massless_invariant(q[0], q[2])) {
            const double *t = q[2];
            q[2] = q[3], q[3] = t;
        }
        double s[10], want[10], got[10];
        int k = 0;
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++)
                s[k++] = massless_invariant(q[i], q[j]);
        want[0] = log(s[0]);
        for (k = 1; k < 10; k++)
            want[k] = log(s[k] / s[0]);
        CHECK(event_features(BA_FEATURES_INVARIANTS, &aag, ev, 1, got) == 0);
        differ += memcmp(want, got, sizeof want) != 0;
        double amp = 1e-5 * (1 + (double)e);
        differ += event_target(BA_FEATURES_INVARIANTS, &aag, ev, amp) !=
                  log(amp * massless_invariant(ev, ev + 4));
        differ += target_to_log_amplitude(BA_FEATURES_INVARIANTS, &aag, ev, 1.5) !=
                  1.5 - log(massless_invariant(ev, ev + 4));
        double px = ev[17], py = ev[18];
        differ += outgoing_pt(&aag, ev) != sqrt(nearbyint((px * px + py * py) * 1e5) / 1e5);
    }
    CHECK_MSG(differ == 0, "g g > a a g: %zu values differ from before processes", differ);
    npy_free(&a);
}

/* Massive invariants against closed forms: a top at rest with a gluon, two tops back to
 * back, and the top pair threshold. */
static void check_massive_cases(void)
{
    double m = 173, e = 250, k = sqrt(e * e - m * m);
    double rest[4] = {m, 0, 0, 0}, glu[4] = {100, 0, 60, 80};
    double t1[4] = {e, 0, 0, k}, t2[4] = {e, 0, 0, -k};
    /* 2 p.q = 2 m E_g at rest; 2 (E^2 + k^2) back to back; 2 m^2 at threshold */
    CHECK_CLOSE(pair_invariant(rest, m, glu, 0), 2 * m * 100, 1e-15, 0);
    CHECK_CLOSE(pair_invariant(t1, m, t2, m), 2 * (e * e + k * k), 1e-14, 0);
    CHECK_CLOSE(pair_invariant(rest, m, rest, m), 2 * m * m, 1e-15, 0);
    /* a fast top nearly collinear with a gluon: no cancellation in 2 (E E_g - p.q) */
    double big = 1e4, kt = sqrt(big * big - m * m), th = 1e-6;
    double fast[4] = {big, 0, 0, kt}, g2[4] = {50, 50 * sin(th), 0, 50 * cos(th)};
    /* 2 E_g (E - k cos th) = 2 E_g (m^2 / (E + k) + k (1 - cos th)) */
    double want = 2 * 50 * (m * m / (big + kt) + kt * 2 * sin(th / 2) * sin(th / 2));
    CHECK_CLOSE(pair_invariant(fast, m, g2, 0), want, 1e-13, 0);
}

int main(void)
{
    check_aag_unchanged();
    check_massive_cases();
    check_process(BAYESAMP_SHARED "/reference/ref_dat.npy", "g g > a a g");
    check_process(DATA "/gg_ggg/tst_dat.npy", "g g > g g g");
    check_process(DATA "/gg_gggg/tst_dat.npy", "g g > g g g g");
    check_process(DATA "/gg_tt/tst_dat.npy", "g g > t t~");
    return test_summary("test_features_process");
}

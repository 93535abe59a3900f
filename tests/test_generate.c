/* Data generation (src/physics/generate.h): the events are those of the phase-space
 * generator, valid and inside the cuts, with |M|^2 = gg_aag_amp2 of their momenta, the
 * same bit for bit with 1 and 2 threads; splits are disjoint and independent of each
 * other's sizes; failures name the first bad event or row.
 *
 * Sizes are small (a few hundred amplitudes) so that the test stays quick under ASan.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/features.h"
#include "physics/amplitude.h"
#include "physics/generate.h"
#include "physics/phase_space.h"
#include "physics/process.h"

#define N 150
#define SEED 7

typedef double event[5][4];

static void count_progress(size_t done, size_t total, void *user)
{
    size_t *last = user;
    CHECK(done > *last && done <= total);
    *last = done;
}

static void test_events_and_threads(void)
{
    ps_settings s = ps_settings_default();
    event *p1 = malloc(N * sizeof *p1), *p2 = malloc(N * sizeof *p2);
    double amp1[N], amp2[N];
    gen_stats st1, st2;
    ba_error err;
    size_t last = 0;
    uint64_t first = gen_split_first_index(GEN_VAL);

    CHECK(gen_events(&s, SEED, first, N, 1, p1, amp1, &st1, count_progress, &last, &err) == 0);
    CHECK(last == N);
    CHECK(gen_events(&s, SEED, first, N, 2, p2, amp2, &st2, NULL, NULL, &err) == 0);

    /* Thread-count independence, bit for bit. */
    CHECK(memcmp(p1, p2, N * sizeof *p1) == 0);
    CHECK(memcmp(amp1, amp2, sizeof amp1) == 0);
    CHECK(st1.tries == st2.tries);
    CHECK(st1.tries >= N);
    CHECK(st1.ps_seconds >= 0 && st1.amp_seconds > 0);

    long long tries = 0;
    int same_as_ps = 1, valid = 1, in_cuts = 1, same_amp = 1;
    for (size_t i = 0; i < N; i++) {
        event q;
        long t = 0;
        CHECK(ps_generate_event(&s, SEED, first + i, q, &t) == 0);
        tries += t;
        same_as_ps &= memcmp(q, p1[i], sizeof q) == 0;
        char why[256];
        if (gg_aag_check_event(p1[i], 1e-10, why, sizeof why)) {
            valid = 0;
            fprintf(stderr, "event %zu: %s\n", i, why);
        }
        in_cuts &= ps_passes_cuts(&s, p1[i]);
        same_amp &= amp1[i] == gg_aag_amp2(p1[i]) && amp1[i] > 0;
    }
    CHECK(same_as_ps);
    CHECK(valid);
    CHECK(in_cuts);
    CHECK(same_amp);
    CHECK(tries == st1.tries);
    free(p1);
    free(p2);
}

/* Splits use their own streams: no shared event, and a split's events do not depend on
 * how many are asked for. */
static void test_splits(void)
{
    ps_settings s = ps_settings_default();
    enum { M = 40 };
    event trn[M], val[M], few[M / 2];
    double a_trn[M], a_val[M], a_few[M / 2];
    ba_error err;
    CHECK(gen_events(&s, SEED, gen_split_first_index(GEN_TRAIN), M, 2, trn, a_trn, NULL, NULL,
                     NULL, &err) == 0);
    CHECK(gen_events(&s, SEED, gen_split_first_index(GEN_VAL), M, 2, val, a_val, NULL, NULL,
                     NULL, &err) == 0);
    CHECK(gen_events(&s, SEED, gen_split_first_index(GEN_TRAIN), M / 2, 2, few, a_few, NULL,
                     NULL, NULL, &err) == 0);
    CHECK(memcmp(few, trn, sizeof few) == 0);
    int shared = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            shared += memcmp(trn[i], val[j], sizeof trn[i]) == 0;
    CHECK(shared == 0);
    CHECK(gen_split_first_index(GEN_TEST) - gen_split_first_index(GEN_VAL) == GEN_SPLIT_STRIDE);
    CHECK(!strcmp(gen_split_name(GEN_TRAIN), "trn") && !strcmp(gen_split_name(GEN_VAL), "val") &&
          !strcmp(gen_split_name(GEN_TEST), "tst"));

    /* Another seed, other events. */
    event other[M];
    double a_other[M];
    CHECK(gen_events(&s, SEED + 1, 0, M, 1, other, a_other, NULL, NULL, NULL, &err) == 0);
    CHECK(memcmp(other, trn, sizeof other) != 0);
}

static void test_generation_failures(void)
{
    ba_error err;
    event p[64];
    double amp[64];

    ps_settings bad = ps_settings_default();
    bad.mhat_min = 3000;
    CHECK(gen_events(&bad, SEED, 0, 4, 1, p, amp, NULL, NULL, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "mhat_max") != NULL, "%s", err.msg);

    /* With one try per event and a hard pT cut, some events find no point: the message
     * names the first of them in index order, whatever the threads. */
    ps_settings tight = ps_settings_default();
    tight.pt_min = 300;
    tight.max_tries = 1;
    ba_error err1, err2;
    CHECK(gen_events(&tight, SEED, 0, 64, 1, p, amp, NULL, NULL, NULL, &err1) == -1);
    CHECK(gen_events(&tight, SEED, 0, 64, 2, p, amp, NULL, NULL, NULL, &err2) == -1);
    CHECK_MSG(strstr(err1.msg, "no phase-space point passed the cuts in 1 tries") != NULL,
              "%s", err1.msg);
    CHECK_MSG(!strcmp(err1.msg, err2.msg), "%s | %s", err1.msg, err2.msg);
    int first_bad = -1;
    for (int i = 0; i < 64 && first_bad < 0; i++) {
        event q;
        if (ps_generate_event(&tight, SEED, (uint64_t)i, q, NULL))
            first_bad = i;
    }
    char expect[64];
    snprintf(expect, sizeof expect, "event %d (stream %d)", first_bad, first_bad);
    CHECK_MSG(first_bad >= 0 && strstr(err1.msg, expect) == err1.msg, "%s", err1.msg);

    /* Zero events: nothing to do, no progress. */
    size_t last = 0;
    CHECK(gen_events(&tight, SEED, 0, 0, 2, p, amp, NULL, count_progress, &last, &err) == 0);
    CHECK(last == 0);
}

static void test_amp2_events(void)
{
    ps_settings s = ps_settings_default();
    enum { M = 20 };
    event p[M];
    double amp[M], again[M];
    ba_error err;
    size_t bad_row = 99;
    CHECK(gen_events(&s, SEED, 0, M, 2, p, amp, NULL, NULL, NULL, &err) == 0);
    size_t last = 0;
    CHECK(gen_amp2_events((const double(*)[5][4])p, M, 1e-10, 2, again, &bad_row,
                          count_progress, &last, &err) == 0);
    CHECK(memcmp(amp, again, sizeof amp) == 0);
    CHECK(last == M && bad_row == 99);

    /* Row 7 off shell, row 12 not conserving momentum: the first is reported, and
     * nothing is written. */
    p[7][2][0] *= 1.01;
    for (int mu = 0; mu < 4; mu++)
        p[12][4][mu] *= 1.01; /* still massless */
    for (int i = 0; i < M; i++)
        again[i] = -1;
    CHECK(gen_amp2_events((const double(*)[5][4])p, M, 1e-10, 2, again, &bad_row, NULL, NULL,
                          &err) == -1);
    CHECK(bad_row == 7);
    CHECK_MSG(strstr(err.msg, "row 7: particle 3 is off shell") == err.msg, "%s", err.msg);
    int untouched = 1;
    for (int i = 0; i < M; i++)
        untouched &= again[i] == -1;
    CHECK(untouched);

    /* Repair row 7 (massless again): now row 12 is the first bad one. */
    p[7][2][0] = sqrt(p[7][2][1] * p[7][2][1] + p[7][2][2] * p[7][2][2] +
                      p[7][2][3] * p[7][2][3]);
    CHECK(gen_amp2_events((const double(*)[5][4])p, M, 1e-10, 1, again, &bad_row, NULL, NULL,
                          &err) == -1);
    CHECK(bad_row == 12);
    CHECK_MSG(strstr(err.msg, "row 12: momentum not conserved") == err.msg, "%s", err.msg);
}

/* Enriched training sets: the chosen fraction of the events, by index, lies below the
 * cut of the singular measure; the others are the flat events, unchanged bit for bit;
 * every event is valid, passes the cuts and has the same exact amplitude; 1 and 2
 * threads agree. */
static void test_enrichment(void)
{
    ps_settings flat = ps_settings_default(), s = flat;
    s.enrich_fraction = 0.25;
    s.enrich_cuts[0] = 0.02;
    event *p1 = malloc(N * sizeof *p1), *p2 = malloc(N * sizeof *p2), *pf = malloc(N * sizeof *pf);
    double amp1[N], amp2[N], ampf[N];
    ba_error err;
    CHECK(gen_events(&s, SEED, 0, N, 1, p1, amp1, NULL, NULL, NULL, &err) == 0);
    CHECK(gen_events(&s, SEED, 0, N, 2, p2, amp2, NULL, NULL, NULL, &err) == 0);
    CHECK(gen_events(&flat, SEED, 0, N, 2, pf, ampf, NULL, NULL, NULL, &err) == 0);
    CHECK(memcmp(p1, p2, N * sizeof *p1) == 0 && memcmp(amp1, amp2, sizeof amp1) == 0);
    ba_process aag;
    process_default(&aag);
    int n_enriched = 0, below_flat = 0, below = 0, ok = 1;
    for (size_t i = 0; i < N; i++) {
        double m = event_singular_measure(&aag, &p1[i][0][0]);
        int enriched = ps_event_is_enriched(&s, i);
        n_enriched += enriched;
        below += m < s.enrich_cuts[0];
        below_flat += event_singular_measure(&aag, &pf[i][0][0]) < s.enrich_cuts[0];
        if (enriched)
            ok &= m < s.enrich_cuts[0];
        else
            ok &= memcmp(p1[i], pf[i], sizeof *pf) == 0 && amp1[i] == ampf[i];
        ok &= gg_aag_check_event(p1[i], 1e-10, NULL, 0) == 0 && ps_passes_cuts(&s, p1[i]) &&
              amp1[i] == gg_aag_amp2(p1[i]) && amp1[i] > 0;
    }
    CHECK(ok);
    /* floor((i + 1) / 4) > floor(i / 4): every fourth index, exactly */
    CHECK(n_enriched == N / 4 + (N % 4 == 3 ? 1 : 0));
    /* the enriched sample has many more events below the cut than the flat one: at least
     * the enriched ones that the flat sample had above it */
    CHECK_MSG(below > below_flat + n_enriched / 2, "%d events below the cut, %d flat ones",
              below, below_flat);
    ps_settings bad = s;
    bad.enrich_fraction = 1;
    CHECK(gen_events(&bad, SEED, 0, 4, 1, p1, amp1, NULL, NULL, NULL, &err) == -1);
    free(p1), free(p2), free(pf);
}

/* A ladder of cuts: the enriched events take the cuts in turn (the k-th enriched event
 * the cut k mod n), each lies below its own cut, the flat ones are unchanged; ladders
 * with a gap, a cut outside (0, 1] or no cut are refused. */
static void test_enrichment_ladder(void)
{
    ps_settings flat = ps_settings_default(), s = flat;
    s.enrich_fraction = 0.5;
    s.enrich_cuts[0] = 0.02;
    s.enrich_cuts[1] = 0.004;
    event *p = malloc(N * sizeof *p), *pf = malloc(N * sizeof *pf);
    double amp[N], ampf[N];
    ba_error err;
    CHECK(gen_events(&s, SEED, 0, N, 2, p, amp, NULL, NULL, NULL, &err) == 0);
    CHECK(gen_events(&flat, SEED, 0, N, 2, pf, ampf, NULL, NULL, NULL, &err) == 0);
    ba_process aag;
    process_default(&aag);
    int ok = 1, n_deep = 0, below_deep = 0, below_deep_flat = 0, k = 0;
    for (size_t i = 0; i < N; i++) {
        double m = event_singular_measure(&aag, &p[i][0][0]);
        double cut = ps_event_enrich_cut(&s, i);
        if (ps_event_is_enriched(&s, i)) {
            ok &= cut == s.enrich_cuts[k % 2] && m < cut; /* every other index, in turn */
            n_deep += cut == s.enrich_cuts[1];
            k++;
        } else {
            ok &= cut == 0 && memcmp(p[i], pf[i], sizeof *pf) == 0 && amp[i] == ampf[i];
        }
        ok &= ps_passes_cuts(&s, p[i]) && amp[i] == gg_aag_amp2(p[i]);
        below_deep += m < s.enrich_cuts[1];
        below_deep_flat += event_singular_measure(&aag, &pf[i][0][0]) < s.enrich_cuts[1];
    }
    CHECK(ok);
    CHECK_MSG(k == N / 2 && n_deep == N / 4, "%d enriched, %d below the deep cut", k, n_deep);
    CHECK(below_deep >= n_deep && below_deep > below_deep_flat);
    char why[256];
    CHECK(ps_settings_check(&s, why, sizeof why) == 0);
    ps_settings gap = s;
    gap.enrich_cuts[1] = 0;
    gap.enrich_cuts[2] = 0.001;
    ps_settings big = s;
    big.enrich_cuts[1] = 2;
    ps_settings none = s;
    memset(none.enrich_cuts, 0, sizeof none.enrich_cuts);
    CHECK(ps_settings_check(&gap, why, sizeof why) == -1 && strstr(why, "enrichment cuts"));
    CHECK(ps_settings_check(&big, why, sizeof why) == -1 && strstr(why, "enrichment cuts"));
    CHECK(ps_settings_check(&none, why, sizeof why) == -1 && strstr(why, "needs a cut"));
    free(p), free(pf);
}

int main(void)
{
    test_events_and_threads();
    test_splits();
    test_generation_failures();
    test_amp2_events();
    test_enrichment();
    test_enrichment_ladder();
    return test_summary("test_generate");
}

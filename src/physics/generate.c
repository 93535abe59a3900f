#include "physics/generate.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/parallel.h"
#include "physics/amplitude.h"
#include "physics/lanes.h"

/* Events are handed out in blocks: between blocks the calling thread reports progress
 * and stops at the first failure. A block of 4096 is ~0.02 s of work on two cores, and
 * the imbalance at its end (one chunk) is under 1 % of it. A chunk is one batch of the
 * amplitude's evaluation, which fills AMP_LANES lanes at a time. */
#define GEN_BLOCK 4096
#define GEN_CHUNK AMP_LANES

/* gg_aag_check_event's tolerance for generated events: RAMBO and the boost keep p^2 and
 * momentum balance at the 1e-16 level of double rounding, far inside it. */
#define GEN_CHECK_TOL 1e-10

enum event_status { EVENT_OK = 0, EVENT_NO_POINT, EVENT_INVALID, EVENT_BAD_AMPLITUDE };

uint64_t gen_split_first_index(gen_split split) { return (uint64_t)split * GEN_SPLIT_STRIDE; }

const char *gen_split_name(gen_split split)
{
    switch (split) {
    case GEN_TRAIN: return "trn";
    case GEN_VAL: return "val";
    case GEN_TEST: return "tst";
    }
    return "?";
}

static int resolve_threads(int threads) { return threads > 0 ? threads : ba_default_threads(); }

/* The message for event i, which failed with status. */
static int event_failure(const ps_settings *s, uint64_t first_index, size_t i, int status,
                         const double p[5][4], double amp, ba_error *err)
{
    uint64_t index = first_index + i;
    char why[256];
    switch (status) {
    case EVENT_NO_POINT:
        return ba_fail(err, "event %zu (stream %" PRIu64 "): no phase-space point passed the "
                       "cuts in %ld tries; loosen the cuts or widen the mhat range",
                       i, index, s->max_tries);
    case EVENT_INVALID:
        gg_aag_check_event(p, GEN_CHECK_TOL, why, sizeof why);
        return ba_fail(err, "event %zu (stream %" PRIu64 "): the generator made an invalid "
                       "event (a bug): %s", i, index, why);
    default:
        return ba_fail(err, "event %zu (stream %" PRIu64 "): |M|^2 = %g is not positive and "
                       "finite", i, index, amp);
    }
}

int gen_events(const ps_settings *s, uint64_t seed, uint64_t first_index, size_t n,
               int threads, double (*p)[5][4], double *amp, gen_stats *stats,
               gen_progress_fn progress, void *user, ba_error *err)
{
    char why[256];
    if (stats)
        *stats = (gen_stats){0};
    if (ps_settings_check(s, why, sizeof why))
        return ba_fail(err, "%s", why);
    if (n > GEN_MAX_EVENTS || first_index > UINT64_MAX - n)
        return ba_fail(err, "%zu events from index %" PRIu64 " are too many", n, first_index);
    threads = resolve_threads(threads);

    gen_stats total = {0};
    unsigned char status[GEN_BLOCK];
    for (size_t start = 0; start < n; start += GEN_BLOCK) {
        size_t len = n - start < GEN_BLOCK ? n - start : GEN_BLOCK;
        long long tries = 0;
        double ps_seconds = 0, amp_seconds = 0;
        /* Dynamic scheduling: an event costs one amplitude but a varying number of
         * phase-space tries. Each thread writes only its own chunks' slots. A chunk's
         * valid events go through the batch evaluation together (gg_aag_amp2_batch); an
         * event's amplitude does not depend on which others share its batch. */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) \
    reduction(+ : tries, ps_seconds, amp_seconds)
        for (size_t k0 = 0; k0 < len; k0 += GEN_CHUNK) {
            size_t chunk = len - k0 < GEN_CHUNK ? len - k0 : GEN_CHUNK;
            double t0 = omp_get_wtime();
            double valid[GEN_CHUNK][5][4];
            size_t valid_k[GEN_CHUNK], n_valid = 0;
            for (size_t k = k0; k < k0 + chunk; k++) {
                size_t i = start + k;
                long t = 0;
                int failed = ps_generate_event(s, seed, first_index + i, p[i], &t);
                tries += t;
                amp[i] = 0;
                if (failed) {
                    status[k] = EVENT_NO_POINT;
                } else if (gg_aag_check_event(p[i], GEN_CHECK_TOL, NULL, 0)) {
                    status[k] = EVENT_INVALID;
                } else {
                    memcpy(valid[n_valid], p[i], sizeof valid[0]);
                    valid_k[n_valid++] = k;
                }
            }
            double t1 = omp_get_wtime();
            double valid_amp[GEN_CHUNK];
            gg_aag_amp2_batch((const double(*)[5][4])valid, n_valid, valid_amp);
            amp_seconds += omp_get_wtime() - t1;
            ps_seconds += t1 - t0;
            for (size_t v = 0; v < n_valid; v++) {
                size_t k = valid_k[v];
                amp[start + k] = valid_amp[v];
                status[k] = isfinite(valid_amp[v]) && valid_amp[v] > 0 ? EVENT_OK
                                                                       : EVENT_BAD_AMPLITUDE;
            }
        }
        total.tries += tries;
        total.ps_seconds += ps_seconds;
        total.amp_seconds += amp_seconds;
        if (stats)
            *stats = total;
        /* The first failure in index order, so that the message does not depend on
         * which thread got there first. */
        for (size_t k = 0; k < len; k++)
            if (status[k] != EVENT_OK)
                return event_failure(s, first_index, start + k, status[k],
                                     p[start + k], amp[start + k], err);
        if (progress)
            progress(start + len, n, user);
    }
    return 0;
}

int gen_amp2_check(const double (*p)[5][4], size_t first, size_t n, double tol,
                   size_t *bad_row, ba_error *err)
{
    if (!(tol > 0 && tol <= 1))
        return ba_fail(err, "the tolerance of the event checks must be in (0, 1], got %g", tol);
    /* The check is ~1/300 of an amplitude, not worth threads. */
    char why[256];
    for (size_t i = 0; i < n; i++)
        if (gg_aag_check_event(p[i], tol, why, sizeof why)) {
            if (bad_row)
                *bad_row = first + i;
            return ba_fail(err, "row %zu: %s", first + i, why);
        }
    return 0;
}

/* |M|^2 of events [0, n), checked already. */
static void amp2_rows(const double (*p)[5][4], size_t n, int threads, double *amp,
                      gen_progress_fn progress, void *user)
{
    threads = resolve_threads(threads);
    for (size_t start = 0; start < n; start += GEN_BLOCK) {
        size_t len = n - start < GEN_BLOCK ? n - start : GEN_BLOCK;
        /* Chunks of GEN_CHUNK events, each one call of the batch evaluation. */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (size_t i = start; i < start + len; i += GEN_CHUNK)
            gg_aag_amp2_batch(p + i, start + len - i < GEN_CHUNK ? start + len - i : GEN_CHUNK,
                              amp + i);
        if (progress)
            progress(start + len, n, user);
    }
}

int gen_amp2_events(const double (*p)[5][4], size_t n, double tol, int threads,
                    double *amp, size_t *bad_row, gen_progress_fn progress, void *user,
                    ba_error *err)
{
    /* Every event is checked before any is evaluated: a bad file costs nothing and
     * produces no output. The check is ~1/300 of an amplitude, not worth threads. */
    if (gen_amp2_check(p, 0, n, tol, bad_row, err))
        return -1;
    amp2_rows(p, n, threads, amp, progress, user);
    return 0;
}

int gen_amp2_shares(const double (*p)[5][4], size_t first, size_t n_mine, size_t n, double tol,
                    int threads, double *amp, gen_progress_fn progress, void *user,
                    ba_error *err)
{
    /* every rank's events checked before any is evaluated, as in one process: the
     * lowest failing rank has the first bad row */
    if (par_agree(gen_amp2_check(p, first, n_mine, tol, NULL, err), err))
        return -1;
    double *mine = malloc((n_mine ? n_mine : 1) * sizeof *mine);
    int rc = mine ? 0 : ba_fail(err, "out of memory for %zu events", n_mine);
    if (par_agree(rc, err) == 0) {
        amp2_rows(p, n_mine, threads, mine, progress, user);
        rc = par_gather_into(mine, n_mine * sizeof *mine, amp, n * sizeof *amp,
                             "the amplitudes of all events", err);
    } else {
        rc = -1;
    }
    free(mine);
    return rc;
}

int gen_events_across_ranks(const ps_settings *s, uint64_t seed, uint64_t first_index,
                            size_t n, int threads, double (*p)[5][4], double *amp,
                            gen_stats *stats, gen_progress_fn progress, void *user,
                            ba_error *err)
{
    size_t lo, hi;
    par_range(n, par_rank(), par_size(), &lo, &hi);
    gen_stats mine = {0};
    int rc = gen_events(s, seed, first_index + lo, hi - lo, threads, p + lo, amp + lo, &mine,
                        progress, user, err);
    if (par_agree(rc, err))
        return -1;
    par_allgather_ranges(p, n, sizeof *p);
    par_allgather_ranges(amp, n, sizeof *amp);
    /* counts and core-seconds: sums, in whatever order */
    double sums[3] = {(double)mine.tries, mine.ps_seconds, mine.amp_seconds};
    par_sum(sums, 3);
    if (stats)
        *stats = (gen_stats){(long long)sums[0], sums[1], sums[2]};
    return 0;
}

/* ---- the public interface (bayesamp.h) ---- */

ba_phase_space ba_phase_space_defaults(void) { return ps_settings_default(); }

int ba_phase_space_check(const ba_phase_space *s, ba_error *err)
{
    char why[256];
    if (ps_settings_check(s, why, sizeof why))
        return ba_fail(err, "%s", why);
    return 0;
}

int ba_generate(const ba_phase_space *s, uint64_t seed, ba_data_split split, size_t n,
                int threads, double *momenta, double *amp, ba_generate_stats *stats,
                ba_progress_fn progress, void *user, ba_error *err)
{
    if (split != BA_SPLIT_TRN && split != BA_SPLIT_VAL && split != BA_SPLIT_TST)
        return ba_fail(err, "split %d is not one of trn (0), val (1), tst (2)", (int)split);
    /* Only the training set is enriched: validation and test keep the flat distribution
     * the surrogate is judged on. */
    ba_phase_space flat = *s;
    if (split != BA_SPLIT_TRN)
        flat.enrich_fraction = 0;
    /* under mpirun the ranks share the events (a collective call) */
    return gen_events_across_ranks(&flat, seed, gen_split_first_index(split), n, threads,
                                   (double(*)[5][4])momenta, amp, stats, progress, user, err);
}

int ba_amplitude_check(const double *momenta, size_t n, double tol, ba_error *err)
{
    return gen_amp2_check((const double(*)[5][4])momenta, 0, n, tol, NULL, err);
}

int ba_amplitudes(const double *momenta, size_t n, double tol, int threads, double *amp,
                  ba_progress_fn progress, void *user, ba_error *err)
{
    return gen_amp2_events((const double(*)[5][4])momenta, n, tol, threads, amp, NULL,
                           progress, user, err);
}

int ba_exact_amplitudes(const double *momenta, size_t n, double *amp, void *user,
                        ba_error *err)
{
    const ba_exact_config *c = user;
    return ba_amplitudes(momenta, n, c ? c->tol : BA_AMPLITUDE_TOL, c ? c->threads : 0, amp,
                         NULL, NULL, err);
}

#include "data/dataset_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/parallel.h"
#include "data/dataset.h"
#include "data/event_file.h"
#include "data/npy.h"

#define N_COMPONENTS 4
/* Events read from one file at a time: a few MB, whatever the file's size. */
#define PIECE_EVENTS 8192

static void free_raw(raw_split raw[3])
{
    for (int s = 0; s < 3; s++) {
        npy_free(&raw[s].dat);
        npy_free(&raw[s].amp);
    }
}

/* Room for n events of the process in raw. */
static int alloc_raw(raw_split *raw, size_t n, const ba_process *proc, ba_error *err)
{
    size_t per = (size_t)N_COMPONENTS * (size_t)proc->n_particles;
    raw->dat = (npy_array){.ndim = 3, .shape = {n, (size_t)proc->n_particles, N_COMPONENTS},
                           .count = n * per, .data = malloc((n ? n * per : 1) * sizeof(double))};
    raw->amp = (npy_array){.ndim = 1, .shape = {n}, .count = n,
                           .data = malloc((n ? n : 1) * sizeof(double))};
    if (!raw->dat.data || !raw->amp.data)
        return ba_fail(err, "%s: out of memory for %zu events", raw->dat_path, n);
    return 0;
}

/* This rank's share of split `name` of a data folder, in whole units of `unit` events
 * (par_range_units): the shapes from the headers, then rows [first, first + n) of both
 * files, read and checked. */
static int read_folder_share(const char *dir, const char *name, const ba_process *proc,
                             size_t unit, raw_split *out, size_t *first, size_t *total,
                             ba_error *err)
{
    snprintf(out->dat_path, sizeof out->dat_path, "%s/%s_dat.npy", dir, name);
    snprintf(out->amp_path, sizeof out->amp_path, "%s/%s_amp.npy", dir, name);
    npy_reader d = {0}, a = {0};
    if (npy_reader_open(&d, out->dat_path, err))
        return -1;
    int rc = npy_reader_open(&a, out->amp_path, err);
    if (rc == 0) {
        npy_array dh = {.ndim = d.ndim, .count = d.count}, ah = {.ndim = a.ndim, .count = a.count};
        memcpy(dh.shape, d.shape, sizeof dh.shape);
        memcpy(ah.shape, a.shape, sizeof ah.shape);
        rc = dataset_check_shapes(&dh, &ah, out->dat_path, out->amp_path, proc, err);
    }
    size_t lo = 0, hi = 0, per = (size_t)N_COMPONENTS * (size_t)proc->n_particles;
    if (rc == 0) {
        *total = d.shape[0];
        par_range_units(*total, unit, par_rank(), par_size(), &lo, &hi);
        *first = lo;
        rc = alloc_raw(out, hi - lo, proc, err);
    }
    if (rc == 0)
        rc = npy_reader_read(&d, lo * per, (hi - lo) * per, out->dat.data, err) ||
             npy_reader_read(&a, lo, hi - lo, out->amp.data, err) ? -1 : 0;
    if (rc == 0)
        rc = dataset_check_rows(proc, out->dat.data, out->amp.data, hi - lo, lo, 1,
                                out->dat_path, out->amp_path, err);
    npy_reader_close(&d);
    npy_reader_close(&a);
    return rc;
}

/* Which events of a single file are this rank's: its share [lo[s], hi[s]) of each split s
 * in the order of the file; seen[s] counts split s's events before the current one. */
typedef struct file_shares {
    const unsigned char *labels;
    size_t lo[3], hi[3], seen[3];
} file_shares;

/* Whether event j of the file is this rank's; moves on to event j + 1. Its place in its
 * split's share is *at. */
static int take_event(file_shares *fs, size_t j, size_t *at)
{
    int s = fs->labels[j];
    size_t k = fs->seen[s]++;
    *at = k - fs->lo[s];
    return k >= fs->lo[s] && k < fs->hi[s];
}

/* This rank's shares of the three splits of one file of events, in whole units of
 * `unit` events of each split. The split is the fixed
 * shuffle of ba_dataset_load_source (event_split_assign, which depends only on the event
 * count), so every rank knows which events are whose; each reads, in pieces, the rows
 * from its first event to its last (about 1/K of the file: a shuffled split spreads
 * every share evenly) and keeps its own. The checks come in the order of one process:
 * the values of every row read (as they are read), then the kinematics, both in the
 * file's order, errors naming the file's row. */
static int read_file_shares(const char *spec, const double fractions[3], const ba_process *proc,
                            size_t unit, raw_split raw[3], size_t first[3], size_t total[3],
                            ba_error *err)
{
    event_file f;
    if (event_file_open(&f, spec, proc->n_particles, EVENT_AMP_REQUIRED, err))
        return -1;
    size_t n = f.n_events, per = (size_t)N_COMPONENTS * (size_t)proc->n_particles;
    unsigned char *labels = malloc(n);
    double *mom = malloc(PIECE_EVENTS * per * sizeof *mom), *amp = malloc(PIECE_EVENTS * sizeof *amp);
    int rc = labels && mom && amp ? 0 : ba_fail(err, "%s: out of memory for %zu events", spec, n);
    if (rc == 0)
        rc = event_split_assign(n, fractions, EVENT_SPLIT_SHUFFLED, EVENT_SPLIT_SEED, labels,
                                total, err);
    file_shares fs = {.labels = labels};
    for (int s = 0; rc == 0 && s < 3; s++) {
        dataset_name_file_split(&raw[s], spec, s);
        par_range_units(total[s], unit, par_rank(), par_size(), &fs.lo[s], &fs.hi[s]);
        first[s] = fs.lo[s];
        rc = alloc_raw(&raw[s], fs.hi[s] - fs.lo[s], proc, err);
    }
    /* the file's rows from this rank's first event to its last, and the split counts
     * before the first */
    size_t from = n, to = 0, at, before[3] = {0, 0, 0};
    for (size_t j = 0; rc == 0 && j < n; j++)
        if (take_event(&fs, j, &at)) {
            if (from == n) {
                from = j;
                for (int s = 0; s < 3; s++)
                    before[s] = fs.seen[s] - (s == labels[j]);
            }
            to = j + 1;
        }
    memcpy(fs.seen, before, sizeof before);
    for (size_t j0 = from; rc == 0 && j0 < to; j0 += PIECE_EVENTS) {
        size_t rows = to - j0 < PIECE_EVENTS ? to - j0 : PIECE_EVENTS;
        rc = event_file_read(&f, j0, rows, mom, amp, err);
        for (size_t i = 0; rc == 0 && i < rows; i++)
            if (take_event(&fs, j0 + i, &at)) {
                raw_split *r = &raw[labels[j0 + i]];
                memcpy(r->dat.data + at * per, mom + i * per, per * sizeof *mom);
                r->amp.data[at] = amp[i];
            }
    }
    memcpy(fs.seen, before, sizeof before);
    for (size_t j = from; rc == 0 && j < to; j++) {
        ba_error why;
        if (take_event(&fs, j, &at) &&
            ba_process_check_event(proc, raw[labels[j]].dat.data + at * per, &why))
            rc = ba_fail(err, "%s: row %zu: %s", spec, j, why.msg);
    }
    free(labels);
    free(mom);
    free(amp);
    event_file_close(&f);
    return rc;
}

int dataset_shard_load(const char *source, const double *fractions, const ba_process *process,
                       ba_features features, int standardize, dataset_shard *out,
                       ba_error *err)
{
    memset(out, 0, sizeof *out);
    raw_split raw[3];
    memset(raw, 0, sizeof raw);
    size_t first[3] = {0, 0, 0};
    int is_folder = dataset_source_is_folder(source, fractions, err);
    int rc = is_folder < 0 ? -1 : 0;
    if (rc == 0 && !is_folder)
        rc = read_file_shares(source, fractions, process, 1, raw, first, out->n, err);
    for (int s = 0; rc == 0 && is_folder && s < 3; s++)
        rc = read_folder_share(source, dataset_split_name(s), process, 1, &raw[s], &first[s],
                               &out->n[s], err);
    rc = par_agree(rc, err);
    if (rc == 0)
        rc = dataset_from_shares(raw, first, out->n, 1, process, features, standardize,
                                 &out->local, err);
    free_raw(raw);
    return rc;
}

int events_shard_load(const char *source, const double *fractions, const char *split,
                      const ba_process *process, size_t unit, ba_events *out, size_t *first,
                      size_t *total, ba_error *err)
{
    memset(out, 0, sizeof *out);
    *first = *total = 0;
    int which = dataset_split_index(split);
    if (which < 0)
        return ba_fail(err, "unknown split '%s'", split);
    raw_split raw[3];
    memset(raw, 0, sizeof raw);
    size_t firsts[3] = {0, 0, 0}, totals[3] = {0, 0, 0};
    int is_folder = dataset_source_is_folder(source, fractions, err);
    int rc = is_folder < 0 ? -1 : 0;
    /* from one file, every split's share (as one process, every event is checked), of
     * which one is kept */
    if (rc == 0 && !is_folder)
        rc = read_file_shares(source, fractions, process, unit, raw, firsts, totals, err);
    if (rc == 0 && is_folder)
        rc = read_folder_share(source, split, process, unit, &raw[which], &firsts[which],
                               &totals[which], err);
    rc = par_agree(rc, err);
    if (rc == 0) {
        *out = (ba_events){.n = raw[which].dat.shape[0], .momenta = raw[which].dat.data,
                           .amp = raw[which].amp.data, .n_particles = process->n_particles};
        raw[which].dat.data = raw[which].amp.data = NULL; /* now out's */
        *first = firsts[which];
        *total = totals[which];
    }
    free_raw(raw);
    return rc;
}

dataset_shard dataset_shard_whole(const ba_dataset *ds)
{
    dataset_shard sh = {.local = *ds, .n = {ds->trn.n, ds->val.n, ds->tst.n}, .whole = 1};
    return sh;
}

int dataset_shard_gather(const dataset_shard *ds, int s, ba_split *out, ba_error *err)
{
    const ba_split *splits[3] = {&ds->local.trn, &ds->local.val, &ds->local.tst};
    const ba_split *mine = splits[s];
    size_t n = ds->n[s], nf = mine->n_features;
    int root = par_rank() == 0;
    memset(out, 0, sizeof *out);
    if (ds->whole && !root) /* every rank has them: rank 0 copies its own */
        return 0;
    size_t x_bytes = n * nf * sizeof *out->x, y_bytes = n * sizeof *out->y;
    ba_real *x = root ? malloc(x_bytes ? x_bytes : 1) : NULL;
    ba_real *y = root ? malloc(y_bytes ? y_bytes : 1) : NULL;
    int rc;
    if (ds->whole) {
        rc = x && y ? 0 : ba_fail(err, "out of memory for the gathered events");
        if (rc == 0) {
            memcpy(x, mine->x, x_bytes);
            memcpy(y, mine->y, y_bytes);
        }
    } else {
        rc = par_gather_into(mine->x, mine->n * nf * sizeof *mine->x, x, x_bytes,
                             "the gathered events", err);
        if (par_gather_into(mine->y, mine->n * sizeof *mine->y, y, y_bytes,
                            "the gathered events", err))
            rc = -1;
    }
    if (rc == 0 && root)
        *out = (ba_split){n, nf, x, y};
    else
        free(x), free(y);
    return rc;
}

void dataset_shard_free(dataset_shard *ds)
{
    if (!ds->whole)
        ba_dataset_free(&ds->local);
    memset(ds, 0, sizeof *ds);
}

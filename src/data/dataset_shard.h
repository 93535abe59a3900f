/* A data set shared out across the MPI ranks for training (common/parallel.h): each rank
 * reads only its share of every split's events, rows par_range(n, rank, ...) of the
 * split, and the preprocessing is fitted on all training events with the sums of one
 * process (dataset_from_shares), so memory per rank shrinks with the rank count and the
 * numbers do not change with it. Training (nn/train.h) brings each rank, epoch by epoch,
 * the rows of its blocks of the batches from their ranks (data/shard.h). */
#ifndef BA_DATASET_SHARD_H
#define BA_DATASET_SHARD_H

#include <stddef.h>

#include "bayesamp.h"

typedef struct dataset_shard {
    ba_dataset local; /* this rank's events of each split; local.pre is fitted on all */
    size_t n[3];      /* events of trn, val and tst in all */
    int whole;        /* every rank holds every event (a ba_dataset handed to ba_train) */
} dataset_shard;

/* Collective: ba_dataset_load_source (a data folder, fractions NULL, or one file of
 * events cut by fractions), each rank reading its share: from a folder rows
 * par_range(n) of each .npy file; from one file the rows that hold its share of each
 * split (the split is the same fixed shuffle). Every event is checked against the
 * process (by the rank that reads it; errors name the row in its file, and an error on
 * any rank is every rank's). With one process: the whole data set, as
 * ba_dataset_load_source gives it. */
int dataset_shard_load(const char *source, const double *fractions, const ba_process *process,
                       ba_features features, int standardize, dataset_shard *out,
                       ba_error *err);

/* Collective: this rank's share of one split ("trn", "val", "tst") of a source, as
 * ba_events_load_source gives the split (every event checked, as there, by the rank
 * that reads it; an error on any rank is every rank's): events [*first, *first +
 * out->n) of the split's *total, par_range_units(*total, unit, rank, ...), whole units
 * (a prediction's batches) but for the last. From one file every rank reads and checks
 * its share of all three splits, as one process checks every event, and keeps one. */
int events_shard_load(const char *source, const double *fractions, const char *split,
                      const ba_process *process, size_t unit, ba_events *out, size_t *first,
                      size_t *total, ba_error *err);

/* A whole data set (every rank's own copy) seen as a shard. */
dataset_shard dataset_shard_whole(const ba_dataset *ds);

/* Collective: all events of split s (0 trn, 1 val, 2 tst) in order, into out on rank 0
 * (a copy; ba_split's x and y to be freed); out is zeroed on the other ranks. */
int dataset_shard_gather(const dataset_shard *ds, int s, ba_split *out, ba_error *err);

void dataset_shard_free(dataset_shard *ds);

#endif

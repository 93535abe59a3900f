/* The data-folder loader below its file reading: the checks of one split's two arrays
 * and the preprocessing of all three. ba_dataset_load_as reads the files and calls
 * these; the fuzz harness calls them on arrays read from memory, so that it tests the
 * same code without writing six files per input. */
#ifndef BA_DATASET_H
#define BA_DATASET_H

#include "bayesamp.h"
#include "data/npy.h"

/* The arrays of one split and the paths they came from (for the messages). */
typedef struct raw_split {
    npy_array dat, amp;
    char dat_path[4096], amp_path[4096];
} raw_split;

/* Check the shapes ((N, P, 4) for the process's P, and (N,), N > 0), finite momenta,
 * with check_kinematics every event against the process (ba_process_check_event), and
 * positive finite amplitudes. On failure both arrays are freed. */
int dataset_check_split(raw_split *s, const ba_process *process, int check_kinematics,
                        ba_error *err);

/* The shape checks of dataset_check_split, on the headers d and a (data not needed). */
int dataset_check_shapes(const npy_array *d, const npy_array *a, const char *dat_path,
                         const char *amp_path, const ba_process *process, ba_error *err);

/* The row checks of dataset_check_split on n events whose first is row `first` of their
 * file (as errors name it); amp may be NULL. */
int dataset_check_rows(const ba_process *process, const double *momenta, const double *amp,
                       size_t n, size_t first, int check_kinematics, const char *dat_name,
                       const char *amp_name, ba_error *err);

/* Fit the preprocessing on raw[0] (training) and build the three splits of out from
 * checked splits trn, val, tst of the process; raw stays the caller's. */
int dataset_from_splits(const raw_split raw[3], const ba_process *process,
                        ba_features features, int standardize, ba_dataset *out,
                        ba_error *err);

/* 0, 1, 2 for the split named "trn", "val", "tst"; -1 for any other name. */
int dataset_split_index(const char *split);
/* The name of split s (0, 1, 2): "trn", "val", "tst". */
const char *dataset_split_name(int s);
/* The paths errors name for split s of the one file of events spec:
 * "SPEC (trn events)", ... */
void dataset_name_file_split(raw_split *raw, const char *spec, int s);

/* 1 if source is a data folder (then fractions must be NULL), 0 if it is one file of
 * events (cut by fractions, which it needs); -1 with the message otherwise. */
int dataset_source_is_folder(const char *source, const double *fractions, ba_error *err);

/* dataset_from_splits when each raw[s] holds the events of split s from row first[s]
 * on, of total[s] in all. With across_ranks the MPI ranks hold the splits' rows between
 * them in rank order (data/dataset_shard.h), and this is collective: the preprocessing
 * is fitted on every rank's training events, with the sums of one process, so the same
 * numbers for any number of ranks, and an error on any rank is every rank's. */
int dataset_from_shares(const raw_split raw[3], const size_t first[3], const size_t total[3],
                        int across_ranks, const ba_process *process, ba_features features,
                        int standardize, ba_dataset *out, ba_error *err);

#endif

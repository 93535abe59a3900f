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

/* Fit the preprocessing on raw[0] (training) and build the three splits of out from
 * checked splits trn, val, tst of the process; raw stays the caller's. */
int dataset_from_splits(const raw_split raw[3], const ba_process *process,
                        ba_features features, int standardize, ba_dataset *out,
                        ba_error *err);

#endif

/* Training on a data set that the MPI ranks hold between them (data/dataset_shard.h):
 * ba_train's work (nn/train.c), with the rows each rank's blocks of an epoch's batches
 * take brought to it from their ranks at the start of the epoch, and its validation
 * batches' rows at the start of training. The model is ba_train's on the whole data set,
 * bit for bit, for any number of ranks and threads. */
#ifndef BA_TRAIN_H
#define BA_TRAIN_H

#include "bayesamp.h"
#include "data/dataset_shard.h"

/* Collective (every rank calls it with its share). As ba_train. */
int train_shard(ba_model *m, const dataset_shard *ds, const ba_train_config *cfg,
                ba_epoch_callback cb, void *user, ba_error *err);

#endif

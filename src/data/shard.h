/* Rows of a table spread over the MPI ranks (common/parallel.h): rank r holds rows
 * par_range(n, r, ...), its "home" rows, and fetches the other rows it needs for a while
 * (a training epoch's share of the batches) from their home ranks. So no rank ever holds
 * the whole table, and each row comes back exactly as it left its home rank: what a rank
 * computes from fetched rows is what one process computes from the same rows. */
#ifndef BA_SHARD_H
#define BA_SHARD_H

#include <stddef.h>

#include "bayesamp.h"

/* Copy global row `row`, one of this rank's home rows, into dst (the table's unit
 * bytes). */
typedef void (*shard_pack)(size_t row, void *dst, void *user);

/* Collective. Every rank asks for rows want[0 .. n_want) of a table of n rows of unit
 * bytes (global indices, each at most once, in any order). Afterwards row want[i] is
 * row where[i] of *rows, which is allocated here (free it). The requests go to the home
 * ranks in one MPI_Alltoallv, the rows, packed there by pack, come back in another; a
 * rank's own rows take the same way (a copy). Fails on every rank (-1, err) if one runs
 * out of memory. */
int shard_fetch(size_t n, size_t unit, shard_pack pack, void *user, const size_t *want,
                size_t n_want, void **rows, size_t *where, ba_error *err);

#endif

#include "data/shard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/parallel.h"

int shard_fetch(size_t n, size_t unit, shard_pack pack, void *user, const size_t *want,
                size_t n_want, void **rows, size_t *where, ba_error *err)
{
    int size = par_size();
    size_t ask_count[size], give_count[size], start[size], filled[size];
    memset(ask_count, 0, sizeof ask_count);
    memset(filled, 0, sizeof filled);
    for (size_t i = 0; i < n_want; i++)
        ask_count[par_owner(n, want[i])]++;
    size_t at = 0;
    for (int r = 0; r < size; r++) {
        start[r] = at;
        at += ask_count[r];
    }
    /* The requests grouped by home rank, each group in the order of want; the rows come
     * back in the same places. */
    size_t *ask = malloc((n_want ? n_want : 1) * sizeof *ask);
    char *got = malloc((n_want ? n_want : 1) * unit);
    int rc = ask && got ? 0 : ba_fail(err, "out of memory for %zu rows", n_want);
    for (size_t i = 0; rc == 0 && i < n_want; i++) {
        int r = par_owner(n, want[i]);
        where[i] = start[r] + filled[r]++;
        ask[where[i]] = want[i];
    }
    size_t *asked = NULL;
    char *give = NULL;
    rc = par_agree(rc, err);
    if (rc == 0) {
        par_alltoall_counts(ask_count, give_count);
        size_t n_give = 0;
        for (int r = 0; r < size; r++)
            n_give += give_count[r];
        asked = malloc((n_give ? n_give : 1) * sizeof *asked);
        give = malloc((n_give ? n_give : 1) * unit);
        rc = par_agree(asked && give ? 0 : ba_fail(err, "out of memory for %zu rows", n_give),
                       err);
        if (rc == 0) {
            par_alltoallv(ask, ask_count, asked, give_count, sizeof *ask);
            for (size_t j = 0; j < n_give; j++)
                pack(asked[j], give + j * unit, user);
            par_alltoallv(give, give_count, got, ask_count, unit);
        }
    }
    free(ask);
    free(asked);
    free(give);
    if (rc) {
        free(got);
        got = NULL;
    }
    *rows = got;
    return rc;
}

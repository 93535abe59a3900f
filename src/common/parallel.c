#include "common/parallel.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#ifdef BAYESAMP_HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_local = 1;
static int g_failed = -1; /* par_failed_rank */

/* Messages travel in pieces of at most this many bytes: MPI counts are ints, and a
 * multiple of 8 keeps float64 rows whole in par_gather_ordered's pieces. */
#define PIECE_BYTES ((size_t)1 << 26)

/* The processes of the job, from the variables an MPI launcher sets: Open MPI's mpirun
 * (OMPI_COMM_WORLD_SIZE), MPICH's hydra and Slurm's PMI-2 (PMI_SIZE), PMIx launchers such
 * as `srun --mpi=pmix` (PMIX_RANK, which says only that there is a job). 0: none. */
static long launcher_size(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return getenv("PMIX_RANK") ? 1 : 0;
}

void par_range(size_t n, int rank, int size, size_t *lo, size_t *hi)
{
    /* n r / size without overflow for any n below 2^64 / 2^31 ... in 128 bits */
    *lo = (size_t)((unsigned __int128)n * (unsigned)rank / (unsigned)size);
    *hi = (size_t)((unsigned __int128)n * (unsigned)(rank + 1) / (unsigned)size);
}

void par_range_units(size_t n, size_t unit, int rank, int size, size_t *lo, size_t *hi)
{
    size_t first, last;
    par_range((n + unit - 1) / unit, rank, size, &first, &last);
    *lo = first * unit < n ? first * unit : n;
    *hi = last * unit < n ? last * unit : n;
}

void par_allgather_ranges(void *buf, size_t n, size_t unit)
{
    size_t offset[g_size + 1], lo, hi;
    for (int r = 0; r < g_size; r++) {
        par_range(n, r, g_size, &lo, &hi);
        offset[r] = lo;
        offset[r + 1] = hi;
    }
    par_allgather(buf, offset, unit);
}

int par_owner(size_t n, size_t i)
{
    /* i n-th of the way through: the owner is at or next to floor(i size / n) */
    int r = (int)((unsigned __int128)i * (unsigned)g_size / n);
    size_t lo, hi;
    for (;;) {
        par_range(n, r, g_size, &lo, &hi);
        if (i < lo)
            r--;
        else if (i >= hi)
            r++;
        else
            return r;
    }
}

int par_rank(void) { return g_rank; }
int par_failed_rank(void) { return g_failed; }
int par_size(void) { return g_size; }
int par_local_size(void) { return g_local; }

#ifdef BAYESAMP_HAVE_MPI

static int g_mpi = 0; /* MPI started by par_init */

int par_init(int *argc, char ***argv, ba_error *err)
{
    if (g_mpi || launcher_size() == 0)
        return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return ba_fail(err, "cannot start MPI");
    g_mpi = 1;
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        g_mpi = 0;
        return ba_fail(err, "this MPI library cannot be called from a program with threads "
                       "(MPI_THREAD_FUNNELED)");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &g_local);
    MPI_Comm_free(&node);
    return 0;
}

int par_finalize(int status)
{
    if (!g_mpi)
        return status;
    int worst = status;
    MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    g_mpi = 0;
    return worst;
}

int par_agree(int rc, ba_error *err)
{
    if (g_size == 1)
        return rc;
    int mine = rc ? g_rank : INT_MAX, first = INT_MAX;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == INT_MAX)
        return 0;
    /* The failing rank's message, and the rank it names: its own, or, for an error
     * agreed on before and passed on (every rank then fails, rank 0 first), the rank
     * that first met it. */
    struct {
        int rank;
        ba_error err;
    } shared;
    if (g_rank == first) {
        shared.rank = g_failed >= 0 ? g_failed : first;
        if (err)
            shared.err = *err;
        else
            snprintf(shared.err.msg, sizeof shared.err.msg, "failed");
    }
    MPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, first, MPI_COMM_WORLD);
    shared.err.msg[sizeof shared.err.msg - 1] = '\0';
    if (err)
        *err = shared.err;
    g_failed = shared.rank;
    return -1;
}

int par_any(int flag)
{
    if (g_size == 1)
        return flag != 0;
    int mine = flag != 0, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any;
}

void par_bcast(void *buf, size_t bytes, int root)
{
    if (g_size == 1)
        return;
    for (size_t at = 0; at < bytes; at += PIECE_BYTES) {
        size_t n = bytes - at < PIECE_BYTES ? bytes - at : PIECE_BYTES;
        MPI_Bcast((char *)buf + at, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
    }
}

void par_send(const void *buf, size_t bytes, int peer)
{
    for (size_t at = 0; at < bytes; at += PIECE_BYTES) {
        size_t n = bytes - at < PIECE_BYTES ? bytes - at : PIECE_BYTES;
        MPI_Send((const char *)buf + at, (int)n, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
    }
}

void par_recv(void *buf, size_t bytes, int peer)
{
    for (size_t at = 0; at < bytes; at += PIECE_BYTES) {
        size_t n = bytes - at < PIECE_BYTES ? bytes - at : PIECE_BYTES;
        MPI_Recv((char *)buf + at, (int)n, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    }
}

void par_allgather(void *buf, const size_t *offset, size_t unit)
{
    if (g_size == 1)
        return;
    int counts[g_size], displs[g_size];
    for (int r = 0; r < g_size; r++) {
        counts[r] = (int)(offset[r + 1] - offset[r]);
        displs[r] = (int)offset[r];
    }
    MPI_Datatype item;
    MPI_Type_contiguous((int)unit, MPI_BYTE, &item);
    MPI_Type_commit(&item);
    MPI_Allgatherv(MPI_IN_PLACE, 0, item, buf, counts, displs, item, MPI_COMM_WORLD);
    MPI_Type_free(&item);
}

void par_chain(int shared, double *acc, size_t n, void (*add)(double *acc, void *user),
               void *user)
{
    if (!shared || g_size == 1) {
        add(acc, user);
        return;
    }
    if (g_rank > 0)
        par_recv(acc, n * sizeof *acc, g_rank - 1);
    add(acc, user);
    if (g_rank + 1 < g_size)
        par_send(acc, n * sizeof *acc, g_rank + 1);
    par_bcast(acc, n * sizeof *acc, g_size - 1);
}

void par_alltoall_counts(const size_t *send_count, size_t *recv_count)
{
    if (g_size == 1) { /* MPI may not be running */
        recv_count[0] = send_count[0];
        return;
    }
    uint64_t out[g_size], in[g_size];
    for (int r = 0; r < g_size; r++)
        out[r] = send_count[r];
    MPI_Alltoall(out, 1, MPI_UINT64_T, in, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    for (int r = 0; r < g_size; r++)
        recv_count[r] = (size_t)in[r];
}

void par_alltoallv(const void *send, const size_t *send_count, void *recv,
                   const size_t *recv_count, size_t unit)
{
    if (g_size == 1) { /* MPI may not be running */
        if (send_count[0] > 0)
            memcpy(recv, send, send_count[0] * unit);
        return;
    }
    int scount[g_size], sdispl[g_size], rcount[g_size], rdispl[g_size];
    size_t sat = 0, rat = 0;
    for (int r = 0; r < g_size; r++) {
        scount[r] = (int)send_count[r];
        sdispl[r] = (int)sat;
        rcount[r] = (int)recv_count[r];
        rdispl[r] = (int)rat;
        sat += send_count[r];
        rat += recv_count[r];
    }
    MPI_Datatype item;
    MPI_Type_contiguous((int)unit, MPI_BYTE, &item);
    MPI_Type_commit(&item);
    MPI_Alltoallv(send, scount, sdispl, item, recv, rcount, rdispl, item, MPI_COMM_WORLD);
    MPI_Type_free(&item);
}

void par_sum(double *v, int n)
{
    if (g_size > 1)
        MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int par_gather_ordered(const void *mine, size_t bytes, par_sink sink, void *user,
                       ba_error *err)
{
    int rc = 0;
    if (g_rank == 0 && bytes > 0)
        rc = sink(mine, bytes, user, err);
    if (g_size == 1)
        return rc;
    uint64_t my_bytes = bytes, *sizes = NULL;
    if (g_rank == 0)
        sizes = malloc((size_t)g_size * sizeof *sizes);
    /* The other ranks' sizes, so that rank 0 knows what to receive; rank 0 cannot
     * refuse for lack of memory here without leaving the senders blocked, so a failed
     * malloc of these few bytes takes the job down. */
    if (g_rank == 0 && !sizes)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Gather(&my_bytes, 1, MPI_UINT64_T, sizes, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (g_rank != 0) {
        par_send(mine, bytes, 0);
    } else {
        char *piece = NULL;
        for (int r = 1; r < g_size; r++) {
            for (size_t at = 0; at < sizes[r]; at += PIECE_BYTES) {
                size_t n = sizes[r] - at < PIECE_BYTES ? sizes[r] - at : PIECE_BYTES;
                if (!piece && !(piece = malloc(PIECE_BYTES)))
                    MPI_Abort(MPI_COMM_WORLD, 1);
                MPI_Recv(piece, (int)n, MPI_BYTE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (rc == 0)
                    rc = sink(piece, n, user, err);
            }
        }
        free(piece);
        free(sizes);
    }
    return par_agree(rc, err);
}

#else /* one process: the stubs */

int par_init(int *argc, char ***argv, ba_error *err)
{
    (void)argc, (void)argv;
    long n = launcher_size();
    if (n > 1)
        return ba_fail(err, "started as one of %ld processes by an MPI launcher, but this "
                       "bayesamp was built without MPI (-DBAYESAMP_MPI=OFF), so each would do "
                       "the whole job: rebuild with MPI (Debian: libopenmpi-dev), or run it "
                       "once", n);
    return 0;
}

int par_finalize(int status) { return status; }
int par_agree(int rc, ba_error *err) { (void)err; return rc; }
int par_any(int flag) { return flag != 0; }
void par_bcast(void *buf, size_t bytes, int root) { (void)buf, (void)bytes, (void)root; }
void par_send(const void *buf, size_t bytes, int peer) { (void)buf, (void)bytes, (void)peer; }
void par_recv(void *buf, size_t bytes, int peer) { (void)buf, (void)bytes, (void)peer; }
void par_allgather(void *buf, const size_t *offset, size_t unit)
{
    (void)buf, (void)offset, (void)unit;
}
void par_sum(double *v, int n) { (void)v, (void)n; }

void par_chain(int shared, double *acc, size_t n, void (*add)(double *acc, void *user),
               void *user)
{
    (void)shared, (void)n;
    add(acc, user);
}

void par_alltoall_counts(const size_t *send_count, size_t *recv_count)
{
    recv_count[0] = send_count[0];
}

void par_alltoallv(const void *send, const size_t *send_count, void *recv,
                   const size_t *recv_count, size_t unit)
{
    (void)recv_count;
    if (send_count[0] > 0)
        memcpy(recv, send, send_count[0] * unit);
}

int par_gather_ordered(const void *mine, size_t bytes, par_sink sink, void *user,
                       ba_error *err)
{
    return bytes > 0 ? sink(mine, bytes, user, err) : 0;
}

#endif

/* ---- on top of the above, with MPI or without ---- */

/* par_gather_into's sink: the bytes appended to a buffer of known size */
typedef struct byte_sink {
    char *buf;
    size_t at, size;
    const char *what;
} byte_sink;

static int append_bytes(const void *data, size_t bytes, void *user, ba_error *err)
{
    byte_sink *b = user;
    if (!b->buf || bytes > b->size - b->at)
        return ba_fail(err, "out of memory for %s", b->what);
    memmove(b->buf + b->at, data, bytes); /* rank 0's own part may be in place */
    b->at += bytes;
    return 0;
}

int par_gather_into(const void *mine, size_t bytes, void *all, size_t size, const char *what,
                    ba_error *err)
{
    byte_sink b = {all, 0, size, what};
    int rc = par_gather_ordered(mine, bytes, append_bytes, &b, err);
    /* nothing at all sent, into no buffer: still a failed allocation */
    if (rc == 0 && par_rank() == 0 && !all)
        rc = ba_fail(err, "out of memory for %s", what);
    return par_agree(rc, err);
}

/* Several processes (MPI ranks) working on one job: the little the library and the
 * command-line tool need of MPI, behind one small interface, so that MPI stays out of
 * the numerics and the build works without it.
 *
 * Built with MPI (CMake option BAYESAMP_MPI, defines BAYESAMP_HAVE_MPI), par_init starts
 * MPI only when the process was started by an MPI launcher (mpirun, srun); a plain run
 * stays one process and never touches MPI. Built without MPI, every function is the
 * one-process case (rank 0 of 1), and par_init refuses a launch by mpirun with more
 * than one process, where each copy would do the whole job.
 *
 * Threads: MPI is started with MPI_THREAD_FUNNELED; every call below is made by the
 * thread that called par_init (the master thread of an OpenMP region).
 *
 * Failures: an error found by one rank reaches the others through par_agree, a
 * collective that every rank calls at the same point of the work; a rank that dies is
 * the launcher's business (mpirun stops the job and says which rank died). */
#ifndef BA_PARALLEL_H
#define BA_PARALLEL_H

#include <stddef.h>

#include "bayesamp.h"

/* Start MPI if this process was started by an MPI launcher. argc, argv may be NULL. */
int par_init(int *argc, char ***argv, ba_error *err);
/* The job's exit status: the largest status of all ranks (each rank passes its own),
 * then MPI is shut down. Without MPI: status. */
int par_finalize(int status);

int par_rank(void);       /* 0 .. par_size() - 1 */
int par_size(void);       /* 1 without MPI */
int par_local_size(void); /* ranks on this node (they share its cores) */

/* The part [lo, hi) of n items that rank takes of size ranks: contiguous, in rank
 * order, as even as possible (floor(n r / size) ..). */
void par_range(size_t n, int rank, int size, size_t *lo, size_t *hi);

/* par_range in whole units of `unit` items (the last unit may be short): the part
 * [lo, hi) of n items that rank takes when blocks of unit, e.g. a prediction's batches,
 * must not be cut. unit 1 is par_range. */
void par_range_units(size_t n, size_t unit, int rank, int size, size_t *lo, size_t *hi);

/* Collective: every rank passes its own rc (0: fine) and err. If every rc is 0, returns
 * 0. Otherwise returns -1 on every rank and sets err on every rank to the message of
 * the lowest failing rank, whose number par_failed_rank() then gives. */
int par_agree(int rc, ba_error *err);

/* The rank whose error the last failed par_agree brought, else -1. */
int par_failed_rank(void);

/* Collective: non-zero on every rank if flag is non-zero on any. */
int par_any(int flag);

/* Collective: root's bytes into buf on every rank. */
void par_bcast(void *buf, size_t bytes, int root);

/* Point to point, for ordered reductions (nn/train.c): bytes from this rank to peer,
 * and into buf from peer. Any size (sent in pieces below MPI's int count). */
void par_send(const void *buf, size_t bytes, int peer);
void par_recv(void *buf, size_t bytes, int peer);

/* Collective: every rank holds its own part of buf, items [offset[r], offset[r + 1]) of
 * unit bytes each for rank r (offset has par_size() + 1 entries, the same on every
 * rank, below 2^31 items a part); afterwards every rank holds all parts. */
void par_allgather(void *buf, const size_t *offset, size_t unit);

/* Collective: every rank holds its own part of items [0, n) of buf, those of
 * par_range(n, rank, ...), unit bytes each; afterwards every rank holds all. */
void par_allgather_ranges(void *buf, size_t n, size_t unit);

/* The rank whose par_range(n, ...) part holds item i < n. */
int par_owner(size_t n, size_t i);

/* Collective when shared: a sum over items spread across the ranks in rank order (each
 * rank holding a contiguous part), added in the order of one process, addition for
 * addition: rank 0
 * calls add(acc, user) on acc as passed, which adds its items in order; each next rank
 * receives the sum so far into acc and adds its own; the last rank's acc (n doubles) goes
 * to every rank. Why not MPI_Allreduce: its order of additions is the MPI library's and
 * changes with the rank count, so the numbers would too. The ranks wait for each other
 * in turn: keep add to additions of values computed before. Not shared (every rank holds
 * all items) or without MPI: add(acc, user) alone. */
void par_chain(int shared, double *acc, size_t n, void (*add)(double *acc, void *user),
               void *user);

/* Collective: every rank sends send_count[s] items of unit bytes to rank s, the parts for
 * ranks 0, 1, ... one after the other in send, and receives recv_count[r] items from each
 * rank r, in rank order, into recv (below 2^31 items in all). recv_count must be what the
 * senders send: par_alltoall_counts tells it. */
void par_alltoallv(const void *send, const size_t *send_count, void *recv,
                   const size_t *recv_count, size_t unit);

/* Collective: recv_count[r] = send_count[this rank] of rank r (par_size() entries each). */
void par_alltoall_counts(const size_t *send_count, size_t *recv_count);

/* Collective: v[0..n) summed over the ranks (any order: for timings and counts). */
void par_sum(double *v, int n);

/* Collective: rank 0 receives every rank's bytes in rank order and hands them to sink
 * (its own first), in pieces; other ranks send theirs. After a failure of sink, rank 0
 * keeps receiving (the senders must finish) but calls sink no more. Returns par_agree
 * of the outcome: the sink's error, if any, on every rank. */
typedef int (*par_sink)(const void *data, size_t bytes, void *user, ba_error *err);
int par_gather_ordered(const void *mine, size_t bytes, par_sink sink, void *user,
                       ba_error *err);

/* Collective: par_gather_ordered into memory: every rank's bytes, in rank order, into
 * all[0 .. size) on rank 0, which must be exactly what they add up to (all and size are
 * ignored elsewhere); rank 0's own bytes may already be in place (mine == all). all NULL
 * on rank 0 (a failed malloc) fails on every rank with an out-of-memory message naming
 * what. */
int par_gather_into(const void *mine, size_t bytes, void *all, size_t size, const char *what,
                    ba_error *err);

#endif

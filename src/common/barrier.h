/* A barrier for the threads of one parallel region that spins briefly and then sleeps.
 *
 * Why not OpenMP's barrier: GNU libgomp's threads spin at a barrier for up to
 * GOMP_SPINCOUNT iterations (milliseconds) before they sleep, and the setting is read
 * once from the environment when the program starts, so a library cannot change it.
 * When another process holds one of the cores, the thread that arrived first spins
 * while its partner waits for a time slice: a training epoch, ~470 barriers, went from
 * 22 ms to 1.9 s (issue 9). Here a waiting thread spins for BARRIER_SPIN_SECONDS (long
 * enough for the partner of a balanced split on an idle machine) and then sleeps on a
 * futex until the last thread arrives, handing its core to whoever needs it.
 */
#ifndef BA_BARRIER_H
#define BA_BARRIER_H

#include <stdatomic.h>

/* Spin this long before sleeping. */
#define BARRIER_SPIN_SECONDS 30e-6

typedef struct team_barrier {
    int n_threads;
    atomic_int arrived;     /* threads at the barrier in this round */
    atomic_int round;       /* incremented by the last thread to arrive; futex word */
    atomic_int sleepers;    /* threads asleep on `round` (the last thread wakes them) */
    atomic_long sleeps;     /* waits that ended in sleep since init: a partner late by
                               more than the spin, i.e. a busy machine */
} team_barrier;

void team_barrier_init(team_barrier *b, int n_threads);

/* Wait until all n_threads threads have called this for the current round. */
void team_barrier_wait(team_barrier *b);

#endif

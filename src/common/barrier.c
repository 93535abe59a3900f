/* syscall() for the futex (Linux). */
#define _DEFAULT_SOURCE
#include "common/barrier.h"

#include <limits.h>

#include "common/clock.h"

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

static void sleep_while_equal(atomic_int *word, int value)
{
    /* returns at once if *word != value, so a wake-up between our last look and the
     * call cannot be lost */
    syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void wake_all(atomic_int *word)
{
    syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}
#else
#include <sched.h>

static void sleep_while_equal(atomic_int *word, int value)
{
    (void)word, (void)value;
    sched_yield();
}

static void wake_all(atomic_int *word) { (void)word; }
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void team_barrier_init(team_barrier *b, int n_threads)
{
    b->n_threads = n_threads;
    atomic_init(&b->arrived, 0);
    atomic_init(&b->round, 0);
    atomic_init(&b->sleepers, 0);
    atomic_init(&b->sleeps, 0);
}

void team_barrier_wait(team_barrier *b)
{
    if (b->n_threads <= 1)
        return;
    int round = atomic_load(&b->round);
    if (atomic_fetch_add(&b->arrived, 1) == b->n_threads - 1) {
        /* the last one: open the next round (arrived first, so that a thread that
         * leaves and comes back counts in the new round) and wake the sleepers */
        atomic_store(&b->arrived, 0);
        atomic_fetch_add(&b->round, 1);
        if (atomic_load(&b->sleepers) > 0)
            wake_all(&b->round);
        return;
    }
    double deadline = 0;
    for (unsigned spins = 1; atomic_load(&b->round) == round; spins++) {
        cpu_relax();
        if (spins % 64)
            continue;
        /* look at the clock only now and then: it costs more than a spin */
        double now = wall_seconds();
        if (deadline == 0) {
            deadline = now + BARRIER_SPIN_SECONDS;
        } else if (now > deadline) {
            atomic_fetch_add(&b->sleepers, 1);
            atomic_fetch_add(&b->sleeps, 1);
            while (atomic_load(&b->round) == round)
                sleep_while_equal(&b->round, round);
            atomic_fetch_sub(&b->sleepers, 1);
            return;
        }
    }
}

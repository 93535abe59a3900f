/* What it costs one core to use cache lines the other core touched last: the traffic of
 * two training threads that share one network (BENCHMARKS.md, "Issue 12, sixth round").
 * Two threads, a barrier between the two steps of each round; thread 1 prepares the
 * lines, thread 0 then works on them and is timed:
 *   read, other wrote    thread 1 writes the lines, thread 0 reads them: a block's
 *                        gradient read by the other core, the parameters it updated
 *   write, other read    thread 1 reads the lines, thread 0 writes them: a parameter
 *                        update after the other core's forward pass read them
 *   write, other wrote   thread 1 writes, thread 0 writes
 *   read, own            nobody else touched them (the reference)
 *   write, own
 * Prints ns per 64-byte line, median of 9 runs of 2000 rounds, for a few sizes:
 *    lines   read, other wrote   write, other read  write, other wrote  read, own ...
 *      350                 4.4                 8.9                 2.9        0.8 ...
 * and then the latency under them: thread 0 follows a chain through 256 lines in a
 * shuffled order, each line holding the next one's index, so that no two reads overlap:
 *    chained reads, other wrote 13.0 ns a line; own 1.7 ns
 * (13 ns where the two virtual cores share a level-3 cache, 60-65 ns where they do not:
 * BENCHMARKS.md, "Issue 12, ninth round").
 * With --quick, one line in half a second, for a benchmark to record which kind of
 * minute it ran in (bench/bench_train.py): the two costs that move most, 350 lines,
 * median of 3 runs of 2000 rounds:
 *   read, other wrote 4.4 ns; write, other read 8.9 ns
 * Build and run (-O2: the loops must touch each line once, as written):
 *   cc -O2 -march=native -fopenmp bench/coherence.c -o coherence && ./coherence */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_FLOATS 16
#define ROUNDS 2000
#define RUNS 9

enum { READ_OTHER_WROTE, WRITE_OTHER_READ, WRITE_OTHER_WROTE, READ_OWN, WRITE_OWN, N_CASES };
static const char *CASE_NAMES[N_CASES] = {"read, other wrote", "write, other read",
                                          "write, other wrote", "read, own", "write, own"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Touch one float per line: a read summed into the result, or a write. */
static float touch(float *a, size_t lines, int write)
{
    float sum = 0;
    for (size_t i = 0; i < lines; i++) {
        if (write)
            a[i * LINE_FLOATS] = (float)i;
        else
            sum += a[i * LINE_FLOATS];
    }
    return sum;
}

/* ns per line that thread 0 spends on one case, one run. */
static double run_case(int which, float *a, size_t lines)
{
    double busy = 0;
    volatile float sink = 0;
#pragma omp parallel num_threads(2)
    {
        int id = omp_get_thread_num();
        for (int r = 0; r < ROUNDS; r++) {
            if (id == 1 && which != READ_OWN && which != WRITE_OWN)
                sink += touch(a, lines, which != WRITE_OTHER_READ);
#pragma omp barrier
            if (id == 0) {
                double t0 = now();
                sink += touch(a, lines, which != READ_OTHER_WROTE && which != READ_OWN);
                busy += now() - t0;
            }
#pragma omp barrier
        }
    }
    (void)sink;
    return busy / ROUNDS / (double)lines * 1e9;
}

/* Median ns per line of `runs` runs of case c over `lines` lines. */
static double median_case(int c, float *a, size_t lines, int runs)
{
    double t[RUNS];
    for (int k = 0; k < runs; k++)
        t[k] = run_case(c, a, lines);
    qsort(t, (size_t)runs, sizeof *t, compare);
    return t[runs / 2];
}

/* ns per line of a chain through `lines` lines in a shuffled order, each line holding
 * the next one's index, so that every read waits for the one before: the latency.
 * other_wrote: thread 1 writes the chain before each of thread 0's walks; else thread 0
 * walks lines only it touches. Median of RUNS runs. */
static double chain_latency(float *a, size_t lines, int other_wrote)
{
    size_t *order = malloc(lines * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < lines; i++)
        order[i] = i;
    unsigned x = 12345; /* a fixed shuffle (xorshift) */
    for (size_t i = lines - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t j = x % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    double t[RUNS];
    for (int k = 0; k < RUNS; k++) {
        double busy = 0;
        volatile size_t sink = 0;
#pragma omp parallel num_threads(2)
        {
            int id = omp_get_thread_num();
            for (int r = 0; r < ROUNDS; r++) {
                if (id == (other_wrote ? 1 : 0)) /* the chain: line order[i] -> order[i + 1] */
                    for (size_t i = 0; i < lines; i++)
                        a[order[i] * LINE_FLOATS] = (float)order[(i + 1) % lines];
#pragma omp barrier
                if (id == 0) {
                    double t0 = now();
                    size_t at = order[0];
                    for (size_t i = 0; i < lines; i++)
                        at = (size_t)a[at * LINE_FLOATS];
                    busy += now() - t0;
                    sink += at;
                }
#pragma omp barrier
            }
        }
        (void)sink;
        t[k] = busy / ROUNDS / (double)lines * 1e9;
    }
    free(order);
    qsort(t, RUNS, sizeof *t, compare);
    return t[RUNS / 2];
}

int main(int argc, char **argv)
{
    const size_t sizes[] = {175, 350, 700, 1400};
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    float *a = aligned_alloc(64, sizes[3] * LINE_FLOATS * sizeof *a);
    if (!a)
        return 1;
    for (size_t i = 0; i < sizes[3] * LINE_FLOATS; i++)
        a[i] = 0;
    if (quick) {
        double r = median_case(READ_OTHER_WROTE, a, 350, 3);
        double w = median_case(WRITE_OTHER_READ, a, 350, 3);
        printf("read, other wrote %.1f ns; write, other read %.1f ns\n", r, w);
        free(a);
        return 0;
    }
    printf("%6s", "lines");
    for (int c = 0; c < N_CASES; c++)
        printf("  %18s", CASE_NAMES[c]);
    printf("   (ns per line, median of %d runs)\n", RUNS);
    for (int s = 0; s < 4; s++) {
        printf("%6zu", sizes[s]);
        for (int c = 0; c < N_CASES; c++)
            printf("  %18.1f", median_case(c, a, sizes[s], RUNS));
        printf("\n");
    }
    printf("chained reads, other wrote %.1f ns a line; own %.1f ns\n",
           chain_latency(a, 256, 1), chain_latency(a, 256, 0));
    free(a);
    return 0;
}

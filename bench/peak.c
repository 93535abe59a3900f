/* The machine's peak arithmetic rates, measured: vector multiplications and additions,
 * and fused multiply-adds, on 64-byte vectors (8 doubles or 16 floats), each in 16
 * independent chains so that throughput, not latency, limits; on one core, and on every
 * core at once (one OpenMP thread per core, the rates summed), since a core may clock
 * lower when the others work too. Prints one line per case, best of 5 runs:
 *   fp64 mul+add 1 core 93.1 GFLOP/s
 * The benchmark scripts build and run it (bench_common.py, machine_peak):
 *   cc -O3 -march=native -fopenmp peak.c (at -O2 GCC keeps the chains in memory) */
#include <omp.h>
#include <stdio.h>
#include <time.h>

typedef double doubles __attribute__((vector_size(64)));
typedef float floats __attribute__((vector_size(64)));
#define CHAINS 16
#define STEPS 20000000L

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* x = x * m + a in each chain: one multiplication and one addition per lane and step
 * (fused into one FMA when fused is set). Returns GFLOP/s. */
#define CHAIN_RUN(NAME, VEC, ELEM, LANES)                                                \
    static double NAME(int fused, volatile double seed)                                 \
    {                                                                                   \
        VEC x[CHAINS], m, a;                                                            \
        for (int l = 0; l < LANES; l++) {                                               \
            m[l] = (ELEM)(0.999999 + 1e-9 * seed);                                      \
            a[l] = (ELEM)(1e-7 * seed);                                                 \
        }                                                                               \
        for (int c = 0; c < CHAINS; c++)                                                \
            for (int l = 0; l < LANES; l++)                                             \
                x[c][l] = (ELEM)(1.0 + 0.01 * c + 0.001 * l);                           \
        double t0 = now();                                                              \
        if (fused) {                                                                    \
            for (long s = 0; s < STEPS; s++)                                            \
                for (int c = 0; c < CHAINS; c++)                                        \
                    x[c] = x[c] * m + a; /* one FMA: GNU C contracts by default */      \
        } else {                                                                        \
            for (long s = 0; s < STEPS; s++)                                            \
                for (int c = 0; c < CHAINS; c++) {                                      \
                    VEC p = x[c] * m;                                                   \
                    __asm__("" : "+v"(p)); /* keep the product a separate instruction */ \
                    x[c] = p + a;                                                       \
                }                                                                       \
        }                                                                               \
        double t = now() - t0;                                                          \
        double sink = 0;                                                                \
        for (int c = 0; c < CHAINS; c++)                                                \
            sink += (double)x[c][0];                                                    \
        if (sink == 42.0)                                                               \
            printf("%g\n", sink);                                                       \
        return 2.0 * LANES * CHAINS * (double)STEPS / t * 1e-9;                         \
    }

CHAIN_RUN(run_fp64, doubles, double, 8)
CHAIN_RUN(run_fp32, floats, float, 16)

/* The best of 5 runs of one case on `threads` threads at once, their rates summed. */
static double best_of_5(int fp32, int fused, int threads)
{
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        total += fp32 ? run_fp32(fused, 1.0) : run_fp64(fused, 1.0);
        best = total > best ? total : best;
    }
    return best;
}

int main(void)
{
    int cores = omp_get_num_procs();
    const char *kind[2] = {"mul+add", "fma"};
    for (int all = 0; all < 2; all++)
        for (int fp32 = 0; fp32 < 2; fp32++)
            for (int fused = 0; fused < 2; fused++)
                printf("%s %s %d core%s %.1f GFLOP/s\n", fp32 ? "fp32" : "fp64", kind[fused],
                       all ? cores : 1, all && cores > 1 ? "s" : "",
                       best_of_5(fp32, fused, all ? cores : 1));
    return 0;
}

/* The peak double-precision rate of one core for the operations of the exact
 * amplitude's kernel (src/physics/lanes.h): vector multiplications and additions of 8
 * doubles, and fused multiply-adds, each in 16 independent chains so that throughput,
 * not latency, limits. Prints GFLOP/s for mul+add and for FMA, best of 5 runs.
 * Built and run by bench/bench_amplitude.py:  cc -O2 -march=native peak_fp64.c */
#include <stdio.h>
#include <time.h>

typedef double lanes __attribute__((vector_size(64)));
#define CHAINS 16
#define STEPS 20000000L

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* x = x * m + a in each chain: one multiplication and one addition per lane and step
 * (fused into one FMA when fused is set). */
static double run(int fused, volatile double seed)
{
    lanes x[CHAINS], m, a;
    for (int l = 0; l < 8; l++) {
        m[l] = 0.999999 + 1e-9 * seed;
        a[l] = 1e-7 * seed;
    }
    for (int c = 0; c < CHAINS; c++)
        for (int l = 0; l < 8; l++)
            x[c][l] = 1.0 + 0.01 * c + 0.001 * l;
    double t0 = now();
    if (fused) {
        for (long s = 0; s < STEPS; s++)
            for (int c = 0; c < CHAINS; c++)
                x[c] = x[c] * m + a; /* one FMA: GNU C contracts by default */
    } else {
        for (long s = 0; s < STEPS; s++)
            for (int c = 0; c < CHAINS; c++) {
                lanes p = x[c] * m;
                __asm__("" : "+v"(p)); /* keep the product a separate instruction */
                x[c] = p + a;
            }
    }
    double t = now() - t0;
    double sink = 0;
    for (int c = 0; c < CHAINS; c++)
        sink += x[c][0];
    if (sink == 42.0)
        printf("%g\n", sink);
    return 2.0 * 8 * CHAINS * (double)STEPS / t * 1e-9;
}

int main(void)
{
    double best_plain = 0, best_fused = 0;
    for (int r = 0; r < 5; r++) {
        double p = run(0, 1.0), f = run(1, 1.0);
        best_plain = p > best_plain ? p : best_plain;
        best_fused = f > best_fused ? f : best_fused;
    }
    printf("mul+add %.1f GFLOP/s\nfma %.1f GFLOP/s\n", best_plain, best_fused);
    return 0;
}

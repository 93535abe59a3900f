/* Counter-based random numbers: Philox4x32-10 from Random123 (Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC11). The n-th number of a stream is a pure
 * function of (seed, stream, n), so work split over any number of threads (or a GPU)
 * draws exactly the same numbers when each piece of work owns its stream: pick the
 * stream from what the numbers are for (an event index, a layer and batch index), never
 * from the thread that happens to run it.
 */
#ifndef BA_RNG_H
#define BA_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ba_rng {
    uint64_t seed;    /* the Philox key */
    uint64_t stream;  /* upper half of the counter */
    uint64_t block;   /* lower half of the counter: index of the next 128-bit block */
    uint32_t buf[4];  /* the current block */
    int used;         /* how many words of buf were consumed */
} ba_rng;

void ba_rng_init(ba_rng *r, uint64_t seed, uint64_t stream);

/* One 32-bit word. */
uint32_t ba_rng_u32(ba_rng *r);
/* Uniform in the open interval (0, 1), 53 random bits. */
double ba_rng_uniform(ba_rng *r);
/* Standard normal (Box-Muller on two uniforms), float64. */
double ba_rng_normal(ba_rng *r);

/* out[0..n) = the 32-bit words number first .. first+n-1 of a stream, the same words
 * ba_rng_u32 returns one by one (word k is word k % 4 of block k / 4), but computed
 * in vector loops: 30,000 words in a few microseconds instead of 0.15 ms. */
void ba_rng_words(uint64_t seed, uint64_t stream, uint64_t first, uint32_t *out, size_t n);

/* Fill out[0..n) with the normals number first .. first+n-1 of a stream: Box-Muller on
 * uniforms of 24 bits, four from every three 32-bit words (rng.c has the layout). Normal
 * number k depends only on (seed, stream, k), so any split of a range over threads draws
 * the same numbers. The float64 version gives the same normals up to float32 rounding. */
void ba_rng_normals_f32(uint64_t seed, uint64_t stream, uint64_t first, float *out, size_t n);
void ba_rng_normals_f64(uint64_t seed, uint64_t stream, uint64_t first, double *out,
                        size_t n);

#endif

#include "common/rng.h"

#include <math.h>

#include <Random123/philox.h>

/* 2^-32 and 2^-53: scale integers into (0, 1). */
#define TWO_M32 2.3283064365386963e-10
#define TWO_M53 1.1102230246251565e-16
#define TWO_PI 6.283185307179586

static void philox_block(uint64_t seed, uint64_t stream, uint64_t block, uint32_t out[4])
{
    philox4x32_ctr_t ctr = {{(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                             (uint32_t)(stream >> 32)}};
    philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

void ba_rng_init(ba_rng *r, uint64_t seed, uint64_t stream)
{
    r->seed = seed;
    r->stream = stream;
    r->block = 0;
    r->used = 4;
}

uint32_t ba_rng_u32(ba_rng *r)
{
    if (r->used == 4) {
        philox_block(r->seed, r->stream, r->block++, r->buf);
        r->used = 0;
    }
    return r->buf[r->used++];
}

double ba_rng_uniform(ba_rng *r)
{
    uint64_t hi = ba_rng_u32(r) >> 5; /* 27 bits */
    uint64_t lo = ba_rng_u32(r) >> 6; /* 26 bits */
    /* (k + 0.5) / 2^53 lies strictly inside (0, 1). */
    return ((double)((hi << 26) | lo) + 0.5) * TWO_M53;
}

double ba_rng_normal(ba_rng *r)
{
    double u1 = ba_rng_uniform(r), u2 = ba_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}

/* Box-Muller on a block: uniforms u = (k + 0.5) 2^-32 in (0,1), pairs (u0,u1), (u2,u3). */
static void block_normals(const uint32_t w[4], double z[4])
{
    for (int pair = 0; pair < 2; pair++) {
        double u1 = ((double)w[2 * pair] + 0.5) * TWO_M32;
        double u2 = ((double)w[2 * pair + 1] + 0.5) * TWO_M32;
        double radius = sqrt(-2.0 * log(u1));
        z[2 * pair] = radius * cos(TWO_PI * u2);
        z[2 * pair + 1] = radius * sin(TWO_PI * u2);
    }
}

void ba_rng_normals_f64(uint64_t seed, uint64_t stream, uint64_t first, double *out,
                        size_t n)
{
    uint32_t w[4];
    double z[4];
    size_t i = 0;
    while (i < n) {
        uint64_t k = first + i;
        philox_block(seed, stream, k / 4, w);
        block_normals(w, z);
        for (uint64_t j = k % 4; j < 4 && i < n; j++, i++)
            out[i] = z[j];
    }
}

/* The float32 version draws millions of normals per epoch (the weight noise of every
 * batch), so it is written for speed: Philox fills a buffer of words, then Box-Muller
 * runs over the buffer in float32 as a loop the compiler vectorises (this file is
 * compiled with -ffast-math so that logf, sinf, cosf use glibc's vector versions).
 * Uniforms take the top 24 bits of a word, u = (w >> 8 + 1/2) 2^-24, exactly
 * representable and inside (0, 1). Pairs (w0, w1) and (w2, w3) of each block give
 * normals 0,1 and 2,3, as in the float64 version. */
#define WORDS_PER_CHUNK 256

static void box_muller_f32(const uint32_t *w, float *z, int n_words)
{
    const float two_m24 = 5.9604644775390625e-08f, two_pi = 6.2831853071795865f;
    enum { PAIRS = WORDS_PER_CHUNK / 2 };
    float radius[PAIRS], angle[PAIRS], c[PAIRS], s[PAIRS];
    int n_pairs = n_words / 2;
    for (int p = 0; p < n_pairs; p++) {
        float u1 = ((float)(w[2 * p] >> 8) + 0.5f) * two_m24;
        float u2 = ((float)(w[2 * p + 1] >> 8) + 0.5f) * two_m24;
        radius[p] = sqrtf(-2.0f * logf(u1));
        angle[p] = two_pi * u2;
    }
    /* cos and sin in separate loops: the compiler would otherwise fuse them into one
     * scalar sincosf call, which has no vector version. */
    for (int p = 0; p < n_pairs; p++)
        c[p] = radius[p] * cosf(angle[p]);
    for (int p = 0; p < n_pairs; p++)
        s[p] = radius[p] * sinf(angle[p]);
    for (int p = 0; p < n_pairs; p++) {
        z[2 * p] = c[p];
        z[2 * p + 1] = s[p];
    }
}

void ba_rng_normals_f32(uint64_t seed, uint64_t stream, uint64_t first, float *out, size_t n)
{
    uint32_t w[WORDS_PER_CHUNK];
    float z[WORDS_PER_CHUNK];
    uint64_t block = first / 4;
    size_t skip = (size_t)(first % 4), i = 0;
    while (i < n) {
        size_t want = n - i + skip;
        size_t n_blocks = want / 4 + (want % 4 != 0);
        if (n_blocks > WORDS_PER_CHUNK / 4)
            n_blocks = WORDS_PER_CHUNK / 4;
        for (size_t b = 0; b < n_blocks; b++)
            philox_block(seed, stream, block + b, w + 4 * b);
        box_muller_f32(w, z, (int)(4 * n_blocks));
        for (size_t j = skip; j < 4 * n_blocks && i < n; j++, i++)
            out[i] = z[j];
        block += n_blocks;
        skip = 0;
    }
}

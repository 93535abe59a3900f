#include "common/rng.h"

#include <math.h>

#include <Random123/philox.h>

#include "common/vecmath.h"

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
 * batch), so it is written for speed: a profile of an epoch showed Random123's one-block
 * philox4x32 at 12 % and scalar sincosf/logf at 30 % of the time. Here Philox runs over
 * 64 consecutive blocks as a loop the compiler vectorises (32x32->64-bit products),
 * bit-identical to philox4x32 (tests/test_rng.c), and Box-Muller runs over the words in
 * float32 with common/vecmath.h's log, cos and sin (this file is compiled with
 * -ffast-math so that the loops vectorise). Uniforms take the top 24 bits of a word,
 * u = ((w >> 8) + 1/2) 2^-24, exactly representable and inside (0, 1). The words
 * (w0, w1) and (w2, w3) of each block give normals 0,1 and 2,3, as in the float64
 * version. */
#define BLOCKS_PER_CHUNK 64

/* Philox4x32-10 (Salmon et al. 2011, the constants of Random123's philox.h) for the
 * blocks first .. first + n - 1 of a stream; word j of block b goes to w[j][b].
 * The 32-bit words are kept in 64-bit variables, masked: GCC then keeps every block in
 * one 64-bit vector lane from the first round to the last, where with uint32_t words it
 * widened and narrowed them around each multiply (1.34 against 0.89 ns per normal,
 * BENCHMARKS.md). */
static void philox_blocks(uint64_t seed, uint64_t stream, uint64_t first, const int n,
                          uint32_t w[4][BLOCKS_PER_CHUNK])
{
    const uint64_t low = 0xFFFFFFFFu, s0 = stream & low, s1 = stream >> 32;
    for (int b = 0; b < n; b++) {
        uint64_t block = first + (uint64_t)b;
        uint64_t c0 = block & low, c1 = block >> 32, c2 = s0, c3 = s1;
        uint64_t k0 = seed & low, k1 = seed >> 32;
        for (int round = 0; round < 10; round++) {
            uint64_t p0 = 0xD2511F53u * c0, p1 = 0xCD9E8D57u * c2;
            uint64_t n0 = ((p1 >> 32) ^ c1 ^ k0) & low, n2 = ((p0 >> 32) ^ c3 ^ k1) & low;
            c1 = p1 & low;
            c3 = p0 & low;
            c0 = n0;
            c2 = n2;
            k0 = (k0 + 0x9E3779B9u) & low;
            k1 = (k1 + 0xBB67AE85u) & low;
        }
        w[0][b] = (uint32_t)c0;
        w[1][b] = (uint32_t)c1;
        w[2][b] = (uint32_t)c2;
        w[3][b] = (uint32_t)c3;
    }
}

/* Box-Muller on the words of n blocks: z[4b + 2p] = r cos(a), z[4b + 2p + 1] = r sin(a)
 * with r, a from the words (2p, 2p + 1) of block b. log, cos and sin are
 * common/vecmath.h's, inlined: 0.36 against 0.44 ns per normal with libmvec's
 * (BENCHMARKS.md, "Issue 12, fourth round"). */
static void box_muller_f32(uint32_t w[4][BLOCKS_PER_CHUNK], float *z, int n)
{
    const float two_m24 = 5.9604644775390625e-08f;
    float c[2][BLOCKS_PER_CHUNK], s[2][BLOCKS_PER_CHUNK];
    for (int p = 0; p < 2; p++)
#pragma omp simd
        for (int b = 0; b < n; b++) {
            float u1 = ((float)(w[2 * p][b] >> 8) + 0.5f) * two_m24;
            float u2 = ((float)(w[2 * p + 1][b] >> 8) + 0.5f) * two_m24;
            float radius = sqrtf(-2.0f * vm_log_normal(u1)), cosine, sine;
            vm_cos_sin_turn(u2, &cosine, &sine);
            c[p][b] = radius * cosine;
            s[p][b] = radius * sine;
        }
    for (int b = 0; b < n; b++) {
        z[4 * b] = c[0][b];
        z[4 * b + 1] = s[0][b];
        z[4 * b + 2] = c[1][b];
        z[4 * b + 3] = s[1][b];
    }
}

void ba_rng_words(uint64_t seed, uint64_t stream, uint64_t first, uint32_t *out, size_t n)
{
    uint32_t w[4][BLOCKS_PER_CHUNK];
    uint64_t k = first, end = first + n;
    while (k < end) {
        uint64_t block = k / 4, blocks = (end - 1) / 4 + 1 - block;
        int nb = blocks < BLOCKS_PER_CHUNK ? (int)blocks : BLOCKS_PER_CHUNK;
        philox_blocks(seed, stream, block, nb, w);
        uint64_t stop = (block + (uint64_t)nb) * 4 < end ? (block + (uint64_t)nb) * 4 : end;
        for (; k < stop; k++)
            out[k - first] = w[k % 4][k / 4 - block];
    }
}

void ba_rng_normals_f32(uint64_t seed, uint64_t stream, uint64_t first, float *out, size_t n)
{
    uint32_t w[4][BLOCKS_PER_CHUNK];
    float z[4 * BLOCKS_PER_CHUNK];
    /* Chunks start at multiples of BLOCKS_PER_CHUNK blocks and are always computed whole:
     * the vector maths and a scalar remainder loop round differently, so every normal
     * must sit in the same lane whatever range is asked for. */
    const uint64_t per_chunk = 4 * BLOCKS_PER_CHUNK;
    uint64_t k = first, end = first + n;
    while (k < end) {
        uint64_t chunk = k / per_chunk;
        philox_blocks(seed, stream, chunk * BLOCKS_PER_CHUNK, BLOCKS_PER_CHUNK, w);
        box_muller_f32(w, z, BLOCKS_PER_CHUNK);
        uint64_t stop = (chunk + 1) * per_chunk < end ? (chunk + 1) * per_chunk : end;
        for (; k < stop; k++)
            out[k - first] = z[k - chunk * per_chunk];
    }
}

#include "common/rng.h"

#include <math.h>
#include <string.h>

#include <Random123/philox.h>

#include "common/vecmath.h"

/* 2^-53 and 2^-24: scale integers into (0, 1). */
#define TWO_M53 1.1102230246251565e-16
#define TWO_M24 5.9604644775390625e-08
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

/* The normals are drawn in chunks of 256, chunk c from the Philox blocks 48c .. 48c + 47,
 * so that normal k depends only on (seed, stream, k) and any range can be asked for.
 * Box-Muller in float32 needs uniforms of 24 bits, so the 192 words of a chunk are cut
 * into 256 uniforms of 24 bits, not 192 of 32: a quarter fewer Philox blocks, which
 * cost half of a normal (BENCHMARKS.md, "Issue 12, seventh round"). In a chunk:
 *   uniform quartet i < 48:  the words 0, 1, 2 of block 48c + i, 96 bits cut in four;
 *   uniform quartet i >= 48: word 3 of the blocks 48c + j, 48c + 16 + j, 48c + 32 + j,
 *                            j = i - 48, cut the same way;
 *   normals 64p + i (p = 0, 1, 2, 3), i < 64: from quartet i (u0, u1, u2, u3),
 *     p = 0: r cos(a), p = 1: r sin(a) with r = sqrt(-2 log u0), a = 2 pi u1,
 *     p = 2, 3: the same with u2, u3;
 * a uniform u = (n + 1/2) 2^-24 for its 24-bit integer n, exactly representable and
 * inside (0, 1). Each of the four quarters of a chunk is one vector loop over i, written
 * straight into the caller's array when the whole chunk is asked for. The float64
 * version draws the same normals from the same uniforms, in float64 arithmetic. */
#define CHUNK_NORMALS 256
#define CHUNK_LANES 64  /* normals per quarter of a chunk: uniform quartets */
#define CHUNK_BLOCKS 48 /* 192 words of 32 bits = 256 uniforms of 24 bits */

/* Philox4x32-10 (Salmon et al. 2011, the constants of Random123's philox.h) on the
 * CHUNK_BLOCKS blocks first .. first + CHUNK_BLOCKS - 1 of a stream; word j of block b
 * goes to w[j][b]. Each block's four words sit in 64-bit vector lanes, 8 blocks a vector,
 * and the 6 vectors of a chunk go through the rounds side by side: a round is a chain of
 * dependent multiplies and XORs, and one vector's chain alone left the processor idle
 * most of the time (0.30 -> 0.18 ns per word with the six chains and the 32 x 32 -> 64
 * multiply below, BENCHMARKS.md, "Issue 12, eighth round"). */
#define LANES 8 /* 64-bit lanes of a 512-bit vector */
#define CHAINS (CHUNK_BLOCKS / LANES)
typedef uint64_t lanes_u64 __attribute__((vector_size(8 * LANES)));
typedef uint32_t lanes_u32 __attribute__((vector_size(4 * LANES)));

/* The full 64-bit products of each lane's low 32 bits and m (< 2^32). With AVX-512 one
 * vpmuludq, which reads only the low halves; for the plain expression GCC makes a
 * 64 x 64 multiply and a mask (0.22 against 0.18 ns per word). The same numbers either
 * way. A macro: a function taking 64-byte vectors by value changes its ABI with the
 * instruction set, and GCC warns about that in a build without AVX-512. */
#if defined(__AVX512F__) && !defined(BA_RNG_PORTABLE)
#define MUL_LOW32(a, m) ((lanes_u64)_mm512_mul_epu32((__m512i)(a), _mm512_set1_epi64(m)))
#else
#define MUL_LOW32(a, m) (((a) & 0xFFFFFFFFu) * (uint64_t)(m))
#endif

static void philox_chunk(uint64_t seed, uint64_t stream, uint64_t first,
                         uint32_t w[4][CHUNK_BLOCKS])
{
    const uint64_t low = 0xFFFFFFFFu;
    const lanes_u64 lane = {0, 1, 2, 3, 4, 5, 6, 7}, zero = {0};
    lanes_u64 c0[CHAINS], c1[CHAINS], c2[CHAINS], c3[CHAINS];
    for (int g = 0; g < CHAINS; g++) {
        lanes_u64 block = first + (uint64_t)(g * LANES) + lane;
        c0[g] = block & low;
        c1[g] = block >> 32;
        c2[g] = zero + (stream & low);
        c3[g] = zero + (stream >> 32);
    }
    /* The high halves of the lanes may hold garbage between rounds: the multiplies read
     * only the low halves, the XORs keep the halves apart, and the words are the low
     * halves at the end. */
    uint64_t k0 = seed & low, k1 = seed >> 32;
#pragma GCC unroll 10
    for (int round = 0; round < 10; round++) {
        for (int g = 0; g < CHAINS; g++) {
            lanes_u64 p0 = MUL_LOW32(c0[g], 0xD2511F53u), p1 = MUL_LOW32(c2[g], 0xCD9E8D57u);
            c0[g] = (p1 >> 32) ^ c1[g] ^ k0;
            c2[g] = (p0 >> 32) ^ c3[g] ^ k1;
            c1[g] = p1;
            c3[g] = p0;
        }
        k0 = (k0 + 0x9E3779B9u) & low;
        k1 = (k1 + 0xBB67AE85u) & low;
    }
    for (int g = 0; g < CHAINS; g++) {
        lanes_u32 words[4] = {__builtin_convertvector(c0[g], lanes_u32),
                              __builtin_convertvector(c1[g], lanes_u32),
                              __builtin_convertvector(c2[g], lanes_u32),
                              __builtin_convertvector(c3[g], lanes_u32)};
        for (int j = 0; j < 4; j++)
            memcpy(&w[j][g * LANES], &words[j], sizeof words[j]);
    }
}

void ba_rng_words(uint64_t seed, uint64_t stream, uint64_t first, uint32_t *out, size_t n)
{
    uint32_t w[4][CHUNK_BLOCKS];
    uint64_t k = first, end = first + n;
    while (k < end) {
        uint64_t block = k / 4;
        philox_chunk(seed, stream, block, w);
        uint64_t stop = (block + CHUNK_BLOCKS) * 4 < end ? (block + CHUNK_BLOCKS) * 4 : end;
        for (; k < stop; k++)
            out[k - first] = w[k % 4][k / 4 - block];
    }
}

/* Four 24-bit uniforms from three 32-bit words: the 96 bits in order, high bits first. */
static void cut_in_four(const uint32_t *a, const uint32_t *b, const uint32_t *c, int n,
                        uint32_t u[4][CHUNK_LANES], int at)
{
#pragma omp simd
    for (int i = 0; i < n; i++) {
        u[0][at + i] = a[i] >> 8;
        u[1][at + i] = (a[i] & 0xFFu) << 16 | b[i] >> 16;
        u[2][at + i] = (b[i] & 0xFFFFu) << 8 | c[i] >> 24;
        u[3][at + i] = c[i] & 0xFFFFFFu;
    }
}

/* The 24-bit uniforms of chunk number `chunk` of a stream, quartet i in u[0..3][i]. */
static void chunk_uniforms(uint64_t seed, uint64_t stream, uint64_t chunk,
                           uint32_t u[4][CHUNK_LANES])
{
    const int third = CHUNK_BLOCKS / 3; /* the word-3 quartets: 16 */
    uint32_t w[4][CHUNK_BLOCKS];
    philox_chunk(seed, stream, chunk * CHUNK_BLOCKS, w);
    cut_in_four(w[0], w[1], w[2], CHUNK_BLOCKS, u, 0);
    cut_in_four(w[3], w[3] + third, w[3] + 2 * third, third, u, CHUNK_BLOCKS);
}

/* Box-Muller on CHUNK_LANES pairs of uniforms: cosine[i] = r cos(a), sine[i] = r sin(a)
 * with r from radius_u[i] and a from angle_u[i]. */
#if defined(__AVX512F__) && !defined(BA_RNG_PORTABLE)
/* With AVX-512: the angle 2 pi (n + 1/2) / 2^24 of a 24-bit n as the centre of one of 16
 * sectors (its top 4 bits: the cosine and sine of the centres from a table in a register,
 * vpermps) plus an offset |d| <= pi / 16 (its low 20 bits, exact), whose cosine and sine
 * need Taylor series of degree 6 and 5 only (next terms below 6e-11 and 3e-9); log from
 * vm_log16. 0.25 -> 0.18 ns per normal (BENCHMARKS.md, "Issue 12, eighth round"). The
 * normals differ from the plain loop's in the last bits; this one computes the angle
 * without rounding 2 pi u. */
static void box_muller_f32(const uint32_t *radius_u, const uint32_t *angle_u, float *cosine,
                           float *sine)
{
    static const float centre_cos[16] = {
        0.98078528f,  0.831469612f,  0.555570233f,  0.195090322f,
        -0.195090322f, -0.555570233f, -0.831469612f, -0.98078528f,
        -0.98078528f, -0.831469612f, -0.555570233f, -0.195090322f,
        0.195090322f,  0.555570233f,  0.831469612f,  0.98078528f};
    static const float centre_sin[16] = {
        0.195090322f,  0.555570233f,  0.831469612f,  0.98078528f,
        0.98078528f,   0.831469612f,  0.555570233f,  0.195090322f,
        -0.195090322f, -0.555570233f, -0.831469612f, -0.98078528f,
        -0.98078528f, -0.831469612f, -0.555570233f, -0.195090322f};
    const __m512 cos_table = _mm512_loadu_ps(centre_cos), sin_table = _mm512_loadu_ps(centre_sin);
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int i = 0; i < CHUNK_LANES; i += 16) {
        __m512i n_radius = _mm512_loadu_si512(radius_u + i), n_angle = _mm512_loadu_si512(angle_u + i);
        /* u = (n + 1/2) 2^-24 rounded once, as the plain loop's (float)n + 0.5f then
         * times 2^-24 */
        __m512 u = _mm512_fmadd_ps(_mm512_cvtepu32_ps(n_radius),
                                   _mm512_set1_ps(5.9604644775390625e-08f),
                                   _mm512_set1_ps(2.98023223876953125e-08f));
        /* r = sqrt(-2 log u), 0 where u rounded to 1 */
        __m512 radius = vm_sqrt16(_mm512_mul_ps(vm_log16(u), _mm512_set1_ps(-2.0f)));
        /* the offset from the sector's centre: (low 20 bits + 1/2 - 2^19) 2 pi / 2^24 */
        __m512 low = _mm512_cvtepi32_ps(_mm512_and_si512(n_angle, _mm512_set1_epi32(0xFFFFF)));
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(low, _mm512_set1_ps(524287.5f)),
                                 _mm512_set1_ps(3.74507028e-07f));
        __m512i sector = _mm512_srli_epi32(n_angle, 20);
        __m512 c0 = _mm512_mul_ps(_mm512_permutexvar_ps(sector, cos_table), radius);
        __m512 s0 = _mm512_mul_ps(_mm512_permutexvar_ps(sector, sin_table), radius);
        __m512 d2 = _mm512_mul_ps(d, d);
        __m512 sin_d = _mm512_mul_ps(
            d, _mm512_fmadd_ps(d2, _mm512_fmadd_ps(d2, _mm512_set1_ps(1.0f / 120),
                                                   _mm512_set1_ps(-1.0f / 6)), one));
        __m512 cos_d = _mm512_fmadd_ps(
            d2, _mm512_fmadd_ps(d2, _mm512_fmadd_ps(d2, _mm512_set1_ps(-1.0f / 720),
                                                    _mm512_set1_ps(1.0f / 24)),
                                _mm512_set1_ps(-0.5f)),
            one);
        /* rotate the centre by d */
        _mm512_storeu_ps(cosine + i, _mm512_fmsub_ps(c0, cos_d, _mm512_mul_ps(s0, sin_d)));
        _mm512_storeu_ps(sine + i, _mm512_fmadd_ps(s0, cos_d, _mm512_mul_ps(c0, sin_d)));
    }
}
#else
/* log, cos and sin are common/vecmath.h's, inlined: 0.36 against 0.44 ns per normal with
 * libmvec's (BENCHMARKS.md, "Issue 12, fourth round"). */
static void box_muller_f32(const uint32_t *radius_u, const uint32_t *angle_u, float *cosine,
                           float *sine)
{
    const float two_m24 = 5.9604644775390625e-08f;
#pragma omp simd
    for (int i = 0; i < CHUNK_LANES; i++) {
        float u1 = ((float)radius_u[i] + 0.5f) * two_m24;
        float u2 = ((float)angle_u[i] + 0.5f) * two_m24;
        float radius = sqrtf(-2.0f * vm_log_normal(u1)), c, s;
        vm_cos_sin_turn(u2, &c, &s);
        cosine[i] = radius * c;
        sine[i] = radius * s;
    }
}
#endif

/* The 256 normals of a chunk, in their order. */
static void chunk_normals_f32(uint64_t seed, uint64_t stream, uint64_t chunk, float *z)
{
    uint32_t u[4][CHUNK_LANES];
    chunk_uniforms(seed, stream, chunk, u);
    box_muller_f32(u[0], u[1], z, z + CHUNK_LANES);
    box_muller_f32(u[2], u[3], z + 2 * CHUNK_LANES, z + 3 * CHUNK_LANES);
}

void ba_rng_normals_f32(uint64_t seed, uint64_t stream, uint64_t first, float *out, size_t n)
{
    /* Chunks are always computed whole: the vector maths and a scalar remainder loop
     * round differently, so every normal must sit in the same lane whatever range is
     * asked for. Whole chunks inside the range go straight to out. */
    uint64_t k = first, end = first + n;
    while (k < end) {
        uint64_t chunk = k / CHUNK_NORMALS, start = chunk * CHUNK_NORMALS;
        if (k == start && end - k >= CHUNK_NORMALS) {
            chunk_normals_f32(seed, stream, chunk, out + (k - first));
            k += CHUNK_NORMALS;
            continue;
        }
        float z[CHUNK_NORMALS];
        chunk_normals_f32(seed, stream, chunk, z);
        uint64_t stop = start + CHUNK_NORMALS < end ? start + CHUNK_NORMALS : end;
        for (; k < stop; k++)
            out[k - first] = z[k - start];
    }
}

void ba_rng_normals_f64(uint64_t seed, uint64_t stream, uint64_t first, double *out,
                        size_t n)
{
    uint32_t u[4][CHUNK_LANES];
    uint64_t k = first, end = first + n, have = UINT64_MAX;
    for (; k < end; k++) {
        uint64_t chunk = k / CHUNK_NORMALS;
        if (chunk != have) {
            chunk_uniforms(seed, stream, chunk, u);
            have = chunk;
        }
        int p = (int)(k % CHUNK_NORMALS) / CHUNK_LANES, i = (int)(k % CHUNK_LANES);
        double u1 = ((double)u[p & 2][i] + 0.5) * TWO_M24;
        double u2 = ((double)u[(p & 2) + 1][i] + 0.5) * TWO_M24;
        double radius = sqrt(-2.0 * log(u1));
        out[k - first] = radius * (p & 1 ? sin(TWO_PI * u2) : cos(TWO_PI * u2));
    }
}

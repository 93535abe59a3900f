/* The counter-based generator: the float32 fast path against the definition through
 * Random123's philox4x32, independence from how a range is split, and the moments of
 * the normals. Run against both builds of the library (BAYESAMP_TEST_FLOAT64): the
 * float64 one computes Philox without the AVX-512 multiply (CMakeLists.txt), so both
 * ways of common/rng.c are checked word for word. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/rng.h"

/* Word `index` of a stream, through Random123's philox4x32 (ba_rng_u32). */
static uint32_t word(uint64_t seed, uint64_t stream, uint64_t index)
{
    ba_rng r;
    ba_rng_init(&r, seed, stream);
    uint32_t w = 0;
    for (uint64_t i = 0; i <= index; i++)
        w = ba_rng_u32(&r);
    return w;
}

/* The float32 normals by their definition (common/rng.c), written out the slow way:
 * chunk c of 256 normals from Philox blocks 48c .. 48c + 47, three words cut into four
 * 24-bit uniforms, normals 64p + i of the chunk from the uniforms of quartet i. */
static double reference_normal(uint64_t seed, uint64_t stream, uint64_t k)
{
    uint64_t chunk = k / 256, first_word = 4 * 48 * chunk;
    int p = (int)(k % 256) / 64, i = (int)(k % 64);
    uint32_t a, b, c;
    if (i < 48) { /* words 0, 1, 2 of block 48c + i */
        a = word(seed, stream, first_word + 4 * (uint64_t)i);
        b = word(seed, stream, first_word + 4 * (uint64_t)i + 1);
        c = word(seed, stream, first_word + 4 * (uint64_t)i + 2);
    } else { /* word 3 of blocks 48c + j, + 16, + 32 */
        uint64_t j = (uint64_t)i - 48;
        a = word(seed, stream, first_word + 4 * j + 3);
        b = word(seed, stream, first_word + 4 * (j + 16) + 3);
        c = word(seed, stream, first_word + 4 * (j + 32) + 3);
    }
    uint32_t u[4] = {a >> 8, (a & 0xFFu) << 16 | b >> 16, (b & 0xFFFFu) << 8 | c >> 24,
                     c & 0xFFFFFFu};
    double u1 = ((double)u[p & 2] + 0.5) / 16777216.0;
    double u2 = ((double)u[(p & 2) + 1] + 0.5) / 16777216.0;
    double radius = sqrt(-2.0 * log(u1)), angle = 6.283185307179586 * u2;
    return radius * (p & 1 ? sin(angle) : cos(angle));
}

/* The correlation of x[i]^2 and x[i + lag]^2 over i < n (the normals' squares: zero
 * for independent normals, and also for the cosine and sine of one Box-Muller pair). */
static double square_correlation(const float *x, int n, int lag)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int i = 0; i < n; i++) {
        double a = (double)x[i] * x[i], b = (double)x[i + lag] * x[i + lag];
        sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
    }
    double ca = saa / n - (sa / n) * (sa / n), cb = sbb / n - (sb / n) * (sb / n);
    return (sab / n - (sa / n) * (sb / n)) / sqrt(ca * cb);
}

int main(void)
{
    const uint64_t seed = 0x123456789abcdefULL, stream = (5ULL << 60) | 77;
    enum { N = 1000 };
    float z[N];
    ba_rng_normals_f32(seed, stream, 0, z, N);
    int bad = 0;
    for (uint64_t k = 0; k < N; k += 3) {
        double want = reference_normal(seed, stream, k);
        if (!(fabs(z[k] - want) <= 2e-6 * (1 + fabs(want))))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d float32 normals differ from the philox4x32 definition", bad);

    /* Any sub-range, any offset, gives the same numbers bit for bit. */
    float part[N];
    int firsts[] = {0, 1, 3, 4, 255, 256, 257, 511};
    for (size_t f = 0; f < sizeof firsts / sizeof *firsts; f++) {
        int first = firsts[f], n = N - first;
        ba_rng_normals_f32(seed, stream, (uint64_t)first, part, (size_t)n);
        int same = 1;
        for (int i = 0; i < n; i++)
            same &= part[i] == z[first + i];
        CHECK_MSG(same, "normals from offset %d differ", first);
    }
    /* Words in bulk are ba_rng_u32's one by one, from any offset, across the vector
     * loop's chunks of 48 blocks (192 words). */
    uint32_t one_by_one[N], bulk[N];
    ba_rng words;
    ba_rng_init(&words, seed, stream);
    for (int i = 0; i < N; i++)
        one_by_one[i] = ba_rng_u32(&words);
    int word_firsts[] = {0, 1, 2, 3, 5, 191, 192, 193, 300, 383};
    for (size_t f = 0; f < sizeof word_firsts / sizeof *word_firsts; f++) {
        int first = word_firsts[f];
        for (int n = 0; n <= N - first; n += n < 10 ? 1 : 97) {
            ba_rng_words(seed, stream, (uint64_t)first, bulk, (size_t)n);
            CHECK_MSG(memcmp(bulk, one_by_one + first, (size_t)n * sizeof *bulk) == 0,
                      "%d words from word %d differ from ba_rng_u32's", n, first);
        }
    }

    /* and where the block counter's low 32 bits wrap: its high half goes into the
     * second counter word */
    ba_rng_init(&words, seed, stream);
    words.block = (1ULL << 32) - 50;
    for (int i = 0; i < N; i++)
        one_by_one[i] = ba_rng_u32(&words);
    ba_rng_words(seed, stream, 4 * ((1ULL << 32) - 50), bulk, N);
    CHECK_MSG(memcmp(bulk, one_by_one, N * sizeof *bulk) == 0,
              "words across block 2^32 differ from ba_rng_u32's");

    double d[N], dpart[N];
    ba_rng_normals_f64(seed, stream, 0, d, N);
    ba_rng_normals_f64(seed, stream, 5, dpart, N - 5);
    int same = 1;
    for (int i = 0; i < N - 5; i++)
        same &= dpart[i] == d[5 + i];
    CHECK(same);
    /* float64 and float32 draw the same normals up to the 24-bit uniforms */
    int close = 1;
    for (int i = 0; i < N; i++)
        close &= fabs(d[i] - z[i]) < 1e-4 * (1 + fabs(d[i])) * (1 + fabs(d[i]));
    CHECK(close);

    /* Different streams and seeds differ. */
    float other[8];
    ba_rng_normals_f32(seed, stream + 1, 0, other, 8);
    CHECK(other[0] != z[0] && other[5] != z[5]);
    ba_rng_normals_f32(seed + 1, stream, 0, other, 8);
    CHECK(other[0] != z[0] && other[5] != z[5]);

    /* Moments of 10^6 normals: mean 0 +- 5 sigma/sqrt(n), variance 1, kurtosis 3. */
    enum { M = 1000000 };
    float *big = malloc(M * sizeof *big);
    ba_rng_normals_f32(42, 1, 0, big, M);
    double s1 = 0, s2 = 0, s4 = 0;
    int beyond3 = 0;
    for (int i = 0; i < M; i++) {
        double x = big[i];
        s1 += x, s2 += x * x, s4 += x * x * x * x;
        beyond3 += fabs(x) > 3;
    }
    double mean = s1 / M, var = s2 / M - mean * mean;
    CHECK_MSG(fabs(mean) < 5 / sqrt(M), "mean %g", mean);
    CHECK_MSG(fabs(var - 1) < 5 * sqrt(2.0 / M), "variance %g", var);
    CHECK_MSG(fabs(s4 / M - 3) < 5 * sqrt(96.0 / M), "fourth moment %g", s4 / M);
    /* P(|x| > 3) = 0.0026998 */
    CHECK_MSG(fabs(beyond3 / (double)M - 0.0026998) < 5 * sqrt(0.0027 / M), "tail %g",
              beyond3 / (double)M);
    /* Four uniforms are cut from three words: no two normals may share bits. Lags 64 and
     * 128 pair the normals of one quartet of uniforms, 1 neighbours, 256 chunks. */
    int lags[] = {1, 64, 128, 192, 256};
    for (size_t l = 0; l < sizeof lags / sizeof *lags; l++) {
        double rho = square_correlation(big, M - 256, lags[l]);
        CHECK_MSG(fabs(rho) < 5 / sqrt(M - 256.0), "squares at lag %d correlate: %g", lags[l],
                  rho);
    }
    free(big);

    /* Uniforms stay strictly inside (0, 1). */
    ba_rng r;
    ba_rng_init(&r, 3, 4);
    double lo = 1, hi = 0;
    for (int i = 0; i < 100000; i++) {
        double u = ba_rng_uniform(&r);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    CHECK(lo > 0 && hi < 1 && lo < 1e-3 && hi > 1 - 1e-3);
    return test_summary("test_rng");
}

/* Arithmetic on AMP_LANES events at once: the exact amplitude evaluates its rational
 * coefficients (physics/primitives.c) for a batch of events side by side, one event per
 * lane, as GCC/clang vector types. Every operation acts on each lane alone, so an
 * event's result does not depend on the other events of its batch.
 *
 * Eight doubles fill one AVX-512 register; without AVX-512 the compiler splits each
 * operation into narrower ones, with the same results (IEEE operations, lane by lane).
 */
#ifndef BA_PHYSICS_LANES_H
#define BA_PHYSICS_LANES_H

#define AMP_LANES 8

/* Without AVX-512 (builds without -march=native: the sanitizer and fuzzing builds) GCC
 * and clang warn that passing these 64-byte vectors by value is not compatible with
 * AVX-512 code. Every function that does so is internal to the library, compiled with
 * one set of flags, so the two conventions never meet. */
#if defined(__clang__)
#if __has_warning("-Wpsabi")
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef double lanes __attribute__((vector_size(AMP_LANES * sizeof(double))));

/* Complex numbers, one per lane: real and imaginary parts in separate vectors, so that
 * a product is four vector multiplications and two additions, with no shuffles. */
typedef struct clanes {
    lanes re, im;
} clanes;

static inline lanes lanes_of(double x)
{
    lanes v;
    for (int l = 0; l < AMP_LANES; l++)
        v[l] = x;
    return v;
}

static inline clanes cl_add(clanes a, clanes b) { return (clanes){a.re + b.re, a.im + b.im}; }
static inline clanes cl_sub(clanes a, clanes b) { return (clanes){a.re - b.re, a.im - b.im}; }
static inline clanes cl_neg(clanes a) { return (clanes){-a.re, -a.im}; }

/* Plain (a + ib)(c + id): no C99 Annex G recovery of infinities, which the amplitude
 * never produces from finite momenta. */
static inline clanes cl_mul(clanes a, clanes b)
{
    return (clanes){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}

static inline clanes cl_mul3(clanes a, clanes b, clanes c) { return cl_mul(cl_mul(a, b), c); }

static inline clanes cl_mul4(clanes a, clanes b, clanes c, clanes d)
{
    return cl_mul(cl_mul(a, b), cl_mul(c, d));
}

static inline clanes cl_sq(clanes a) { return cl_mul(a, a); }

/* A complex number times a real one, lane by lane. */
static inline clanes cl_scale(clanes a, lanes x) { return (clanes){a.re * x, a.im * x}; }

#endif

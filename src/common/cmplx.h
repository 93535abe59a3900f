/* CMPLX(x, y): the double complex x + iy, exact even when x or y is infinite, NaN or a
 * signed zero (x + I*y is not: I*y computes 0*y, and inf*0 is NaN).
 *
 * C11 7.3.9.3 puts CMPLX in <complex.h>, but glibc defines it only for compilers that
 * report GCC >= 4.7 (it expands to GCC's __builtin_complex), and clang reports 4.2; so
 * with clang and glibc the macro is missing. Then use the builtin where the compiler has
 * it (clang >= 12), else build the value through its representation, which C11 6.2.5p13
 * fixes as an array of two doubles, real part first. */
#ifndef BA_CMPLX_H
#define BA_CMPLX_H

#include <complex.h>

#ifndef CMPLX
#if defined(__has_builtin)
#if __has_builtin(__builtin_complex)
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif
#endif
#endif

#ifndef CMPLX
#define CMPLX(x, y) \
    (((union { double complex z; double parts[2]; }){.parts = {(x), (y)}}).z)
#endif

#endif

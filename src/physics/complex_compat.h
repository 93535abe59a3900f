/* <complex.h> with C11's CMPLX everywhere. glibc defines CMPLX only for GCC >= 4.7
 * (through __builtin_complex), so under clang it is missing: an implicit declaration
 * of a function returning int, and a link error. clang has the same builtin (stricter
 * about argument types, hence the casts). Unlike x + I * y it keeps an infinite or NaN
 * imaginary part from spoiling the real part. */
#ifndef BA_PHYSICS_COMPLEX_COMPAT_H
#define BA_PHYSICS_COMPLEX_COMPAT_H

#include <complex.h>

#ifndef CMPLX
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

#endif
